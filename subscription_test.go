package matchmaker

import (
	"context"
	"errors"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// events returns events numbered from first to last, for delivery tests.
func events(first, last uint64) []Event {
	out := make([]Event, 0, last-first+1)
	for seq := first; seq <= last; seq++ {
		out = append(out, &MatchmakingSearching{Header: Header{Seq: seq}})
	}
	return out
}

func seqs(events []Event) []uint64 {
	var out []uint64
	for _, e := range events {
		out = append(out, e.header().Seq)
	}
	return out
}

// requireConsecutive fails unless got is numbered first, first+1, ... without gaps.
func requireConsecutive(t *testing.T, first uint64, got []Event, msgAndArgs ...any) {
	t.Helper()
	for i, e := range got {
		if seq := e.header().Seq; seq != first+uint64(i) {
			require.Failf(t, "events out of order or missing", "event %d has Seq %d, want %d", i, seq, first+uint64(i))
		}
	}
}

// poll reads, without waiting, the events queued for s, and returns them with the error that
// ended the reading: context.Canceled if s is live, else the reason it ended.
func poll(s *Subscription) ([]Event, error) {
	ctx := doneContext
	var got []Event
	for {
		e, err := s.Next(ctx)
		if err != nil {
			return got, err
		}
		got = append(got, e)
	}
}

// consume reads s.C() in a goroutine until the channel closes; the returned function waits
// for that and returns what was read.
func consume(s *Subscription) func() []Event {
	var got []Event
	done := make(chan struct{})
	c := s.C()
	go func() {
		defer close(done)
		for e := range c {
			got = append(got, e)
		}
	}()
	return func() []Event {
		<-done
		return got
	}
}

// consumeNext reads s with Next in a goroutine until it returns an error; the returned
// function waits for that and returns what was read and the error.
func consumeNext(s *Subscription) func() ([]Event, error) {
	var got []Event
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			var e Event
			if e, err = s.Next(context.Background()); err != nil {
				return
			}
			got = append(got, e)
		}
	}()
	return func() ([]Event, error) {
		<-done
		return got, err
	}
}

func subscribe(t testing.TB, h *hub) *Subscription {
	t.Helper()
	s, err := h.subscribe()
	require.NoError(t, err)
	return s
}

func TestHubDeliversInOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHub(4, 8)
		a, b, c := subscribe(t, h), subscribe(t, h), subscribe(t, h)
		gotA, gotB, gotC := consume(a), consume(b), consumeNext(c)

		sent := events(1, 10)
		for _, batch := range [][]Event{sent[:3], sent[3:4], sent[4:8], nil, sent[8:]} {
			h.publish(batch)
			synctest.Wait() // the consumers empty their queues
		}
		h.close()

		evsC, errC := gotC()
		for _, got := range [][]Event{gotA(), gotB(), evsC} {
			assert.Equal(t, sent, got, "the same events, in order")
			assert.Equal(t, []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, seqs(got))
		}
		assert.ErrorIs(t, errC, ErrClosed, "Next returns ErrClosed once the queue is drained")
		for _, s := range []*Subscription{a, b, c} {
			assert.ErrorIs(t, s.Err(), ErrClosed)
		}
	})
}

// TestEventsAreShared: every subscriber receives the same event values, not copies.
func TestEventsAreShared(t *testing.T) {
	h := newHub(4, 8)
	a, b := subscribe(t, h), subscribe(t, h)
	sent := events(1, 2)
	h.publish(sent)
	sent[0] = nil // the hub keeps its own slice: the caller may reuse its own
	gotA, _ := poll(a)
	gotB, _ := poll(b)
	require.Len(t, gotA, 2)
	assert.Same(t, gotA[1], gotB[1])
	assert.Equal(t, []uint64{1, 2}, seqs(gotB))
}

// TestSlowSubscriberIsCutOffAcrossPublishes: lag accumulates over publishes; the subscriber is
// cut when a publish finds it more than maxLag behind, keeps what was queued before, and the
// others are not held back.
func TestSlowSubscriberIsCutOffAcrossPublishes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHub(3, 8)
		slow := subscribe(t, h)
		fast := subscribe(t, h)
		overChannel := subscribe(t, h)
		gotFast := consumeNext(fast)
		slowC := overChannel.C() // never read before the cut-off

		h.publish(events(1, 2))
		h.publish(events(3, 4)) // 2 behind: within the limit of 3
		synctest.Wait()
		require.NoError(t, slow.Err(), "4 events queued, but only 2 from earlier publishes")
		subscribers, cutOff := h.stats()
		assert.Equal(t, 3, subscribers)
		assert.Zero(t, cutOff)

		h.publish(events(5, 5)) // 4 behind
		synctest.Wait()
		assert.ErrorIs(t, slow.Err(), ErrSlowSubscriber)
		assert.ErrorIs(t, overChannel.Err(), ErrSlowSubscriber, "events in C's channel count as unreceived")
		subscribers, cutOff = h.stats()
		assert.Equal(t, 1, subscribers)
		assert.Equal(t, uint64(2), cutOff)

		got, err := poll(slow)
		assert.Equal(t, []uint64{1, 2, 3, 4}, seqs(got), "events queued before the cut stay readable")
		assert.ErrorIs(t, err, ErrSlowSubscriber, "then the stream ends")
		var viaC []Event
		for e := range slowC {
			viaC = append(viaC, e)
		}
		assert.Equal(t, []uint64{1, 2, 3, 4}, seqs(viaC), "C's channel delivers them too, then is closed")

		h.publish(events(6, 6))
		h.close()
		evs, err := gotFast()
		assert.ErrorIs(t, err, ErrClosed)
		assert.Equal(t, []uint64{1, 2, 3, 4, 5, 6}, seqs(evs), "one slow consumer does not hold back the others")
		assert.ErrorIs(t, slow.Err(), ErrSlowSubscriber, "closing the hub later does not change why it ended")
		slow.Close()
		assert.ErrorIs(t, slow.Err(), ErrSlowSubscriber, "nor does the consumer's Close")
	})
}

// TestLargeBatchDoesNotCutOff: a batch far larger than the lag limit is queued whole; a
// consumer that reads it before the next publish is not cut off; one that does not is.
func TestLargeBatchDoesNotCutOff(t *testing.T) {
	const batch, maxLag = 200_000, 1 << 16
	for _, via := range []string{"Next", "C"} {
		t.Run(via, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHub(maxLag, 8)
				keepsUp, idle := subscribe(t, h), subscribe(t, h)
				var got []Event
				var read func() []Event
				if via == "C" {
					read = consume(keepsUp)
				}
				for k := range uint64(3) {
					h.publish(events(k*batch+1, (k+1)*batch))
					synctest.Wait()
					if via == "Next" {
						evs, err := poll(keepsUp)
						require.ErrorIs(t, err, context.Canceled, "still live")
						got = append(got, evs...)
					}
					require.NoError(t, keepsUp.Err(), "publish %d", k)
				}
				assert.ErrorIs(t, idle.Err(), ErrSlowSubscriber, "200,000 events behind at the second publish")
				_, cutOff := h.stats()
				assert.Equal(t, uint64(1), cutOff)
				h.close()
				if via == "C" {
					got = read()
				}
				require.Len(t, got, 3*batch)
				requireConsecutive(t, 1, got)
				idle.Close()
			})
		})
	}
}

func TestNextWaitsAndHonoursContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHub(8, 8)
		s := subscribe(t, h)

		ctx, cancel := context.WithCancelCause(t.Context())
		errc := make(chan error)
		go func() {
			_, err := s.Next(ctx)
			errc <- err
		}()
		synctest.Wait()
		select {
		case err := <-errc:
			t.Fatalf("Next returned %v with nothing queued", err)
		default:
		}
		stop := errors.New("host shutting down")
		cancel(stop)
		assert.ErrorIs(t, <-errc, stop, "Next returns the context's cause")

		h.publish(events(1, 3))
		e, err := s.Next(t.Context())
		require.NoError(t, err)
		assert.Equal(t, uint64(1), e.header().Seq, "the cancelled Next consumed nothing")

		got := make(chan Event)
		go func() {
			e, err := s.Next(t.Context())
			assert.NoError(t, err)
			got <- e
		}()
		assert.Equal(t, uint64(2), (<-got).header().Seq)
		go func() {
			e, err := s.Next(t.Context())
			assert.NoError(t, err)
			got <- e
		}()
		assert.Equal(t, uint64(3), (<-got).header().Seq)

		go func() {
			e, err := s.Next(t.Context())
			assert.NoError(t, err)
			got <- e
		}()
		synctest.Wait() // Next is waiting on an empty queue
		h.publish(events(4, 4))
		assert.Equal(t, uint64(4), (<-got).header().Seq, "a publish wakes a waiting Next")

		h.publish(events(5, 6))
		evs, err := poll(s)
		assert.Equal(t, []uint64{5, 6}, seqs(evs), "a done context still receives what is queued")
		assert.ErrorIs(t, err, context.Canceled)

		h.publish(events(7, 8))
		h.close()
		evs, err = poll(s)
		assert.Equal(t, []uint64{7, 8}, seqs(evs), "events queued before the hub closed stay readable")
		assert.ErrorIs(t, err, ErrClosed)
		_, err = s.Next(t.Context())
		assert.ErrorIs(t, err, ErrClosed, "and Next keeps returning the reason")
	})
}

// TestNextWakesOnEnd: a Next waiting on an empty queue returns when the subscription ends.
func TestNextWakesOnEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHub(8, 8)
		closedByHub, closedByConsumer := subscribe(t, h), subscribe(t, h)
		readHub, readConsumer := consumeNext(closedByHub), consumeNext(closedByConsumer)
		synctest.Wait()
		closedByConsumer.Close()
		evs, err := readConsumer()
		assert.Empty(t, evs)
		assert.ErrorIs(t, err, ErrClosed, "after the consumer's own Close")
		h.close()
		_, err = readHub()
		assert.ErrorIs(t, err, ErrClosed)
	})
}

func TestConcurrentNextReceivesEachEventOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHub(1000, 8)
		s := subscribe(t, h)
		var reads []func() ([]Event, error)
		for range 4 {
			reads = append(reads, consumeNext(s))
		}
		for k := range uint64(10) {
			h.publish(events(k*10+1, k*10+10))
		}
		h.close()
		seen := map[uint64]int{}
		for _, read := range reads {
			evs, err := read()
			assert.ErrorIs(t, err, ErrClosed)
			for i, e := range evs {
				seen[e.header().Seq]++
				if i > 0 {
					assert.Less(t, evs[i-1].header().Seq, e.header().Seq, "each reader sees increasing Seq")
				}
			}
		}
		assert.Len(t, seen, 100)
		for seq, n := range seen {
			assert.Equal(t, 1, n, "event %d", seq)
		}
	})
}

// TestChannelFilledBeforePublishReturns: events that fit in C's buffer are there when publish
// returns, so a host that calls Tick itself can read them without waiting.
func TestChannelFilledBeforePublishReturns(t *testing.T) {
	h := newHub(1<<16, 8)
	s := subscribe(t, h)
	h.publish(events(1, 3))
	c := s.C() // the first call moves what was queued
	assert.Len(t, c, 3)
	h.publish(events(4, 5))
	assert.Len(t, c, 5)
	var got []Event
	for len(c) > 0 {
		got = append(got, <-c)
	}
	assert.Equal(t, []uint64{1, 2, 3, 4, 5}, seqs(got))
	s.Close()
	_, open := <-c
	assert.False(t, open, "closed when Close returns")
}

// TestForwarderEnds: the goroutine that C starts never outlives the subscription. synctest
// fails the test if a goroutine of the bubble is still blocked at its end.
func TestForwarderEnds(t *testing.T) {
	overflow := channelBuffer + 10 // more than the channel holds: the goroutine is blocked in a send
	t.Run("Close, nobody reading", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := newHub(1<<16, 8)
			s := subscribe(t, h)
			c := s.C()
			h.publish(events(1, uint64(overflow)))
			synctest.Wait()
			s.Close()
			assert.NoError(t, s.Err())
			n := 0
			for range c {
				n++
			}
			assert.Equal(t, channelBuffer, n, "what was in the channel's buffer stays readable; the rest is discarded")
			_, err := s.Next(t.Context())
			assert.ErrorIs(t, err, ErrClosed)
		})
	})
	t.Run("Close, idle", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := newHub(1<<16, 8)
			s := subscribe(t, h)
			s.C()
			synctest.Wait()
			s.Close()
		})
	})
	t.Run("cut-off, then read to the end", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := newHub(overflow-1, 8)
			s := subscribe(t, h)
			c := s.C()
			h.publish(events(1, uint64(overflow)))
			h.publish(events(uint64(overflow)+1, uint64(overflow)+1))
			require.ErrorIs(t, s.Err(), ErrSlowSubscriber)
			var got []Event
			for e := range c {
				got = append(got, e)
			}
			assert.Len(t, got, overflow, "everything queued before the cut")
			requireConsecutive(t, 1, got)
		})
	})
	t.Run("cut-off, nobody reading, then Close", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := newHub(overflow-1, 8)
			s := subscribe(t, h)
			s.C()
			h.publish(events(1, uint64(overflow)))
			h.publish(events(uint64(overflow)+1, uint64(overflow)+1))
			synctest.Wait()
			s.Close()
			assert.ErrorIs(t, s.Err(), ErrSlowSubscriber)
		})
	})
	t.Run("cut-off, rest fits in the channel", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := newHub(2, 8)
			s := subscribe(t, h)
			s.C()
			h.publish(events(1, 3))
			h.publish(events(4, 4))
			require.ErrorIs(t, s.Err(), ErrSlowSubscriber)
			// The goroutine closes the channel and exits by itself; nobody reads or closes.
		})
	})
	t.Run("hub close, idle, nobody reading", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := newHub(1<<16, 8)
			s := subscribe(t, h)
			c := s.C()
			synctest.Wait()
			h.close()
			synctest.Wait()
			_, open := <-c
			assert.False(t, open)
		})
	})
	t.Run("hub close, then read to the end", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := newHub(1<<16, 8)
			s := subscribe(t, h)
			read := consume(s)
			h.publish(events(1, uint64(overflow)))
			h.close()
			got := read()
			assert.Len(t, got, overflow)
			assert.ErrorIs(t, s.Err(), ErrClosed)
		})
	})
	t.Run("hub close, nobody reading, then Close", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := newHub(1<<16, 8)
			s := subscribe(t, h)
			s.C()
			h.publish(events(1, uint64(overflow)))
			h.close()
			synctest.Wait()
			s.Close()
			assert.ErrorIs(t, s.Err(), ErrClosed)
		})
	})
}

// TestNextThenC: a consumer may switch from Next to C; once C is called, Next reads the channel.
func TestNextThenC(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHub(1<<16, 8)
		s := subscribe(t, h)
		h.publish(events(1, 4))
		e, err := s.Next(t.Context())
		require.NoError(t, err)
		assert.Equal(t, uint64(1), e.header().Seq)
		c := s.C()
		assert.Equal(t, uint64(2), (<-c).header().Seq, "C continues where Next stopped")
		e, err = s.Next(t.Context())
		require.NoError(t, err)
		assert.Equal(t, uint64(3), e.header().Seq, "Next after C receives from the channel")
		h.publish(events(5, uint64(4+2*channelBuffer)))
		h.close()
		var got []Event
		for {
			e, err := s.Next(t.Context())
			if err != nil {
				assert.ErrorIs(t, err, ErrClosed)
				break
			}
			got = append(got, e)
		}
		requireConsecutive(t, 4, got)
		assert.Len(t, got, 1+2*channelBuffer, "then everything, through the goroutine")
	})
}

// TestChannelDeliveryUnderLoad publishes batches of every size around the channel's buffer
// while a consumer reads C concurrently: nothing is lost, duplicated or reordered.
func TestChannelDeliveryUnderLoad(t *testing.T) {
	h := newHub(1<<20, 8)
	viaC, viaNext := subscribe(t, h), subscribe(t, h)
	readC, readNext := consume(viaC), consumeNext(viaNext)
	r := rand.New(rand.NewPCG(1, 2))
	next := uint64(1)
	for range 500 {
		n := uint64(r.IntN(2 * channelBuffer))
		if n > 0 {
			h.publish(events(next, next+n-1))
			next += n
		}
	}
	h.close()
	got := readC()
	require.Len(t, got, int(next-1))
	requireConsecutive(t, 1, got)
	got, err := readNext()
	assert.ErrorIs(t, err, ErrClosed)
	require.Len(t, got, int(next-1))
	requireConsecutive(t, 1, got)
}

func TestSubscriberLimit(t *testing.T) {
	h := newHub(8, 3)
	subs := []*Subscription{subscribe(t, h), subscribe(t, h), subscribe(t, h)}
	_, err := h.subscribe()
	require.ErrorIs(t, err, ErrLimit)
	var le *LimitError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, LimitError{Limit: "WithMaxSubscribers", Max: 3}, *le)

	subs[1].Close()
	s, err := h.subscribe()
	require.NoError(t, err, "a closed subscription frees its place")

	h.publish(events(1, 9))
	h.publish(events(10, 10)) // every subscription is now 9 behind: all are cut off
	subscribers, cutOff := h.stats()
	assert.Zero(t, subscribers)
	assert.Equal(t, uint64(3), cutOff)
	_, err = h.subscribe()
	require.NoError(t, err, "so does a cut-off one")
	s.Close()
}

func TestSubscriptionClose(t *testing.T) {
	h := newHub(8, 8)
	s := subscribe(t, h)
	h.publish(events(1, 2))
	s.Close()
	s.Close()
	assert.NoError(t, s.Err(), "Err is nil after the consumer's own Close")
	_, err := s.Next(t.Context())
	assert.ErrorIs(t, err, ErrClosed, "Close discards what was queued")
	_, open := <-s.C()
	assert.False(t, open, "C after Close returns a closed channel")

	h.publish(events(3, 3))
	subscribers, cutOff := h.stats()
	assert.Zero(t, subscribers)
	assert.Zero(t, cutOff, "a consumer that leaves is not counted as cut off")
}

func TestSubscriptionCloseConcurrentWithPublish(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHub(16, 16)
		var subs []*Subscription
		var reads []func() []Event
		var nexts []func() ([]Event, error)
		for range 4 {
			s := subscribe(t, h)
			subs = append(subs, s)
			reads = append(reads, consume(s))
		}
		for range 4 {
			s := subscribe(t, h)
			subs = append(subs, s)
			nexts = append(nexts, consumeNext(s))
		}

		var wg sync.WaitGroup
		wg.Go(func() {
			for seq := uint64(1); seq <= 500; seq++ {
				h.publish(events(seq, seq))
			}
		})
		for _, s := range subs {
			wg.Go(func() {
				s.Close()
				s.Close()
			})
		}
		wg.Wait()
		h.close()

		for i, read := range reads {
			requireConsecutive(t, 1, read(), "subscription %d", i)
		}
		for i, read := range nexts {
			got, err := read()
			requireConsecutive(t, 1, got, "subscription %d", i)
			assert.True(t, errors.Is(err, ErrClosed) || errors.Is(err, ErrSlowSubscriber), "subscription %d: %v", i, err)
		}
		for i, s := range subs {
			if err := s.Err(); err != nil {
				assert.ErrorIs(t, err, ErrSlowSubscriber, "subscription %d", i)
			}
		}
		subscribers, _ := h.stats()
		assert.Zero(t, subscribers)
	})
}

func TestHubClose(t *testing.T) {
	h := newHub(4, 8)
	a, b := subscribe(t, h), subscribe(t, h)
	h.publish(events(1, 2))
	h.close()
	h.close()

	for _, s := range []*Subscription{a, b} {
		assert.ErrorIs(t, s.Err(), ErrClosed)
		got, err := poll(s)
		assert.Equal(t, []uint64{1, 2}, seqs(got), "events published before close stay readable")
		assert.ErrorIs(t, err, ErrClosed)
		s.Close()
		assert.ErrorIs(t, s.Err(), ErrClosed, "the consumer's Close after the hub's keeps the reason")
	}

	h.publish(events(3, 3)) // no effect, no panic
	_, err := h.subscribe()
	assert.ErrorIs(t, err, ErrClosed)
	subscribers, cutOff := h.stats()
	assert.Zero(t, subscribers)
	assert.Zero(t, cutOff)
}

func TestHubPublishWithoutSubscribers(t *testing.T) {
	h := newHub(1, 8)
	h.publish(events(1, 3))
	s := subscribe(t, h)
	h.publish(events(4, 4))
	h.close()
	got, err := poll(s)
	assert.Equal(t, []uint64{4}, seqs(got), "a subscription sees only later events")
	assert.ErrorIs(t, err, ErrClosed)
}

func TestNewHubRejectsBadLimits(t *testing.T) {
	assert.Panics(t, func() { newHub(0, 1) })
	assert.Panics(t, func() { newHub(1, 0) })
}

// idleSubscriptionBytes returns the heap bytes per subscription of n subscriptions that
// receive nothing, the hub's list of them included.
func idleSubscriptionBytes(tb testing.TB, n int) float64 {
	h := newHub(1<<16, n)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	subs := make([]*Subscription, n) // counted: a host holds each subscription somewhere
	for i := range subs {
		subs[i] = subscribe(tb, h)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(subs)
	runtime.KeepAlive(h)
	return float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
}

// TestIdleSubscriberMemory: an idle subscription costs a few hundred bytes at most, not a
// buffer of events.
func TestIdleSubscriberMemory(t *testing.T) {
	perSub := idleSubscriptionBytes(t, 10_000)
	t.Logf("%.0f bytes per idle subscription", perSub)
	assert.Less(t, perSub, 512.0)
}

// BenchmarkIdleSubscriber reports the heap bytes per idle subscription (idle-B/sub).
func BenchmarkIdleSubscriber(b *testing.B) {
	var perSub float64
	for b.Loop() {
		perSub = idleSubscriptionBytes(b, 10_000)
	}
	b.ReportMetric(perSub, "idle-B/sub")
}

// BenchmarkPublish measures publishing a 1,000-event batch to 16 subscribers that keep up.
func BenchmarkPublish(b *testing.B) {
	h := newHub(1<<16, 16)
	var subs []*Subscription
	for range 16 {
		subs = append(subs, subscribe(b, h))
	}
	batch := events(1, 1000)
	ctx := doneContext
	for b.Loop() {
		h.publish(batch)
		for _, s := range subs {
			for {
				if _, err := s.Next(ctx); err != nil {
					break
				}
			}
		}
	}
}

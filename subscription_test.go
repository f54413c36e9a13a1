package matchmaker

import (
	"sync"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testEvent is an Event for delivery tests.
type testEvent struct {
	Header
}

// events returns test events numbered from first to last.
func events(first, last uint64) []Event {
	var out []Event
	for seq := first; seq <= last; seq++ {
		out = append(out, &testEvent{Header{Seq: seq}})
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

// drainClosed reads what s buffered and fails unless its channel is then closed.
func drainClosed(t *testing.T, s *Subscription) []Event {
	t.Helper()
	var got []Event
	for {
		select {
		case e, ok := <-s.C():
			if !ok {
				return got
			}
			got = append(got, e)
		default:
			t.Fatalf("channel not closed after %d events", len(got))
			return nil
		}
	}
}

// consume reads s in a goroutine until its channel closes; the returned function waits for that
// and returns what was read.
func consume(s *Subscription) func() []Event {
	var got []Event
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range s.C() {
			got = append(got, e)
		}
	}()
	return func() []Event {
		<-done
		return got
	}
}

func subscribe(t *testing.T, h *hub) *Subscription {
	t.Helper()
	s, err := h.subscribe()
	require.NoError(t, err)
	return s
}

func TestHubDeliversInOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHub(4)
		a, b := subscribe(t, h), subscribe(t, h)
		gotA, gotB := consume(a), consume(b)

		sent := events(1, 10)
		for _, batch := range [][]Event{sent[:3], sent[3:4], sent[4:8], nil, sent[8:]} {
			h.publish(batch)
			synctest.Wait() // the consumers empty their buffers
		}
		h.close()

		for _, got := range [][]Event{gotA(), gotB()} {
			assert.Equal(t, sent, got, "the same events, in order")
			assert.Equal(t, []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, seqs(got))
		}
		assert.ErrorIs(t, a.Err(), ErrClosed)
		assert.ErrorIs(t, b.Err(), ErrClosed)
	})
}

func TestSlowSubscriberIsCutOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHub(3)
		slow := subscribe(t, h)
		fast := subscribe(t, h)
		gotFast := consume(fast)

		for seq := uint64(1); seq <= 3; seq++ {
			h.publish(events(seq, seq))
			synctest.Wait()
		}
		require.NoError(t, slow.Err(), "a full buffer is not yet an overflow")
		subscribers, cutOff := h.stats()
		assert.Equal(t, 2, subscribers)
		assert.Zero(t, cutOff)

		h.publish(events(4, 5))
		synctest.Wait()
		assert.ErrorIs(t, slow.Err(), ErrSlowSubscriber)
		subscribers, cutOff = h.stats()
		assert.Equal(t, 1, subscribers)
		assert.Equal(t, uint64(1), cutOff)
		assert.Equal(t, []uint64{1, 2, 3}, seqs(drainClosed(t, slow)), "buffered events stay readable, then the channel closes")

		h.publish(events(6, 6))
		h.close()
		assert.Equal(t, []uint64{1, 2, 3, 4, 5, 6}, seqs(gotFast()), "one slow consumer does not hold back the others")
		assert.ErrorIs(t, slow.Err(), ErrSlowSubscriber, "closing the hub later does not change why it ended")
	})
}

func TestSlowSubscriberCutOffWithinOneBatch(t *testing.T) {
	h := newHub(3)
	s := subscribe(t, h)
	h.publish(events(1, 5))
	assert.ErrorIs(t, s.Err(), ErrSlowSubscriber)
	assert.Equal(t, []uint64{1, 2, 3}, seqs(drainClosed(t, s)))
	_, cutOff := h.stats()
	assert.Equal(t, uint64(1), cutOff)

	s.Close()
	assert.ErrorIs(t, s.Err(), ErrSlowSubscriber, "Close after a cut-off keeps the reason")
}

func TestSubscriptionClose(t *testing.T) {
	h := newHub(8)
	s := subscribe(t, h)
	h.publish(events(1, 2))
	s.Close()
	s.Close()
	assert.NoError(t, s.Err())
	assert.Equal(t, []uint64{1, 2}, seqs(drainClosed(t, s)))

	h.publish(events(3, 3))
	subscribers, cutOff := h.stats()
	assert.Zero(t, subscribers)
	assert.Zero(t, cutOff, "a consumer that leaves is not counted as cut off")
}

func TestSubscriptionCloseConcurrentWithPublish(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHub(16)
		var subs []*Subscription
		var reads []func() []Event
		for range 8 {
			s := subscribe(t, h)
			subs = append(subs, s)
			reads = append(reads, consume(s))
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

		for i, s := range subs {
			got := seqs(reads[i]())
			for j := range got {
				require.Equal(t, uint64(j+1), got[j], "subscription %d: events in order without gaps", i)
			}
			if err := s.Err(); err != nil {
				assert.ErrorIs(t, err, ErrSlowSubscriber, "subscription %d", i)
			}
		}
		subscribers, _ := h.stats()
		assert.Zero(t, subscribers)
	})
}

func TestHubClose(t *testing.T) {
	h := newHub(4)
	a, b := subscribe(t, h), subscribe(t, h)
	h.publish(events(1, 2))
	h.close()
	h.close()

	for _, s := range []*Subscription{a, b} {
		assert.ErrorIs(t, s.Err(), ErrClosed)
		assert.Equal(t, []uint64{1, 2}, seqs(drainClosed(t, s)), "events sent before close stay readable")
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
	h := newHub(1)
	h.publish(events(1, 3))
	s := subscribe(t, h)
	h.publish(events(4, 4))
	h.close()
	assert.Equal(t, []uint64{4}, seqs(drainClosed(t, s)), "a subscription sees only later events")
}

func TestNewHubRejectsEmptyBuffer(t *testing.T) {
	assert.Panics(t, func() { newHub(0) })
}

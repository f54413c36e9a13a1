package matchmaker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func gomokuRuleSet(t *testing.T) *RuleSet {
	data, err := os.ReadFile("testdata/rulesets/gomoku.json")
	require.NoError(t, err)
	return MustParseRuleSet(data)
}

// TestRunFormsMatchesOnItsTicker runs the real loop in a synctest bubble: time advances only
// when every goroutine is blocked, so a 10 s expansion takes no real time.
func TestRunFormsMatchesOnItsTicker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, err := New(Config{RuleSet: gomokuRuleSet(t)}, WithTickInterval(time.Second))
		require.NoError(t, err)
		sub, err := m.Subscribe()
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- m.Run(ctx) }()

		for i, score := range []float64{1000, 2000} {
			_, err := m.StartMatchmaking(StartMatchmakingInput{TicketID: fmt.Sprintf("t%d", i),
				Players: []Player{{PlayerID: fmt.Sprintf("p%d", i), Attributes: num("score", score)}}})
			require.NoError(t, err)
		}
		start := time.Now()
		var succeeded *MatchmakingSucceeded
		for succeeded == nil {
			if s, ok := (<-sub.C()).(*MatchmakingSucceeded); ok {
				succeeded = s
			}
		}
		assert.Equal(t, 10*time.Second, time.Since(start), "1000 vs 2000 needs the 10 s expansion; the first tick at or after it is at 10 s")
		assert.ErrorIs(t, m.Run(ctx), ErrAlreadyRunning)

		cancel()
		require.ErrorIs(t, <-done, context.Canceled, "Run returns the context's cause")
		require.NoError(t, m.Close())
		require.NoError(t, m.Close(), "Close is idempotent")
		assert.ErrorIs(t, m.Run(t.Context()), ErrClosed)
		_, err = m.StartMatchmaking(StartMatchmakingInput{Players: []Player{{PlayerID: "x"}}})
		assert.ErrorIs(t, err, ErrClosed)
		_, open := <-sub.C()
		assert.False(t, open)
		assert.ErrorIs(t, sub.Err(), ErrClosed)
	})
}

// TestConsumerThatNeverReadsIsCutOff: the tick never blocks on a subscriber; one that falls
// more than its lag limit behind across ticks is ended loudly while other subscribers keep
// everything.
func TestConsumerThatNeverReadsIsCutOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, err := New(Config{RuleSet: gomokuRuleSet(t)}, WithMaxSubscriberLag(8))
		require.NoError(t, err)
		stuck, err := m.Subscribe()
		require.NoError(t, err)
		reader, err := m.Subscribe()
		require.NoError(t, err)
		var got []Event
		readDone := make(chan struct{})
		go func() {
			defer close(readDone)
			for e := range reader.C() {
				got = append(got, e)
			}
		}()
		ctx, cancel := context.WithCancel(t.Context())
		runDone := make(chan error)
		go func() { runDone <- m.Run(ctx) }()
		for i := range 10 { // two players a tick: four events a tick, each tick one batch
			for j := range 2 {
				_, err := m.StartMatchmaking(StartMatchmakingInput{Players: []Player{{PlayerID: fmt.Sprintf("p%d-%d", i, j), Attributes: num("score", 1000)}}})
				require.NoError(t, err)
			}
			time.Sleep(time.Second)
			synctest.Wait()
			if i == 2 {
				require.NoError(t, stuck.Err(), "the third tick found it 8 behind: within the limit")
			}
		}
		assert.Equal(t, 10, int(m.Stats().Matches), "matching went on although one subscriber never reads")
		assert.ErrorIs(t, stuck.Err(), ErrSlowSubscriber, "cut off when the fourth tick found it 12 behind")
		var kept []Event
		for {
			e, err := stuck.Next(ctx)
			if err != nil {
				assert.ErrorIs(t, err, ErrSlowSubscriber)
				break
			}
			kept = append(kept, e)
		}
		assert.Len(t, kept, 12, "the stuck subscriber keeps the events queued before its cut-off, then its stream ends")
		assert.Equal(t, uint64(1), m.Stats().SubscribersCut)

		cancel()
		<-runDone
		require.NoError(t, m.Close())
		<-readDone
		assert.ErrorIs(t, reader.Err(), ErrClosed)
		var last uint64
		for _, e := range got {
			h := e.header()
			assert.Equal(t, last+1, h.Seq, "no gaps on a live subscription")
			last = h.Seq
		}
		assert.Equal(t, 20+10*2, len(got), "20 Searching, then PotentialMatchCreated and Succeeded per match")
	})
}

// TestLargeTickDoesNotCutOffSubscriber: one tick that produces 200,000 events, three times the
// default lag limit, reaches subscribers that keep up tick by tick, through Next and through C.
func TestLargeTickDoesNotCutOffSubscriber(t *testing.T) {
	players := 100_000 // one Searching per ticket, then PotentialMatchCreated and Succeeded per pair
	if testing.Short() {
		players = 10_000
	}
	m, err := New(Config{RuleSet: gomokuRuleSet(t)}, WithClock(&fakeClock{now: t0}))
	require.NoError(t, err)
	viaNext, err := m.Subscribe()
	require.NoError(t, err)
	viaC, err := m.Subscribe()
	require.NoError(t, err)
	var gotC []Event
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		for e := range viaC.C() {
			gotC = append(gotC, e)
		}
	}()
	for i := range players {
		_, err := m.StartMatchmaking(StartMatchmakingInput{Players: []Player{{PlayerID: "p" + strconv.Itoa(i)}}})
		require.NoError(t, err)
	}
	require.NoError(t, m.Tick(t0))
	assert.Equal(t, players/2, int(m.Stats().Matches))

	done, cancel := context.WithCancel(t.Context())
	cancel()
	var gotNext []Event
	for {
		e, err := viaNext.Next(done)
		if err != nil {
			require.ErrorIs(t, err, context.Canceled, "still live: the queue is empty")
			break
		}
		gotNext = append(gotNext, e)
	}
	require.NoError(t, m.Close())
	<-readDone
	want := players + players/2*2
	for name, got := range map[string][]Event{"Next": gotNext, "C": gotC} {
		require.Len(t, got, want, name)
		for i, e := range got {
			if e.header().Seq != uint64(i+1) {
				require.Failf(t, "gap", "%s: event %d has Seq %d", name, i, e.header().Seq)
			}
		}
	}
	assert.ErrorIs(t, viaC.Err(), ErrClosed, "ended by Close, not cut off")
	assert.ErrorIs(t, viaNext.Err(), ErrClosed)
	assert.Zero(t, m.Stats().SubscribersCut)
}

func TestNewRejectsBadConfiguration(t *testing.T) {
	_, err := New(Config{})
	var ve *ValidationError
	require.True(t, errors.As(err, &ve))
	assert.Equal(t, "RuleSet", ve.Problems[0].Path)
	_, err = New(Config{RuleSet: gomokuRuleSet(t), RequestTimeout: 5 * time.Second})
	require.ErrorAs(t, err, &ve, "an expansion step after the request timeout could never apply")
	assert.Contains(t, ve.Problems[0].Path, "expansions")
	_, err = New(Config{RuleSet: gomokuRuleSet(t), BackfillMode: BackfillAutomatic})
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "BackfillMode", ve.Problems[0].Path)
}

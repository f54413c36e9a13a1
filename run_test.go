package matchmaker

import (
	"context"
	"errors"
	"fmt"
	"os"
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
// behind is ended loudly while other subscribers keep everything.
func TestConsumerThatNeverReadsIsCutOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, err := New(Config{RuleSet: gomokuRuleSet(t)}, WithSubscriberBuffer(8))
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
		for i := range 10 { // two players a tick: four events, within the buffer of 8
			for j := range 2 {
				_, err := m.StartMatchmaking(StartMatchmakingInput{Players: []Player{{PlayerID: fmt.Sprintf("p%d-%d", i, j), Attributes: num("score", 1000)}}})
				require.NoError(t, err)
			}
			time.Sleep(time.Second)
			synctest.Wait()
		}
		assert.Equal(t, 10, int(m.Stats().Matches), "matching went on although one subscriber never reads")
		var buffered int
		for range stuck.C() {
			buffered++
		}
		assert.Equal(t, 8, buffered, "the stuck subscriber keeps what fit in its buffer, then its channel closes")
		assert.ErrorIs(t, stuck.Err(), ErrSlowSubscriber)
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

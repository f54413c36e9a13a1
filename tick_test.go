package matchmaker

import (
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A test that drives Tick with chosen times and sets no Clock gets one time source: the ticks.
// Requests made before the first Tick take its time, even one far in the past of the wall clock.
func TestTickDrivenWithoutClockUsesTickTimes(t *testing.T) {
	rs, err := ParseRuleSet(mustRead(t, "testdata/rulesets/gomoku.json"))
	require.NoError(t, err)
	m, err := New(Config{RuleSet: rs}, WithRandom(rand.NewChaCha8([32]byte{})))
	require.NoError(t, err)
	defer m.Close()
	sub, err := m.Subscribe()
	require.NoError(t, err)
	past := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)

	_, err = m.StartMatchmaking(StartMatchmakingInput{TicketID: "dup", Players: []Player{gomoku("pa", 1000)}})
	require.NoError(t, err)
	_, err = m.StartMatchmaking(StartMatchmakingInput{TicketID: "a", Players: []Player{gomoku("pa", 1000)}})
	require.NoError(t, err, "a duplicate before the first tick cancels the older ticket")
	_, err = m.StartMatchmaking(StartMatchmakingInput{TicketID: "b", Players: []Player{gomoku("pb", 1800)}})
	require.NoError(t, err)
	require.Empty(t, drainSub(sub), "events of requests made before the first tick wait for its time")
	assert.True(t, m.DescribeMatchmaking("a")[0].StartTime.IsZero(), "no time yet, no start time")

	require.NoError(t, m.Tick(past))
	evs := drainSub(sub)
	require.NotEmpty(t, evs)
	for _, e := range evs {
		assert.Equal(t, past, e.header().Time, "%T", e)
		for _, tk := range e.ticketList() {
			assert.Equal(t, past, tk.StartTime, "%T %s", e, tk.TicketID)
		}
	}
	_, isCancel := evs[0].(*MatchmakingCancelled)
	assert.True(t, isCancel, "the duplicate's cancellation comes first, dated at the first tick")
	got := m.DescribeMatchmaking("a")
	require.Len(t, got, 1)
	assert.Equal(t, past, got[0].StartTime)

	require.NoError(t, m.Tick(past.Add(9*time.Second)))
	assert.Empty(t, matches(drainSub(sub)), "400 from the average needs the 10 s expansion")
	require.NoError(t, m.Tick(past.Add(10*time.Second)))
	assert.Len(t, matches(drainSub(sub)), 1, "the expansion applies 10 s after the first tick")

	// Between ticks, requests take the latest tick's time.
	_, err = m.StartMatchmaking(StartMatchmakingInput{TicketID: "c", Players: []Player{gomoku("pc", 1000)}})
	require.NoError(t, err)
	assert.Equal(t, past.Add(10*time.Second), m.DescribeMatchmaking("c")[0].StartTime)
}

// Time never runs backwards: a Tick earlier than the Matchmaker's time runs at its time.
func TestTickClampsTimeThatRunsBackwards(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/gomoku.json", Config{})
	h.start("a", gomoku("pa", 1000))
	h.tick(10)
	h.start("b", gomoku("pb", 2000))
	evs := h.tick(5) // the clock went back 5 s
	require.NotEmpty(t, evs)
	for _, e := range evs {
		assert.Equal(t, t0.Add(10*time.Second), e.header().Time, "a tick at an earlier time runs at the latest time")
	}
	assert.Equal(t, t0.Add(10*time.Second), h.m.DescribeMatchmaking("b")[0].StartTime)
}

func drainSub(s *Subscription) []Event {
	var out []Event
	for e, ok := s.TryNext(); ok; e, ok = s.TryNext() {
		out = append(out, e)
	}
	return out
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return data
}

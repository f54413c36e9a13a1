package matchmakertest_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-04d22514/matchmaker"
	"github.com/seed-04d22514/matchmaker/matchmakertest"
)

// newDuel returns a Harness on the duel rule set with a one-minute request timeout.
func newDuel(t *testing.T, opts ...matchmakertest.Option) *matchmakertest.Harness {
	return matchmakertest.New(t, matchmaker.Config{RuleSet: matchmakertest.RuleSet(t, duel), RequestTimeout: time.Minute}, opts...)
}

// The Harness ticks on a grid of its interval from the start, plus the instants asked for, and
// never goes back.
func TestHarnessTimeGrid(t *testing.T) {
	h := newDuel(t)
	ticks := func() uint64 { return h.Matchmaker().Stats().Ticks }
	steps := []struct {
		name      string
		do        func()
		elapsed   time.Duration
		tickCount uint64
	}{
		{"before the first tick", func() {}, 0, 0},
		{"Step runs the first tick at the start", h.Step, 0, 1},
		{"Step moves one interval", h.Step, time.Second, 2},
		{"Advance ends exactly d later", func() { h.Advance(1500 * time.Millisecond) }, 2500 * time.Millisecond, 4}, // 2s, 2.5s
		{"Step returns to the grid", h.Step, 3 * time.Second, 5},
		{"RunUntil a past instant does nothing", func() { h.RunUntil(time.Second) }, 3 * time.Second, 5},
		{"Tick runs at the same instant", h.Tick, 3 * time.Second, 6},
		{"RunUntil ticks every interval", func() { h.RunUntil(6 * time.Second) }, 6 * time.Second, 9},
	}
	for _, s := range steps {
		s.do()
		assert.Equal(t, s.elapsed, h.Elapsed(), s.name)
		assert.Equal(t, s.tickCount, ticks(), s.name)
		assert.Equal(t, h.Start().Add(s.elapsed), h.Now(), s.name)
	}
}

func TestHarnessOptions(t *testing.T) {
	start := time.Date(2030, time.June, 1, 12, 0, 0, 0, time.UTC)
	h := newDuel(t, matchmakertest.WithStart(start), matchmakertest.WithTickInterval(250*time.Millisecond))
	assert.Equal(t, start, h.Start())
	assert.Equal(t, 250*time.Millisecond, h.Interval())
	h.Advance(time.Second)
	assert.Equal(t, uint64(5), h.Matchmaker().Stats().Ticks) // 0, .25, .5, .75, 1

	_, err := matchmakertest.NewHarness(matchmaker.Config{RuleSet: matchmakertest.RuleSet(t, duel)}, matchmakertest.WithTickInterval(0))
	assert.ErrorContains(t, err, "tick interval")
}

// The Matchmaker's time is the Harness's: every event carries the instant of the tick (or the
// request between ticks) that produced it, and requests are dated at the latest tick.
func TestHarnessIsTheMatchmakersClock(t *testing.T) {
	h := newDuel(t, matchmakertest.WithTickInterval(300*time.Millisecond))
	require.NoError(t, h.Queue(matchmakertest.Solo("ann", matchmakertest.Attrs{"skill": 1000})))
	h.RunUntil(5 * time.Second)
	require.NoError(t, h.Queue(matchmakertest.Solo("bob", matchmakertest.Attrs{"skill": 1300})))

	bob := h.Matchmaker().DescribeMatchmaking("bob")[0]
	assert.Equal(t, h.Now(), bob.StartTime)
	assert.Equal(t, matchmaker.StatusQueued, h.Status("bob"))

	h.AssertMatchedTogetherBy(t, time.Minute, "ann", "bob")
	at, ok := h.MatchedAt("bob")
	require.True(t, ok)
	assert.Equal(t, 15*time.Second, at, "the expansion applies by the age of the newer ticket, bob's")

	grid := map[time.Duration]bool{5 * time.Second: true}
	for d := time.Duration(0); d <= time.Minute; d += 300 * time.Millisecond {
		grid[d] = true
	}
	for _, e := range h.Events() {
		switch e := e.(type) {
		case *matchmaker.MatchmakingSearching:
			assert.True(t, grid[h.Since(e.Time)], "event at %v is off the tick grid", h.Since(e.Time))
		case *matchmaker.MatchmakingSucceeded:
			assert.Equal(t, 15*time.Second, h.Since(e.Time))
		}
	}
}

// Tickets queued at the start are searched by the first tick, at the start; tickets queued at a
// later tick's instant wait for the next tick, unless the test ticks again.
func TestHarnessFirstTickAndTick(t *testing.T) {
	h := newDuel(t)
	h.Queue(matchmakertest.Solo("ann", matchmakertest.Attrs{"skill": 1000}), matchmakertest.Solo("bob", matchmakertest.Attrs{"skill": 1050}))
	h.AssertMatchedTogetherBy(t, 0, "ann", "bob")

	h.RunUntil(3 * time.Second)
	h.Queue(matchmakertest.Solo("cat", matchmakertest.Attrs{"skill": 1000}), matchmakertest.Solo("dan", matchmakertest.Attrs{"skill": 1050}))
	assert.Equal(t, matchmaker.StatusQueued, h.StatusAt("cat", 3*time.Second))
	h.Tick()
	h.AssertMatchedTogetherBy(t, 3*time.Second, "cat", "dan")
}

// The same inputs give the same events and match IDs; another seed gives other IDs.
func TestHarnessDeterminism(t *testing.T) {
	run := func(seed uint64) []string {
		h := newDuel(t, matchmakertest.WithSeed(seed))
		for i := range 20 {
			id := fmt.Sprintf("p%02d", i)
			h.Queue(matchmakertest.Solo(id, matchmakertest.Attrs{"skill": 1000 + 37*i%400}))
		}
		h.RunUntil(2 * time.Minute)
		var out []string
		for _, e := range h.Events() {
			line := fmt.Sprintf("%s %v", e.EventType(), e.TicketIDs())
			if s, ok := e.(*matchmaker.MatchmakingSucceeded); ok {
				line += fmt.Sprintf(" %v %s", h.Since(s.Time), s.MatchID)
			}
			out = append(out, line)
		}
		return out
	}
	first := run(1)
	require.NotEmpty(t, first)
	assert.Equal(t, first, run(1))
	assert.NotEqual(t, first, run(2), "match IDs come from the seeded source")
}

func TestHarnessQueueReportsRefusal(t *testing.T) {
	tb := newFakeTB(t)
	h := matchmakertest.New(tb, matchmaker.Config{RuleSet: matchmakertest.RuleSet(t, duel)})
	err := h.Queue(
		matchmakertest.Solo("ann", matchmakertest.Attrs{"skill": 1000}),
		matchmakertest.Solo("bob", matchmakertest.Attrs{"skill": "high"}),
		matchmakertest.Solo("cat", matchmakertest.Attrs{"skill": 1000}),
	)
	var ve *matchmaker.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Contains(t, tb.messages(), `queue ticket "bob"`)
	assert.Equal(t, matchmaker.StatusQueued, h.Status("ann"))
	assert.Empty(t, h.Status("cat"), "Queue stops at the first refusal")
}

func TestNewFailsTheTestOnABadConfig(t *testing.T) {
	tb := newFakeTB(t)
	returned := tb.run(func(tb testing.TB) { matchmakertest.New(tb, matchmaker.Config{}) })
	assert.False(t, returned, "New must stop the test")
	assert.Contains(t, tb.messages(), "RuleSet")
}

func TestHarnessClose(t *testing.T) {
	h, err := matchmakertest.NewHarness(matchmaker.Config{RuleSet: matchmakertest.RuleSet(t, duel)})
	require.NoError(t, err)
	h.Queue(matchmakertest.Solo("ann", matchmakertest.Attrs{"skill": 1000}))
	h.Step()
	h.Close()
	h.Close()
	assert.Equal(t, matchmaker.StatusCancelled, h.StatusAt("ann", 0), "Close's cancellations are recorded")
	assert.True(t, errors.Is(h.Err(), matchmaker.ErrClosed))
	assert.PanicsWithValue(t, "matchmakertest: Harness used after Close", h.Step)
}

func TestWithMatchmakerOptions(t *testing.T) {
	h := newDuel(t, matchmakertest.WithMatchmakerOptions(matchmaker.WithTicketRetention(time.Second)))
	h.Queue(matchmakertest.Solo("ann", matchmakertest.Attrs{"skill": 1000}))
	h.AssertTimedOutBy(t, time.Minute, "ann")
	h.Advance(2 * time.Second)
	assert.Empty(t, h.Status("ann"), "the Matchmaker forgot the ticket after its retention")
	assert.Equal(t, matchmaker.StatusTimedOut, h.StatusAt("ann", time.Hour), "the record keeps it")
}

package matchmaker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type reportLog []TickReport

func (l *reportLog) ObserveTick(r TickReport) { *l = append(*l, r) }

func TestObserverSeesEveryTick(t *testing.T) {
	var log reportLog
	h := newHarness(t, "testdata/rulesets/gomoku.json", Config{}, WithObserver(&log))
	h.start("a", gomoku("pa", 1000))
	h.tick(0)
	h.start("b", gomoku("pb", 1100))
	h.start("far", gomoku("pf", 5000))
	h.start("farther", gomoku("pff", 9000))
	h.tick(4)
	require.Len(t, log, 2)
	first, second := log[0], log[1]
	assert.Equal(t, t0, first.Time)
	assert.Equal(t, 0, first.MatchesFormed)
	assert.Equal(t, 1, first.Tickets[StatusSearching])
	assert.Equal(t, 1, second.MatchesFormed)
	assert.Equal(t, []time.Duration{4 * time.Second, 4 * time.Second}, second.Waits)
	assert.Equal(t, []float64{100}, second.SkillSpreads)
	assert.Equal(t, 2, second.Tickets[StatusSearching], "far and farther are still searching")
	assert.Positive(t, second.AnchorsSearched)
	assert.Positive(t, second.Rejections["FairTeamSkill"], "far and farther are too far apart")
	assert.Positive(t, second.Duration)
}

package sim

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/seed-04d22514/matchmaker"
	"github.com/seed-04d22514/matchmaker/internal/ruleset"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func solo(id string, skill float64) Arrival {
	return Arrival{Skills: []float64{skill}, Ticket: matchmaker.StartMatchmakingInput{TicketID: id, Players: []matchmaker.Player{{
		PlayerID: id, Attributes: matchmaker.Attributes{"skill": matchmaker.NumberValue(skill)},
		LatencyInMs: matchmaker.Latencies{"eu-west-1": 20}}}}}
}

func parseInternal(t *testing.T, rs RuleSet) *ruleset.RuleSet {
	t.Helper()
	irs, problems := ruleset.Parse(rs.Data)
	require.Empty(t, problems)
	return irs
}

// TestExhaustiveOnALine: four players 10 apart; 1v1 allows partners up to 50 apart at age 0.
// The best two matches pair neighbours (spread 10 + 10); one match, the closest pair.
func TestExhaustiveOnALine(t *testing.T) {
	rs := builtinRules(t, "1v1")
	pool := []Arrival{solo("a", 0), solo("b", 20), solo("c", 10), solo("d", 30)}
	b, err := exhaustive(parseInternal(t, rs), "skill", pool, 0)
	require.NoError(t, err)
	assert.Equal(t, 4.0, b.players)
	assert.Equal(t, []float64{0, 10, 20, math.Inf(1), math.Inf(1)}, b.spread)
	assert.Equal(t, b.spread, b.balance, "in 1v1 the team difference is the spread")

	// 200 apart: beyond FairSkill's 50 at age 0, within its 400 after 30 s.
	far := []Arrival{solo("a", 0), solo("b", 200)}
	b, err = exhaustive(parseInternal(t, rs), "skill", far, 0)
	require.NoError(t, err)
	assert.Equal(t, 0.0, b.players)
	b, err = exhaustive(parseInternal(t, rs), "skill", far, 30*time.Second)
	require.NoError(t, err)
	assert.Equal(t, 2.0, b.players)
}

// TestExhaustiveTeams: in 5v5, the best split of ten players puts the averages closest.
func TestExhaustiveTeams(t *testing.T) {
	rs := builtinRules(t, "5v5")
	var pool []Arrival
	for i := range 10 {
		a := solo(fmt.Sprint("p", i), 1400+float64(i)*20) // 1400..1580
		a.Ticket.Players[0].Attributes["roles"] = matchmaker.StringListValue("dps")
		pool = append(pool, a)
	}
	b, err := exhaustive(parseInternal(t, rs), "skill", pool, 0)
	require.NoError(t, err)
	assert.Equal(t, 10.0, b.players)
	assert.InDelta(t, 180, b.spread[1], 1e-9)
	assert.InDelta(t, 4, b.balance[1], 1e-9, "sums 7450 and 7450 are impossible with these values: 4 apart at best")
}

// TestEngineNeverBeatsTheSearch: on pools from every small population, the exhaustive search
// is at least as good as the engine in every figure, at age 0 and with every expansion in
// force; the engine's own matches are among those it considers.
func TestEngineNeverBeatsTheSearch(t *testing.T) {
	for _, name := range []string{"1v1", "1v1-sorted", "5v5", "5v5-sorted"} {
		pop := builtin(t, name[:3])
		rs := builtinRules(t, name)
		for _, age := range []time.Duration{0, 20 * time.Second, RelaxedAge(rs)} {
			q, err := MeasureQuality(pop, rs, 5, 3, 14, age)
			require.NoError(t, err, "%s at %v", name, age)
			assert.Empty(t, q.Skipped)
			for _, r := range []float64{q.MatchedRatio, q.SpreadRatio, q.SameTicketsRatio, q.BalanceRatio, q.SplitRatio} {
				assert.True(t, r == 0 || r >= 1-1e-9, "%s at %v: %+v", name, age, q)
			}
		}
	}
}

func TestQualitySkipped(t *testing.T) {
	q, err := MeasureQuality(builtin(t, "battle-royale"), builtinRules(t, "battle-royale"), 1, 2, 10, 0)
	require.NoError(t, err)
	assert.Equal(t, "matches of up to 60 players; the exhaustive search covers matches of up to 10", q.Skipped)
	assert.Equal(t, "not measured: "+q.Skipped, q.Text())
}

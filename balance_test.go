package matchmaker

import (
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// smallSorted returns a Matchmaker for the rule set in rules (JSON, or a file) and ten players
// as a sorted split of a 5v5: skills 1000, 1001, ... 1009, the five weakest on red. Tickets listed in parties
// hold that many players (each party's players of consecutive skills).
func smallSorted(tb testing.TB, rules string, parties ...int) (*Matchmaker, []member) {
	tb.Helper()
	data := []byte(rules)
	if rules[0] != '{' {
		var err error
		data, err = os.ReadFile(rules)
		require.NoError(tb, err)
	}
	m, err := New(Config{RuleSet: MustParseRuleSet(data)})
	require.NoError(tb, err)
	tb.Cleanup(func() { m.Close() })
	if len(parties) == 0 {
		parties = []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}
	}
	var members []member
	id, filled := 0, 0
	for _, size := range parties {
		members = append(members, member{t: largeTicket(m, &id, size), team: min(1, filled/5)})
		filled += size
	}
	return m, members
}

// TestBalanceSmallSplitsClosest: a sorted split (averages 1002 and 1007) becomes the closest
// split with the same sizes: whole sums of 45 between them, so 0.2 apart at best.
func TestBalanceSmallSplitsClosest(t *testing.T) {
	m, members := smallSorted(t, "testdata/rulesets/5v5.json")
	loadPotential(m, members)
	require.InDelta(t, 5, teamAverages(m)[1]-teamAverages(m)[0], 1e-9)
	m.balanceSmall(t0)
	avg := teamAverages(m)
	assert.InDelta(t, 0.2, abs(avg[1]-avg[0]), 1e-9, "averages %v", avg)
	assert.Len(t, m.pm.teams[0], 5)
	assert.Len(t, m.pm.teams[1], 5)
}

// TestBalanceSmallKeepsParties: parties stay whole and team sizes stay, however the split
// changes.
func TestBalanceSmallKeepsParties(t *testing.T) {
	m, members := smallSorted(t, "testdata/rulesets/5v5.json", 3, 2, 2, 1, 1, 1)
	loadPotential(m, members)
	before := teamAverages(m)
	m.balanceSmall(t0)
	after := teamAverages(m)
	assert.Less(t, abs(after[1]-after[0]), abs(before[1]-before[0]))
	assert.Len(t, m.pm.teams[0], 5)
	assert.Len(t, m.pm.teams[1], 5)
	for _, mb := range m.pm.members {
		for j := range mb.t.players {
			assert.Contains(t, m.pm.teams[mb.team], &mb.t.players[j], "party %s on one team", mb.t.id)
		}
	}
}

// TestBalanceSmallKeepsRules: when every closer split breaks a rule (here red's average must
// stay below 1003), the match keeps the teams it was filled with; with fillOrderTeams it is
// not balanced at all.
func TestBalanceSmallKeepsRules(t *testing.T) {
	const redLow = `{"ruleLanguageVersion": "1.0", "playerAttributes": [{"name": "skill", "type": "number"}],
	  "teams": [{"name": "red", "minPlayers": 5, "maxPlayers": 5}, {"name": "blue", "minPlayers": 5, "maxPlayers": 5}],
	  "rules": [{"name": "RedLow", "type": "comparison", "operation": "<",
	    "measurements": ["avg(teams[red].players.attributes[skill])"], "referenceValue": 1003}]}`
	m, members := smallSorted(t, redLow)
	loadPotential(m, members)
	require.True(t, m.finalOK(t0))
	m.balanceSmall(t0)
	assert.Equal(t, [2]float64{1002, 1007}, teamAverages(m))

	m, members = smallSorted(t, "testdata/rulesets/5v5.json")
	m.opts.fillOrderTeams = true
	loadPotential(m, members)
	m.balanceSmall(t0)
	assert.Equal(t, [2]float64{1002, 1007}, teamAverages(m))
}

func abs(x float64) float64 { return max(x, -x) }

// BenchmarkBalanceSmallMatch measures balancing a 5v5 from a sorted split: the cost
// balanceSmall adds to each small match formed.
func BenchmarkBalanceSmallMatch(b *testing.B) {
	for _, c := range []struct {
		name    string
		parties []int
	}{{"10-solo", nil}, {"parties", []int{3, 2, 2, 1, 1, 1}}} {
		b.Run(c.name, func(b *testing.B) {
			m, members := smallSorted(b, "testdata/rulesets/5v5.json", c.parties...)
			b.ReportAllocs()
			for b.Loop() {
				loadPotential(m, members)
				m.balanceSmall(t0)
			}
		})
	}
}

// TestRepairPairings: four players of one age on a line of skills, 10 admitted first. Its
// anchor takes the nearest, 12, and leaves 0 with 30 (spreads 2 + 30); the repair pairs 0 with
// 10 and 12 with 30 (10 + 18). Without it (noRepair), the search's pairs stay.
func TestRepairPairings(t *testing.T) {
	rules := `{"ruleLanguageVersion": "1.0", "playerAttributes": [{"name": "skill", "type": "number"}],
	  "teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 1}, {"name": "blue", "minPlayers": 1, "maxPlayers": 1}],
	  "rules": [{"name": "Close", "type": "distance", "measurements": ["avg(teams[*].players.attributes[skill])"],
	    "referenceValue": "avg(flatten(teams[*].players.attributes[skill]))", "maxDistance": 20}]}`
	pairs := func(opts ...Option) map[string]string {
		m, err := New(Config{RuleSet: MustParseRuleSet([]byte(rules))}, opts...)
		require.NoError(t, err)
		defer m.Close()
		sub, err := m.Subscribe()
		require.NoError(t, err)
		for _, skill := range []float64{10, 12, 0, 30} {
			id := fmt.Sprint("s", skill)
			_, err := m.StartMatchmaking(StartMatchmakingInput{TicketID: id, Players: []Player{{PlayerID: id,
				Attributes: Attributes{"skill": NumberValue(skill)}}}})
			require.NoError(t, err)
		}
		require.NoError(t, m.Tick(t0))
		out := map[string]string{}
		for e, ok := sub.TryNext(); ok; e, ok = sub.TryNext() {
			if s, ok := e.(*MatchmakingSucceeded); ok {
				require.Len(t, s.Tickets, 2)
				out[s.Tickets[0].TicketID], out[s.Tickets[1].TicketID] = s.Tickets[1].TicketID, s.Tickets[0].TicketID
			}
		}
		return out
	}
	assert.Equal(t, map[string]string{"s0": "s10", "s10": "s0", "s12": "s30", "s30": "s12"}, pairs())
	assert.Equal(t, map[string]string{"s10": "s12", "s12": "s10", "s0": "s30", "s30": "s0"}, pairs(func(o *options) { o.noRepair = true }))
}

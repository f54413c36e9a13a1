package matchmaker

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const large100v100 = `{"ruleLanguageVersion":"1.0","playerAttributes":[{"name":"skill","type":"number","default":1000}],
  "algorithm":{"strategy":"balanced","balancedAttribute":"skill"},
  "teams":[{"name":"red","minPlayers":100,"maxPlayers":100},{"name":"blue","minPlayers":100,"maxPlayers":100}],"rules":[]}`

// largeSorted returns a Matchmaker whose potential match holds 200 tickets (parties of one and
// some of two, three and five) as a sorted split: the 100 weakest players on red.
func largeSorted(tb testing.TB) (*Matchmaker, []member) {
	tb.Helper()
	m, err := New(Config{RuleSet: MustParseRuleSet([]byte(large100v100))})
	require.NoError(tb, err)
	tb.Cleanup(func() { m.Close() })
	var members []member
	id, filled := 0, [2]int{}
	for _, party := range []int{5, 3, 2, 5, 3, 2, 5, 3, 2, 5, 3, 2} { // 40 players in parties, half per team
		team := len(members) % 2
		members = append(members, member{t: largeTicket(m, &id, party), team: team})
		filled[team] += party
	}
	for team := range 2 {
		for filled[team] < 100 {
			members = append(members, member{t: largeTicket(m, &id, 1), team: team})
			filled[team]++
		}
	}
	return m, members
}

func largeTicket(m *Matchmaker, id *int, party int) *ticket {
	t := &ticket{id: fmt.Sprint("t", *id)}
	for range party {
		p := m.rs.NewPlayer(fmt.Sprint("p", *id))
		p.Nums[0] = 1000 + float64(*id) // red gets the low ids: a sorted split
		t.players = append(t.players, p)
		*id++
	}
	return t
}

func loadPotential(m *Matchmaker, members []member) {
	m.pm.reset()
	for _, mb := range members {
		m.pm.add(mb.t, mb.team)
	}
}

func teamAverages(m *Matchmaker) [2]float64 {
	var out [2]float64
	for team, ps := range m.pm.teams {
		for _, p := range ps {
			out[team] += p.Nums[0] / float64(len(ps))
		}
	}
	return out
}

// TestBalanceLargeMatch: 200 players with parties, as a sorted split, come out with team
// averages within a point, every team keeping its size and every party on one team.
func TestBalanceLargeMatch(t *testing.T) {
	m, members := largeSorted(t)
	loadPotential(m, members)
	before := teamAverages(m)
	require.Greater(t, before[1]-before[0], 50.0, "the fill is a sorted split")
	m.balanceTeams()
	after := teamAverages(m)
	assert.InDelta(t, after[0], after[1], 1, "team averages %v", after)
	assert.Len(t, m.pm.teams[0], 100)
	assert.Len(t, m.pm.teams[1], 100)
	for _, mb := range m.pm.members {
		team := -1
		for i, ps := range m.pm.teams {
			for _, p := range ps {
				if p == &mb.t.players[0] {
					team = i
				}
			}
		}
		for j := range mb.t.players {
			assert.Contains(t, m.pm.teams[team], &mb.t.players[j], "party %s on one team", mb.t.id)
		}
	}
}

// BenchmarkBalanceLargeMatch measures balancing a 200-player match from a sorted split.
func BenchmarkBalanceLargeMatch(b *testing.B) {
	m, members := largeSorted(b)
	b.ReportAllocs()
	for b.Loop() {
		loadPotential(m, members)
		m.balanceTeams()
	}
}

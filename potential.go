package matchmaker

// This file holds the potential match the search builds around an anchor: its players by team
// (what the rule-set evaluator reads, through ruleset.Match) and the tickets they came from.

import "github.com/seed-04d22514/matchmaker/internal/ruleset"

// potential is a match under construction: its players by team, and the tickets they came from
// in the order they were added. It implements ruleset.Match.
type potential struct {
	teams   [][]*player
	members []member
}

type member struct {
	t    *ticket
	team int   // the team of every player of a matchmaking ticket; -1 for a backfill roster
	pos  int32 // the ticket's position in the pool order
}

func newPotential(rs *ruleset.RuleSet) *potential {
	pm := &potential{teams: make([][]*player, rs.TeamCount())}
	for i := range pm.teams {
		_, most := rs.TeamSizes(i)
		pm.teams[i] = make([]*player, 0, most)
	}
	return pm
}

// TeamSize implements ruleset.Match.
func (pm *potential) TeamSize(team int) int { return len(pm.teams[team]) }

// Player implements ruleset.Match.
func (pm *potential) Player(team, i int) *ruleset.Player { return pm.teams[team][i] }

func (pm *potential) reset() {
	for i := range pm.teams {
		clear(pm.teams[i])
		pm.teams[i] = pm.teams[i][:0]
	}
	clear(pm.members)
	pm.members = pm.members[:0]
}

// add puts every player of t on team.
func (pm *potential) add(t *ticket, team int) {
	for i := range t.players {
		pm.teams[team] = append(pm.teams[team], &t.players[i])
	}
	pm.members = append(pm.members, member{t: t, team: team})
}

// addRoster puts a backfill ticket's players on the teams they already play for.
func (pm *potential) addRoster(t *ticket) {
	for i := range t.players {
		team := t.players[i].Team
		pm.teams[team] = append(pm.teams[team], &t.players[i])
	}
	pm.members = append(pm.members, member{t: t, team: -1})
}

// pop removes the most recently added ticket.
func (pm *potential) pop() {
	m := pm.members[len(pm.members)-1]
	pm.members = pm.members[:len(pm.members)-1]
	for i := len(m.t.players) - 1; i >= 0; i-- {
		team := m.team
		if team < 0 {
			team = int(m.t.players[i].Team)
		}
		pm.teams[team] = pm.teams[team][:len(pm.teams[team])-1]
	}
}

func (pm *potential) size() int {
	n := 0
	for _, t := range pm.teams {
		n += len(t)
	}
	return n
}

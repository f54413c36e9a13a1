package ruleset

// This file holds what the engine reads of a compiled rule set: teams, attributes and their
// storage slots, rules, the algorithm's choices, expansions, and the pool ordering.

import (
	"math"
	"slices"
	"time"

	"github.com/seed-04d22514/matchmaker/internal/ruleset/expr"
)

// Name returns the rule set's descriptive name, which may be empty.
func (rs *RuleSet) Name() string { return rs.name }

// MaxPlayers returns the most players a match can hold: the sum of every team's maximum.
func (rs *RuleSet) MaxPlayers() int { return rs.maxPlayers }

// Large reports whether the rule set describes large matches (more than 40 players).
func (rs *RuleSet) Large() bool { return rs.large }

// ---- teams

// TeamCount returns the number of teams of a match, quantities expanded.
func (rs *RuleSet) TeamCount() int { return len(rs.teams) }

// TeamName returns the (generated) name of team i.
func (rs *RuleSet) TeamName(i int) string { return rs.teams[i].name }

// TeamSizes returns team i's minimum and maximum before any expansion.
func (rs *RuleSet) TeamSizes(i int) (minPlayers, maxPlayers int) {
	t := rs.teams[i]
	return int(rs.base[t.minParam].n), int(rs.base[t.maxParam].n)
}

// TeamMaxEver returns the largest maximum team i reaches at any expansion step.
func (rs *RuleSet) TeamMaxEver(i int) int { return int(rs.loosest(rs.teams[i].maxParam)) }

// LargestTeam returns the largest maximum any team reaches at any expansion step.
func (rs *RuleSet) LargestTeam() int {
	best := 0
	for i := range rs.teams {
		best = max(best, rs.TeamMaxEver(i))
	}
	return best
}

// TeamIndex returns the team with the given (generated) name, or -1.
func (rs *RuleSet) TeamIndex(name string) int {
	for i, t := range rs.teams {
		if t.name == name {
			return i
		}
	}
	return -1
}

// ---- attributes

// Attr is one declared player attribute.
type Attr struct {
	Name       string
	Type       expr.AttrType
	Default    Value
	HasDefault bool
	// Slot is the attribute's index within the player storage of its type: Player.Nums for
	// numbers, PlayerMore.Strs, Lists or Maps for the others.
	Slot int
}

// AttrCount returns the number of declared attributes.
func (rs *RuleSet) AttrCount() int { return len(rs.attrs) }

// Attr returns declared attribute i, in declaration order.
func (rs *RuleSet) Attr(i int) Attr {
	a := rs.attrs[i]
	return Attr{Name: a.name, Type: a.typ, Default: a.def, HasDefault: a.hasDef, Slot: a.slot}
}

// NewPlayer returns a Player with storage for every declared attribute, no team and no
// latencies.
func (rs *RuleSet) NewPlayer(id string) Player {
	p := Player{ID: id, Team: -1, Nums: make([]float64, rs.slotCount[0])}
	if rs.slotCount[1]+rs.slotCount[2]+rs.slotCount[3] > 0 {
		p.More = &PlayerMore{Strs: make([]string, rs.slotCount[1]),
			Lists: make([][]string, rs.slotCount[2]), Maps: make([]map[string]float64, rs.slotCount[3])}
	}
	return p
}

// SlotCounts returns how many attributes of each storage kind a Player holds: the lengths of
// Nums, and of More's Strs, Lists and Maps (More is nil when the last three are all 0).
func (rs *RuleSet) SlotCounts() (nums, strs, lists, maps int) {
	return rs.slotCount[0], rs.slotCount[1], rs.slotCount[2], rs.slotCount[3]
}

// HasLatencyRule reports whether a latency rule needs every player's latencies.
func (rs *RuleSet) HasLatencyRule() bool { return len(rs.latency) > 0 }

// ---- rules

// RuleType names a kind of rule in the FlexMatch rule-set language.
type RuleType string

// The eight rule types.
const (
	RuleBatchDistance RuleType = "batchDistance"
	RuleComparison    RuleType = "comparison"
	RuleCollection    RuleType = "collection"
	RuleDistance      RuleType = "distance"
	RuleLatency       RuleType = "latency"
	RuleAbsoluteSort  RuleType = "absoluteSort"
	RuleDistanceSort  RuleType = "distanceSort"
	RuleCompound      RuleType = "compound"
)

// RuleCount returns the number of rules, in rule-set order; rule indices run below it.
func (rs *RuleSet) RuleCount() int { return len(rs.rules) }

// Rule returns the name and type of rule i.
func (rs *RuleSet) Rule(i int) (name string, typ RuleType) { return rs.rules[i].name, rs.rules[i].typ }

// RuleIndex returns the index of the rule with the given name, or -1.
func (rs *RuleSet) RuleIndex(name string) int {
	return slices.IndexFunc(rs.rules, func(r *rule) bool { return r.name == name })
}

// ---- algorithm

// AgeFromOldest reports whether expansions follow the oldest ticket of a potential match
// (expansionAgeSelection "oldest") rather than the newest.
func (rs *RuleSet) AgeFromOldest() bool { return rs.algo.ageSelection == "oldest" }

// BackfillPriority returns "high", "low" or "normal".
func (rs *RuleSet) BackfillPriority() string { return rs.algo.backfillPriority }

// BalancedSlot returns the number slot of the balanced attribute, or -1 without one.
func (rs *RuleSet) BalancedSlot() int {
	if rs.algo.balancedAttr < 0 {
		return -1
	}
	return rs.attrs[rs.algo.balancedAttr].slot
}

// ---- expansions

// NextStep returns the smallest expansion wait time strictly greater than age, or -1.
func (rs *RuleSet) NextStep(age time.Duration) time.Duration {
	next := time.Duration(-1)
	for i := range rs.expansions {
		for _, st := range rs.expansions[i].steps {
			if st.wait > age && (next < 0 || st.wait < next) {
				next = st.wait
			}
		}
	}
	return next
}

// ExpansionState is where one expansion stands at an age.
type ExpansionState struct {
	Target     string        // as written in the rule set
	Value      float64       // the value in force (numbers)
	StringVal  string        // the value in force (strings)
	NextStepIn time.Duration // until the next step; zero when none is left
}

// ExpansionsAt returns the state of every expansion at age, in rule-set order.
func (rs *RuleSet) ExpansionsAt(age time.Duration) []ExpansionState {
	params := rs.paramsAt(age, nil)
	var out []ExpansionState
	for _, e := range rs.expansions {
		st := ExpansionState{Target: e.target}
		if v := params[e.slots[0]]; v.isStr {
			st.StringVal = v.s
		} else {
			st.Value = v.n
		}
		for _, step := range e.steps {
			if step.wait > age {
				st.NextStepIn = step.wait - age
				break
			}
		}
		out = append(out, st)
	}
	return out
}

// MinPlayersEver returns the fewest players a match can have at any expansion step: the sum of
// each team's smallest minimum.
func (rs *RuleSet) MinPlayersEver() int {
	n := 0
	for _, t := range rs.teams {
		n += int(rs.extreme(t.minParam, false))
	}
	return n
}

// loosest returns the largest value a parameter takes at any expansion step.
func (rs *RuleSet) loosest(slot int) float64 { return rs.extreme(slot, true) }

// extreme returns the largest (or, with largest false, the smallest) value a parameter takes at
// any expansion step.
func (rs *RuleSet) extreme(slot int, largest bool) float64 {
	v := rs.base[slot].n
	for _, e := range rs.expansions {
		if slices.Contains(e.slots, slot) {
			for _, st := range e.steps {
				if largest {
					v = max(v, st.val.n)
				} else {
					v = min(v, st.val.n)
				}
			}
		}
	}
	return v
}

// ---- parties and the pool order

// OrderKey computes a party's position in the pool order: its average of the ordering
// attribute, and its value of the partitioning attribute (see chooseOrdering).
func (rs *RuleSet) OrderKey(party []Player) (float64, string) {
	var key float64
	var group string
	if rs.orderAttr >= 0 && len(party) > 0 {
		slot := rs.attrs[rs.orderAttr].slot
		for i := range party {
			key += party[i].Nums[slot]
		}
		key /= float64(len(party))
	}
	if rs.groupAttr >= 0 && len(party) > 0 {
		group = party[0].More.Strs[rs.attrs[rs.groupAttr].slot]
	}
	return key, group
}

// PartyProblems reports why a party's own players break a batchDistance rule at its most
// relaxed, so that such a ticket, which could never match, is refused at once.
func (rs *RuleSet) PartyProblems(party []Player) []string {
	var out []string
	for _, r := range rs.batches {
		a := rs.attrs[r.batchAttr]
		if a.typ == expr.AttrString {
			for i := range party[1:] {
				if party[i+1].More.Strs[a.slot] != party[0].More.Strs[a.slot] {
					out = append(out, "players have different values of "+quote(a.name)+", and rule "+quote(r.name)+" requires every player of a match to share one")
					break
				}
			}
			continue
		}
		lo, hi := math.Inf(1), math.Inf(-1)
		for i := range party {
			lo, hi = min(lo, party[i].Nums[a.slot]), max(hi, party[i].Nums[a.slot])
		}
		if limit := rs.loosest(r.maxDist); hi-lo > limit+tolerance {
			out = append(out, "players' "+quote(a.name)+" values span "+formatFloat(hi-lo)+", more than rule "+quote(r.name)+" ever allows ("+formatFloat(limit)+")")
		}
	}
	return out
}

// ExpansionCount returns the number of expansions.
func (rs *RuleSet) ExpansionCount() int { return len(rs.expansions) }

// LastStep returns the wait time of expansion i's last step.
func (rs *RuleSet) LastStep(i int) time.Duration {
	st := rs.expansions[i].steps
	return st[len(st)-1].wait
}

// OrderSlot returns the number slot of the attribute that orders the pool (the one the rule
// set sorts, batches, balances or measures first), or -1.
func (rs *RuleSet) OrderSlot() int {
	if rs.orderAttr < 0 || rs.attrs[rs.orderAttr].typ != expr.AttrNumber {
		return -1
	}
	return rs.attrs[rs.orderAttr].slot
}

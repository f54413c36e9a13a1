package ruleset

// This file holds the direction of each rule: which way its verdict can move as players join a
// potential match. Partial mode (while tickets are added, spec §e.2.1) may reject a placement
// only on a failure that joining players cannot undo; the rest is left to final mode and to the
// search's backtracking.

import "github.com/seed-04d22514/matchmaker/internal/ruleset/expr"

// Direction says which way a rule's verdict can move as players join a potential match.
type Direction uint8

// Directions.
const (
	// Either: the verdict can move both ways; partial mode neither rejects on a failure nor
	// counts on a pass.
	Either Direction = iota
	// Falling: a failure is final, a pass may still turn into a failure. Partial mode rejects
	// on a failure.
	Falling
	// Rising: a pass is final, a failure may still turn into a pass (a minimum still to reach).
	Rising
	// Final: decided only on the final composition (rules that count players).
	Final
)

func (d Direction) String() string {
	return [...]string{"either", "falling", "rising", "final"}[d]
}

// classifyRules sets every rule's direction. It runs after expansions are compiled.
func (rs *RuleSet) classifyRules() {
	expanded := map[int]bool{}
	for _, e := range rs.expansions {
		for _, s := range e.slots {
			expanded[s] = true
		}
	}
	for _, r := range rs.rules {
		r.dir = rs.direction(r)
		if r.typ == RuleCompound {
			continue
		}
		// A step of an expansion can move a bound as players join: with the newest ticket's
		// age in force (the default), a younger joiner brings back a stricter step, which can
		// undo a pass; with the oldest's, an older joiner relaxes it, which can undo a failure
		// of an exact (not heuristic) falling rule.
		if rs.expandsRule(r, expanded) {
			switch {
			case r.dir == Rising && !rs.AgeFromOldest():
				r.dir = Either
			case r.dir == Falling && r.exactFall && rs.AgeFromOldest():
				r.dir = Either
			}
		}
	}
}

// Direction returns the direction of rule i, for tests and explanations.
func (rs *RuleSet) Direction(i int) Direction { return rs.rules[i].dir }

func (rs *RuleSet) expandsRule(r *rule, expanded map[int]bool) bool {
	for _, s := range []int{r.minDist, r.maxDist, r.minCount, r.maxCount, r.maxLatency, r.latDistance, r.refParam, r.distRefParam} {
		if s >= 0 && expanded[s] {
			return true
		}
	}
	return false
}

// perPlayer reports whether every measurement is a list of the players' own values, to which
// joining players only add.
func perPlayer(r *rule) bool {
	for _, e := range r.meas {
		if e.Trend() != expr.TrendPerPlayer {
			return false
		}
	}
	return len(r.meas) > 0
}

// direction derives a rule's direction from its type, bounds and measurements. A condition on
// each player's own values (every value within a distance, every value equal) only ever gains
// values to check, so it falls exactly. A condition on aggregates (team averages) can move
// both ways; for an upper bound on them (maxDistance, <, <=, =) partial mode still rejects, as
// FlexMatch documents ("calculates the averages; if the rule fails, the prospective player is
// not added"), while a lower bound (minDistance, >, >=, !=) typically starts failing and is
// left to final mode ("minDistance would achieve the opposite result", spec §b.3).
func (rs *RuleSet) direction(r *rule) Direction {
	r.exactFall = false
	exact := func() Direction { r.exactFall = true; return Falling }
	if r.deferCount && r.typ != RuleCompound {
		return Final
	}
	switch r.typ {
	case RuleLatency:
		if r.latDistance >= 0 && r.distRef == "avg" {
			return Falling // the average moves: a joining player can bring others back within reach
		}
		return exact() // the acceptable regions only shrink (the minimum only falls)
	case RuleBatchDistance:
		return exact() // the spread only widens
	case RuleComparison:
		constRef := r.ref == nil
		switch {
		case perPlayer(r) && (constRef || r.op == "=" || r.op == "!="):
			if !constRef { // values against an expression of the match: the reference moves
				return Either
			}
			return exact()
		case r.op == "<" || r.op == "<=" || r.op == "=":
			return Falling
		}
		return Either
	case RuleDistance:
		switch {
		case perPlayer(r) && r.ref == nil:
			return exact()
		case r.minDist < 0:
			return Falling
		}
		return Either
	case RuleCollection:
		lo, hi := r.minCount >= 0, r.maxCount >= 0
		switch r.collOp {
		case "intersection": // joining sets only shrink the intersection
			return bounds(lo, hi, Falling, Rising)
		case "contains": // joining sets only raise the count
			return bounds(lo, hi, Rising, Falling)
		}
		if perPlayer(r) && r.ref == nil { // each player's own list against a fixed list
			return exact()
		}
		return Either
	case RuleCompound:
		return r.stmt.direction()
	}
	return Either
}

// bounds combines a collection rule's bounds: the direction of its minimum alone, of its
// maximum alone, or Either with both (a pass can be undone either way).
func bounds(lo, hi bool, ofMin, ofMax Direction) Direction {
	switch {
	case lo && hi:
		return Either
	case lo:
		return ofMin
	case hi:
		return ofMax
	}
	return Falling // no bound: always passes
}

// direction of a compound node: not swaps falling and rising; and/or keep a direction all
// their arguments share; xor, or mixed arguments, can move either way.
func (n *cnode) direction() Direction {
	if n.rule != nil {
		return n.rule.dir
	}
	switch n.op {
	case "not":
		switch d := n.args[0].direction(); d {
		case Falling:
			return Rising
		case Rising:
			return Falling
		default:
			return d
		}
	case "and", "or":
		d := n.args[0].direction()
		for _, a := range n.args[1:] {
			if a.direction() != d {
				return Either
			}
		}
		return d
	}
	return Either
}

package matchmaker

// This file evaluates a compiled rule set against a potential match. Rules are checked in two
// modes (spec §e.2.1): partial, while tickets are being added, where a value that cannot be known
// yet (an aggregate over a still-empty team, a team-size rule) does not reject; and final, before
// a match is emitted, where every rule must pass outright. Evaluation reuses its buffers and
// allocates nothing in steady state.

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// verdict is a three-valued rule result, so that "not yet known" survives compound operators.
type verdict uint8

const (
	fail verdict = iota
	unknown
	pass
)

// potential is a match under construction: its players by team, and the tickets they came from
// in the order they were added.
type potential struct {
	rs      *RuleSet
	teams   [][]*player
	members []member
}

type member struct {
	t    *ticket
	team int   // the team of every player of a matchmaking ticket; -1 for a backfill roster
	pos  int32 // the ticket's position in the pool order
}

func newPotential(rs *RuleSet) *potential {
	pm := &potential{rs: rs, teams: make([][]*player, len(rs.teams))}
	for i := range pm.teams {
		pm.teams[i] = make([]*player, 0, int(rs.base[rs.teams[i].maxParam].n))
	}
	return pm
}

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
		team := t.players[i].teamIdx
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
			team = int(m.t.players[i].teamIdx)
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

// exprEnv

func (pm *potential) teamSize(team int) int       { return len(pm.teams[team]) }
func (pm *potential) playerID(team, i int) string { return pm.teams[team][i].id }
func (pm *potential) number(team, i, attr int) float64 {
	return pm.teams[team][i].nums[pm.rs.attrs[attr].slot]
}
func (pm *potential) str(team, i, attr int) string {
	return pm.teams[team][i].more.strs[pm.rs.attrs[attr].slot]
}
func (pm *potential) strList(team, i, attr int) []string {
	return pm.teams[team][i].more.lists[pm.rs.attrs[attr].slot]
}
func (pm *potential) strMap(team, i, attr int) map[string]float64 {
	return pm.teams[team][i].more.maps[pm.rs.attrs[attr].slot]
}

// checker evaluates rules; one per matchmaker, used only under its lock.
type checker struct {
	rs      *RuleSet
	ev      evaluator
	params  []param
	leaves  []scalar
	ref     []scalar
	sets    [][]string
	refSets [][]string
	common  []string
	failed  *rule // the rule that failed the last check, if any
}

func newChecker(rs *RuleSet) *checker { return &checker{rs: rs} }

// at sets the parameters in force for a potential match of expansion age age.
func (c *checker) at(age time.Duration) { c.params = c.rs.paramsAt(age, c.params) }

func (c *checker) num(slot int) float64 { return c.params[slot].n }

// sizesOK checks team sizes: never above maximum; in final mode, at least the minimum.
func (c *checker) sizesOK(pm *potential, final bool) bool {
	for i, t := range c.rs.teams {
		n := float64(len(pm.teams[i]))
		if n > c.params[t.maxParam].n || final && n < c.params[t.minParam].n {
			return false
		}
	}
	return true
}

// full reports whether every team is at its maximum.
func (c *checker) full(pm *potential) bool {
	for i, t := range c.rs.teams {
		if float64(len(pm.teams[i])) < c.params[t.maxParam].n {
			return false
		}
	}
	return true
}

// check evaluates every rule that decides on its own. In partial mode, unknown counts as pass.
func (c *checker) check(pm *potential, final bool) bool {
	c.failed = nil
	for _, r := range c.rs.checks {
		v := c.rule(pm, r, final)
		if v == fail || final && v != pass {
			c.failed = r
			return false
		}
	}
	return true
}

func (c *checker) rule(pm *potential, r *rule, final bool) verdict {
	if c.rs.large && r.typ != RuleLatency && r.typ != RuleBatchDistance {
		return pass
	}
	if !final && r.deferCount {
		return unknown
	}
	c.ev.reset()
	switch r.typ {
	case RuleBatchDistance:
		return c.batchDistance(pm, r)
	case RuleComparison:
		return c.comparison(pm, r, final)
	case RuleDistance:
		return c.distance(pm, r, final)
	case RuleCollection:
		return c.collection(pm, r, final)
	case RuleLatency:
		return c.latency(pm, r)
	case RuleCompound:
		return c.compound(pm, r.stmt, final)
	}
	return pass
}

// unsettled is the verdict for a value that cannot be computed yet.
func unsettled(final bool) verdict {
	if final {
		return fail
	}
	return unknown
}

func (c *checker) measure(pm *potential, r *rule) []scalar {
	c.leaves = c.leaves[:0]
	for _, e := range r.meas {
		c.leaves = c.ev.leaves(c.ev.eval(e, pm), c.leaves)
	}
	return c.leaves
}

// reference returns the rule's single reference value.
func (c *checker) reference(pm *potential, r *rule) scalar {
	if r.ref == nil {
		p := c.params[r.refParam]
		if p.isStr {
			return scalar{kind: valStr, str: p.s}
		}
		return scalar{kind: valNum, num: p.n}
	}
	c.ref = c.ev.leaves(c.ev.eval(r.ref, pm), c.ref[:0])
	if len(c.ref) != 1 {
		return scalar{kind: valUndef}
	}
	return c.ref[0]
}

// tolerance absorbs floating-point noise in averages and distances.
const tolerance = 1e-9

func (c *checker) comparison(pm *potential, r *rule, final bool) verdict {
	vals := c.measure(pm, r)
	out := pass
	if r.ref == nil && r.refParam < 0 {
		for i, a := range vals {
			if a.kind == valUndef {
				out = unsettled(final)
				continue
			}
			for _, b := range vals[i+1:] {
				if b.kind == valUndef {
					continue
				}
				if eq := sameScalar(a, b); r.op == "=" && !eq || r.op == "!=" && eq {
					return fail
				}
			}
		}
		return out
	}
	ref := c.reference(pm, r)
	if ref.kind == valUndef {
		return unsettled(final)
	}
	for _, v := range vals {
		if v.kind == valUndef {
			out = unsettled(final)
			continue
		}
		if !compare(v, r.op, ref) {
			return fail
		}
	}
	return out
}

func sameScalar(a, b scalar) bool {
	if a.kind != b.kind {
		return false
	}
	if a.kind == valStr {
		return a.str == b.str
	}
	return math.Abs(a.num-b.num) <= tolerance
}

func compare(v scalar, op string, ref scalar) bool {
	if v.kind != ref.kind {
		return op == "!="
	}
	var c int
	if v.kind == valStr {
		c = cmp.Compare(v.str, ref.str)
	} else if math.Abs(v.num-ref.num) > tolerance {
		c = cmp.Compare(v.num, ref.num)
	}
	switch op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case "=":
		return c == 0
	case "!=":
		return c != 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	}
	return false
}

func (c *checker) distance(pm *potential, r *rule, final bool) verdict {
	vals := c.measure(pm, r)
	ref := c.reference(pm, r)
	if ref.kind != valNum {
		return unsettled(final)
	}
	out := pass
	for _, v := range vals {
		if v.kind != valNum {
			out = unsettled(final)
			continue
		}
		d := math.Abs(v.num - ref.num)
		if r.maxDist >= 0 && d > c.num(r.maxDist)+tolerance || r.minDist >= 0 && d < c.num(r.minDist)-tolerance {
			return fail
		}
	}
	return out
}

func (c *checker) collection(pm *potential, r *rule, final bool) verdict {
	c.sets = c.sets[:0]
	for _, e := range r.meas {
		c.sets = c.ev.stringSets(c.ev.eval(e, pm), c.sets)
	}
	lo, hi := math.Inf(-1), math.Inf(1)
	if r.minCount >= 0 {
		lo = c.num(r.minCount)
	}
	if r.maxCount >= 0 {
		hi = c.num(r.maxCount)
	}
	out := c.collectionCounts(pm, r, final, lo, hi)
	if out == pass && c.ev.sawUndef { // a set over a still-empty team is not known yet
		return unsettled(final)
	}
	return out
}

// collectionCounts applies a collection rule's operation to the sets in c.sets.
func (c *checker) collectionCounts(pm *potential, r *rule, final bool, lo, hi float64) verdict {
	switch r.collOp {
	case "intersection":
		if len(c.sets) == 0 {
			return unsettled(final)
		}
		n := float64(c.intersect(c.sets))
		// Adding players can only shrink the intersection: too few is final, too many is not.
		if n < lo || final && n > hi {
			return fail
		}
		if n > hi {
			return unknown
		}
	case "contains":
		ref := c.reference(pm, r)
		n := 0.0
		for _, s := range c.sets {
			if slices.Contains(s, ref.str) {
				n++
			}
		}
		// Adding players can only raise the count: too many is final, too few is not.
		if n > hi || final && n < lo {
			return fail
		}
		if n < lo {
			return unknown
		}
	case "reference_intersection_count":
		ref := c.referenceSet(pm, r)
		for _, s := range c.sets {
			n := 0.0
			for _, v := range s {
				if slices.Contains(ref, v) {
					n++
				}
			}
			if n < lo || n > hi {
				return fail
			}
		}
	}
	return pass
}

// referenceSet returns a collection rule's reference as a list of strings.
func (c *checker) referenceSet(pm *potential, r *rule) []string {
	switch {
	case r.refList != nil:
		return r.refList
	case r.ref == nil:
		c.common = append(c.common[:0], c.params[r.refParam].s)
		return c.common
	}
	c.refSets = c.ev.stringSets(c.ev.eval(r.ref, pm), c.refSets[:0])
	c.common = c.common[:0]
	for _, s := range c.refSets {
		c.common = append(c.common, s...)
	}
	return c.common
}

// intersect returns how many distinct strings appear in every set.
func (c *checker) intersect(sets [][]string) int {
	n := 0
	for i, v := range sets[0] {
		if slices.Contains(sets[0][:i], v) {
			continue
		}
		in := true
		for _, s := range sets[1:] {
			if !slices.Contains(s, v) {
				in = false
				break
			}
		}
		if in {
			n++
		}
	}
	return n
}

// batchDistance: a number attribute must spread no wider than maxDistance across the match;
// a string attribute must be equal for every player.
func (c *checker) batchDistance(pm *potential, r *rule) verdict {
	a := c.rs.attrs[r.batchAttr]
	first := true
	var lo, hi float64
	var s string
	for _, team := range pm.teams {
		for _, p := range team {
			if a.typ == AttrString {
				if !first && p.more.strs[a.slot] != s {
					return fail
				}
				s = p.more.strs[a.slot]
			} else {
				v := p.nums[a.slot]
				if first {
					lo, hi = v, v
				}
				lo, hi = min(lo, v), max(hi, v)
			}
			first = false
		}
	}
	if a.typ == AttrNumber && hi-lo > c.num(r.maxDist)+tolerance {
		return fail
	}
	return pass
}

// latency: some region must be acceptable to every player of the match (spec §b.5).
func (c *checker) latency(pm *potential, r *rule) verdict {
	var first *player
	for _, team := range pm.teams {
		if len(team) > 0 {
			first = team[0]
			break
		}
	}
	if first == nil {
		return pass
	}
	for _, cand := range first.lat {
		if c.regionOK(pm, r, cand.region) {
			return pass
		}
	}
	return fail
}

func (c *checker) regionOK(pm *potential, r *rule, region int32) bool {
	maxLat := math.Inf(1)
	if r.maxLatency >= 0 {
		maxLat = c.num(r.maxLatency)
	}
	lo, sum, n := math.Inf(1), 0.0, 0
	for _, team := range pm.teams {
		for _, p := range team {
			ms, ok := p.latencyIn(region)
			if !ok || float64(ms) > maxLat {
				return false
			}
			lo, sum, n = min(lo, float64(ms)), sum+float64(ms), n+1
		}
	}
	if r.latDistance < 0 {
		return true
	}
	ref := lo
	switch r.distRef {
	case "avg":
		ref = sum / float64(n)
	case "number":
		ref = c.num(r.distRefParam)
	}
	limit := c.num(r.latDistance)
	for _, team := range pm.teams {
		for _, p := range team {
			ms, _ := p.latencyIn(region)
			if math.Abs(float64(ms)-ref) > limit+tolerance {
				return false
			}
		}
	}
	return true
}

// compound combines operand verdicts with three-valued logic.
func (c *checker) compound(pm *potential, n *cnode, final bool) verdict {
	if n.rule != nil {
		return c.rule(pm, n.rule, final)
	}
	switch n.op {
	case "not":
		return pass - c.compound(pm, n.args[0], final) // pass<->fail, unknown stays
	case "and":
		out := pass
		for _, a := range n.args {
			out = min(out, c.compound(pm, a, final))
		}
		return out
	case "or":
		out := fail
		for _, a := range n.args {
			out = max(out, c.compound(pm, a, final))
		}
		return out
	}
	// xor: exactly one argument true.
	trues, unknowns := 0, 0
	for _, a := range n.args {
		switch c.compound(pm, a, final) {
		case pass:
			trues++
		case unknown:
			unknowns++
		}
	}
	switch {
	case unknowns == 0 && trues == 1:
		return pass
	case trues > 1 || unknowns == 0:
		return fail
	}
	return unknown
}

package ruleset

// This file evaluates a compiled rule set against a potential match. Rules are checked in two
// modes (spec §e.2.1): partial, while tickets are being added, where a value that cannot be known
// yet (an aggregate over a still-empty team, a team-size rule) does not reject; and final, before
// a match is emitted, where every rule must Pass outright. Evaluation reuses its buffers and
// allocates nothing in steady state.

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/seed-04d22514/matchmaker/internal/ruleset/expr"
)

// Verdict is a three-valued rule result, so that "not yet known" survives compound operators.
type Verdict uint8

// Verdicts, ordered so that min is "and" and max is "or".
const (
	Fail Verdict = iota
	Unknown
	Pass
)

// String returns "Fail", "Unknown" or "Pass".
func (v Verdict) String() string { return [...]string{"fail", "unknown", "pass"}[v] }

// Player is one player's attribute values laid out for this rule set: numbers inline, the other
// attribute types (rarer, and bigger) behind one pointer. Slot indices come from Attr.Slot; the
// engine builds a Player once, at admission, with every declared attribute set (defaults
// applied).
type Player struct {
	ID   string
	Nums []float64
	More *PlayerMore     // nil when the rule set declares only numbers
	Lat  []RegionLatency // sorted by region
	// Team is the engine's: the player's team in a match or a backfill roster, -1 if none.
	Team int32
}

// PlayerMore holds a player's string, string list and string-number map attributes.
type PlayerMore struct {
	Strs  []string
	Lists [][]string
	Maps  []map[string]float64
}

// RegionLatency is a player's latency to one region; regions are interned by the engine.
type RegionLatency struct {
	Region int32
	Ms     int32
}

// LatencyIn returns the player's latency to region.
func (p *Player) LatencyIn(region int32) (int32, bool) {
	i, ok := slices.BinarySearchFunc(p.Lat, region, func(e RegionLatency, r int32) int { return int(e.Region - r) })
	if !ok {
		return 0, false
	}
	return p.Lat[i].Ms, true
}

// Match is a potential match as the evaluator reads it: players by team. The engine implements
// it over the tickets it is trying to combine.
type Match interface {
	// TeamSize returns how many players team (an index into RuleSet.TeamCount) holds.
	TeamSize(team int) int
	// Player returns player i of team; the evaluator only reads it.
	Player(team, i int) *Player
}

// env presents a Match to the expression evaluator.
type env struct {
	m  Match
	rs *RuleSet
}

func (e *env) TeamSize(team int) int       { return e.m.TeamSize(team) }
func (e *env) PlayerID(team, i int) string { return e.m.Player(team, i).ID }
func (e *env) Number(team, i, attr int) float64 {
	return e.m.Player(team, i).Nums[e.rs.attrs[attr].slot]
}
func (e *env) Str(team, i, attr int) string {
	return e.m.Player(team, i).More.Strs[e.rs.attrs[attr].slot]
}
func (e *env) StrList(team, i, attr int) []string {
	return e.m.Player(team, i).More.Lists[e.rs.attrs[attr].slot]
}
func (e *env) StrMap(team, i, attr int) map[string]float64 {
	return e.m.Player(team, i).More.Maps[e.rs.attrs[attr].slot]
}

// Checker evaluates a rule set's rules against potential matches. It reuses its buffers, so a
// warmed-up Checker allocates nothing. A Checker is not safe for concurrent use: the engine keeps
// one per Matchmaker and uses it under its lock.
type Checker struct {
	rs      *RuleSet
	env     env
	ev      expr.Evaluator
	params  []param
	leaves  []expr.Scalar
	ref     []expr.Scalar
	sets    [][]string
	refSets [][]string
	common  []string
	failed  *rule // the rule that failed the last check, if any
	exact   bool  // partial mode rejects only exact failures (see SetExact)
	// memo holds each rule's verdict in the current evaluation (memoGen[i] == gen), so a rule
	// that several compound statements refer to is evaluated once: nested compounds cost the
	// sum of their sizes, not the product.
	memo    []Verdict
	memoGen []uint32
	gen     uint32
}

// NewChecker returns a Checker for rs, with the parameters in force at age 0.
func NewChecker(rs *RuleSet) *Checker {
	c := &Checker{rs: rs, env: env{rs: rs}, memo: make([]Verdict, len(rs.rules)), memoGen: make([]uint32, len(rs.rules))}
	c.At(0)
	return c
}

// At sets the parameters in force for a potential match whose expansion age is age.
func (c *Checker) At(age time.Duration) { c.params = c.rs.paramsAt(age, c.params) }

func (c *Checker) num(slot int) float64 { return c.params[slot].n }

// Failed returns the index of the rule that failed the last Check or LargeRulesOK, if one did.
func (c *Checker) Failed() (rule int, ok bool) {
	if c.failed == nil {
		return -1, false
	}
	return c.failed.index, true
}

// TeamBounds returns team i's minimum and maximum in force (see At).
func (c *Checker) TeamBounds(i int) (lo, hi int) {
	t := c.rs.teams[i]
	return int(c.params[t.minParam].n), int(c.params[t.maxParam].n)
}

// SizesOK checks team sizes: never above maximum; in final mode, at least the minimum.
func (c *Checker) SizesOK(m Match, final bool) bool {
	for i, t := range c.rs.teams {
		n := float64(m.TeamSize(i))
		if n > c.params[t.maxParam].n || final && n < c.params[t.minParam].n {
			return false
		}
	}
	return true
}

// Full reports whether every team is at its maximum.
func (c *Checker) Full(m Match) bool {
	for i, t := range c.rs.teams {
		if float64(m.TeamSize(i)) < c.params[t.maxParam].n {
			return false
		}
	}
	return true
}

// Check evaluates every rule that decides on its own (not sorts, not compound operands). In
// partial mode a rule that cannot be decided yet passes; in final mode it fails.
func (c *Checker) Check(m Match, final bool) bool {
	c.failed = nil
	c.begin(m)
	for _, r := range c.rs.checks {
		if c.settlesUnknown(r, final, false) {
			continue
		}
		v := c.settle(r, c.rule(r, final), final)
		if v == Fail || final && v != Pass {
			c.failed = r
			return false
		}
	}
	return true
}

// settle turns a rule's verdict on a partial match into what joining players cannot change: a
// failure of a rule that is not Falling may still be undone, and a pass of a rule that is not
// Rising may still be lost, so both are Unknown. A compound's verdict is built from settled
// operands and is settled already; final mode is always settled.
func (c *Checker) settle(r *rule, v Verdict, final bool) Verdict {
	if final || r.typ == RuleCompound {
		return v
	}
	switch {
	case v == Fail && (r.dir != Falling || c.exact && !r.exactFall), v == Pass && r.dir != Rising && r.dir != Final:
		return Unknown
	}
	return v
}

// SetExact chooses what partial mode rejects. By default it rejects the failures FlexMatch's
// search rejects: a rule that can only fall, and an upper bound on aggregates such as team
// averages, which joining players could in fact bring back within bounds. With exact on, it
// rejects only failures no joining player can undo (a value beyond a fixed bound, a region
// every player cannot reach), as an exhaustive search needs to miss nothing.
func (c *Checker) SetExact(on bool) { c.exact = on }

// LargeRulesOK checks the rules a large match honours (latency and batchDistance) in partial
// mode.
func (c *Checker) LargeRulesOK(m Match) bool {
	c.failed = nil
	c.begin(m)
	for _, r := range c.rs.checks {
		if c.rule(r, false) == Fail {
			c.failed = r
			return false
		}
	}
	return true
}

// Rule evaluates the rule at index idx alone, for tests and explanations.
func (c *Checker) Rule(m Match, idx int, final bool) Verdict {
	c.begin(m)
	return c.rule(c.rs.rules[idx], final)
}

// begin starts one evaluation of m: earlier verdicts no longer apply.
func (c *Checker) begin(m Match) {
	c.env.m = m
	if c.gen++; c.gen == 0 { // wrapped: forget every generation
		clear(c.memoGen)
		c.gen = 1
	}
}

// rule returns r's verdict, evaluating it at most once per evaluation.
func (c *Checker) rule(r *rule, final bool) Verdict {
	if c.memoGen[r.index] == c.gen {
		return c.memo[r.index]
	}
	v := c.evalRule(r, final)
	c.memo[r.index], c.memoGen[r.index] = v, c.gen
	return v
}

func (c *Checker) evalRule(r *rule, final bool) Verdict {
	if c.rs.large && r.typ != RuleLatency && r.typ != RuleBatchDistance {
		return Pass
	}
	if !final && r.deferCount {
		return Unknown
	}
	c.ev.Reset()
	switch r.typ {
	case RuleBatchDistance:
		return c.batchDistance(r)
	case RuleComparison:
		return c.comparison(r, final)
	case RuleDistance:
		return c.distance(r, final)
	case RuleCollection:
		return c.collection(r, final)
	case RuleLatency:
		return c.latency(r)
	case RuleCompound:
		return c.compound(r.stmt, final)
	}
	return Pass
}

// unsettled is the Verdict for a value that cannot be computed yet.
func unsettled(final bool) Verdict {
	if final {
		return Fail
	}
	return Unknown
}

func (c *Checker) measure(r *rule) []expr.Scalar {
	c.leaves = c.leaves[:0]
	for _, e := range r.meas {
		c.leaves = c.ev.Leaves(c.ev.Eval(e, &c.env), c.leaves)
	}
	return c.leaves
}

// reference returns the rule's single reference value.
func (c *Checker) reference(r *rule) expr.Scalar {
	if r.ref == nil {
		p := c.params[r.refParam]
		if p.isStr {
			return expr.StrScalar(p.s)
		}
		return expr.NumScalar(p.n)
	}
	c.ref = c.ev.Leaves(c.ev.Eval(r.ref, &c.env), c.ref[:0])
	if len(c.ref) != 1 {
		return expr.UndefScalar()
	}
	return c.ref[0]
}

// tolerance absorbs floating-point noise in averages and distances.
const tolerance = 1e-9

func (c *Checker) comparison(r *rule, final bool) Verdict {
	vals := c.measure(r)
	out := Pass
	if r.ref == nil && r.refParam < 0 {
		for i, a := range vals {
			if a.Kind() == expr.KindUndef {
				out = unsettled(final)
				continue
			}
			for _, b := range vals[i+1:] {
				if b.Kind() == expr.KindUndef {
					continue
				}
				if eq := sameScalar(a, b); r.op == "=" && !eq || r.op == "!=" && eq {
					return Fail
				}
			}
		}
		return out
	}
	ref := c.reference(r)
	if ref.Kind() == expr.KindUndef {
		return unsettled(final)
	}
	for _, v := range vals {
		if v.Kind() == expr.KindUndef {
			out = unsettled(final)
			continue
		}
		if !compare(v, r.op, ref) {
			return Fail
		}
	}
	return out
}

func sameScalar(a, b expr.Scalar) bool {
	if a.Kind() != b.Kind() {
		return false
	}
	if a.Kind() == expr.KindStr {
		return a.Str() == b.Str()
	}
	return math.Abs(a.Num()-b.Num()) <= tolerance
}

func compare(v expr.Scalar, op string, ref expr.Scalar) bool {
	if v.Kind() != ref.Kind() {
		return op == "!="
	}
	var c int
	if v.Kind() == expr.KindStr {
		c = cmp.Compare(v.Str(), ref.Str())
	} else if math.Abs(v.Num()-ref.Num()) > tolerance {
		c = cmp.Compare(v.Num(), ref.Num())
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

func (c *Checker) distance(r *rule, final bool) Verdict {
	vals := c.measure(r)
	ref := c.reference(r)
	if ref.Kind() != expr.KindNum {
		return unsettled(final)
	}
	out := Pass
	for _, v := range vals {
		if v.Kind() != expr.KindNum {
			out = unsettled(final)
			continue
		}
		d := math.Abs(v.Num() - ref.Num())
		if r.maxDist >= 0 && d > c.num(r.maxDist)+tolerance || r.minDist >= 0 && d < c.num(r.minDist)-tolerance {
			return Fail
		}
	}
	return out
}

func (c *Checker) collection(r *rule, final bool) Verdict {
	c.sets = c.sets[:0]
	for _, e := range r.meas {
		c.sets = c.ev.StringSets(c.ev.Eval(e, &c.env), c.sets)
	}
	lo, hi := math.Inf(-1), math.Inf(1)
	if r.minCount >= 0 {
		lo = c.num(r.minCount)
	}
	if r.maxCount >= 0 {
		hi = c.num(r.maxCount)
	}
	out := c.collectionCounts(r, final, lo, hi)
	if out == Pass && c.ev.SawUndef() { // a set over a still-empty team is not known yet
		return unsettled(final)
	}
	return out
}

// collectionCounts applies a collection rule's operation to the sets in c.sets.
func (c *Checker) collectionCounts(r *rule, final bool, lo, hi float64) Verdict {
	switch r.collOp {
	case "intersection":
		if len(c.sets) == 0 {
			return unsettled(final)
		}
		n := float64(c.intersect(c.sets))
		// Adding players can only shrink the intersection: too few is final, too many is not.
		if n < lo || final && n > hi {
			return Fail
		}
		if n > hi {
			return Unknown
		}
	case "contains":
		ref := c.reference(r)
		n := 0.0
		for _, s := range c.sets {
			if slices.Contains(s, ref.Str()) {
				n++
			}
		}
		// Adding players can only raise the count: too many is final, too few is not.
		if n > hi || final && n < lo {
			return Fail
		}
		if n < lo {
			return Unknown
		}
	case "reference_intersection_count":
		// Each measured list is a set (spec §b.4: count = |Lᵢ ∩ R|): a value repeated in it, such
		// as the same string attribute of two players of a team, counts once, as it does in the
		// intersection operation.
		ref := c.referenceSet(r)
		for _, s := range c.sets {
			n := 0.0
			for i, v := range s {
				if slices.Contains(ref, v) && !slices.Contains(s[:i], v) {
					n++
				}
			}
			if n < lo || n > hi {
				return Fail
			}
		}
	}
	return Pass
}

// referenceSet returns a collection rule's reference as a list of strings.
func (c *Checker) referenceSet(r *rule) []string {
	switch {
	case r.refList != nil:
		return r.refList
	case r.ref == nil:
		c.common = append(c.common[:0], c.params[r.refParam].s)
		return c.common
	}
	c.refSets = c.ev.StringSets(c.ev.Eval(r.ref, &c.env), c.refSets[:0])
	c.common = c.common[:0]
	for _, s := range c.refSets {
		c.common = append(c.common, s...)
	}
	return c.common
}

// intersect returns how many distinct strings appear in every set.
func (c *Checker) intersect(sets [][]string) int {
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
func (c *Checker) batchDistance(r *rule) Verdict {
	a := c.rs.attrs[r.batchAttr]
	m := c.env.m
	first := true
	var lo, hi float64
	var s string
	for team := range c.rs.teams {
		for i := range m.TeamSize(team) {
			p := m.Player(team, i)
			if a.typ == expr.AttrString {
				if !first && p.More.Strs[a.slot] != s {
					return Fail
				}
				s = p.More.Strs[a.slot]
			} else {
				v := p.Nums[a.slot]
				if first {
					lo, hi = v, v
				}
				lo, hi = min(lo, v), max(hi, v)
			}
			first = false
		}
	}
	if a.typ == expr.AttrNumber && hi-lo > c.num(r.maxDist)+tolerance {
		return Fail
	}
	return Pass
}

// FirstPlayer returns the first player of the first team that has one, or nil for an empty
// match.
func (rs *RuleSet) FirstPlayer(m Match) *Player {
	for team := range rs.teams {
		if m.TeamSize(team) > 0 {
			return m.Player(team, 0)
		}
	}
	return nil
}

// latency: some region must be acceptable to every player of the match (spec §b.5).
func (c *Checker) latency(r *rule) Verdict {
	first := c.rs.FirstPlayer(c.env.m)
	if first == nil {
		return Pass
	}
	for _, cand := range first.Lat {
		if c.regionOK(r, cand.Region) {
			return Pass
		}
	}
	return Fail
}

// RegionOK reports whether every latency rule that decides on its own (not a compound
// operand) accepts region for every player of m, with the parameters in force (see At). The
// engine suggests a match's region among those it accepts.
func (c *Checker) RegionOK(m Match, region int32) bool {
	c.env.m = m
	for _, r := range c.rs.latency {
		if !r.operand && !c.regionOK(r, region) {
			return false
		}
	}
	return true
}

func (c *Checker) regionOK(r *rule, region int32) bool {
	maxLat := math.Inf(1)
	if r.maxLatency >= 0 {
		maxLat = c.num(r.maxLatency)
	}
	m := c.env.m
	lo, sum, n := math.Inf(1), 0.0, 0
	for team := range c.rs.teams {
		for i := range m.TeamSize(team) {
			ms, ok := m.Player(team, i).LatencyIn(region)
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
	for team := range c.rs.teams {
		for i := range m.TeamSize(team) {
			ms, _ := m.Player(team, i).LatencyIn(region)
			if math.Abs(float64(ms)-ref) > limit+tolerance {
				return false
			}
		}
	}
	return true
}

// failsExactly reports whether a failure of r is one no joining player can undo.
func (r *rule) failsExactly() bool { return r.dir == Falling && r.exactFall }

// settlesUnknown reports whether, in exact partial mode, r's verdict would settle to Unknown
// whatever it is, so that it need not be evaluated: r cannot fail for good, and, where a pass
// counts too (a compound's operand), cannot pass for good either.
func (c *Checker) settlesUnknown(r *rule, final, passCounts bool) bool {
	if final || !c.exact || r.typ == RuleCompound || r.failsExactly() {
		return false
	}
	return !passCounts || r.dir != Rising && r.dir != Final
}

// compound combines operand verdicts with three-valued logic.
func (c *Checker) compound(n *cnode, final bool) Verdict {
	if n.rule != nil && c.settlesUnknown(n.rule, final, true) {
		return Unknown
	}
	if n.rule != nil {
		return c.settle(n.rule, c.rule(n.rule, final), final)
	}
	switch n.op {
	case "not":
		return Pass - c.compound(n.args[0], final) // Pass<->Fail, Unknown stays
	case "and":
		out := Pass
		for _, a := range n.args {
			out = min(out, c.compound(a, final))
		}
		return out
	case "or":
		out := Fail
		for _, a := range n.args {
			out = max(out, c.compound(a, final))
		}
		return out
	}
	// xor: exactly one argument true.
	trues, unknowns := 0, 0
	for _, a := range n.args {
		switch c.compound(a, final) {
		case Pass:
			trues++
		case Unknown:
			unknowns++
		}
	}
	switch {
	case unknowns == 0 && trues == 1:
		return Pass
	case trues > 1 || unknowns == 0:
		return Fail
	}
	return Unknown
}

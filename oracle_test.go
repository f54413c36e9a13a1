package matchmaker

// This file holds the oracle: a deliberately simple reference evaluator of the FlexMatch rule
// language, used only by tests to check invariant 4 (DESIGN.md §7: every match satisfies the
// rule set as relaxed at the moment it formed). It shares no code with internal/ruleset: it reads
// the rule-set JSON itself with encoding/json into maps, applies the expansions in force at an
// age, and interprets property expressions recursively over plain Go values, in final mode only
// (spec §e.2.1): there is no partial mode, no compilation and no caching, so it is slow and easy
// to read against the spec.
//
// Supported subset (what the rule sets under testdata/rulesets use):
//   - Rule-set JSON without comments; numbers as JSON numbers or numeric strings; measurements
//     as a string or a list of strings.
//   - Teams with quantity (generated names "<name>_<n>"); expansions of rules[<name>].<property>
//     and teams[<a>, <b>].minPlayers / maxPlayers (a definition name expands all its teams,
//     "*" every team); expansionAgeSelection is read by the caller (oracleRuleSet.oldest).
//   - Rules: batchDistance (number: spread at most maxDistance; string: all equal), comparison
//     (with a reference: every measured value; without: "=" all equal, "!=" pairwise distinct),
//     distance (minDistance / maxDistance from a single reference number), collection
//     (intersection, contains, reference_intersection_count, with minCount / maxCount
//     inclusive; measurements read as a list of string sets, each compared as a set), latency
//     (some region acceptable to every player: latency <= maxLatency, and with maxDistance every
//     player within it of the region's min, avg or a fixed distanceReference), absoluteSort and
//     distanceSort (never reject), compound (and, or with two or more arguments, not with one,
//     xor: exactly one argument true). Rules that are compound operands count only through
//     their compound rule. A large rule set (more than 40 players) honours only latency and
//     batchDistance rules. Every team must hold between its minimum and maximum.
//   - Expressions: teams[*], teams[name], teams[a,b] (team[...] too), .players,
//     .players[playerId], .players.attributes[name] for the four attribute types; functions
//     min, max, avg, median, sum, count, stddev, flatten, set_intersection, lifted over nested
//     lists by the expression's static depth (spec §b.10).
//   - The package's documented decisions where FlexMatch is silent (doc.go, "Where FlexMatch is
//     unspecified"): population stddev; median of an even count is the mean of the middle two;
//     an aggregate over an empty list is undefined (count and sum give 0) and an undefined value
//     fails a rule; latency equal to maxLatency is acceptable; a string referenceValue is an
//     expression when it starts with teams[, team[ or a function name and "(".
//
// Numbers compare with an absolute tolerance of 1e-9, because the engine and the oracle may add
// the same values in different orders.

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seed-04d22514/matchmaker/internal/ruleset"
	"github.com/stretchr/testify/require"
)

// oracleRuleSet is a rule set as the oracle reads it.
type oracleRuleSet struct {
	attrs      map[string]oracleAttr
	attrNames  []string // in declaration order
	teams      []oracleTeam
	teamSel    map[string][]int // definition or generated team name → team indices
	rules      []map[string]any
	expansions []oracleExpansion
	oldest     bool // expansionAgeSelection "oldest"
	large      bool
}

type oracleAttr struct {
	typ    string
	def    any
	hasDef bool
}

type oracleTeam struct {
	name     string
	min, max float64
}

type oracleExpansion struct {
	component, names, prop string
	steps                  []oracleStep
}

type oracleStep struct {
	wait  time.Duration
	value any
}

// parseOracleRuleSet reads a rule set's JSON. It fails on anything outside the oracle's subset
// that it would otherwise misread.
func parseOracleRuleSet(data []byte) (*oracleRuleSet, error) {
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("oracle: rule set: %w", err)
	}
	o := &oracleRuleSet{attrs: map[string]oracleAttr{}, teamSel: map[string][]int{}}
	for _, a := range asList(raw["playerAttributes"]) {
		am := a.(map[string]any)
		name := am["name"].(string)
		def, has := am["default"]
		o.attrs[name] = oracleAttr{typ: am["type"].(string), def: def, hasDef: has}
		o.attrNames = append(o.attrNames, name)
	}
	total := 0.0
	for _, tv := range asList(raw["teams"]) {
		tm := tv.(map[string]any)
		name := tm["name"].(string)
		lo, _ := oracleNum(tm["minPlayers"])
		hi, _ := oracleNum(tm["maxPlayers"])
		q := 1.0
		if v, ok := tm["quantity"]; ok {
			q, _ = oracleNum(v)
		}
		for i := 1; i <= int(q); i++ {
			gen := name
			if q > 1 {
				gen = name + "_" + strconv.Itoa(i)
				o.teamSel[gen] = []int{len(o.teams)}
			}
			o.teamSel[name] = append(o.teamSel[name], len(o.teams))
			o.teams = append(o.teams, oracleTeam{name: gen, min: lo, max: hi})
		}
		total += hi * q
	}
	o.large = total > MaxSmallMatch
	for _, r := range asList(raw["rules"]) {
		o.rules = append(o.rules, r.(map[string]any))
	}
	if algo, ok := raw["algorithm"].(map[string]any); ok {
		o.oldest = algo["expansionAgeSelection"] == "oldest"
	}
	for _, ev := range asList(raw["expansions"]) {
		em := ev.(map[string]any)
		target := em["target"].(string)
		open, dot := strings.IndexByte(target, '['), strings.LastIndex(target, "].")
		if open < 0 || dot < open {
			return nil, fmt.Errorf("oracle: expansion target %q", target)
		}
		e := oracleExpansion{component: strings.TrimSpace(target[:open]), names: target[open+1 : dot], prop: target[dot+2:]}
		for _, sv := range asList(em["steps"]) {
			sm := sv.(map[string]any)
			w, _ := oracleNum(sm["waitTimeSeconds"])
			e.steps = append(e.steps, oracleStep{wait: time.Duration(w * float64(time.Second)), value: sm["value"]})
		}
		o.expansions = append(o.expansions, e)
	}
	return o, nil
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return nil
}

// oracleNum reads a JSON number, or a string holding one.
func oracleNum(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	return 0, false
}

// at returns the teams and rules in force for a potential match of the given expansion age:
// for each expansion, the value of its last step whose wait time has been reached.
func (o *oracleRuleSet) at(age time.Duration) ([]oracleTeam, []map[string]any) {
	teams := slices.Clone(o.teams)
	rules := make([]map[string]any, len(o.rules))
	for i, r := range o.rules {
		rules[i] = map[string]any{}
		for k, v := range r {
			rules[i][k] = v
		}
	}
	for _, e := range o.expansions {
		var val any
		found := false
		for _, st := range e.steps {
			if st.wait <= age {
				val, found = st.value, true
			}
		}
		if !found {
			continue
		}
		switch e.component {
		case "teams":
			n, _ := oracleNum(val)
			for _, name := range strings.Split(e.names, ",") {
				name = strings.TrimSpace(name)
				idx := o.teamSel[name]
				if name == "*" {
					idx = nil
					for i := range teams {
						idx = append(idx, i)
					}
				}
				for _, i := range idx {
					if e.prop == "minPlayers" {
						teams[i].min = n
					} else {
						teams[i].max = n
					}
				}
			}
		case "rules":
			for _, r := range rules {
				if r["name"] == strings.TrimSpace(e.names) {
					r[e.prop] = val
				}
			}
		}
	}
	return teams, rules
}

// oraclePlayer is one player of a match as the test submitted it.
type oraclePlayer struct {
	ID        string
	Attrs     Attributes
	Latencies Latencies
}

// oracleMatch is a formed match: each team's players, by team name.
type oracleMatch map[string][]oraclePlayer

// check evaluates a formed match in final mode at an expansion age and returns every violation
// it finds, each naming the rule or team; none means the match satisfies the rule set.
func (o *oracleRuleSet) check(m oracleMatch, age time.Duration) []string {
	teams, rules := o.at(age)
	var out []string
	known := map[string]bool{}
	seen := map[string]bool{}
	for _, t := range teams {
		known[t.name] = true
		n := float64(len(m[t.name]))
		if n < t.min || n > t.max {
			out = append(out, fmt.Sprintf("team %s has %v players, outside [%v, %v]", t.name, n, t.min, t.max))
		}
		for _, p := range m[t.name] {
			if seen[p.ID] {
				out = append(out, fmt.Sprintf("player %s is in the match twice", p.ID))
			}
			seen[p.ID] = true
		}
	}
	for name := range m {
		if !known[name] {
			out = append(out, fmt.Sprintf("team %q is not a team of the rule set", name))
		}
	}
	ev := &oracleEval{o: o, m: m, teams: teams, rules: rules}
	operands := map[string]bool{}
	for _, r := range rules {
		if r["type"] == "compound" {
			for _, name := range compoundNames(r["statement"].(string)) {
				operands[name] = true
			}
		}
	}
	for _, r := range rules {
		name, typ := r["name"].(string), r["type"].(string)
		if operands[name] || typ == "absoluteSort" || typ == "distanceSort" {
			continue
		}
		if o.large && typ != "latency" && typ != "batchDistance" {
			continue
		}
		if ok, why := ev.rule(r); !ok {
			out = append(out, fmt.Sprintf("rule %s (%s) fails: %s", name, typ, why))
		}
	}
	return out
}

// oracleEval evaluates rules and expressions against one match.
type oracleEval struct {
	o     *oracleRuleSet
	m     oracleMatch
	teams []oracleTeam
	rules []map[string]any
}

// undef is the value of an aggregate over an empty list, or over an undefined element.
type undef struct{}

const oracleTolerance = 1e-9

func (ev *oracleEval) players() []oraclePlayer {
	var out []oraclePlayer
	for _, t := range ev.teams {
		out = append(out, ev.m[t.name]...)
	}
	return out
}

// value returns a player's value of a declared attribute as a Go value (float64, string,
// []any of strings, or map[string]float64), the rule set's default when the player omitted it.
func (ev *oracleEval) value(p oraclePlayer, name string) any {
	a := ev.o.attrs[name]
	v, ok := p.Attrs[name]
	if !ok {
		switch a.typ {
		case "number":
			f, _ := oracleNum(a.def)
			return f
		case "string":
			return a.def.(string)
		case "string_list":
			return dedupe(asList(a.def))
		case "string_number_map":
			out := map[string]float64{}
			for k, x := range a.def.(map[string]any) {
				out[k], _ = oracleNum(x)
			}
			return out
		}
	}
	switch a.typ {
	case "number":
		return v.Number()
	case "string":
		return v.Str()
	case "string_list":
		var l []any
		for _, s := range v.StringList() {
			l = append(l, s)
		}
		return dedupe(l)
	}
	return v.StringNumberMap()
}

// dedupe keeps the first occurrence of each string: FlexMatch ignores repeated list entries.
func dedupe(l []any) []any {
	out := []any{}
	for _, x := range l {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func (ev *oracleEval) ruleNamed(name string) map[string]any {
	for _, r := range ev.rules {
		if r["name"] == name {
			return r
		}
	}
	panic("oracle: no rule " + name)
}

// rule evaluates one rule in final mode and says why it failed.
func (ev *oracleEval) rule(r map[string]any) (bool, string) {
	switch r["type"] {
	case "batchDistance":
		return ev.batchDistance(r)
	case "comparison":
		return ev.comparison(r)
	case "distance":
		return ev.distance(r)
	case "collection":
		return ev.collection(r)
	case "latency":
		return ev.latency(r)
	case "compound":
		ok := ev.compound(r["statement"].(string))
		return ok, "statement " + r["statement"].(string) + " is false"
	case "absoluteSort", "distanceSort":
		return true, ""
	}
	panic(fmt.Sprintf("oracle: rule type %v", r["type"]))
}

func (ev *oracleEval) batchDistance(r map[string]any) (bool, string) {
	attr := r["batchAttribute"].(string)
	var vals []any
	for _, p := range ev.players() {
		vals = append(vals, ev.value(p, attr))
	}
	if ev.o.attrs[attr].typ == "string" {
		for _, v := range vals {
			if v != vals[0] {
				return false, fmt.Sprintf("%s values differ: %v", attr, vals)
			}
		}
		return true, ""
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range vals {
		lo, hi = min(lo, v.(float64)), max(hi, v.(float64))
	}
	limit, _ := oracleNum(r["maxDistance"])
	if hi-lo > limit+oracleTolerance {
		return false, fmt.Sprintf("%s spreads %v, more than %v", attr, hi-lo, limit)
	}
	return true, ""
}

// measurements returns every scalar of every measurement, flattened completely.
func (ev *oracleEval) measurements(r map[string]any) []any {
	var out []any
	for _, src := range measurementSources(r) {
		v, _ := ev.eval(src)
		out = leaves(v, out)
	}
	return out
}

func measurementSources(r map[string]any) []string {
	if s, ok := r["measurements"].(string); ok {
		return []string{s}
	}
	var out []string
	for _, s := range asList(r["measurements"]) {
		out = append(out, s.(string))
	}
	return out
}

// leaves appends the scalars of v (numbers, strings, undefined), flattening lists completely.
func leaves(v any, out []any) []any {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			out = leaves(e, out)
		}
	case float64, string, undef:
		out = append(out, x)
	}
	return out
}

// isExpression says whether a string referenceValue is an expression rather than a literal.
func isExpression(s string) bool {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "teams[") || strings.HasPrefix(s, "team[") {
		return true
	}
	if i := strings.IndexByte(s, '('); i > 0 {
		return oracleFuncs[strings.TrimSpace(s[:i])]
	}
	return false
}

// reference returns a rule's reference as one scalar: a number, a string, or undef.
func (ev *oracleEval) reference(r map[string]any) any {
	switch x := r["referenceValue"].(type) {
	case float64:
		return x
	case string:
		if !isExpression(x) {
			return x
		}
		v, _ := ev.eval(x)
		ls := leaves(v, nil)
		if len(ls) != 1 {
			return undef{}
		}
		return ls[0]
	}
	panic(fmt.Sprintf("oracle: referenceValue %v", r["referenceValue"]))
}

func sameScalar(a, b any) bool {
	fa, okA := a.(float64)
	fb, okB := b.(float64)
	if okA && okB {
		return math.Abs(fa-fb) <= oracleTolerance
	}
	return a == b
}

func (ev *oracleEval) comparison(r map[string]any) (bool, string) {
	vals := ev.measurements(r)
	op := r["operation"].(string)
	for _, v := range vals {
		if _, bad := v.(undef); bad {
			return false, "a measured value is undefined"
		}
	}
	if _, hasRef := r["referenceValue"]; !hasRef {
		for i := range vals {
			for j := i + 1; j < len(vals); j++ {
				eq := sameScalar(vals[i], vals[j])
				if op == "=" && !eq || op == "!=" && eq {
					return false, fmt.Sprintf("values %v are not all %s", vals, map[string]string{"=": "equal", "!=": "different"}[op])
				}
			}
		}
		return true, ""
	}
	ref := ev.reference(r)
	if _, bad := ref.(undef); bad {
		return false, "the reference is undefined"
	}
	for _, v := range vals {
		if !compareScalars(v, op, ref) {
			return false, fmt.Sprintf("%v %s %v is false (values %v)", v, op, ref, vals)
		}
	}
	return true, ""
}

func compareScalars(v any, op string, ref any) bool {
	if sameScalar(v, ref) {
		return op == "=" || op == "<=" || op == ">="
	}
	fv, okV := v.(float64)
	fr, okR := ref.(float64)
	switch op {
	case "!=":
		return true
	case "=":
		return false
	}
	if !okV || !okR {
		panic("oracle: ordering compares numbers only")
	}
	switch op {
	case "<", "<=":
		return fv < fr
	case ">", ">=":
		return fv > fr
	}
	panic("oracle: operation " + op)
}

func (ev *oracleEval) distance(r map[string]any) (bool, string) {
	vals := ev.measurements(r)
	ref, ok := ev.reference(r).(float64)
	if !ok {
		return false, "the reference is not a number"
	}
	for _, v := range vals {
		f, ok := v.(float64)
		if !ok {
			return false, "a measured value is undefined"
		}
		d := math.Abs(f - ref)
		if hi, ok := oracleNum(r["maxDistance"]); ok && d > hi+oracleTolerance {
			return false, fmt.Sprintf("|%v - %v| = %v > maxDistance %v (values %v)", f, ref, d, hi, vals)
		}
		if lo, ok := oracleNum(r["minDistance"]); ok && d < lo-oracleTolerance {
			return false, fmt.Sprintf("|%v - %v| = %v < minDistance %v", f, ref, d, lo)
		}
	}
	return true, ""
}

// stringSets reads a value of the given static depth as a list of string sets: a string is a
// one-element set, a list of strings is one set, deeper lists hold several sets. It reports an
// undefined value met on the way.
func stringSets(v any, depth int, out [][]string) ([][]string, bool) {
	switch x := v.(type) {
	case undef:
		return out, false
	case string:
		return append(out, []string{x}), true
	case []any:
		if depth <= 1 {
			set := []string{}
			for _, e := range x {
				s, ok := e.(string)
				if !ok {
					return out, false
				}
				if !slices.Contains(set, s) {
					set = append(set, s)
				}
			}
			return append(out, set), true
		}
		ok := true
		for _, e := range x {
			var okE bool
			out, okE = stringSets(e, depth-1, out)
			ok = ok && okE
		}
		return out, ok
	}
	panic(fmt.Sprintf("oracle: not strings: %v", v))
}

func (ev *oracleEval) collection(r map[string]any) (bool, string) {
	var sets [][]string
	for _, src := range measurementSources(r) {
		v, depth := ev.eval(src)
		var ok bool
		if sets, ok = stringSets(v, depth, sets); !ok {
			return false, "a measured set is undefined"
		}
	}
	lo, hi := math.Inf(-1), math.Inf(1)
	if f, ok := oracleNum(r["minCount"]); ok {
		lo = f
	}
	if f, ok := oracleNum(r["maxCount"]); ok {
		hi = f
	}
	within := func(n int) bool { return float64(n) >= lo && float64(n) <= hi }
	switch r["operation"] {
	case "intersection":
		if len(sets) == 0 {
			return false, "no sets to intersect"
		}
		common := slices.Clone(sets[0])
		for _, s := range sets[1:] {
			common = slices.DeleteFunc(common, func(x string) bool { return !slices.Contains(s, x) })
		}
		if !within(len(common)) {
			return false, fmt.Sprintf("intersection %v of %v has %d values, outside [%v, %v]", common, sets, len(common), lo, hi)
		}
	case "contains":
		ref, ok := ev.reference(r).(string)
		if !ok {
			return false, "the reference is not a string"
		}
		n := 0
		for _, s := range sets {
			if slices.Contains(s, ref) {
				n++
			}
		}
		if !within(n) {
			return false, fmt.Sprintf("%d of %v contain %q, outside [%v, %v]", n, sets, ref, lo, hi)
		}
	case "reference_intersection_count":
		ref, ok := ev.referenceSet(r)
		if !ok {
			return false, "the reference set is undefined"
		}
		for _, s := range sets {
			n := 0
			for _, x := range s {
				if slices.Contains(ref, x) {
					n++
				}
			}
			if !within(n) {
				return false, fmt.Sprintf("%v shares %d values with %v, outside [%v, %v]", s, n, ref, lo, hi)
			}
		}
	default:
		panic(fmt.Sprintf("oracle: collection operation %v", r["operation"]))
	}
	return true, ""
}

// referenceSet returns a collection rule's reference as a set of strings.
func (ev *oracleEval) referenceSet(r map[string]any) ([]string, bool) {
	switch x := r["referenceValue"].(type) {
	case []any:
		var out []string
		for _, s := range x {
			out = append(out, s.(string))
		}
		return out, true
	case string:
		if !isExpression(x) {
			return []string{x}, true
		}
		v, _ := ev.eval(x)
		var out []string
		for _, l := range leaves(v, nil) {
			s, ok := l.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	panic(fmt.Sprintf("oracle: referenceValue %v", r["referenceValue"]))
}

// latency passes when some region is acceptable to every player of the match.
func (ev *oracleEval) latency(r map[string]any) (bool, string) {
	ps := ev.players()
	regions := map[string]bool{}
	for _, p := range ps {
		for reg := range p.Latencies {
			regions[reg] = true
		}
	}
	names := make([]string, 0, len(regions))
	for reg := range regions {
		names = append(names, reg)
	}
	sort.Strings(names)
	for _, reg := range names {
		if ev.regionOK(r, reg, ps) {
			return true, ""
		}
	}
	lat := map[string]Latencies{}
	for _, p := range ps {
		lat[p.ID] = p.Latencies
	}
	return false, fmt.Sprintf("no region suits every player: %v", lat)
}

func (ev *oracleEval) regionOK(r map[string]any, reg string, ps []oraclePlayer) bool {
	var ms []float64
	for _, p := range ps {
		v, ok := p.Latencies[reg]
		if !ok {
			return false
		}
		if limit, ok := oracleNum(r["maxLatency"]); ok && float64(v) > limit {
			return false
		}
		ms = append(ms, float64(v))
	}
	limit, ok := oracleNum(r["maxDistance"])
	if !ok {
		return true
	}
	var ref float64
	switch d := r["distanceReference"]; d {
	case nil, "min":
		ref = slices.Min(ms)
	case "avg":
		for _, v := range ms {
			ref += v
		}
		ref /= float64(len(ms))
	default:
		ref, _ = oracleNum(d)
	}
	for _, v := range ms {
		if math.Abs(v-ref) > limit+oracleTolerance {
			return false
		}
	}
	return true
}

// suggestedRegion is the region a match should suggest (PotentialMatchCreated.Region, doc.go):
// among the regions where every player reported a latency and that every latency rule in force
// accepts, the one with the lowest average latency; ties go to the lowest maximum, then the name.
// It is "" when no region qualifies.
func (o *oracleRuleSet) suggestedRegion(m oracleMatch, age time.Duration) string {
	teams, rules := o.at(age)
	ev := &oracleEval{o: o, m: m, teams: teams, rules: rules}
	operands := map[string]bool{}
	for _, r := range rules {
		if r["type"] == "compound" {
			for _, name := range compoundNames(r["statement"].(string)) {
				operands[name] = true
			}
		}
	}
	ps := ev.players()
	best, bestAvg, bestMax := "", 0.0, 0.0
	if len(ps) == 0 {
		return ""
	}
	var regions []string
	for reg := range ps[0].Latencies {
		regions = append(regions, reg)
	}
	sort.Strings(regions)
	for _, reg := range regions {
		ok := true
		for _, r := range rules {
			if r["type"] == "latency" && !operands[r["name"].(string)] {
				ok = ok && ev.regionOK(r, reg, ps)
			}
		}
		sum, worst := 0.0, 0.0
		for _, p := range ps {
			v, has := p.Latencies[reg]
			ok = ok && has
			sum, worst = sum+float64(v), max(worst, float64(v))
		}
		if !ok {
			continue
		}
		avg := sum / float64(len(ps))
		if best == "" || avg < bestAvg || avg == bestAvg && worst < bestMax {
			best, bestAvg, bestMax = reg, avg, worst
		}
	}
	return best
}

// ---- compound statements

// compoundNames returns the rule names a compound statement refers to.
func compoundNames(stmt string) []string {
	var out []string
	for _, tok := range strings.FieldsFunc(stmt, func(r rune) bool { return strings.ContainsRune("(), \t\n", r) }) {
		switch strings.ToLower(tok) {
		case "and", "or", "not", "xor":
		default:
			out = append(out, tok)
		}
	}
	return out
}

// compound evaluates a statement such as "or(and(A, B), not(C))".
func (ev *oracleEval) compound(stmt string) bool {
	stmt = strings.TrimSpace(stmt)
	open := strings.IndexByte(stmt, '(')
	if open < 0 {
		ok, _ := ev.rule(ev.ruleNamed(stmt))
		return ok
	}
	op := strings.ToLower(strings.TrimSpace(stmt[:open]))
	var args []bool
	for _, a := range splitArgs(stmt[open+1 : strings.LastIndexByte(stmt, ')')]) {
		args = append(args, ev.compound(a))
	}
	trues := 0
	for _, a := range args {
		if a {
			trues++
		}
	}
	switch op {
	case "and":
		return trues == len(args)
	case "or":
		return trues > 0
	case "not":
		return !args[0]
	case "xor":
		return trues == 1
	}
	panic("oracle: compound operator " + op)
}

// splitArgs splits a comma-separated argument list at nesting level zero.
func splitArgs(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// ---- property expressions

var oracleFuncs = map[string]bool{"min": true, "max": true, "avg": true, "median": true, "sum": true,
	"count": true, "stddev": true, "flatten": true, "set_intersection": true}

// eval interprets an expression and returns its value and static depth: 0 for a scalar, 1 for
// a list of scalars, 2 for a list of lists, and so on. A player's string list counts as one
// level; a player, team or map is a scalar.
func (ev *oracleEval) eval(src string) (any, int) {
	s := strings.TrimSpace(src)
	if open := strings.IndexByte(s, '('); open > 0 && oracleFuncs[strings.TrimSpace(s[:open])] {
		if !strings.HasSuffix(s, ")") {
			panic("oracle: unbalanced expression " + src)
		}
		arg, depth := ev.eval(s[open+1 : len(s)-1])
		return apply(strings.TrimSpace(s[:open]), arg, depth)
	}
	return ev.path(s)
}

// path evaluates teams[sel] with its optional player suffix.
func (ev *oracleEval) path(s string) (any, int) {
	rest, ok := strings.CutPrefix(s, "teams")
	if !ok {
		rest, ok = strings.CutPrefix(s, "team")
	}
	rest = strings.TrimSpace(rest)
	closeAt := strings.IndexByte(rest, ']')
	if !ok || !strings.HasPrefix(rest, "[") || closeAt < 0 {
		panic("oracle: not a path: " + s)
	}
	sel, suffix := strings.TrimSpace(rest[1:closeAt]), strings.ReplaceAll(rest[closeAt+1:], " ", "")
	var idx []int
	multi := sel == "*" || strings.Contains(sel, ",")
	if sel == "*" {
		for i := range ev.teams {
			idx = append(idx, i)
		}
	} else {
		for _, name := range strings.Split(sel, ",") {
			idx = append(idx, ev.o.teamSel[strings.TrimSpace(name)]...)
		}
		multi = multi || len(idx) > 1
	}
	var vals []any
	depth := 0
	for _, i := range idx {
		var v any
		v, depth = ev.teamPath(ev.teams[i].name, suffix)
		vals = append(vals, v)
	}
	if !multi {
		return vals[0], depth
	}
	return vals, depth + 1
}

func (ev *oracleEval) teamPath(team, suffix string) (any, int) {
	ps := ev.m[team]
	out := []any{}
	switch {
	case suffix == "":
		return team, 0
	case suffix == ".players":
		for _, p := range ps {
			out = append(out, p)
		}
		return out, 1
	case strings.EqualFold(suffix, ".players[playerId]"):
		for _, p := range ps {
			out = append(out, p.ID)
		}
		return out, 1
	case strings.HasPrefix(suffix, ".players.attributes[") && strings.HasSuffix(suffix, "]"):
		name := suffix[len(".players.attributes[") : len(suffix)-1]
		depth := 1
		if ev.o.attrs[name].typ == "string_list" {
			depth = 2
		}
		for _, p := range ps {
			out = append(out, ev.value(p, name))
		}
		return out, depth
	}
	panic("oracle: path suffix " + suffix)
}

// apply applies a function to a value of the given depth.
func apply(fn string, v any, depth int) (any, int) {
	list, ok := v.([]any)
	if !ok {
		return undef{}, max(depth-1, 0)
	}
	switch fn {
	case "flatten":
		if depth <= 1 {
			return v, depth
		}
		out := []any{}
		for _, e := range list {
			sub, _ := e.([]any)
			out = append(out, sub...)
		}
		return out, depth - 1
	case "set_intersection":
		switch {
		case depth <= 1:
			return v, depth
		case depth > 2:
			out := []any{}
			for _, e := range list {
				r, _ := apply(fn, e, depth-1)
				out = append(out, r)
			}
			return out, depth - 1
		case len(list) == 0:
			return undef{}, 1
		}
		first, _ := list[0].([]any)
		common := []any{}
		for _, x := range first {
			in := !slices.Contains(common, x)
			for _, other := range list[1:] {
				o, _ := other.([]any)
				in = in && slices.Contains(o, x)
			}
			if in {
				common = append(common, x)
			}
		}
		return common, 1
	}
	if depth > 1 {
		out := []any{}
		for _, e := range list {
			r, _ := apply(fn, e, depth-1)
			out = append(out, r)
		}
		return out, depth - 1
	}
	return aggregate(fn, list), 0
}

// aggregate reduces a list of numbers. An empty list is undefined except for count and sum; an
// undefined element makes every aggregate but count undefined.
func aggregate(fn string, list []any) any {
	if fn == "count" {
		return float64(len(list))
	}
	var xs []float64
	for _, e := range list {
		f, ok := e.(float64)
		if !ok {
			return undef{}
		}
		xs = append(xs, f)
	}
	if len(xs) == 0 {
		if fn == "sum" {
			return 0.0
		}
		return undef{}
	}
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	mean := sum / float64(len(xs))
	switch fn {
	case "min":
		return slices.Min(xs)
	case "max":
		return slices.Max(xs)
	case "sum":
		return sum
	case "avg":
		return mean
	case "median":
		slices.Sort(xs)
		if n := len(xs); n%2 == 1 {
			return xs[n/2]
		} else {
			return (xs[n/2-1] + xs[n/2]) / 2
		}
	case "stddev":
		sq := 0.0
		for _, x := range xs {
			sq += (x - mean) * (x - mean)
		}
		return math.Sqrt(sq / float64(len(xs)))
	}
	panic("oracle: function " + fn)
}

// ---- the oracle's own tests: the worked examples of spec Appendix B

func TestOracleWorkedExamples(t *testing.T) {
	skill := func(id string, v float64) oraclePlayer { return oraclePlayer{ID: id, Attrs: num("skill", v)} }
	fairTeams := `{"ruleLanguageVersion":"1.0","playerAttributes":[{"name":"skill","type":"number","default":10}],
		"teams":[{"name":"cowboys","minPlayers":1,"maxPlayers":8},{"name":"aliens","minPlayers":1,"maxPlayers":8}],
		"rules":[{"name":"FairTeamSkill","type":"distance","measurements":["avg(teams[*].players.attributes[skill])"],
		"referenceValue":"avg(flatten(teams[*].players.attributes[skill]))","maxDistance":10}],
		"expansions":[{"target":"rules[FairTeamSkill].maxDistance","steps":[{"waitTimeSeconds":5,"value":50}]}]}`
	sizes := `{"ruleLanguageVersion":"1.0","teams":[{"name":"t","minPlayers":0,"maxPlayers":5,"quantity":3}],
		"rules":[{"name":"CloseTeamSizes","type":"distance","measurements":["max(count(teams[*].players))"],
		"referenceValue":"min(count(teams[*].players))","maxDistance":1}]}`
	medics := `{"ruleLanguageVersion":"1.0","playerAttributes":[{"name":"character","type":"string_list","default":["peasant"]}],
		"teams":[{"name":"t","minPlayers":1,"maxPlayers":10}],
		"rules":[{"name":"OverallMedicLimit","type":"collection","operation":"contains",
		"measurements":["flatten(teams[*].players.attributes[character])"],"referenceValue":"medic","maxCount":5}]}`
	opponents := `{"ruleLanguageVersion":"1.0","playerAttributes":[{"name":"my","type":"string_list","default":[]},
		{"name":"pref","type":"string_list","default":[]}],
		"teams":[{"name":"t","minPlayers":1,"maxPlayers":2}],
		"rules":[{"name":"OpponentMatch","type":"collection","operation":"reference_intersection_count",
		"measurements":["flatten(teams[*].players.attributes[my])"],
		"referenceValue":"set_intersection(flatten(teams[*].players.attributes[pref]))","minCount":1}],
		"expansions":[{"target":"rules[OpponentMatch].minCount","steps":[{"waitTimeSeconds":15,"value":0}]}]}`
	blocks := `{"ruleLanguageVersion":"1.0","playerAttributes":[{"name":"BlockList","type":"string_list","default":[]}],
		"teams":[{"name":"t","minPlayers":1,"maxPlayers":5}],
		"rules":[{"name":"PlayerBlock","type":"collection","operation":"reference_intersection_count",
		"measurements":"flatten(teams[*].players.attributes[BlockList])",
		"referenceValue":"flatten(teams[*].players[playerId])","maxCount":0}]}`
	chars := `{"ruleLanguageVersion":"1.0","playerAttributes":[{"name":"character","type":"number","default":0}],
		"teams":[{"name":"t","minPlayers":1,"maxPlayers":5}],
		"rules":[{"name":"DifferentCharacter","type":"comparison","measurements":["flatten(teams[*].players.attributes[character])"],
		"operation":"!="}]}`
	monster := `{"ruleLanguageVersion":"1.0","playerAttributes":[{"name":"skill","type":"number","default":10},
		{"name":"desired","type":"number","default":10}],
		"teams":[{"name":"monster","minPlayers":1,"maxPlayers":1},{"name":"hunters","minPlayers":1,"maxPlayers":5}],
		"rules":[{"name":"MonsterSkill","type":"comparison","measurements":["avg(teams[monster].players.attributes[skill])"],
		"referenceValue":"max(teams[hunters].players.attributes[desired])","operation":">="}]}`
	latency := `{"ruleLanguageVersion":"1.0","teams":[{"name":"t","minPlayers":1,"maxPlayers":4}],
		"rules":[{"name":"Ping","type":"latency","maxLatency":100,"maxDistance":30,"distanceReference":"avg"}]}`
	compound := `{"ruleLanguageVersion":"1.0","playerAttributes":[{"name":"skill","type":"number","default":10}],
		"teams":[{"name":"t","minPlayers":1,"maxPlayers":4}],
		"rules":[{"name":"Low","type":"comparison","measurements":["max(flatten(teams[*].players.attributes[skill]))"],"referenceValue":20,"operation":"<"},
		{"name":"Spread","type":"distance","measurements":["stddev(flatten(teams[*].players.attributes[skill]))"],"referenceValue":0,"maxDistance":5},
		{"name":"Either","type":"compound","statement":"xor(Low, not(Spread))"}]}`
	lists := func(name string, vals ...string) Attributes { return Attributes{name: StringListValue(vals...)} }
	pl := func(id string, a Attributes) oraclePlayer { return oraclePlayer{ID: id, Attrs: a} }
	lat := func(id string, l Latencies) oraclePlayer { return oraclePlayer{ID: id, Latencies: l} }
	team := func(prefix string, n int) []oraclePlayer {
		var out []oraclePlayer
		for i := range n {
			out = append(out, oraclePlayer{ID: fmt.Sprintf("%s%d", prefix, i)})
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		ruleSet string
		match   oracleMatch
		age     time.Duration
		ok      bool
	}{
		{"1 fair teams pass", fairTeams, oracleMatch{"cowboys": {skill("a", 10), skill("b", 20)}, "aliens": {skill("c", 15), skill("d", 15)}}, 0, true},
		{"1 unfair teams fail", fairTeams, oracleMatch{"cowboys": {skill("a", 0), skill("b", 0)}, "aliens": {skill("c", 40), skill("d", 40)}}, 0, false},
		{"1 unfair teams pass after 5s", fairTeams, oracleMatch{"cowboys": {skill("a", 0), skill("b", 0)}, "aliens": {skill("c", 40), skill("d", 40)}}, 5 * time.Second, true},
		{"1 empty team fails", fairTeams, oracleMatch{"cowboys": {skill("a", 10)}}, time.Minute, false},
		{"1 default applies", fairTeams, oracleMatch{"cowboys": {{ID: "a"}}, "aliens": {skill("c", 15)}}, 0, true},
		{"2 sizes 3,3,4", sizes, oracleMatch{"t_1": team("a", 3), "t_2": team("b", 3), "t_3": team("c", 4)}, 0, true},
		{"2 sizes 3,5,5", sizes, oracleMatch{"t_1": team("a", 3), "t_2": team("b", 5), "t_3": team("c", 5)}, 0, false},
		{"3 two medics", medics, oracleMatch{"t": {pl("a", lists("character", "medic")), pl("b", lists("character", "medic", "tank")), pl("c", nil)}}, 0, true},
		{"3 six medics", medics, oracleMatch{"t": {pl("a", lists("character", "medic")), pl("b", lists("character", "medic")), pl("c", lists("character", "medic")),
			pl("d", lists("character", "medic")), pl("e", lists("character", "medic")), pl("f", lists("character", "medic"))}}, 0, false},
		{"4 opponents fail", opponents, oracleMatch{"t": {pl("p1", Attributes{"my": StringListValue("A"), "pref": StringListValue("B", "C")}),
			pl("p2", Attributes{"my": StringListValue("B"), "pref": StringListValue("A", "B")})}}, 0, false},
		{"4 opponents pass after 15s", opponents, oracleMatch{"t": {pl("p1", Attributes{"my": StringListValue("A"), "pref": StringListValue("B", "C")}),
			pl("p2", Attributes{"my": StringListValue("B"), "pref": StringListValue("A", "B")})}}, 15 * time.Second, true},
		{"5 blocked", blocks, oracleMatch{"t": {pl("p1", lists("BlockList", "p3")), pl("p2", nil), pl("p3", nil)}}, 0, false},
		{"5 not blocked", blocks, oracleMatch{"t": {pl("p1", lists("BlockList", "p9")), pl("p2", nil)}}, 0, true},
		{"6 same character", chars, oracleMatch{"t": {pl("a", num("character", 3)), pl("b", num("character", 3))}}, 0, false},
		{"6 different characters", chars, oracleMatch{"t": {pl("a", num("character", 3)), pl("b", num("character", 4))}}, 0, true},
		{"7 monster too weak", monster, oracleMatch{"monster": {skill("m", 25)}, "hunters": {pl("a", num("desired", 10)), pl("b", num("desired", 20)), pl("c", num("desired", 30))}}, 0, false},
		{"7 monster strong enough", monster, oracleMatch{"monster": {skill("m", 25)}, "hunters": {pl("a", num("desired", 10)), pl("b", num("desired", 20))}}, 0, true},
		{"latency shared region", latency, oracleMatch{"t": {lat("a", Latencies{"eu": 40, "us": 150}), lat("b", Latencies{"eu": 60})}}, 0, true},
		{"latency at the maximum", latency, oracleMatch{"t": {lat("a", Latencies{"eu": 100}), lat("b", Latencies{"eu": 100})}}, 0, true},
		{"latency no shared region", latency, oracleMatch{"t": {lat("a", Latencies{"us": 40}), lat("b", Latencies{"eu": 60})}}, 0, false},
		{"latency too far from the average", latency, oracleMatch{"t": {lat("a", Latencies{"eu": 10}), lat("b", Latencies{"eu": 90})}}, 0, false},
		{"compound xor: low and spread", compound, oracleMatch{"t": {skill("a", 10), skill("b", 12)}}, 0, true},
		{"compound xor: low and wide", compound, oracleMatch{"t": {skill("a", 0), skill("b", 19)}}, 0, false},
		{"compound xor: high and wide", compound, oracleMatch{"t": {skill("a", 0), skill("b", 40)}}, 0, true},
		{"player twice", medics, oracleMatch{"t": {pl("a", nil), pl("a", nil)}}, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseOracleRuleSet([]byte(tc.ruleSet))
			require.NoError(t, err)
			got := o.check(tc.match, tc.age)
			require.Equal(t, tc.ok, len(got) == 0, "violations: %v", got)
		})
	}
}

// TestOracleAgreesWithEngineChecker evaluates random compositions of random players, at random
// expansion ages, with the engine's final-mode checker (internal/ruleset) and with the oracle:
// they must agree on every one. It reaches compositions the search would never propose, so it
// catches evaluation defects the randomized runs cannot. MATCHMAKER_COMPOSITIONS sets how many
// per rule set.
func TestOracleAgreesWithEngineChecker(t *testing.T) {
	n := 300
	if v, err := strconv.Atoi(os.Getenv("MATCHMAKER_COMPOSITIONS")); err == nil {
		n = v
	}
	for i, file := range invariantRuleSets {
		t.Run(strings.ReplaceAll(file, "/", "-"), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(i), 99))
			c := newInvariantChecker(t, file, r)
			agree, pass := 0, 0
			for k := range n {
				match, passed, key, ok := c.compareComposition(r, k)
				if !ok {
					c.defect(key, "engine and oracle disagree on %s", describeMatch(match))
					continue
				}
				agree++
				if passed {
					pass++
				}
			}
			t.Logf("%d compositions agree (%d satisfy the rule set)", agree, pass)
		})
	}
}

// compareComposition builds a random composition: every team gets between 0 and its largest
// maximum players (each its own ticket), at a random age around the expansion steps; it reports
// whether the oracle passes it and whether the engine's checker agrees; a disagreement comes
// with the knownDefects key it falls under ("final-mode").
func (c *invariantChecker) compareComposition(r *rand.Rand, k int) (match oracleMatch, passed bool, key string, agree bool) {
	m := c.h.m
	ages := []time.Duration{0, time.Hour}
	for _, e := range c.oracle.expansions {
		for _, st := range e.steps {
			ages = append(ages, st.wait-time.Second, st.wait, st.wait+time.Second)
		}
	}
	age := max(ages[r.IntN(len(ages))], 0)
	teams, _ := c.oracle.at(age)
	match = oracleMatch{}
	var ps []Player
	var teamOf []int
	for ti, team := range teams {
		size := int(team.min) + r.IntN(int(team.max-team.min)+1)
		if r.IntN(8) == 0 {
			size = r.IntN(c.teamMaxEver(team.name) + 1) // sometimes outside the sizes in force
		}
		for j := range size {
			p := c.profile(fmt.Sprintf("c%d-%d-%d", k, ti, j), r)
			ps = append(ps, p)
			teamOf = append(teamOf, ti)
			match[team.name] = append(match[team.name], oraclePlayer{ID: p.PlayerID, Attrs: p.Attributes, Latencies: p.LatencyInMs})
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	pm := newPotential(m.rs)
	for i, p := range ps {
		var probs problems
		tk := &ticket{id: p.PlayerID, players: []player{resolvePlayer(m.rs, "p", p, &m.regions, false, &probs)}}
		if err := probs.err("player"); err != nil {
			c.fatalf("player %v refused: %v", p, err)
		}
		pm.add(tk, m.rs.TeamIndex(teams[teamOf[i]].name))
	}
	chk := ruleset.NewChecker(m.rs)
	chk.At(age)
	engine := chk.SizesOK(pm, true)
	if m.rs.Large() {
		engine = engine && chk.LargeRulesOK(pm)
	} else {
		engine = engine && chk.Check(pm, true)
	}
	bad := c.oracle.check(match, age)
	if engine != (len(bad) == 0) {
		failed, _ := chk.Failed()
		key = "final-mode"
		c.t.Logf("age %v: engine passes %v (failed rule %d), oracle violations %v", age, engine, failed, bad)
		return match, len(bad) == 0, key, false
	}
	return match, engine, "", true
}

// Package ruleset is the FlexMatch rule-set language: it compiles rule-set JSON (read by the
// jsonc sub-package, with property expressions compiled by the expr sub-package) into a RuleSet,
// reports every problem with its JSON path, gives the parameters in force at an expansion age,
// and evaluates a potential match in partial and final mode through the Match interface, which
// the engine implements. It knows nothing of tickets, pools or events.
//
// Dependencies run one way: the engine (package matchmaker) -> ruleset -> expr -> jsonc.
package ruleset

// This file holds the compiled form of a rule set and its compilation: attributes, teams,
// algorithm, expansions and the pool ordering.

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/seed-04d22514/matchmaker/internal/ruleset/expr"
	"github.com/seed-04d22514/matchmaker/internal/ruleset/jsonc"
)

var ruleTypes = []string{
	string(RuleAbsoluteSort), string(RuleBatchDistance), string(RuleCollection), string(RuleComparison),
	string(RuleCompound), string(RuleDistance), string(RuleDistanceSort), string(RuleLatency),
}

// Limits of a rule set. FlexMatch documents the body size and the match size; the counts of
// rules, expansions and steps are this library's bounds, far above any published rule set.
const (
	MaxRuleSetBytes     = 65535 // FlexMatch's RuleSetBody limit
	MaxMatchPlayers     = 200   // players in one match
	MaxSmallMatch       = 40    // above this, a rule set is a large match
	maxRules            = 256
	maxExpansions       = 256
	maxExpansionSteps   = 64
	maxAttributeDecls   = 256
	maxTeamDefinitions  = 200
	maxNameLength       = 1024
	maxWaitTimeSeconds  = 43200 // FlexMatch's longest RequestTimeoutSeconds
	defaultPartyAggNum  = "avg"
	defaultPartyAggColl = "union"
)

// Value is a declared attribute's default, in the field of its type.
type Value struct {
	Num  float64
	Str  string
	List []string
	Map  map[string]float64
}

// RuleSet is a compiled rule set. It is immutable and safe for concurrent use.
type RuleSet struct {
	name          string
	attrs         []attrDecl
	attrIndex     map[string]int
	slotCount     [4]int // attributes per storage kind: number, string, string list, map
	teamDefs      []teamDef
	teams         []teamSlot
	rules         []*rule
	sorts         []*rule // absoluteSort and distanceSort, in rule-set order
	checks        []*rule // rules evaluated directly: not sorts, not compound operands
	batches       []*rule // batchDistance rules
	latency       []*rule
	expansions    []expansion
	base          []param // parameter values before any expansion
	algo          algorithm
	large         bool
	maxPlayers    int
	scope         expr.Scope
	orderAttr     int // numeric attribute that orders the pool, or -1
	compoundNodes int // operators and operands in all compound statements
	groupAttr     int // string attribute whose value partitions the pool (string batchDistance), or -1
}

// Problem is one problem found in a rule set: a JSON path such as "rules[2].maxDistance" and
// a message a person can act on.
type Problem struct {
	Path    string
	Message string
}

// problems collects Problems while a rule set is compiled.
type problems struct{ list []Problem }

func (p *problems) add(path, format string, args ...any) {
	p.list = append(p.list, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

func (p *problems) empty() bool { return len(p.list) == 0 }

// Parse reads and compiles a rule set. It returns the rule set, or every problem found.
func Parse(data []byte) (*RuleSet, []Problem) {
	var p problems
	if len(data) > MaxRuleSetBytes {
		p.add("", "rule set is %d bytes; at most %d are allowed", len(data), MaxRuleSetBytes)
		return nil, p.list
	}
	root, err := jsonc.Parse(data)
	if err != nil {
		p.add("", "not valid JSON: %v", err)
		return nil, p.list
	}
	rs := compileRuleSet(root, &p)
	if !p.empty() {
		return nil, p.list
	}
	return rs, nil
}

type attrDecl struct {
	name   string
	typ    expr.AttrType
	def    Value
	hasDef bool
	slot   int // index within the player's storage for this type
}

type teamDef struct {
	name     string
	min, max int
	quantity int
}

type teamSlot struct {
	name               string
	def                int
	minParam, maxParam int
}

// param is one expandable value of a rule set: a number, or a string for string comparisons.
type param struct {
	n     float64
	s     string
	isStr bool
}

type expansion struct {
	target string
	path   string // JSON path, for problems found after compilation
	slots  []int
	steps  []expansionStep
}

type expansionStep struct {
	wait time.Duration
	val  param
}

type algorithm struct {
	strategy         string
	batching         string
	sortBy           []int
	balancedAttr     int
	backfillPriority string
	ageSelection     string
}

// rule is one compiled rule. Parameter fields hold indices into the parameter vector, or -1.
type rule struct {
	name  string
	typ   RuleType
	index int

	meas     []*expr.Expr
	ref      *expr.Expr
	refParam int
	refList  []string
	op       string

	minDist, maxDist   int
	minCount, maxCount int
	maxLatency         int
	latDistance        int
	distRef            string // "min", "avg" or "number"
	distRefParam       int
	collOp             string

	sortDesc bool
	sortAttr int
	mapKey   string
	agg      string

	batchAttr int

	stmt       *cnode
	chain      int       // compound: 1 + the deepest chain of compound rules it names
	dir        Direction // which way the verdict can move as players join (direction.go)
	exactFall  bool      // dir is Falling by the rule's nature, not by FlexMatch's heuristic
	operand    bool
	deferCount bool
}

func compileRuleSet(root *jsonc.Node, p *problems) *RuleSet {
	top := asObject("", root, p)
	if top == nil {
		return nil
	}
	rs := &RuleSet{attrIndex: map[string]int{}, orderAttr: -1, groupAttr: -1}
	rs.name, _ = top.str("name", false)
	if v, ok := top.str("ruleLanguageVersion", true); ok && v != "1.0" {
		p.add("ruleLanguageVersion", "must be \"1.0\", got %q", v)
	}
	rs.compileAttributes(top, p)
	rs.compileTeams(top, p)
	rs.compileAlgorithm(top, p)
	rs.compileRules(top, p)
	rs.compileExpansions(top, p)
	top.finish("a rule set")
	rs.checkStrategy(p)
	if p.empty() {
		rs.chooseOrdering()
		rs.classifyRules()
	}
	return rs
}

func (rs *RuleSet) newParam(v param) int {
	rs.base = append(rs.base, v)
	return len(rs.base) - 1
}

// ---- player attributes

func (rs *RuleSet) compileAttributes(top *obj, p *problems) {
	items, _ := top.array("playerAttributes", false)
	if len(items) > maxAttributeDecls {
		p.add("playerAttributes", "declares %d attributes; at most %d are allowed", len(items), maxAttributeDecls)
		return
	}
	for i, n := range items {
		path := indexPath("playerAttributes", i)
		o := asObject(path, n, p)
		if o == nil {
			continue
		}
		name, okName := o.str("name", true)
		typ := expr.AttrType(o.enum("type", "", string(expr.AttrString), string(expr.AttrNumber), string(expr.AttrStringList), string(expr.AttrStringNumberMap)))
		if !o.has("type") {
			p.add(o.at("type"), "is required")
		}
		d := attrDecl{name: name, typ: typ}
		if okName {
			checkName(o.at("name"), name, p)
			if _, dup := rs.attrIndex[name]; dup {
				p.add(o.at("name"), "attribute %q is declared twice", name)
			}
		}
		if dv := o.get("default"); dv != nil && typ != "" {
			d.def, d.hasDef = attributeDefault(o.at("default"), typ, dv, p)
		}
		o.finish("a player attribute")
		if !okName || typ == "" {
			continue
		}
		k := storageKind(typ)
		d.slot = rs.slotCount[k]
		rs.slotCount[k]++
		rs.attrIndex[name] = len(rs.attrs)
		rs.attrs = append(rs.attrs, d)
	}
}

// checkName rejects names that expressions cannot address.
func checkName(path, name string, p *problems) {
	switch {
	case name == "":
		p.add(path, "must not be empty")
	case utf8.RuneCountInString(name) > maxNameLength:
		p.add(path, "is longer than %d characters", maxNameLength)
	case strings.ContainsAny(name, "[],()"):
		p.add(path, "%q contains one of [ ] , ( ) and could not be named in an expression", name)
	}
}

// storageKind maps an attribute type to the index of its storage in a player.
func storageKind(t expr.AttrType) int {
	switch t {
	case expr.AttrNumber:
		return 0
	case expr.AttrString:
		return 1
	case expr.AttrStringList:
		return 2
	}
	return 3
}

func attributeDefault(path string, typ expr.AttrType, n *jsonc.Node, p *problems) (Value, bool) {
	switch typ {
	case expr.AttrNumber:
		f, ok := numberOf(path, n, p)
		return Value{Num: f}, ok
	case expr.AttrString:
		if n.Kind != jsonc.String {
			p.add(path, "must be a string for a string attribute, got %s", n.Describe())
			return Value{}, false
		}
		return Value{Str: n.Text}, true
	case expr.AttrStringList:
		if n.Kind != jsonc.Array {
			p.add(path, "must be an array of strings for a string_list attribute, got %s", n.Describe())
			return Value{}, false
		}
		ss := make([]string, 0, len(n.Items))
		for i, it := range n.Items {
			if it.Kind != jsonc.String {
				p.add(indexPath(path, i), "must be a string, got %s", it.Describe())
				return Value{}, false
			}
			ss = append(ss, it.Text)
		}
		return Value{List: ss}, true
	case expr.AttrStringNumberMap:
		if n.Kind != jsonc.Object {
			p.add(path, "must be an object of numbers for a string_number_map attribute, got %s", n.Describe())
			return Value{}, false
		}
		m := make(map[string]float64, len(n.Fields))
		for _, f := range n.Fields {
			v, ok := numberOf(jsonc.JoinPath(path, f.Key), f.Val, p)
			if !ok {
				return Value{}, false
			}
			m[f.Key] = v
		}
		return Value{Map: m}, true
	}
	return Value{}, false
}

// ---- teams

func (rs *RuleSet) compileTeams(top *obj, p *problems) {
	items, ok := top.array("teams", true)
	if ok && len(items) == 0 {
		p.add("teams", "must define at least one team")
	}
	if len(items) > maxTeamDefinitions {
		p.add("teams", "defines %d teams; at most %d are allowed", len(items), maxTeamDefinitions)
		return
	}
	names := map[string]bool{}
	for i, n := range items {
		path := indexPath("teams", i)
		o := asObject(path, n, p)
		if o == nil {
			continue
		}
		name, okName := o.str("name", true)
		maxP, okMax := o.integer("maxPlayers", true)
		minP, okMin := o.integer("minPlayers", true)
		qty := 1
		if o.has("quantity") {
			q, okQ := o.integer("quantity", false)
			switch {
			case okQ && q < 1:
				p.add(o.at("quantity"), "must be at least 1, got %d", q)
			case okQ && q > MaxMatchPlayers:
				p.add(o.at("quantity"), "is %d; a match holds at most %d teams", q, MaxMatchPlayers)
			case okQ:
				qty = q
			}
		}
		o.finish("a team")
		if okName {
			checkName(o.at("name"), name, p)
			if names[name] {
				p.add(o.at("name"), "team %q is defined twice", name)
			}
			names[name] = true
		}
		if okMax && maxP < 1 {
			p.add(o.at("maxPlayers"), "must be at least 1, got %d", maxP)
			okMax = false
		}
		if okMin && minP < 0 {
			p.add(o.at("minPlayers"), "must not be negative, got %d", minP)
			okMin = false
		}
		if okMin && okMax && minP > maxP {
			p.add(o.at("minPlayers"), "is %d, above maxPlayers %d", minP, maxP)
		}
		if !(okName && okMax && okMin) {
			continue
		}
		rs.teamDefs = append(rs.teamDefs, teamDef{name: name, min: minP, max: maxP, quantity: qty})
		rs.maxPlayers += maxP * qty
	}
	if rs.maxPlayers > MaxMatchPlayers {
		p.add("teams", "teams hold %d players in all; a match holds at most %d", rs.maxPlayers, MaxMatchPlayers)
		return
	}
	rs.large = rs.maxPlayers > MaxSmallMatch
	rs.scope = expr.Scope{Teams: map[string][]int{}, Attrs: map[string]expr.AttrRef{}}
	for d, td := range rs.teamDefs {
		var idx []int
		for q := 1; q <= td.quantity; q++ {
			name := td.name
			if td.quantity > 1 {
				name = td.name + "_" + strconv.Itoa(q)
				if names[name] {
					p.add("teams", "generated team name %q clashes with a defined team", name)
				}
			}
			slot := teamSlot{name: name, def: d,
				minParam: rs.newParam(param{n: float64(td.min)}),
				maxParam: rs.newParam(param{n: float64(td.max)})}
			idx = append(idx, len(rs.teams))
			if td.quantity > 1 {
				rs.scope.Teams[name] = []int{len(rs.teams)}
			}
			rs.teams = append(rs.teams, slot)
		}
		rs.scope.Teams[td.name] = idx
	}
	rs.scope.TeamCount = len(rs.teams)
	for i, a := range rs.attrs {
		rs.scope.Attrs[a.name] = expr.AttrRef{Index: i, Type: a.typ}
	}
}

// ---- algorithm

func (rs *RuleSet) compileAlgorithm(top *obj, p *problems) {
	rs.algo = algorithm{strategy: "exhaustiveSearch", backfillPriority: "normal", ageSelection: "newest", balancedAttr: -1}
	n := top.get("algorithm")
	if n == nil {
		rs.algo.batching = "random"
		return
	}
	o := asObject("algorithm", n, p)
	if o == nil {
		return
	}
	a := &rs.algo
	a.strategy = o.enum("strategy", "exhaustiveSearch", "exhaustiveSearch", "balanced")
	a.batching = o.enum("batchingPreference", "", "random", "sorted", "largestPopulation", "fastestRegion")
	a.backfillPriority = o.enum("backfillPriority", "normal", "normal", "high", "low")
	a.ageSelection = o.enum("expansionAgeSelection", "newest", "newest", "oldest")
	switch {
	case a.batching == "":
		a.batching = map[string]string{"exhaustiveSearch": "random", "balanced": "largestPopulation"}[a.strategy]
	case a.strategy == "exhaustiveSearch" && (a.batching == "largestPopulation" || a.batching == "fastestRegion"):
		p.add("algorithm.batchingPreference", "%q is valid only with strategy \"balanced\"", a.batching)
	case a.strategy == "balanced" && (a.batching == "random" || a.batching == "sorted"):
		p.add("algorithm.batchingPreference", "%q is valid only with strategy \"exhaustiveSearch\"", a.batching)
	}
	if items, ok := o.array("sortByAttributes", false); ok {
		if a.batching != "sorted" {
			p.add("algorithm.sortByAttributes", "is used only with batchingPreference \"sorted\"")
		}
		for i, it := range items {
			path := indexPath("algorithm.sortByAttributes", i)
			if idx, ok := rs.attrByName(path, it, p); ok {
				if t := rs.attrs[idx].typ; t != expr.AttrNumber && t != expr.AttrString {
					p.add(path, "attribute %q is a %s; sorting needs a number or string attribute", rs.attrs[idx].name, t)
				}
				a.sortBy = append(a.sortBy, idx)
			}
		}
	}
	if a.batching == "sorted" && len(a.sortBy) == 0 && !o.has("sortByAttributes") {
		p.add("algorithm.sortByAttributes", "is required when batchingPreference is \"sorted\"")
	}
	if o.has("balancedAttribute") {
		path := "algorithm.balancedAttribute"
		if a.strategy != "balanced" {
			p.add(path, "is used only with strategy \"balanced\"")
		}
		if idx, ok := rs.attrByName(path, o.get("balancedAttribute"), p); ok {
			if rs.attrs[idx].typ != expr.AttrNumber {
				p.add(path, "attribute %q must be of type number, not %s", rs.attrs[idx].name, rs.attrs[idx].typ)
			}
			a.balancedAttr = idx
		}
	} else if a.strategy == "balanced" {
		p.add("algorithm.balancedAttribute", "is required with strategy \"balanced\"")
	}
	o.finish("algorithm")
}

// attrByName resolves a JSON string naming a declared attribute.
func (rs *RuleSet) attrByName(path string, n *jsonc.Node, p *problems) (int, bool) {
	if n.Kind != jsonc.String {
		p.add(path, "must be an attribute name, got %s", n.Describe())
		return 0, false
	}
	idx, ok := rs.attrIndex[n.Text]
	if !ok {
		p.add(path, "attribute %q is not declared in playerAttributes", n.Text)
	}
	return idx, ok
}

// checkStrategy enforces what large matches allow, once everything else has compiled.
func (rs *RuleSet) checkStrategy(p *problems) {
	if !rs.large {
		return
	}
	if rs.algo.strategy != "balanced" {
		p.add("algorithm.strategy", "teams hold %d players, more than %d, so the rule set must use strategy \"balanced\" with a balancedAttribute", rs.maxPlayers, MaxSmallMatch)
	}
	for _, r := range rs.rules {
		path := indexPath("rules", r.index)
		switch {
		case r.typ == RuleBatchDistance:
		case r.typ == RuleLatency:
			if r.latDistance >= 0 {
				p.add(path+".maxDistance", "large matches (more than %d players) honour only maxLatency in latency rules", MaxSmallMatch)
			}
		default:
			p.add(path+".type", "%s rules are not available for large matches (more than %d players); only latency and batchDistance are", r.typ, MaxSmallMatch)
		}
	}
}

// ---- expansions

var targetPattern = regexp.MustCompile(`^\s*(rules|teams)\s*\[([^\]]*)\]\s*\.\s*([A-Za-z]+)\s*$`)

func (rs *RuleSet) compileExpansions(top *obj, p *problems) {
	items, _ := top.array("expansions", false)
	if len(items) > maxExpansions {
		p.add("expansions", "has %d expansions; at most %d are allowed", len(items), maxExpansions)
		return
	}
	for i, n := range items {
		path := indexPath("expansions", i)
		o := asObject(path, n, p)
		if o == nil {
			continue
		}
		target, okT := o.str("target", true)
		steps, okS := o.array("steps", true)
		o.finish("an expansion")
		var exp expansion
		isStr := false
		if okT {
			exp.target = target
			exp.slots, isStr = rs.expansionTarget(o.at("target"), target, p)
		}
		if !okS {
			continue
		}
		if len(steps) == 0 {
			p.add(o.at("steps"), "must have at least one step")
		}
		if len(steps) > maxExpansionSteps {
			p.add(o.at("steps"), "has %d steps; at most %d are allowed", len(steps), maxExpansionSteps)
			continue
		}
		last := -1.0
		for j, sn := range steps {
			spath := indexPath(o.at("steps"), j)
			so := asObject(spath, sn, p)
			if so == nil {
				continue
			}
			wait, okW := so.num("waitTimeSeconds", true)
			if okW {
				switch {
				case wait < 0 || wait > maxWaitTimeSeconds:
					p.add(so.at("waitTimeSeconds"), "must be between 0 and %d seconds, got %v", maxWaitTimeSeconds, wait)
				case wait <= last:
					p.add(so.at("waitTimeSeconds"), "is %v, not after the previous step's %v; wait times are absolute and must increase", wait, last)
				}
				last = wait
			}
			var val param
			vn := so.get("value")
			switch {
			case vn == nil:
				p.add(so.at("value"), "is required")
			case isStr && vn.Kind == jsonc.String:
				val = param{s: vn.Text, isStr: true}
			default:
				val.n, _ = numberOf(so.at("value"), vn, p)
			}
			so.finish("an expansion step")
			exp.steps = append(exp.steps, expansionStep{wait: time.Duration(wait * float64(time.Second)), val: val})
		}
		if okT && len(exp.slots) > 0 {
			rs.checkExpansionValues(path, exp, p)
			exp.path = path
			rs.expansions = append(rs.expansions, exp)
		}
	}
	rs.checkExpandedSize(p)
}

// checkExpandedSize keeps the match within its size class at every expansion step: expansions
// applied together must not let a small rule set's teams hold more than 40 players, or a large
// one's more than 200.
func (rs *RuleSet) checkExpandedSize(p *problems) {
	limit := MaxSmallMatch
	if rs.large {
		limit = MaxMatchPlayers
	}
	var ps []param
	for _, e := range rs.expansions {
		for j, st := range e.steps {
			ps = rs.paramsAt(st.wait, ps)
			total := 0.0
			for _, t := range rs.teams {
				total += ps[t.maxParam].n
			}
			if total > float64(limit) {
				p.add(indexPath(e.path+".steps", j)+".value", "at %v the teams would hold %v players; this rule set allows at most %d", st.wait, total, limit)
				return
			}
		}
	}
}

// expansionTarget resolves "rules[Name].property" or "teams[A, B].minPlayers" to parameter
// slots. It reports whether the target holds a string.
func (rs *RuleSet) expansionTarget(path, target string, p *problems) ([]int, bool) {
	m := targetPattern.FindStringSubmatch(target)
	if m == nil {
		p.add(path, "%q is not of the form rules[<rule>].<property> or teams[<team>].<property>", target)
		return nil, false
	}
	component, names, prop := m[1], m[2], m[3]
	if component == "teams" {
		var field func(teamSlot) int
		switch prop {
		case "minPlayers":
			field = func(t teamSlot) int { return t.minParam }
		case "maxPlayers":
			field = func(t teamSlot) int { return t.maxParam }
		default:
			p.add(path, "team property %q cannot be expanded; only minPlayers and maxPlayers can", prop)
			return nil, false
		}
		var slots []int
		for _, name := range strings.Split(names, ",") {
			name = strings.TrimSpace(name)
			idx, ok := rs.scope.Teams[name]
			if name == "*" {
				idx, ok = allTeams(len(rs.teams)), true
			}
			if !ok {
				p.add(path, "team %q is not defined in teams", name)
				continue
			}
			for _, t := range idx {
				slots = append(slots, field(rs.teams[t]))
			}
		}
		return slots, false
	}
	name := strings.TrimSpace(names)
	var r *rule
	for _, cand := range rs.rules {
		if cand.name == name {
			r = cand
		}
	}
	if r == nil {
		p.add(path, "rule %q is not defined in rules", name)
		return nil, false
	}
	if r.typ == RuleCompound {
		p.add(path, "compound rule %q cannot be expanded; expand the rules it references", name)
		return nil, false
	}
	slot := map[string]int{
		"maxDistance": r.maxDist, "minDistance": r.minDist, "minCount": r.minCount, "maxCount": r.maxCount,
		"maxLatency": r.maxLatency, "referenceValue": r.refParam,
	}
	if r.typ == RuleLatency {
		slot["maxDistance"] = r.latDistance
	}
	s, known := slot[prop]
	switch {
	case !known:
		p.add(path, "property %q of a %s rule cannot be expanded", prop, r.typ)
		return nil, false
	case s < 0 && prop == "referenceValue" && r.ref != nil:
		p.add(path, "rule %q has an expression as referenceValue; only a literal value can be expanded", name)
		return nil, false
	case s < 0:
		p.add(path, "rule %q does not set %s, so there is nothing to expand", name, prop)
		return nil, false
	}
	return []int{s}, rs.base[s].isStr
}

// checkExpansionValues keeps team sizes consistent at every step.
func (rs *RuleSet) checkExpansionValues(path string, exp expansion, p *problems) {
	for j, st := range exp.steps {
		vpath := indexPath(path+".steps", j) + ".value"
		for _, s := range exp.slots {
			isTeam, isMax, t := rs.teamParam(s)
			switch {
			case rs.base[s].isStr != st.val.isStr:
				p.add(vpath, "must be a %s like the property it expands", map[bool]string{true: "string", false: "number"}[rs.base[s].isStr])
			case isTeam && (st.val.n != math.Trunc(st.val.n) || st.val.n < 0):
				p.add(vpath, "must be a whole number of players, got %v", st.val.n)
			case isTeam && !isMax && st.val.n > rs.base[rs.teams[t].maxParam].n:
				p.add(vpath, "minPlayers %v is above team %q's maxPlayers %v", st.val.n, rs.teams[t].name, rs.base[rs.teams[t].maxParam].n)
			case isTeam && isMax && st.val.n < rs.base[rs.teams[t].minParam].n:
				p.add(vpath, "maxPlayers %v is below team %q's minPlayers %v", st.val.n, rs.teams[t].name, rs.base[rs.teams[t].minParam].n)
			case !isTeam && st.val.n < 0:
				p.add(vpath, "must not be negative, got %v", st.val.n)
			}
		}
	}
}

// teamParam reports whether parameter slot s is a team size, which one, and of which team.
func (rs *RuleSet) teamParam(s int) (isTeam, isMax bool, team int) {
	for i, t := range rs.teams {
		if t.minParam == s {
			return true, false, i
		}
		if t.maxParam == s {
			return true, true, i
		}
	}
	return false, false, -1
}

func allTeams(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// paramsAt writes into dst the parameter values in force for a potential match whose
// expansion age is age, and returns it.
func (rs *RuleSet) paramsAt(age time.Duration, dst []param) []param {
	dst = append(dst[:0], rs.base...)
	for i := range rs.expansions {
		e := &rs.expansions[i]
		for j := len(e.steps) - 1; j >= 0; j-- {
			if e.steps[j].wait <= age {
				for _, s := range e.slots {
					dst[s] = e.steps[j].val
				}
				break
			}
		}
	}
	return dst
}

// ---- pool ordering

var attrRefPattern = regexp.MustCompile(`attributes\s*\[\s*([^\]]+?)\s*\]`)

// chooseOrdering picks how the pool is ordered so that each anchor searches a bounded
// neighbourhood of likely partners: by the numeric attribute the rule set sorts, batches,
// balances or measures first, within partitions of a string batchDistance attribute.
func (rs *RuleSet) chooseOrdering() {
	numeric := func(i int) bool { return i >= 0 && rs.attrs[i].typ == expr.AttrNumber }
	for _, r := range rs.batches {
		if rs.attrs[r.batchAttr].typ == expr.AttrString && rs.groupAttr < 0 {
			rs.groupAttr = r.batchAttr
		}
	}
	var cands []int
	if rs.algo.batching == "sorted" {
		cands = append(cands, rs.algo.sortBy...)
	}
	cands = append(cands, rs.algo.balancedAttr)
	for _, r := range rs.batches {
		cands = append(cands, r.batchAttr)
	}
	for _, r := range rs.sorts {
		cands = append(cands, r.sortAttr)
	}
	for _, r := range rs.rules {
		if r.typ != RuleDistance && r.typ != RuleComparison {
			continue
		}
		for _, e := range r.meas {
			for _, m := range attrRefPattern.FindAllStringSubmatch(e.String(), -1) {
				if idx, ok := rs.attrIndex[m[1]]; ok {
					cands = append(cands, idx)
				}
			}
		}
	}
	if i := slices.IndexFunc(cands, numeric); i >= 0 {
		rs.orderAttr = cands[i]
	}
}

func (rs *RuleSet) String() string {
	return fmt.Sprintf("RuleSet(%q, %d teams, %d rules)", rs.name, len(rs.teams), len(rs.rules))
}

func quote(s string) string        { return strconv.Quote(s) }
func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

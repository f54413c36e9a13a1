package ruleset

// This file compiles the rules of a rule set: each of the eight types with its properties,
// property expressions, and compound statements.

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/seed-04d22514/matchmaker/internal/ruleset/expr"
	"github.com/seed-04d22514/matchmaker/internal/ruleset/jsonc"
	"github.com/seed-04d22514/matchmaker/internal/suggest"
)

func (rs *RuleSet) compileRules(top *obj, p *problems) {
	items, _ := top.array("rules", false)
	if len(items) > maxRules {
		p.add("rules", "has %d rules; at most %d are allowed", len(items), maxRules)
		return
	}
	names := map[string]*rule{}
	for i, n := range items {
		path := indexPath("rules", i)
		o := asObject(path, n, p)
		if o == nil {
			continue
		}
		r := &rule{index: i, refParam: -1, minDist: -1, maxDist: -1, minCount: -1, maxCount: -1,
			maxLatency: -1, latDistance: -1, distRefParam: -1, sortAttr: -1, batchAttr: -1}
		name, okName := o.str("name", true)
		r.name = name
		if okName {
			if name == "" {
				p.add(o.at("name"), "must not be empty")
			} else if names[name] != nil {
				p.add(o.at("name"), "rule %q is defined twice", name)
			}
		}
		typ, okType := o.str("type", true)
		r.typ = RuleType(typ)
		if okType && !slices.Contains(ruleTypes, typ) {
			msg := "unknown rule type %q; the types are " + quoteList(ruleTypes)
			if s := suggest.Closest(typ, ruleTypes); s != "" {
				p.add(o.at("type"), msg+" (did you mean %q?)", typ, s)
			} else {
				p.add(o.at("type"), msg, typ)
			}
			okType = false
		}
		if okType && len(rs.teams) > 0 {
			rs.compileRule(o, r, names, p)
			o.finish("a " + typ + " rule")
		}
		if okName && name != "" && names[name] == nil {
			names[name] = r
		}
		rs.rules = append(rs.rules, r)
		switch r.typ {
		case RuleAbsoluteSort, RuleDistanceSort:
			rs.sorts = append(rs.sorts, r)
		case RuleBatchDistance:
			rs.batches = append(rs.batches, r)
		case RuleLatency:
			rs.latency = append(rs.latency, r)
		}
	}
	for _, r := range rs.rules {
		if !r.operand && r.typ != RuleAbsoluteSort && r.typ != RuleDistanceSort && okRuleType(r.typ) {
			rs.checks = append(rs.checks, r)
		}
	}
}

func okRuleType(t RuleType) bool { return slices.Contains(ruleTypes, string(t)) }

func (rs *RuleSet) compileRule(o *obj, r *rule, earlier map[string]*rule, p *problems) {
	aggs := []string{"avg", "min", "max"}
	r.agg = defaultPartyAggNum
	switch r.typ {
	case RuleBatchDistance:
		if n := o.get("batchAttribute"); n == nil {
			p.add(o.at("batchAttribute"), "is required")
		} else if idx, ok := rs.attrByName(o.at("batchAttribute"), n, p); ok {
			r.batchAttr = idx
			switch rs.attrs[idx].typ {
			case expr.AttrNumber:
				r.maxDist = rs.numParam(o, "maxDistance", true, p)
			case expr.AttrString:
				if o.has("maxDistance") {
					p.add(o.at("maxDistance"), "is used only with a number batchAttribute; %q is a string, whose players must all be equal", rs.attrs[idx].name)
				}
			default:
				p.add(o.at("batchAttribute"), "attribute %q is a %s; batchDistance needs a number or string attribute", rs.attrs[idx].name, rs.attrs[idx].typ)
			}
		}
		o.get("maxDistance") // a known key even when the attribute could not be resolved
		r.agg = o.enum("partyAggregation", defaultPartyAggNum, aggs...)
	case RuleComparison:
		r.meas = rs.measurements(o, p, expr.KindNum, expr.KindStr)
		r.op = o.enum("operation", "", "<", "<=", "=", "!=", ">", ">=")
		if !o.has("operation") {
			p.add(o.at("operation"), "is required")
		}
		if o.has("referenceValue") {
			rs.reference(o, r, p, false)
			if slices.ContainsFunc(r.meas, func(e *expr.Expr) bool { return e.Shape().Elem() == expr.KindNum }) {
				rs.numericReference(r)
			}
		} else if r.op != "=" && r.op != "!=" && r.op != "" {
			p.add(o.at("operation"), "%q needs a referenceValue; without one only \"=\" and \"!=\" are allowed", r.op)
		}
		if strings.ContainsAny(r.op, "<>") {
			for i, e := range r.meas {
				if e.Shape().Elem() == expr.KindStr {
					p.add(indexPath(o.at("measurements"), i), "operation %q compares numbers, but this measures strings", r.op)
				}
			}
			if r.ref != nil && r.ref.Shape().Elem() == expr.KindStr || r.refParam >= 0 && rs.base[r.refParam].isStr {
				p.add(o.at("referenceValue"), "operation %q compares numbers, but the reference is a string", r.op)
			}
		}
		r.agg = o.enum("partyAggregation", defaultPartyAggNum, aggs...)
	case RuleDistance:
		r.meas = rs.measurements(o, p, expr.KindNum)
		if !o.has("referenceValue") {
			p.add(o.at("referenceValue"), "is required")
		} else {
			rs.reference(o, r, p, false)
			rs.numericReference(r)
			if r.refParam >= 0 && rs.base[r.refParam].isStr || r.ref != nil && r.ref.Shape().Elem() != expr.KindNum {
				p.add(o.at("referenceValue"), "must be a number or an expression giving one number")
			}
		}
		r.minDist = rs.numParam(o, "minDistance", false, p)
		r.maxDist = rs.numParam(o, "maxDistance", false, p)
		if !o.has("minDistance") && !o.has("maxDistance") {
			p.add(o.path, "a distance rule needs maxDistance, minDistance or both")
		}
		r.agg = o.enum("partyAggregation", defaultPartyAggNum, aggs...)
	case RuleCollection:
		r.meas = rs.measurements(o, p, expr.KindStr)
		r.collOp = o.enum("operation", "", "intersection", "contains", "reference_intersection_count")
		if !o.has("operation") {
			p.add(o.at("operation"), "is required")
		}
		switch {
		case o.has("referenceValue") && r.collOp == "intersection":
			o.get("referenceValue")
			p.add(o.at("referenceValue"), "has no effect with operation \"intersection\"")
		case o.has("referenceValue"):
			rs.reference(o, r, p, true)
			switch {
			case r.refParam >= 0 && !rs.base[r.refParam].isStr || r.ref != nil && r.ref.Shape().Elem() != expr.KindStr:
				p.add(o.at("referenceValue"), "must be a string, a list of strings, or an expression giving strings")
			case r.collOp == "contains" && (r.refList != nil || r.ref != nil && r.ref.Shape().Depth() != 0):
				p.add(o.at("referenceValue"), "operation \"contains\" needs one string, not a list")
			}
		case r.collOp == "contains" || r.collOp == "reference_intersection_count":
			p.add(o.at("referenceValue"), "is required with operation %q", r.collOp)
		}
		r.minCount = rs.numParam(o, "minCount", false, p)
		r.maxCount = rs.numParam(o, "maxCount", false, p)
		if !o.has("minCount") && !o.has("maxCount") {
			p.add(o.path, "a collection rule needs minCount, maxCount or both")
		}
		r.agg = o.enum("partyAggregation", defaultPartyAggColl, "union", "intersection")
	case RuleLatency:
		r.maxLatency = rs.numParam(o, "maxLatency", false, p)
		r.latDistance = rs.numParam(o, "maxDistance", false, p)
		if !o.has("maxLatency") && !o.has("maxDistance") {
			p.add(o.path, "a latency rule needs maxLatency, maxDistance or both")
		}
		r.distRef = "min"
		if n := o.get("distanceReference"); n != nil {
			switch {
			case n.Kind == jsonc.String && (n.Text == "min" || n.Text == "avg"):
				r.distRef = n.Text
			default:
				if f, ok := numberOf(o.at("distanceReference"), n, p); ok {
					r.distRef, r.distRefParam = "number", rs.newParam(param{n: f})
				}
			}
			if r.latDistance < 0 {
				p.add(o.at("distanceReference"), "is used only together with maxDistance")
			}
		}
		r.agg = o.enum("partyAggregation", defaultPartyAggNum, aggs...)
	case RuleAbsoluteSort, RuleDistanceSort:
		r.sortDesc = o.enum("sortDirection", "ascending", "ascending", "descending") == "descending"
		if n := o.get("sortAttribute"); n == nil {
			p.add(o.at("sortAttribute"), "is required")
		} else if idx, ok := rs.attrByName(o.at("sortAttribute"), n, p); ok {
			r.sortAttr = idx
			t := rs.attrs[idx].typ
			r.mapKey = o.enum("mapKey", "", "minValue", "maxValue")
			switch {
			case t == expr.AttrStringNumberMap && r.mapKey == "":
				p.add(o.at("mapKey"), "is required when sortAttribute %q is a string_number_map", rs.attrs[idx].name)
			case t != expr.AttrStringNumberMap && o.has("mapKey"):
				p.add(o.at("mapKey"), "is used only with string_number_map attributes; %q is a %s", rs.attrs[idx].name, t)
			case t == expr.AttrStringList:
				p.add(o.at("sortAttribute"), "attribute %q is a string_list, which cannot be sorted", rs.attrs[idx].name)
			case t == expr.AttrString && r.typ == RuleDistanceSort:
				p.add(o.at("sortAttribute"), "distanceSort needs a number or string_number_map attribute; %q is a string", rs.attrs[idx].name)
			}
		}
		o.get("mapKey") // a known key even when the attribute could not be resolved
		r.agg = o.enum("partyAggregation", defaultPartyAggNum, aggs...)
	case RuleCompound:
		if rs.large {
			p.add(o.at("type"), "compound rules are available only for matches of at most %d players", MaxSmallMatch)
		}
		stmt, ok := o.str("statement", true)
		if ok {
			node, err := parseCompound(stmt, earlier)
			if err != nil {
				p.add(o.at("statement"), "%v", err)
			} else {
				r.stmt = node
				node.markOperands()
				rs.checkCompoundCost(o.at("statement"), r, p)
			}
		}
	}
	for _, e := range r.meas {
		r.deferCount = r.deferCount || e.UsesCount()
	}
	if r.ref != nil && r.ref.UsesCount() {
		r.deferCount = true
	}
}

// numParam reads an optional (or required) non-negative number into a new parameter slot.
func (rs *RuleSet) numParam(o *obj, key string, required bool, p *problems) int {
	f, ok := o.num(key, required)
	if !ok {
		return -1
	}
	if f < 0 {
		p.add(o.at(key), "must not be negative, got %v", f)
		return -1
	}
	return rs.newParam(param{n: f})
}

// measurements compiles "measurements", a string or a list of strings, each an expression whose
// leaves must be of one of the allowed kinds.
func (rs *RuleSet) measurements(o *obj, p *problems, allowed ...expr.Kind) []*expr.Expr {
	n := o.get("measurements")
	if n == nil {
		p.add(o.at("measurements"), "is required")
		return nil
	}
	var srcs []*jsonc.Node
	var paths []string
	switch n.Kind {
	case jsonc.String:
		srcs, paths = []*jsonc.Node{n}, []string{o.at("measurements")}
	case jsonc.Array:
		if len(n.Items) == 0 {
			p.add(o.at("measurements"), "must not be empty")
		}
		for i, it := range n.Items {
			srcs, paths = append(srcs, it), append(paths, indexPath(o.at("measurements"), i))
		}
	default:
		p.add(o.at("measurements"), "must be an expression string or a list of them, got %s", n.Describe())
		return nil
	}
	var out []*expr.Expr
	for i, s := range srcs {
		if s.Kind != jsonc.String {
			p.add(paths[i], "must be an expression string, got %s", s.Describe())
			continue
		}
		e, err := expr.Compile(s.Text, &rs.scope)
		if err != nil {
			p.add(paths[i], "%v", err)
			continue
		}
		if !slices.Contains(allowed, e.Shape().Elem()) {
			p.add(paths[i], "%q gives %s values; this rule needs %s", s.Text, kindName(e.Shape().Elem()), kindNames(allowed))
			continue
		}
		out = append(out, e)
	}
	return out
}

// reference compiles "referenceValue": a number, an expression, a string literal or, for
// collection rules, a list of string literals.
func (rs *RuleSet) reference(o *obj, r *rule, p *problems, collection bool) {
	n := o.get("referenceValue")
	path := o.at("referenceValue")
	switch {
	case n.Kind == jsonc.Number:
		f, _ := numberOf(path, n, p)
		r.refParam = rs.newParam(param{n: f})
	case n.Kind == jsonc.String && expr.IsExpression(n.Text):
		e, err := expr.Compile(n.Text, &rs.scope)
		if err != nil {
			p.add(path, "%v", err)
			return
		}
		if !collection && e.Shape().Depth() != 0 {
			p.add(path, "%q gives a list; the reference must be a single value (aggregate it, e.g. with avg or max)", n.Text)
			return
		}
		r.ref = e
	case n.Kind == jsonc.String:
		r.refParam = rs.newParam(param{s: n.Text, isStr: true})
	case n.Kind == jsonc.Array && collection:
		for i, it := range n.Items {
			if it.Kind != jsonc.String {
				p.add(indexPath(path, i), "must be a string, got %s", it.Describe())
				continue
			}
			r.refList = append(r.refList, it.Text)
		}
	default:
		p.add(path, "must be a number, a string or an expression, got %s", n.Describe())
	}
}

// numericReference turns a literal reference written as a numeric string ("10") into a number,
// for rules that compare numbers: published rule sets write numbers as strings.
func (rs *RuleSet) numericReference(r *rule) {
	if r.refParam < 0 || !rs.base[r.refParam].isStr {
		return
	}
	if f, err := strconv.ParseFloat(strings.TrimSpace(rs.base[r.refParam].s), 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
		rs.base[r.refParam] = param{n: f}
	}
}

func kindName(k expr.Kind) string {
	switch k {
	case expr.KindNum:
		return "number"
	case expr.KindStr:
		return "string"
	case expr.KindPlayer:
		return "player"
	case expr.KindTeam:
		return "team"
	case expr.KindMap:
		return "map"
	}
	return "unknown"
}

func kindNames(ks []expr.Kind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = kindName(k)
	}
	return strings.Join(s, " or ")
}

// ---- compound statements

// cnode is one node of a compound statement: an operator with arguments, or a rule.
type cnode struct {
	op   string // "and", "or", "not", "xor", or "" for a rule
	rule *rule
	args []*cnode
}

// Bounds on compound statements. A statement nests at most maxCompoundDepth operators; a
// compound rule refers, through compound rules it names, at most maxCompoundChain levels deep;
// and a rule set's statements hold at most maxCompoundNodes operators and operands in all.
// Evaluation visits each rule once per potential match (Checker.rule), so these bound its cost
// to the rule set's size; they are far above any published rule set.
const (
	maxCompoundDepth = 32
	maxCompoundChain = 16
	maxCompoundNodes = 4096
)

// checkCompoundCost refuses a compound rule beyond the bounds above.
func (rs *RuleSet) checkCompoundCost(path string, r *rule, p *problems) {
	var walk func(n *cnode) (nodes, chain int)
	walk = func(n *cnode) (nodes, chain int) {
		if n.rule != nil {
			return 1, n.rule.chain
		}
		nodes = 1
		for _, a := range n.args {
			k, c := walk(a)
			nodes, chain = nodes+k, max(chain, c)
		}
		return nodes, chain
	}
	nodes, chain := walk(r.stmt)
	r.chain = chain + 1
	rs.compoundNodes += nodes
	switch {
	case r.chain > maxCompoundChain:
		p.add(path, "refers to compound rules %d levels deep; at most %d are allowed", r.chain, maxCompoundChain)
	case rs.compoundNodes > maxCompoundNodes:
		p.add(path, "compound statements hold %d operators and rules in all; at most %d are allowed", rs.compoundNodes, maxCompoundNodes)
	}
}

// parseCompound parses a statement such as "or(and(A, B), not(C))". Operands must be rules
// defined earlier in the rule set; batchDistance and sort rules cannot be operands.
func parseCompound(src string, earlier map[string]*rule) (*cnode, error) {
	cp := compoundParser{src: src, rules: earlier}
	n, err := cp.node(0)
	if err != nil {
		return nil, err
	}
	cp.space()
	if cp.pos < len(cp.src) {
		return nil, fmt.Errorf("unexpected %q at offset %d", cp.src[cp.pos:], cp.pos)
	}
	return n, nil
}

type compoundParser struct {
	src   string
	pos   int
	rules map[string]*rule
}

func (cp *compoundParser) space() {
	for cp.pos < len(cp.src) && strings.ContainsRune(" \t\r\n", rune(cp.src[cp.pos])) {
		cp.pos++
	}
}

func (cp *compoundParser) ident() string {
	cp.space()
	start := cp.pos
	for cp.pos < len(cp.src) && !strings.ContainsRune("(), \t\r\n", rune(cp.src[cp.pos])) {
		cp.pos++
	}
	return cp.src[start:cp.pos]
}

func (cp *compoundParser) node(depth int) (*cnode, error) {
	if depth > maxCompoundDepth {
		return nil, fmt.Errorf("statement nests deeper than %d levels", maxCompoundDepth)
	}
	at := cp.pos
	name := cp.ident()
	if name == "" {
		return nil, fmt.Errorf("expected a rule name or and/or/not/xor at offset %d", at)
	}
	cp.space()
	if cp.pos < len(cp.src) && cp.src[cp.pos] == '(' {
		op := strings.ToLower(name)
		if op != "and" && op != "or" && op != "not" && op != "xor" {
			return nil, fmt.Errorf("unknown operator %q at offset %d; use and, or, not, xor", name, at)
		}
		cp.pos++
		n := &cnode{op: op}
		for {
			arg, err := cp.node(depth + 1)
			if err != nil {
				return nil, err
			}
			n.args = append(n.args, arg)
			cp.space()
			if cp.pos >= len(cp.src) {
				return nil, fmt.Errorf("missing ) for %s at offset %d", op, at)
			}
			c := cp.src[cp.pos]
			cp.pos++
			if c == ')' {
				break
			}
			if c != ',' {
				return nil, fmt.Errorf("unexpected %q at offset %d", c, cp.pos-1)
			}
		}
		switch {
		case op == "not" && len(n.args) != 1:
			return nil, fmt.Errorf("not takes exactly one argument, got %d", len(n.args))
		case op != "not" && len(n.args) < 2:
			return nil, fmt.Errorf("%s takes at least two arguments, got %d", op, len(n.args))
		}
		return n, nil
	}
	r := cp.rules[name]
	switch {
	case r == nil:
		return nil, fmt.Errorf("rule %q is not defined before this compound rule%s", name, suggest.Hint(name, slices.Sorted(maps.Keys(cp.rules))))
	case r.typ == RuleBatchDistance:
		return nil, fmt.Errorf("batchDistance rule %q cannot be used in a compound rule", name)
	case r.typ == RuleAbsoluteSort || r.typ == RuleDistanceSort:
		return nil, fmt.Errorf("sort rule %q has no true or false value and cannot be used in a compound rule", name)
	}
	return &cnode{rule: r}, nil
}

func (n *cnode) markOperands() {
	if n.rule != nil {
		n.rule.operand = true
	}
	for _, a := range n.args {
		a.markOperands()
	}
}

package expr

// This file holds the FlexMatch property-expression language used by rule measurements and
// reference values: compilation with static type checks, and an Evaluator that reuses its scratch
// buffers so that evaluation does not allocate once it has warmed up.

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/seed-04d22514/matchmaker/internal/suggest"
)

// Bounds on expression sources, so that hostile rule sets cannot exhaust the stack or memory.
const (
	maxExprLen   = 4096
	maxExprDepth = 32
)

// AttrType is the type of a declared player attribute, with FlexMatch's names.
type AttrType string

// The four attribute types.
const (
	AttrString          AttrType = "string"
	AttrNumber          AttrType = "number"
	AttrStringList      AttrType = "string_list"
	AttrStringNumberMap AttrType = "string_number_map"
)

// AttrRef identifies a declared player attribute of the rule set.
type AttrRef struct {
	Index int // position among the rule set's playerAttributes
	Type  AttrType
}

// Scope resolves names while an expression is compiled.
type Scope struct {
	// Teams maps a team name to the indices of the match teams it selects. A definition name with
	// quantity > 1 maps to all its generated teams; a generated name ("red_2") or a quantity-1
	// definition maps to one team. Names are case-sensitive.
	Teams     map[string][]int
	TeamCount int // number of teams in a match; "*" selects 0..TeamCount-1
	Attrs     map[string]AttrRef
}

// Env is the potential match an expression reads. Every player has a value for every
// declared attribute (defaults already applied).
// Attribute arguments are indices among the rule set's declared attributes (AttrRef.Index).
type Env interface {
	TeamSize(team int) int
	PlayerID(team, i int) string
	Number(team, i, attr int) float64
	Str(team, i, attr int) string
	StrList(team, i, attr int) []string
	StrMap(team, i, attr int) map[string]float64
}

// Kind is the kind of a value an expression produces.
type Kind uint8

const (
	KindUndef  Kind = iota // no value: an aggregate over an empty list, or over an undefined element
	KindNum                // a number
	KindStr                // a string
	KindList               // a list held in the Evaluator's arena
	KindPlayer             // a player of the match
	KindTeam               // a team of the match
	KindMap                // a player's string_number_map attribute
)

var kindNames = [...]string{
	KindUndef:  "undefined values",
	KindNum:    "numbers",
	KindStr:    "strings",
	KindList:   "lists",
	KindPlayer: "players",
	KindTeam:   "teams",
	KindMap:    "string-number maps",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind " + strconv.Itoa(int(k))
}

// Shape is the static type of an expression's result: depth 0 is a Scalar of kind elem,
// depth 1 a list of elem, depth 2 a list of lists of elem, and so on.
type Shape struct {
	depth int
	elem  Kind
}

// Depth is 0 for a scalar, 1 for a list, 2 for a list of lists, and so on.
func (s Shape) Depth() int { return s.depth }

// Elem is the kind of the innermost values.
func (s Shape) Elem() Kind { return s.elem }

// Scalar is one leaf value: kind is KindUndef, KindNum or KindStr.
type Scalar struct {
	kind Kind
	num  float64
	str  string
}

// NumScalar, StrScalar and UndefScalar make scalars.
func NumScalar(f float64) Scalar { return Scalar{kind: KindNum, num: f} }

// StrScalar returns a string scalar.
func StrScalar(s string) Scalar { return Scalar{kind: KindStr, str: s} }

// UndefScalar returns the undefined scalar.
func UndefScalar() Scalar { return Scalar{kind: KindUndef} }

// Kind returns KindUndef, KindNum or KindStr.
func (s Scalar) Kind() Kind { return s.kind }

// Num returns the number of a KindNum scalar.
func (s Scalar) Num() float64 { return s.num }

// Str returns the string of a KindStr scalar.
func (s Scalar) Str() string { return s.str }

// Val is one value produced by an Evaluator. Lists do not hold Go slices: they name a range of the
// Evaluator's arena, so nested lists cost no allocation and stay valid while the arena grows.
type Val struct {
	kind Kind
	num  float64 // KindNum
	str  string  // KindStr
	// KindList: a = offset into the arena, b = length, c = nesting depth (1 for a list of scalars).
	// KindPlayer: a = team, b = player index. KindTeam: a = team.
	// KindMap: a = team, b = player index, c = attribute index.
	a, b, c int32
}

// Scalar returns v as a Scalar leaf, or false if v is a list, player, team or map.
func (v Val) Scalar() (Scalar, bool) {
	switch v.kind {
	case KindUndef, KindNum, KindStr:
		return Scalar{kind: v.kind, num: v.num, str: v.str}, true
	}
	return Scalar{}, false
}

// mapRef returns the team, player index and attribute index of a KindMap value.
func (v Val) mapRef() (team, i, attr int) { return int(v.a), int(v.b), int(v.c) }

// playerRef returns the team and player index of a KindPlayer value.
func (v Val) playerRef() (team, i int) { return int(v.a), int(v.b) }

func numVal(f float64) Val { return Val{kind: KindNum, num: f} }
func strVal(s string) Val  { return Val{kind: KindStr, str: s} }

func listVal(off, n, depth int) Val {
	return Val{kind: KindList, a: int32(off), b: int32(n), c: int32(depth)}
}

// funcKind names a function of the expression language; fnNone marks a path.
type funcKind uint8

const (
	fnNone funcKind = iota
	fnMin
	fnMax
	fnAvg
	fnMedian
	fnSum
	fnCount
	fnStddev
	fnFlatten
	fnSetIntersection
)

var funcNames = [...]string{
	fnMin:             "min",
	fnMax:             "max",
	fnAvg:             "avg",
	fnMedian:          "median",
	fnSum:             "sum",
	fnCount:           "count",
	fnStddev:          "stddev",
	fnFlatten:         "flatten",
	fnSetIntersection: "set_intersection",
}

func lookupFunc(name string) funcKind {
	for f, n := range funcNames {
		if n != "" && n == name {
			return funcKind(f)
		}
	}
	return fnNone
}

// pathEnd says where a path stops.
type pathEnd uint8

const (
	endTeams     pathEnd = iota // teams[sel]
	endPlayers                  // teams[sel].players
	endPlayerIDs                // teams[sel].players[playerId]
	endAttr                     // teams[sel].players.attributes[name]
)

// node is one compiled function application or path.
type node struct {
	fn    funcKind
	arg   *node // fnNone: nil
	shape Shape

	// Path fields, used when fn is fnNone.
	teams     []int    // selected team indices, in selector order
	teamNames []string // as written (trimmed); nil for "*"
	multi     bool     // the selector yields a list of teams rather than one team
	end       pathEnd
	attrName  string
	attr      AttrRef
}

// Expr is a compiled property expression. It is immutable and safe for concurrent use; each
// goroutine evaluates it with its own Evaluator.
type Expr struct {
	root  *node
	src   string // normalised source
	count bool
}

// shape returns the static type of the expression's result.
func (e *Expr) Shape() Shape { return e.root.shape }

// usesCount reports whether the expression applies count() anywhere. Team-size rules are deferred
// while a match is still partial.
func (e *Expr) UsesCount() bool { return e.count }

// String returns the normalised source: "teams" for the "team" alias, "playerId", no spaces.
func (e *Expr) String() string { return e.src }

// Error is a compile error: what went wrong and the byte offset in the source where, and for an
// unknown name the nearest known one.
type Error struct {
	offset int
	msg    string
	hint   string // " (did you mean ...?)", or ""
}

func (e *Error) Error() string { return e.msg + " at offset " + strconv.Itoa(e.offset) + e.hint }

// IsExpression reports whether a referenceValue string is an expression rather than a string
// literal: trimmed, it starts with "teams[" or "team[" (spaces allowed before the bracket) or with
// a function name followed by optional spaces and "(".
func IsExpression(s string) bool {
	s = strings.TrimSpace(s)
	n := identLen(s)
	rest := strings.TrimLeft(s[n:], " \t\r\n")
	switch word := s[:n]; {
	case word == "teams" || word == "team":
		return strings.HasPrefix(rest, "[")
	case lookupFunc(word) != fnNone:
		return strings.HasPrefix(rest, "(")
	}
	return false
}

// Compile parses src and checks it against sc. Errors say what is wrong and at which byte
// offset, and for an unknown function, team or attribute the nearest declared name, such as
// `unknown attribute "skil" at offset 32 (did you mean "skill"?)`; they carry no "matchmaker:"
// prefix because callers report them inside a FieldError.
func Compile(src string, sc *Scope) (*Expr, error) {
	if len(src) > maxExprLen {
		return nil, &Error{offset: maxExprLen, msg: "expression longer than " + strconv.Itoa(maxExprLen) + " bytes"}
	}
	p := parser{src: src, sc: sc}
	root, err := p.expr()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos < len(src) {
		return nil, p.fail("unexpected %q after the expression", p.rest())
	}
	var b strings.Builder
	root.format(&b)
	return &Expr{root: root, src: b.String(), count: root.usesCount()}, nil
}

func (n *node) usesCount() bool {
	for ; n != nil; n = n.arg {
		if n.fn == fnCount {
			return true
		}
	}
	return false
}

func (n *node) format(b *strings.Builder) {
	if n.fn != fnNone {
		b.WriteString(funcNames[n.fn])
		b.WriteByte('(')
		n.arg.format(b)
		b.WriteByte(')')
		return
	}
	b.WriteString("teams[")
	if n.teamNames == nil {
		b.WriteByte('*')
	} else {
		b.WriteString(strings.Join(n.teamNames, ","))
	}
	b.WriteByte(']')
	switch n.end {
	case endPlayers:
		b.WriteString(".players")
	case endPlayerIDs:
		b.WriteString(".players[playerId]")
	case endAttr:
		b.WriteString(".players.attributes[")
		b.WriteString(n.attrName)
		b.WriteByte(']')
	}
}

// parser is a recursive-descent parser over the source bytes; the grammar is in spec §b.10.
type parser struct {
	src   string
	pos   int
	depth int
	sc    *Scope
}

func (p *parser) fail(format string, args ...any) error {
	return p.failAt(p.pos, format, args...)
}

func (p *parser) failAt(offset int, format string, args ...any) error {
	return &Error{offset: offset, msg: fmt.Sprintf(format, args...)}
}

// unknown fails at offset because name, a what ("function", "team", "attribute"), is not among
// known, and suggests the nearest of them.
func (p *parser) unknown(offset int, what, name string, known []string) error {
	return &Error{offset: offset, msg: fmt.Sprintf("unknown %s %q", what, name), hint: suggest.Hint(name, known)}
}

// rest returns a short excerpt of the unparsed source for error messages.
func (p *parser) rest() string {
	r := p.src[p.pos:]
	if len(r) > 20 {
		r = r[:20] + "…"
	}
	return r
}

func (p *parser) space() {
	for p.pos < len(p.src) && isSpace(p.src[p.pos]) {
		p.pos++
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func identLen(s string) int {
	n := 0
	for n < len(s) {
		c := s[n]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			n++
			continue
		}
		break
	}
	return n
}

func (p *parser) ident() string {
	n := identLen(p.src[p.pos:])
	word := p.src[p.pos : p.pos+n]
	p.pos += n
	return word
}

// expect skips spaces and consumes c, or fails.
func (p *parser) expect(c byte) error {
	p.space()
	if p.pos >= len(p.src) {
		return p.fail("expected %q, found the end", string(c))
	}
	if p.src[p.pos] != c {
		return p.fail("expected %q, found %q", string(c), p.rest())
	}
	p.pos++
	return nil
}

// peek skips spaces and reports whether the next byte is c.
func (p *parser) peek(c byte) bool {
	p.space()
	return p.pos < len(p.src) && p.src[p.pos] == c
}

func (p *parser) expr() (*node, error) {
	p.space()
	start := p.pos
	if start >= len(p.src) {
		return nil, p.fail("expected an expression, found the end")
	}
	word := p.ident()
	switch {
	case word == "":
		return nil, p.fail("expected an expression, found %q", p.rest())
	case word == "teams" || word == "team":
		return p.path()
	}
	fn := lookupFunc(word)
	if fn == fnNone {
		if p.peek('(') {
			return nil, p.unknown(start, "function", word, funcNames[fnNone+1:])
		}
		return nil, p.failAt(start, "unexpected %q; want a function or teams[...]", word)
	}
	p.depth++
	if p.depth > maxExprDepth {
		return nil, p.failAt(start, "expression nested deeper than %d", maxExprDepth)
	}
	if err := p.expect('('); err != nil {
		return nil, err
	}
	arg, err := p.expr()
	if err != nil {
		return nil, err
	}
	if err := p.expect(')'); err != nil {
		return nil, err
	}
	p.depth--
	n := &node{fn: fn, arg: arg}
	if err := n.check(); err != nil {
		return nil, p.failAt(start, "%s", err.Error())
	}
	return n, nil
}

// check derives a function application's shape from its argument's, or says why it does not fit.
func (n *node) check() error {
	name, in := funcNames[n.fn], n.arg.shape
	if in.depth == 0 {
		return fmt.Errorf("%s needs a list, got a single %s", name, strings.TrimSuffix(in.elem.String(), "s"))
	}
	switch n.fn {
	case fnCount:
		n.shape = Shape{depth: in.depth - 1, elem: KindNum}
	case fnFlatten:
		n.shape = Shape{depth: max(in.depth-1, 1), elem: in.elem}
	case fnSetIntersection:
		if in.elem != KindStr {
			return fmt.Errorf("%s needs strings, got %s", name, in.elem)
		}
		n.shape = Shape{depth: max(in.depth-1, 1), elem: KindStr}
	default:
		if in.elem != KindNum {
			return fmt.Errorf("%s needs numbers, got %s", name, in.elem)
		}
		n.shape = Shape{depth: in.depth - 1, elem: KindNum}
	}
	return nil
}

// path parses what follows "teams": "[sel]" and the optional player suffix.
func (p *parser) path() (*node, error) {
	if err := p.expect('['); err != nil {
		return nil, err
	}
	n := &node{}
	if err := p.teamSelector(n); err != nil {
		return nil, err
	}
	n.shape = Shape{depth: 0, elem: KindTeam}
	if n.multi {
		n.shape.depth = 1
	}
	if !p.peek('.') {
		return n, nil
	}
	p.pos++
	p.space()
	at := p.pos
	if word := p.ident(); word != "players" {
		return nil, p.failAt(at, "expected \"players\" after \"teams[...].\", found %q", word)
	}
	n.end = endPlayers
	n.shape = Shape{depth: n.shape.depth + 1, elem: KindPlayer}
	switch {
	case p.peek('['):
		p.pos++
		at, name, err := p.bracketName()
		if err != nil {
			return nil, err
		}
		if !strings.EqualFold(name, "playerid") {
			return nil, p.failAt(at, "unknown player field %q; want playerId", name)
		}
		n.end = endPlayerIDs
		n.shape.elem = KindStr
	case p.peek('.'):
		p.pos++
		p.space()
		at := p.pos
		if word := p.ident(); word != "attributes" {
			return nil, p.failAt(at, "expected \"attributes\" after \".players.\", found %q", word)
		}
		if err := p.expect('['); err != nil {
			return nil, err
		}
		at, name, err := p.bracketName()
		if err != nil {
			return nil, err
		}
		ref, ok := p.sc.Attrs[name]
		if !ok {
			return nil, p.unknown(at, "attribute", name, slices.Sorted(maps.Keys(p.sc.Attrs)))
		}
		n.end, n.attrName, n.attr = endAttr, name, ref
		n.shape.elem = attrKind(ref.Type)
		if ref.Type == AttrStringList {
			n.shape.depth++
		}
	}
	return n, nil
}

func attrKind(t AttrType) Kind {
	switch t {
	case AttrNumber:
		return KindNum
	case AttrStringNumberMap:
		return KindMap
	}
	return KindStr
}

// teamSelector parses the inside of "teams[...]" and the closing bracket.
func (p *parser) teamSelector(n *node) error {
	start := p.pos
	end, err := p.closeBracket()
	if err != nil {
		return err
	}
	inner := p.src[start:end]
	p.pos = end + 1
	if strings.TrimSpace(inner) == "*" {
		n.multi = true
		n.teams = make([]int, p.sc.TeamCount)
		for i := range n.teams {
			n.teams[i] = i
		}
		return nil
	}
	off := start
	for part := range strings.SplitSeq(inner, ",") {
		name := strings.TrimSpace(part)
		at := off + strings.Index(part, name)
		off += len(part) + 1
		switch {
		case name == "":
			return p.failAt(at, "empty team name")
		case name == "*":
			return p.failAt(at, "\"*\" cannot be combined with team names")
		}
		idx, ok := p.sc.Teams[name]
		if !ok {
			return p.unknown(at, "team", name, slices.Sorted(maps.Keys(p.sc.Teams)))
		}
		n.teamNames = append(n.teamNames, name)
		n.teams = append(n.teams, idx...)
	}
	n.multi = len(n.teamNames) > 1 || len(n.teams) != 1
	return nil
}

// bracketName parses a name and the "]" after it, returning the trimmed name and its offset.
func (p *parser) bracketName() (int, string, error) {
	start := p.pos
	end, err := p.closeBracket()
	if err != nil {
		return 0, "", err
	}
	raw := p.src[start:end]
	name := strings.TrimSpace(raw)
	at := start + strings.Index(raw, name)
	p.pos = end + 1
	if name == "" {
		return at, "", p.failAt(at, "empty name in brackets")
	}
	if strings.ContainsRune(name, ',') {
		return at, "", p.failAt(at, "a list of names is not allowed here")
	}
	return at, name, nil
}

// closeBracket finds the "]" that closes a bracket opened just before p.pos.
func (p *parser) closeBracket() (int, error) {
	for i := p.pos; i < len(p.src); i++ {
		switch p.src[i] {
		case ']':
			return i, nil
		case '[', '(', ')':
			return 0, p.failAt(i, "unexpected %q inside brackets", string(p.src[i]))
		}
	}
	return 0, p.failAt(p.pos-1, "unclosed \"[\"")
}

// Evaluator evaluates compiled expressions. Its arena and scratch buffers are reused across
// evaluations, so a warmed-up Evaluator does not allocate. Values it returns stay valid until
// reset. An Evaluator is not safe for concurrent use.
type Evaluator struct {
	items  []Val     // arena holding the elements of every list
	nums   []float64 // scratch for median
	strs   []string  // backing store for stringSets results
	bounds []int     // scratch for stringSets
	// sawUndef records that stringSets met an undefined value since the last reset.
	sawUndef bool
}

// reset starts one rule evaluation; values returned earlier become invalid.
func (ev *Evaluator) Reset() {
	ev.items = ev.items[:0]
	ev.strs = ev.strs[:0]
	ev.sawUndef = false
}

// alloc reserves n arena slots and returns the offset of the first. Callers index the arena by
// offset afterwards because the arena may move when it grows.
func (ev *Evaluator) alloc(n int) int {
	off := len(ev.items)
	ev.items = slices.Grow(ev.items, n)[:off+n]
	return off
}

// elem returns element i of list v.
func (ev *Evaluator) elem(v Val, i int) Val { return ev.items[int(v.a)+i] }

// length returns the number of elements of list v, or 0 if v is not a list.
func (ev *Evaluator) length(v Val) int {
	if v.kind != KindList {
		return 0
	}
	return int(v.b)
}

// eval evaluates e against env.
func (ev *Evaluator) Eval(e *Expr, env Env) Val { return ev.node(e.root, env) }

func (ev *Evaluator) node(n *node, env Env) Val {
	if n.fn == fnNone {
		return ev.path(n, env)
	}
	arg := ev.node(n.arg, env)
	depth := n.arg.shape.depth
	switch n.fn {
	case fnFlatten:
		return ev.flatten(arg, depth)
	case fnSetIntersection:
		return ev.setIntersection(arg, depth)
	}
	return ev.lift(n.fn, arg, depth)
}

func (ev *Evaluator) path(n *node, env Env) Val {
	if !n.multi {
		return ev.teamPath(n, n.teams[0], env)
	}
	off := ev.alloc(len(n.teams))
	for i, t := range n.teams {
		ev.items[off+i] = ev.teamPath(n, t, env)
	}
	return listVal(off, len(n.teams), n.shape.depth)
}

// teamPath evaluates the part of path n after the selector for one team.
func (ev *Evaluator) teamPath(n *node, team int, env Env) Val {
	if n.end == endTeams {
		return Val{kind: KindTeam, a: int32(team)}
	}
	size := env.TeamSize(team)
	depth := 1
	if n.end == endAttr && n.attr.Type == AttrStringList {
		depth = 2
	}
	off := ev.alloc(size)
	for i := range size {
		ev.items[off+i] = ev.playerValue(n, team, i, env)
	}
	return listVal(off, size, depth)
}

func (ev *Evaluator) playerValue(n *node, team, i int, env Env) Val {
	switch n.end {
	case endPlayerIDs:
		return strVal(env.PlayerID(team, i))
	case endAttr:
		attr := n.attr.Index
		switch n.attr.Type {
		case AttrNumber:
			return numVal(env.Number(team, i, attr))
		case AttrString:
			return strVal(env.Str(team, i, attr))
		case AttrStringList:
			list := env.StrList(team, i, attr)
			off := ev.alloc(len(list))
			for k, s := range list {
				ev.items[off+k] = strVal(s)
			}
			return listVal(off, len(list), 1)
		case AttrStringNumberMap:
			return Val{kind: KindMap, a: int32(team), b: int32(i), c: int32(attr)}
		}
	}
	return Val{kind: KindPlayer, a: int32(team), b: int32(i)}
}

// lift applies an aggregate to each innermost list of v, a list of the given depth.
func (ev *Evaluator) lift(fn funcKind, v Val, depth int) Val {
	if v.kind != KindList {
		return Val{}
	}
	if depth <= 1 {
		return ev.aggregate(fn, ev.items[v.a:v.a+v.b])
	}
	off := ev.alloc(int(v.b))
	for i := range int(v.b) {
		ev.items[off+i] = ev.lift(fn, ev.elem(v, i), depth-1)
	}
	return listVal(off, int(v.b), depth-1)
}

// aggregate reduces a list of scalars. Empty lists give undefined except for count and sum; an
// undefined element makes every aggregate but count undefined.
func (ev *Evaluator) aggregate(fn funcKind, items []Val) Val {
	if fn == fnCount {
		return numVal(float64(len(items)))
	}
	for _, it := range items {
		if it.kind != KindNum {
			return Val{}
		}
	}
	if len(items) == 0 {
		if fn == fnSum {
			return numVal(0)
		}
		return Val{}
	}
	switch fn {
	case fnMin:
		m := items[0].num
		for _, it := range items[1:] {
			m = min(m, it.num)
		}
		return numVal(m)
	case fnMax:
		m := items[0].num
		for _, it := range items[1:] {
			m = max(m, it.num)
		}
		return numVal(m)
	case fnSum:
		return numVal(sum(items))
	case fnAvg:
		return numVal(sum(items) / float64(len(items)))
	case fnMedian:
		return numVal(ev.median(items))
	case fnStddev:
		return numVal(stddev(items))
	}
	return Val{}
}

func sum(items []Val) float64 {
	s := 0.0
	for _, it := range items {
		s += it.num
	}
	return s
}

// stddev is the population standard deviation.
func stddev(items []Val) float64 {
	mean := sum(items) / float64(len(items))
	sq := 0.0
	for _, it := range items {
		d := it.num - mean
		sq += d * d
	}
	return math.Sqrt(sq / float64(len(items)))
}

// median of an even-length list is the mean of the two middle values.
func (ev *Evaluator) median(items []Val) float64 {
	ev.nums = ev.nums[:0]
	for _, it := range items {
		ev.nums = append(ev.nums, it.num)
	}
	slices.Sort(ev.nums)
	n := len(ev.nums)
	if n%2 == 1 {
		return ev.nums[n/2]
	}
	return (ev.nums[n/2-1] + ev.nums[n/2]) / 2
}

// flatten removes one nesting level from v, a list of the given depth; a flat list is returned
// unchanged.
func (ev *Evaluator) flatten(v Val, depth int) Val {
	if v.kind != KindList || depth <= 1 {
		return v
	}
	total := 0
	for i := range int(v.b) {
		total += int(ev.elem(v, i).b)
	}
	off := ev.alloc(total)
	k := off
	for i := range int(v.b) {
		sub := ev.elem(v, i)
		k += copy(ev.items[k:], ev.items[sub.a:sub.a+sub.b])
	}
	return listVal(off, total, depth-1)
}

// setIntersection returns the strings present in every sublist of v, in the order of the first
// sublist and without repeats. A flat list is returned unchanged; deeper lists lift.
func (ev *Evaluator) setIntersection(v Val, depth int) Val {
	if v.kind != KindList || depth <= 1 {
		return v
	}
	if depth > 2 {
		off := ev.alloc(int(v.b))
		for i := range int(v.b) {
			ev.items[off+i] = ev.setIntersection(ev.elem(v, i), depth-1)
		}
		return listVal(off, int(v.b), depth-1)
	}
	off := len(ev.items)
	if v.b == 0 {
		// The intersection of no sets (an empty team's) is not known yet: undefined, like the
		// other aggregates over an empty list.
		return Val{kind: KindUndef}
	}
	first := ev.elem(v, 0)
	for i := range int(first.b) {
		s := ev.elem(first, i).str
		if ev.contains(listVal(off, len(ev.items)-off, 1), s) || !ev.inEvery(v, s) {
			continue
		}
		ev.items = append(ev.items, strVal(s))
	}
	return listVal(off, len(ev.items)-off, 1)
}

func (ev *Evaluator) inEvery(lists Val, s string) bool {
	for i := 1; i < int(lists.b); i++ {
		if !ev.contains(ev.elem(lists, i), s) {
			return false
		}
	}
	return true
}

func (ev *Evaluator) contains(list Val, s string) bool {
	for _, it := range ev.items[list.a : list.a+list.b] {
		if it.kind == KindStr && it.str == s {
			return true
		}
	}
	return false
}

// leaves appends every Scalar leaf of v (numbers, strings and undefined values), flattening
// completely. Players, teams and maps are not Scalar leaves and are skipped.
func (ev *Evaluator) Leaves(v Val, dst []Scalar) []Scalar {
	if v.kind == KindList {
		for i := range int(v.b) {
			dst = ev.Leaves(ev.elem(v, i), dst)
		}
		return dst
	}
	if s, ok := v.Scalar(); ok {
		dst = append(dst, s)
	}
	return dst
}

// stringSets appends each innermost list of v as one set of its strings: a flat list of strings
// is one set, a lone string is a one-element set, and an empty innermost list (a player with no
// values) is an empty set. The sets share the Evaluator's storage and stay valid until reset;
// each has its capacity clipped so that appending to one cannot overwrite another.
func (ev *Evaluator) StringSets(v Val, dst [][]string) [][]string {
	ev.bounds = ev.bounds[:0]
	prev := len(ev.strs)
	ev.collectSets(v)
	for _, end := range ev.bounds {
		dst = append(dst, ev.strs[prev:end:end])
		prev = end
	}
	return dst
}

func (ev *Evaluator) collectSets(v Val) {
	switch {
	case v.kind == KindStr:
		ev.strs = append(ev.strs, v.str)
	case v.kind == KindList && v.c <= 1:
		for i := range int(v.b) {
			if e := ev.elem(v, i); e.kind == KindStr {
				ev.strs = append(ev.strs, e.str)
			}
		}
	case v.kind == KindList:
		for i := range int(v.b) {
			ev.collectSets(ev.elem(v, i))
		}
		return
	default:
		ev.sawUndef = ev.sawUndef || v.kind == KindUndef
		return
	}
	ev.bounds = append(ev.bounds, len(ev.strs))
}

// SawUndef reports whether StringSets met an undefined value since the last Reset.
func (ev *Evaluator) SawUndef() bool { return ev.sawUndef }

// Trend says how an expression's value can change as players join a potential match; the rule
// evaluator derives from it which way a rule's verdict can move.
type Trend uint8

// Trends.
const (
	// TrendAny: the value can change either way (an average, a sum, a median).
	TrendAny Trend = iota
	// TrendPerPlayer: a list of each player's own values; joining players only add values,
	// and the values already there never change.
	TrendPerPlayer
	// TrendUp: a value that never decreases (a count of players, a maximum of their values).
	TrendUp
	// TrendDown: a value that never increases (a minimum, a set intersection).
	TrendDown
)

// Trend returns how e's value can change as players join.
func (e *Expr) Trend() Trend { return e.root.trend() }

func (n *node) trend() Trend {
	if n.fn == fnNone {
		if n.end == endAttr || n.end == endPlayerIDs {
			return TrendPerPlayer
		}
		return TrendAny // players or teams themselves: only count makes them a value
	}
	in := n.arg.trend()
	switch n.fn {
	case fnFlatten:
		return in
	case fnCount:
		a := n.arg
		for a.fn == fnFlatten {
			a = a.arg
		}
		if a.fn == fnNone { // counts players, or their values: joining players only add
			return TrendUp
		}
	case fnMax:
		if in == TrendPerPlayer || in == TrendUp {
			return TrendUp
		}
	case fnMin, fnSetIntersection:
		if in == TrendPerPlayer || in == TrendDown {
			return TrendDown
		}
	}
	return TrendAny
}

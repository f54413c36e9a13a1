package expr

import (
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakePlayer is one player of a fakeEnv; attrs holds float64, string, []string or
// map[string]float64 values by attribute name.
type fakePlayer struct {
	id    string
	attrs map[string]any
}

// fakeEnv is a potential match for expression tests.
type fakeEnv struct {
	attrNames []string // by attribute index
	teams     [][]fakePlayer
}

func (e *fakeEnv) TeamSize(team int) int         { return len(e.teams[team]) }
func (e *fakeEnv) PlayerID(team, i int) string   { return e.teams[team][i].id }
func (e *fakeEnv) value(team, i, attr int) any   { return e.teams[team][i].attrs[e.attrNames[attr]] }
func (e *fakeEnv) Number(team, i, a int) float64 { return e.value(team, i, a).(float64) }
func (e *fakeEnv) Str(team, i, a int) string     { return e.value(team, i, a).(string) }
func (e *fakeEnv) StrList(team, i, a int) []string {
	return e.value(team, i, a).([]string)
}
func (e *fakeEnv) StrMap(team, i, a int) map[string]float64 {
	return e.value(team, i, a).(map[string]float64)
}

// testDecl holds the declarations of a rule set that expressions see.
type testDecl struct {
	attrs []string // "name:type"
	teams []string // "name" or "name*quantity"; generated teams are name_1 … name_n
}

func (d testDecl) attrNames() []string {
	names := make([]string, len(d.attrs))
	for i, a := range d.attrs {
		names[i], _, _ = strings.Cut(a, ":")
	}
	return names
}

func (d testDecl) scope() *Scope {
	sc := &Scope{Teams: map[string][]int{}, Attrs: map[string]AttrRef{}}
	for i, a := range d.attrs {
		name, typ, _ := strings.Cut(a, ":")
		sc.Attrs[name] = AttrRef{Index: i, Type: AttrType(typ)}
	}
	for _, t := range d.teams {
		name, q := t, 1
		if n, qs, ok := strings.Cut(t, "*"); ok {
			name = n
			_, _ = fmt.Sscan(qs, &q)
		}
		for k := range q {
			sc.Teams[name] = append(sc.Teams[name], sc.TeamCount)
			if q > 1 {
				sc.Teams[fmt.Sprintf("%s_%d", name, k+1)] = []int{sc.TeamCount}
			}
			sc.TeamCount++
		}
	}
	return sc
}

// generated returns an env with two players per team: number attributes are 10*(team+1)+i,
// strings "s<team>", string lists ["common", "t<team>"], maps {"k": 1}, IDs "p<team><i>".
func (d testDecl) generated() *fakeEnv {
	env := &fakeEnv{attrNames: d.attrNames(), teams: make([][]fakePlayer, d.scope().TeamCount)}
	for t := range env.teams {
		for i := range 2 {
			p := fakePlayer{id: fmt.Sprintf("p%d%d", t, i), attrs: map[string]any{}}
			for _, a := range d.attrs {
				name, typ, _ := strings.Cut(a, ":")
				switch AttrType(typ) {
				case AttrNumber:
					p.attrs[name] = float64(10*(t+1) + i)
				case AttrString:
					p.attrs[name] = fmt.Sprintf("s%d", t)
				case AttrStringList:
					p.attrs[name] = []string{"common", fmt.Sprintf("t%d", t)}
				case AttrStringNumberMap:
					p.attrs[name] = map[string]float64{"k": 1}
				}
			}
			env.teams[t] = append(env.teams[t], p)
		}
	}
	return env
}

// pl builds a player from name/value pairs; ints become float64.
func pl(id string, kv ...any) fakePlayer {
	p := fakePlayer{id: id, attrs: map[string]any{}}
	for i := 0; i+1 < len(kv); i += 2 {
		v := kv[i+1]
		if n, ok := v.(int); ok {
			v = float64(n)
		}
		p.attrs[kv[i].(string)] = v
	}
	return p
}

type undefined struct{}

// U is the expected Go form of an undefined value.
var U = undefined{}

// L builds an expected list; ints become float64.
func L(items ...any) []any {
	out := make([]any, len(items))
	for i, it := range items {
		if n, ok := it.(int); ok {
			it = float64(n)
		}
		out[i] = it
	}
	return out
}

// goValue turns a Val into plain Go values for comparison.
func goValue(ev *Evaluator, v Val) any {
	switch v.kind {
	case KindUndef:
		return U
	case KindNum:
		return v.num
	case KindStr:
		return v.str
	case KindList:
		out := make([]any, 0, ev.length(v))
		for i := range ev.length(v) {
			out = append(out, goValue(ev, ev.elem(v, i)))
		}
		return out
	case KindPlayer:
		t, i := v.playerRef()
		return fmt.Sprintf("player %d/%d", t, i)
	case KindTeam:
		return fmt.Sprintf("team %d", v.a)
	case KindMap:
		t, i, a := v.mapRef()
		return fmt.Sprintf("map %d/%d/%d", t, i, a)
	}
	return fmt.Sprintf("bad kind %d", v.kind)
}

// checkShape fails if v does not conform to the static shape s (a number may be undefined).
func checkShape(t testing.TB, ev *Evaluator, v Val, s Shape) {
	t.Helper()
	if v.kind == KindUndef && (s.depth == 0 && s.elem == KindNum || s.depth == 1 && s.elem == KindStr) {
		return // an aggregate (or a set intersection) over an empty list
	}
	if s.depth == 0 {
		if v.kind != s.elem {
			t.Fatalf("value kind %v, want %v", v.kind, s.elem)
		}
		return
	}
	if v.kind != KindList || int(v.c) != s.depth {
		t.Fatalf("value kind %v depth %d, want list of depth %d", v.kind, v.c, s.depth)
	}
	for i := range ev.length(v) {
		checkShape(t, ev, ev.elem(v, i), Shape{depth: s.depth - 1, elem: s.elem})
	}
}

// general is the declaration used by most tests: red, blue, an empty green and a trio of three.
var general = testDecl{
	attrs: []string{"skill:number", "mode:string", "prefs:string_list", "maps:string_number_map"},
	teams: []string{"red", "blue", "green", "trio*3"},
}

func generalEnv() *fakeEnv {
	return &fakeEnv{attrNames: general.attrNames(), teams: [][]fakePlayer{
		{
			pl("a", "skill", 10, "mode", "x", "prefs", []string{"A", "B"}, "maps", map[string]float64{}),
			pl("b", "skill", 20, "mode", "y", "prefs", []string{"B", "C"}, "maps", map[string]float64{}),
		},
		{
			pl("c", "skill", 30, "mode", "x", "prefs", []string{"B"}, "maps", map[string]float64{}),
			pl("d", "skill", 40, "mode", "x", "prefs", []string{"C", "B"}, "maps", map[string]float64{}),
			pl("e", "skill", 50, "mode", "z", "prefs", []string{}, "maps", map[string]float64{}),
		},
		{},
		{pl("f", "skill", 1, "mode", "x", "prefs", []string{"B"}, "maps", map[string]float64{})},
		{pl("g", "skill", 2, "mode", "x", "prefs", []string{"B", "A"}, "maps", map[string]float64{})},
		{pl("h", "skill", 3, "mode", "x", "prefs", []string{"B", "B"}, "maps", map[string]float64{})},
	}}
}

type evalCase struct {
	src  string
	want any
}

var generalCases = []evalCase{
	// Selectors.
	{"teams[red]", "team 0"},
	{"team[red]", "team 0"},
	{"teams[trio_2]", "team 4"},
	{"teams[red,blue]", L("team 0", "team 1")},
	{"teams[ red , blue ]", L("team 0", "team 1")},
	{"teams[*]", L("team 0", "team 1", "team 2", "team 3", "team 4", "team 5")},
	{"teams[trio]", L("team 3", "team 4", "team 5")},
	{"teams[red].players", L("player 0/0", "player 0/1")},
	{"teams[green].players", L()},
	{"teams[red,green].players", L(L("player 0/0", "player 0/1"), L())},
	{"teams[red].players[playerId]", L("a", "b")},
	{"teams[red].players[playerid]", L("a", "b")},
	{"teams[red].players[ PLAYERID ]", L("a", "b")},
	{"teams[trio].players[playerId]", L(L("f"), L("g"), L("h"))},
	{"teams[red].players.attributes[skill]", L(10, 20)},
	{"teams[red,blue].players.attributes[mode]", L(L("x", "y"), L("x", "x", "z"))},
	{"teams[red].players.attributes[prefs]", L(L("A", "B"), L("B", "C"))},
	{"teams[red].players.attributes[maps]", L("map 0/0/3", "map 0/1/3")},
	{" teams [ red ] . players . attributes [ skill ] ", L(10, 20)},
	// count.
	{"count(teams[*])", 6.0},
	{"count(teams[red].players)", 2.0},
	{"count(teams[green].players)", 0.0},
	{"count(teams[*].players)", L(2, 3, 0, 1, 1, 1)},
	{"count (teams[*].players)", L(2, 3, 0, 1, 1, 1)},
	{"count(flatten(teams[*].players))", 8.0},
	{"count(teams[red].players.attributes[prefs])", L(2, 2)},
	{"count(teams[red].players.attributes[maps])", 2.0},
	{"max(count(teams[*].players))", 3.0},
	{"min(count(teams[*].players))", 0.0},
	// Numeric aggregates, lifting and undefined.
	{"sum(teams[red].players.attributes[skill])", 30.0},
	{"sum(teams[green].players.attributes[skill])", 0.0},
	{"sum(flatten(teams[*].players.attributes[skill]))", 156.0},
	{"avg(teams[red].players.attributes[skill])", 15.0},
	{"avg(teams[green].players.attributes[skill])", U},
	{"min(teams[green].players.attributes[skill])", U},
	{"max(teams[green].players.attributes[skill])", U},
	{"median(teams[green].players.attributes[skill])", U},
	{"stddev(teams[green].players.attributes[skill])", U},
	{"avg(teams[*].players.attributes[skill])", L(15, 40, U, 1, 2, 3)},
	{"max(avg(teams[*].players.attributes[skill]))", U},
	{"sum(avg(teams[*].players.attributes[skill]))", U},
	{"count(avg(teams[*].players.attributes[skill]))", 6.0},
	{"avg(teams[red,blue].players.attributes[skill])", L(15, 40)},
	{"max(avg(teams[red,blue].players.attributes[skill]))", 40.0},
	{"min(flatten(teams[red,blue].players.attributes[skill]))", 10.0},
	{"max(teams[trio].players.attributes[skill])", L(1, 2, 3)},
	{"median(teams[red].players.attributes[skill])", 15.0},
	{"median(teams[blue].players.attributes[skill])", 40.0},
	{"median(flatten(teams[trio,blue].players.attributes[skill]))", 16.5},
	{"stddev(teams[red].players.attributes[skill])", 5.0},
	{"stddev(teams[blue].players.attributes[skill])", math.Sqrt(200.0 / 3)},
	// flatten.
	{"flatten(teams[red].players.attributes[skill])", L(10, 20)},
	{"flatten(teams[*].players[playerId])", L("a", "b", "c", "d", "e", "f", "g", "h")},
	{"flatten(teams[red,blue].players.attributes[prefs])",
		L(L("A", "B"), L("B", "C"), L("B"), L("C", "B"), L())},
	{"flatten(flatten(teams[red,blue].players.attributes[prefs]))", L("A", "B", "B", "C", "B", "C", "B")},
	{"flatten(teams[*])", L("team 0", "team 1", "team 2", "team 3", "team 4", "team 5")},
	// set_intersection.
	{"set_intersection(teams[red].players.attributes[prefs])", L("B")},
	{"set_intersection(teams[red,blue].players.attributes[prefs])", L(L("B"), L())},
	{"set_intersection(flatten(teams[trio].players.attributes[prefs]))", L("B")},
	{"set_intersection(teams[trio].players.attributes[prefs])", L(L("B"), L("B", "A"), L("B"))},
	{"set_intersection(teams[red].players[playerId])", L("a", "b")},
	{"set_intersection(teams[green].players.attributes[prefs])", U}, // no sets yet: not known
	{"set_intersection(teams[red,blue].players.attributes[mode])", L("x")},
	{"set_intersection(teams[*].players.attributes[mode])", L()},
}

// check compiles tc.src, evaluates it and compares the result with tc.want.
func (tc evalCase) check(t *testing.T, ev *Evaluator, sc *Scope, env Env) {
	t.Helper()
	e, err := Compile(tc.src, sc)
	require.NoError(t, err)
	ev.Reset()
	v := ev.Eval(e, env)
	checkShape(t, ev, v, e.Shape())
	assertValue(t, tc.want, goValue(ev, v))
}

func TestEvalGeneral(t *testing.T) {
	sc, env := general.scope(), generalEnv()
	var ev Evaluator
	for _, tc := range generalCases {
		t.Run(tc.src, func(t *testing.T) {
			tc.check(t, &ev, sc, env)
		})
	}
}

// assertValue compares with a small tolerance for floats.
func assertValue(t *testing.T, want, got any) {
	t.Helper()
	if w, ok := want.(float64); ok {
		g, ok := got.(float64)
		require.Truef(t, ok, "got %#v, want %v", got, want)
		assert.InDelta(t, w, g, 1e-9)
		return
	}
	if w, ok := want.([]any); ok {
		g, ok := got.([]any)
		require.Truef(t, ok, "got %#v, want list %v", got, want)
		require.Lenf(t, g, len(w), "got %v, want %v", got, want)
		for i := range w {
			assertValue(t, w[i], g[i])
		}
		return
	}
	assert.Equal(t, want, got)
}

func TestExprShapeAndString(t *testing.T) {
	sc := general.scope()
	for _, tc := range []struct {
		src, norm string
		shape     Shape
		count     bool
	}{
		{"team[red]", "teams[red]", Shape{0, KindTeam}, false},
		{"teams[ red , blue ]", "teams[red,blue]", Shape{1, KindTeam}, false},
		{"teams[trio]", "teams[trio]", Shape{1, KindTeam}, false},
		{"teams[*].players", "teams[*].players", Shape{2, KindPlayer}, false},
		{"teams[red].players[playerid]", "teams[red].players[playerId]", Shape{1, KindStr}, false},
		{"teams[*].players.attributes[prefs]", "teams[*].players.attributes[prefs]", Shape{3, KindStr}, false},
		{"teams[red].players.attributes[maps]", "teams[red].players.attributes[maps]", Shape{1, KindMap}, false},
		{"count (teams[*].players)", "count(teams[*].players)", Shape{1, KindNum}, true},
		{"max( count(teams[*].players) )", "max(count(teams[*].players))", Shape{0, KindNum}, true},
		{"avg(flatten(teams[*].players.attributes[skill]))", "avg(flatten(teams[*].players.attributes[skill]))", Shape{0, KindNum}, false},
		{"set_intersection(teams[*].players.attributes[prefs])", "set_intersection(teams[*].players.attributes[prefs])", Shape{2, KindStr}, false},
		{"flatten(teams[red].players.attributes[skill])", "flatten(teams[red].players.attributes[skill])", Shape{1, KindNum}, false},
	} {
		e, err := Compile(tc.src, sc)
		require.NoError(t, err, tc.src)
		assert.Equal(t, tc.norm, e.String(), tc.src)
		assert.Equal(t, tc.shape, e.Shape(), tc.src)
		assert.Equal(t, tc.count, e.UsesCount(), tc.src)
	}
}

// rulesetCases are the measurements and expression referenceValues of every rule set in
// shared/rulesets, evaluated against testDecl.generated.
var rulesetCases = []struct {
	file  string
	decl  testDecl
	exprs []evalCase
}{
	{"01 two teams evenly matched (and 01a)", testDecl{[]string{"skill:number"}, []string{"cowboys", "aliens"}}, []evalCase{
		{"avg(teams[*].players.attributes[skill])", L(10.5, 20.5)},
		{"avg(flatten(teams[*].players.attributes[skill]))", 15.5},
		{"count(teams[cowboys].players)", 2.0},
		{"count(teams[aliens].players)", 2.0},
	}},
	{"02 hunters vs monster", testDecl{[]string{"skill:number", "desiredSkillOfMonster:number", "wantsToBeMonster:number"}, []string{"players", "monster"}}, []evalCase{
		{"teams[monster].players.attributes[wantsToBeMonster]", L(20, 21)},
		{"teams[players].players.attributes[wantsToBeMonster]", L(10, 11)},
		{"avg(teams[monster].players.attributes[skill])", 20.5},
		{"max(teams[players].players.attributes[desiredSkillOfMonster])", 11.0},
	}},
	{"03 three teams medic limit", testDecl{[]string{"skill:number", "character:string_list"}, []string{"trio*3"}}, []evalCase{
		{"avg(teams[*].players.attributes[skill])", L(10.5, 20.5, 30.5)},
		{"avg(flatten(teams[*].players.attributes[skill]))", 20.5},
		{"max(count(teams[*].players))", 2.0},
		{"min(count(teams[*].players))", 2.0},
		{"flatten(teams[*].players.attributes[character])", L(
			L("common", "t0"), L("common", "t0"), L("common", "t1"), L("common", "t1"), L("common", "t2"), L("common", "t2"))},
	}},
	{"04 sorting map and experience", testDecl{[]string{"experience:number", "gameMode:string_list", "mapPreference:string_number_map", "acceptableMaps:string_list"}, []string{"red", "blue"}}, []evalCase{
		{"flatten(teams[*].players.attributes[gameMode])", L(L("common", "t0"), L("common", "t0"), L("common", "t1"), L("common", "t1"))},
		{"flatten(teams[*].players.attributes[acceptableMaps])", L(L("common", "t0"), L("common", "t0"), L("common", "t1"), L("common", "t1"))},
	}},
	{"05 intersections", testDecl{[]string{"myCharacter:string_list", "preferredOpponents:string_list"}, []string{"red"}}, []evalCase{
		{"flatten(teams[*].players.attributes[myCharacter])", L(L("common", "t0"), L("common", "t0"))},
		{"set_intersection(flatten(teams[*].players.attributes[preferredOpponents]))", L("common", "t0")},
	}},
	{"06 compare attributes", testDecl{[]string{"gameMode:string", "gameMap:number", "character:number"}, []string{"player*2"}}, []evalCase{
		{"flatten(teams[*].players.attributes[gameMode])", L("s0", "s0", "s1", "s1")},
		{"flatten(teams[*].players.attributes[gameMap])", L(10, 11, 20, 21)},
		{"flatten(teams[*].players.attributes[character])", L(10, 11, 20, 21)},
	}},
	{"10 compound", testDecl{[]string{"league:number", "skill:number", "map:string", "mode:string"}, []string{"red", "blue"}}, []evalCase{
		{"max(flatten(teams[*].players.attributes[league]))", 21.0},
		{"min(flatten(teams[*].players.attributes[league]))", 10.0},
		{"max(flatten(teams[*].players.attributes[skill]))", 21.0},
		{"min(flatten(teams[*].players.attributes[skill]))", 10.0},
		{"flatten(teams[*].players.attributes[map])", L("s0", "s0", "s1", "s1")},
		{"flatten(teams[*].players.attributes[mode])", L("s0", "s0", "s1", "s1")},
	}},
	{"11 block list", testDecl{[]string{"BlockList:string_list"}, []string{"red", "blue"}}, []evalCase{
		{"flatten(teams[*].players.attributes[BlockList])", L(L("common", "t0"), L("common", "t0"), L("common", "t1"), L("common", "t1"))},
		{"flatten(teams[*].players[playerId])", L("p00", "p01", "p10", "p11")},
	}},
	{"13 gomoku (and 14)", testDecl{[]string{"score:number"}, []string{"blue", "red"}}, []evalCase{
		{"count(teams[red].players)", 2.0},
		{"count(teams[blue].players)", 2.0},
		{"avg(teams[*].players.attributes[score])", L(10.5, 20.5)},
		{"avg(flatten(teams[*].players.attributes[score]))", 15.5},
	}},
	{"16 strict same score", testDecl{[]string{"score:number"}, []string{"player*2"}}, []evalCase{
		{"flatten(teams[*].players.attributes[score])", L(10, 11, 20, 21)},
	}},
	{"18 serverless oneteam", testDecl{[]string{"skill:number"}, []string{"oneteam"}}, []evalCase{
		{"teams[oneteam].players.attributes[skill]", L(10, 11)},
		{"avg(teams[oneteam].players.attributes[skill])", 10.5},
	}},
	{"19 minPlayers expansion", testDecl{[]string{"gameMode:string"}, []string{"player"}}, []evalCase{
		{"flatten(teams[*].players.attributes[gameMode])", L("s0", "s0")},
	}},
}

func TestEvalRulesets(t *testing.T) {
	var ev Evaluator
	for _, rs := range rulesetCases {
		sc, env := rs.decl.scope(), rs.decl.generated()
		for _, tc := range rs.exprs {
			t.Run(rs.file+"/"+tc.src, func(t *testing.T) {
				require.True(t, IsExpression(tc.src))
				tc.check(t, &ev, sc, env)
			})
		}
	}
}

// evalIn compiles src against decl and evaluates it on teams.
func evalIn(t *testing.T, ev *Evaluator, decl testDecl, teams [][]fakePlayer, src string) Val {
	t.Helper()
	e, err := Compile(src, decl.scope())
	require.NoError(t, err, src)
	return ev.Eval(e, &fakeEnv{attrNames: decl.attrNames(), teams: teams})
}

func TestAppendixB(t *testing.T) {
	var ev Evaluator
	skill := testDecl{[]string{"skill:number"}, []string{"cowboys", "aliens"}}
	teamAvg := "avg(teams[*].players.attributes[skill])"
	overall := "avg(flatten(teams[*].players.attributes[skill]))"

	t.Run("1 FairTeamSkill", func(t *testing.T) {
		teams := [][]fakePlayer{{pl("c1", "skill", 10), pl("c2", "skill", 20)}, {pl("a1", "skill", 15), pl("a2", "skill", 15)}}
		assertValue(t, L(15, 15), goValue(&ev, evalIn(t, &ev, skill, teams, teamAvg)))
		assertValue(t, 15.0, goValue(&ev, evalIn(t, &ev, skill, teams, overall)))
		teams = [][]fakePlayer{{pl("c1", "skill", 0), pl("c2", "skill", 0)}, {pl("a1", "skill", 40), pl("a2", "skill", 40)}}
		assertValue(t, L(0, 40), goValue(&ev, evalIn(t, &ev, skill, teams, teamAvg)))
		assertValue(t, 20.0, goValue(&ev, evalIn(t, &ev, skill, teams, overall)))
	})
	t.Run("2 CloseTeamSizes", func(t *testing.T) {
		decl := testDecl{[]string{"skill:number"}, []string{"trio*3"}}
		team := func(n int) []fakePlayer {
			ps := make([]fakePlayer, n)
			for i := range ps {
				ps[i] = pl(fmt.Sprint(i), "skill", 1)
			}
			return ps
		}
		teams := [][]fakePlayer{team(3), team(3), team(4)}
		assertValue(t, 4.0, goValue(&ev, evalIn(t, &ev, decl, teams, "max(count(teams[*].players))")))
		assertValue(t, 3.0, goValue(&ev, evalIn(t, &ev, decl, teams, "min(count(teams[*].players))")))
	})
	t.Run("3 OverallMedicLimit", func(t *testing.T) {
		decl := testDecl{[]string{"character:string_list"}, []string{"trio*3"}}
		teams := [][]fakePlayer{
			{pl("1", "character", []string{"medic"})},
			{pl("2", "character", []string{"medic", "tank"})},
			{pl("3", "character", []string{"peasant"})},
		}
		v := evalIn(t, &ev, decl, teams, "flatten(teams[*].players.attributes[character])")
		assert.Equal(t, [][]string{{"medic"}, {"medic", "tank"}, {"peasant"}}, ev.StringSets(v, nil))
		assert.False(t, IsExpression("medic"))
	})
	t.Run("4 OpponentMatch", func(t *testing.T) {
		decl := testDecl{[]string{"myCharacter:string_list", "preferredOpponents:string_list"}, []string{"red"}}
		teams := [][]fakePlayer{{
			pl("P1", "myCharacter", []string{"A"}, "preferredOpponents", []string{"B", "C"}),
			pl("P2", "myCharacter", []string{"B"}, "preferredOpponents", []string{"A", "B"}),
		}}
		ref := evalIn(t, &ev, decl, teams, "set_intersection(flatten(teams[*].players.attributes[preferredOpponents]))")
		assert.Equal(t, [][]string{{"B"}}, ev.StringSets(ref, nil))
		mine := evalIn(t, &ev, decl, teams, "flatten(teams[*].players.attributes[myCharacter])")
		assert.Equal(t, [][]string{{"A"}, {"B"}}, ev.StringSets(mine, nil))
	})
	t.Run("5 block list", func(t *testing.T) {
		decl := testDecl{[]string{"BlockList:string_list"}, []string{"red", "blue"}}
		teams := [][]fakePlayer{
			{pl("p1", "BlockList", []string{"p3"}), pl("p2", "BlockList", []string{})},
			{pl("p3", "BlockList", []string{})},
		}
		ids := evalIn(t, &ev, decl, teams, "flatten(teams[*].players[playerId])")
		assert.Equal(t, [][]string{{"p1", "p2", "p3"}}, ev.StringSets(ids, nil))
		blocks := evalIn(t, &ev, decl, teams, "flatten(teams[*].players.attributes[BlockList])")
		assert.Equal(t, [][]string{{"p3"}, {}, {}}, ev.StringSets(blocks, nil))
	})
	t.Run("6 DifferentCharacter", func(t *testing.T) {
		decl := testDecl{[]string{"character:number"}, []string{"player*2"}}
		teams := [][]fakePlayer{{pl("1", "character", 3)}, {pl("2", "character", 4)}}
		v := evalIn(t, &ev, decl, teams, "flatten(teams[*].players.attributes[character])")
		assert.Equal(t, []Scalar{{kind: KindNum, num: 3}, {kind: KindNum, num: 4}}, ev.Leaves(v, nil))
	})
	t.Run("7 MonsterSkill", func(t *testing.T) {
		decl := testDecl{[]string{"skill:number", "desiredSkillOfMonster:number"}, []string{"players", "monster"}}
		teams := [][]fakePlayer{
			{pl("h1", "skill", 1, "desiredSkillOfMonster", 10), pl("h2", "skill", 1, "desiredSkillOfMonster", 20), pl("h3", "skill", 1, "desiredSkillOfMonster", 30)},
			{pl("m", "skill", 25, "desiredSkillOfMonster", 0)},
		}
		assertValue(t, 25.0, goValue(&ev, evalIn(t, &ev, decl, teams, "avg(teams[monster].players.attributes[skill])")))
		assertValue(t, 30.0, goValue(&ev, evalIn(t, &ev, decl, teams, "max(teams[players].players.attributes[desiredSkillOfMonster])")))
	})
	t.Run("8 gomoku", func(t *testing.T) {
		decl := testDecl{[]string{"score:number"}, []string{"blue", "red"}}
		teams := [][]fakePlayer{{pl("1", "score", 1000)}, {pl("2", "score", 1500)}}
		assertValue(t, L(1000, 1500), goValue(&ev, evalIn(t, &ev, decl, teams, "avg(teams[*].players.attributes[score])")))
		assertValue(t, 1250.0, goValue(&ev, evalIn(t, &ev, decl, teams, "avg(flatten(teams[*].players.attributes[score]))")))
	})
}

func TestLeavesAndStringSets(t *testing.T) {
	sc, env := general.scope(), generalEnv()
	var ev Evaluator
	eval := func(src string) Val {
		e, err := Compile(src, sc)
		require.NoError(t, err, src)
		return ev.Eval(e, env)
	}
	num := func(f float64) Scalar { return Scalar{kind: KindNum, num: f} }
	str := func(s string) Scalar { return Scalar{kind: KindStr, str: s} }

	assert.Equal(t, []Scalar{num(15), num(40), {}, num(1), num(2), num(3)},
		ev.Leaves(eval("avg(teams[*].players.attributes[skill])"), nil))
	assert.Equal(t, []Scalar{num(156)}, ev.Leaves(eval("sum(flatten(teams[*].players.attributes[skill]))"), nil))
	assert.Equal(t, []Scalar{str("A"), str("B"), str("B"), str("C")},
		ev.Leaves(eval("teams[red].players.attributes[prefs]"), nil))
	assert.Empty(t, ev.Leaves(eval("teams[*].players"), nil))
	assert.Empty(t, ev.Leaves(eval("teams[red].players.attributes[maps]"), nil))

	// Innermost lists become sets, at any depth; empty teams contribute no set.
	assert.Equal(t, [][]string{{"A", "B"}, {"B", "C"}, {"B"}, {"C", "B"}, {}, {"B"}, {"B", "A"}, {"B", "B"}},
		ev.StringSets(eval("teams[*].players.attributes[prefs]"), nil))
	assert.Equal(t, [][]string{{"x", "y"}, {"x", "x", "z"}, {}, {"x"}, {"x"}, {"x"}},
		ev.StringSets(eval("teams[*].players.attributes[mode]"), nil))
	assert.Equal(t, [][]string{{"a", "b"}}, ev.StringSets(eval("teams[red].players[playerId]"), nil))
	lone := strVal("medic")
	sets := ev.StringSets(lone, nil)
	assert.Equal(t, [][]string{{"medic"}}, sets)
	assert.Equal(t, 1, cap(sets[0]), "sets are clipped so appends cannot clobber neighbours")

	// Earlier results stay valid while later evaluations grow the arena.
	first := eval("teams[red].players.attributes[prefs]")
	for range 50 {
		eval("flatten(flatten(teams[*].players.attributes[prefs]))")
	}
	assert.Equal(t, L(L("A", "B"), L("B", "C")), goValue(&ev, first))
}

func TestCompileErrors(t *testing.T) {
	sc := general.scope()
	deep := strings.Repeat("flatten(", 33) + "teams[red].players" + strings.Repeat(")", 33)
	for _, tc := range []struct{ src, want string }{
		{"", "expected an expression, found the end at offset 0"},
		{"   ", "expected an expression"},
		{"mean(teams[red].players.attributes[skill])", `unknown function "mean" at offset 0`},
		{"AVG(teams[red].players.attributes[skill])", `unknown function "AVG"`},
		{"skill", `unexpected "skill"`},
		{"(teams[red])", "expected an expression"},
		{"avg teams[red]", `expected "("`},
		{"teams[x]", `unknown team "x" at offset 6`},
		{"teams[red, x ]", `unknown team "x" at offset 11`},
		{"teams[Red]", `unknown team "Red"`},
		{"teams[]", "empty team name"},
		{"teams[red,]", "empty team name"},
		{"teams[*,red]", `"*" cannot be combined`},
		{"teams[red].players.attributes[skil]", `unknown attribute "skil" at offset 30`},
		{"teams[red].players.attributes[skill,mode]", "a list of names is not allowed"},
		{"teams[red].players.attributes[]", "empty name"},
		{"teams[red].player", `expected "players"`},
		{"teams[red].players.attribute[skill]", `expected "attributes"`},
		{"teams[red].players[name]", `unknown player field "name"`},
		{"teams[red", `unclosed "["`},
		{"teams[red)", `unexpected ")" inside brackets`},
		{"teams red", `expected "["`},
		{"teams[red].players)", `unexpected ")" after the expression`},
		{"teams[red].players.attributes[skill]]", `unexpected "]"`},
		{"teams[red] foo", `unexpected "foo"`},
		{"avg(teams[red].players.attributes[skill]", `expected ")", found the end`},
		{"avg(teams[red].players.attributes[skill]))", `unexpected ")"`},
		{"avg(teams[red].players.attributes[mode])", "avg needs numbers, got strings"},
		{"sum(teams[red].players.attributes[maps])", "sum needs numbers, got string-number maps"},
		{"median(teams[red].players)", "median needs numbers, got players"},
		{"stddev(teams[*])", "stddev needs numbers, got teams"},
		{"min(teams[red].players.attributes[prefs])", "min needs numbers, got strings"},
		{"max(teams[red].players[playerId])", "max needs numbers, got strings"},
		{"set_intersection(teams[red].players.attributes[skill])", "set_intersection needs strings, got numbers"},
		{"count(teams[red])", "count needs a list, got a single team"},
		{"flatten(teams[red])", "flatten needs a list, got a single team"},
		{"avg(avg(teams[red].players.attributes[skill]))", "avg needs a list, got a single number at offset 0"},
		{"x(teams[red])", `unknown function "x"`},
		{deep, "nested deeper than 32"},
		{strings.Repeat(" ", 4097), "longer than 4096 bytes"},
	} {
		_, err := Compile(tc.src, sc)
		if assert.Error(t, err, tc.src) {
			assert.Contains(t, err.Error(), tc.want, tc.src)
		}
	}
	ok := strings.Repeat("flatten(", 32) + "teams[red].players" + strings.Repeat(")", 32)
	_, err := Compile(ok, sc)
	assert.NoError(t, err, "32 levels are allowed")
}

// TestCompileErrorsSuggestNames checks the whole message for unknown names: the nearest declared
// name follows the offset, and a name far from every declared one gets no suggestion.
func TestCompileErrorsSuggestNames(t *testing.T) {
	sc := general.scope()
	for _, tc := range []struct{ src, want string }{
		{"teams[red].players.attributes[skil]", `unknown attribute "skil" at offset 30 (did you mean "skill"?)`},
		{"teams[red].players.attributes[ Mode ]", `unknown attribute "Mode" at offset 31 (did you mean "mode"?)`},
		{"teams[red].players.attributes[pref]", `unknown attribute "pref" at offset 30 (did you mean "prefs"?)`},
		{"teams[red].players.attributes[elo]", `unknown attribute "elo" at offset 30`},
		{"teams[Red]", `unknown team "Red" at offset 6 (did you mean "red"?)`},
		{"teams[red, bleu]", `unknown team "bleu" at offset 11 (did you mean "blue"?)`},
		{"teams[trio_4]", `unknown team "trio_4" at offset 6 (did you mean "trio_1"?)`},
		{"teams[x]", `unknown team "x" at offset 6`},
		{"AVG(teams[red].players.attributes[skill])", `unknown function "AVG" at offset 0 (did you mean "avg"?)`},
		{"stdev(teams[red].players.attributes[skill])", `unknown function "stdev" at offset 0 (did you mean "stddev"?)`},
		{"average(teams[red].players.attributes[skill])", `unknown function "average" at offset 0`},
	} {
		_, err := Compile(tc.src, sc)
		if assert.Error(t, err, tc.src) {
			assert.Equal(t, tc.want, err.Error(), tc.src)
		}
	}
	_, err := Compile("teams[red].players.attributes[skil]", &Scope{Teams: sc.Teams, TeamCount: sc.TeamCount})
	assert.EqualError(t, err, `unknown attribute "skil" at offset 30`, "a rule set without attributes suggests none")
}

func TestIsExpression(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"medic", false},
		{"", false},
		{"teams", false},
		{"average(x)", false},
		{"count", false},
		{"countries(x)", false},
		{"Avg(x)", false},
		{"count(teams[aliens].players)", true},
		{"avg (x)", true},
		{"  avg(x)  ", true},
		{"set_intersection(flatten(teams[*].players.attributes[preferredOpponents]))", true},
		{"teams[red].players", true},
		{"team[red]", true},
		{"teams [red]", true},
		{"teamsters[x]", false},
	} {
		assert.Equal(t, tc.want, IsExpression(tc.s), tc.s)
	}
}

// allocEnv is a 5v5 match for allocation tests and benchmarks.
func allocEnv() (*Scope, *fakeEnv) {
	decl := testDecl{[]string{"skill:number", "prefs:string_list"}, []string{"red", "blue"}}
	env := &fakeEnv{attrNames: decl.attrNames(), teams: make([][]fakePlayer, 2)}
	for t := range 2 {
		for i := range 5 {
			env.teams[t] = append(env.teams[t], pl(fmt.Sprintf("p%d%d", t, i),
				"skill", 10*t+i, "prefs", []string{"A", "B", fmt.Sprint("C", i)}))
		}
	}
	return decl.scope(), env
}

var allocExprs = []string{
	"avg(teams[*].players.attributes[skill])",
	"avg(flatten(teams[*].players.attributes[skill]))",
	"set_intersection(flatten(teams[*].players.attributes[prefs]))",
	"flatten(teams[*].players[playerId])",
	"median(flatten(teams[*].players.attributes[skill]))",
	"max(count(teams[*].players))",
}

func TestEvalZeroAllocs(t *testing.T) {
	sc, env := allocEnv()
	exprs := make([]*Expr, len(allocExprs))
	for i, src := range allocExprs {
		var err error
		exprs[i], err = Compile(src, sc)
		require.NoError(t, err)
	}
	var ev Evaluator
	leaves := make([]Scalar, 0, 64)
	sets := make([][]string, 0, 64)
	run := func() {
		ev.Reset()
		for _, e := range exprs {
			v := ev.Eval(e, env)
			leaves = ev.Leaves(v, leaves[:0])
			sets = ev.StringSets(v, sets[:0])
		}
	}
	run()
	assert.Zero(t, testing.AllocsPerRun(100, run))
}

func BenchmarkEvalExpr(b *testing.B) {
	sc, env := allocEnv()
	for _, src := range allocExprs {
		e, err := Compile(src, sc)
		require.NoError(b, err)
		b.Run(src, func(b *testing.B) {
			var ev Evaluator
			b.ReportAllocs()
			for b.Loop() {
				ev.Reset()
				ev.Eval(e, env)
			}
		})
	}
}

func FuzzCompileExpr(f *testing.F) {
	for _, tc := range generalCases {
		f.Add(tc.src)
	}
	for _, rs := range rulesetCases {
		for _, tc := range rs.exprs {
			f.Add(tc.src)
		}
	}
	for _, src := range []string{"mean(x)", "teams[red", "teams[*,red]", "count(teams[red])", "avg (teams [ * ] . players . attributes [ skill ] )"} {
		f.Add(src)
	}
	sc, env := general.scope(), generalEnv()
	var ev Evaluator
	f.Fuzz(func(t *testing.T, src string) {
		e, err := Compile(src, sc)
		if err != nil {
			return
		}
		ev.Reset()
		v := ev.Eval(e, env)
		checkShape(t, &ev, v, e.Shape())
		ev.Leaves(v, nil)
		ev.StringSets(v, nil)
		// The normalised form compiles to itself.
		again, err := Compile(e.String(), sc)
		if err != nil {
			t.Fatalf("normalised %q of %q does not compile: %v", e.String(), src, err)
		}
		if again.String() != e.String() || again.Shape() != e.Shape() {
			t.Fatalf("normalised %q of %q is not stable", e.String(), src)
		}
	})
}

func TestExprConcurrentEvaluators(t *testing.T) {
	sc, env := allocEnv()
	e, err := Compile("avg(teams[*].players.attributes[skill])", sc)
	require.NoError(t, err)
	results := make([][]Scalar, 4)
	var wg sync.WaitGroup
	for g := range results {
		wg.Go(func() {
			var ev Evaluator
			for range 100 {
				ev.Reset()
				results[g] = ev.Leaves(ev.Eval(e, env), results[g][:0])
			}
		})
	}
	wg.Wait()
	for _, r := range results {
		assert.Equal(t, []Scalar{{kind: KindNum, num: 2}, {kind: KindNum, num: 12}}, r)
	}
}

func TestTrend(t *testing.T) {
	sc := testDecl{attrs: []string{"skill:number", "modes:string_list", "mode:string"}, teams: []string{"red", "blue"}}.scope()
	for src, want := range map[string]Trend{
		"teams[*].players.attributes[skill]":                            TrendPerPlayer,
		"flatten(teams[*].players.attributes[skill])":                   TrendPerPlayer,
		"teams[red].players.attributes[mode]":                           TrendPerPlayer,
		"teams[*].players[playerId]":                                    TrendPerPlayer,
		"avg(teams[*].players.attributes[skill])":                       TrendAny,
		"avg(flatten(teams[*].players.attributes[skill]))":              TrendAny,
		"count(teams[red].players)":                                     TrendUp,
		"count(flatten(teams[*].players))":                              TrendUp,
		"max(flatten(teams[*].players.attributes[skill]))":              TrendUp,
		"min(flatten(teams[*].players.attributes[skill]))":              TrendDown,
		"set_intersection(flatten(teams[*].players.attributes[modes]))": TrendDown,
		"sum(teams[*].players.attributes[skill])":                       TrendAny,
		"max(avg(teams[*].players.attributes[skill]))":                  TrendAny,
	} {
		e, err := Compile(src, sc)
		require.NoError(t, err, src)
		assert.Equal(t, want, e.Trend(), src)
	}
}

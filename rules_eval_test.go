package matchmaker

import (
	"fmt"
	"testing"
	"time"

	"github.com/seed-04d22514/matchmaker/internal/ruleset"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ---- fixtures: rule sets and potential matches built directly, without a Matchmaker

// rsJSON assembles a rule set from its parts; each part is the inside of its JSON array.
func rsJSON(attrs, teams, rules, expansions string) string {
	return `{"ruleLanguageVersion":"1.0","playerAttributes":[` + attrs + `],"teams":[` + teams +
		`],"rules":[` + rules + `],"expansions":[` + expansions + `]}`
}

func mustCompile(tb testing.TB, src string) *RuleSet {
	tb.Helper()
	rs, err := ParseRuleSet([]byte(src))
	require.NoError(tb, err)
	return rs
}

// N, S and L build attribute values tersely.
func rN(f float64) Value    { return NumberValue(f) }
func rS(s string) Value     { return StringValue(s) }
func rL(ss ...string) Value { return StringListValue(ss...) }
func rA(kv ...any) Attributes { // rA("skill", rN(10), "mode", rS("x"))
	a := Attributes{}
	for i := 0; i < len(kv); i += 2 {
		a[kv[i].(string)] = kv[i+1].(Value)
	}
	return a
}

// rtk is one ticket to place: its players all go on team.
type rtk struct {
	team    string
	players []Player
}

// on places players (one ticket) on team.
func onTeam(team string, players ...Player) rtk { return rtk{team: team, players: players} }

var playerSeq int

// pl is a player with a generated ID.
func rpl(attrs Attributes) Player {
	playerSeq++
	return Player{PlayerID: fmt.Sprintf("p%d", playerSeq), Attributes: attrs}
}

// plat is a player with latencies.
func rplat(attrs Attributes, lat Latencies) Player {
	p := rpl(attrs)
	p.LatencyInMs = lat
	return p
}

// build resolves the players against rs as the pool would and places them.
func buildPM(tb testing.TB, rs *RuleSet, reg *regions, tickets ...rtk) *potential {
	tb.Helper()
	pm := newPotential(rs.c)
	for i, t := range tickets {
		var p problems
		team := rs.c.TeamIndex(t.team)
		require.GreaterOrEqual(tb, team, 0, "team %q", t.team)
		tick := &ticket{id: fmt.Sprintf("t%d", i)}
		for j, in := range t.players {
			tick.players = append(tick.players, resolvePlayer(rs.c, fmt.Sprintf("Players[%d]", j), in, reg, false, &p))
		}
		require.True(tb, p.empty(), "%v", p.err("players"))
		pm.add(tick, team)
	}
	return pm
}

func ruleByName(tb testing.TB, rs *RuleSet, name string) int {
	tb.Helper()
	i := rs.c.RuleIndex(name)
	require.GreaterOrEqual(tb, i, 0, "no rule %q", name)
	return i
}

// Verdicts, named as the cases read.
type verdict = ruleset.Verdict

const (
	fail    = ruleset.Fail
	unknown = ruleset.Unknown
	pass    = ruleset.Pass
)

// ruleCase checks one rule on one composition, in partial and in final mode.
type ruleCase struct {
	name    string
	rs      string
	rule    string
	age     time.Duration
	tickets []rtk
	partial verdict
	final   verdict
}

func runRuleCases(t *testing.T, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rs := mustCompile(t, tc.rs)
			var reg regions
			pm := buildPM(t, rs, &reg, tc.tickets...)
			c := ruleset.NewChecker(rs.c)
			c.At(tc.age)
			r := ruleByName(t, rs, tc.rule)
			assert.Equal(t, tc.partial, c.Rule(pm, r, false), "partial")
			assert.Equal(t, tc.final, c.Rule(pm, r, true), "final")
		})
	}
}

// ---- rule sets used by several tests

const teamA = `{"name":"a","minPlayers":0,"maxPlayers":5}`
const teamsAB = `{"name":"a","minPlayers":0,"maxPlayers":5},{"name":"b","minPlayers":0,"maxPlayers":5}`
const skillAttr = `{"name":"skill","type":"number","default":0}`

func oneRule(attrs, teams, rule, expansions string) string {
	return rsJSON(attrs, teams, rule, expansions)
}

func TestEvalBatchDistance(t *testing.T) {
	num := oneRule(skillAttr, teamsAB, `{"name":"R","type":"batchDistance","batchAttribute":"skill","maxDistance":5}`,
		`{"target":"rules[R].maxDistance","steps":[{"waitTimeSeconds":5,"value":10}]}`)
	str := oneRule(`{"name":"mode","type":"string"}`, teamsAB, `{"name":"R","type":"batchDistance","batchAttribute":"mode"}`, ``)
	sk := func(f float64) Player { return rpl(rA("skill", rN(f))) }
	md := func(s string) Player { return rpl(rA("mode", rS(s))) }
	runRuleCases(t, []ruleCase{
		{name: "number within", rs: num, rule: "R", tickets: []rtk{onTeam("a", sk(10)), onTeam("b", sk(15))}, partial: pass, final: pass},
		{name: "number spread over", rs: num, rule: "R", tickets: []rtk{onTeam("a", sk(10)), onTeam("b", sk(15.5))}, partial: fail, final: fail},
		{name: "number spread across one team", rs: num, rule: "R", tickets: []rtk{onTeam("a", sk(0), sk(6))}, partial: fail, final: fail},
		{name: "number before expansion", rs: num, rule: "R", age: 4999 * time.Millisecond, tickets: []rtk{onTeam("a", sk(10)), onTeam("b", sk(20))}, partial: fail, final: fail},
		{name: "number at expansion", rs: num, rule: "R", age: 5 * time.Second, tickets: []rtk{onTeam("a", sk(10)), onTeam("b", sk(20))}, partial: pass, final: pass},
		{name: "empty match", rs: num, rule: "R", partial: pass, final: pass},
		{name: "string equal", rs: str, rule: "R", tickets: []rtk{onTeam("a", md("ctf"), md("ctf")), onTeam("b", md("ctf"))}, partial: pass, final: pass},
		{name: "string differs", rs: str, rule: "R", tickets: []rtk{onTeam("a", md("ctf")), onTeam("b", md("dm"))}, partial: fail, final: fail},
	})
}

func TestEvalComparison(t *testing.T) {
	cmpRule := func(op, ref string) string {
		r := `{"name":"R","type":"comparison","measurements":["teams[a].players.attributes[skill]"],"operation":"` + op + `"`
		if ref != "" {
			r += `,"referenceValue":` + ref
		}
		return oneRule(skillAttr, teamsAB, r+`}`, ``)
	}
	all := func(op string) string {
		return oneRule(skillAttr+`,{"name":"mode","type":"string","default":""}`, teamsAB,
			`{"name":"R","type":"comparison","measurements":["flatten(teams[*].players.attributes[skill])"],"operation":"`+op+`"},`+
				`{"name":"M","type":"comparison","measurements":"flatten(teams[*].players.attributes[mode])","operation":"`+op+`"}`, ``)
	}
	avgRef := oneRule(skillAttr, teamsAB, `{"name":"R","type":"comparison","measurements":["avg(teams[b].players.attributes[skill])"],"operation":">=","referenceValue":10}`, ``)
	strRef := oneRule(`{"name":"mode","type":"string"}`, teamA,
		`{"name":"R","type":"comparison","measurements":["teams[a].players.attributes[mode]"],"operation":"=","referenceValue":"ctf"}`,
		`{"target":"rules[R].referenceValue","steps":[{"waitTimeSeconds":10,"value":"dm"}]}`)
	sk := func(f float64) Player { return rpl(rA("skill", rN(f))) }
	skm := func(f float64, m string) Player { return rpl(rA("skill", rN(f), "mode", rS(m))) }
	md := func(s string) Player { return rpl(rA("mode", rS(s))) }
	runRuleCases(t, []ruleCase{
		{name: "< holds", rs: cmpRule("<", "10"), rule: "R", tickets: []rtk{onTeam("a", sk(5), sk(9.5))}, partial: pass, final: pass},
		{name: "< boundary", rs: cmpRule("<", "10"), rule: "R", tickets: []rtk{onTeam("a", sk(5), sk(10))}, partial: fail, final: fail},
		{name: ">= boundary", rs: cmpRule(">=", "10"), rule: "R", tickets: []rtk{onTeam("a", sk(10), sk(11))}, partial: pass, final: pass},
		{name: ">= below", rs: cmpRule(">=", "10"), rule: "R", tickets: []rtk{onTeam("a", sk(9))}, partial: fail, final: fail},
		{name: "= numeric string ref", rs: cmpRule("=", `"1"`), rule: "R", tickets: []rtk{onTeam("a", sk(1), sk(1))}, partial: pass, final: pass},
		{name: ">= numeric string ref", rs: cmpRule(">=", `" 2.5"`), rule: "R", tickets: []rtk{onTeam("a", sk(2))}, partial: fail, final: fail},
		{name: "= ref", rs: cmpRule("=", "1"), rule: "R", tickets: []rtk{onTeam("a", sk(1), sk(1))}, partial: pass, final: pass},
		{name: "!= ref holds", rs: cmpRule("!=", "3"), rule: "R", tickets: []rtk{onTeam("a", sk(1), sk(2))}, partial: pass, final: pass},
		{name: "!= ref hit", rs: cmpRule("!=", "3"), rule: "R", tickets: []rtk{onTeam("a", sk(1), sk(3))}, partial: fail, final: fail},
		{name: "ref no measured values is vacuous", rs: cmpRule("<", "10"), rule: "R", tickets: []rtk{onTeam("b", sk(50))}, partial: pass, final: pass},
		{name: "= all equal numbers", rs: all("="), rule: "R", tickets: []rtk{onTeam("a", sk(4)), onTeam("b", sk(4))}, partial: pass, final: pass},
		{name: "= numbers differ", rs: all("="), rule: "R", tickets: []rtk{onTeam("a", sk(4)), onTeam("b", sk(5))}, partial: fail, final: fail},
		{name: "= all equal strings", rs: all("="), rule: "M", tickets: []rtk{onTeam("a", skm(1, "x")), onTeam("b", skm(2, "x"))}, partial: pass, final: pass},
		{name: "= strings differ", rs: all("="), rule: "M", tickets: []rtk{onTeam("a", skm(1, "x")), onTeam("b", skm(1, "y"))}, partial: fail, final: fail},
		{name: "!= pairwise distinct", rs: all("!="), rule: "R", tickets: []rtk{onTeam("a", sk(1), sk(2)), onTeam("b", sk(3))}, partial: pass, final: pass},
		{name: "!= one pair equal", rs: all("!="), rule: "R", tickets: []rtk{onTeam("a", sk(1), sk(2)), onTeam("b", sk(1))}, partial: fail, final: fail},
		{name: "!= strings", rs: all("!="), rule: "M", tickets: []rtk{onTeam("a", skm(1, "x")), onTeam("b", skm(1, "x"))}, partial: fail, final: fail},
		{name: "no reference single value", rs: all("!="), rule: "R", tickets: []rtk{onTeam("a", sk(1))}, partial: pass, final: pass},
		{name: "avg of empty team", rs: avgRef, rule: "R", tickets: []rtk{onTeam("a", sk(1))}, partial: unknown, final: fail},
		{name: "avg of filled team", rs: avgRef, rule: "R", tickets: []rtk{onTeam("b", sk(12), sk(9))}, partial: pass, final: pass},
		{name: "avg below reference", rs: avgRef, rule: "R", tickets: []rtk{onTeam("b", sk(9))}, partial: fail, final: fail},
		{name: "string reference", rs: strRef, rule: "R", tickets: []rtk{onTeam("a", md("ctf"))}, partial: pass, final: pass},
		{name: "string reference expanded before", rs: strRef, rule: "R", age: 9999 * time.Millisecond, tickets: []rtk{onTeam("a", md("dm"))}, partial: fail, final: fail},
		{name: "string reference expanded at", rs: strRef, rule: "R", age: 10 * time.Second, tickets: []rtk{onTeam("a", md("dm"))}, partial: pass, final: pass},
	})
}

func TestEvalCountRulesDeferred(t *testing.T) {
	eq := oneRule(skillAttr, teamsAB, `{"name":"R","type":"comparison","measurements":["count(teams[a].players)"],"referenceValue":"count(teams[b].players)","operation":"="}`, ``)
	total := oneRule(skillAttr, teamsAB, `{"name":"R","type":"comparison","measurements":"count(flatten(teams[*].players))","referenceValue":3,"operation":"<="}`, ``)
	p := func() Player { return rpl(nil) }
	runRuleCases(t, []ruleCase{
		{name: "empty match", rs: eq, rule: "R", partial: unknown, final: pass},
		{name: "1v0", rs: eq, rule: "R", tickets: []rtk{onTeam("a", p())}, partial: unknown, final: fail},
		{name: "1v1", rs: eq, rule: "R", tickets: []rtk{onTeam("a", p()), onTeam("b", p())}, partial: unknown, final: pass},
		{name: "2v1", rs: eq, rule: "R", tickets: []rtk{onTeam("a", p(), p()), onTeam("b", p())}, partial: unknown, final: fail},
		{name: "total within", rs: total, rule: "R", tickets: []rtk{onTeam("a", p(), p()), onTeam("b", p())}, partial: unknown, final: pass},
		{name: "total over", rs: total, rule: "R", tickets: []rtk{onTeam("a", p(), p()), onTeam("b", p(), p())}, partial: unknown, final: fail},
	})
}

func TestEvalDistance(t *testing.T) {
	dist := func(bounds string) string {
		return oneRule(skillAttr, teamsAB, `{"name":"R","type":"distance","measurements":"teams[a].players.attributes[skill]","referenceValue":10,`+bounds+`}`,
			`{"target":"rules[R].maxDistance","steps":[{"waitTimeSeconds":2.5,"value":6}]}`)
	}
	withMax := dist(`"maxDistance":5`)
	withMin := oneRule(skillAttr, teamsAB, `{"name":"R","type":"distance","measurements":"teams[a].players.attributes[skill]","referenceValue":10,"minDistance":5}`, ``)
	both := oneRule(skillAttr, teamsAB, `{"name":"R","type":"distance","measurements":"teams[a].players.attributes[skill]","referenceValue":10,"minDistance":2,"maxDistance":4}`, ``)
	teamAvg := oneRule(skillAttr, teamsAB, `{"name":"R","type":"distance","measurements":["avg(teams[*].players.attributes[skill])"],"referenceValue":"avg(flatten(teams[*].players.attributes[skill]))","maxDistance":10}`, ``)
	sk := func(f float64) Player { return rpl(rA("skill", rN(f))) }
	runRuleCases(t, []ruleCase{
		{name: "max boundary", rs: withMax, rule: "R", tickets: []rtk{onTeam("a", sk(5), sk(15))}, partial: pass, final: pass},
		{name: "max over", rs: withMax, rule: "R", tickets: []rtk{onTeam("a", sk(4))}, partial: fail, final: fail},
		{name: "max expanded just before", rs: withMax, rule: "R", age: 2499 * time.Millisecond, tickets: []rtk{onTeam("a", sk(4))}, partial: fail, final: fail},
		{name: "max expanded at", rs: withMax, rule: "R", age: 2500 * time.Millisecond, tickets: []rtk{onTeam("a", sk(4))}, partial: pass, final: pass},
		{name: "numeric string reference", rs: oneRule(skillAttr, teamsAB, `{"name":"R","type":"distance","measurements":"teams[a].players.attributes[skill]","referenceValue":"10","maxDistance":"5"}`, ``),
			rule: "R", tickets: []rtk{onTeam("a", sk(5), sk(15))}, partial: pass, final: pass},
		{name: "min boundary", rs: withMin, rule: "R", tickets: []rtk{onTeam("a", sk(5), sk(20))}, partial: pass, final: pass},
		{name: "min too close", rs: withMin, rule: "R", tickets: []rtk{onTeam("a", sk(6))}, partial: fail, final: fail},
		{name: "band inside", rs: both, rule: "R", tickets: []rtk{onTeam("a", sk(7), sk(13))}, partial: pass, final: pass},
		{name: "band too close", rs: both, rule: "R", tickets: []rtk{onTeam("a", sk(11))}, partial: fail, final: fail},
		{name: "band too far", rs: both, rule: "R", tickets: []rtk{onTeam("a", sk(15))}, partial: fail, final: fail},
		{name: "team average with an empty team", rs: teamAvg, rule: "R", tickets: []rtk{onTeam("a", sk(10))}, partial: unknown, final: fail},
		{name: "team average empty team but already too far", rs: teamAvg, rule: "R", tickets: []rtk{onTeam("a", sk(0), sk(100))}, partial: unknown, final: fail},
		{name: "team average fair", rs: teamAvg, rule: "R", tickets: []rtk{onTeam("a", sk(10)), onTeam("b", sk(20))}, partial: pass, final: pass},
	})
}

func TestEvalCollection(t *testing.T) {
	const listAttr = `{"name":"modes","type":"string_list","default":[]}`
	coll := func(op, ref, bounds string) string {
		r := `{"name":"R","type":"collection","operation":"` + op + `","measurements":"flatten(teams[*].players.attributes[modes])",` + bounds
		if ref != "" {
			r += `,"referenceValue":` + ref
		}
		return oneRule(listAttr, teamsAB, r+`}`, `{"target":"rules[R].`+map[bool]string{true: "minCount", false: "maxCount"}[bounds[1:4] == "min"]+`","steps":[{"waitTimeSeconds":7,"value":0}]}`)
	}
	m := func(ss ...string) Player { return rpl(rA("modes", rL(ss...))) }
	interMin := coll("intersection", "", `"minCount":1`)
	interMax := coll("intersection", "", `"maxCount":1`)
	containsMax := coll("contains", `"medic"`, `"maxCount":1`)
	containsMin := coll("contains", `"medic"`, `"minCount":2`)
	ricLit := coll("reference_intersection_count", `["a","b"]`, `"minCount":1`)
	ricMax := coll("reference_intersection_count", `"b"`, `"maxCount":0`)
	runRuleCases(t, []ruleCase{
		{name: "intersection shared", rs: interMin, rule: "R", tickets: []rtk{onTeam("a", m("x", "y")), onTeam("b", m("y", "z"))}, partial: pass, final: pass},
		{name: "intersection none", rs: interMin, rule: "R", tickets: []rtk{onTeam("a", m("x")), onTeam("b", m("z"))}, partial: fail, final: fail},
		{name: "intersection none expanded", rs: interMin, rule: "R", age: 7 * time.Second, tickets: []rtk{onTeam("a", m("x")), onTeam("b", m("z"))}, partial: pass, final: pass},
		{name: "intersection of nobody", rs: interMin, rule: "R", partial: unknown, final: fail},
		{name: "intersection above max is unknown while partial", rs: interMax, rule: "R", tickets: []rtk{onTeam("a", m("x", "y")), onTeam("b", m("x", "y"))}, partial: unknown, final: fail},
		{name: "intersection at max", rs: interMax, rule: "R", tickets: []rtk{onTeam("a", m("x", "y")), onTeam("b", m("x", "z"))}, partial: pass, final: pass},
		{name: "contains at max", rs: containsMax, rule: "R", tickets: []rtk{onTeam("a", m("medic")), onTeam("b", m("tank"))}, partial: pass, final: pass},
		{name: "contains above max", rs: containsMax, rule: "R", tickets: []rtk{onTeam("a", m("medic")), onTeam("b", m("tank", "medic"))}, partial: fail, final: fail},
		{name: "contains below min is unknown while partial", rs: containsMin, rule: "R", tickets: []rtk{onTeam("a", m("medic")), onTeam("b", m("tank"))}, partial: unknown, final: fail},
		{name: "contains at min", rs: containsMin, rule: "R", tickets: []rtk{onTeam("a", m("medic")), onTeam("b", m("tank", "medic"))}, partial: pass, final: pass},
		{name: "contains below min expanded", rs: containsMin, rule: "R", age: 7 * time.Second, tickets: []rtk{onTeam("a", m("tank"))}, partial: pass, final: pass},
		{name: "reference list each intersects", rs: ricLit, rule: "R", tickets: []rtk{onTeam("a", m("a")), onTeam("b", m("b", "c"))}, partial: pass, final: pass},
		{name: "reference list one misses", rs: ricLit, rule: "R", tickets: []rtk{onTeam("a", m("a")), onTeam("b", m("c"))}, partial: fail, final: fail},
		{name: "reference string max 0", rs: ricMax, rule: "R", tickets: []rtk{onTeam("a", m("a")), onTeam("b", m("c"))}, partial: pass, final: pass},
		{name: "reference string max 0 hit", rs: ricMax, rule: "R", tickets: []rtk{onTeam("a", m("a", "b"))}, partial: fail, final: fail},
	})
	// A team's string values form one measured list; a value two players share counts once
	// (doc.go: collection rules read every measured list as a set).
	chars := func(op, ref, bounds string) string {
		return oneRule(`{"name":"char","type":"string","default":"knight"}`, teamsAB,
			`{"name":"R","type":"collection","operation":"`+op+`","measurements":"teams[*].players.attributes[char]","referenceValue":`+ref+`,`+bounds+`}`, ``)
	}
	c := func(s string) Player { return rpl(rA("char", rS(s))) }
	fewMages := chars("reference_intersection_count", `["mage","rogue"]`, `"maxCount":1`)
	runRuleCases(t, []ruleCase{
		{name: "repeated value counts once", rs: fewMages, rule: "R", tickets: []rtk{onTeam("a", c("mage"), c("mage"), c("knight")), onTeam("b", c("mage"))}, partial: pass, final: pass},
		{name: "two distinct values count twice", rs: fewMages, rule: "R", tickets: []rtk{onTeam("a", c("mage"), c("rogue"), c("mage"))}, partial: fail, final: fail},
	})
}

func TestEvalLatency(t *testing.T) {
	lat := func(props string) string {
		return oneRule(``, teamsAB, `{"name":"R","type":"latency",`+props+`}`, ``)
	}
	maxL := oneRule(``, teamsAB, `{"name":"R","type":"latency","maxLatency":50}`,
		`{"target":"rules[R].maxLatency","steps":[{"waitTimeSeconds":10,"value":100}]}`)
	p := func(l Latencies) Player { return rplat(nil, l) }
	runRuleCases(t, []ruleCase{
		{name: "at max", rs: maxL, rule: "R", tickets: []rtk{onTeam("a", p(Latencies{"us": 50})), onTeam("b", p(Latencies{"us": 20, "eu": 10}))}, partial: pass, final: pass},
		{name: "over max", rs: maxL, rule: "R", tickets: []rtk{onTeam("a", p(Latencies{"us": 51}))}, partial: fail, final: fail},
		{name: "over max before expansion", rs: maxL, rule: "R", age: 9999 * time.Millisecond, tickets: []rtk{onTeam("a", p(Latencies{"us": 51}))}, partial: fail, final: fail},
		{name: "over max at expansion", rs: maxL, rule: "R", age: 10 * time.Second, tickets: []rtk{onTeam("a", p(Latencies{"us": 51}))}, partial: pass, final: pass},
		{name: "each fine but no common region", rs: maxL, rule: "R", tickets: []rtk{onTeam("a", p(Latencies{"us": 10, "ap": 90})), onTeam("b", p(Latencies{"eu": 10, "ap": 80}))}, partial: fail, final: fail},
		{name: "common region only above max", rs: maxL, rule: "R", tickets: []rtk{onTeam("a", p(Latencies{"us": 10, "ap": 60})), onTeam("b", p(Latencies{"eu": 10, "ap": 40}))}, partial: fail, final: fail},
		{name: "second region is common", rs: maxL, rule: "R", tickets: []rtk{onTeam("a", p(Latencies{"us": 10, "ap": 50})), onTeam("b", p(Latencies{"eu": 10, "ap": 40}))}, partial: pass, final: pass},
		{name: "distance from min within", rs: lat(`"maxDistance":30`), rule: "R", tickets: []rtk{onTeam("a", p(Latencies{"us": 10})), onTeam("b", p(Latencies{"us": 40}))}, partial: pass, final: pass},
		{name: "distance from min over", rs: lat(`"maxDistance":29`), rule: "R", tickets: []rtk{onTeam("a", p(Latencies{"us": 10})), onTeam("b", p(Latencies{"us": 40}))}, partial: fail, final: fail},
		{name: "distance from avg within", rs: lat(`"maxDistance":15,"distanceReference":"avg"`), rule: "R", tickets: []rtk{onTeam("a", p(Latencies{"us": 10})), onTeam("b", p(Latencies{"us": 40}))}, partial: pass, final: pass},
		{name: "distance from avg over", rs: lat(`"maxDistance":14,"distanceReference":"avg"`), rule: "R", tickets: []rtk{onTeam("a", p(Latencies{"us": 10})), onTeam("b", p(Latencies{"us": 40}))}, partial: fail, final: fail},
		{name: "distance and max in another region", rs: lat(`"maxLatency":100,"maxDistance":5`), rule: "R", tickets: []rtk{onTeam("a", p(Latencies{"us": 10, "eu": 70})), onTeam("b", p(Latencies{"us": 40, "eu": 74}))}, partial: pass, final: pass},
		{name: "empty match", rs: maxL, rule: "R", partial: pass, final: pass},
	})
}

func TestEvalCompound(t *testing.T) {
	// P always passes, F always fails, U is a team-size rule: unknown while partial, and in
	// final mode passes for 1v1 (used below).
	base := skillAttr + `,{"name":"mode","type":"string","default":"x"},{"name":"tags","type":"string_list","default":["x"]}`
	rules := `{"name":"P","type":"comparison","measurements":"flatten(teams[*].players.attributes[skill])","operation":">=","referenceValue":0},` +
		`{"name":"F","type":"comparison","measurements":"flatten(teams[*].players.attributes[skill])","operation":"<","referenceValue":0},` +
		`{"name":"U","type":"comparison","measurements":"count(teams[a].players)","operation":"=","referenceValue":"count(teams[b].players)"},` +
		`{"name":"R","type":"collection","operation":"contains","measurements":"flatten(teams[*].players.attributes[tags])","referenceValue":"x","minCount":1}`
	compound := func(stmt string) string {
		return oneRule(base, teamsAB, rules+`,{"name":"C","type":"compound","statement":"`+stmt+`"}`, ``)
	}
	oneVone := []rtk{onTeam("a", rpl(nil)), onTeam("b", rpl(nil))}
	twoVone := []rtk{onTeam("a", rpl(nil), rpl(nil)), onTeam("b", rpl(nil))}
	for _, tc := range []struct {
		stmt             string
		partial, final11 verdict
		final21          verdict
	}{
		// In partial mode an operand's verdict counts only where joining players cannot change
		// it: P and F check each player's own value, so F's failure is settled but P's pass is
		// not (a joining player may fail it); R (contains, a minimum) is the opposite.
		{"and(P, P)", unknown, pass, pass},
		{"and(P, F)", fail, fail, fail},
		{"and(P, U)", unknown, pass, fail},
		{"and(F, U)", fail, fail, fail},
		{"and(P, P, U)", unknown, pass, fail},
		{"or(F, F)", fail, fail, fail},
		{"or(P, F)", unknown, pass, pass},
		{"or(F, U)", unknown, pass, fail},
		{"or(P, U)", unknown, pass, pass},
		{"not(P)", unknown, fail, fail},
		{"not(F)", pass, pass, pass},
		{"not(U)", unknown, fail, pass},
		{"xor(P, F)", unknown, pass, pass},
		{"xor(P, P)", unknown, fail, fail},
		{"xor(F, F)", fail, fail, fail},
		{"xor(P, U)", unknown, fail, pass},
		{"xor(F, U)", unknown, pass, fail},
		{"xor(P, P, U)", unknown, fail, fail},
		{"or(and(P, F), not(F))", pass, pass, pass},
		{"and(or(F, U), not(and(P, F)))", unknown, pass, fail},
		{"not(R)", fail, fail, fail},
		{"or(R, F)", pass, pass, pass},
		{"and(R, not(F))", pass, pass, pass},
		{"xor(R, F)", pass, pass, pass},
	} {
		t.Run(tc.stmt, func(t *testing.T) {
			rs := mustCompile(t, compound(tc.stmt))
			c := ruleset.NewChecker(rs.c)
			c.At(0)
			r := ruleByName(t, rs, "C")
			var reg regions
			pm := buildPM(t, rs, &reg, oneVone...)
			assert.Equal(t, tc.partial, c.Rule(pm, r, false), "partial")
			assert.Equal(t, tc.final11, c.Rule(pm, r, true), "final 1v1")
			pm = buildPM(t, rs, &reg, twoVone...)
			assert.Equal(t, tc.final21, c.Rule(pm, r, true), "final 2v1")
		})
	}

	t.Run("operands are not checked on their own", func(t *testing.T) {
		rs := mustCompile(t, compound("or(P, F)"))
		c := ruleset.NewChecker(rs.c)
		c.At(0)
		var reg regions
		assert.True(t, c.Check(buildPM(t, rs, &reg, oneVone...), true), "F fails but only through C")
		assert.False(t, c.Check(buildPM(t, rs, &reg, twoVone...), true))
		failed, ok := c.Failed()
		require.True(t, ok)
		assert.Equal(t, "U", rs.Rules()[failed].Name)
		assert.True(t, c.Check(buildPM(t, rs, &reg, twoVone...), false), "U is unknown while partial")
	})
}

// ---- Appendix B worked examples

func TestRulesAppendixB(t *testing.T) {
	const ex1 = `{"ruleLanguageVersion":"1.0",
	  "playerAttributes":[{"name":"skill","type":"number","default":10}],
	  "teams":[{"name":"cowboys","maxPlayers":8,"minPlayers":4},{"name":"aliens","maxPlayers":8,"minPlayers":4}],
	  "rules":[{"name":"FairTeamSkill","type":"distance","measurements":["avg(teams[*].players.attributes[skill])"],
	            "referenceValue":"avg(flatten(teams[*].players.attributes[skill]))","maxDistance":10},
	           {"name":"EqualTeamSizes","type":"comparison","measurements":["count(teams[cowboys].players)"],
	            "referenceValue":"count(teams[aliens].players)","operation":"="}],
	  "expansions":[{"target":"rules[FairTeamSkill].maxDistance","steps":[{"waitTimeSeconds":5,"value":50},{"waitTimeSeconds":15,"value":100}]}]}`
	const ex2 = `{"ruleLanguageVersion":"1.0",
	  "playerAttributes":[{"name":"skill","type":"number","default":10},{"name":"desiredSkillOfMonster","type":"number","default":10},
	                      {"name":"wantsToBeMonster","type":"number","default":0}],
	  "teams":[{"name":"players","maxPlayers":5,"minPlayers":5},{"name":"monster","maxPlayers":1,"minPlayers":1}],
	  "rules":[{"name":"MonsterSkill","type":"comparison","measurements":["avg(teams[monster].players.attributes[skill])"],
	            "referenceValue":"max(teams[players].players.attributes[desiredSkillOfMonster])","operation":">="}]}`
	const ex3 = `{"ruleLanguageVersion":"1.0",
	  "playerAttributes":[{"name":"skill","type":"number","default":10},{"name":"character","type":"string_list","default":["peasant"]}],
	  "teams":[{"name":"trio","minPlayers":3,"maxPlayers":5,"quantity":3}],
	  "rules":[{"name":"CloseTeamSizes","type":"distance","measurements":["max(count(teams[*].players))"],
	            "referenceValue":"min(count(teams[*].players))","maxDistance":1},
	           {"name":"OverallMedicLimit","type":"collection","measurements":["flatten(teams[*].players.attributes[character])"],
	            "operation":"contains","referenceValue":"medic","maxCount":5}]}`
	const ex5 = `{"ruleLanguageVersion":"1.0",
	  "playerAttributes":[{"name":"myCharacter","type":"string_list"},{"name":"preferredOpponents","type":"string_list"}],
	  "teams":[{"name":"red","minPlayers":5,"maxPlayers":5}],
	  "rules":[{"name":"OpponentMatch","type":"collection","operation":"reference_intersection_count",
	            "measurements":["flatten(teams[*].players.attributes[myCharacter])"],
	            "referenceValue":"set_intersection(flatten(teams[*].players.attributes[preferredOpponents]))","minCount":1}],
	  "expansions":[{"target":"rules[OpponentMatch].minCount","steps":[{"waitTimeSeconds":15,"value":0}]}]}`
	const ex6 = `{"ruleLanguageVersion":"1.0",
	  "playerAttributes":[{"name":"character","type":"number"}],
	  "teams":[{"name":"player","minPlayers":1,"maxPlayers":1,"quantity":2}],
	  "rules":[{"name":"DifferentCharacter","type":"comparison","operation":"!=","measurements":["flatten(teams[*].players.attributes[character])"]}]}`
	const ex11 = `{"ruleLanguageVersion":"1.0",
	  "teams":[{"maxPlayers":5,"minPlayers":5,"name":"red"},{"maxPlayers":5,"minPlayers":5,"name":"blue"}],
	  "playerAttributes":[{"name":"BlockList","type":"string_list","default":[]}],
	  "rules":[{"name":"PlayerIdNotInBlockList","type":"collection","operation":"reference_intersection_count",
	            "measurements":"flatten(teams[*].players.attributes[BlockList])",
	            "referenceValue":"flatten(teams[*].players[playerId])","maxCount":0}]}`
	const gomoku = `{"ruleLanguageVersion":"1.0",
	  "playerAttributes":[{"name":"score","type":"number","default":1000}],
	  "teams":[{"name":"blue","maxPlayers":1,"minPlayers":1},{"name":"red","maxPlayers":1,"minPlayers":1}],
	  "rules":[{"name":"EqualTeamSizes","type":"comparison","measurements":["count(teams[red].players)"],"referenceValue":"count(teams[blue].players)","operation":"="},
	           {"name":"FairTeamSkill","type":"distance","measurements":["avg(teams[*].players.attributes[score])"],
	            "referenceValue":"avg(flatten(teams[*].players.attributes[score]))","maxDistance":300}],
	  "expansions":[{"target":"rules[FairTeamSkill].maxDistance","steps":[{"waitTimeSeconds":10,"value":500},{"waitTimeSeconds":20,"value":800},{"waitTimeSeconds":30,"value":1000}]}]}`

	skill := func(f float64) Player { return rpl(rA("skill", rN(f))) }
	char := func(ss ...string) Player { return rpl(rA("character", rL(ss...))) }
	num := func(f float64) Player { return rpl(rA("character", rN(f))) }
	hunter := func(d float64) Player { return rpl(rA("desiredSkillOfMonster", rN(d))) }
	n := func(k int) []Player {
		ps := make([]Player, k)
		for i := range ps {
			ps[i] = rpl(nil)
		}
		return ps
	}
	runRuleCases(t, []ruleCase{
		{name: "1 FairTeamSkill equal averages", rs: ex1, rule: "FairTeamSkill",
			tickets: []rtk{onTeam("cowboys", skill(10), skill(20)), onTeam("aliens", skill(15), skill(15))}, partial: pass, final: pass},
		{name: "1 FairTeamSkill 0 vs 40 before 5s", rs: ex1, rule: "FairTeamSkill", age: 4999 * time.Millisecond,
			tickets: []rtk{onTeam("cowboys", skill(0), skill(0)), onTeam("aliens", skill(40), skill(40))}, partial: fail, final: fail},
		{name: "1 FairTeamSkill 0 vs 40 at 5s", rs: ex1, rule: "FairTeamSkill", age: 5 * time.Second,
			tickets: []rtk{onTeam("cowboys", skill(0), skill(0)), onTeam("aliens", skill(40), skill(40))}, partial: pass, final: pass},
		{name: "2 CloseTeamSizes 3-3-4", rs: ex3, rule: "CloseTeamSizes",
			tickets: []rtk{onTeam("trio_1", n(3)...), onTeam("trio_2", n(3)...), onTeam("trio_3", n(4)...)}, partial: unknown, final: pass},
		{name: "2 CloseTeamSizes 3-5-5", rs: ex3, rule: "CloseTeamSizes",
			tickets: []rtk{onTeam("trio_1", n(3)...), onTeam("trio_2", n(5)...), onTeam("trio_3", n(5)...)}, partial: unknown, final: fail},
		{name: "3 OverallMedicLimit", rs: ex3, rule: "OverallMedicLimit",
			tickets: []rtk{onTeam("trio_1", char("medic")), onTeam("trio_2", char("medic", "tank")), onTeam("trio_3", char("peasant"))}, partial: pass, final: pass},
		{name: "3 OverallMedicLimit six medics", rs: ex3, rule: "OverallMedicLimit",
			tickets: []rtk{onTeam("trio_1", char("medic"), char("medic")), onTeam("trio_2", char("medic"), char("medic")), onTeam("trio_3", char("medic"), char("medic"))}, partial: fail, final: fail},
		{name: "4 OpponentMatch before 15s", rs: ex5, rule: "OpponentMatch", age: 14999 * time.Millisecond,
			tickets: []rtk{onTeam("red", rpl(rA("myCharacter", rL("A"), "preferredOpponents", rL("B", "C"))), rpl(rA("myCharacter", rL("B"), "preferredOpponents", rL("A", "B"))))},
			partial: fail, final: fail},
		{name: "4 OpponentMatch at 15s", rs: ex5, rule: "OpponentMatch", age: 15 * time.Second,
			tickets: []rtk{onTeam("red", rpl(rA("myCharacter", rL("A"), "preferredOpponents", rL("B", "C"))), rpl(rA("myCharacter", rL("B"), "preferredOpponents", rL("A", "B"))))},
			partial: pass, final: pass},
		{name: "5 block list", rs: ex11, rule: "PlayerIdNotInBlockList",
			tickets: []rtk{onTeam("red", Player{PlayerID: "p1", Attributes: rA("BlockList", rL("p3"))}, Player{PlayerID: "p2"}), onTeam("blue", Player{PlayerID: "p3"})},
			partial: fail, final: fail},
		{name: "5 block list without the blocked player", rs: ex11, rule: "PlayerIdNotInBlockList",
			tickets: []rtk{onTeam("red", Player{PlayerID: "p1", Attributes: rA("BlockList", rL("p3"))}, Player{PlayerID: "p2"}), onTeam("blue", Player{PlayerID: "p4"})},
			partial: pass, final: pass},
		{name: "6 DifferentCharacter 3 3", rs: ex6, rule: "DifferentCharacter",
			tickets: []rtk{onTeam("player_1", num(3)), onTeam("player_2", num(3))}, partial: fail, final: fail},
		{name: "6 DifferentCharacter 3 4", rs: ex6, rule: "DifferentCharacter",
			tickets: []rtk{onTeam("player_1", num(3)), onTeam("player_2", num(4))}, partial: pass, final: pass},
		{name: "7 MonsterSkill with the 30 hunter", rs: ex2, rule: "MonsterSkill",
			tickets: []rtk{onTeam("monster", skill(25)), onTeam("players", hunter(10), hunter(20), hunter(30))}, partial: fail, final: fail},
		{name: "7 MonsterSkill without the 30 hunter", rs: ex2, rule: "MonsterSkill",
			tickets: []rtk{onTeam("monster", skill(25)), onTeam("players", hunter(10), hunter(20))}, partial: pass, final: pass},
		{name: "7 MonsterSkill no monster yet", rs: ex2, rule: "MonsterSkill",
			tickets: []rtk{onTeam("players", hunter(10))}, partial: unknown, final: fail},
		{name: "8 gomoku 1000 vs 1500", rs: gomoku, rule: "FairTeamSkill",
			tickets: []rtk{onTeam("blue", rpl(rA("score", rN(1000)))), onTeam("red", rpl(rA("score", rN(1500))))}, partial: pass, final: pass},
		{name: "8 gomoku 1000 vs 2000 at 9.999s", rs: gomoku, rule: "FairTeamSkill", age: 9999 * time.Millisecond,
			tickets: []rtk{onTeam("blue", rpl(rA("score", rN(1000)))), onTeam("red", rpl(rA("score", rN(2000))))}, partial: fail, final: fail},
		{name: "8 gomoku 1000 vs 2000 at 10s", rs: gomoku, rule: "FairTeamSkill", age: 10 * time.Second,
			tickets: []rtk{onTeam("blue", rpl(rA("score", rN(1000)))), onTeam("red", rpl(rA("score", rN(2000))))}, partial: pass, final: pass},
	})

	t.Run("1 whole rule set 1v0 then 1v1", func(t *testing.T) {
		rs := mustCompile(t, ex1)
		c := ruleset.NewChecker(rs.c)
		c.At(0)
		var reg regions
		pm := buildPM(t, rs, &reg, onTeam("cowboys", skill(10)))
		assert.True(t, c.Check(pm, false), "the anchor alone passes while partial")
		assert.False(t, c.Check(pm, true))
		pm = buildPM(t, rs, &reg, onTeam("cowboys", skill(10)), onTeam("aliens", skill(15)))
		assert.True(t, c.Check(pm, false))
		assert.True(t, c.Check(pm, true))
	})
}

// ---- benchmark

const bench5v5 = `{"ruleLanguageVersion":"1.0",
  "playerAttributes":[{"name":"skill","type":"number","default":1000},{"name":"modes","type":"string_list","default":["ctf"]}],
  "teams":[{"name":"red","minPlayers":5,"maxPlayers":5},{"name":"blue","minPlayers":5,"maxPlayers":5}],
  "rules":[
    {"name":"FairTeamSkill","type":"distance","measurements":["avg(teams[*].players.attributes[skill])"],
     "referenceValue":"avg(flatten(teams[*].players.attributes[skill]))","maxDistance":50},
    {"name":"Latency","type":"latency","maxLatency":150},
    {"name":"SharedMode","type":"collection","operation":"intersection",
     "measurements":["flatten(teams[*].players.attributes[modes])"],"minCount":1}]}`

func bench5v5Match(tb testing.TB) (*ruleset.Checker, *potential) {
	rs := mustCompile(tb, bench5v5)
	var reg regions
	var red, blue []Player
	for i := range 5 {
		red = append(red, rplat(rA("skill", rN(1000+float64(i*10)), "modes", rL("ctf", "dm")), Latencies{"us-east-1": 40 + i, "eu-west-1": 120}))
		blue = append(blue, rplat(rA("skill", rN(1005+float64(i*10)), "modes", rL("dm", "ctf", "koth")), Latencies{"eu-west-1": 90, "us-east-1": 60 + i}))
	}
	var tickets []rtk
	for i := range 5 {
		tickets = append(tickets, onTeam("red", red[i]), onTeam("blue", blue[i]))
	}
	pm := buildPM(tb, rs, &reg, tickets...)
	c := ruleset.NewChecker(rs.c)
	c.At(0)
	return c, pm
}

func TestEvaluate5v5(t *testing.T) {
	c, pm := bench5v5Match(t)
	require.True(t, c.Check(pm, true))
	allocs := testing.AllocsPerRun(100, func() { c.Check(pm, true) })
	assert.Zero(t, allocs, "a warmed-up checker must not allocate")
}

func BenchmarkEvaluate5v5(b *testing.B) {
	c, pm := bench5v5Match(b)
	if !c.Check(pm, true) {
		b.Fatal("the 5v5 match should pass")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if !c.Check(pm, true) {
			b.Fatal("failed")
		}
	}
}

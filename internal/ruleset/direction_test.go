package ruleset

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestDirections: which way each rule's verdict can move as players join.
func TestDirections(t *testing.T) {
	const attrs = `[{"name":"skill","type":"number","default":1},{"name":"mode","type":"string","default":"x"},
	  {"name":"modes","type":"string_list","default":["x"]}]`
	const teams = `[{"name":"red","minPlayers":1,"maxPlayers":5},{"name":"blue","minPlayers":1,"maxPlayers":5}]`
	const skills = `"flatten(teams[*].players.attributes[skill])"`
	const avgs = `"avg(teams[*].players.attributes[skill])"`
	const matchAvg = `"avg(flatten(teams[*].players.attributes[skill]))"`
	mk := func(rules, expansions string) *RuleSet {
		return mustCompile(t, `{"ruleLanguageVersion":"1.0","playerAttributes":`+attrs+`,"teams":`+teams+
			`,"rules":[`+rules+`],"expansions":[`+expansions+`]}`)
	}
	for _, tc := range []struct {
		name, rules, expansions string
		want                    Direction
	}{
		{"each skill below a literal", `{"name":"R","type":"comparison","measurements":` + skills + `,"operation":"<","referenceValue":9}`, ``, Falling},
		{"each skill above a literal", `{"name":"R","type":"comparison","measurements":` + skills + `,"operation":">=","referenceValue":9}`, ``, Falling},
		{"every mode equal", `{"name":"R","type":"comparison","measurements":"flatten(teams[*].players.attributes[mode])","operation":"="}`, ``, Falling},
		{"every mode different", `{"name":"R","type":"comparison","measurements":"flatten(teams[*].players.attributes[mode])","operation":"!="}`, ``, Falling},
		{"team averages equal", `{"name":"R","type":"comparison","measurements":` + avgs + `,"operation":"="}`, ``, Falling},
		{"team averages different", `{"name":"R","type":"comparison","measurements":` + avgs + `,"operation":"!="}`, ``, Either},
		{"team average above", `{"name":"R","type":"comparison","measurements":` + avgs + `,"operation":">","referenceValue":3}`, ``, Either},
		{"skills against the match average", `{"name":"R","type":"comparison","measurements":` + skills + `,"operation":"=","referenceValue":` + matchAvg + `}`, ``, Either},
		{"team sizes", `{"name":"R","type":"comparison","measurements":"count(teams[red].players)","operation":"=","referenceValue":"count(teams[blue].players)"}`, ``, Final},
		{"maxDistance of averages (FlexMatch rejects)", `{"name":"R","type":"distance","measurements":` + avgs + `,"referenceValue":` + matchAvg + `,"maxDistance":5}`, ``, Falling},
		{"minDistance of averages", `{"name":"R","type":"distance","measurements":` + avgs + `,"referenceValue":` + matchAvg + `,"minDistance":5}`, ``, Either},
		{"each skill near a literal", `{"name":"R","type":"distance","measurements":` + skills + `,"referenceValue":10,"maxDistance":5,"minDistance":1}`, ``, Falling},
		{"batch", `{"name":"R","type":"batchDistance","batchAttribute":"skill","maxDistance":5}`, ``, Falling},
		{"latency", `{"name":"R","type":"latency","maxLatency":100}`, ``, Falling},
		{"common mode, a minimum", `{"name":"R","type":"collection","operation":"intersection","measurements":"teams[*].players.attributes[modes]","minCount":1}`, ``, Falling},
		{"common modes, a maximum", `{"name":"R","type":"collection","operation":"intersection","measurements":"teams[*].players.attributes[modes]","maxCount":2}`, ``, Rising},
		{"contains, a minimum", `{"name":"R","type":"collection","operation":"contains","measurements":"flatten(teams[*].players.attributes[modes])","referenceValue":"x","minCount":2}`, ``, Rising},
		{"contains, both bounds", `{"name":"R","type":"collection","operation":"contains","measurements":"flatten(teams[*].players.attributes[modes])","referenceValue":"x","minCount":2,"maxCount":4}`, ``, Either},
		{"contains, a minimum that expands", `{"name":"R","type":"collection","operation":"contains","measurements":"flatten(teams[*].players.attributes[modes])","referenceValue":"x","minCount":2}`,
			`{"target":"rules[R].minCount","steps":[{"waitTimeSeconds":5,"value":1}]}`, Either},
	} {
		rs := mk(tc.rules, tc.expansions)
		assert.Equal(t, tc.want, rs.Direction(0), tc.name)
	}

	// Compounds: not swaps falling and rising, and/or keep a shared direction, xor moves either way.
	const falling = `{"name":"F","type":"comparison","measurements":` + skills + `,"operation":"<","referenceValue":9}`
	const rising = `{"name":"U","type":"collection","operation":"contains","measurements":"flatten(teams[*].players.attributes[modes])","referenceValue":"x","minCount":2}`
	for stmt, want := range map[string]Direction{
		"not(F)":              Rising,
		"not(U)":              Falling,
		"and(F, F)":           Falling,
		"or(U, U)":            Rising,
		"and(F, U)":           Either,
		"xor(F, F)":           Either,
		"not(and(F, not(U)))": Rising,
	} {
		rs := mk(falling+`,`+rising+`,{"name":"C","type":"compound","statement":"`+stmt+`"}`, ``)
		assert.Equal(t, want, rs.Direction(2), stmt)
	}
}

// TestExactFailures: which falling rules fail exactly (no joining player can undo the failure),
// the only failures the exhaustive search's partial mode (Checker.SetExact) rejects.
func TestExactFailures(t *testing.T) {
	const attrs = `[{"name":"skill","type":"number","default":1}]`
	const teams = `[{"name":"red","minPlayers":1,"maxPlayers":5},{"name":"blue","minPlayers":1,"maxPlayers":5}]`
	const avgs = `"avg(teams[*].players.attributes[skill])"`
	const matchAvg = `"avg(flatten(teams[*].players.attributes[skill]))"`
	for _, tc := range []struct {
		name, rule string
		exact      bool
	}{
		{"each skill near a literal", `{"name":"R","type":"distance","measurements":"flatten(teams[*].players.attributes[skill])","referenceValue":10,"maxDistance":5}`, true},
		{"maxDistance of averages", `{"name":"R","type":"distance","measurements":` + avgs + `,"referenceValue":` + matchAvg + `,"maxDistance":5}`, false},
		{"latency, a maximum", `{"name":"R","type":"latency","maxLatency":100}`, true},
		{"latency, a distance from the best", `{"name":"R","type":"latency","maxDistance":50}`, true},
		{"latency, a distance from the average", `{"name":"R","type":"latency","maxDistance":50,"distanceReference":"avg"}`, false},
		{"batch", `{"name":"R","type":"batchDistance","batchAttribute":"skill","maxDistance":5}`, true},
	} {
		rs := mustCompile(t, `{"ruleLanguageVersion":"1.0","playerAttributes":`+attrs+`,"teams":`+teams+`,"rules":[`+tc.rule+`]}`)
		assert.Equal(t, Falling, rs.Direction(0), tc.name)
		assert.Equal(t, tc.exact, rs.rules[0].exactFall, tc.name)
	}
}

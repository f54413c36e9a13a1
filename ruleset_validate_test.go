package matchmaker

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seed-04d22514/matchmaker/internal/ruleset"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// want is one expected problem: its exact path and a substring of its message.
type want struct{ path, msg string }

// invalidCase is a rule set ParseRuleSet must reject with exactly the listed problems.
type invalidCase struct {
	name string
	src  string
	want []want
}

// Building blocks for the table: a valid small rule set is rsJSON(vAttrs, vTeams, vRule, "").
const (
	vAttrs = `{"name":"skill","type":"number","default":10},{"name":"mode","type":"string","default":"ctf"},` +
		`{"name":"modes","type":"string_list","default":[]},{"name":"maps","type":"string_number_map","default":{}}`
	vTeams = `{"name":"red","minPlayers":1,"maxPlayers":4},{"name":"blue","minPlayers":1,"maxPlayers":4}`
	vRule  = `{"name":"Fair","type":"distance","measurements":["avg(teams[*].players.attributes[skill])"],` +
		`"referenceValue":"avg(flatten(teams[*].players.attributes[skill]))","maxDistance":10}`
	vCmp = `{"name":"Same","type":"comparison","operation":"=","measurements":"flatten(teams[*].players.attributes[mode])"}`
	vBig = `{"name":"all","minPlayers":1,"maxPlayers":50}`
)

func vr(rules string) string      { return rsJSON(vAttrs, vTeams, rules, ``) }
func vx(expansions string) string { return rsJSON(vAttrs, vTeams, vRule+`,`+vCmp, expansions) }
func vt(teams string) string      { return rsJSON(vAttrs, teams, ``, ``) }

var invalidCases = []invalidCase{
	// --- top level, JSON
	{"not JSON", `{"ruleLanguageVersion":"1.0",`, []want{{"", "not valid JSON"}}},
	{"trailing garbage", `{"ruleLanguageVersion":"1.0","teams":[` + vTeams + `]} {}`, []want{{"", "unexpected content"}}},
	{"unterminated comment", `{"ruleLanguageVersion":"1.0", /* "teams":[]}`, []want{{"", "unterminated /* comment"}}},
	{"top level array", `[]`, []want{{"", "must be an object, got an array"}}},
	{"top level string", `"1.0"`, []want{{"", "must be an object"}}},
	{"version missing", `{"teams":[` + vTeams + `]}`, []want{{"ruleLanguageVersion", "is required"}}},
	{"version wrong", `{"ruleLanguageVersion":"2.0","teams":[` + vTeams + `]}`, []want{{"ruleLanguageVersion", `must be "1.0", got "2.0"`}}},
	{"version a number", `{"ruleLanguageVersion":1.0,"teams":[` + vTeams + `]}`, []want{{"ruleLanguageVersion", "must be a string, got the number 1.0"}}},
	{"teams missing", `{"ruleLanguageVersion":"1.0"}`, []want{{"teams", "is required"}}},
	{"teams empty", `{"ruleLanguageVersion":"1.0","teams":[]}`, []want{{"teams", "at least one team"}}},
	{"unknown top-level key", `{"ruleLanguageVersion":"1.0","teams":[` + vTeams + `],"expansion":[]}`,
		[]want{{"expansion", `unknown key "expansion" for a rule set (did you mean "expansions"?)`}}},
	{"unknown key without suggestion", `{"ruleLanguageVersion":"1.0","teams":[` + vTeams + `],"zzzzzzzzz":1}`,
		[]want{{"zzzzzzzzz", `unknown key "zzzzzzzzz" for a rule set`}}},
	{"duplicate top-level key", `{"ruleLanguageVersion":"1.0","ruleLanguageVersion":"1.0","teams":[` + vTeams + `]}`,
		[]want{{"ruleLanguageVersion", `duplicate key "ruleLanguageVersion"`}}},

	// --- wrong JSON types
	{"name a number", `{"name":5,"ruleLanguageVersion":"1.0","teams":[` + vTeams + `]}`, []want{{"name", "must be a string, got the number 5"}}},
	{"teams a string", `{"ruleLanguageVersion":"1.0","teams":"red"}`, []want{{"teams", `must be an array, got the string "red"`}}},
	{"team a string", `{"ruleLanguageVersion":"1.0","teams":["red"]}`, []want{{"teams[0]", `must be an object, got the string "red"`}}},
	{"playerAttributes an object", `{"ruleLanguageVersion":"1.0","playerAttributes":{},"teams":[` + vTeams + `]}`,
		[]want{{"playerAttributes", "must be an array, got an object"}}},
	{"algorithm an array", `{"ruleLanguageVersion":"1.0","algorithm":[],"teams":[` + vTeams + `]}`, []want{{"algorithm", "must be an object, got an array"}}},
	{"rule null", vr(`null`), []want{{"rules[0]", "must be an object, got null"}}},
	{"maxPlayers boolean", vt(`{"name":"red","minPlayers":1,"maxPlayers":true}`), []want{{"teams[0].maxPlayers", "must be a number, got a boolean"}}},
	{"measurements a number", vr(`{"name":"R","type":"comparison","operation":"=","measurements":5}`),
		[]want{{"rules[0].measurements", "must be an expression string or a list of them, got the number 5"}}},
	{"measurement element a number", vr(`{"name":"R","type":"comparison","operation":"=","measurements":["flatten(teams[*].players.attributes[mode])",5]}`),
		[]want{{"rules[0].measurements[1]", "must be an expression string, got the number 5"}}},
	{"steps an object", vx(`{"target":"rules[Fair].maxDistance","steps":{"waitTimeSeconds":5,"value":20}}`),
		[]want{{"expansions[0].steps", "must be an array, got an object"}}},
	{"string_list default a string", rsJSON(`{"name":"l","type":"string_list","default":"x"}`, vTeams, ``, ``),
		[]want{{"playerAttributes[0].default", "must be an array of strings"}}},
	{"map default with a string value", rsJSON(`{"name":"m","type":"string_number_map","default":{"a":"x"}}`, vTeams, ``, ``),
		[]want{{"playerAttributes[0].default.a", "must be a finite number"}}},

	// --- numbers
	{"non-numeric maxDistance", vr(strings.Replace(vRule, `"maxDistance":10`, `"maxDistance":"ten"`, 1)),
		[]want{{"rules[0].maxDistance", `must be a finite number, got the string "ten"`}}},
	{"non-numeric minPlayers", vt(`{"name":"red","minPlayers":"one","maxPlayers":4}`), []want{{"teams[0].minPlayers", "must be a finite number"}}},
	{"fractional maxPlayers", vt(`{"name":"red","minPlayers":1,"maxPlayers":4.5}`), []want{{"teams[0].maxPlayers", "must be a whole number"}}},
	{"NaN as string", vr(strings.Replace(vRule, `"maxDistance":10`, `"maxDistance":"NaN"`, 1)),
		[]want{{"rules[0].maxDistance", "must be a finite number"}}},
	{"negative maxDistance", vr(strings.Replace(vRule, `"maxDistance":10`, `"maxDistance":-1`, 1)),
		[]want{{"rules[0].maxDistance", "must not be negative"}}},

	// --- teams
	{"min above max", vt(`{"name":"red","minPlayers":5,"maxPlayers":4}`), []want{{"teams[0].minPlayers", "is 5, above maxPlayers 4"}}},
	{"max zero", vt(`{"name":"red","minPlayers":0,"maxPlayers":0}`), []want{{"teams[0].maxPlayers", "must be at least 1, got 0"}}},
	{"min negative", vt(`{"name":"red","minPlayers":-1,"maxPlayers":4}`), []want{{"teams[0].minPlayers", "must not be negative"}}},
	{"quantity zero", vt(`{"name":"red","minPlayers":1,"maxPlayers":4,"quantity":0}`), []want{{"teams[0].quantity", "must be at least 1"}}},
	{"huge quantity of empty teams", vt(`{"name":"red","minPlayers":0,"maxPlayers":0,"quantity":1000000000}`),
		[]want{{"teams[0].quantity", "at most 200 teams"}, {"teams[0].maxPlayers", "must be at least 1"}}},
	{"total over 200", vt(`{"name":"red","minPlayers":1,"maxPlayers":150},{"name":"blue","minPlayers":1,"maxPlayers":51}`),
		[]want{{"teams", "teams hold 201 players in all; a match holds at most 200"}}},
	{"total over 200 by quantity", vt(`{"name":"red","minPlayers":1,"maxPlayers":21,"quantity":10}`),
		[]want{{"teams", "teams hold 210 players"}}},
	{"duplicate team", vt(`{"name":"red","minPlayers":1,"maxPlayers":4},{"name":"red","minPlayers":1,"maxPlayers":4}`),
		[]want{{"teams[1].name", `team "red" is defined twice`}}},
	{"generated name clash", vt(`{"name":"red","minPlayers":1,"maxPlayers":4,"quantity":2},{"name":"red_2","minPlayers":1,"maxPlayers":4}`),
		[]want{{"teams", `generated team name "red_2" clashes`}}},
	{"team name with a bracket", vt(`{"name":"red]","minPlayers":1,"maxPlayers":4}`), []want{{"teams[0].name", "could not be named in an expression"}}},
	{"team missing fields", vt(`{"name":"red"}`), []want{{"teams[0].maxPlayers", "is required"}, {"teams[0].minPlayers", "is required"}}},
	{"team key typo", vt(`{"name":"red","minPlayers":1,"maxPlayer":4}`),
		[]want{{"teams[0].maxPlayers", "is required"}, {"teams[0].maxPlayer", `(did you mean "maxPlayers"?)`}}},
	{"duplicate key in team", vt(`{"name":"red","name":"blue","minPlayers":1,"maxPlayers":4}`), []want{{"teams[0].name", `duplicate key "name"`}}},

	// --- attributes
	{"duplicate attribute", rsJSON(`{"name":"skill","type":"number"},{"name":"skill","type":"string"}`, vTeams, ``, ``),
		[]want{{"playerAttributes[1].name", `attribute "skill" is declared twice`}}},
	{"attribute type unknown", rsJSON(`{"name":"skill","type":"integer"}`, vTeams, ``, ``),
		[]want{{"playerAttributes[0].type", `must be one of "string", "number", "string_list", "string_number_map", got "integer"`}}},
	{"attribute type missing", rsJSON(`{"name":"skill"}`, vTeams, ``, ``), []want{{"playerAttributes[0].type", "is required"}}},
	{"number default not a number", rsJSON(`{"name":"skill","type":"number","default":"high"}`, vTeams, ``, ``),
		[]want{{"playerAttributes[0].default", "must be a finite number"}}},

	// --- rules: common
	{"unknown rule type", vr(`{"name":"R","type":"distanse","measurements":"avg(teams[red].players.attributes[skill])","referenceValue":1,"maxDistance":1}`),
		[]want{{"rules[0].type", `unknown rule type "distanse"`}, {"rules[0].type", `(did you mean "distance"?)`}}},
	{"unknown rule type far from any", vr(`{"name":"R","type":"elo"}`), []want{{"rules[0].type", `unknown rule type "elo"; the types are`}}},
	{"rule without name and type", vr(`{}`), []want{{"rules[0].name", "is required"}, {"rules[0].type", "is required"}}},
	{"rule name empty", vr(strings.Replace(vRule, `"name":"Fair"`, `"name":""`, 1)), []want{{"rules[0].name", "must not be empty"}}},
	{"duplicate rule", vr(vRule + `,` + vRule), []want{{"rules[1].name", `rule "Fair" is defined twice`}}},
	{"undeclared attribute", vr(strings.Replace(vRule, `avg(teams[*].players.attributes[skill])"`, `avg(teams[*].players.attributes[skil])"`, 1)),
		[]want{{"rules[0].measurements[0]", `unknown attribute "skil"`}}},
	{"undeclared attribute in reference", vr(strings.Replace(vRule, `avg(flatten(teams[*].players.attributes[skill]))`, `avg(flatten(teams[*].players.attributes[rank]))`, 1)),
		[]want{{"rules[0].referenceValue", `unknown attribute "rank"`}}},
	{"undeclared team", vr(`{"name":"R","type":"comparison","operation":"=","measurements":"teams[green].players.attributes[mode]"}`),
		[]want{{"rules[0].measurements", `unknown team "green"`}}},
	{"maxDistance typo", vr(strings.Replace(vRule, `"maxDistance"`, `"maxDistnce"`, 1)),
		[]want{{"rules[0]", "needs maxDistance, minDistance or both"}, {"rules[0].maxDistnce", `unknown key "maxDistnce" for a distance rule (did you mean "maxDistance"?)`}}},
	{"duplicate key in rule", vr(strings.Replace(vRule, `"maxDistance":10`, `"maxDistance":10,"maxDistance":20`, 1)),
		[]want{{"rules[0].maxDistance", `duplicate key "maxDistance"`}}},
	{"partyAggregation wrong for collection", vr(`{"name":"R","type":"collection","operation":"intersection","measurements":"flatten(teams[*].players.attributes[modes])","minCount":1,"partyAggregation":"avg"}`),
		[]want{{"rules[0].partyAggregation", `must be one of "union", "intersection"`}}},

	// --- comparison
	{"< without reference", vr(`{"name":"R","type":"comparison","operation":"<","measurements":"flatten(teams[*].players.attributes[skill])"}`),
		[]want{{"rules[0].operation", `"<" needs a referenceValue`}}},
	{"operation missing", vr(`{"name":"R","type":"comparison","measurements":"flatten(teams[*].players.attributes[skill])"}`),
		[]want{{"rules[0].operation", "is required"}}},
	{"operation unknown", vr(`{"name":"R","type":"comparison","operation":"==","measurements":"flatten(teams[*].players.attributes[skill])"}`),
		[]want{{"rules[0].operation", `got "=="`}}},
	{"> on strings", vr(`{"name":"R","type":"comparison","operation":">","referenceValue":"a","measurements":"flatten(teams[*].players.attributes[mode])"}`),
		[]want{{"rules[0].measurements[0]", "compares numbers, but this measures strings"}, {"rules[0].referenceValue", "the reference is a string"}}},
	{"comparison list reference", vr(`{"name":"R","type":"comparison","operation":"=","referenceValue":"teams[red].players.attributes[skill]","measurements":"flatten(teams[*].players.attributes[skill])"}`),
		[]want{{"rules[0].referenceValue", "gives a list"}}},
	{"comparison measuring players", vr(`{"name":"R","type":"comparison","operation":"=","measurements":"teams[red].players"}`),
		[]want{{"rules[0].measurements", "gives player values"}}},

	// --- distance
	{"distance without reference", vr(`{"name":"R","type":"distance","measurements":"teams[red].players.attributes[skill]","maxDistance":1}`),
		[]want{{"rules[0].referenceValue", "is required"}}},
	{"distance with string reference", vr(`{"name":"R","type":"distance","measurements":"teams[red].players.attributes[skill]","referenceValue":"high","maxDistance":1}`),
		[]want{{"rules[0].referenceValue", "must be a number or an expression giving one number"}}},
	{"distance on strings", vr(`{"name":"R","type":"distance","measurements":"teams[red].players.attributes[mode]","referenceValue":1,"maxDistance":1}`),
		[]want{{"rules[0].measurements", "gives string values; this rule needs number"}}},

	// --- collection
	{"collection without counts", vr(`{"name":"R","type":"collection","operation":"intersection","measurements":"flatten(teams[*].players.attributes[modes])"}`),
		[]want{{"rules[0]", "needs minCount, maxCount or both"}}},
	{"contains without reference", vr(`{"name":"R","type":"collection","operation":"contains","measurements":"flatten(teams[*].players.attributes[modes])","maxCount":1}`),
		[]want{{"rules[0].referenceValue", `is required with operation "contains"`}}},
	{"intersection with reference", vr(`{"name":"R","type":"collection","operation":"intersection","referenceValue":"x","measurements":"flatten(teams[*].players.attributes[modes])","minCount":1}`),
		[]want{{"rules[0].referenceValue", `has no effect with operation "intersection"`}}},
	{"collection numeric reference", vr(`{"name":"R","type":"collection","operation":"contains","referenceValue":3,"measurements":"flatten(teams[*].players.attributes[modes])","minCount":1}`),
		[]want{{"rules[0].referenceValue", "must be a string, a list of strings"}}},
	{"contains with a list reference", vr(`{"name":"R","type":"collection","operation":"contains","referenceValue":["a","b"],"measurements":"flatten(teams[*].players.attributes[modes])","minCount":1}`),
		[]want{{"rules[0].referenceValue", `operation "contains" needs one string`}}},
	{"contains with a list expression", vr(`{"name":"R","type":"collection","operation":"contains","referenceValue":"teams[red].players.attributes[mode]","measurements":"flatten(teams[*].players.attributes[modes])","minCount":1}`),
		[]want{{"rules[0].referenceValue", `operation "contains" needs one string`}}},
	{"collection on numbers", vr(`{"name":"R","type":"collection","operation":"intersection","measurements":"teams[red].players.attributes[skill]","minCount":1}`),
		[]want{{"rules[0].measurements", "gives number values; this rule needs string"}}},

	// --- latency, sort, batchDistance
	{"latency without limits", vr(`{"name":"R","type":"latency"}`), []want{{"rules[0]", "needs maxLatency, maxDistance or both"}}},
	{"latency distanceReference without maxDistance", vr(`{"name":"R","type":"latency","maxLatency":50,"distanceReference":"avg"}`),
		[]want{{"rules[0].distanceReference", "only together with maxDistance"}}},
	{"latency distanceReference unknown", vr(`{"name":"R","type":"latency","maxDistance":50,"distanceReference":"median"}`),
		[]want{{"rules[0].distanceReference", "must be a finite number"}}},
	{"sort without attribute", vr(`{"name":"R","type":"absoluteSort"}`), []want{{"rules[0].sortAttribute", "is required"}}},
	{"sort undeclared with mapKey", vr(`{"name":"R","type":"absoluteSort","sortAttribute":"prefs","mapKey":"maxValue"}`),
		[]want{{"rules[0].sortAttribute", `attribute "prefs" is not declared`}}},
	{"sort map without mapKey", vr(`{"name":"R","type":"absoluteSort","sortAttribute":"maps"}`), []want{{"rules[0].mapKey", "is required"}}},
	{"sort direction unknown", vr(`{"name":"R","type":"distanceSort","sortAttribute":"skill","sortDirection":"up"}`),
		[]want{{"rules[0].sortDirection", `got "up"`}}},
	{"batchDistance undeclared", vr(`{"name":"R","type":"batchDistance","batchAttribute":"elo","maxDistance":1}`),
		[]want{{"rules[0].batchAttribute", `attribute "elo" is not declared`}}},
	{"batchDistance number without maxDistance", vr(`{"name":"R","type":"batchDistance","batchAttribute":"skill"}`),
		[]want{{"rules[0].maxDistance", "is required"}}},
	{"batchDistance string with maxDistance", vr(`{"name":"R","type":"batchDistance","batchAttribute":"mode","maxDistance":1}`),
		[]want{{"rules[0].maxDistance", "used only with a number batchAttribute"}}},

	// --- compound
	{"compound unknown rule", vr(vRule + `,{"name":"C","type":"compound","statement":"and(Fair, Nope)"}`),
		[]want{{"rules[1].statement", `rule "Nope" is not defined before this compound rule`}}},
	{"compound later rule", vr(`{"name":"C","type":"compound","statement":"and(Fair, Same)"},` + vRule + `,` + vCmp),
		[]want{{"rules[0].statement", `rule "Fair" is not defined before`}}},
	{"compound itself", vr(vRule + `,{"name":"C","type":"compound","statement":"or(Fair, C)"}`),
		[]want{{"rules[1].statement", `rule "C" is not defined before`}}},
	{"compound batchDistance", vr(vRule + `,{"name":"B","type":"batchDistance","batchAttribute":"mode"},{"name":"C","type":"compound","statement":"and(Fair, B)"}`),
		[]want{{"rules[2].statement", `batchDistance rule "B" cannot be used in a compound rule`}}},
	{"compound sort", vr(vRule + `,{"name":"S","type":"absoluteSort","sortAttribute":"skill"},{"name":"C","type":"compound","statement":"and(Fair, S)"}`),
		[]want{{"rules[2].statement", `sort rule "S" has no true or false value`}}},
	{"compound bad operator", vr(vRule + `,` + vCmp + `,{"name":"C","type":"compound","statement":"nand(Fair, Same)"}`),
		[]want{{"rules[2].statement", `unknown operator "nand"`}}},
	{"compound not with two", vr(vRule + `,` + vCmp + `,{"name":"C","type":"compound","statement":"not(Fair, Same)"}`),
		[]want{{"rules[2].statement", "not takes exactly one argument"}}},
	{"compound and with one", vr(vRule + `,{"name":"C","type":"compound","statement":"and(Fair)"}`),
		[]want{{"rules[1].statement", "and takes at least two arguments"}}},
	{"compound unbalanced", vr(vRule + `,` + vCmp + `,{"name":"C","type":"compound","statement":"and(Fair, Same"}`),
		[]want{{"rules[2].statement", "missing ) for and"}}},
	{"compound trailing", vr(vRule + `,` + vCmp + `,{"name":"C","type":"compound","statement":"and(Fair, Same) x"}`),
		[]want{{"rules[2].statement", `unexpected "x"`}}},
	{"compound without statement", vr(`{"name":"C","type":"compound"}`), []want{{"rules[0].statement", "is required"}}},

	// --- algorithm and large matches
	{"sorted without sortByAttributes", `{"ruleLanguageVersion":"1.0","playerAttributes":[` + vAttrs + `],"algorithm":{"batchingPreference":"sorted"},"teams":[` + vTeams + `]}`,
		[]want{{"algorithm.sortByAttributes", `is required when batchingPreference is "sorted"`}}},
	{"sortByAttributes undeclared", `{"ruleLanguageVersion":"1.0","playerAttributes":[` + vAttrs + `],"algorithm":{"batchingPreference":"sorted","sortByAttributes":["elo"]},"teams":[` + vTeams + `]}`,
		[]want{{"algorithm.sortByAttributes[0]", `attribute "elo" is not declared`}}},
	{"largestPopulation with exhaustiveSearch", `{"ruleLanguageVersion":"1.0","algorithm":{"batchingPreference":"largestPopulation"},"teams":[` + vTeams + `]}`,
		[]want{{"algorithm.batchingPreference", `"largestPopulation" is valid only with strategy "balanced"`}}},
	{"strategy unknown", `{"ruleLanguageVersion":"1.0","algorithm":{"strategy":"greedy"},"teams":[` + vTeams + `]}`,
		[]want{{"algorithm.strategy", `got "greedy"`}}},
	{"algorithm key typo", `{"ruleLanguageVersion":"1.0","algorithm":{"expansionAgeSelecton":"oldest"},"teams":[` + vTeams + `]}`,
		[]want{{"algorithm.expansionAgeSelecton", `(did you mean "expansionAgeSelection"?)`}}},
	{"large without balanced", rsJSON(vAttrs, vBig, ``, ``),
		[]want{{"algorithm.strategy", `must use strategy "balanced"`}}},
	{"balanced without attribute", `{"ruleLanguageVersion":"1.0","algorithm":{"strategy":"balanced"},"teams":[` + vBig + `]}`,
		[]want{{"algorithm.balancedAttribute", `is required with strategy "balanced"`}}},
	{"balanced on a string", `{"ruleLanguageVersion":"1.0","playerAttributes":[` + vAttrs + `],"algorithm":{"strategy":"balanced","balancedAttribute":"mode"},"teams":[` + vBig + `]}`,
		[]want{{"algorithm.balancedAttribute", "must be of type number"}}},
	{"large with a distance rule", `{"ruleLanguageVersion":"1.0","playerAttributes":[` + vAttrs + `],"algorithm":{"strategy":"balanced","balancedAttribute":"skill"},"teams":[` + vBig + `],"rules":[` + vRule + `]}`,
		[]want{{"rules[0].type", "distance rules are not available for large matches"}}},
	{"large with latency maxDistance", `{"ruleLanguageVersion":"1.0","playerAttributes":[` + vAttrs + `],"algorithm":{"strategy":"balanced","balancedAttribute":"skill"},"teams":[` + vBig + `],"rules":[{"name":"L","type":"latency","maxLatency":100,"maxDistance":20}]}`,
		[]want{{"rules[0].maxDistance", "honour only maxLatency"}}},
	{"large with compound", `{"ruleLanguageVersion":"1.0","playerAttributes":[` + vAttrs + `],"algorithm":{"strategy":"balanced","balancedAttribute":"skill"},"teams":[` + vBig + `],"rules":[{"name":"L","type":"latency","maxLatency":100},{"name":"C","type":"compound","statement":"or(L, L)"}]}`,
		[]want{{"rules[1].type", "compound rules are available only for matches of at most 40"}}},

	// --- expansions
	{"expansion rule unknown", vx(`{"target":"rules[Nope].maxDistance","steps":[{"waitTimeSeconds":5,"value":20}]}`),
		[]want{{"expansions[0].target", `rule "Nope" is not defined in rules`}}},
	{"expansion team unknown", vx(`{"target":"teams[green].minPlayers","steps":[{"waitTimeSeconds":5,"value":0}]}`),
		[]want{{"expansions[0].target", `team "green" is not defined`}}},
	{"expansion property unknown", vx(`{"target":"rules[Fair].maxDistnce","steps":[{"waitTimeSeconds":5,"value":20}]}`),
		[]want{{"expansions[0].target", `property "maxDistnce" of a distance rule cannot be expanded`}}},
	{"expansion property unset", vx(`{"target":"rules[Fair].minDistance","steps":[{"waitTimeSeconds":5,"value":20}]}`),
		[]want{{"expansions[0].target", "does not set minDistance"}}},
	{"expansion team property", vx(`{"target":"teams[red].quantity","steps":[{"waitTimeSeconds":5,"value":2}]}`),
		[]want{{"expansions[0].target", `team property "quantity" cannot be expanded`}}},
	{"expansion target algorithm", vx(`{"target":"algorithm.strategy","steps":[{"waitTimeSeconds":5,"value":1}]}`),
		[]want{{"expansions[0].target", "is not of the form"}}},
	{"expansion compound", rsJSON(vAttrs, vTeams, vRule+`,`+vCmp+`,{"name":"C","type":"compound","statement":"or(Fair, Same)"}`, `{"target":"rules[C].maxDistance","steps":[{"waitTimeSeconds":5,"value":20}]}`),
		[]want{{"expansions[0].target", `compound rule "C" cannot be expanded`}}},
	{"expansion expression reference", vx(`{"target":"rules[Fair].referenceValue","steps":[{"waitTimeSeconds":5,"value":20}]}`),
		[]want{{"expansions[0].target", "has an expression as referenceValue"}}},
	{"wait times equal", vx(`{"target":"rules[Fair].maxDistance","steps":[{"waitTimeSeconds":5,"value":20},{"waitTimeSeconds":5,"value":30}]}`),
		[]want{{"expansions[0].steps[1].waitTimeSeconds", "not after the previous step's 5"}}},
	{"wait times decreasing", vx(`{"target":"rules[Fair].maxDistance","steps":[{"waitTimeSeconds":10,"value":20},{"waitTimeSeconds":20,"value":30},{"waitTimeSeconds":15,"value":40}]}`),
		[]want{{"expansions[0].steps[2].waitTimeSeconds", "is 15, not after the previous step's 20"}}},
	{"wait time negative", vx(`{"target":"rules[Fair].maxDistance","steps":[{"waitTimeSeconds":-1,"value":20}]}`),
		[]want{{"expansions[0].steps[0].waitTimeSeconds", "must be between 0 and 43200"}}},
	{"wait time not a number", vx(`{"target":"rules[Fair].maxDistance","steps":[{"waitTimeSeconds":"soon","value":20}]}`),
		[]want{{"expansions[0].steps[0].waitTimeSeconds", "must be a finite number"}}},
	{"steps empty", vx(`{"target":"rules[Fair].maxDistance","steps":[]}`), []want{{"expansions[0].steps", "at least one step"}}},
	{"step value missing", vx(`{"target":"rules[Fair].maxDistance","steps":[{"waitTimeSeconds":5}]}`), []want{{"expansions[0].steps[0].value", "is required"}}},
	{"step key typo", vx(`{"target":"rules[Fair].maxDistance","steps":[{"waitTimeSecond":5,"value":1}]}`),
		[]want{{"expansions[0].steps[0].waitTimeSeconds", "is required"}, {"expansions[0].steps[0].waitTimeSecond", `(did you mean "waitTimeSeconds"?)`}}},
	{"expansion minPlayers above max", vx(`{"target":"teams[red].minPlayers","steps":[{"waitTimeSeconds":5,"value":5}]}`),
		[]want{{"expansions[0].steps[0].value", `minPlayers 5 is above team "red"'s maxPlayers 4`}}},
	{"expansion maxPlayers makes a large match", vx(`{"target":"teams[red].maxPlayers","steps":[{"waitTimeSeconds":5,"value":37}]}`),
		[]want{{"expansions[0].steps[0].value", "the teams would hold 41 players; this rule set allows at most 40"}}},
	{"expansion maxPlayers of every team makes a large match", rsJSON(vAttrs, `{"name":"t","minPlayers":1,"maxPlayers":10,"quantity":3}`, ``,
		`{"target":"teams[t].maxPlayers","steps":[{"waitTimeSeconds":5,"value":13},{"waitTimeSeconds":6,"value":14}]}`),
		[]want{{"expansions[0].steps[1].value", "the teams would hold 42 players"}}},
	{"two expansions together make a large match", rsJSON(vAttrs, vTeams, ``,
		`{"target":"teams[red].maxPlayers","steps":[{"waitTimeSeconds":5,"value":20}]},{"target":"teams[blue].maxPlayers","steps":[{"waitTimeSeconds":5,"value":21}]}`),
		[]want{{"expansions[0].steps[0].value", "the teams would hold 41 players"}}},
	{"expansion maxPlayers over 200", `{"ruleLanguageVersion":"1.0","playerAttributes":[` + vAttrs + `],"algorithm":{"strategy":"balanced","balancedAttribute":"skill"},"teams":[` + vBig + `],` +
		`"expansions":[{"target":"teams[all].maxPlayers","steps":[{"waitTimeSeconds":5,"value":201}]}]}`,
		[]want{{"expansions[0].steps[0].value", "the teams would hold 201 players; this rule set allows at most 200"}}},
	{"expansion value string for number", vx(`{"target":"rules[Fair].maxDistance","steps":[{"waitTimeSeconds":5,"value":"wide"}]}`),
		[]want{{"expansions[0].steps[0].value", "must be a finite number"}}},
	{"expansion value negative", vx(`{"target":"rules[Fair].maxDistance","steps":[{"waitTimeSeconds":5,"value":-5}]}`),
		[]want{{"expansions[0].steps[0].value", "must not be negative"}}},
	{"duplicate key in expansion", vx(`{"target":"rules[Fair].maxDistance","steps":[{"waitTimeSeconds":5,"value":20}],"target":"rules[Fair].maxDistance","steps":[{"waitTimeSeconds":5,"value":20}]}`),
		[]want{{"expansions[0].target", `duplicate key "target"`}, {"expansions[0].steps", `duplicate key "steps"`}}},

	// --- many problems at once: every one is reported
	{"several problems", `{"ruleLanguageVersion":"1.1",
	  "playerAttributes":[{"name":"skill","type":"number"},{"name":"skill","type":"number"}],
	  "teams":[{"name":"red","minPlayers":3,"maxPlayers":2},{"name":"red","minPlayers":1,"maxPlayers":2}],
	  "rules":[{"name":"R","type":"distanse"},{"name":"R","type":"latency","maxLatncy":5,"maxLatency":50}],
	  "expansions":[{"target":"rules[Q].maxLatency","steps":[{"waitTimeSeconds":5,"value":1}]}]}`,
		[]want{
			{"ruleLanguageVersion", `must be "1.0"`},
			{"playerAttributes[1].name", "declared twice"},
			{"teams[0].minPlayers", "above maxPlayers"},
			{"teams[1].name", "defined twice"},
			{"rules[0].type", `did you mean "distance"`},
			{"rules[1].name", `rule "R" is defined twice`},
			{"rules[1].maxLatncy", `did you mean "maxLatency"`},
			{"expansions[0].target", `rule "Q" is not defined`},
		}},
}

// checkProblems asserts that err is a *ValidationError with exactly the wanted paths, each
// message containing the wanted text.
func checkProblems(t *testing.T, err error, wants []want) {
	t.Helper()
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrInvalidInput)
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "rule set", ve.Input)
	var gotPaths, wantPaths []string
	for _, p := range ve.Problems {
		gotPaths = append(gotPaths, p.Path)
	}
	for _, w := range wants {
		wantPaths = append(wantPaths, w.path)
	}
	slices.Sort(gotPaths)
	slices.Sort(wantPaths)
	wantPaths = slices.Compact(wantPaths)
	gotPaths = slices.Compact(gotPaths)
	assert.Equal(t, wantPaths, gotPaths, "problem paths; got %v", ve.Problems)
	for _, w := range wants {
		found := false
		for _, p := range ve.Problems {
			if p.Path == w.path && strings.Contains(p.Message, w.msg) {
				found = true
			}
		}
		assert.True(t, found, "no problem at %q containing %q; got %v", w.path, w.msg, ve.Problems)
	}
	assert.True(t, strings.HasPrefix(err.Error(), "matchmaker: invalid rule set: "), err.Error())
}

func TestParseRuleSetInvalid(t *testing.T) {
	names := map[string]bool{}
	for _, tc := range invalidCases {
		require.False(t, names[tc.name], "duplicate case name %q", tc.name)
		names[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			rs, err := ParseRuleSet([]byte(tc.src))
			assert.Nil(t, rs)
			checkProblems(t, err, tc.want)
		})
	}
}

// TestParseRuleSetInvalidFiles loads the rule sets under testdata/rulesets/invalid, each a
// realistic mistake, with the problems each must report.
func TestParseRuleSetInvalidFiles(t *testing.T) {
	expected := map[string][]want{
		"comments-and-typos.json": {
			{"rules[0].maxDistnce", `did you mean "maxDistance"`},
			{"rules[0]", "needs maxDistance, minDistance or both"},
			{"expansions[0].target", `property "maxDistnce" of a distance rule cannot be expanded`},
		},
		"large-small-rules.json": {
			{"rules[1].type", "comparison rules are not available for large matches"},
			{"rules[2].type", "compound rules are available only"},
			{"rules[2].statement", "batchDistance rule \"SameMode\" cannot be used"},
		},
		"old-example-7-duplicate-keys.json": {
			{"expansions[0].target", `duplicate key "target"`},
			{"expansions[0].steps", `duplicate key "steps"`},
		},
		"strategy-mismatch.json": {
			{"algorithm.strategy", `must use strategy "balanced"`},
			{"algorithm.sortByAttributes", `is required when batchingPreference is "sorted"`},
			{"rules[0].operation", `"<" needs a referenceValue`},
			{"rules[0].type", "comparison rules are not available for large matches"},
		},
	}
	// The folder also holds the command line's invalid rule sets, checked by its own tests.
	var files []string
	for name := range expected {
		files = append(files, filepath.Join("testdata/rulesets/invalid", name))
	}
	slices.Sort(files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			wants, ok := expected[filepath.Base(f)]
			require.True(t, ok, "no expectations for %s", f)
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			_, err = ParseRuleSet(data)
			checkProblems(t, err, wants)
		})
	}
}

// TestParseRuleSetLenient: what published rule sets contain is accepted.
func TestParseRuleSetLenient(t *testing.T) {
	src := `// leading comment
{
  /* block
     comment */
  "name": "lenient", // trailing comment
  "description": "a description is allowed on every object",
  "ruleLanguageVersion": "1.0",
  "playerAttributes": [{"name": "skill", "type": "number", "default": "10", "description": "d"},
                       {"name": "url", "type": "string", "default": "http://x//y/*z*/"}],
  "algorithm": {"strategy": "exhaustiveSearch", "batchingPreference": "sorted", "sortByAttributes": ["skill"], "description": "d"},
  "teams": [{"name": "red", "minPlayers": "1", "maxPlayers": "4", "quantity": "2", "description": "d"}],
  "rules": [{
    "name": "Fair", "description": "d", "type": "distance",
    "measurements": "avg(team [ * ] . players . attributes [ skill ])",
    "referenceValue": "avg(flatten(teams[*].players.attributes[skill]))",
    "maxDistance": "12.5"
  }, {
    "name": "Sizes", "type": "comparison", "operation": "=",
    "measurements": ["count (teams[red_1].players)"], "referenceValue": "count(teams[red_2].players)"
  }, {
    "name": "low-latency", "type": "latency", "maxLatency": "150", "maxDistance": 30, "distanceReference": "avg"
  }, {
    "name": "Either", "type": "compound", "statement": " or( Fair ,low-latency ) "
  }],
  "expansions": [{"description": "d", "target": " teams[ red ].minPlayers ",
                  "steps": [{"waitTimeSeconds": "5", "value": "0", "description": "d"}]},
                 {"target": "rules[Fair].maxDistance", "steps": [{"waitTimeSeconds": 2.5, "value": 40}]}]
}`
	rs, err := ParseRuleSet([]byte(src))
	require.NoError(t, err)
	assert.Equal(t, "lenient", rs.Name())
	assert.Equal(t, []Team{{"red_1", 1, 4}, {"red_2", 1, 4}}, rs.Teams())
	assert.Equal(t, 8, rs.MaxPlayers())
	assert.False(t, rs.Large())
	assert.Equal(t, map[string]AttributeType{"skill": AttrNumber, "url": AttrString}, rs.Attributes())
	assert.Equal(t, "http://x//y/*z*/", rs.c.Attr(1).Default.Str, "comment markers inside strings are kept")
	assert.Equal(t, 10.0, rs.c.Attr(0).Default.Num)
	at := func(age time.Duration) []ruleset.ExpansionState { return rs.c.ExpansionsAt(age) }
	assert.Equal(t, 12.5, at(0)[1].Value, "rules[Fair].maxDistance")
	assert.Equal(t, 40.0, at(5 * time.Second)[1].Value)
	assert.Equal(t, 0.0, at(5 * time.Second)[0].Value, "teams[red].minPlayers")
	// An expansion on a quantity-2 definition applies to every generated team: one player on
	// red_1 and none on red_2 is a complete match once the minimum drops to 0.
	var reg regions
	pm := buildPM(t, rs, &reg, onTeam("red_1", rplat(rA("skill", rN(10)), Latencies{"eu": 10})))
	c := ruleset.NewChecker(rs.c)
	assert.False(t, c.SizesOK(pm, true))
	c.At(5 * time.Second)
	assert.True(t, c.SizesOK(pm, true))

	_, err = ParseRuleSet([]byte(strings.Repeat(" ", MaxRuleSetBytes+1)))
	checkProblems(t, err, []want{{"", "at most 65535 are allowed"}})
}

// TestParseRuleSetErrorsAs: the error unwraps as documented.
func TestParseRuleSetErrorsAs(t *testing.T) {
	_, err := ParseRuleSet([]byte(`{}`))
	var ve *ValidationError
	require.True(t, errors.As(err, &ve))
	require.True(t, errors.Is(err, ErrInvalidInput))
	assert.Len(t, ve.Problems, 2)
	assert.Panics(t, func() { MustParseRuleSet([]byte(`{}`)) })
}

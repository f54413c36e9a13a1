package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/seed-04d22514/matchmaker"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sample has one field of each kind the checker knows.
type sample struct {
	Name    string                      `json:"name"`
	Small   int8                        `json:"small"`
	Count   uint16                      `json:"count"`
	Ratio   float32                     `json:"ratio"`
	Flag    bool                        `json:"flag"`
	List    []int                       `json:"list"`
	Map     map[string]int              `json:"map"`
	Inner   *struct{ X int }            `json:"inner"`
	Raw     json.RawMessage             `json:"raw"`
	Attrs   matchmaker.Attributes       `json:"attrs"`
	Any     any                         `json:"any"`
	Seconds json.Number                 `json:"seconds"`
	Skipped string                      `json:"-"`
	Nested  map[string]map[string][]int `json:"nested"`
	embedded
}

type embedded struct {
	Promoted string
}

func TestDecodeStrictAcceptsWhatEncodingJSONDecodes(t *testing.T) {
	in := `{"name": "n", "small": -128, "count": 65535, "ratio": 1.5, "flag": true, "list": [1, 2], "map": {"a.b": 1},
		"inner": {"x": 3}, "raw": {"anything": [1, {"a": 1, "a": 2}]}, "attrs": {"skill": {"N": 10}}, "any": [null, {"k": "v"}],
		"seconds": 2.5e1, "nested": {"a": {"b": [1]}}, "Promoted": "p"}`
	var got sample
	require.NoError(t, decodeStrict([]byte(in), "", &got))
	var want sample
	require.NoError(t, json.Unmarshal([]byte(in), &want))
	assert.Equal(t, want, got)
	assert.Equal(t, 3, got.Inner.X, "keys match fields ignoring case, as in encoding/json")
}

func TestDecodeStrictReportsEveryProblemWithItsPath(t *testing.T) {
	deep := strings.Repeat(`[`, maxJSONDepth+1) + strings.Repeat(`]`, maxJSONDepth+1)
	cases := []struct{ name, in, want string }{
		{"unknown key, near one", `{"nmae": "n"}`, `at.nmae: unknown key "nmae" (did you mean "name"?)`},
		{"unknown key", `{"colour": 1}`, `at.colour: unknown key "colour"; the keys are name, small, count, ratio, flag, list, map, inner, raw, attrs, any, seconds, nested, Promoted`},
		{"unknown key in a pointer", `{"inner": {"y": 1}}`, `at.inner.y: unknown key "y" (did you mean "X"?)`},
		{"a key that is not a field", `{"Skipped": "s"}`, `at.Skipped: unknown key "Skipped"`},
		{"duplicate key", `{"name": "a", "name": "b"}`, `at.name: duplicate key "name"`},
		{"duplicate key in another case", `{"name": "a", "NAME": "b"}`, `at.NAME: duplicate key "NAME" (the same field as "name")`},
		{"duplicate map key", `{"map": {"k": 1, "k": 2}}`, `at.map.k: duplicate key "k"`},
		{"duplicate key in any", `{"any": {"k": 1, "k": 2}}`, `at.any.k: duplicate key "k"`},
		{"duplicate key in a custom decoder's value", `{"attrs": {"skill": {"N": 1, "N": 2}}}`, `at.attrs.skill.N: duplicate key "N"`},
		{"custom decoder's error", `{"attrs": {"skill": {"Q": 1}}}`, `at.attrs.skill: attribute value has unknown key "Q"`},
		{"integer as a fraction", `{"small": 1.5}`, "at.small: must be an integer, written without a fraction or exponent, got 1.5"},
		{"integer with an exponent", `{"small": 1e2}`, "at.small: must be an integer, written without a fraction or exponent, got 1e2"},
		{"integer out of range", `{"small": 128}`, "at.small: must be an integer from -128 to 127, got 128"},
		{"unsigned negative", `{"count": -1}`, "at.count: must be an integer from 0 to 65535, got -1"},
		{"float out of range", `{"ratio": 1e39}`, "at.ratio: must be a number a float32 holds, got 1e39"},
		{"number as a string", `{"seconds": "5"}`, "at.seconds: must be a number, got a string"},
		{"string as a number", `{"name": 5}`, "at.name: must be a string, got the number 5"},
		{"bool as a string", `{"flag": "true"}`, "at.flag: must be true or false, got a string"},
		{"object as an array", `{"inner": []}`, "at.inner: must be an object, got an array"},
		{"array as an object", `{"list": {}}`, "at.list: must be an array, got an object"},
		{"null for a value", `{"name": null}`, "at.name: must be a string, got null"},
		{"element of the wrong kind", `{"list": [1, "2"]}`, "at.list[1]: must be an integer, got a string"},
		{"nesting", `{"any": ` + deep + `}`, "nests deeper than 64 levels"},
		{"key that reads ambiguously", `{"map": {"a b": "x"}}`, `at.map["a b"]: must be an integer, got a string`},
		{"huge key", `{"` + strings.Repeat("k", 1000) + `": 1}`, `at["` + strings.Repeat("k", 64) + `..."]: unknown key "` + strings.Repeat("k", 64) + `..."`},
		{"syntax error", "{\n\"name\": \"n\",\n}", "at: not valid JSON (line 3, column 1): invalid character '}' looking for beginning of object key string"},
		{"syntax error in a raw value", `{"raw": [1,]}`, "at.raw: not valid JSON (line 1, column 12): invalid character ']' looking for beginning of value"},
		{"truncated", `{"list": [1, 2`, "at.list: not valid JSON: unexpected end of input"},
		{"empty", "  ", "at: is empty; want a JSON value"},
		{"trailing data", `{} []`, "at: unexpected data after the JSON value (line 1, column 4)"},
		{"not an object", `[1]`, "at: must be an object, got an array"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got sample
			err := decodeStrict([]byte(c.in), "at", &got)
			require.Error(t, err)
			var ie *inputError
			assert.True(t, errors.As(err, &ie), "%T", err)
			assert.Contains(t, err.Error(), c.want)
			assert.Less(t, len(err.Error()), 400, "a message never repeats a huge value")
		})
	}
}

// TestCheckerElementLimit checks the bound on the elements of arrays and the members of
// objects, with a small limit standing for maxElements.
func TestCheckerElementLimit(t *testing.T) {
	cases := []struct {
		in   string
		typ  reflect.Type
		want string // "" for accepted
	}{
		{`[1, 2, 3]`, reflect.TypeFor[[]int](), ""},
		{`[1, 2, 3, 4]`, reflect.TypeFor[[]int](), "list: has more than 3 elements; at most 3 are allowed"},
		{`{"a": 1, "b": 2, "c": 3}`, reflect.TypeFor[map[string]int](), ""},
		{`{"a": 1, "b": 2, "c": 3, "d": 4}`, reflect.TypeFor[map[string]int](), "list: has more than 3 members; at most 3 are allowed"},
		{`[[1, 2, 3, 4]]`, nil, "list[0]: has more than 3 elements; at most 3 are allowed"},
		{`{"skill": {"SL": ["a", "b", "c", "d"]}}`, reflect.TypeFor[matchmaker.Attributes](), "list.skill.SL: has more than 3 elements; at most 3 are allowed"},
	}
	for _, c := range cases {
		ch := newChecker([]byte(c.in))
		ch.maxElements = 3
		err := ch.value("list", c.typ, 0)
		if c.want == "" {
			assert.NoError(t, err, c.in)
		} else {
			assert.EqualError(t, err, c.want, c.in)
		}
	}
}

// TestRunRefusesHostileJSON runs scenarios built to hurt a careless reader: every one is
// refused (or, for a request the library rejects, run with an Error line) quickly, with a
// short message naming the field.
func TestRunRefusesHostileJSON(t *testing.T) {
	t.Parallel() // the slowest tests; they share nothing
	huge := strings.Repeat("x", 1<<16)
	cases := []struct{ name, scenario, want string }{
		{"deep nesting in a request", `{"ruleSet": RULES, "steps": [{"at": 0, "StartMatchmaking": {"Players": [{"PlayerId": "p", "PlayerAttributes": {"s": ` +
			strings.Repeat(`{"a": `, 100) + `1` + strings.Repeat(`}`, 100) + `}}]}}]}`,
			"steps[0].StartMatchmaking.Players[0].PlayerAttributes.s" + strings.Repeat(".a", 61) + ": nests deeper than 64 levels"},
		{"nesting beyond encoding/json", `{"ruleSet": RULES, "steps": [` + strings.Repeat(`[`, 20000) + strings.Repeat(`]`, 20000) + `]}`,
			"steps[0]: not valid JSON (line 1, column "},
		{"huge key", `{"ruleSet": RULES, "` + huge + `": 1}`, `["` + huge[:64] + `..."]: unknown key "` + huge[:64] + `..."; the keys are ruleSet, `},
		{"huge configuration name", `{"ruleSet": RULES, "configuration": {"name": "` + huge + `"}}`, "configuration.name: is 65536 characters; at most 128 are allowed"},
		{"duplicate request in a step", `{"ruleSet": RULES, "steps": [{"at": 0, STOP, STOP}]}`, `steps[0].StopMatchmaking: duplicate key "StopMatchmaking"`},
		{"duplicate top-level key", `{"ruleSet": RULES, "steps": [], "steps": []}`, `steps: duplicate key "steps"`},
		{"two requests in a step", `{"ruleSet": RULES, "steps": [{"at": 0, STOP, "StopMatchBackfill": {"TicketId": "b"}}]}`,
			`steps[0]: must hold exactly one request besides "at" (one of AcceptMatch, AcknowledgeBackfill, AddPlayers, RemovePlayers, StartMatchBackfill, StartMatchmaking, StopMatchBackfill, StopMatchmaking), found 2 (StopMatchBackfill, StopMatchmaking)`},
		{"misspelt at", `{"ruleSet": RULES, "steps": [{"At": 0, STOP}]}`, `steps[0]: unknown step kind "At" (did you mean "at"?)`},
		{"request null", `{"ruleSet": RULES, "steps": [{"at": 0, "StopMatchmaking": null}]}`, "steps[0].StopMatchmaking: must be an object, got null"},
		{"integer latency as a fraction", `{"ruleSet": RULES, "steps": [{"at": 0, "StartMatchmaking": {"Players": [{"PlayerId": "p", "LatencyInMs": {"us-east-1": 1.5}}]}}]}`,
			"steps[0].StartMatchmaking.Players[0].LatencyInMs.us-east-1: must be an integer, written without a fraction or exponent, got 1.5"},
		{"configuration as an array", `{"ruleSet": RULES, "configuration": []}`, "configuration: must be an object, got an array"},
		{"rule set null", `{"ruleSet": null}`, "ruleSet: must be a file path or a rule-set object"},
		{"rule set missing", `{"steps": []}`, "ruleSet: is required"},
		{"not an object", `"scenario"`, "must be an object, got a string"},
		{"empty", ``, "is empty; want a JSON value"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stderr := refused(t, writeScenario(t, c.scenario), c.want)
			assert.Less(t, len(stderr), 1000, "the message never repeats a huge value")
		})
	}

	t.Run("huge ticket ID", func(t *testing.T) {
		// Valid JSON that the library refuses when the step runs: an Error line, and the run goes on.
		file := writeScenario(t, `{"ruleSet": RULES, "until": 1, "steps": [{"at": 0, "StartMatchmaking": {"TicketId": "`+huge+`", "Players": [{"PlayerId": "p"}]}}]}`)
		lines := replayFile(t, file)
		require.Len(t, lines, 1)
		assert.Equal(t, "Error", lines[0].Type)
		assert.Contains(t, lines[0].Message, "at most 128")
	})
}

// FuzzParseScenario checks that no scenario makes the loader panic or hang, and that a scenario
// it accepts lies within the documented bounds. The seeds are every scenario of testdata.
func FuzzParseScenario(f *testing.F) {
	for _, glob := range []string{scenarios + "*.json", scenarios + "invalid/*.json"} {
		files, err := filepath.Glob(glob)
		require.NoError(f, err)
		for _, file := range files {
			data, err := os.ReadFile(file)
			require.NoError(f, err)
			f.Add(data, strings.Contains(file, "invalid/"))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, invalidDir bool) {
		dir := scenarios
		if invalidDir {
			dir += "invalid/"
		}
		sc, err := parseScenario(data, dir)
		if err != nil {
			assert.NotRegexp(t, `json: (unknown field|cannot unmarshal)|Go struct field`, err.Error())
			return
		}
		assert.LessOrEqual(t, sc.tickCount(), maxTicks)
		assert.GreaterOrEqual(t, sc.tick, minTickSeconds)
		assert.LessOrEqual(t, sc.until, float64(maxSeconds))
		assert.LessOrEqual(t, len(sc.steps), maxElements)
		for _, s := range sc.steps {
			assert.True(t, s.at >= 0 && s.at <= sc.lastTick()+sc.tick*tickSlack, "step %d at %v", s.index, s.at)
		}
	})
}

package matchmaker

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// collect runs a validate function and returns its problems as "path: message" strings.
func collect(validate func(p *problems)) []string {
	var p problems
	validate(&p)
	var out []string
	for _, fe := range p.list {
		out = append(out, fe.Error())
	}
	return out
}

// runes returns a string of n copies of a two-byte rune, so that length checks that counted
// bytes would fail.
func runes(n int) string { return strings.Repeat("é", n) }

func stringsN(n int) []string {
	ss := make([]string, n)
	for i := range ss {
		ss[i] = fmt.Sprintf("s%d", i)
	}
	return ss
}

func mapN(n int) map[string]float64 {
	m := make(map[string]float64, n)
	for i := range n {
		m[fmt.Sprintf("k%02d", i)] = float64(i)
	}
	return m
}

func TestValueAccessors(t *testing.T) {
	tests := []struct {
		name string
		v    Value
		typ  AttributeType
		str  string
		num  float64
		list []string
		m    map[string]float64
	}{
		{name: "zero", v: Value{}},
		{name: "string", v: StringValue("x"), typ: AttrString, str: "x"},
		{name: "number", v: NumberValue(1.5), typ: AttrNumber, num: 1.5},
		{name: "string list", v: StringListValue("a", "b"), typ: AttrStringList, list: []string{"a", "b"}},
		{name: "empty string list", v: StringListValue(), typ: AttrStringList, list: []string{}},
		{name: "duplicates dropped", v: StringListValue("b", "a", "b", "c", "a"), typ: AttrStringList, list: []string{"b", "a", "c"}},
		{name: "map", v: StringNumberMapValue(map[string]float64{"k": 1}), typ: AttrStringNumberMap, m: map[string]float64{"k": 1}},
		{name: "nil map", v: StringNumberMapValue(nil), typ: AttrStringNumberMap, m: map[string]float64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.typ, tt.v.Type())
			assert.Equal(t, tt.str, tt.v.Str())
			assert.Equal(t, tt.num, tt.v.Number())
			assert.Equal(t, tt.list, tt.v.StringList())
			assert.Equal(t, tt.m, tt.v.StringNumberMap())
		})
	}
}

func TestValueIsImmutable(t *testing.T) {
	in := []string{"a", "b"}
	v := StringListValue(in...)
	in[0] = "changed"
	out := v.StringList()
	out[1] = "changed"
	assert.Equal(t, []string{"a", "b"}, v.StringList())

	m := map[string]float64{"k": 1}
	w := StringNumberMapValue(m)
	m["k"] = 2
	w.StringNumberMap()["k"] = 3
	assert.Equal(t, map[string]float64{"k": 1}, w.StringNumberMap())
}

func TestValueString(t *testing.T) {
	tests := []struct {
		v    Value
		want string
	}{
		{Value{}, "<missing>"},
		{StringValue(`a "b"`), `"a \"b\""`},
		{NumberValue(1.5), "1.5"},
		{NumberValue(math.NaN()), "NaN"},
		{StringListValue("a", "b"), `["a", "b"]`},
		{StringNumberMapValue(map[string]float64{"b": 2, "a": 1}), `{"a": 1, "b": 2}`},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.v.String())
	}
}

// roundTripTests hold values and their JSON form; they also seed the fuzz test.
var roundTripTests = []struct {
	v    Value
	json string
}{
	{StringValue("turn-based"), `{"S":"turn-based"}`},
	{StringValue("ünïcode"), `{"S":"ünïcode"}`},
	{NumberValue(1.5), `{"N":1.5}`},
	{NumberValue(-12), `{"N":-12}`},
	{NumberValue(math.MaxFloat64), `{"N":1.7976931348623157e+308}`},
	{StringListValue("a", "b"), `{"SL":["a","b"]}`},
	{StringListValue(), `{"SL":[]}`},
	{StringNumberMapValue(map[string]float64{"Body": 10, "Mind": 12.5}), `{"SDM":{"Body":10,"Mind":12.5}}`},
	{StringNumberMapValue(nil), `{"SDM":{}}`},
	{Value{}, `null`},
}

func TestValueJSONRoundTrip(t *testing.T) {
	for _, tt := range roundTripTests {
		t.Run(tt.json, func(t *testing.T) {
			data, err := json.Marshal(tt.v)
			require.NoError(t, err)
			assert.JSONEq(t, tt.json, string(data))

			var got Value
			require.NoError(t, json.Unmarshal(data, &got))
			assert.Equal(t, tt.v, got)
		})
	}
}

func TestAttributesJSON(t *testing.T) {
	a := Attributes{"skill": NumberValue(20), "mode": StringValue("ranked")}
	data, err := json.Marshal(a)
	require.NoError(t, err)
	assert.JSONEq(t, `{"skill":{"N":20},"mode":{"S":"ranked"}}`, string(data))

	var got Attributes
	require.NoError(t, json.Unmarshal(data, &got))
	assert.Equal(t, a, got)
}

func TestValueMarshalJSONNonFinite(t *testing.T) {
	for _, v := range []Value{
		NumberValue(math.NaN()),
		NumberValue(math.Inf(1)),
		StringNumberMapValue(map[string]float64{"k": math.Inf(-1)}),
	} {
		_, err := json.Marshal(v)
		assert.ErrorContains(t, err, "must be finite to marshal", "value %v", v)
	}
}

// unmarshalTests hold JSON inputs and either the Value they decode to or a fragment of the
// error; they also seed the fuzz test.
var unmarshalTests = []struct {
	json    string
	want    Value
	wantErr string
}{
	{json: `{"N": "12"}`, want: NumberValue(12)},
	{json: `{"N": "-1.5e3"}`, want: NumberValue(-1500)},
	{json: `{"N": 0}`, want: NumberValue(0)},
	{json: `{"SL": ["a", "b", "a"]}`, want: StringListValue("a", "b")},
	{json: `{"SDM": {"k": "2"}}`, want: StringNumberMapValue(map[string]float64{"k": 2})},
	{json: ` { "S" : "" } `, want: StringValue("")},
	{json: `null`, want: Value{}},

	{json: `{}`, wantErr: "attribute value must set exactly one of S, N, SL, SDM; got none"},
	{json: `{"S": "a", "N": 1}`, wantErr: "must set exactly one of S, N, SL, SDM; got N and S"},
	{json: `{"s": "a"}`, wantErr: `unknown key "s"; want exactly one of S, N, SL, SDM`},
	{json: `{"S": "a", "extra": 1}`, wantErr: `unknown key "extra"`},
	{json: `[]`, wantErr: "must be a JSON object such as {\"N\": 1}; got array"},
	{json: `"x"`, wantErr: "must be a JSON object such as {\"N\": 1}; got string"},
	{json: `12`, wantErr: "got number"},
	{json: `{"S": null}`, wantErr: "S must be a JSON string; got null"},
	{json: `{"S": 1}`, wantErr: "S must be a JSON string; got number"},
	{json: `{"S": ["a"]}`, wantErr: "S must be a JSON string; got array"},
	{json: `{"N": true}`, wantErr: "N must be a number; got boolean"},
	{json: `{"N": null}`, wantErr: "N must be a number; got null"},
	{json: `{"N": "abc"}`, wantErr: `N must be a number; got the string "abc"`},
	{json: `{"N": "NaN"}`, wantErr: `N must be a number; got the string "NaN"`},
	{json: `{"N": "Inf"}`, wantErr: `N must be a number; got the string "Inf"`},
	{json: `{"N": " 12"}`, wantErr: `N must be a number; got the string " 12"`},
	{json: `{"N": "12 "}`, wantErr: `N must be a number; got the string "12 "`},
	{json: `{"N": "0x10"}`, wantErr: `N must be a number; got the string "0x10"`},
	{json: `{"N": "null"}`, wantErr: `N must be a number; got the string "null"`},
	{json: `{"N": "1e400"}`, wantErr: "N must be a finite number that fits in a float64; got 1e400"},
	{json: `{"N": 1e400}`, wantErr: "N must be a finite number that fits in a float64; got 1e400"},
	{json: `{"SL": "a"}`, wantErr: "SL must be a JSON array of strings; got string"},
	{json: `{"SL": ["a", 1]}`, wantErr: "SL[1] must be a JSON string; got number"},
	{json: `{"SL": null}`, wantErr: "SL must be a JSON array of strings; got null"},
	{json: `{"SDM": []}`, wantErr: "SDM must be a JSON object of numbers; got array"},
	{json: `{"SDM": {"k": "x"}}`, wantErr: `SDM["k"] must be a number; got the string "x"`},
	{json: `{"SDM": {"k": {}}}`, wantErr: `SDM["k"] must be a number; got object`},
	{json: `{"S": "a"`, wantErr: "unexpected end of JSON input"},
}

func TestValueUnmarshalJSON(t *testing.T) {
	for _, tt := range unmarshalTests {
		t.Run(tt.json, func(t *testing.T) {
			sentinel := StringValue("unchanged")
			got := sentinel
			err := json.Unmarshal([]byte(tt.json), &got)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.Equal(t, sentinel, got, "a failed unmarshal must leave the value unchanged")
				return
			}
			require.NoError(t, err)
			if tt.json == "null" {
				assert.Equal(t, sentinel, got, "null must leave the value unchanged")
				return
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestValueUnmarshalJSONErrorsAreLowerCaseAndPrefixed(t *testing.T) {
	for _, tt := range unmarshalTests {
		if tt.wantErr == "" || strings.Contains(tt.wantErr, "JSON input") {
			continue
		}
		var v Value
		err := v.UnmarshalJSON([]byte(tt.json))
		require.Error(t, err, tt.json)
		assert.True(t, strings.HasPrefix(err.Error(), "matchmaker: attribute value "), err.Error())
	}
}

func FuzzValueUnmarshalJSON(f *testing.F) {
	for _, tt := range roundTripTests {
		f.Add([]byte(tt.json))
	}
	for _, tt := range unmarshalTests {
		f.Add([]byte(tt.json))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var v Value
		if err := json.Unmarshal(data, &v); err != nil {
			return
		}
		out, err := json.Marshal(v)
		require.NoError(t, err, "re-marshalling an accepted value %v", v)
		var again Value
		require.NoError(t, json.Unmarshal(out, &again), "re-parsing %s", out)
		assert.Equal(t, v, again)
	})
}

func TestValueValidate(t *testing.T) {
	tests := []struct {
		name string
		v    Value
		want []string
	}{
		{name: "missing", v: Value{}, want: []string{"a: missing value: set one of S, N, SL, SDM"}},
		{name: "S of 1", v: StringValue("x")},
		{name: "S of 100 runes", v: StringValue(runes(100))},
		{name: "S empty", v: StringValue(""), want: []string{"a.S: S must be 1 to 100 characters; got 0"}},
		{name: "S of 101 runes", v: StringValue(runes(101)), want: []string{"a.S: S must be 1 to 100 characters; got 101"}},
		{name: "N zero", v: NumberValue(0)},
		{name: "N max", v: NumberValue(math.MaxFloat64)},
		{name: "N NaN", v: NumberValue(math.NaN()), want: []string{"a.N: N must be a finite number; got NaN"}},
		{name: "N +Inf", v: NumberValue(math.Inf(1)), want: []string{"a.N: N must be a finite number; got +Inf"}},
		{name: "N -Inf", v: NumberValue(math.Inf(-1)), want: []string{"a.N: N must be a finite number; got -Inf"}},
		{name: "SL empty", v: StringListValue()},
		{name: "SL of 100", v: StringListValue(stringsN(100)...)},
		{name: "SL of 101", v: StringListValue(stringsN(101)...), want: []string{"a.SL: SL must hold at most 100 strings; got 101"}},
		{name: "SL entry of 100 runes", v: StringListValue(runes(100))},
		{
			name: "SL entries empty and of 101 runes",
			v:    StringListValue("ok", "", runes(101)),
			want: []string{
				"a.SL[1]: string must be 1 to 100 characters; got 0",
				"a.SL[2]: string must be 1 to 100 characters; got 101",
			},
		},
		{name: "SDM empty", v: StringNumberMapValue(nil)},
		{name: "SDM of 10", v: StringNumberMapValue(mapN(10))},
		{name: "SDM of 11", v: StringNumberMapValue(mapN(11)), want: []string{"a.SDM: SDM must hold at most 10 pairs; got 11"}},
		{name: "SDM key of 100 runes", v: StringNumberMapValue(map[string]float64{runes(100): 1})},
		{
			name: "SDM bad keys and values",
			v: StringNumberMapValue(map[string]float64{
				"":          1,
				"inf":       math.Inf(1),
				runes(101):  2,
				"nan":       math.NaN(),
				"good":      -3.5,
				"also good": 0,
			}),
			want: []string{
				`a.SDM[""]: key must be 1 to 100 characters; got 0`,
				`a.SDM["inf"]: value must be a finite number; got +Inf`,
				`a.SDM["nan"]: value must be a finite number; got NaN`,
				fmt.Sprintf(`a.SDM[%q]: key must be 1 to 100 characters; got 101`, runes(101)),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := collect(func(p *problems) { tt.v.validate("a", p) })
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestAttributesValidate(t *testing.T) {
	ten := Attributes{}
	for i := range 10 {
		ten[fmt.Sprintf("a%d", i)] = NumberValue(float64(i))
	}
	eleven := Attributes{"extra": NumberValue(1)}
	for k, v := range ten {
		eleven[k] = v
	}
	tests := []struct {
		name string
		a    Attributes
		want []string
	}{
		{name: "nil", a: nil},
		{name: "ten", a: ten},
		{name: "eleven", a: eleven, want: []string{"p.PlayerAttributes: at most 10 attributes are allowed; got 11"}},
		{name: "name of 1", a: Attributes{"x": NumberValue(1)}},
		{name: "name of 1024 runes", a: Attributes{runes(1024): NumberValue(1)}},
		{
			name: "name of 1025 runes",
			a:    Attributes{runes(1025): NumberValue(1)},
			want: []string{"p.PlayerAttributes." + runes(1025) + ": attribute name must be 1 to 1024 characters; got 1025"},
		},
		{
			name: "empty name",
			a:    Attributes{"": NumberValue(1)},
			want: []string{`p.PlayerAttributes[""]: attribute name must be 1 to 1024 characters; got 0`},
		},
		{
			name: "problems in name order with precise paths",
			a: Attributes{
				"skill":     NumberValue(math.NaN()),
				"mode":      StringValue(""),
				"a.b":       {},
				"good":      StringValue("ok"),
				"maps-pref": StringListValue("x", ""),
			},
			want: []string{
				`p.PlayerAttributes["a.b"]: missing value: set one of S, N, SL, SDM`,
				"p.PlayerAttributes.maps-pref.SL[1]: string must be 1 to 100 characters; got 0",
				"p.PlayerAttributes.mode.S: S must be 1 to 100 characters; got 0",
				"p.PlayerAttributes.skill.N: N must be a finite number; got NaN",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := collect(func(p *problems) { tt.a.validate("p.PlayerAttributes", p) })
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestValueMatchmakerData(t *testing.T) {
	tests := []struct {
		v    Value
		want string
	}{
		{StringValue("Deathmatch"), `{"attributeType":"STRING","valueAttribute":"Deathmatch"}`},
		{NumberValue(21.65), `{"attributeType":"DOUBLE","valueAttribute":21.65}`},
		{StringListValue("Double kill", "Rampage"), `{"attributeType":"STRING_LIST","valueAttribute":["Double kill","Rampage"]}`},
		{StringNumberMapValue(map[string]float64{"Body": 10, "Mind": 12}), `{"attributeType":"STRING_DOUBLE_MAP","valueAttribute":{"Body":10,"Mind":12}}`},
		{Value{}, `{"attributeType":"NONE","valueAttribute":null}`},
	}
	for _, tt := range tests {
		t.Run(tt.v.String(), func(t *testing.T) {
			data, err := json.Marshal(tt.v.matchmakerData())
			require.NoError(t, err)
			assert.JSONEq(t, tt.want, string(data))
		})
	}
}

func TestValueZeroCopyAccessors(t *testing.T) {
	v := StringListValue("a", "b")
	assert.Equal(t, []string{"a", "b"}, v.strList())
	w := StringNumberMapValue(map[string]float64{"k": 1})
	assert.Equal(t, map[string]float64{"k": 1}, w.strMap())
	assert.Nil(t, NumberValue(1).strList())
	assert.Nil(t, NumberValue(1).strMap())
}

func TestKeyPath(t *testing.T) {
	tests := []struct{ path, key, want string }{
		{"p", "skill", "p.skill"},
		{"p", "us-east-1", "p.us-east-1"},
		{"p", "snake_case9", "p.snake_case9"},
		{"", "skill", "skill"},
		{"p", "", `p[""]`},
		{"", "", `[""]`},
		{"p", "a.b", `p["a.b"]`},
		{"p", "a b", `p["a b"]`},
		{"p", `x"]`, `p["x\"]"]`},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, keyPath(tt.path, tt.key), "keyPath(%q, %q)", tt.path, tt.key)
	}
}

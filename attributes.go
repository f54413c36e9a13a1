package matchmaker

// This file holds player attribute values: their four FlexMatch types, construction, JSON form
// and the limits a request must respect.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// AttributeType is the type of a player attribute, as declared in a rule set's playerAttributes.
type AttributeType string

// The four attribute types of the FlexMatch rule-set language.
const (
	AttrString          AttributeType = "string"
	AttrNumber          AttributeType = "number"
	AttrStringList      AttributeType = "string_list"
	AttrStringNumberMap AttributeType = "string_number_map"
)

// Limits on player attributes, from the GameLift API reference (spec §k.1). Characters are
// counted as Unicode code points.
const (
	maxAttributes        = 10   // attributes per player
	maxAttributeNameLen  = 1024 // characters in an attribute name
	maxStringLen         = 100  // characters in an S value, an SL entry or an SDM key
	maxStringListLen     = 100  // entries in an SL value
	maxStringNumberPairs = 10   // pairs in an SDM value
)

// Value is one player attribute value of one of the four attribute types. A Value is immutable:
// the constructors and accessors copy lists and maps, so a Value can be shared freely between
// goroutines.
//
// The zero Value has no type; it stands for a missing value and fails validation.
//
// In JSON a Value takes the GameLift AttributeValue shape, with exactly one key:
//
//	{"S": "turn-based"}  {"N": 1.5}  {"SL": ["a", "b"]}  {"SDM": {"Body": 10}}
type Value struct {
	typ AttributeType
	s   string
	n   float64
	sl  []string
	sdm map[string]float64
}

// StringValue returns a Value of type [AttrString].
func StringValue(s string) Value {
	return Value{typ: AttrString, s: s}
}

// NumberValue returns a Value of type [AttrNumber].
func NumberValue(f float64) Value {
	return Value{typ: AttrNumber, n: f}
}

// StringListValue returns a Value of type [AttrStringList] holding a copy of ss. Entries that
// repeat an earlier entry are dropped, keeping the order of first occurrence, as FlexMatch
// ignores repeated entries.
func StringListValue(ss ...string) Value {
	list := make([]string, 0, len(ss))
	seen := make(map[string]bool, len(ss))
	for _, s := range ss {
		if seen[s] {
			continue
		}
		seen[s] = true
		list = append(list, s)
	}
	return Value{typ: AttrStringList, sl: list}
}

// StringNumberMapValue returns a Value of type [AttrStringNumberMap] holding a copy of m.
func StringNumberMapValue(m map[string]float64) Value {
	return Value{typ: AttrStringNumberMap, sdm: copyMap(m)}
}

// Type returns the type of v, or "" for the zero Value.
func (v Value) Type() AttributeType { return v.typ }

// Str returns the string of a Value of type [AttrString], and "" for any other type.
func (v Value) Str() string { return v.s }

// Number returns the number of a Value of type [AttrNumber], and 0 for any other type.
func (v Value) Number() float64 { return v.n }

// StringList returns a copy of the strings of a Value of type [AttrStringList], and nil for any
// other type.
func (v Value) StringList() []string {
	if v.typ != AttrStringList {
		return nil
	}
	return append([]string{}, v.sl...)
}

// StringNumberMap returns a copy of the map of a Value of type [AttrStringNumberMap], and nil
// for any other type.
func (v Value) StringNumberMap() map[string]float64 {
	if v.typ != AttrStringNumberMap {
		return nil
	}
	return copyMap(v.sdm)
}

// strList returns the strings of v without copying; callers must not modify them.
func (v Value) strList() []string { return v.sl }

// strMap returns the map of v without copying; callers must not modify it.
func (v Value) strMap() map[string]float64 { return v.sdm }

func copyMap(m map[string]float64) map[string]float64 {
	c := make(map[string]float64, len(m))
	for k, f := range m {
		c[k] = f
	}
	return c
}

// String returns v for display: a quoted string, a number, a bracketed list of quoted strings,
// a braced map with sorted keys, or "<missing>" for the zero Value.
func (v Value) String() string {
	switch v.typ {
	case AttrString:
		return strconv.Quote(v.s)
	case AttrNumber:
		return formatNumber(v.n)
	case AttrStringList:
		quoted := make([]string, len(v.sl))
		for i, s := range v.sl {
			quoted[i] = strconv.Quote(s)
		}
		return "[" + strings.Join(quoted, ", ") + "]"
	case AttrStringNumberMap:
		pairs := make([]string, 0, len(v.sdm))
		for _, k := range slices.Sorted(maps.Keys(v.sdm)) {
			pairs = append(pairs, strconv.Quote(k)+": "+formatNumber(v.sdm[k]))
		}
		return "{" + strings.Join(pairs, ", ") + "}"
	}
	return "<missing>"
}

func formatNumber(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// MarshalJSON writes v in the GameLift AttributeValue shape, and the zero Value as null. It
// fails for a number that is not finite, which JSON cannot represent.
func (v Value) MarshalJSON() ([]byte, error) {
	switch v.typ {
	case AttrString:
		return json.Marshal(struct {
			S string `json:"S"`
		}{v.s})
	case AttrNumber:
		if !isFinite(v.n) {
			return nil, fmt.Errorf("matchmaker: attribute value N must be finite to marshal; got %s", formatNumber(v.n))
		}
		return json.Marshal(struct {
			N float64 `json:"N"`
		}{v.n})
	case AttrStringList:
		return json.Marshal(struct {
			SL []string `json:"SL"`
		}{v.sl})
	case AttrStringNumberMap:
		for _, k := range slices.Sorted(maps.Keys(v.sdm)) {
			if f := v.sdm[k]; !isFinite(f) {
				return nil, fmt.Errorf("matchmaker: attribute value SDM[%q] must be finite to marshal; got %s", k, formatNumber(f))
			}
		}
		return json.Marshal(struct {
			SDM map[string]float64 `json:"SDM"`
		}{v.sdm})
	}
	return []byte("null"), nil
}

// UnmarshalJSON reads v from the GameLift AttributeValue shape: an object with exactly one of
// the keys S (a string), N (a number), SL (an array of strings) or SDM (an object of numbers).
// Numbers may also be written as JSON strings holding a JSON number, such as {"N": "12"}.
// Repeated SL entries are dropped. As with encoding/json, null leaves v unchanged. On error v
// is unchanged. Limits such as string lengths are checked later, by request validation.
func (v *Value) UnmarshalJSON(data []byte) error {
	if kind := jsonKind(data); kind != "object" {
		if kind == "null" {
			return nil
		}
		return fmt.Errorf(`matchmaker: attribute value must be a JSON object such as {"N": 1}; got %s`, kind)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return fmt.Errorf("matchmaker: attribute value: %w", err)
	}
	var set []string
	for _, key := range slices.Sorted(maps.Keys(fields)) {
		switch key {
		case "S", "N", "SL", "SDM":
			set = append(set, key)
		default:
			return fmt.Errorf("matchmaker: attribute value has unknown key %q; want exactly one of S, N, SL, SDM", key)
		}
	}
	if len(set) == 0 {
		return errors.New("matchmaker: attribute value must set exactly one of S, N, SL, SDM; got none")
	}
	if len(set) > 1 {
		return fmt.Errorf("matchmaker: attribute value must set exactly one of S, N, SL, SDM; got %s", strings.Join(set, " and "))
	}
	parsed, err := parseValue(set[0], fields[set[0]])
	if err != nil {
		return fmt.Errorf("matchmaker: attribute value %w", err)
	}
	*v = parsed
	return nil
}

// parseValue reads the inner JSON of the AttributeValue key. Its errors start with the key so
// that the caller can prefix them.
func parseValue(key string, raw json.RawMessage) (Value, error) {
	switch key {
	case "S":
		s, err := parseString(key, raw)
		return StringValue(s), err
	case "N":
		f, err := parseNumber(key, raw)
		return NumberValue(f), err
	case "SL":
		return parseStringList(raw)
	default:
		return parseStringNumberMap(raw)
	}
}

func parseString(path string, raw json.RawMessage) (string, error) {
	if kind := jsonKind(raw); kind != "string" {
		return "", fmt.Errorf("%s must be a JSON string; got %s", path, kind)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// parseNumber reads a JSON number, or a JSON string whose whole content is a JSON number.
// Either way the number must fit in a float64.
func parseNumber(path string, raw json.RawMessage) (float64, error) {
	text := raw
	switch kind := jsonKind(raw); kind {
	case "number":
	case "string":
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, fmt.Errorf("%s: %w", path, err)
		}
		text = []byte(s)
		if jsonKind(text) != "number" || strings.TrimSpace(s) != s || !json.Valid(text) {
			return 0, fmt.Errorf("%s must be a number; got the string %q", path, s)
		}
	default:
		return 0, fmt.Errorf("%s must be a number; got %s", path, kind)
	}
	var f float64
	if err := json.Unmarshal(text, &f); err != nil {
		return 0, fmt.Errorf("%s must be a finite number that fits in a float64; got %s", path, text)
	}
	return f, nil
}

func parseStringList(raw json.RawMessage) (Value, error) {
	if kind := jsonKind(raw); kind != "array" {
		return Value{}, fmt.Errorf("SL must be a JSON array of strings; got %s", kind)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return Value{}, fmt.Errorf("SL: %w", err)
	}
	list := make([]string, len(items))
	for i, item := range items {
		s, err := parseString(fmt.Sprintf("SL[%d]", i), item)
		if err != nil {
			return Value{}, err
		}
		list[i] = s
	}
	return StringListValue(list...), nil
}

func parseStringNumberMap(raw json.RawMessage) (Value, error) {
	if kind := jsonKind(raw); kind != "object" {
		return Value{}, fmt.Errorf("SDM must be a JSON object of numbers; got %s", kind)
	}
	var items map[string]json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return Value{}, fmt.Errorf("SDM: %w", err)
	}
	m := make(map[string]float64, len(items))
	for _, k := range slices.Sorted(maps.Keys(items)) {
		f, err := parseNumber(fmt.Sprintf("SDM[%q]", k), items[k])
		if err != nil {
			return Value{}, err
		}
		m[k] = f
	}
	return Value{typ: AttrStringNumberMap, sdm: m}, nil
}

// jsonKind names the kind of the JSON value that data starts with, for error messages and for
// checks that encoding/json would let through (it decodes null into anything).
func jsonKind(data []byte) string {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 {
		return "nothing"
	}
	switch c := trimmed[0]; {
	case c == '{':
		return "object"
	case c == '[':
		return "array"
	case c == '"':
		return "string"
	case c == 't' || c == 'f':
		return "boolean"
	case c == 'n':
		return "null"
	case c == '-' || ('0' <= c && c <= '9'):
		return "number"
	}
	return "invalid JSON"
}

func isFinite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// Attributes holds a player's attribute values by attribute name, as FlexMatch's
// PlayerAttributes.
type Attributes map[string]Value

// validate adds a problem for each limit of spec §k.1 that a breaks. path locates a; each
// attribute's path is path.name. Attributes are checked in name order.
func (a Attributes) validate(path string, p *problems) {
	validateNamed(a, path, "attribute", maxAttributes, maxAttributeNameLen, p, Value.validate)
}

// validateNamed checks a map keyed by name, such as attributes or latencies, where path locates
// m and noun names one entry: at most maxEntries entries, each name 1 to maxNameLen characters,
// and check on each entry at its path (see keyPath), in name order.
func validateNamed[V any](m map[string]V, path, noun string, maxEntries, maxNameLen int, p *problems, check func(v V, path string, p *problems)) {
	if len(m) > maxEntries {
		p.add(path, "at most %d %ss are allowed; got %d", maxEntries, noun, len(m))
	}
	for _, name := range slices.Sorted(maps.Keys(m)) {
		namePath := keyPath(path, name)
		if n := utf8.RuneCountInString(name); n < 1 || n > maxNameLen {
			p.add(namePath, "%s name must be 1 to %d characters; got %d", noun, maxNameLen, n)
		}
		checkUTF8(namePath, noun+" name", name, p)
		check(m[name], namePath, p)
	}
}

// validate adds a problem for each limit of spec §k.1 that v breaks; path locates v.
func (v Value) validate(path string, p *problems) {
	switch v.typ {
	case AttrString:
		checkStringLen(path+".S", "S", v.s, p)
	case AttrNumber:
		checkFinite(path+".N", "N", v.n, p)
	case AttrStringList:
		if len(v.sl) > maxStringListLen {
			p.add(path+".SL", "SL must hold at most %d strings; got %d", maxStringListLen, len(v.sl))
		}
		for i, s := range v.sl {
			checkStringLen(fmt.Sprintf("%s.SL[%d]", path, i), "string", s, p)
		}
	case AttrStringNumberMap:
		if len(v.sdm) > maxStringNumberPairs {
			p.add(path+".SDM", "SDM must hold at most %d pairs; got %d", maxStringNumberPairs, len(v.sdm))
		}
		for _, k := range slices.Sorted(maps.Keys(v.sdm)) {
			pairPath := fmt.Sprintf("%s.SDM[%q]", path, k)
			checkStringLen(pairPath, "key", k, p)
			checkFinite(pairPath, "value", v.sdm[k], p)
		}
	default:
		p.add(path, "missing value: set one of S, N, SL, SDM")
	}
}

func checkStringLen(path, what, s string, p *problems) {
	if n := utf8.RuneCountInString(s); n < 1 || n > maxStringLen {
		p.add(path, "%s must be 1 to %d characters; got %d", what, maxStringLen, n)
	}
	checkUTF8(path, what, s, p)
}

// checkUTF8 refuses text that is not valid UTF-8: two different invalid strings would print
// alike in JSON, so IDs and names must be text.
func checkUTF8(path, what, s string, p *problems) {
	if !utf8.ValidString(s) {
		p.add(path, "%s is not valid UTF-8", what)
	}
}

func checkFinite(path, what string, f float64, p *problems) {
	if !isFinite(f) {
		p.add(path, "%s must be a finite number; got %s", what, formatNumber(f))
	}
}

// keyPath extends path with a map key: path.key when the key is a plain name, otherwise
// path["key"] so that empty keys and keys holding dots or brackets stay unambiguous.
func keyPath(path, key string) string {
	plain := key != ""
	for _, r := range key {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '-' {
			plain = false
			break
		}
	}
	if !plain {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// MatchAttribute is one attribute in the matchmaker data a game server receives (spec §i).
type MatchAttribute struct {
	AttributeType  string `json:"attributeType"`
	ValueAttribute any    `json:"valueAttribute"`
}

// matchmakerData returns v in the matchmaker-data form. The zero Value maps to type "NONE",
// which the GameLift server SDKs know, with a null value.
func (v Value) matchmakerData() MatchAttribute {
	switch v.typ {
	case AttrString:
		return MatchAttribute{AttributeType: "STRING", ValueAttribute: v.s}
	case AttrNumber:
		return MatchAttribute{AttributeType: "DOUBLE", ValueAttribute: v.n}
	case AttrStringList:
		return MatchAttribute{AttributeType: "STRING_LIST", ValueAttribute: v.StringList()}
	case AttrStringNumberMap:
		return MatchAttribute{AttributeType: "STRING_DOUBLE_MAP", ValueAttribute: v.StringNumberMap()}
	}
	return MatchAttribute{AttributeType: "NONE"}
}

package main

// This file holds the strict reading of the JSON in scenario files. Each value is checked
// against the Go type it decodes into before encoding/json decodes it, so that every problem (a
// syntax error, a duplicate or unknown key, a value of the wrong kind, a fraction where an
// integer belongs, nesting or a list beyond the limits) is reported with the JSON path the file
// spells, such as steps[3].StartMatchBackfill.MaxNewPlayers, never with a Go name.

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/seed-04d22514/matchmaker/internal/suggest"
)

// inputError is one problem with one value of an input file.
type inputError struct {
	path string // JSON path, such as steps[3].at; empty for the file as a whole
	msg  string
}

func (e *inputError) Error() string {
	if e.path == "" {
		return e.msg
	}
	return e.path + ": " + e.msg
}

// errorAt returns an *inputError at path.
func errorAt(path, format string, args ...any) error {
	return &inputError{path: path, msg: fmt.Sprintf(format, args...)}
}

// decodeStrict checks data, one JSON value found at path, against v's type, then decodes it
// into v, a pointer. Keys match fields as encoding/json matches them (exactly, else ignoring
// case), but a key given twice, by any spelling, is refused. A json.RawMessage is only checked
// to be valid JSON: whoever reads it later checks it.
func decodeStrict(data []byte, path string, v any) error {
	c := newChecker(data)
	if err := c.value(path, reflect.TypeOf(v).Elem(), 0); err != nil {
		return err
	}
	end := int(c.dec.InputOffset())
	if _, err := c.dec.Token(); err != io.EOF {
		end += len(data[end:]) - len(bytes.TrimLeft(data[end:], " \t\r\n"))
		return errorAt(path, "unexpected data after the JSON value (%s)", position(data, int64(end)))
	}
	if err := json.Unmarshal(data, v); err != nil {
		// Only a custom decoder can fail here, and the checker has run each on its value.
		return errorAt(path, "%s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

// checker walks one JSON document token by token.
type checker struct {
	dec         *json.Decoder
	src         []byte
	maxElements int             // of an array or object; maxElements but in tests
	raw         json.RawMessage // the last value read whole
}

func newChecker(data []byte) *checker {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return &checker{dec: dec, src: data, maxElements: maxElements}
}

var (
	rawMessageType      = reflect.TypeFor[json.RawMessage]()
	numberType          = reflect.TypeFor[json.Number]()
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// value checks the next value against t; a nil t accepts any value.
func (c *checker) value(path string, t reflect.Type, depth int) error {
	if depth > maxJSONDepth {
		return errorAt(path, "nests deeper than %d levels", maxJSONDepth)
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && t.Kind() == reflect.Interface {
		t = nil
	}
	if t == rawMessageType || t != nil && reflect.PointerTo(t).Implements(unmarshalerType) {
		return c.custom(path, t, depth)
	}
	tok, err := c.dec.Token()
	if err != nil {
		return c.syntaxError(path, err)
	}
	switch tok := tok.(type) {
	case json.Delim:
		if tok == '{' {
			return c.object(path, t, depth)
		}
		return c.array(path, t, depth)
	case nil:
		if t != nil && !nullable(t) {
			return errorAt(path, "must be %s, got null", describeType(t))
		}
		return nil
	default:
		return checkScalar(path, t, tok)
	}
}

// custom checks a value that decodes itself: a json.RawMessage is read as it is; any other
// type's own decoder runs on the value, after a check of its keys and nesting.
func (c *checker) custom(path string, t reflect.Type, depth int) error {
	if err := c.dec.Decode(&c.raw); err != nil { // reuses c.raw's memory
		return c.syntaxError(path, err)
	}
	if t == rawMessageType {
		return nil
	}
	raw := c.raw // unchanged until this checker reads on; decoders copy what they keep
	sub := newChecker(raw)
	sub.maxElements = c.maxElements
	if err := sub.value(path, nil, depth); err != nil {
		return err
	}
	if err := json.Unmarshal(raw, reflect.New(t).Interface()); err != nil {
		return errorAt(path, "%s", strings.TrimPrefix(err.Error(), "matchmaker: "))
	}
	return nil
}

// object checks the members of an object whose '{' has been read.
func (c *checker) object(path string, t reflect.Type, depth int) error {
	var fields []field
	var seen map[string]string // field name or key -> the key that set it
	switch {
	case t == nil || t.Kind() == reflect.Map:
		seen = map[string]string{}
	case t.Kind() == reflect.Struct:
		fields = fieldsOf(t)
		seen = make(map[string]string, len(fields))
	default:
		return errorAt(path, "must be %s, got an object", describeType(t))
	}
	for n := 0; c.dec.More(); n++ {
		tok, err := c.dec.Token()
		if err != nil {
			return c.syntaxError(path, err)
		}
		key, _ := tok.(string) // the decoder refuses any other key
		at := joinKey(path, key)
		if n == c.maxElements {
			return errorAt(path, "has more than %d members; at most %d are allowed", c.maxElements, c.maxElements)
		}
		var elem reflect.Type
		id := key
		switch {
		case t == nil:
		case t.Kind() == reflect.Map:
			elem = t.Elem()
		default:
			f, ok := lookupField(fields, key)
			if !ok {
				return unknownKey(at, key, fields)
			}
			elem, id = f.typ, f.name
		}
		if first, dup := seen[id]; dup {
			if first != key {
				return errorAt(at, "duplicate key %s (the same field as %s)", clipQuote(key), clipQuote(first))
			}
			return errorAt(at, "duplicate key %s", clipQuote(key))
		}
		seen[id] = key
		if err := c.value(at, elem, depth+1); err != nil {
			return err
		}
	}
	_, err := c.dec.Token() // '}'
	return c.syntaxError(path, err)
}

// array checks the elements of an array whose '[' has been read.
func (c *checker) array(path string, t reflect.Type, depth int) error {
	var elem reflect.Type
	if t != nil {
		if k := t.Kind(); k != reflect.Slice && k != reflect.Array || t.Elem().Kind() == reflect.Uint8 {
			return errorAt(path, "must be %s, got an array", describeType(t))
		}
		elem = t.Elem()
	}
	for i := 0; c.dec.More(); i++ {
		if i == c.maxElements {
			return errorAt(path, "has more than %d elements; at most %d are allowed", c.maxElements, c.maxElements)
		}
		if err := c.value(fmt.Sprintf("%s[%d]", path, i), elem, depth+1); err != nil {
			return err
		}
	}
	_, err := c.dec.Token() // ']'
	return c.syntaxError(path, err)
}

// checkScalar checks a string, number or boolean token against t.
func checkScalar(path string, t reflect.Type, tok json.Token) error {
	if t == nil {
		return nil
	}
	switch tok := tok.(type) {
	case string:
		if t.Kind() == reflect.String && t != numberType || reflect.PointerTo(t).Implements(textUnmarshalerType) ||
			t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			return nil
		}
		return errorAt(path, "must be %s, got a string", describeType(t))
	case bool:
		if t.Kind() == reflect.Bool {
			return nil
		}
		return errorAt(path, "must be %s, got %v", describeType(t), tok)
	case json.Number:
		return checkNumber(path, t, string(tok))
	}
	return errorAt(path, "unexpected %v", tok)
}

// checkNumber checks that the number text fits t.
func checkNumber(path string, t reflect.Type, text string) error {
	var err error
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if _, err = strconv.ParseInt(text, 10, t.Bits()); err != nil {
			return integerError(path, text, fmt.Sprintf("from %d to %d", -maxInt(t.Bits())-1, maxInt(t.Bits())))
		}
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if _, err = strconv.ParseUint(text, 10, t.Bits()); err != nil {
			return integerError(path, text, fmt.Sprintf("from 0 to %d", uint64(math.MaxUint64)>>(64-t.Bits())))
		}
		return nil
	case reflect.Float32, reflect.Float64:
		if _, err = strconv.ParseFloat(text, t.Bits()); err != nil {
			return errorAt(path, "must be a number a float%d holds, got %s", t.Bits(), clip(text))
		}
		return nil
	}
	if t == numberType {
		return nil
	}
	return errorAt(path, "must be %s, got the number %s", describeType(t), clip(text))
}

// integerError reports a number that does not fit an integer field: a fraction or an exponent
// (as encoding/json, which refuses 2e1 too), or a value out of its range.
func integerError(path, text, bounds string) error {
	if strings.ContainsAny(text, ".eE") {
		return errorAt(path, "must be an integer, written without a fraction or exponent, got %s", clip(text))
	}
	return errorAt(path, "must be an integer %s, got %s", bounds, clip(text))
}

// maxInt is the largest signed integer of the given size in bits.
func maxInt(bits int) int64 { return math.MaxInt64 >> (64 - bits) }

// nullable reports whether null is a meaningful value for t: an absent list, map or value.
func nullable(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Slice, reflect.Map, reflect.Pointer, reflect.Interface:
		return true
	}
	return false
}

// describeType names the JSON kind that decodes into t, with its article.
func describeType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		if t == numberType {
			return "a number"
		}
		return "a string"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "a string"
		}
		return "an array"
	}
	return "a " + t.String()
}

// syntaxError describes an error of the decoder, or returns nil for nil. The decoder gives some
// offsets relative to the value it was reading, so the position comes from a scan of the whole
// document, which finds the same error.
func (c *checker) syntaxError(path string, err error) error {
	var se *json.SyntaxError
	switch {
	case err == nil:
		return nil
	case len(bytes.TrimSpace(c.src)) == 0:
		return errorAt(path, "is empty; want a JSON value")
	case errors.As(json.Unmarshal(c.src, new(json.RawMessage)), &se) && se.Offset <= int64(len(c.src)) &&
		!strings.Contains(se.Error(), "unexpected end"):
		// se.Offset counts the bytes read, the bad one included.
		return errorAt(path, "not valid JSON (%s): %s", position(c.src, se.Offset-1), se.Error())
	case se != nil || err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
		return errorAt(path, "not valid JSON: unexpected end of input")
	}
	return errorAt(path, "not valid JSON (%s): %v", position(c.src, c.dec.InputOffset()), err)
}

// position renders a byte offset of src as "line L, column C".
func position(src []byte, off int64) string {
	o := min(max(int(off), 0), len(src))
	line := 1 + bytes.Count(src[:o], []byte("\n"))
	col := o - bytes.LastIndexByte(src[:o], '\n')
	return fmt.Sprintf("line %d, column %d", line, col)
}

// field is one member a struct decodes from.
type field struct {
	name  string // as JSON spells it
	typ   reflect.Type
	depth int // of embedding, as encoding/json ranks fields
}

var fieldCache sync.Map // reflect.Type -> []field

// fieldsOf lists the JSON members of struct type t, as encoding/json sees them: tag names,
// exported fields, the fields of untagged embedded structs, shallowest first.
func fieldsOf(t reflect.Type) []field {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]field)
	}
	var out []field
	var walk func(t reflect.Type, depth int)
	walk = func(t reflect.Type, depth int) {
		for i := range t.NumField() {
			sf := t.Field(i)
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			if sf.Anonymous && name == "" {
				ft := sf.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					walk(ft, depth+1)
					continue
				}
			}
			if !sf.IsExported() {
				continue
			}
			if name == "" {
				name = sf.Name
			}
			out = append(out, field{name: name, typ: sf.Type, depth: depth})
		}
	}
	walk(t, 0)
	slices.SortStableFunc(out, func(a, b field) int { return a.depth - b.depth })
	fieldCache.Store(t, out)
	return out
}

// lookupField finds the field a key sets: the one spelled exactly so, else one spelled so but
// for case, as encoding/json decides.
func lookupField(fields []field, key string) (field, bool) {
	for _, f := range fields {
		if f.name == key {
			return f, true
		}
	}
	for _, f := range fields {
		if strings.EqualFold(f.name, key) {
			return f, true
		}
	}
	return field{}, false
}

// unknownKey reports a key that no field takes, with the nearest spelling or the known keys.
func unknownKey(path, key string, fields []field) error {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.name
	}
	if s := suggest.Closest(key, names); s != "" {
		return errorAt(path, "unknown key %s (did you mean %q?)", clipQuote(key), s)
	}
	return errorAt(path, "unknown key %s; the keys are %s", clipQuote(key), strings.Join(names, ", "))
}

var plainKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// joinKey appends an object key to a JSON path: path.key, or path["key"] for a key that would
// read ambiguously.
func joinKey(path, key string) string {
	switch {
	case !plainKey.MatchString(key) || len(key) > 64:
		return path + "[" + clipQuote(key) + "]"
	case path == "":
		return key
	}
	return path + "." + key
}

// clip shortens text from the input that a message repeats, so that a huge value cannot make
// a huge message.
func clip(s string) string {
	const most = 64
	if len(s) <= most {
		return s
	}
	return strings.ToValidUTF8(s[:most], "") + "..."
}

// clipQuote quotes s, shortened by clip.
func clipQuote(s string) string { return strconv.Quote(clip(s)) }

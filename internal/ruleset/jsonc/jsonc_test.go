package jsonc

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// src has comments, odd spacing, a duplicate key, nesting and every kind of value.
const src = `// a rule set
{
  "name" :"demo", /* block
  comment */ "rules": [
    {"name": "A", "maxDistance": 10},
    {"name": "B",
     "maxDistance" : -5 ,"flag":true, "none":null}
  ],
  "rules": [ [1, 2] ],
  "a.b": {"[c": 3},
  "": {"x": 4}
}`

// at returns the line and column of the first occurrence of text in src after the one before it.
func at(t *testing.T, text string, nth int) (int, int) {
	t.Helper()
	off := -1
	for range nth {
		i := strings.Index(src[off+1:], text)
		require.GreaterOrEqual(t, i, 0, "%q occurs %d times", text, nth)
		off += 1 + i
	}
	return Position([]byte(src), off)
}

func TestOffsets(t *testing.T) {
	root, err := Parse([]byte(src))
	require.NoError(t, err)
	for _, tc := range []struct {
		path string
		text string // where the value starts: its first occurrence, or its nth
		nth  int
	}{
		{"", "{", 1},
		{"name", `"demo"`, 1},
		{"rules", "[ [", 1}, // the last of duplicate keys
		{"rules[0]", "[1", 1},
		{"rules[0][1]", "2]", 1},
		{"a.b", `{"[c"`, 1},
		{"a.b[c", "3", 1},
		{".x", "4", 1},
	} {
		n := root.Lookup(tc.path)
		if assert.NotNil(t, n, tc.path) {
			wantLine, wantCol := at(t, tc.text, tc.nth)
			line, col := Position([]byte(src), n.Offset)
			assert.Equal(t, [2]int{wantLine, wantCol}, [2]int{line, col}, tc.path)
		}
	}
	first := root.Fields[1].Val // the first "rules", which Lookup does not reach
	assert.Equal(t, Number, first.Items[1].Fields[1].Val.Kind)
	for i, text := range map[int]string{1: "-5", 2: "true", 3: "null"} { // after " : ", " ," and ", "
		line, col := Position([]byte(src), first.Items[1].Fields[i].Val.Offset)
		wantLine, wantCol := at(t, text, 1)
		assert.Equal(t, [2]int{wantLine, wantCol}, [2]int{line, col}, text)
	}
}

func TestLookupMisses(t *testing.T) {
	root, err := Parse([]byte(`{"rules": [{"name": "A"}], "n": 1}`))
	require.NoError(t, err)
	for _, path := range []string{"rule", "rules[1]", "rules[-1]", "rules[x]", "rules[0].type", "rules[0]name",
		"rules.name", "n.x", "n[0]", "rulesX", "[0]", "rules[0"} {
		assert.Nil(t, root.Lookup(path), path)
	}
	assert.Equal(t, "A", root.Lookup("rules[0].name").Text)
	assert.Nil(t, (*Node)(nil).Lookup("x"))
}

func TestPosition(t *testing.T) {
	text := []byte("ab\ncd\n\nef")
	for _, tc := range []struct{ off, line, col int }{
		{0, 1, 1}, {1, 1, 2}, {2, 1, 3}, {3, 2, 1}, {6, 3, 1}, {7, 4, 1}, {8, 4, 2},
		{-3, 1, 1}, {99, 4, 3}, // clamped
	} {
		line, col := Position(text, tc.off)
		assert.Equal(t, [2]int{tc.line, tc.col}, [2]int{line, col}, "offset %d", tc.off)
	}
}

func TestSyntaxErrorPositions(t *testing.T) {
	// Each error is about the byte after the "^", which the test removes.
	for _, tc := range []struct{ src, want string }{
		{"{\n  \"a\": 1,\n  \"b\": ^x\n}", "invalid character 'x' looking for beginning of value"},
		{"{\n  \"b\":   tru^ }", "in literal true"},
		{"[1, 2, ^}", "looking for beginning of value"},
		{"{\"a\" ^1}", "after object key"},
		{"{\"a\": 1 ^\"b\": 2}", "after object key:value pair"},
		{"[-^]", "in numeric literal"},
		{"{\"a\": \"x^\ny\"}", "in string literal"},
		{"{\"a\":1,^}", "looking for beginning of object key string"},
		{"/* c */ {\"a\": ^@}", "invalid character '@'"},
		{"{} /* c */\n  ^[]", "unexpected content after the top-level value"},
		{"{}\n^/* open", "unterminated /* comment"},
	} {
		at := strings.Index(tc.src, "^")
		text := []byte(tc.src[:at] + tc.src[at+1:])
		line, col := Position(text, at)
		_, err := Parse(text)
		assert.ErrorContains(t, err, fmt.Sprintf("line %d, column %d: ", line, col), tc.src)
		assert.ErrorContains(t, err, tc.want, tc.src)
	}
	_, err := Parse([]byte(`{"a": [1, 2`))
	assert.EqualError(t, err, "unexpected end of input")
}

// FuzzParse checks that Parse never panics and that every value's Offset points at the first
// byte of a value of its kind.
func FuzzParse(f *testing.F) {
	f.Add(src)
	f.Add(`[1, "a", true, null, {"k": [ ]}]`)
	f.Add(`{"a" /* c */ : // c
	 -1.5e3}`)
	f.Fuzz(func(t *testing.T, s string) {
		root, err := Parse([]byte(s))
		if err != nil {
			return
		}
		var walk func(n *Node)
		walk = func(n *Node) {
			if n.Offset < 0 || n.Offset >= len(s) {
				t.Fatalf("offset %d outside the input", n.Offset)
			}
			first := map[Kind]string{Null: "n", Bool: "tf", Number: "-0123456789", String: `"`, Array: "[", Object: "{"}[n.Kind]
			if !strings.ContainsRune(first, rune(s[n.Offset])) {
				t.Fatalf("%s at offset %d starts with %q", n.Kind, n.Offset, s[n.Offset])
			}
			for _, it := range n.Items {
				walk(it)
			}
			for _, f := range n.Fields {
				walk(f.Val)
			}
		}
		walk(root)
	})
}

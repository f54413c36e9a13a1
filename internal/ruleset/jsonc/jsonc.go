// Package jsonc is the lenient JSON reader behind rule-set parsing. Real FlexMatch rule sets
// contain // and /* */ comments and numbers written as strings, and a silent duplicate key is a
// classic rule-set bug, so rule sets are read into a small ordered tree (duplicates kept, numbers
// kept as their source text) instead of straight into structs. Each node records where it starts
// in the source, and Lookup finds the node a problem's JSON path names, so that a problem can be
// shown at its line and column. It depends on nothing else in the module.
package jsonc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Kind is the kind of a JSON value.
type Kind uint8

// The JSON kinds.
const (
	Null Kind = iota
	Bool
	Number
	String
	Array
	Object
)

// String names the kind with its article, for messages ("a string", "an object").
func (k Kind) String() string {
	return [...]string{"null", "a boolean", "a number", "a string", "an array", "an object"}[k]
}

// Node is one JSON value. Objects keep their members in source order, duplicates included.
type Node struct {
	Kind   Kind
	Text   string // string value, or the number's source text
	B      bool
	Items  []*Node // array elements
	Fields []Field // object members, in source order
	Offset int     // byte offset in the source where the value starts; see Position
}

// Field is one member of an object.
type Field struct {
	Key string
	Val *Node
}

// MaxDepth bounds nesting so hostile input cannot exhaust the stack.
const MaxDepth = 64

// Parse reads one JSON value, allowing comments outside strings.
func Parse(data []byte) (*Node, error) {
	clean, err := stripComments(data)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(clean))
	dec.UseNumber()
	r := reader{dec: dec, src: clean}
	n, err := r.node(0)
	if err != nil {
		return nil, jsonError(clean, dec, err)
	}
	after := skip(clean, int(dec.InputOffset()), " \t\r\n")
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%s: unexpected content after the top-level value", position(clean, after))
	}
	return n, nil
}

func jsonError(src []byte, dec *json.Decoder, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("%s: %s", position(src, syntaxErrorOffset(src, dec)), se.Error())
	}
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return errors.New("unexpected end of input")
	}
	return fmt.Errorf("%s: %s", position(src, int(dec.InputOffset())), err.Error())
}

// syntaxErrorOffset returns the offset of the byte a syntax error is about. A SyntaxError's own
// Offset is not that: for an error between tokens it is, but for one inside a value it counts
// from an earlier point of the decoder's buffer. The decoder stops at the start of the token it
// failed on, so decoding afresh from there finds the byte.
func syntaxErrorOffset(src []byte, dec *json.Decoder) int {
	start := min(int(dec.InputOffset()), len(src))
	var raw json.RawMessage
	var se *json.SyntaxError
	if err := json.NewDecoder(bytes.NewReader(src[start:])).Decode(&raw); errors.As(err, &se) && se.Offset > 0 {
		return start + int(se.Offset) - 1 // Offset counts the bytes read, the bad one included
	}
	return start
}

// position renders a byte offset as "line L, column C".
func position(src []byte, off int) string {
	line, col := Position(src, off)
	return fmt.Sprintf("line %d, column %d", line, col)
}

// Position returns the line and column, both counted from 1, of byte offset off in src, such as
// a Node's Offset. Columns count bytes, as Go's own positions do; an offset outside src is
// clamped to it.
func Position(src []byte, off int) (line, col int) {
	off = min(max(off, 0), len(src))
	line = 1 + bytes.Count(src[:off], []byte("\n"))
	col = off - bytes.LastIndexByte(src[:off], '\n')
	return line, col
}

// reader builds Nodes from the decoder's tokens; src is the decoder's input, which gives each
// node its Offset.
type reader struct {
	dec *json.Decoder
	src []byte
}

// start returns the offset where the next value starts. The decoder's offset is the end of the
// last token, so the separators after it (spaces, blanked comments, ':' and ',') are skipped.
func (r *reader) start() int { return skip(r.src, int(r.dec.InputOffset()), " \t\r\n:,") }

// skip returns the offset of the first byte at or after off that is not one of chars.
func skip(src []byte, off int, chars string) int {
	for off < len(src) && strings.IndexByte(chars, src[off]) >= 0 {
		off++
	}
	return off
}

// node reads one value and everything inside it.
func (r *reader) node(depth int) (*Node, error) {
	if depth > MaxDepth {
		return nil, fmt.Errorf("nesting deeper than %d levels", MaxDepth)
	}
	off := r.start()
	tok, err := r.dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &Node{Kind: Object, Offset: off}
			for r.dec.More() {
				kt, err := r.dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := kt.(string)
				if !ok {
					return nil, errors.New("object key must be a string")
				}
				v, err := r.node(depth + 1)
				if err != nil {
					return nil, err
				}
				n.Fields = append(n.Fields, Field{Key: key, Val: v})
			}
			_, err := r.dec.Token() // '}'
			return n, err
		case '[':
			n := &Node{Kind: Array, Offset: off}
			for r.dec.More() {
				v, err := r.node(depth + 1)
				if err != nil {
					return nil, err
				}
				n.Items = append(n.Items, v)
			}
			_, err := r.dec.Token() // ']'
			return n, err
		}
		return nil, fmt.Errorf("unexpected %q", rune(t))
	case string:
		return &Node{Kind: String, Text: t, Offset: off}, nil
	case json.Number:
		return &Node{Kind: Number, Text: string(t), Offset: off}, nil
	case bool:
		return &Node{Kind: Bool, B: t, Offset: off}, nil
	case nil:
		return &Node{Kind: Null, Offset: off}, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

// stripComments blanks out // line comments and /* */ block comments outside strings, keeping
// every newline so positions in later errors still point at the right line.
func stripComments(src []byte) ([]byte, error) {
	if !bytes.Contains(src, []byte("/")) {
		return src, nil
	}
	out := bytes.Clone(src)
	inString := false
	for i := 0; i < len(out); i++ {
		c := out[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch {
		case c == '"':
			inString = true
		case c == '/' && i+1 < len(out) && out[i+1] == '/':
			for ; i < len(out) && out[i] != '\n'; i++ {
				out[i] = ' '
			}
		case c == '/' && i+1 < len(out) && out[i+1] == '*':
			end := bytes.Index(out[i+2:], []byte("*/"))
			if end < 0 {
				return nil, fmt.Errorf("%s: unterminated /* comment", position(src, i))
			}
			for j := i; j < i+2+end+2; j++ {
				if out[j] != '\n' {
					out[j] = ' '
				}
			}
			i += 2 + end + 1
		}
	}
	return out, nil
}

// Describe names a node's kind for error messages; a nil node is "nothing".
func (n *Node) Describe() string {
	if n == nil {
		return "nothing"
	}
	if n.Kind == String {
		s := n.Text
		if len(s) > 40 {
			s = s[:40] + "..."
		}
		return fmt.Sprintf("the string %q", s)
	}
	if n.Kind == Number {
		return "the number " + n.Text
	}
	return n.Kind.String()
}

// JoinPath appends a member name or index to a JSON path.
func JoinPath(base, key string) string {
	if base == "" {
		return key
	}
	if strings.HasPrefix(key, "[") {
		return base + key
	}
	return base + "." + key
}

// Lookup returns the value at path, a JSON path as JoinPath builds it ("rules[2].maxDistance"),
// or nil when there is none. Where an object has a key more than once, the last value counts, as
// it does for the rule-set reader. A key containing "." or "[" is found too, since every way of
// splitting the path is tried.
func (n *Node) Lookup(path string) *Node {
	if n == nil || path == "" {
		return n
	}
	switch n.Kind {
	case Array:
		inner, ok := strings.CutPrefix(path, "[")
		if !ok {
			return nil
		}
		digits, rest, ok := strings.Cut(inner, "]")
		i, err := strconv.Atoi(digits)
		if !ok || err != nil || i < 0 || i >= len(n.Items) || rest != "" && rest[0] != '.' && rest[0] != '[' {
			return nil
		}
		return n.Items[i].Lookup(rest)
	case Object:
		// JoinPath writes "." before a member name, except at the top and before a name that
		// starts with "[".
		if rest, ok := strings.CutPrefix(path, "."); ok {
			if v := n.member(rest); v != nil {
				return v
			}
		}
		return n.member(path)
	}
	return nil
}

// member looks up path, which starts with a member name of object n.
func (n *Node) member(path string) *Node {
	for i := len(n.Fields) - 1; i >= 0; i-- {
		f := n.Fields[i]
		rest, ok := strings.CutPrefix(path, f.Key)
		if !ok || rest != "" && rest[0] != '.' && rest[0] != '[' {
			continue
		}
		if v := f.Val.Lookup(rest); v != nil {
			return v
		}
	}
	return nil
}

// Package jsonc is the lenient JSON reader behind rule-set parsing. Real FlexMatch rule sets
// contain // and /* */ comments and numbers written as strings, and a silent duplicate key is a
// classic rule-set bug, so rule sets are read into a small ordered tree (duplicates kept, numbers
// kept as their source text) instead of straight into structs. It depends on nothing else in
// the module.
package jsonc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	n, err := readNode(dec, 0)
	if err != nil {
		return nil, jsonError(clean, dec, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%s: unexpected content after the top-level value", position(clean, int(dec.InputOffset())))
	}
	return n, nil
}

func jsonError(src []byte, dec *json.Decoder, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("%s: %s", position(src, int(se.Offset)), se.Error())
	}
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return errors.New("unexpected end of input")
	}
	return fmt.Errorf("%s: %s", position(src, int(dec.InputOffset())), err.Error())
}

// position renders a byte offset as "line L, column C".
func position(src []byte, off int) string {
	off = min(max(off, 0), len(src))
	line := 1 + bytes.Count(src[:off], []byte("\n"))
	col := off - bytes.LastIndexByte(src[:off], '\n')
	return fmt.Sprintf("line %d, column %d", line, col)
}

func readNode(dec *json.Decoder, depth int) (*Node, error) {
	if depth > MaxDepth {
		return nil, fmt.Errorf("nesting deeper than %d levels", MaxDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &Node{Kind: Object}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := kt.(string)
				if !ok {
					return nil, errors.New("object key must be a string")
				}
				v, err := readNode(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.Fields = append(n.Fields, Field{Key: key, Val: v})
			}
			_, err := dec.Token() // '}'
			return n, err
		case '[':
			n := &Node{Kind: Array}
			for dec.More() {
				v, err := readNode(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.Items = append(n.Items, v)
			}
			_, err := dec.Token() // ']'
			return n, err
		}
		return nil, fmt.Errorf("unexpected %q", rune(t))
	case string:
		return &Node{Kind: String, Text: t}, nil
	case json.Number:
		return &Node{Kind: Number, Text: string(t)}, nil
	case bool:
		return &Node{Kind: Bool, B: t}, nil
	case nil:
		return &Node{Kind: Null}, nil
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

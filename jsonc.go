package matchmaker

// This file holds the lenient JSON reader behind ParseRuleSet. Real FlexMatch rule sets contain
// // and /* */ comments and numbers written as strings, and a silent duplicate key is a classic
// rule-set bug, so rule sets are read into a small ordered tree instead of straight into structs.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

type jkind uint8

const (
	jNull jkind = iota
	jBool
	jNumber
	jString
	jArray
	jObject
)

func (k jkind) String() string {
	return [...]string{"null", "a boolean", "a number", "a string", "an array", "an object"}[k]
}

// jnode is one JSON value. Objects keep their members in source order, duplicates included.
type jnode struct {
	kind   jkind
	text   string // string value, or the number's source text
	b      bool
	items  []*jnode
	fields []jfield
}

type jfield struct {
	key string
	val *jnode
}

// maxJSONDepth bounds nesting so hostile input cannot exhaust the stack.
const maxJSONDepth = 64

// parseJSONC reads one JSON value, allowing comments outside strings.
func parseJSONC(data []byte) (*jnode, error) {
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

func readNode(dec *json.Decoder, depth int) (*jnode, error) {
	if depth > maxJSONDepth {
		return nil, fmt.Errorf("nesting deeper than %d levels", maxJSONDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &jnode{kind: jObject}
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
				n.fields = append(n.fields, jfield{key: key, val: v})
			}
			_, err := dec.Token() // '}'
			return n, err
		case '[':
			n := &jnode{kind: jArray}
			for dec.More() {
				v, err := readNode(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, v)
			}
			_, err := dec.Token() // ']'
			return n, err
		}
		return nil, fmt.Errorf("unexpected %q", rune(t))
	case string:
		return &jnode{kind: jString, text: t}, nil
	case json.Number:
		return &jnode{kind: jNumber, text: string(t)}, nil
	case bool:
		return &jnode{kind: jBool, b: t}, nil
	case nil:
		return &jnode{kind: jNull}, nil
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

// describe names a node's kind for error messages.
func (n *jnode) describe() string {
	if n == nil {
		return "nothing"
	}
	if n.kind == jString {
		s := n.text
		if len(s) > 40 {
			s = s[:40] + "..."
		}
		return fmt.Sprintf("the string %q", s)
	}
	if n.kind == jNumber {
		return "the number " + n.text
	}
	return n.kind.String()
}

// joinPath appends a member name or index to a JSON path.
func joinPath(base, key string) string {
	if base == "" {
		return key
	}
	if strings.HasPrefix(key, "[") {
		return base + key
	}
	return base + "." + key
}

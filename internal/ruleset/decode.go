package ruleset

// This file holds the typed reading of rule-set JSON nodes: numbers written as strings, unknown
// keys with a suggestion, and every problem recorded with its JSON path.

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/seed-04d22514/matchmaker/internal/ruleset/jsonc"
	"github.com/seed-04d22514/matchmaker/internal/suggest"
)

// obj reads the members of one JSON object and remembers which keys were asked for, so that
// finish can report every key nobody asked for: a silent typo is the most common rule-set bug.
type obj struct {
	path  string
	node  *jsonc.Node
	p     *problems
	known []string
}

// asObject returns an obj for n, or nil after recording a problem when n is not an object.
func asObject(path string, n *jsonc.Node, p *problems) *obj {
	if n == nil || n.Kind != jsonc.Object {
		p.add(path, "must be an object, got %s", n.Describe())
		return nil
	}
	seen := make(map[string]bool, len(n.Fields))
	for _, f := range n.Fields {
		if seen[f.Key] {
			p.add(jsonc.JoinPath(path, f.Key), "duplicate key %q; only one value is allowed", f.Key)
		}
		seen[f.Key] = true
	}
	return &obj{path: path, node: n, p: p, known: []string{"description"}}
}

func (o *obj) at(key string) string { return jsonc.JoinPath(o.path, key) }

// get returns the last value for key, or nil.
func (o *obj) get(key string) *jsonc.Node {
	o.known = append(o.known, key)
	var v *jsonc.Node
	for _, f := range o.node.Fields {
		if f.Key == key {
			v = f.Val
		}
	}
	return v
}

func (o *obj) has(key string) bool { return o.get(key) != nil }

// str reads a string member; required reports its absence.
func (o *obj) str(key string, required bool) (string, bool) {
	v := o.get(key)
	if v == nil {
		if required {
			o.p.add(o.at(key), "is required")
		}
		return "", false
	}
	if v.Kind != jsonc.String {
		o.p.add(o.at(key), "must be a string, got %s", v.Describe())
		return "", false
	}
	return v.Text, true
}

// num reads a number member, accepting numbers written as strings ("500") as published rule
// sets do.
func (o *obj) num(key string, required bool) (float64, bool) {
	v := o.get(key)
	if v == nil {
		if required {
			o.p.add(o.at(key), "is required")
		}
		return 0, false
	}
	return numberOf(o.at(key), v, o.p)
}

func numberOf(path string, v *jsonc.Node, p *problems) (float64, bool) {
	if v.Kind != jsonc.Number && v.Kind != jsonc.String {
		p.add(path, "must be a number, got %s", v.Describe())
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v.Text), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		p.add(path, "must be a finite number, got %s", v.Describe())
		return 0, false
	}
	return f, true
}

// integer reads a whole number member.
func (o *obj) integer(key string, required bool) (int, bool) {
	f, ok := o.num(key, required)
	if !ok {
		return 0, false
	}
	if f != math.Trunc(f) || math.Abs(f) > 1e9 {
		o.p.add(o.at(key), "must be a whole number, got %v", f)
		return 0, false
	}
	return int(f), true
}

// enum reads a string member that must be one of allowed; def is returned when it is absent.
func (o *obj) enum(key, def string, allowed ...string) string {
	s, ok := o.str(key, false)
	if !ok {
		return def
	}
	if !slices.Contains(allowed, s) {
		o.p.add(o.at(key), "must be one of %s, got %q", quoteList(allowed), s)
		return def
	}
	return s
}

// array reads an array member.
func (o *obj) array(key string, required bool) ([]*jsonc.Node, bool) {
	v := o.get(key)
	if v == nil {
		if required {
			o.p.add(o.at(key), "is required")
		}
		return nil, false
	}
	if v.Kind != jsonc.Array {
		o.p.add(o.at(key), "must be an array, got %s", v.Describe())
		return nil, false
	}
	return v.Items, true
}

// finish reports members whose keys were never asked for.
func (o *obj) finish(what string) {
	if o == nil {
		return
	}
	for _, f := range o.node.Fields {
		if slices.Contains(o.known, f.Key) {
			continue
		}
		msg := "unknown key %q for " + what
		if s := suggest.Closest(f.Key, o.known); s != "" {
			o.p.add(o.at(f.Key), msg+" (did you mean %q?)", f.Key, s)
		} else {
			o.p.add(o.at(f.Key), msg, f.Key)
		}
	}
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

func indexPath(base string, i int) string { return base + "[" + strconv.Itoa(i) + "]" }

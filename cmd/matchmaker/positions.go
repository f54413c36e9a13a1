package main

// This file places the problems of a rule set in its file: each message gets the line and
// column of the value its path names.

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/seed-04d22514/matchmaker"
	"github.com/seed-04d22514/matchmaker/internal/ruleset/jsonc"
)

// withPositions returns err with " (line L, column C)" appended to the message of each problem
// whose path it finds in data, the rule set err is about. A path that names a missing member
// ("teams[0].maxPlayers: is required") is placed at the object that lacks it. Problems with no
// path, and any error that is not a *matchmaker.ValidationError or whose data is not JSON, are
// returned as they are.
func withPositions(data []byte, err error) error {
	var ve *matchmaker.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	root, perr := jsonc.Parse(data)
	if perr != nil {
		return err
	}
	placed := &matchmaker.ValidationError{Input: ve.Input, Problems: slices.Clone(ve.Problems)}
	for i, p := range placed.Problems {
		if n := locate(root, p.Path); n != nil {
			line, col := jsonc.Position(data, n.Offset)
			placed.Problems[i].Message += fmt.Sprintf(" (line %d, column %d)", line, col)
		}
	}
	return placed
}

// locate returns the value at path, or the object that lacks the member path names, or nil.
func locate(root *jsonc.Node, path string) *jsonc.Node {
	if path == "" {
		return nil
	}
	if n := root.Lookup(path); n != nil {
		return n
	}
	parent, ok := parentPath(path)
	if !ok {
		return nil
	}
	if n := root.Lookup(parent); n != nil && n.Kind == jsonc.Object {
		return n
	}
	return nil
}

// parentPath drops the last member name or index of path: "rules[2].maxDistance" gives
// "rules[2]", "rules[2]" gives "rules". A path of one member name has no parent to report.
func parentPath(path string) (string, bool) {
	if strings.HasSuffix(path, "]") {
		if i := strings.LastIndexByte(path, '['); i > 0 {
			return path[:i], true
		}
		return "", false
	}
	if i := strings.LastIndexAny(path, ".]"); i > 0 {
		if path[i] == ']' {
			return path[:i+1], true
		}
		return path[:i], true
	}
	return "", false
}

package main

import (
	"errors"
	"testing"

	"github.com/seed-04d22514/matchmaker"
	"github.com/seed-04d22514/matchmaker/internal/ruleset/jsonc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParentPath(t *testing.T) {
	for path, want := range map[string]string{
		"rules[2].maxDistance":           "rules[2]",
		"rules[2]":                       "rules",
		"expansions[0].steps[1].value":   "expansions[0].steps[1]",
		"algorithm.sortByAttributes":     "algorithm",
		"rules[0].measurements[0]":       "rules[0].measurements",
		"playerAttributes[1].default[3]": "playerAttributes[1].default",
		"teams":                          "",
		"[0]":                            "",
	} {
		got, ok := parentPath(path)
		assert.Equal(t, want != "", ok, path)
		assert.Equal(t, want, got, path)
	}
}

func TestLocate(t *testing.T) {
	root, err := jsonc.Parse([]byte(`{"teams": [{"name": "red"}], "rules": [], "n": 1}`))
	require.NoError(t, err)
	for path, want := range map[string]string{
		"teams[0].name":       `"red"`,
		"teams[0].maxPlayers": `{"name"`, // missing: the object that lacks it
		"teams[0]":            `{"name"`,
		"rules":               `[]`,
		"rules[0]":            "", // missing, and its parent is an array
		"rules[0].name":       "", // two levels missing
		"n.x":                 "", // a number has no members
		"algorithm":           "", // missing at the top: the whole file lacks it, no place to show
		"":                    "",
	} {
		n := locate(root, path)
		if want == "" {
			assert.Nil(t, n, path)
			continue
		}
		if assert.NotNil(t, n, path) {
			src := `{"teams": [{"name": "red"}], "rules": [], "n": 1}`
			assert.Equal(t, want, src[n.Offset:n.Offset+len(want)], path)
		}
	}
}

func TestWithPositionsLeavesOtherErrorsAlone(t *testing.T) {
	plain := errors.New("disk on fire")
	assert.Same(t, plain, withPositions([]byte(`{}`), plain))
	ve := &matchmaker.ValidationError{Input: "rule set", Problems: []matchmaker.FieldError{{Path: "teams", Message: "is required"}}}
	assert.Same(t, ve, withPositions([]byte(`{"teams": `), ve), "data that is not JSON places nothing")
	placed := withPositions([]byte("{\n \"teams\": []}"), ve)
	assert.Equal(t, "is required (line 2, column 11)", placed.(*matchmaker.ValidationError).Problems[0].Message)
	assert.Equal(t, "is required", ve.Problems[0].Message, "the original error is not changed")
}

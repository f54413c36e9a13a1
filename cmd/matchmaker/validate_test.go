package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const rulesets = "../../testdata/rulesets/"

func TestValidateValidRuleSets(t *testing.T) {
	status, stdout, stderr := runCLI("validate", rulesets+"gomoku.json", rulesets+"lobby-2-4.json")
	assert.Equal(t, exitOK, status)
	assert.Empty(t, stderr)
	assert.Equal(t, rulesets+"gomoku.json: valid (2 teams, 2 rules, up to 2 players, small match)\n"+
		rulesets+"lobby-2-4.json: valid (1 team, 0 rules, up to 4 players, small match)\n", stdout)
}

// problemPaths returns the PATH part of each "FILE: PATH: message" line about file.
func problemPaths(t *testing.T, stderr, file string) []string {
	t.Helper()
	var paths []string
	for l := range strings.Lines(stderr) {
		rest, ok := strings.CutPrefix(l, file+": ")
		require.True(t, ok, "line %q names its file", l)
		path, _, ok := strings.Cut(rest, ": ")
		require.True(t, ok, "line %q has a path and a message", l)
		paths = append(paths, path)
	}
	return paths
}

func TestValidateReportsEveryProblemWithItsPath(t *testing.T) {
	cases := map[string][]string{
		"negative-distance.json": {"rules[0].maxDistance"},
		"bad-expansion.json":     {"expansions[0].target"},
		"several-problems.json": {"playerAttributes[0].type", "teams[0].minPlayers", "rules[0].measurements[0]",
			"rules[0].referenceValue", "rules[0].colour"},
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			file := rulesets + "invalid/" + name
			status, stdout, stderr := runCLI("validate", file)
			assert.Equal(t, exitInvalid, status)
			assert.Empty(t, stdout)
			assert.Equal(t, want, problemPaths(t, stderr, file))
		})
	}
}

func TestValidateExactLines(t *testing.T) {
	file := rulesets + "invalid/bad-expansion.json"
	_, _, stderr := runCLI("validate", file)
	assert.Equal(t, file+`: expansions[0].target: rule "NoSuchRule" is not defined in rules`+"\n", stderr)

	file = rulesets + "invalid/not-json.json"
	_, _, stderr = runCLI("validate", file)
	assert.True(t, strings.HasPrefix(stderr, file+": not valid JSON"), "a problem without a path prints FILE: message, got %q", stderr)
}

func TestValidateMixedAndUnreadableFiles(t *testing.T) {
	missing := rulesets + "no-such-file.json"
	status, stdout, stderr := runCLI("validate", rulesets+"5v5.json", missing, rulesets+"invalid/bad-expansion.json")
	assert.Equal(t, exitInvalid, status, "any invalid file fails the run")
	assert.Equal(t, rulesets+"5v5.json: valid (2 teams, 1 rule, up to 10 players, small match)\n", stdout)
	assert.Contains(t, stderr, missing+": no such file or directory\n")
	assert.Contains(t, stderr, "bad-expansion.json: expansions[0].target: ")
}

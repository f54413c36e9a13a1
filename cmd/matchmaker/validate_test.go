package main

import (
	"os"
	"path/filepath"
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
	assert.Equal(t, file+`: expansions[0].target: rule "NoSuchRule" is not defined in rules (line 13, column 29)`+"\n", stderr)

	file = rulesets + "invalid/not-json.json"
	_, _, stderr = runCLI("validate", file)
	assert.True(t, strings.HasPrefix(stderr, file+": not valid JSON"), "a problem without a path prints FILE: message, got %q", stderr)
}

// writeRuleSet writes a rule set, whose lines are joined with newlines, to a temporary file.
func writeRuleSet(t *testing.T, lines ...string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "rules.json")
	require.NoError(t, os.WriteFile(file, []byte(strings.Join(lines, "\n")), 0o644))
	return file
}

// TestValidatePlacesProblems checks " (line L, column C)" on each problem: at the value its path
// names, at the object that lacks a required member, at the last of duplicate keys, with
// comments before; and no place for a problem without a path.
func TestValidatePlacesProblems(t *testing.T) {
	file := writeRuleSet(t,
		`// comments keep their bytes, so columns stay right`,
		`{"ruleLanguageVersion": "1.0", /* block`,
		` comment */ "playerAttributes": [{"name": "skill", "type": "number"},`,
		`    {"name": "skill", "type": "number"}],`,
		`  "teams": [{"name": "red", "maxPlayers": 2},`,
		`            {"name": "blue", "minPlayers": 3, "maxPlayers": 2}],`,
		`  "rules": [{"name": "Fair", "type": "distance", "measurements": ["avg(teams[*].players.attributes[skill])"],`,
		`             "referenceValue": 1, "maxDistance": 10, "maxDistance": -1}],`,
		`  "expansions": [{"target": "rules[Fair].minDistance", "steps": [{"waitTimeSeconds": 5, "value": 20}]}]`,
		`}`)
	status, stdout, stderr := runCLI("validate", file)
	assert.Equal(t, exitInvalid, status)
	assert.Empty(t, stdout)
	assert.Equal(t, strings.Join([]string{
		file + `: playerAttributes[1].name: attribute "skill" is declared twice (line 4, column 14)`,
		file + `: teams[0].minPlayers: is required (line 5, column 13)`,
		file + `: teams[1].minPlayers: is 3, above maxPlayers 2 (line 6, column 44)`,
		file + `: rules[0].maxDistance: duplicate key "maxDistance"; only one value is allowed (line 8, column 69)`,
		file + `: rules[0].maxDistance: must not be negative, got -1 (line 8, column 69)`,
		file + `: expansions[0].target: rule "Fair" does not set minDistance, so there is nothing to expand (line 9, column 29)`,
	}, "\n")+"\n", stderr)

	file = writeRuleSet(t, `{"ruleLanguageVersion": "1.0",`, `  "teams": [}`)
	_, _, stderr = runCLI("validate", file)
	assert.Equal(t, file+": not valid JSON: line 2, column 13: invalid character '}' looking for beginning of value\n", stderr,
		"a problem without a path keeps the position the JSON reader gives")
}

// TestValidateSuggestsNames checks the "did you mean" of names in expressions and compound
// statements, among the attributes, teams and earlier rules the rule set declares.
func TestValidateSuggestsNames(t *testing.T) {
	file := writeRuleSet(t,
		`{"ruleLanguageVersion": "1.0",`,
		` "playerAttributes": [{"name": "skill", "type": "number"}, {"name": "mode", "type": "string"}],`,
		` "teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 2}, {"name": "blue", "minPlayers": 1, "maxPlayers": 2}],`,
		` "rules": [`,
		`  {"name": "FairSkill", "type": "distance", "measurements": "avg(teams[*].players.attributes[skil])", "referenceValue": 1, "maxDistance": 10},`,
		`  {"name": "SameMode", "type": "comparison", "operation": "=", "measurements": "flatten(teams[Red].players.attributes[mode])"},`,
		`  {"name": "Far", "type": "comparison", "operation": "=", "measurements": "flatten(teams[*].players.attributes[elo])"},`,
		`  {"name": "Both", "type": "compound", "statement": "and(FairSkil, SameMode)"},`,
		`  {"name": "Either", "type": "compound", "statement": "or(FairSkill, Unrelated)"}`,
		` ]}`)
	status, _, stderr := runCLI("validate", file)
	assert.Equal(t, exitInvalid, status)
	assert.Equal(t, strings.Join([]string{
		file + `: rules[0].measurements: unknown attribute "skil" at offset 32 (did you mean "skill"?) (line 5, column 61)`,
		file + `: rules[1].measurements: unknown team "Red" at offset 14 (did you mean "red"?) (line 6, column 80)`,
		file + `: rules[2].measurements: unknown attribute "elo" at offset 36 (line 7, column 75)`,
		file + `: rules[3].statement: rule "FairSkil" is not defined before this compound rule (did you mean "FairSkill"?) (line 8, column 53)`,
		file + `: rules[4].statement: rule "Unrelated" is not defined before this compound rule (line 9, column 55)`,
	}, "\n")+"\n", stderr)
}

func TestValidateMixedAndUnreadableFiles(t *testing.T) {
	missing := rulesets + "no-such-file.json"
	status, stdout, stderr := runCLI("validate", rulesets+"5v5.json", missing, rulesets+"invalid/bad-expansion.json")
	assert.Equal(t, exitInvalid, status, "any invalid file fails the run")
	assert.Equal(t, rulesets+"5v5.json: valid (2 teams, 1 rule, up to 10 players, small match)\n", stdout)
	assert.Contains(t, stderr, missing+": no such file or directory\n")
	assert.Contains(t, stderr, "bad-expansion.json: expansions[0].target: ")
}

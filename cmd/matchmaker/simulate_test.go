package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSimulateShortRun(t *testing.T) {
	status, stdout, stderr := runCLI("simulate", "-seconds", "20", "-rate", "20", "-seed", "7")
	assert.Equal(t, exitOK, status, stderr)
	for _, heading := range []string{"tickets ", "matches ", "outcomes ", "wait ", "skill spread ", "tick ", "pool "} {
		assert.Contains(t, stdout, "\n"+heading)
	}
	assert.NotContains(t, stdout, "refused\n              first refusal", "the built-in population fits the built-in rule set")
}

func TestSimulateWithRuleSetFile(t *testing.T) {
	status, stdout, stderr := runCLI("simulate", "-seconds", "10", "-ruleset", rulesets+"lobby-2-4.json")
	assert.Equal(t, exitOK, status, stderr)
	assert.Contains(t, stdout, "lobby-2-4.json (1 team, up to 4 players)")

	status, _, stderr = runCLI("simulate", "-ruleset", rulesets+"invalid/bad-expansion.json")
	assert.Equal(t, exitInvalid, status)
	assert.Equal(t, rulesets+`invalid/bad-expansion.json: expansions[0].target: rule "NoSuchRule" is not defined in rules (line 13, column 29)`+"\n", stderr,
		"a rule-set file's problems are placed as validate places them")
}

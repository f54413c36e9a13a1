package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

	status, stdout, stderr = runCLI("simulate", "-seconds", "10", "-rules", rulesets+"lobby-2-4.json")
	assert.Equal(t, exitOK, status, stderr)
	assert.Contains(t, stdout, "lobby-2-4.json (1 team, up to 4 players)", "-ruleset is -rules")

	status, _, stderr = runCLI("simulate", "-ruleset", rulesets+"invalid/bad-expansion.json")
	assert.Equal(t, exitInvalid, status)
	assert.Equal(t, rulesets+`invalid/bad-expansion.json: expansions[0].target: rule "NoSuchRule" is not defined in rules (line 13, column 29)`+"\n", stderr,
		"a rule-set file's problems are placed as validate places them")
}

// TestSimulateEndsPointingAtTheReport: the README's first command ends by naming -report.
func TestSimulateEndsPointingAtTheReport(t *testing.T) {
	status, stdout, stderr := runCLI("simulate", "-seconds", "5")
	assert.Equal(t, exitOK, status, stderr)
	assert.Contains(t, stdout, "simulate: built-in 1v1 (2 teams, up to 2 players), population 1v1, 50 tickets/s for 5 s")
	assert.Regexp(t, `\n\nreport: add -report sim.html for charts of these figures .*\n.*\n.*-rules A.json -rules B.json to compare rule sets\n$`, stdout)
	assert.Empty(t, stderr, "no progress line for a short run")
}

func TestSimulateBuiltinPopulations(t *testing.T) {
	for _, name := range []string{"1v1", "5v5", "battle-royale", "world"} {
		t.Run(name, func(t *testing.T) {
			status, stdout, stderr := runCLI("simulate", "-population", name, "-seconds", "30")
			assert.Equal(t, exitOK, status, stderr)
			assert.Contains(t, stdout, ", population "+name+", ")
			assert.Contains(t, stdout, "\nrejected by ")
		})
	}
}

// TestSimulateAB: rule sets given with -rules run side by side against the same arrivals.
func TestSimulateAB(t *testing.T) {
	status, stdout, stderr := runCLI("simulate", "-population", "5v5", "-rules", "5v5", "-rules", rulesets+"5v5.json", "-seconds", "30")
	require.Equal(t, exitOK, status, stderr)
	assert.Contains(t, stdout, "; the same arrivals for every rule set\n  A  built-in 5v5 (2 teams, up to 10 players)\n  B  "+rulesets+"5v5.json (2 teams, up to 10 players)\n")
	assert.Regexp(t, `\ntickets +(\d+) started, 0 refused +(\d+) started, 0 refused\n`, stdout)
	m := regexp.MustCompile(`\ntickets +(\d+) started, 0 refused +(\d+) started`).FindStringSubmatch(stdout)
	require.NotNil(t, m)
	assert.Equal(t, m[1], m[2], "the same arrivals")
}

func TestSimulateJSON(t *testing.T) {
	status, stdout, stderr := runCLI("simulate", "-json", "-seconds", "20", "-rules", "1v1", "-rules", "1v1-sorted")
	require.Equal(t, exitOK, status, stderr)
	var out struct {
		Population struct{ Name string }
		Seed       uint64
		Results    []struct {
			RuleSet     string
			Tickets     int
			WaitSeconds struct{ P50, P99 float64 }
			Series      []struct{ T float64 }
			Quality     []struct {
				AgeSeconds  float64
				SpreadRatio float64
			}
		}
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &out), stdout)
	assert.Equal(t, "1v1", out.Population.Name)
	require.Len(t, out.Results, 2)
	assert.Equal(t, "built-in 1v1-sorted", out.Results[1].RuleSet)
	assert.Equal(t, out.Results[0].Tickets, out.Results[1].Tickets)
	assert.Len(t, out.Results[0].Series, 20)
	require.Len(t, out.Results[0].Quality, 2, "at age 0 and with every expansion in force")
	assert.Equal(t, 30.0, out.Results[0].Quality[1].AgeSeconds)
	assert.GreaterOrEqual(t, out.Results[0].Quality[1].SpreadRatio, 1.0)
}

func TestSimulateReport(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sim.html")
	status, stdout, stderr := runCLI("simulate", "-population", "battle-royale", "-seconds", "60", "-report", file)
	require.Equal(t, exitOK, status, stderr)
	assert.True(t, strings.HasSuffix(stdout, "\nreport: "+file+" (open it in a browser)\n"), stdout)
	page, err := os.ReadFile(file)
	require.NoError(t, err)
	for _, chart := range []string{"wait-cdf", "pool-size", "in-games", "rejections"} {
		assert.Contains(t, string(page), `data-chart="`+chart+`"`)
	}
	assert.Contains(t, string(page), "not measured: matches of up to 60 players")

	// Refused before the run: nothing is simulated for a report that cannot be written.
	status, stdout, stderr = runCLI("simulate", "-seconds", "5", "-report", filepath.Join(t.TempDir(), "no", "such", "dir.html"))
	assert.Equal(t, exitInvalid, status)
	assert.Contains(t, stderr, "dir.html: no such file or directory\n")
	assert.Empty(t, stdout)
	dir := t.TempDir()
	status, stdout, stderr = runCLI("simulate", "-seconds", "5", "-report", dir)
	assert.Equal(t, exitInvalid, status)
	assert.Equal(t, dir+": is a directory\n", stderr)
	assert.Empty(t, stdout)
}

// TestSimulatePopulationFile: a population file of one's own, its rule set named relative to
// it; and each problem of a bad one on a line of its own.
func TestSimulatePopulationFile(t *testing.T) {
	dir := t.TempDir()
	rules, err := os.ReadFile(rulesets + "2v2.json")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "teams.json"), rules, 0o644))
	pop := filepath.Join(dir, "pop.json")
	require.NoError(t, os.WriteFile(pop, []byte(`{"name": "mine", "ruleSet": "teams.json", "seconds": 20,
		"arrivals": {"perSecond": 10}, "skill": {"mean": 1000, "stdDev": 100},
		"parties": [{"value": "1", "weight": 3}, {"value": "2", "weight": 1}]}`), 0o644))
	status, stdout, stderr := runCLI("simulate", "-population", pop)
	assert.Equal(t, exitOK, status, stderr)
	assert.Contains(t, stdout, "simulate: "+filepath.Join(dir, "teams.json")+" (2 teams, up to 4 players), population mine, 10 tickets/s for 20 s")

	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"name": "bad", "ruleSet": "1v1", "seconds": -1, "arrivals": {"perSecond": 0}}`), 0o644))
	status, _, stderr = runCLI("simulate", "-population", bad)
	assert.Equal(t, exitInvalid, status)
	assert.Equal(t, bad+": seconds: must be a positive number, got -1\n"+bad+": arrivals.perSecond: must be a positive number, got 0\n", stderr)

	status, _, stderr = runCLI("simulate", "-population", "nope")
	assert.Equal(t, exitInvalid, status)
	assert.Equal(t, "nope: no such file, and not a built-in population (1v1, 5v5, battle-royale, world)\n", stderr)

	status, _, stderr = runCLI("simulate", "-rules", "nope.json")
	assert.Equal(t, exitInvalid, status)
	assert.Equal(t, "nope.json: no such file, and not a built-in rule set (1v1, 1v1-sorted, 5v5, 5v5-sorted, battle-royale, world)\n", stderr)
}

func TestSimulateQualityPools(t *testing.T) {
	status, stdout, stderr := runCLI("simulate", "-seconds", "5", "-quality", "-quality-pools", "2")
	assert.Equal(t, exitOK, status, stderr)
	assert.Regexp(t, `\nquality @0s +matched [0-9.]+x, spread [0-9.]+x \(its tickets [0-9.]+x\), team difference [0-9.]+x \(split [0-9.]+x\)`, stdout)
	assert.Contains(t, stdout, "\nquality @30s ")

	status, _, stderr = runCLI("simulate", "-quality-pools", "0")
	assert.Equal(t, exitUsage, status)
	assert.Equal(t, "matchmaker simulate: -quality-pools must be from 1 to 200, got 0\nrun 'matchmaker simulate -h' for usage\n", stderr)
}

func TestSimulateTooManyRuleSets(t *testing.T) {
	args := []string{"simulate"}
	for range 9 {
		args = append(args, "-rules", "1v1")
	}
	status, _, stderr := runCLI(args...)
	assert.Equal(t, exitUsage, status)
	assert.Equal(t, "matchmaker simulate: -rules is given 9 times; at most 8 rule sets are compared\nrun 'matchmaker simulate -h' for usage\n", stderr)
}

// TestSimulateProgress: a long run reports its progress on stderr (here every tick, with the
// pacing set to zero).
func TestSimulateProgress(t *testing.T) {
	after, every := progressAfter, progressEvery
	progressAfter, progressEvery = 0, 0
	t.Cleanup(func() { progressAfter, progressEvery = after, every })
	status, _, stderr := runCLI("simulate", "-seconds", "2")
	assert.Equal(t, exitOK, status)
	assert.Regexp(t, `^simulate: built-in 1v1: 0 of 2 s simulated, 0 matches, \d+ waiting\n`+
		`simulate: built-in 1v1: 1 of 2 s simulated, \d+ matches, \d+ waiting\n`+
		`simulate: built-in 1v1: 2 of 2 s simulated, \d+ matches, \d+ waiting\n$`, stderr)
}

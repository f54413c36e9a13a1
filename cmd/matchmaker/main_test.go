package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// runCLI runs the command line with args and returns the exit status and both outputs.
func runCLI(args ...string) (status int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	status = run(args, &out, &errOut)
	return status, out.String(), errOut.String()
}

func TestUsageErrorsExit2(t *testing.T) {
	// Each usage error is one line per problem, naming the flag, argument or command, and then a
	// hint; never the whole usage text. want holds the problems; the test adds the hint.
	cases := map[string]struct {
		args []string
		want string
	}{
		"unknown command":        {[]string{"frobnicate"}, `matchmaker: unknown command "frobnicate"`},
		"misspelt command":       {[]string{"valdate", "rules.json"}, `matchmaker: unknown command "valdate" (did you mean "validate"?)`},
		"misspelt command, case": {[]string{"Simulate"}, `matchmaker: unknown command "Simulate" (did you mean "simulate"?)`},
		"validate without file":  {[]string{"validate"}, "matchmaker validate: needs at least one rule-set file"},
		"validate flag":          {[]string{"validate", "-strict", "a.json"}, "matchmaker validate: unknown flag -strict; this command takes no flags"},
		"run without scenario":   {[]string{"run"}, "matchmaker run: takes exactly one scenario file, got none"},
		"run with two files":     {[]string{"run", "a.json", "b.json"}, `matchmaker run: takes exactly one scenario file, got 2: "a.json", "b.json"`},
		"run with many files":    {[]string{"run", "a", "b", "c", "d"}, `matchmaker run: takes exactly one scenario file, got 4: "a", "b", "c", ...`},
		"unknown flag":           {[]string{"simulate", "-nope"}, "matchmaker simulate: unknown flag -nope"},
		"misspelt flag":          {[]string{"simulate", "--rat=5"}, "matchmaker simulate: unknown flag -rat (did you mean -rate?)"},
		"missing value":          {[]string{"simulate", "-rate"}, "matchmaker simulate: -rate needs a value"},
		"not a number":           {[]string{"simulate", "-tick", "fast"}, `matchmaker simulate: -tick must be a number, got "fast"`},
		"empty value":            {[]string{"simulate", "-rate="}, `matchmaker simulate: -rate must be a number, got ""`},
		"bad flag syntax":        {[]string{"simulate", "---rate"}, "matchmaker simulate: bad flag syntax: ---rate"},
		"negative seed":          {[]string{"simulate", "-seed", "-1"}, `matchmaker simulate: -seed must be a whole number from 0 to 18446744073709551615, got "-1"`},
		"simulate argument":      {[]string{"simulate", "extra"}, `matchmaker simulate: takes no arguments, got "extra"`},
		"negative rate":          {[]string{"simulate", "-rate", "-5"}, "matchmaker simulate: -rate must be positive, got -5"},
		"zero rate":              {[]string{"simulate", "-rate", "0"}, "matchmaker simulate: -rate must be positive, got 0"},
		// Bounds that keep the clock from overflowing and the run from never ending.
		"simulate rate too high":  {[]string{"simulate", "-rate", "1e300"}, "matchmaker simulate: -rate 1e+300 for -seconds 300 expects 3e+302 tickets; at most 10000000 are allowed"},
		"simulate tick too short": {[]string{"simulate", "-tick", "0.0001"}, "matchmaker simulate: -tick must be from 0.001 to 31536000, got 0.0001"},
		"simulate seconds overflow": {[]string{"simulate", "-seconds", "1e300", "-tick", "1e299"}, "matchmaker simulate: -seconds must be from 0.001 to 31536000, got 1e+300\n" +
			"matchmaker simulate: -tick must be from 0.001 to 31536000, got 1e+299"},
		"simulate seconds NaN":       {[]string{"simulate", "-seconds", "NaN"}, "matchmaker simulate: -seconds must be from 0.001 to 31536000, got NaN"},
		"simulate timeout overflow":  {[]string{"simulate", "-timeout", "1e300"}, "matchmaker simulate: -timeout must be from 1 to 31536000, got 1e+300"},
		"simulate too many ticks":    {[]string{"simulate", "-seconds", "100000", "-tick", "0.001"}, "matchmaker simulate: -seconds 100000 with -tick 0.001 makes 100000000 ticks; at most 10000000 are allowed"},
		"simulate too many arrivals": {[]string{"simulate", "-rate", "100000", "-seconds", "101"}, "matchmaker simulate: -rate 100000 for -seconds 101 expects 10100000 tickets; at most 10000000 are allowed"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			status, stdout, stderr := runCLI(c.args...)
			assert.Equal(t, exitUsage, status)
			assert.Empty(t, stdout)
			hint := "run 'matchmaker help' for usage\n"
			if slices.Contains(commands, c.args[0]) {
				hint = "run 'matchmaker " + c.args[0] + " -h' for usage\n"
			}
			assert.Equal(t, c.want+"\n"+hint, stderr)
		})
	}
}

func TestNoCommandPrintsUsage(t *testing.T) {
	status, stdout, stderr := runCLI()
	assert.Equal(t, exitUsage, status)
	assert.Empty(t, stdout)
	assert.Equal(t, usageText, stderr)
}

func TestHelp(t *testing.T) {
	status, stdout, _ := runCLI("help")
	assert.Equal(t, exitOK, status)
	assert.Contains(t, stdout, "validate FILE...")

	for _, cmd := range []string{"validate", "run", "simulate"} {
		status, stdout, stderr := runCLI(cmd, "-h")
		assert.Equal(t, exitOK, status, cmd)
		assert.Empty(t, stdout, cmd)
		assert.True(t, strings.HasPrefix(stderr, "usage: matchmaker "+cmd), "%s -h prints the whole usage: %q", cmd, stderr)
	}
	status, _, stderr := runCLI("simulate", "-help")
	assert.Equal(t, exitOK, status)
	assert.Contains(t, stderr, "  -rate float\n", "simulate's usage lists its flags")

	status, _, stderr = runCLI("run", "-h")
	assert.Equal(t, exitOK, status)
	assert.Contains(t, stderr, "Steps whose", "run's help documents how steps map to ticks")
	for _, limit := range []string{"16 MiB", "65535 bytes", "100000 elements", "from 0.001 to 31536000", "from 0 to 31536000 (365 days)", "at most 10000000"} {
		assert.Contains(t, stderr, limit, "run's help documents its limits")
	}
}

package main

import (
	"bytes"
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
	cases := map[string][]string{
		"no command":            nil,
		"unknown command":       {"frobnicate"},
		"validate without file": {"validate"},
		"run without scenario":  {"run"},
		"run with two files":    {"run", "a.json", "b.json"},
		"unknown flag":          {"simulate", "-nope"},
		"simulate argument":     {"simulate", "extra"},
		"bad simulate rate":     {"simulate", "-rate", "0"},
		// Bounds that keep the clock from overflowing and the run from never ending.
		"simulate rate too high":     {"simulate", "-rate", "1e300"},
		"simulate tick too short":    {"simulate", "-tick", "0.0001"},
		"simulate seconds overflow":  {"simulate", "-seconds", "1e300", "-tick", "1e299"},
		"simulate seconds NaN":       {"simulate", "-seconds", "NaN"},
		"simulate timeout overflow":  {"simulate", "-timeout", "1e300"},
		"simulate too many ticks":    {"simulate", "-seconds", "100000", "-tick", "0.001"},
		"simulate too many arrivals": {"simulate", "-rate", "100000", "-seconds", "101"},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			status, stdout, stderr := runCLI(args...)
			assert.Equal(t, exitUsage, status)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, "usage: matchmaker")
		})
	}
}

func TestHelp(t *testing.T) {
	status, stdout, _ := runCLI("help")
	assert.Equal(t, exitOK, status)
	assert.Contains(t, stdout, "validate FILE...")

	status, _, stderr := runCLI("run", "-h")
	assert.Equal(t, exitOK, status)
	assert.Contains(t, stderr, "Steps whose", "run's help documents how steps map to ticks")
	for _, limit := range []string{"16 MiB", "65535 bytes", "100000 elements", "from 0.001 to 31536000", "from 0 to 31536000 (365 days)", "at most 10000000"} {
		assert.Contains(t, stderr, limit, "run's help documents its limits")
	}
}

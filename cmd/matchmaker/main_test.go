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
}

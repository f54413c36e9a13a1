// Command matchmaker checks FlexMatch rule sets, replays matchmaking scenarios on a fake clock,
// and simulates a synthetic player population against a rule set.
//
// Usage:
//
//	matchmaker validate FILE...      check rule sets
//	matchmaker run SCENARIO.json     replay a scenario, one JSON event per line
//	matchmaker simulate [flags]      simulate a population and print a report
//
// Exit status: 0 success, 1 invalid input, 2 usage error.
//
// # Limits
//
// Every input is bounded, so that no file can overflow the clock (a time.Duration holds about
// 292 years), exhaust memory or keep the command running for hours:
//
//   - A scenario file has at most 16 MiB, and a rule-set file at most 65535 bytes, FlexMatch's
//     limit; neither is read past its limit, so a device such as /dev/zero is refused at once. A
//     rule set that a scenario names must be a regular file (not a directory, device or pipe).
//   - A scenario has at most 100,000 steps, and no array or object in it more than 100,000
//     elements; nesting is at most 64 levels deep.
//   - tickSeconds lies between 0.001 and 31,536,000 (365 days); until, every step's at and every
//     ...Seconds configuration field between 0 and 31,536,000; a replay has at most 10,000,000
//     ticks (until / tickSeconds + 1); configuration.name has at most 128 characters.
//
// A scenario is checked whole before anything runs. Every problem names the field as the file
// spells it, such as steps[12].at or configuration.requestTimeoutSeconds: duplicate keys,
// unknown keys (with the nearest known one), values of the wrong kind, fractions where an
// integer belongs, and the library's complaints about the configuration alike.
package main

// This file holds the entry point and the dispatch to each command.

import (
	"fmt"
	"io"
	"os"

	"github.com/seed-04d22514/matchmaker/internal/suggest"
)

// Exit statuses, as the command line contract fixes them.
const (
	exitOK      = 0
	exitInvalid = 1
	exitUsage   = 2
)

const usageText = `usage: matchmaker <command> [arguments]

commands:
  validate FILE...      check FlexMatch rule sets; print problems as FILE: PATH: message
  run SCENARIO.json     replay a scenario on a fake clock; print one JSON event per line
  simulate [flags]      run a built-in rule set against a synthetic population; print a report
  help                  print this text

Run "matchmaker <command> -h" for a command's details.
Exit status: 0 success, 1 invalid input, 2 usage error.
`

// commands are the names run dispatches on, for suggestions.
var commands = []string{"validate", "run", "simulate", "help"}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command line args (without the program name) and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return exitUsage
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "validate":
		return validateCommand(rest, stdout, stderr)
	case "run":
		return runCommand(rest, stdout, stderr)
	case "simulate":
		return simulateCommand(rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usageText)
		return exitOK
	default:
		fmt.Fprintf(stderr, "matchmaker: unknown command %q%s\n", cmd, suggest.Hint(cmd, commands))
		fmt.Fprintln(stderr, "run 'matchmaker help' for usage")
		return exitUsage
	}
}

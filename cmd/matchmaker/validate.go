package main

// This file holds the validate command: it checks rule-set files and reports every problem
// with its JSON path.

import (
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/seed-04d22514/matchmaker"
)

const validateHelp = `usage: matchmaker validate FILE...

Checks each FlexMatch rule set. A valid file prints one line on stdout:
  FILE: valid (2 teams, 3 rules, up to 10 players, small match)
An invalid one prints every problem on stderr, as
  FILE: PATH: message
where PATH is a JSON path such as rules[2].maxDistance (problems with the file as a whole have
no PATH). The message ends with the place of the value in the file, such as (line 12, column 22),
or for a missing value the place of the object that lacks it. A rule set may have at most 65535
bytes (FlexMatch's limit); a larger file, or a device that never ends, is refused after that
many bytes. Exit status 1 if any file is invalid or unreadable, 2 if no file is given.
`

func validateCommand(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("validate", validateHelp, stderr)
	if status, done := parseFlags(fs, args); done {
		return status
	}
	if fs.NArg() == 0 {
		return usageError(fs, "needs at least one rule-set file")
	}
	status := exitOK
	for _, file := range fs.Args() {
		if !validateFile(file, stdout, stderr) {
			status = exitInvalid
		}
	}
	return status
}

// validateFile checks one rule-set file and reports on it; it returns whether the file is valid.
func validateFile(file string, stdout, stderr io.Writer) bool {
	data, err := readInput(file, matchmaker.MaxRuleSetBytes, "a rule set")
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", file, err)
		return false
	}
	rs, err := matchmaker.ParseRuleSet(data)
	if err != nil {
		printProblems(stderr, file, withPositions(data, err))
		return false
	}
	fmt.Fprintf(stdout, "%s: valid (%s)\n", file, describeRuleSet(rs))
	return true
}

// printProblems writes err as lines "PREFIX: PATH: message", one per problem of a
// *matchmaker.ValidationError, or one line "PREFIX: error" for any other error. The name a
// *prefixedError carries joins the prefix.
func printProblems(w io.Writer, prefix string, err error) {
	if pe, ok := err.(*prefixedError); ok {
		printProblems(w, prefix+": "+pe.prefix, pe.err)
		return
	}
	var ve *matchmaker.ValidationError
	if !errors.As(err, &ve) {
		fmt.Fprintf(w, "%s: %v\n", prefix, err)
		return
	}
	for _, p := range ve.Problems {
		if p.Path == "" {
			fmt.Fprintf(w, "%s: %s\n", prefix, p.Message)
		} else {
			fmt.Fprintf(w, "%s: %s: %s\n", prefix, p.Path, p.Message)
		}
	}
}

// unwrapPathError drops the file name from an *fs.PathError, which the caller prints already.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// describeRuleSet summarises a rule set in a few words.
func describeRuleSet(rs *matchmaker.RuleSet) string {
	size := "small match"
	if rs.Large() {
		size = "large match"
	}
	return fmt.Sprintf("%s, %s, up to %s, %s", plural(len(rs.Teams()), "team"), plural(len(rs.Rules()), "rule"), plural(rs.MaxPlayers(), "player"), size)
}

// plural writes a count of nouns: "1 team", "2 teams".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

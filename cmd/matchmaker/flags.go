package main

// This file holds the flag handling the commands share, and the one-line reports of usage
// errors: the problem, naming the flag or argument, then a hint where the full usage is.

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/seed-04d22514/matchmaker/internal/suggest"
)

// newFlagSet returns a flag set for one command whose usage is help followed by the flags.
func newFlagSet(name, help string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("matchmaker "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), help)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args into fs. It returns done=true with the exit status when the command
// should stop: after -h, having printed the usage (status 0), or on a usage error, having
// printed one line about it (status 2). The flag package's own report, a sentence followed by
// the whole usage, is captured and replaced.
func parseFlags(fs *flag.FlagSet, args []string) (status int, done bool) {
	stderr := fs.Output()
	var captured bytes.Buffer
	fs.SetOutput(&captured)
	err := fs.Parse(args)
	fs.SetOutput(stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		stderr.Write(captured.Bytes()) // the usage -h asked for
		return exitOK, true
	case err != nil:
		return usageError(fs, flagProblem(fs, err)), true
	}
	return exitOK, false
}

// usageError reports problems with a command's flags or arguments, one line each, then where
// to find the usage, on fs's output; it returns the exit status of a usage error.
func usageError(fs *flag.FlagSet, problems ...string) int {
	for _, p := range problems {
		fmt.Fprintf(fs.Output(), "%s: %s\n", fs.Name(), p)
	}
	fmt.Fprintf(fs.Output(), "run '%s -h' for usage\n", fs.Name())
	return exitUsage
}

// invalidValue matches the flag package's report of a value its flag cannot parse.
var invalidValue = regexp.MustCompile(`^invalid value (".*") for flag -(\S+): `)

// flagProblem rewrites an error of fs.Parse as a problem that names the flag: "-rate must be a
// number, got "fast"", "unknown flag -rat (did you mean -rate?)". An error it does not
// recognise is returned as the flag package words it.
func flagProblem(fs *flag.FlagSet, err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		switch s := suggest.Closest(name, names); {
		case len(names) == 0:
			return fmt.Sprintf("unknown flag -%s; this command takes no flags", name)
		case s != "":
			return fmt.Sprintf("unknown flag -%s (did you mean -%s?)", name, s)
		}
		return fmt.Sprintf("unknown flag -%s", name)
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return fmt.Sprintf("-%s needs a value", name)
	}
	if m := invalidValue.FindStringSubmatch(msg); m != nil {
		if f := fs.Lookup(m[2]); f != nil {
			return fmt.Sprintf("-%s must be %s, got %s", m[2], valueKind(f), m[1])
		}
	}
	return msg
}

// valueKind describes the values a flag takes, for flagProblem.
func valueKind(f *flag.Flag) string {
	g, _ := f.Value.(flag.Getter)
	if g == nil {
		return "a valid value"
	}
	switch g.Get().(type) {
	case float64:
		return "a number"
	case uint64:
		return "a whole number from 0 to " + strconv.FormatUint(1<<64-1, 10)
	case int, int64:
		return "a whole number"
	case uint:
		return "a whole number, at least 0"
	case bool:
		return "true or false"
	}
	return "a valid value"
}

// quoteArgs lists arguments for a usage error: `"a.json", "b.json"`, the first three only.
func quoteArgs(args []string) string {
	q := make([]string, 0, 4)
	for i, a := range args {
		if i == 3 {
			q = append(q, "...")
			break
		}
		q = append(q, strconv.Quote(a))
	}
	return strings.Join(q, ", ")
}

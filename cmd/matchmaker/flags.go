package main

// This file holds the flag handling the commands share.

import (
	"errors"
	"flag"
	"fmt"
	"io"
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
// should stop: after -h (status 0) or on a usage error (status 2).
func parseFlags(fs *flag.FlagSet, args []string) (status int, done bool) {
	switch err := fs.Parse(args); {
	case errors.Is(err, flag.ErrHelp):
		return exitOK, true
	case err != nil:
		return exitUsage, true
	}
	return exitOK, false
}

package main

// This file holds the bounds on what the commands read, and the bounded reading of input files.
// The bounds keep every scenario inside what the clock can represent (time.Duration overflows
// after about 292 years) and inside a memory and running time known in advance, whatever the
// file says.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

const (
	// maxScenarioBytes bounds a scenario file. A step is about 100 to 200 bytes, so the largest
	// file holds about maxElements steps.
	maxScenarioBytes = 16 << 20

	// maxElements bounds the elements of every array and the members of every object of a
	// scenario, the steps first: it bounds the memory one list of the file can take once
	// decoded, which is larger than its text.
	maxElements = 100_000

	// maxJSONDepth bounds the nesting of a scenario; the deepest real path, an attribute value
	// in a player of a step, is 8 levels deep.
	maxJSONDepth = 64

	// maxSeconds bounds every time of a scenario: until, each step's at, tickSeconds and each
	// ...Seconds configuration field. A year of simulated time is far beyond any timeout the
	// library accepts, and far below the 292 years a time.Duration holds.
	maxSeconds = 365 * 24 * 60 * 60

	// minTickSeconds is the shortest tick: a millisecond, far finer than any rule-set wait
	// (whole seconds) needs.
	minTickSeconds = 0.001

	// maxTicks bounds the ticks of a replay (until / tickSeconds + 1), and of a simulation, so
	// that a typo in until cannot make it run for hours: an empty tick costs about half a
	// microsecond, so the longest replay of an idle pool takes seconds.
	maxTicks = 10_000_000

	// maxNameLength bounds configuration.name, which every game-session ARN repeats: FlexMatch's
	// limit for a configuration name.
	maxNameLength = 128
)

// readInput reads the file name, which must hold at most limit bytes; what names the kind of
// file in the error ("a scenario"). It never reads more than limit+1 bytes, so a huge file, or
// a device such as /dev/zero, costs no more than that.
func readInput(name string, limit int64, what string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, unwrapPathError(err)
	}
	defer f.Close()
	size := int64(0)
	if fi, err := f.Stat(); err == nil {
		switch {
		case fi.IsDir():
			return nil, errors.New("is a directory, not a file")
		case fi.Mode().IsRegular() && fi.Size() > limit:
			return nil, tooLarge(fi.Size(), limit, what)
		case fi.Mode().IsRegular():
			size = fi.Size()
		}
	}
	buf := bytes.NewBuffer(make([]byte, 0, size+bytes.MinRead))
	if _, err := buf.ReadFrom(io.LimitReader(f, limit+1)); err != nil {
		return nil, unwrapPathError(err)
	}
	if int64(buf.Len()) > limit {
		return nil, tooLarge(-1, limit, what)
	}
	return buf.Bytes(), nil
}

// tooLarge reports a file over its limit; size is -1 when unknown (a pipe or a device).
func tooLarge(size, limit int64, what string) error {
	if size < 0 {
		return fmt.Errorf("is larger than %d bytes, the most %s may have", limit, what)
	}
	return fmt.Errorf("is %d bytes; %s may have at most %d", size, what, limit)
}

// requireRegularFile refuses a path that is not a regular file before it is opened: opening a
// named pipe would wait for a writer, and a device may never end.
func requireRegularFile(name string) error {
	fi, err := os.Stat(name)
	switch {
	case err != nil:
		return unwrapPathError(err)
	case fi.IsDir():
		return errors.New("is a directory, not a file")
	case !fi.Mode().IsRegular():
		return fmt.Errorf("is %s, not a regular file", fileKind(fi.Mode()))
	}
	return nil
}

// fileKind names the kind of a file that is not a regular file.
func fileKind(mode os.FileMode) string {
	switch {
	case mode&os.ModeNamedPipe != 0:
		return "a named pipe"
	case mode&os.ModeSocket != 0:
		return "a socket"
	case mode&os.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}

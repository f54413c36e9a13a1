//go:build linux || darwin || freebsd || netbsd || openbsd

package main

import (
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRunRefusesARuleSetPipe checks that a scenario naming a named pipe as its rule set is
// refused at once: opening the pipe would wait for a writer that never comes.
func TestRunRefusesARuleSetPipe(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "rules.fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	refused(t, writeScenario(t, `{"ruleSet": `+quote(fifo)+`}`), "ruleSet: "+fifo+": is a named pipe, not a regular file")
}

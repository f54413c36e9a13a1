package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Rule semantics through the command line (issue 9): partial mode does not reject what more
// players could still satisfy.

func TestRunMinDistanceFindsOpposites(t *testing.T) {
	lines := replayFile(t, scenarios+"min-distance.json")
	done := ofType(lines, "MatchmakingSucceeded")
	require.Len(t, done, 1, "10 or 14 against 40")
	ids := done[0].ticketIDs()
	assert.Contains(t, ids, "t40")
	assert.Len(t, ids, 2)
}

func TestRunNotSameModeMatchesDifferentModes(t *testing.T) {
	lines := replayFile(t, scenarios+"not-same-mode.json")
	done := ofType(lines, "MatchmakingSucceeded")
	require.Len(t, done, 1, "a ctf player with the dm player; the two ctf players never together")
	assert.ElementsMatch(t, []string{"a1", "b1"}, done[0].ticketIDs())
}

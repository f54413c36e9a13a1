package main

import (
	"fmt"
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

// skillOf reads the skill the large scenarios give player pNN: 1000 + 10×NN.
func skillOf(t *testing.T, playerID string) float64 {
	t.Helper()
	var n int
	_, err := fmt.Sscanf(playerID, "p%d", &n)
	require.NoError(t, err)
	return 1000 + 10*float64(n)
}

// A large match with equal teams over evenly spread skills comes out balanced: the teams'
// averages within a point or two, not the lower half against the upper half.
func TestRunLargeMatchIsBalanced(t *testing.T) {
	lines := replayFile(t, scenarios+"large-balance.json")
	done := ofType(lines, "MatchmakingSucceeded")
	require.Len(t, done, 1)
	sum, count := map[string]float64{}, map[string]int{}
	for player, team := range done[0].teams() {
		sum[team] += skillOf(t, player)
		count[team]++
	}
	assert.Equal(t, map[string]int{"red": 25, "blue": 25}, count)
	diff := sum["red"]/25 - sum["blue"]/25
	assert.InDelta(t, 0, diff, 2, "team averages %v and %v", sum["red"]/25, sum["blue"]/25)
}

// Teams of a large match fill as FlexMatch documents (spec §d.4): below minimum first, then
// most open slots. 30 players over red and blue (10..20) and green (2..3): 14, 14 and 2.
func TestRunLargeMatchFillOrder(t *testing.T) {
	lines := replayFile(t, scenarios+"large-fill-order.json")
	done := ofType(lines, "MatchmakingSucceeded")
	require.Len(t, done, 1)
	count := map[string]int{}
	for _, team := range done[0].teams() {
		count[team]++
	}
	assert.Equal(t, map[string]int{"red": 14, "blue": 14, "green": 2}, count)
}

package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The four scenarios of the Open Match backfill seed's Background section, replayed through
// the command line.

func TestBackfillScenarioReplaceLeaver(t *testing.T) {
	lines := replayFile(t, scenarios+"backfill-replace-leaver.json")
	ok := ofType(lines, "MatchmakingSucceeded")
	require.Len(t, ok, 1)
	assert.Equal(t, 2.0, ok[0].Time)
	assert.Equal(t, "red", ok[0].teams()["p-new"], "the newcomer takes the free red slot")
	upd := ofType(lines, "MatchmakingDataUpdated")
	require.Len(t, upd, 1)
	assert.Len(t, upd[0].teams(), 4, "the session is full again")
}

func TestBackfillScenarioLobbyFill(t *testing.T) {
	lines := replayFile(t, scenarios+"backfill-lobby-fill.json")
	ok := ofType(lines, "MatchmakingSucceeded")
	require.Len(t, ok, 4, "the lobby starts at its minimum, then three backfills fill it")
	assert.ElementsMatch(t, []string{"a", "b", "c"}, ok[0].ticketIDs())
	for _, l := range ok[1:] {
		require.NotEmpty(t, l.Tickets)
		assert.Contains(t, l.Tickets[0].TicketID, "auto-backfill-")
	}
	upd := ofType(lines, "MatchmakingDataUpdated")
	require.Len(t, upd, 3)
	assert.Len(t, upd[2].teams(), 10, "full at ten players")
	for _, l := range ok {
		for _, id := range l.ticketIDs() {
			assert.NotEqual(t, "overflow", id, "the eleventh player does not join a full lobby")
		}
	}
}

func TestBackfillScenarioWorldServerAcknowledges(t *testing.T) {
	lines := replayFile(t, scenarios+"backfill-world-server-ack.json")
	ok := ofType(lines, "MatchmakingSucceeded")
	require.Len(t, ok, 2, "two acknowledgements commit two batches")
	assert.Equal(t, 5.0, ok[0].Time)
	assert.Equal(t, 12.0, ok[1].Time)
	timedOut := ofType(lines, "BackfillTimedOut")
	require.Len(t, timedOut, 1)
	assert.Equal(t, 22.0, timedOut[0].Time, "10 s after the last acknowledgement")
	last := lines[len(lines)-1]
	assert.Equal(t, "MatchmakingSearching", last.Type)
	assert.Equal(t, []string{"t4"}, last.ticketIDs(), "the unacknowledged ticket returns to the pool")
}

func TestBackfillScenarioFriendJoinsServerCancels(t *testing.T) {
	lines := replayFile(t, scenarios+"backfill-friend-joins-cancel.json")
	cancelled := ofType(lines, "BackfillCancelled")
	require.Len(t, cancelled, 1)
	assert.Equal(t, 1.0, cancelled[0].Time)
	assert.Empty(t, ofType(lines, "MatchmakingSucceeded"), "nobody joins after the cancel")
}

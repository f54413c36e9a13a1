package matchmaker

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// eventsOf returns the events of type E among evs.
func eventsOf[E Event](evs []Event) []E {
	var out []E
	for _, e := range evs {
		if x, ok := e.(E); ok {
			out = append(out, x)
		}
	}
	return out
}

func teamOf(s *MatchmakingSucceeded, playerID string) string {
	for _, t := range s.Tickets {
		for _, p := range t.Players {
			if p.PlayerID == playerID {
				return p.Team
			}
		}
	}
	return ""
}

// Seed scenario 1: a player leaves; matchmaking replaces them on the same team.
func TestBackfillReplacesPlayerWhoLeft(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/2v2.json", Config{FlexMatchMode: WithQueue, BackfillMode: BackfillAutomatic})
	for i := range 4 {
		h.start(fmt.Sprintf("t%d", i), player1(fmt.Sprintf("p%d", i), num("skill", 1000)))
	}
	got := matches(h.tick(0))
	require.Len(t, got, 1)
	arn := got[0].GameSessionInfo.GameSessionArn
	require.NotEmpty(t, arn)
	gs, err := h.m.DescribeGameSession(arn)
	require.NoError(t, err)
	assert.Empty(t, gs.BackfillTicketID, "a full session starts no automatic backfill")
	leaver := "p2"
	leaverTeam := teamOf(got[0], leaver)

	h.at(5)
	require.NoError(t, h.m.RemovePlayers(arn, leaver))
	gs, _ = h.m.DescribeGameSession(arn)
	require.NotEmpty(t, gs.BackfillTicketID, "a player leaving starts an automatic backfill")
	assert.Contains(t, gs.BackfillTicketID, "auto-backfill-")

	h.start("new", player1("p9", num("skill", 1100)))
	evs := h.tick(6)
	joined := matches(evs)
	require.Len(t, joined, 1)
	assert.Equal(t, arn, joined[0].GameSessionInfo.GameSessionArn)
	assert.Equal(t, leaverTeam, teamOf(joined[0], "p9"), "the new player takes the free slot")
	upd := eventsOf[*MatchmakingDataUpdated](evs)
	require.Len(t, upd, 1)
	assert.Equal(t, arn, upd[0].GameSessionArn)
	total := 0
	for _, team := range upd[0].MatchmakerData.Teams {
		assert.Len(t, team.Players, 2, "team %s", team.Name)
		total += len(team.Players)
	}
	assert.Equal(t, 4, total)
	assert.Equal(t, StatusCompleted, h.status("new"))
	gs, _ = h.m.DescribeGameSession(arn)
	assert.Empty(t, gs.BackfillTicketID, "full again: no new backfill")
}

// Seed scenario 2: a battle-royale lobby starts at its minimum and fills to its maximum.
func TestBackfillLobbyFillsToMaximum(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/lobby-3-10.json", Config{FlexMatchMode: WithQueue, BackfillMode: BackfillAutomatic})
	for i := range 3 {
		h.start(fmt.Sprintf("t%d", i), player1(fmt.Sprintf("p%d", i), nil))
	}
	got := matches(h.tick(0))
	require.Len(t, got, 1, "three players reach the minimum")
	arn := got[0].GameSessionInfo.GameSessionArn
	for sec := 1; sec <= 9; sec++ {
		h.start(fmt.Sprintf("late%d", sec), player1(fmt.Sprintf("q%d", sec), nil))
		evs := h.tick(float64(sec))
		joined := matches(evs)
		if sec <= 7 {
			require.Len(t, joined, 1, "second %d", sec)
			assert.Equal(t, arn, joined[0].GameSessionInfo.GameSessionArn)
		} else {
			assert.Empty(t, eventsOf[*MatchmakingDataUpdated](evs), "the lobby is full after 10 players")
		}
	}
	gs, err := h.m.DescribeGameSession(arn)
	require.NoError(t, err)
	assert.Len(t, gs.MatchmakerData.Teams[0].Players, 10)
	assert.Empty(t, gs.BackfillTicketID)
	assert.Equal(t, StatusSearching, h.status("late8"), "the 11th player waits for a new lobby")
}

// Seed scenario 3: long-lived world servers acknowledge their backfills; tickets prefer
// existing servers; an unacknowledged backfill expires and its tickets return to the pool.
func TestBackfillWorldServersAcknowledge(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/lobby-3-10.json", Config{BackfillAcknowledgeTimeout: 10 * time.Second})
	_, err := h.m.StartMatchBackfill(StartMatchBackfillInput{TicketID: "world-1", GameSessionArn: "world-1",
		Players: []Player{{PlayerID: "resident", Team: "everyone"}}})
	require.NoError(t, err)
	for i := range 3 {
		h.start(fmt.Sprintf("t%d", i), player1(fmt.Sprintf("p%d", i), nil))
	}
	evs := h.tick(0)
	assert.Empty(t, matches(evs), "assignments wait for the server's acknowledgement")
	require.Len(t, eventsOf[*PotentialMatchCreated](evs), 1, "the tickets go to the running world, not a new match")
	assert.Equal(t, StatusPlacing, h.status("t0"))

	h.at(3)
	ack, err := h.m.AcknowledgeBackfill("world-1")
	require.NoError(t, err)
	assert.Len(t, ack.Assigned, 3)
	assert.Empty(t, ack.Rejected)
	evs = h.drain()
	require.Len(t, matches(evs), 1)
	require.Len(t, eventsOf[*MatchmakingDataUpdated](evs), 1)
	assert.Equal(t, StatusCompleted, h.status("t0"))
	again, err := h.m.AcknowledgeBackfill("world-1")
	require.NoError(t, err)
	assert.Empty(t, again.Assigned, "assignments are reported once")

	// More players arrive, then the server goes quiet.
	h.start("t9", player1("p9", nil))
	h.tick(4)
	assert.Equal(t, StatusPlacing, h.status("t9"))
	evs = h.tick(12.999)
	assert.Empty(t, eventsOf[*BackfillTimedOut](evs))
	evs = h.tick(13)
	require.Len(t, eventsOf[*BackfillTimedOut](evs), 1, "10 s after the last acknowledgement")
	assert.Equal(t, StatusTimedOut, h.status("world-1"))
	assert.Equal(t, StatusSearching, h.status("t9"), "the unacknowledged ticket returns to the pool")
}

// Seed scenario 4: a friend joins through the game; the server cancels its backfill.
func TestBackfillCancelledWhenFriendJoins(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/2v2.json", Config{})
	_, err := h.m.StartMatchBackfill(StartMatchBackfillInput{TicketID: "bf", GameSessionArn: "gs-1",
		Players: []Player{{PlayerID: "a", Team: "red", Attributes: num("skill", 1000)},
			{PlayerID: "b", Team: "blue", Attributes: num("skill", 1000)}, {PlayerID: "c", Team: "blue", Attributes: num("skill", 1000)}}})
	require.NoError(t, err)
	h.tick(0)
	require.NoError(t, h.m.StopMatchBackfill("bf"))
	evs := h.drain()
	require.Len(t, eventsOf[*BackfillCancelled](evs), 1)
	require.Len(t, eventsOf[*MatchmakingCancelled](evs), 1)
	h.start("stranger", player1("s", num("skill", 1000)))
	assert.Empty(t, matches(h.tick(1)), "nobody joins a session whose backfill was cancelled")
	assert.Equal(t, StatusSearching, h.status("stranger"))
}

func TestBackfillReplacesOlderRequestAndCapsNewPlayers(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/lobby-3-10.json", Config{})
	roster := []Player{{PlayerID: "a", Team: "everyone"}, {PlayerID: "b", Team: "everyone"}, {PlayerID: "c", Team: "everyone"}}
	_, err := h.m.StartMatchBackfill(StartMatchBackfillInput{TicketID: "old", GameSessionArn: "gs", Players: roster})
	require.NoError(t, err)
	_, err = h.m.StartMatchBackfill(StartMatchBackfillInput{TicketID: "new", GameSessionArn: "gs", Players: roster, MaxNewPlayers: 2})
	require.NoError(t, err)
	evs := h.drain()
	require.Len(t, eventsOf[*BackfillCancelled](evs), 1)
	assert.Equal(t, ReasonReplaced, eventsOf[*BackfillCancelled](evs)[0].Reason)
	for i := range 5 {
		h.start(fmt.Sprintf("t%d", i), player1(fmt.Sprintf("p%d", i), nil))
	}
	evs = h.tick(0)
	var joined int
	for _, s := range matches(evs) {
		if s.GameSessionInfo.GameSessionArn == "gs" {
			for _, tk := range s.Tickets {
				if tk.TicketID != "new" {
					joined++
				}
			}
		}
	}
	assert.Equal(t, 2, joined, "MaxNewPlayers caps the backfill")
}

func TestBackfillStaleRosterRejected(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/lobby-3-10.json", Config{BackfillAcknowledgeTimeout: 30 * time.Second})
	_, err := h.m.StartMatchBackfill(StartMatchBackfillInput{TicketID: "w", GameSessionArn: "w",
		Players: []Player{{PlayerID: "a", Team: "everyone"}, {PlayerID: "b", Team: "everyone"}}})
	require.NoError(t, err)
	h.start("t1", player1("p1", nil))
	h.tick(0)
	require.Equal(t, StatusPlacing, h.status("t1"))
	require.NoError(t, h.m.RemovePlayers("w", "b")) // the roster changes before the commit
	ack, err := h.m.AcknowledgeBackfill("w")
	require.NoError(t, err)
	assert.Empty(t, ack.Assigned)
	assert.Equal(t, []string{"t1"}, ack.Rejected)
	assert.Equal(t, StatusSearching, h.status("t1"))
	h.tick(1)
	assert.Equal(t, StatusSearching, h.status("t1"), "one resident and one joiner are below the team minimum of 3")
	h.start("t2", player1("p2", nil))
	h.tick(2)
	ack, err = h.m.AcknowledgeBackfill("w")
	require.NoError(t, err)
	require.Len(t, ack.Assigned, 2, "proposed again against the new roster, then committed")
	gs, _ := h.m.DescribeGameSession("w")
	var ids []string
	for _, p := range gs.MatchmakerData.Teams[0].Players {
		ids = append(ids, p.PlayerID)
	}
	assert.ElementsMatch(t, []string{"a", "p1", "p2"}, ids)
}

func TestBackfillRequestValidation(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/2v2.json", Config{})
	_, err := h.m.StartMatchBackfill(StartMatchBackfillInput{GameSessionArn: "gs", Players: []Player{
		{PlayerID: "a", Team: "green"}, {PlayerID: "b"},
		{PlayerID: "c", Team: "red"}, {PlayerID: "d", Team: "red"}, {PlayerID: "e", Team: "red"}}})
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	var paths []string
	for _, p := range ve.Problems {
		paths = append(paths, p.Path)
	}
	assert.Equal(t, []string{"Players[0].Team", "Players[1].Team", "Players"}, paths)
	_, err = h.m.DescribeGameSession("gs")
	assert.ErrorIs(t, err, ErrNotFound, "a refused request registers nothing")
}

// A friend joins through the game while the backfill is open: the backfill counts them and
// does not overfill the team.
func TestBackfillCountsPlayersWhoJoinedDirectly(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/2v2.json", Config{})
	_, err := h.m.StartMatchBackfill(StartMatchBackfillInput{TicketID: "bf", GameSessionArn: "gs", Players: []Player{
		{PlayerID: "a", Team: "red", Attributes: num("skill", 1000)},
		{PlayerID: "b", Team: "blue", Attributes: num("skill", 1000)}, {PlayerID: "c", Team: "blue", Attributes: num("skill", 1000)}}})
	require.NoError(t, err)
	h.tick(0)
	var ve *ValidationError
	require.ErrorAs(t, h.m.AddPlayers("gs", Player{PlayerID: "x", Team: "blue", Attributes: num("skill", 1000)}), &ve,
		"blue is full")
	assert.Equal(t, "Players", ve.Problems[0].Path)
	require.NoError(t, h.m.AddPlayers("gs", Player{PlayerID: "friend", Team: "red", Attributes: num("skill", 1000)}))
	gs, err := h.m.DescribeGameSession("gs")
	require.NoError(t, err)
	assert.Equal(t, uint64(2), gs.Version)
	h.start("stranger", player1("s", num("skill", 1000)))
	assert.Empty(t, matches(h.tick(1)), "the session is full: nobody is backfilled")
	assert.Equal(t, StatusSearching, h.status("stranger"))
	assert.ErrorIs(t, h.m.AddPlayers("nope", Player{PlayerID: "z", Team: "red"}), ErrNotFound)
}

// At the session limit the oldest idle session is forgotten; a session with an active backfill
// is kept, and when every session is busy a new backfill is refused with ErrLimit.
func TestGameSessionLimitForgetsIdleSessions(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/lobby-2-4.json", Config{FlexMatchMode: WithQueue}, WithMaxGameSessions(2))
	full := func(prefix string) []Player { // a full roster: the backfill stays active, unmatched
		var ps []Player
		for i := range 4 {
			ps = append(ps, Player{PlayerID: fmt.Sprintf("%s%d", prefix, i), Team: "players"})
		}
		return ps
	}
	_, err := h.m.StartMatchBackfill(StartMatchBackfillInput{GameSessionArn: "busy", Players: full("r")})
	require.NoError(t, err)
	for i := range 3 { // three matches place three sessions
		h.start(fmt.Sprintf("a%d", i), player1(fmt.Sprintf("a%d", i), nil))
		h.start(fmt.Sprintf("b%d", i), player1(fmt.Sprintf("b%d", i), nil))
		h.start(fmt.Sprintf("c%d", i), player1(fmt.Sprintf("c%d", i), nil))
		h.start(fmt.Sprintf("d%d", i), player1(fmt.Sprintf("d%d", i), nil))
		h.tick(float64(i))
	}
	_, err = h.m.DescribeGameSession("busy")
	require.NoError(t, err, "a session with an active backfill is never forgotten")
	h.m.mu.Lock()
	n := len(h.m.sessions)
	h.m.mu.Unlock()
	assert.Equal(t, 2, n)
	_, err = h.m.StartMatchBackfill(StartMatchBackfillInput{GameSessionArn: "busy-2", Players: full("s")})
	require.NoError(t, err, "the idle placed session makes room")
	_, err = h.m.StartMatchBackfill(StartMatchBackfillInput{GameSessionArn: "busy-3", Players: full("u")})
	assert.ErrorIs(t, err, ErrLimit, "both known sessions have active backfills")
}

func TestEndedTicketsAreBounded(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/gomoku.json", Config{}, WithMaxTickets(3))
	for i := range 5 {
		h.start(fmt.Sprintf("t%d", i), player1(fmt.Sprintf("p%d", i), nil))
		require.NoError(t, h.m.StopMatchmaking(fmt.Sprintf("t%d", i)))
	}
	h.tick(1)
	assert.Empty(t, h.m.DescribeMatchmaking("t0", "t1"), "the oldest ended tickets are forgotten first")
	assert.Len(t, h.m.DescribeMatchmaking("t2", "t3", "t4"), 3)
}

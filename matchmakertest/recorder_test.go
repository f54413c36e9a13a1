package matchmakertest_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-04d22514/matchmaker"
	"github.com/seed-04d22514/matchmaker/matchmakertest"
)

// statuses returns the statuses of a history, in order.
func statuses(h []matchmakertest.Change) []matchmaker.TicketStatus {
	var out []matchmaker.TicketStatus
	for _, c := range h {
		out = append(out, c.Status)
	}
	return out
}

func TestRecorderMatch(t *testing.T) {
	h := newDuel(t)
	h.Queue(matchmakertest.Solo("ann", matchmakertest.Attrs{"skill": 1000}), matchmakertest.Solo("bob", matchmakertest.Attrs{"skill": 1300}))
	_, ok := h.Match("ann")
	assert.False(t, ok)

	h.RunUntil(20 * time.Second)
	m, ok := h.Match("ann")
	require.True(t, ok)
	assert.Equal(t, 10*time.Second, m.At)
	assert.Equal(t, []string{"ann", "bob"}, m.Tickets)
	assert.Equal(t, "red", m.Team("ann"))
	assert.Equal(t, "blue", m.Team("bob"))
	assert.Empty(t, m.Team("cat"))
	assert.Equal(t, "blue[bob] red[ann]", m.String())
	assert.Equal(t, []matchmakertest.Match{m}, h.Matches())

	pm, ok := h.PlayerMatch("bob")
	require.True(t, ok)
	assert.Equal(t, m.ID, pm.ID)

	succeeded := matchmakertest.Events[*matchmaker.MatchmakingSucceeded](h.Recorder)
	require.Len(t, succeeded, 1)
	assert.Same(t, succeeded[0], m.Event)
	assert.Len(t, matchmakertest.Events[*matchmaker.MatchmakingSearching](h.Recorder), 2)
	assert.Empty(t, matchmakertest.Events[*matchmaker.MatchmakingTimedOut](h.Recorder))

	assert.Equal(t, []matchmaker.TicketStatus{matchmaker.StatusQueued, matchmaker.StatusSearching, matchmaker.StatusCompleted},
		statuses(h.History("ann")))
	assert.Equal(t, matchmaker.StatusSearching, h.StatusAt("ann", 9*time.Second))
	assert.Equal(t, matchmaker.StatusCompleted, h.StatusAt("ann", 10*time.Second))
	assert.Empty(t, h.StatusAt("nobody", 10*time.Second))
}

// Requests made on the Matchmaker directly are recorded too, with their reasons.
func TestRecorderEndings(t *testing.T) {
	h := newDuel(t)
	h.Queue(matchmakertest.Solo("ann", matchmakertest.Attrs{"skill": 1000}), matchmakertest.Solo("bob", matchmakertest.Attrs{"skill": 3000}))
	h.Advance(2 * time.Second)
	require.NoError(t, h.Matchmaker().StopMatchmaking("ann"))
	h.Queue(matchmakertest.Ticket("bob-again", matchmakertest.Player("bob", matchmakertest.Attrs{"skill": 3000})))

	ann := h.History("ann")
	require.NotEmpty(t, ann)
	last := ann[len(ann)-1]
	assert.Equal(t, matchmaker.StatusCancelled, last.Status)
	assert.Equal(t, matchmaker.ReasonCancelled, last.Reason)
	assert.Equal(t, 2*time.Second, last.At)
	assert.IsType(t, &matchmaker.MatchmakingCancelled{}, last.Event)

	bob := h.History("bob")
	assert.Equal(t, matchmaker.ReasonDuplicatePlayer, bob[len(bob)-1].Reason)

	h.AssertTimedOutBy(t, 2*time.Minute, "bob-again")
	assert.Equal(t, time.Minute+2*time.Second, h.Elapsed(), "the assertion stops when the ticket has ended")
}

// With acceptance required, a proposed match shows as REQUIRES_ACCEPTANCE and counts as a match
// only once every player accepted.
func TestRecorderAcceptance(t *testing.T) {
	h := matchmakertest.New(t, matchmaker.Config{RuleSet: matchmakertest.RuleSet(t, duel), AcceptanceRequired: true})
	h.Queue(matchmakertest.Solo("ann", matchmakertest.Attrs{"skill": 1000}), matchmakertest.Solo("bob", matchmakertest.Attrs{"skill": 1010}))
	h.AssertNoMatchBy(t, 3*time.Second)
	assert.Equal(t, matchmaker.StatusRequiresAcceptance, h.StatusAt("ann", 0))
	assert.Equal(t, matchmaker.StatusRequiresAcceptance, h.Status("ann"))

	for _, id := range []string{"ann", "bob"} {
		require.NoError(t, h.Matchmaker().AcceptMatch(matchmaker.AcceptMatchInput{TicketID: id, PlayerIDs: []string{id}, AcceptanceType: matchmaker.Accept}))
	}
	h.AssertMatchedTogetherBy(t, 4*time.Second, "ann", "bob")
	assert.Len(t, matchmakertest.Events[*matchmaker.AcceptMatchCompleted](h.Recorder), 1)
	assert.Equal(t, []matchmaker.TicketStatus{matchmaker.StatusQueued, matchmaker.StatusSearching, matchmaker.StatusRequiresAcceptance, matchmaker.StatusCompleted},
		statuses(h.History("ann")))
}

// A backfill's match lists the session's players, those already there included.
func TestRecorderBackfill(t *testing.T) {
	h := newDuel(t)
	_, err := h.Matchmaker().StartMatchBackfill(matchmaker.StartMatchBackfillInput{TicketID: "refill", GameSessionArn: "game-7",
		Players: []matchmaker.Player{{PlayerID: "stays", Team: "red", Attributes: matchmakertest.Attributes(matchmakertest.Attrs{"skill": 1000})}}})
	require.NoError(t, err)
	h.Queue(matchmakertest.Solo("newcomer", matchmakertest.Attrs{"skill": 1020}))
	h.AssertMatchedBy(t, 0, "newcomer")

	m, _ := h.Match("newcomer")
	assert.Equal(t, "game-7", m.GameSessionArn)
	h.AssertDifferentTeams(t, "stays", "newcomer")
	assert.Len(t, matchmakertest.Events[*matchmaker.MatchmakingDataUpdated](h.Recorder), 1)
}

// A Recorder works on its own, on a Matchmaker a test drives itself.
func TestNewRecorder(t *testing.T) {
	m, err := matchmaker.New(matchmaker.Config{RuleSet: matchmakertest.RuleSet(t, duel)})
	require.NoError(t, err)
	defer m.Close()
	origin := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r, err := matchmakertest.NewRecorder(m, origin)
	require.NoError(t, err)
	defer r.Close()

	_, err = m.StartMatchmaking(matchmakertest.Solo("ann", matchmakertest.Attrs{"skill": 1000}))
	require.NoError(t, err)
	_, err = m.StartMatchmaking(matchmakertest.Solo("bob", matchmakertest.Attrs{"skill": 1000}))
	require.NoError(t, err)
	require.NoError(t, m.Tick(origin.Add(time.Second)))
	require.NoError(t, r.Drain())

	at, ok := r.MatchedAt("ann")
	require.True(t, ok)
	assert.Equal(t, time.Second, at)
	assert.Len(t, r.Events(), 4) // two searching, potential match, succeeded
	assert.Equal(t, time.Second, r.Since(origin.Add(time.Second)))
}

package matchmaker

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Errors say what: the limit and its value, the ID not found, the status that refused a request.
func TestErrorsNameWhatTheyAreAbout(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/gomoku.json", Config{}, WithMaxTickets(1), WithMaxSubscribers(2))

	h.start("a", gomoku("pa", 1000))
	_, err := h.m.StartMatchmaking(StartMatchmakingInput{Players: []Player{gomoku("pb", 1000)}})
	var le *LimitError
	require.ErrorAs(t, err, &le)
	assert.ErrorIs(t, err, ErrLimit)
	assert.Equal(t, LimitError{Limit: "WithMaxTickets", Max: 1}, *le)
	assert.EqualError(t, err, "matchmaker: limit exceeded: WithMaxTickets (1)")

	_, err = h.m.Subscribe() // the harness holds one subscription already
	require.NoError(t, err)
	_, err = h.m.Subscribe()
	require.ErrorAs(t, err, &le)
	assert.Equal(t, "WithMaxSubscribers", le.Limit)

	for name, err := range map[string]error{
		"StopMatchmaking": h.m.StopMatchmaking("nope"),
		"AcceptMatch":     h.m.AcceptMatch(AcceptMatchInput{TicketID: "nope", PlayerIDs: []string{"p"}, AcceptanceType: Accept}),
		"RemovePlayers":   h.m.RemovePlayers("gs-nope", "p"),
	} {
		var nf *NotFoundError
		require.ErrorAs(t, err, &nf, name)
		assert.ErrorIs(t, err, ErrNotFound, name)
		assert.Contains(t, nf.ID, "nope", name)
	}
	_, err = h.m.Explain("nope")
	assert.EqualError(t, err, `matchmaker: ticket "nope" not found`)
	_, err = h.m.AcknowledgeBackfill("nope")
	assert.EqualError(t, err, `matchmaker: backfill ticket "nope" not found`)

	err = h.m.StopMatchBackfill("a")
	var se *StateError
	require.ErrorAs(t, err, &se, "a is not a backfill ticket")
	assert.Equal(t, StateError{TicketID: "a", Status: StatusQueued, Op: "StopMatchBackfill"}, *se)
	assert.ErrorIs(t, err, ErrInvalidState)

	require.NoError(t, h.m.StopMatchmaking("a"))
	h.start("b", gomoku("pb", 1000)) // a stopped ticket frees its place under the limit
}

func TestStateErrorCarriesTheStatus(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/gomoku.json", Config{})
	h.start("a", gomoku("pa", 1000))
	h.start("b", gomoku("pb", 1000))
	h.tick(0)
	err := h.m.StopMatchmaking("a")
	var se *StateError
	require.True(t, errors.As(err, &se))
	assert.Equal(t, StatusCompleted, se.Status)
	assert.EqualError(t, err, `matchmaker: StopMatchmaking: ticket "a" is COMPLETED`)
}

package matchmaker

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWaitReturnsTheOutcome(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/gomoku.json", Config{})
	h.start("a", gomoku("pa", 1000))
	h.start("b", gomoku("pb", 1000))

	got := make(chan Ticket, 1)
	go func() {
		tk, err := h.m.Wait(context.Background(), "a")
		assert.NoError(t, err)
		got <- tk
	}()
	h.tick(0)
	tk := <-got
	assert.Equal(t, StatusCompleted, tk.Status)
	assert.NotEmpty(t, tk.MatchID)

	// An outcome that happened before the call is returned at once.
	tk, err := h.m.Wait(context.Background(), "b")
	require.NoError(t, err)
	assert.Equal(t, StatusCompleted, tk.Status)

	_, err = h.m.Wait(context.Background(), "nope")
	var nf *NotFoundError
	assert.ErrorAs(t, err, &nf)
}

func TestWaitHonoursItsContext(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/gomoku.json", Config{})
	h.start("a", gomoku("pa", 1000))
	ctx, cancel := context.WithCancelCause(context.Background())
	cause := errors.New("client went away")
	cancel(cause)
	_, err := h.m.Wait(ctx, "a")
	assert.ErrorIs(t, err, cause)

	ctx, stop := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer stop()
	_, err = h.m.Wait(ctx, "a")
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, StatusQueued, h.status("a"), "waiting changes nothing")

	done := make(chan Ticket)
	go func() {
		tk, _ := h.m.Wait(context.Background(), "a")
		done <- tk
	}()
	require.NoError(t, h.m.Close())
	assert.Equal(t, ReasonClosed, (<-done).StatusReason, "Close ends the ticket, and the wait with it")
}

func TestWatchTicketFollowsOneTicket(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/gomoku.json", Config{})
	h.start("a", gomoku("pa", 1000))
	h.start("other", gomoku("po", 5000))
	snap, sub, err := h.m.WatchTicket("a")
	require.NoError(t, err)
	defer sub.Close()
	assert.Equal(t, StatusQueued, snap.Status)
	h.start("b", gomoku("pb", 1000))
	h.tick(0)
	var types []string
	for e, ok := sub.TryNext(); ok; e, ok = sub.TryNext() {
		for _, tk := range e.ticketList() {
			if tk.TicketID == "other" {
				t.Errorf("a watcher of a sees %T about other", e)
			}
		}
		types = append(types, typeName(e))
	}
	assert.Equal(t, []string{"MatchmakingSearching", "PotentialMatchCreated", "MatchmakingSucceeded"}, types)

	// A watch that starts after the outcome shows it in the snapshot.
	snap, sub2, err := h.m.WatchTicket("a")
	require.NoError(t, err)
	defer sub2.Close()
	assert.Equal(t, StatusCompleted, snap.Status)
	assert.Equal(t, 2, h.m.Stats().Subscribers-1, "two watchers besides the harness's subscription")
}

func TestWatchGameSessionFollowsItsBackfill(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/gomoku.json", Config{}, WithMaxWatchers(1))
	_, err := h.m.StartMatchBackfill(StartMatchBackfillInput{GameSessionArn: "gs", Players: []Player{
		{PlayerID: "r", Team: "red", Attributes: num("score", 1000)}}})
	require.NoError(t, err)
	gs, sub, err := h.m.WatchGameSession("gs")
	require.NoError(t, err)
	assert.NotEmpty(t, gs.BackfillTicketID)
	_, _, err = h.m.WatchTicket(gs.BackfillTicketID)
	var le *LimitError
	require.ErrorAs(t, err, &le, "WithMaxWatchers(1)")
	h.start("j", gomoku("pj", 1000))
	h.tick(0)
	var got []string
	for e, ok := sub.TryNext(); ok; e, ok = sub.TryNext() {
		got = append(got, typeName(e))
	}
	assert.Contains(t, got, "MatchmakingDataUpdated")
	assert.Contains(t, got, "MatchmakingSucceeded")
	sub.Close()
	_, sub3, err := h.m.WatchTicket(gs.BackfillTicketID)
	require.NoError(t, err, "a closed watcher frees its place")
	sub3.Close()
}

func typeName(e Event) string {
	switch e.(type) {
	case *MatchmakingSearching:
		return "MatchmakingSearching"
	case *PotentialMatchCreated:
		return "PotentialMatchCreated"
	case *MatchmakingSucceeded:
		return "MatchmakingSucceeded"
	case *MatchmakingDataUpdated:
		return "MatchmakingDataUpdated"
	}
	return "other"
}

func TestCustomEventDataIsInEveryEvent(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/gomoku.json", Config{CustomEventData: "queue=eu-ranked"})
	h.start("a", gomoku("pa", 1000))
	h.start("b", gomoku("pb", 1000))
	evs := h.tick(0)
	require.NotEmpty(t, evs)
	for _, e := range evs {
		assert.Equal(t, "queue=eu-ranked", e.header().CustomEventData, "%T", e)
	}
}

// A ticket ID and a game session ARN that are the same string are watched apart.
func TestWatchKeysDoNotCollide(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/gomoku.json", Config{})
	_, err := h.m.StartMatchBackfill(StartMatchBackfillInput{GameSessionArn: "same", Players: []Player{
		{PlayerID: "r", Team: "red", Attributes: num("score", 9000)}}})
	require.NoError(t, err)
	h.start("same", gomoku("p", 1000))
	_, sub, err := h.m.WatchTicket("same")
	require.NoError(t, err)
	defer sub.Close()
	require.NoError(t, h.m.EndGameSession("same"))
	for e, ok := sub.TryNext(); ok; e, ok = sub.TryNext() {
		t.Errorf("the ticket's watcher got %T about the session", e)
	}
}

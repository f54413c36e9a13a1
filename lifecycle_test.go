package matchmaker

import (
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMain fails the package's tests if any of them made an illegal ticket transition, so that
// a bug in the lifecycle cannot hide behind a log line.
func TestMain(m *testing.M) {
	var mu sync.Mutex
	var bugs []string
	lifecycleBug = func(msg string) {
		mu.Lock()
		bugs = append(bugs, msg+"\n"+string(debug.Stack()))
		mu.Unlock()
	}
	code := m.Run()
	if len(bugs) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: %d illegal ticket transitions; the first:\n%s\n", len(bugs), bugs[0])
		code = 1
	}
	os.Exit(code)
}

type edge struct{ from, to TicketStatus }

// recordTransitions collects the transitions made until the test ends.
func recordTransitions(t *testing.T) map[edge]bool {
	var mu sync.Mutex
	seen := map[edge]bool{}
	observeTransition = func(from, to TicketStatus) {
		mu.Lock()
		seen[edge{from, to}] = true
		mu.Unlock()
	}
	t.Cleanup(func() { observeTransition = nil })
	return seen
}

func gomoku(id string, score float64) Player { return player1(id, num("score", score)) }

// TestLifecycleEveryTransitionIsReachable drives a ticket along every edge of the status graph
// through the public API, and checks that no other edge was taken.
func TestLifecycleEveryTransitionIsReachable(t *testing.T) {
	seen := recordTransitions(t)
	const rules = "testdata/rulesets/gomoku.json"

	t.Run("match, stop, timeouts", func(t *testing.T) {
		h := newHarness(t, rules, Config{RequestTimeout: 60 * time.Second})
		h.start("q-stopped", gomoku("p1", 1000))
		require.NoError(t, h.m.StopMatchmaking("q-stopped")) // QUEUED -> CANCELLED
		h.start("a", gomoku("pa", 1000))
		h.start("b", gomoku("pb", 1100))
		h.tick(0) // QUEUED -> SEARCHING -> COMPLETED
		require.Equal(t, StatusCompleted, h.status("a"))
		h.start("lonely", gomoku("pl", 1000))
		h.start("far", gomoku("pf", 9000))
		h.tick(1)
		require.NoError(t, h.m.StopMatchmaking("far")) // SEARCHING -> CANCELLED
		h.tick(70)                                     // SEARCHING -> TIMED_OUT
		require.Equal(t, StatusTimedOut, h.status("lonely"))
		h.at(80)
		h.start("late", gomoku("pz", 1000))
		h.tick(150) // QUEUED -> TIMED_OUT: its timeout passed before any tick saw it
		require.Equal(t, StatusTimedOut, h.status("late"))
	})

	t.Run("acceptance", func(t *testing.T) {
		h := newHarness(t, rules, Config{AcceptanceRequired: true})
		h.start("a", gomoku("pa", 1000))
		h.start("b", gomoku("pb", 1000))
		h.tick(0) // SEARCHING -> REQUIRES_ACCEPTANCE
		require.Equal(t, StatusRequiresAcceptance, h.status("a"))
		require.NoError(t, h.m.AcceptMatch(AcceptMatchInput{TicketID: "a", PlayerIDs: []string{"pa"}, AcceptanceType: Accept}))
		require.NoError(t, h.m.AcceptMatch(AcceptMatchInput{TicketID: "b", PlayerIDs: []string{"pb"}, AcceptanceType: Reject}))
		assert.Equal(t, StatusSearching, h.status("a"), "REQUIRES_ACCEPTANCE -> SEARCHING")
		assert.Equal(t, StatusCancelled, h.status("b"), "REQUIRES_ACCEPTANCE -> CANCELLED")
		h.start("c", gomoku("pc", 1000))
		h.tick(1)
		for _, id := range []string{"a", "c"} {
			pl := map[string]string{"a": "pa", "c": "pc"}[id]
			require.NoError(t, h.m.AcceptMatch(AcceptMatchInput{TicketID: id, PlayerIDs: []string{pl}, AcceptanceType: Accept}))
		}
		assert.Equal(t, StatusCompleted, h.status("c"), "REQUIRES_ACCEPTANCE -> COMPLETED")
	})

	t.Run("acknowledged backfill", func(t *testing.T) {
		h := newHarness(t, rules, Config{BackfillAcknowledgeTimeout: 30 * time.Second})
		bf, err := h.m.StartMatchBackfill(StartMatchBackfillInput{GameSessionArn: "gs-1",
			Players: []Player{{PlayerID: "r1", Team: "red", Attributes: num("score", 1000)}}})
		require.NoError(t, err)
		h.start("j1", gomoku("pj1", 1000))
		h.tick(0) // joiner SEARCHING -> PLACING; the backfill SEARCHING -> SEARCHING
		require.Equal(t, StatusPlacing, h.status("j1"))
		_, err = h.m.AcknowledgeBackfill(bf.TicketID) // PLACING -> COMPLETED
		require.NoError(t, err)
		require.Equal(t, StatusCompleted, h.status("j1"))
		require.NoError(t, h.m.RemovePlayers("gs-1", "pj1"))
		h.start("j2", gomoku("pj2", 1000))
		h.tick(1)
		require.Equal(t, StatusPlacing, h.status("j2"))
		require.NoError(t, h.m.StopMatchBackfill(bf.TicketID)) // PLACING -> SEARCHING
		require.Equal(t, StatusSearching, h.status("j2"))

		_, err = h.m.StartMatchBackfill(StartMatchBackfillInput{GameSessionArn: "gs-2",
			Players: []Player{{PlayerID: "r2", Team: "red", Attributes: num("score", 1000)}}})
		require.NoError(t, err)
		h.tick(2)
		require.Equal(t, StatusPlacing, h.status("j2"))
		require.NoError(t, h.m.Close()) // PLACING -> CANCELLED
		require.Equal(t, StatusCancelled, h.status("j2"))
	})

	t.Run("acceptance before an acknowledged backfill", func(t *testing.T) {
		h := newHarness(t, rules, Config{AcceptanceRequired: true, BackfillAcknowledgeTimeout: 30 * time.Second})
		_, err := h.m.StartMatchBackfill(StartMatchBackfillInput{GameSessionArn: "gs-1",
			Players: []Player{{PlayerID: "r1", Team: "red", Attributes: num("score", 1000)}}})
		require.NoError(t, err)
		h.start("j", gomoku("pj", 1000))
		h.tick(0)
		require.Equal(t, StatusRequiresAcceptance, h.status("j"))
		require.NoError(t, h.m.AcceptMatch(AcceptMatchInput{TicketID: "j", PlayerIDs: []string{"pj"}, AcceptanceType: Accept}))
		require.Equal(t, StatusPlacing, h.status("j"), "REQUIRES_ACCEPTANCE -> PLACING")

		bf, err := h.m.StartMatchBackfill(StartMatchBackfillInput{GameSessionArn: "gs-2",
			Players: []Player{{PlayerID: "r2", Team: "red", Attributes: num("score", 1000)}}})
		require.NoError(t, err)
		h.start("k", gomoku("pk", 1000))
		h.tick(1)
		require.Equal(t, StatusRequiresAcceptance, h.status(bf.TicketID))
		h.tick(31) // the game server never acknowledged: REQUIRES_ACCEPTANCE -> TIMED_OUT
		require.Equal(t, StatusTimedOut, h.status(bf.TicketID))
	})

	t.Run("placement through the host", func(t *testing.T) {
		placer := &recordingPlacer{}
		h := newHarness(t, rules, Config{FlexMatchMode: WithQueue, Placer: placer})
		h.start("a", gomoku("pa", 1000))
		h.start("b", gomoku("pb", 1000))
		h.tick(0) // SEARCHING -> PLACING
		require.NoError(t, h.m.FailPlacement(placer.last(t).PlacementID, "no server", false))
		require.Equal(t, StatusFailed, h.status("a"), "PLACING -> FAILED")
	})

	var want []edge
	for from, tos := range transitions {
		for _, to := range tos {
			want = append(want, edge{from, to})
			assert.True(t, seen[edge{from, to}], "legal transition %s -> %s was never taken", from, to)
		}
	}
	for e := range seen {
		assert.True(t, legalTransition(e.from, e.to), "illegal transition %s -> %s was taken", e.from, e.to)
	}
	assert.Len(t, want, 18)
}

// TestLifecycleRefusesIllegalTransitions: an illegal transition is refused, logged and, in
// tests, reported.
func TestLifecycleRefusesIllegalTransitions(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/gomoku.json", Config{})
	h.start("a", gomoku("pa", 1000))
	h.m.mu.Lock()
	defer h.m.mu.Unlock()
	tk := h.m.tickets["a"]
	report := lifecycleBug
	var reported []string
	lifecycleBug = func(msg string) { reported = append(reported, msg) }
	defer func() { lifecycleBug = report }()
	for _, to := range []TicketStatus{StatusCompleted, StatusPlacing, StatusRequiresAcceptance, StatusFailed, StatusQueued} {
		assert.False(t, h.m.moveLocked(tk, to), "QUEUED -> %s", to)
		assert.Equal(t, StatusQueued, tk.status, "a refused transition changes nothing")
	}
	require.Len(t, reported, 5)
	assert.Contains(t, reported[0], "cannot move from QUEUED to COMPLETED")
	require.Len(t, h.m.logs, 5, "each refusal is logged")
	assert.Equal(t, slog.LevelError, h.m.logs[0].level)
	for _, terminal := range []TicketStatus{StatusCompleted, StatusFailed, StatusCancelled, StatusTimedOut} {
		assert.Empty(t, transitions[terminal], "%s is terminal", terminal)
	}
}

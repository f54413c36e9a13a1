package matchmaker

// Regression tests for defects found in review, one per defect.

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEmptyPartyWithStringBatchIsRefusedNotPanicking(t *testing.T) {
	rs := MustParseRuleSet([]byte(`{"ruleLanguageVersion":"1.0","playerAttributes":[{"name":"mode","type":"string","default":"a"}],
		"teams":[{"name":"t","minPlayers":2,"maxPlayers":2}],
		"rules":[{"name":"SameMode","type":"batchDistance","batchAttribute":"mode"}]}`))
	m, err := New(Config{RuleSet: rs})
	require.NoError(t, err)
	_, err = m.StartMatchmaking(StartMatchmakingInput{TicketID: "x"})
	assert.ErrorIs(t, err, ErrInvalidInput)
}

func TestCloseDuringAcceptanceEndsEveryTicketAsClosed(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/lobby-2-4.json", Config{AcceptanceRequired: true})
	h.start("a", player1("a", nil))
	h.start("b", player1("b", nil))
	h.tick(0)
	require.Equal(t, StatusRequiresAcceptance, h.status("a"))
	require.NoError(t, h.m.Close())
	evs := h.drain()
	assert.Empty(t, eventsOf[*AcceptMatchCompleted](evs), "nobody rejected")
	cancelled := eventsOf[*MatchmakingCancelled](evs)
	require.Len(t, cancelled, 2)
	for _, c := range cancelled {
		assert.Equal(t, ReasonClosed, c.Reason)
	}
}

func TestSessionQueueStaysProportional(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/lobby-2-4.json", Config{}, WithMaxGameSessions(10))
	for i := range 2000 {
		arn := fmt.Sprintf("gs-%d", i)
		_, err := h.m.StartMatchBackfill(StartMatchBackfillInput{GameSessionArn: arn, Players: []Player{{PlayerID: "p" + arn, Team: "players"}}})
		require.NoError(t, err)
		require.NoError(t, h.m.EndGameSession(arn))
	}
	h.m.mu.Lock()
	defer h.m.mu.Unlock()
	assert.LessOrEqual(t, len(h.m.sessionQueue), 2*len(h.m.sessions)+64)
}

func TestReplacedBackfillDuringAcceptanceReturnsJoinersToSearch(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/lobby-2-4.json", Config{AcceptanceRequired: true})
	roster := []Player{{PlayerID: "r", Team: "players"}}
	_, err := h.m.StartMatchBackfill(StartMatchBackfillInput{TicketID: "bf", GameSessionArn: "gs", Players: roster})
	require.NoError(t, err)
	h.start("a", player1("a", nil))
	h.tick(0)
	require.Equal(t, StatusRequiresAcceptance, h.status("a"))
	_, err = h.m.StartMatchBackfill(StartMatchBackfillInput{TicketID: "bf2", GameSessionArn: "gs", Players: roster})
	require.NoError(t, err)
	completed := eventsOf[*AcceptMatchCompleted](h.drain())
	require.Len(t, completed, 1)
	assert.Equal(t, "Cancelled", completed[0].Acceptance)
	assert.Equal(t, StatusSearching, h.status("a"), "the joining player did nothing wrong")
}

func TestReplacingABackfillAtTheLimit(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/lobby-2-4.json", Config{}, WithMaxBackfills(1))
	roster := []Player{{PlayerID: "r", Team: "players"}}
	_, err := h.m.StartMatchBackfill(StartMatchBackfillInput{GameSessionArn: "gs", Players: roster})
	require.NoError(t, err)
	_, err = h.m.StartMatchBackfill(StartMatchBackfillInput{GameSessionArn: "gs", Players: roster})
	require.NoError(t, err, "a replacement does not add a backfill")
	_, err = h.m.StartMatchBackfill(StartMatchBackfillInput{GameSessionArn: "other", Players: []Player{{PlayerID: "o", Team: "players"}}})
	assert.ErrorIs(t, err, ErrLimit)
}

func TestTimeoutPassedDuringAcceptanceEndsTheTicket(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/lobby-2-4.json",
		Config{AcceptanceRequired: true, RequestTimeout: 10 * time.Second, AcceptanceTimeout: 30 * time.Second})
	h.start("c", player1("c", nil))
	h.start("d", player1("d", nil))
	h.start("e", player1("e", nil))
	h.tick(1)
	require.NoError(t, h.m.AcceptMatch(AcceptMatchInput{TicketID: "c", PlayerIDs: []string{"c"}, AcceptanceType: Accept}))
	require.NoError(t, h.m.AcceptMatch(AcceptMatchInput{TicketID: "d", PlayerIDs: []string{"d"}, AcceptanceType: Accept}))
	h.drain()
	h.start("f", player1("f", nil))
	evs := h.tick(31) // acceptance times out; c and d accepted, but their 10 s passed long ago
	assert.Empty(t, eventsOf[*PotentialMatchCreated](evs), "no match for tickets past their timeout")
	assert.Equal(t, StatusTimedOut, h.status("c"))
	assert.Equal(t, StatusTimedOut, h.status("d"))
	assert.Equal(t, StatusCancelled, h.status("e"), "e never answered")
}

func TestRefusedRequestsLeaveNoRegions(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/lobby-2-4.json", Config{})
	for i := range 100 {
		_, err := h.m.StartMatchmaking(StartMatchmakingInput{TicketID: "bad id!", Players: []Player{
			{PlayerID: "p", LatencyInMs: Latencies{fmt.Sprintf("r%d", i): 10}}}})
		require.Error(t, err)
	}
	h.m.mu.Lock()
	defer h.m.mu.Unlock()
	assert.Zero(t, h.m.regions.inUse())
	assert.LessOrEqual(t, len(h.m.regions.names), 1, "a refused request's name is reused by the next")
}

func TestAcknowledgeCommitsEveryProposalOfOneWindow(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/lobby-2-4.json", Config{BackfillAcknowledgeTimeout: 30 * time.Second})
	_, err := h.m.StartMatchBackfill(StartMatchBackfillInput{TicketID: "bf", GameSessionArn: "gs", Players: []Player{{PlayerID: "r", Team: "players"}}})
	require.NoError(t, err)
	h.start("a", player1("a", nil))
	h.tick(0)
	h.start("b", player1("b", nil))
	h.tick(1)
	require.Equal(t, StatusPlacing, h.status("b"))
	out, err := h.m.AcknowledgeBackfill("bf")
	require.NoError(t, err)
	assert.Len(t, out.Assigned, 2)
	assert.Empty(t, out.Rejected, "no roster change between the proposals")
}

// callbackHandler is a slog handler that calls back into the Matchmaker, as user code may.
type callbackHandler struct {
	slog.Handler
	m **Matchmaker
}

func (h callbackHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h callbackHandler) Handle(context.Context, slog.Record) error {
	_ = (*h.m).Stats()
	return nil
}

func TestLoggerIsCalledWithoutLocks(t *testing.T) {
	var mp *Matchmaker
	h := newHarness(t, "testdata/rulesets/lobby-2-4.json", Config{FlexMatchMode: WithQueue},
		WithMaxGameSessions(1), WithLogger(slog.New(callbackHandler{Handler: slog.DiscardHandler, m: &mp})))
	mp = h.m
	var full []Player
	for i := range 4 {
		full = append(full, Player{PlayerID: fmt.Sprintf("r%d", i), Team: "players"})
	}
	_, err := h.m.StartMatchBackfill(StartMatchBackfillInput{GameSessionArn: "busy", Players: full})
	require.NoError(t, err)
	h.start("a", player1("a", nil))
	h.start("b", player1("b", nil))
	done := make(chan struct{})
	go func() { h.m.Tick(t0); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("deadlock: the logger was called with a lock held")
	}
}

func TestEmptyRosterChangesAreRefused(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/lobby-2-4.json", Config{})
	_, err := h.m.StartMatchBackfill(StartMatchBackfillInput{GameSessionArn: "gs", Players: []Player{{PlayerID: "r", Team: "players"}}})
	require.NoError(t, err)
	assert.ErrorIs(t, h.m.AddPlayers("gs"), ErrInvalidInput)
	assert.ErrorIs(t, h.m.RemovePlayers("gs"), ErrInvalidInput)
	gs, _ := h.m.DescribeGameSession("gs")
	assert.Equal(t, uint64(1), gs.Version, "nothing changed")
}

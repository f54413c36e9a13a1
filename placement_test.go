package matchmaker

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recordingPlacer collects placement requests.
type recordingPlacer struct {
	mu   sync.Mutex
	reqs []PlacementRequest
}

func (p *recordingPlacer) Place(req PlacementRequest) {
	p.mu.Lock()
	p.reqs = append(p.reqs, req)
	p.mu.Unlock()
}

func (p *recordingPlacer) last(t *testing.T) PlacementRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	require.NotEmpty(t, p.reqs)
	return p.reqs[len(p.reqs)-1]
}

func TestPlacementThroughTheHost(t *testing.T) {
	placer := &recordingPlacer{}
	h := newHarness(t, "testdata/rulesets/gomoku.json", Config{FlexMatchMode: WithQueue, Placer: placer, PlacementTimeout: 30 * time.Second})
	h.start("a", gomoku("pa", 1000))
	h.start("b", gomoku("pb", 1000))
	h.tick(0)
	req := placer.last(t)
	assert.Len(t, req.Tickets, 2)
	assert.Equal(t, t0.Add(30*time.Second), req.Deadline)
	assert.Equal(t, StatusPlacing, h.status("a"), "tickets wait in PLACING for the host")
	assert.ErrorIs(t, h.m.StopMatchmaking("a"), ErrInvalidState, "a PLACING ticket cannot be stopped, as in FlexMatch")

	err := h.m.CompletePlacement(req.PlacementID, PlacedGameSession{GameSessionArn: "arn:fleet/gs-1",
		IPAddress: "10.0.0.7", Port: 7777, PlayerSessionIDs: map[string]string{"pa": "psess-a"}})
	require.NoError(t, err)
	done := matches(h.drain())
	require.Len(t, done, 1)
	info := done[0].GameSessionInfo
	assert.Equal(t, "arn:fleet/gs-1", info.GameSessionArn)
	assert.Equal(t, "10.0.0.7", info.IPAddress)
	assert.Equal(t, 7777, info.Port)
	for _, p := range info.Players {
		if p.PlayerID == "pa" {
			assert.Equal(t, "psess-a", p.PlayerSessionID)
		}
	}
	assert.Equal(t, StatusCompleted, h.status("a"))
	gs, err := h.m.DescribeGameSession("arn:fleet/gs-1")
	require.NoError(t, err, "the placed session is known, for backfill")
	assert.Equal(t, 2, len(gs.MatchmakerData.Teams[0].Players)+len(gs.MatchmakerData.Teams[1].Players))

	var nf *NotFoundError
	assert.ErrorAs(t, h.m.CompletePlacement(req.PlacementID, PlacedGameSession{GameSessionArn: "x"}), &nf, "a placement completes once")
}

func TestPlacementFailsOrRetries(t *testing.T) {
	placer := &recordingPlacer{}
	h := newHarness(t, "testdata/rulesets/gomoku.json", Config{FlexMatchMode: WithQueue, Placer: placer, PlacementTimeout: 30 * time.Second})
	h.start("a", gomoku("pa", 1000))
	h.start("b", gomoku("pb", 1000))
	h.tick(0)
	var ve *ValidationError
	require.ErrorAs(t, h.m.CompletePlacement(placer.last(t).PlacementID, PlacedGameSession{}), &ve, "a session ARN is required")

	require.NoError(t, h.m.FailPlacement(placer.last(t).PlacementID, "no capacity", true))
	assert.Equal(t, StatusSearching, h.status("a"), "retry: the tickets search again")
	h.tick(1)
	require.NoError(t, h.m.FailPlacement(placer.last(t).PlacementID, "fleet gone", false))
	tk := h.m.DescribeMatchmaking("a")[0]
	assert.Equal(t, StatusFailed, tk.Status)
	assert.Equal(t, ReasonPlacementFailed, tk.StatusReason)
	assert.Equal(t, "fleet gone", tk.StatusMessage)

	h.start("c", gomoku("pc", 1000))
	h.start("d", gomoku("pd", 1000))
	h.tick(2)
	first := placer.last(t)
	h.tick(31)
	assert.Equal(t, first, placer.last(t), "no new request before the deadline")
	h.tick(32) // nobody answered: the placement times out, the tickets search again and match again
	again := placer.last(t)
	assert.NotEqual(t, first.PlacementID, again.PlacementID)
	assert.Equal(t, StatusPlacing, h.status("c"))
	var nf *NotFoundError
	assert.ErrorAs(t, h.m.CompletePlacement(first.PlacementID, PlacedGameSession{GameSessionArn: "late"}), &nf, "a timed-out placement cannot complete")
}

func TestPlacerNeedsWithQueue(t *testing.T) {
	_, err := New(Config{RuleSet: MustParseRuleSet(mustRead(t, "testdata/rulesets/gomoku.json")), FlexMatchMode: Standalone, Placer: &recordingPlacer{}})
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "Placer", ve.Problems[0].Path)
}

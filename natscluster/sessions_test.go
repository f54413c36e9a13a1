package natscluster

import (
	"context"
	"fmt"
	"testing"
	"time"

	mm "github.com/seed-04d22514/matchmaker"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// placingConfig places matches through the host: each node's Placer sends its requests to
// placed.
func placingConfig(placed chan<- mm.PlacementRequest) func(string) (mm.Config, []mm.Option) {
	return func(part string) (mm.Config, []mm.Option) {
		cfg, opts := duelConfig(part)
		cfg.FlexMatchMode = mm.WithQueue
		cfg.PlacementTimeout = 10 * time.Minute
		cfg.Placer = mm.PlacerFunc(func(r mm.PlacementRequest) { placed <- r })
		return cfg, opts
	}
}

// nextPlacement returns the next placement request a node's Placer got.
func nextPlacement(t *testing.T, c <-chan mm.PlacementRequest) mm.PlacementRequest {
	t.Helper()
	select {
	case r := <-c:
		return r
	case <-time.After(20 * time.Second):
		t.Fatal("no placement request")
		return mm.PlacementRequest{}
	}
}

func noPlacement(t *testing.T, c <-chan mm.PlacementRequest) {
	t.Helper()
	select {
	case r := <-c:
		t.Fatalf("unexpected placement request %s", r.PlacementID)
	case <-time.After(200 * time.Millisecond):
	}
}

// TestPlacementAndSessionsThroughTheOwner places matches through the owner's Placer, reports
// placements and roster changes through a node that does not own the partition, and checks
// that a new owner places again the matches its predecessor left pending.
func TestPlacementAndSessionsThroughTheOwner(t *testing.T) {
	s := startServer(t, serverOptions(t.TempDir(), "s0"))
	placedA := make(chan mm.PlacementRequest, 16)
	placedB := make(chan mm.PlacementRequest, 16)
	placedAPI := make(chan mm.PlacementRequest, 16)

	cfg := testConfig(connect(t, s.ClientURL()), "a")
	cfg.Matchmaker = placingConfig(placedA)
	a := startNode(t, cfg)
	owner(t, "duel", a)
	cfg = testConfig(connect(t, s.ClientURL()), "b")
	cfg.Matchmaker = placingConfig(placedB)
	b := startNode(t, cfg)
	cfg = testConfig(connect(t, s.ClientURL()), "api")
	cfg.Matchmaker, cfg.Follower = placingConfig(placedAPI), true
	api := startNode(t, cfg).Partition("duel")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	match := func(x, y string) mm.PlacementRequest {
		for _, id := range []string{x, y} {
			_, err := api.StartMatchmaking(ctx, solo(id))
			require.NoError(t, err)
		}
		return nextPlacement(t, placedA)
	}

	// The owner's Placer gets the match once it has committed: every node can see it then.
	pr := match("t1", "t2")
	require.NoError(t, api.CatchUp(ctx))
	pending, err := api.Placements(ctx)
	require.NoError(t, err)
	require.Len(t, pending, 1)
	assert.Equal(t, pr.PlacementID, pending[0].PlacementID)
	tk, err := api.DescribeMatchmaking(ctx, "t1")
	require.NoError(t, err)
	assert.Equal(t, mm.StatusPlacing, tk[0].Status)

	placed := mm.PlacedGameSession{GameSessionArn: "gs-1", IPAddress: "10.0.0.1", Port: 7777}
	require.NoError(t, api.CompletePlacement(ctx, pr.PlacementID, placed))
	require.NoError(t, api.CompletePlacement(ctx, pr.PlacementID, placed), "a retry returns the first result")
	tk1, err := api.Wait(ctx, "t1")
	require.NoError(t, err)
	assert.Equal(t, mm.StatusCompleted, tk1.Status)
	assert.Equal(t, "gs-1", tk1.GameSessionArn)
	err = api.FailPlacement(ctx, pr.PlacementID, "too late", false)
	assert.ErrorIs(t, err, mm.ErrNotFound, "the placement has completed")

	// Roster changes through the API node.
	require.NoError(t, api.CatchUp(ctx))
	gs, err := api.DescribeGameSession(ctx, "gs-1")
	require.NoError(t, err)
	assert.Len(t, gs.MatchmakerData.Teams, 2)
	require.NoError(t, api.RemovePlayers(ctx, "gs-1", "p-t1"))
	err = api.RemovePlayers(ctx, "gs-1", "p-nobody")
	assert.ErrorIs(t, err, mm.ErrInvalidInput)
	require.NoError(t, api.AddPlayers(ctx, "gs-1", mm.Player{PlayerID: "friend", Team: "red"}))
	require.NoError(t, api.CatchUp(ctx))
	gs2, err := api.DescribeGameSession(ctx, "gs-1")
	require.NoError(t, err)
	assert.Equal(t, gs.Version+2, gs2.Version)
	var players []string
	for _, team := range gs2.MatchmakerData.Teams {
		for _, p := range team.Players {
			players = append(players, p.PlayerID)
		}
	}
	assert.ElementsMatch(t, []string{"friend", "p-t2"}, players)
	require.NoError(t, api.EndGameSession(ctx, "gs-1"))
	require.NoError(t, api.CatchUp(ctx))
	_, err = api.DescribeGameSession(ctx, "gs-1")
	assert.ErrorIs(t, err, mm.ErrNotFound)
	assert.ErrorIs(t, api.EndGameSession(ctx, "gs-1"), mm.ErrNotFound)

	// A placement that fails ends its tickets.
	pr = match("t3", "t4")
	require.NoError(t, api.FailPlacement(ctx, pr.PlacementID, "no capacity", false))
	tk3, err := api.Wait(ctx, "t3")
	require.NoError(t, err)
	assert.Equal(t, mm.StatusFailed, tk3.Status)

	// A placement left pending when the owner goes is placed again by the next owner.
	pr = match("t5", "t6")
	noPlacement(t, placedB)
	require.NoError(t, a.Close())
	again := nextPlacement(t, placedB)
	assert.Equal(t, pr.PlacementID, again.PlacementID)
	assert.True(t, pr.Deadline.Equal(again.Deadline), "%v, then %v", pr.Deadline, again.Deadline)
	assert.True(t, b.Partition("duel").IsOwner())
	require.NoError(t, api.CompletePlacement(ctx, again.PlacementID, mm.PlacedGameSession{GameSessionArn: "gs-2"}))
	tk5, err := api.Wait(ctx, "t5")
	require.NoError(t, err)
	assert.Equal(t, "gs-2", tk5.GameSessionArn)
	noPlacement(t, placedAPI) // a node that never owns places nothing
}

// TestWaitAnywhereAfterStart waits on a ticket through another node as soon as its
// StartMatchmaking returned: the waiting node catches up with the journal before it says the
// ticket is unknown.
func TestWaitAnywhereAfterStart(t *testing.T) {
	own, api := ownerAndFollower(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i := range 20 {
		id := fmt.Sprint("w", i)
		_, err := own.Partition("duel").StartMatchmaking(ctx, solo(id))
		require.NoError(t, err)
		wctx, wcancel := context.WithTimeout(ctx, 50*time.Millisecond)
		_, err = api.Wait(wctx, id)
		wcancel()
		assert.ErrorIs(t, err, context.DeadlineExceeded, "ticket %s: found and still searching", id)
		_, err = own.Partition("duel").StartMatchmaking(ctx, solo(id+"x"))
		require.NoError(t, err)
		tk, err := api.Wait(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, mm.StatusCompleted, tk.Status)
	}
	_, err := api.Wait(ctx, "never-started")
	assert.ErrorIs(t, err, mm.ErrNotFound)
}

// TestExplainOnAnyNode explains a searching ticket from a node that does not own it.
func TestExplainOnAnyNode(t *testing.T) {
	_, api := ownerAndFollower(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := api.StartMatchmaking(ctx, solo("lonely"))
	require.NoError(t, err)
	ex, err := api.Explain(ctx, "lonely")
	require.NoError(t, err)
	assert.Equal(t, "lonely", ex.TicketID)
	_, err = api.Explain(ctx, "nobody")
	assert.ErrorIs(t, err, mm.ErrNotFound)
}

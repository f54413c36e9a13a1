package natscluster

import (
	"context"
	"testing"
	"time"

	mm "github.com/seed-04d22514/matchmaker"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRequestsThroughTheOwner runs acceptance and acknowledged backfill from a node that does
// not own the partitions.
func TestRequestsThroughTheOwner(t *testing.T) {
	s := startServer(t, serverOptions(t.TempDir(), "s0"))
	config := func(part string) (mm.Config, []mm.Option) {
		cfg, opts := duelConfig(part)
		if part == "acc" {
			cfg.AcceptanceRequired, cfg.AcceptanceTimeout = true, time.Minute
		} else {
			cfg.BackfillAcknowledgeTimeout = time.Minute
		}
		return cfg, opts
	}
	cfg := testConfig(connect(t, s.ClientURL()), "owner")
	cfg.Partitions, cfg.Matchmaker = []string{"acc", "bf"}, config
	own := startNode(t, cfg)
	cfg = testConfig(connect(t, s.ClientURL()), "api")
	cfg.Partitions, cfg.Matchmaker, cfg.Follower = []string{"acc", "bf"}, config, true
	api := startNode(t, cfg)
	owner(t, "acc", own)
	owner(t, "bf", own)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	acc := api.Partition("acc")
	sub, err := acc.Subscribe(ctx)
	require.NoError(t, err)
	for _, id := range []string{"a", "b"} {
		_, err := acc.StartMatchmaking(ctx, solo(id))
		require.NoError(t, err)
	}
	for e := range sub.C() {
		if e.EventType() == "PotentialMatchCreated" {
			break
		}
	}
	for _, id := range []string{"a", "b"} {
		require.NoError(t, acc.AcceptMatch(ctx, mm.AcceptMatchInput{TicketID: id, PlayerIDs: []string{"p-" + id},
			AcceptanceType: mm.Accept}))
	}
	tk, err := acc.Wait(ctx, "a")
	require.NoError(t, err)
	assert.Equal(t, mm.StatusCompleted, tk.Status)
	err = acc.AcceptMatch(ctx, mm.AcceptMatchInput{TicketID: "a", PlayerIDs: []string{"p-a"}, AcceptanceType: mm.Accept})
	assert.ErrorIs(t, err, mm.ErrInvalidState)
	var remote *RemoteError
	assert.ErrorAs(t, err, &remote)

	bf := api.Partition("bf")
	bt, err := bf.StartMatchBackfill(ctx, mm.StartMatchBackfillInput{GameSessionArn: "gs1",
		Players: []mm.Player{{PlayerID: "host", Team: "red"}}})
	require.NoError(t, err)
	assert.True(t, bt.Backfill)
	_, err = bf.StartMatchmaking(ctx, solo("joiner"))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		out, err := bf.AcknowledgeBackfill(ctx, bt.TicketID)
		require.NoError(t, err)
		return len(out.Assigned) == 1 && out.Assigned[0].TicketID == "joiner"
	}, 10*time.Second, 20*time.Millisecond)
	require.NoError(t, bf.StopMatchBackfill(ctx, bt.TicketID))
	_, err = bf.AcknowledgeBackfill(ctx, "nope")
	assert.ErrorIs(t, err, mm.ErrNotFound)
}

// Node.Close ends a call still waiting for its partition to load (it used to wait for its
// ctx).
func TestCloseEndsCallsWaitingForTheLoad(t *testing.T) {
	s := startServer(t, serverOptions(t.TempDir(), "s0"))
	p := idlePartition(t, testConfig(connect(t, s.ClientURL()), "a")) // never loads
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := p.StartMatchmaking(ctx, solo("t"))
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	p.close()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, mm.ErrClosed)
	case <-time.After(5 * time.Second):
		t.Fatal("the call still waits")
	}
	assert.ErrorIs(t, p.CatchUp(ctx), mm.ErrClosed)
}

// A StartMatchmaking retried within DedupWindow after its ticket was forgotten fails with
// ErrResultUnknown (it used to return an empty ticket and no error).
func TestRetryAfterTheTicketIsForgotten(t *testing.T) {
	s := startServer(t, serverOptions(t.TempDir(), "s0"))
	cfg := testConfig(connect(t, s.ClientURL()), "a")
	cfg.Matchmaker = func(part string) (mm.Config, []mm.Option) {
		c, opts := duelConfig(part)
		c.RequestTimeout = time.Second
		return c, append(opts, mm.WithTicketRetention(0))
	}
	n := startNode(t, cfg)
	owner(t, "duel", n)
	p := n.Partition("duel")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tk, err := p.StartMatchmaking(ctx, solo("t"))
	require.NoError(t, err)
	assert.Equal(t, "t", tk.TicketID)
	require.Eventually(t, func() bool { // it times out, and is forgotten at once
		ts, err := p.DescribeMatchmaking(ctx, "t")
		return err == nil && len(ts) == 0
	}, 10*time.Second, 20*time.Millisecond)
	_, err = p.StartMatchmaking(ctx, solo("t"))
	assert.ErrorIs(t, err, ErrResultUnknown)
}

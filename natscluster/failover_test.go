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

// pair starts a server and two nodes with their connections, and returns the owner first.
func pair(t *testing.T) (own, standby *Node, ownConn func()) {
	s := startServer(t, serverOptions(t.TempDir(), "s0"))
	ca, cb := connect(t, s.ClientURL()), connect(t, s.ClientURL())
	a := startNode(t, testConfig(ca, "a"))
	b := startNode(t, testConfig(cb, "b"))
	if owner(t, "duel", a, b) == a {
		return a, b, ca.Close
	}
	return b, a, cb.Close
}

func TestStandbyTakesOverWhenTheOwnerDies(t *testing.T) {
	own, standby, crash := pair(t)
	ctx := context.Background()
	_, err := own.Partition("duel").StartMatchmaking(ctx, solo("before"))
	require.NoError(t, err)
	start := time.Now()
	crash() // the owner's connection is gone: it neither renews its lease nor commits
	require.Eventually(t, standby.Partition("duel").IsOwner, 10*time.Second, 5*time.Millisecond)
	took := time.Since(start)
	assert.Less(t, took, 3*time.Second, "failover took %v with a 1 s lease", took) // loose: CI machines are shared
	assert.Zero(t, standby.Partition("duel").Metrics().Loads-1, "the standby took over without reloading")

	_, err = standby.Partition("duel").StartMatchmaking(ctx, solo("after"))
	require.NoError(t, err)
	for _, id := range []string{"before", "after"} {
		tk, err := standby.Partition("duel").Wait(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, mm.StatusCompleted, tk.Status)
	}
}

func TestPausedOwnerIsFencedOnItsNextAppend(t *testing.T) {
	own, standby, _ := pair(t)
	ctx := context.Background()
	p := own.Partition("duel")
	p.mu.Lock() // the owner's loop stops at its next tick, as a SIGSTOP would stop it
	require.Eventually(t, standby.Partition("duel").IsOwner, 10*time.Second, 5*time.Millisecond)
	for i := range 4 {
		_, err := standby.Partition("duel").StartMatchmaking(ctx, solo(fmt.Sprint("t", i)))
		require.NoError(t, err)
	}
	p.mu.Unlock() // the former owner applies what it fetched, and its commit is refused
	require.Eventually(t, func() bool { return p.Metrics().Loads == 2 && !p.IsOwner() }, 10*time.Second, 5*time.Millisecond)
	// It follows the new owner again, and both agree.
	require.Eventually(t, func() bool { return p.Metrics().Journal == standby.Partition("duel").Metrics().Journal },
		10*time.Second, 5*time.Millisecond)
	for i := range 4 {
		tk, err := p.Wait(ctx, fmt.Sprint("t", i))
		require.NoError(t, err)
		assert.Equal(t, mm.StatusCompleted, tk.Status)
	}
}

func TestCloseHandsOverWithoutWaitingForTheLease(t *testing.T) {
	own, standby, _ := pair(t)
	start := time.Now()
	require.NoError(t, own.Close())
	require.Eventually(t, standby.Partition("duel").IsOwner, 10*time.Second, 5*time.Millisecond)
	assert.Less(t, time.Since(start), 1500*time.Millisecond, "a released lease is taken at the next attempt, not after its TTL")
	_, err := own.Partition("duel").StartMatchmaking(context.Background(), solo("x"))
	assert.Error(t, err)
}

func TestJournalFencing(t *testing.T) {
	s := startServer(t, serverOptions(t.TempDir(), "s0"))
	n := startNode(t, testConfig(connect(t, s.ClientURL()), "a"))
	owner(t, "duel", n)
	p := n.Partition("duel")
	// A second writer with a stale view of the journal is refused, and stops owning.
	last, _ := p.journal.position()
	stale := &streamJournal{js: n.js, subject: p.journal.subject, node: "stale", timeout: time.Second}
	stale.own(last - 1)
	require.NoError(t, stale.Append([]byte("entry")))
	assert.ErrorIs(t, stale.Sync(), ErrFenced)
	assert.ErrorIs(t, stale.Append([]byte("entry")), errNotOwner)
}

func TestCloseEndsPendingRequestsAndWaits(t *testing.T) {
	s := startServer(t, serverOptions(t.TempDir(), "s0"))
	cfg := testConfig(connect(t, s.ClientURL()), "api")
	cfg.Follower = true // nobody owns the partition: requests wait
	n := startNode(t, cfg)
	p := n.Partition("duel")
	done := make(chan error, 1)
	go func() {
		_, err := p.StartMatchmaking(context.Background(), solo("x"))
		done <- err
	}()
	require.Eventually(t, func() bool { p.mu.Lock(); defer p.mu.Unlock(); return len(p.pending) == 1 },
		10*time.Second, time.Millisecond)
	require.NoError(t, n.Close())
	assert.ErrorIs(t, <-done, mm.ErrClosed)
	_, err := p.Subscribe(context.Background())
	assert.ErrorIs(t, err, mm.ErrClosed)
}

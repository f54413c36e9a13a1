package natscluster

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSnapshotsTrimTheJournalAndSeedNewNodes(t *testing.T) {
	s := startServer(t, serverOptions(t.TempDir(), "s0"))
	a := startNode(t, testConfig(connect(t, s.ClientURL()), "a"))
	owner(t, "duel", a)
	mirror := mirrorJournal(t, a.js, "mm", "duel")
	ctx := context.Background()
	p := a.Partition("duel")
	for i := range 7 { // one stays waiting
		_, err := p.StartMatchmaking(ctx, solo(fmt.Sprint("t", i)))
		require.NoError(t, err)
	}
	// SnapshotEvery is 50 messages, a tick each 20 ms: two snapshots within a few seconds.
	require.Eventually(t, func() bool { return p.Metrics().Snapshots >= 2 }, 20*time.Second, 10*time.Millisecond)
	st, err := a.js.Stream(ctx, p.jstream)
	require.NoError(t, err)
	info, err := st.Info(ctx)
	require.NoError(t, err)
	assert.Greater(t, info.State.FirstSeq, uint64(1), "the journal was purged below a snapshot")

	b := startNode(t, testConfig(connect(t, s.ClientURL()), "b"))
	q := b.Partition("duel")
	require.Eventually(t, func() bool { return q.Metrics().Journal >= p.Metrics().Journal }, 10*time.Second, 5*time.Millisecond)
	assert.Equal(t, uint64(1), q.Metrics().Loads)
	assert.Less(t, q.Metrics().Followed, p.Metrics().Journal, "the new node started from a snapshot")

	// Both copies hold the same state: their snapshots at the same journal position are equal.
	var sa, sb bytes.Buffer
	p.mu.Lock()
	require.NoError(t, p.m.Snapshot(&sa))
	at := p.applied
	p.mu.Unlock()
	a.Close()
	require.Eventually(t, q.IsOwner, 10*time.Second, 5*time.Millisecond)
	o := newOracle(t, duelConfig)
	o.follow(t, a.js, mirror, at)
	require.NoError(t, o.m.Snapshot(&sb))
	assert.Equal(t, sa.Bytes(), sb.Bytes())
	for i := range 6 {
		tk, err := q.Wait(ctx, fmt.Sprint("t", i))
		require.NoError(t, err)
		assert.True(t, tk.Status.Terminal())
	}
}

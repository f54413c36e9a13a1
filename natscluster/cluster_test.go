package natscluster

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	mm "github.com/seed-04d22514/matchmaker"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testCluster is three NATS servers clustered on loopback.
type testCluster struct {
	opts    []*server.Options
	servers []*server.Server
}

func startCluster(t testing.TB) *testCluster {
	c := &testCluster{opts: clusterOptions(t, t.TempDir())}
	for _, o := range c.opts {
		s, err := server.NewServer(o)
		require.NoError(t, err)
		go s.Start()
		c.servers = append(c.servers, s)
	}
	t.Cleanup(func() {
		for _, s := range c.servers {
			s.Shutdown()
		}
	})
	for _, s := range c.servers {
		require.True(t, s.ReadyForConnections(20*time.Second))
	}
	require.Eventually(t, func() bool {
		for _, s := range c.servers {
			if s.JetStreamIsLeader() {
				return true
			}
		}
		return false
	}, 30*time.Second, 20*time.Millisecond, "no JetStream meta leader")
	return c
}

// url lists the servers, starting with server i, for a client that fails over between them.
func (c *testCluster) url(i int) string {
	var us []string
	for j := range c.opts {
		o := c.opts[(i+j)%len(c.opts)]
		us = append(us, fmt.Sprintf("nats://127.0.0.1:%d", o.Port))
	}
	return strings.Join(us, ",")
}

// restart stops server i and starts it again on the same address and store. It reports a
// failure with Errorf, so it may run on any goroutine.
func (c *testCluster) restart(t testing.TB, i int) {
	c.servers[i].Shutdown()
	c.servers[i].WaitForShutdown()
	s, err := server.NewServer(c.opts[i])
	if err != nil {
		t.Errorf("restart server %d: %v", i, err)
		return
	}
	go s.Start()
	if !s.ReadyForConnections(60 * time.Second) {
		t.Errorf("server %d did not come back", i)
	}
	c.servers[i] = s
}

// startClusterNode starts a node on a 3-replica cluster, retrying while the cluster settles.
func startClusterNode(t testing.TB, cfg Config) *Node {
	t.Helper()
	cfg.Replicas = 3
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		n, err := Start(ctx, cfg)
		cancel()
		if err == nil {
			t.Cleanup(func() { n.Close() })
			return n
		}
		require.True(t, time.Now().Before(deadline), "start: %v", err)
		time.Sleep(100 * time.Millisecond)
	}
}

func TestThreeNodeCluster(t *testing.T) {
	c := startCluster(t)
	var nodes []*Node
	for i := range 3 {
		cfg := testConfig(connect(t, c.url(i)), fmt.Sprint("n", i))
		cfg.LeaseTTL = 2 * time.Second
		cfg.KeepJournal = true // for the oracle
		nodes = append(nodes, startClusterNode(t, cfg))
	}
	own := owner(t, "duel", nodes...)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var subs []*Subscription
	for _, n := range nodes {
		s, err := n.Partition("duel").Subscribe(ctx)
		require.NoError(t, err)
		subs = append(subs, s)
	}

	const perNode = 20
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Go(func() {
			for k := range perNode {
				if i == 0 && k == perNode/2 {
					// The server of node 0 goes away and comes back. If node 0 owns the
					// partition, it may still lose it (a call to NATS timing out past the
					// lease) and rebuild from a snapshot past a request it published: its
					// caller is answered from the journal messages it skips.
					c.restart(t, 0)
				}
				_, err := n.Partition("duel").StartMatchmaking(ctx, solo(fmt.Sprintf("n%d-%d", i, k)))
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		for _, n := range nodes {
			t.Logf("%s: %+v owner=%v", n.ID(), n.Partition("duel").Metrics(), n.Partition("duel").IsOwner())
		}
		if e, err := nodes[1].lease.Get(context.Background(), "duel"); err == nil {
			t.Logf("lease %s", e.Value())
		} else {
			t.Logf("lease %v", err)
		}
		t.FailNow()
	}
	// A node knows another node's tickets once it has followed the journal that far.
	var at uint64
	for _, n := range nodes {
		at = max(at, n.Partition("duel").Metrics().Journal)
	}
	for _, n := range nodes {
		require.Eventually(t, func() bool { return n.Partition("duel").Metrics().Journal >= at }, 20*time.Second, 5*time.Millisecond)
	}
	for i, n := range nodes {
		for k := range perNode {
			tk, err := n.Partition("duel").Wait(ctx, fmt.Sprintf("n%d-%d", (i+1)%3, k))
			require.NoError(t, err)
			assert.Equal(t, mm.StatusCompleted, tk.Status)
		}
	}
	var seen [][]string
	for _, s := range subs {
		seen = append(seen, collect(t, s, 3*perNode))
	}
	assert.Equal(t, seen[0], seen[1])
	assert.Equal(t, seen[0], seen[2])

	// The oracle, fed the committed journal, produced the same events.
	o := newOracle(t, duelConfig)
	o.follow(t, own.js, "mm_J_duel", nodes[0].Partition("duel").Metrics().Journal)
	var want []string
	for _, e := range o.events {
		want = append(want, describe(e))
	}
	assert.Equal(t, want[:len(seen[0])], seen[0])
}

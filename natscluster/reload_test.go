package natscluster

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
	mm "github.com/seed-04d22514/matchmaker"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// idlePartition is a partition of a node that does not run it (it neither follows nor owns),
// like a node stuck while another owns the partition.
func idlePartition(t *testing.T, cfg Config) *Partition {
	t.Helper()
	require.NoError(t, cfg.setDefaults())
	js, err := jetstream.New(cfg.Conn)
	require.NoError(t, err)
	n := &Node{cfg: cfg, js: js, parts: map[string]*Partition{}}
	ctx := context.Background()
	require.NoError(t, n.createBuckets(ctx))
	p, err := n.newPartition(ctx, "duel")
	require.NoError(t, err)
	t.Cleanup(p.close)
	return p
}

// A node that loads a snapshot past a request its caller awaits answers the caller: with the
// result from the journal message it skipped, or, that message purged, with ErrResultUnknown.
// (A node rebuilding after it lost the partition used to leave such callers waiting.)
func TestLoadAnswersTheRequestsItSkips(t *testing.T) {
	for _, keep := range []bool{true, false} {
		t.Run(fmt.Sprint("KeepJournal=", keep), func(t *testing.T) {
			s := startServer(t, serverOptions(t.TempDir(), "s0"))
			cfg := testConfig(connect(t, s.ClientURL()), "a")
			cfg.SnapshotEvery, cfg.KeepJournal = 5, keep
			a := startNode(t, cfg)
			owner(t, "duel", a)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			for i := range 4 { // intake messages 1 to 4, in this order
				_, err := a.Partition("duel").StartMatchmaking(ctx, solo(fmt.Sprint("t", i)))
				require.NoError(t, err)
			}
			applied := a.Partition("duel").Metrics().Journal // holds every result

			b := idlePartition(t, testConfig(connect(t, s.ClientURL()), "b"))
			type answer struct {
				rp  reply
				err error
			}
			done := make(chan answer, 1)
			go func() {
				rp, err := b.awaitResult(ctx, 3)
				done <- answer{rp, err}
			}()
			require.Eventually(t, func() bool {
				b.mu.Lock()
				defer b.mu.Unlock()
				return len(b.pending) == 1
			}, 10*time.Second, time.Millisecond)

			// The owner moves on: a snapshot past those results, and without KeepJournal the
			// journal purged past them.
			require.Eventually(t, func() bool {
				e, err := a.snaps.Get(ctx, "duel")
				if err != nil {
					return false
				}
				at, _ := strconv.ParseUint(string(e.Value()), 10, 64)
				if at <= applied {
					return false
				}
				if keep {
					return true
				}
				st, err := a.js.Stream(ctx, "mm_J_duel")
				return err == nil && st.CachedInfo().State.FirstSeq > applied
			}, 20*time.Second, 10*time.Millisecond)

			require.NoError(t, b.load(ctx))
			select {
			case got := <-done:
				if keep {
					require.NoError(t, got.err)
					assert.Equal(t, "t2", got.rp.res.Ticket)
					assert.True(t, got.rp.found)
				} else {
					assert.ErrorIs(t, got.err, ErrResultUnknown)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the caller is still waiting")
			}
		})
	}
}

// A node behind the newest snapshot, but not behind every kept one, rebuilds from the kept
// snapshot at or below its position and replays the journal from there: it skips nothing.
func TestLoadReplaysFromAKeptSnapshot(t *testing.T) {
	s := startServer(t, serverOptions(t.TempDir(), "s0"))
	cfg := testConfig(connect(t, s.ClientURL()), "a")
	cfg.SnapshotEvery = 100 // one every 2 s at 20 ms ticks: time for the loads below
	a := startNode(t, cfg)
	owner(t, "duel", a)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pointer := func() uint64 {
		e, err := a.snaps.Get(ctx, "duel")
		if err != nil {
			return 0
		}
		at, _ := strconv.ParseUint(string(e.Value()), 10, 64)
		return at
	}
	require.Eventually(t, func() bool { return pointer() > 0 }, 20*time.Second, 10*time.Millisecond)

	b := idlePartition(t, testConfig(connect(t, s.ClientURL()), "b"))
	require.NoError(t, b.load(ctx))
	first := b.Metrics().Journal
	require.Eventually(t, func() bool { return pointer() > first }, 20*time.Second, 10*time.Millisecond)
	require.NoError(t, b.load(ctx))
	assert.Equal(t, first, b.Metrics().Journal, "rebuilt from the snapshot at its position, not the newest")
	assert.Equal(t, uint64(2), b.Metrics().Loads)
}

// snapshottingOwner starts a server and a node that owns "duel" and snapshots every 5
// journal messages.
func snapshottingOwner(t *testing.T) (*server.Server, *Node) {
	s := startServer(t, serverOptions(t.TempDir(), "s0"))
	cfg := testConfig(connect(t, s.ClientURL()), "a")
	cfg.SnapshotEvery = 5
	a := startNode(t, cfg)
	owner(t, "duel", a)
	return s, a
}

// A node that jumps past journal messages it never followed ends its subscriptions with
// ErrEventsSkipped rather than let them miss those messages' events silently.
func TestJumpEndsSubscriptions(t *testing.T) {
	s, a := snapshottingOwner(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b := idlePartition(t, testConfig(connect(t, s.ClientURL()), "b"))
	require.NoError(t, b.load(ctx))
	sub, err := b.Subscribe(ctx)
	require.NoError(t, err)
	for i := range 4 {
		_, err := a.Partition("duel").StartMatchmaking(ctx, solo(fmt.Sprint("t", i)))
		require.NoError(t, err)
	}
	at := a.Partition("duel").Metrics().Journal
	require.Eventually(t, func() bool { // purged past what b has followed (nothing)
		st, err := a.js.Stream(ctx, "mm_J_duel")
		return err == nil && st.CachedInfo().State.FirstSeq > 1 && a.Partition("duel").Metrics().Journal > at
	}, 20*time.Second, 10*time.Millisecond)
	require.NoError(t, b.load(ctx))
	_, open := <-sub.C()
	assert.False(t, open)
	assert.ErrorIs(t, sub.Err(), ErrEventsSkipped)
}

// regenerate rebuilds, from a kept snapshot and the journal, the events of journal messages a
// node never held: the same events, with the same Seq, as the owner committed.
func TestRegenerateEvents(t *testing.T) {
	s, a := snapshottingOwner(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sub, err := a.Partition("duel").Subscribe(ctx)
	require.NoError(t, err)
	for i := range 6 {
		_, err := a.Partition("duel").StartMatchmaking(ctx, solo(fmt.Sprint("t", i)))
		require.NoError(t, err)
	}
	want := collect(t, sub, 6)
	at := a.Partition("duel").Metrics().Journal
	b := idlePartition(t, testConfig(connect(t, s.ClientURL()), "b"))
	got, err := b.regenerate(ctx, 0, at)
	require.NoError(t, err)
	var seen []string
	for _, ce := range got {
		for _, e := range ce.events {
			seen = append(seen, describe(e))
		}
	}
	assert.Equal(t, want, seen)
}

// An events stream that takes nothing for longer than the ring holds (64 journal messages with
// events) still gets every event once it takes them again: the owner replays what the ring
// dropped from the journal. (It used to leave those events off the stream; a NATS server
// restart under 20 ms ticks was enough.)
func TestEventsStreamCatchesUpAfterAnOutage(t *testing.T) {
	s := startServer(t, serverOptions(t.TempDir(), "s0"))
	cfg := testConfig(connect(t, s.ClientURL()), "a")
	cfg.SnapshotEvery = 1000 // the journal is kept from its start
	a := startNode(t, cfg)
	owner(t, "duel", a)
	p := a.Partition("duel")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sub, err := p.Subscribe(ctx)
	require.NoError(t, err)
	st, err := a.js.Stream(ctx, "mm_E_duel")
	require.NoError(t, err)
	start := func(from, to int) {
		for i := from; i < to; i++ { // one journal message, with events, each
			_, err := p.StartMatchmaking(ctx, solo(fmt.Sprint("t", i)))
			require.NoError(t, err)
		}
	}
	start(0, 2)
	require.Eventually(t, func() bool {
		info, err := st.Info(ctx)
		return err == nil && info.State.Msgs > 0
	}, 10*time.Second, 10*time.Millisecond)

	// The stream refuses every message (full, discarding new ones) for 80 journal messages.
	sc := st.CachedInfo().Config
	info, err := st.Info(ctx)
	require.NoError(t, err)
	blocked := sc
	blocked.MaxMsgs, blocked.Discard = int64(info.State.Msgs), jetstream.DiscardNew
	_, err = a.js.UpdateStream(ctx, blocked)
	require.NoError(t, err)
	before := p.Metrics().Journal
	start(2, 82)
	require.Greater(t, p.Metrics().Journal-before, uint64(eventsKept), "the ring overflowed")
	_, err = a.js.UpdateStream(ctx, sc)
	require.NoError(t, err)

	// The stream holds the envelopes of the owner's events, byte for byte: those replayed from
	// the journal are the same as those the owner's own ticks made.
	var want []string
	for ended := 0; ended < 82; {
		select {
		case e, ok := <-sub.C():
			require.True(t, ok, "subscription ended: %v", sub.Err())
			env, err := mm.NewEnvelope(e, mm.EnvelopeOptions{Namespace: "duel"})
			require.NoError(t, err)
			b, err := json.Marshal(env)
			require.NoError(t, err)
			want = append(want, string(b))
			if e.EventType() == "MatchmakingSucceeded" {
				ended += len(e.TicketIDs())
			}
		case <-ctx.Done():
			t.Fatal("the tickets did not end")
		}
	}
	var got []string
	require.Eventually(t, func() bool {
		got = eventsOnStream(t, a.js, "mm_E_duel")
		return len(got) >= len(want)
	}, 20*time.Second, 50*time.Millisecond, "events on the stream")
	assert.Equal(t, want, got)
	assert.Zero(t, p.Metrics().EventGaps)
	assert.Zero(t, p.Metrics().EventsLost)
}

// eventsOnStream returns the envelopes on an events stream, in order.
func eventsOnStream(t *testing.T, js jetstream.JetStream, stream string) []string {
	t.Helper()
	var out []string
	readEventsStream(t, js, stream, func(_ jetstream.Msg, envs []json.RawMessage) {
		for _, e := range envs {
			out = append(out, string(e))
		}
	})
	return out
}

// A node behind every kept snapshot, whose journal is kept from its start (KeepJournal),
// replays it from the start rather than jump past events its subscriptions have not had.
// (TestThreeNodeCluster's restarted node ended its subscription so, in about one run in ten
// under the race detector.)
func TestLoadReplaysAKeptJournalFromItsStart(t *testing.T) {
	s := startServer(t, serverOptions(t.TempDir(), "s0"))
	cfg := testConfig(connect(t, s.ClientURL()), "a")
	cfg.SnapshotEvery, cfg.KeepJournal = 5, true
	a := startNode(t, cfg)
	owner(t, "duel", a)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := func(from, to int) {
		for i := from; i < to; i++ {
			_, err := a.Partition("duel").StartMatchmaking(ctx, solo(fmt.Sprint("t", i)))
			require.NoError(t, err)
		}
	}
	start(0, 6)
	bcfg := testConfig(connect(t, s.ClientURL()), "b")
	bcfg.KeepJournal = true
	b := idlePartition(t, bcfg)
	require.NoError(t, b.load(ctx))
	first := b.Metrics().Journal
	require.Positive(t, first, "loaded from a snapshot")
	sub, err := b.Subscribe(ctx)
	require.NoError(t, err)
	start(6, 20)
	require.Eventually(t, func() bool { // the snapshot b loaded is no longer kept
		kept, err := b.keptSnapshots(ctx)
		return err == nil && len(kept) > 0 && !slices.Contains(kept, first) && slices.Min(kept) > first
	}, 20*time.Second, 10*time.Millisecond)
	require.NoError(t, b.load(ctx))
	assert.Zero(t, b.Metrics().Journal, "replays from the journal's start")
	select {
	case _, open := <-sub.C():
		require.True(t, open, "subscription ended: %v", sub.Err())
	default:
	}
	assert.NoError(t, sub.Err())
}

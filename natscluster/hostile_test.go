package natscluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	mm "github.com/seed-04d22514/matchmaker"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bigPlayers returns n players whose number-map attribute makes the request about size
// bytes of JSON: numbers that are short in JSON and 8 bytes in the journal.
func bigPlayers(prefix string, n, size int) []mm.Player {
	var ps []mm.Player
	for i := range n {
		m := map[string]float64{}
		for k := 0; k < size/n/8; k++ {
			m[fmt.Sprintf("%x", k)] = 1
		}
		ps = append(ps, mm.Player{PlayerID: fmt.Sprint(prefix, i), Attributes: mm.Attributes{"junk": mm.StringNumberMapValue(m)}})
	}
	return ps
}

// TestHugeRequestsDoNotWedgeThePartition sends requests whose journal entries come near the
// server's max payload: each is applied or refused at once, and the partition goes on
// committing (a request whose tick message could not be published would otherwise fail every
// commit, forever).
func TestHugeRequestsDoNotWedgeThePartition(t *testing.T) {
	s := startServer(t, serverOptions(t.TempDir(), "s0"))
	cfg := testConfig(connect(t, s.ClientURL()), "owner")
	cfg.LeaseTTL = 5 * time.Second // a tick that decodes a megabyte under the race detector is slow
	n := startNode(t, cfg)
	owner(t, "duel", n)
	p := n.Partition("duel")
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	// JSON sizes whose entries (about 1.6 times as large) fit two in a message or one, do not
	// fit in half the max payload, land just below the core's 1 MiB bound on an entry (where
	// the tick's message, with its results, used to exceed the max payload: found with a sweep
	// of sizes), and exceed the max payload as requests.
	sizes := []int{150 << 10, 160 << 10, 340 << 10, 671200, 671400, 671600, 671800, 1000 << 10}
	var ins []mm.StartMatchmakingInput
	for i, size := range sizes {
		ins = append(ins, mm.StartMatchmakingInput{TicketID: fmt.Sprint("big", i), Players: bigPlayers(fmt.Sprint("b", i, "-"), 10, size)})
	}
	var wg sync.WaitGroup
	for i, in := range ins {
		wg.Go(func() {
			_, err := p.StartMatchmaking(ctx, in)
			if !errors.Is(err, nats.ErrMaxPayload) {
				assert.ErrorIs(t, err, mm.ErrInvalidInput, "%d bytes", sizes[i])
			}
			if err != nil {
				assert.LessOrEqual(t, len(err.Error()), maxErrorMessage, "the error message is bounded")
			}
		})
	}
	wg.Wait()
	_, err := p.StartMatchmaking(ctx, solo("small"))
	require.NoError(t, err)
	assert.True(t, p.IsOwner())
	assert.Equal(t, uint64(1), p.Metrics().Loads, "no commit failed")
}

func TestTruncate(t *testing.T) {
	assert.Equal(t, "abc", truncate("abc", 3))
	assert.Equal(t, "a…", truncate("abcdef", 4))
	assert.Equal(t, "…", truncate("éééé", 4)) // never cuts a rune
	assert.Equal(t, "é…", truncate("éééé", 5))
}

// TestEventsInParts commits ticks whose events exceed a small max_payload: the events stream
// holds them all, in order, in parts.
func TestEventsInParts(t *testing.T) {
	opts := serverOptions(t.TempDir(), "s0")
	opts.MaxPayload = 32 << 10
	s := startServer(t, opts)
	cfg := testConfig(connect(t, s.ClientURL()), "owner")
	cfg.TickInterval = 200 * time.Millisecond // many requests per tick
	n := startNode(t, cfg)
	owner(t, "duel", n)
	p := n.Partition("duel")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sub, err := p.Subscribe(ctx)
	require.NoError(t, err)
	var wg sync.WaitGroup
	for i := range 300 {
		wg.Go(func() {
			_, err := p.StartMatchmaking(ctx, solo(fmt.Sprint("t", i)))
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	require.NoError(t, p.CatchUp(ctx))
	var want []string // envelope IDs
	for drained := false; !drained; {
		select {
		case e := <-sub.C():
			env, err := mm.NewEnvelope(e, mm.EnvelopeOptions{Namespace: "duel"})
			require.NoError(t, err)
			want = append(want, env.ID)
		case <-time.After(500 * time.Millisecond):
			drained = true
		}
	}
	require.Len(t, want, 600, "searching per ticket, created and succeeded per match")
	// Read the events stream back.
	st, err := n.js.Stream(ctx, "mm_E_duel")
	require.NoError(t, err)
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	require.NoError(t, err)
	var got []string
	parts := 0
	for len(got) < len(want) {
		batch, err := cons.Fetch(100, jetstream.FetchMaxWait(time.Second))
		require.NoError(t, err)
		for msg := range batch.Messages() {
			assert.LessOrEqual(t, len(msg.Data()), 32<<10)
			if headerUint(msg.Headers(), hdrPart) > 0 {
				parts++
			}
			var envs []struct{ ID string }
			require.NoError(t, json.Unmarshal(msg.Data(), &envs))
			for _, e := range envs {
				got = append(got, e.ID)
			}
		}
		require.NoError(t, ctx.Err())
	}
	assert.Equal(t, want, got[:len(want)])
	assert.Positive(t, parts, "some journal message's events took more than one part")
	assert.Zero(t, p.Metrics().EventsLost)
}

// TestIntakeAndSubscriptionBounds fills a partition's intake while no node owns it, and opens
// more subscriptions than a node allows: both fail with matchmaker.ErrLimit, at once.
func TestIntakeAndSubscriptionBounds(t *testing.T) {
	s := startServer(t, serverOptions(t.TempDir(), "s0"))
	cfg := testConfig(connect(t, s.ClientURL()), "api")
	cfg.Follower, cfg.MaxIntakeBytes, cfg.MaxSubscribers = true, 4<<10, 2
	p := startNode(t, cfg).Partition("duel")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	var full error
	for i := 0; i < 100 && full == nil; i++ {
		rctx, rcancel := context.WithTimeout(ctx, 100*time.Millisecond)
		_, err := p.StartMatchmaking(rctx, solo(fmt.Sprint("t", i))) // stored, never applied: no owner
		rcancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			full = err
		}
	}
	require.ErrorIs(t, full, mm.ErrLimit)
	start := time.Now()
	_, err := p.StartMatchmaking(ctx, solo("one-more"))
	assert.ErrorIs(t, err, mm.ErrLimit)
	assert.Less(t, time.Since(start), 5*time.Second, "refused at once, not retried")

	s1, err := p.Subscribe(ctx)
	require.NoError(t, err)
	_, err = p.Subscribe(ctx)
	require.NoError(t, err)
	_, err = p.Subscribe(ctx)
	assert.ErrorIs(t, err, mm.ErrLimit)
	s1.Close()
	_, err = p.Subscribe(ctx)
	assert.NoError(t, err)
}

// TestConfigErrorsNameTheField starts nodes with bad configurations: each is refused with a
// *matchmaker.ValidationError naming every bad field, before anything is created.
func TestConfigErrorsNameTheField(t *testing.T) {
	s := startServer(t, serverOptions(t.TempDir(), "s0"))
	nc := connect(t, s.ClientURL())
	for _, tc := range []struct {
		cfg  Config
		want []string
	}{
		{Config{}, []string{"Conn", "Partitions", "Matchmaker"}},
		{Config{Conn: nc, Partitions: []string{"ok", "a b", "ok"}, Matchmaker: duelConfig}, []string{"Partitions[1]", "Partitions[2]"}},
		{Config{Conn: nc, Partitions: []string{"p"}, Matchmaker: duelConfig, Prefix: "a.b"}, []string{"Prefix"}},
		{Config{Conn: nc, Partitions: []string{"p"}, Matchmaker: duelConfig, LeaseTTL: time.Millisecond}, []string{"LeaseTTL", "LeaseTTL"}},
		{Config{Conn: nc, Partitions: []string{"p"}, Matchmaker: duelConfig, LeaseTTL: time.Second, TickInterval: time.Second}, []string{"LeaseTTL"}},
		// A Matchmaker configuration that matchmaker.New refuses (here: no rule set) used to
		// start a node whose partition rebuilt for ever while its callers waited.
		{Config{Conn: nc, Partitions: []string{"ok", "bad"}, Matchmaker: func(p string) (mm.Config, []mm.Option) {
			if p == "bad" {
				return mm.Config{}, nil
			}
			return duelConfig(p)
		}}, []string{"Matchmaker(Partitions[1])"}},
	} {
		_, err := Start(context.Background(), tc.cfg)
		var ve *mm.ValidationError
		require.ErrorAs(t, err, &ve)
		assert.ErrorIs(t, err, mm.ErrInvalidInput)
		var paths []string
		for _, p := range ve.Problems {
			paths = append(paths, p.Path)
		}
		assert.Equal(t, tc.want, paths, "%v", err)
	}
	names, err := jetstream.New(nc)
	require.NoError(t, err)
	for range names.StreamNames(context.Background()).Name() {
		t.Fatal("a refused configuration created a stream")
	}
}

// TestHostileIDs sends requests whose caller-chosen IDs are no valid IDs (control characters,
// 100,000 characters): each is refused by the owner, at once.
func TestHostileIDs(t *testing.T) {
	s := startServer(t, serverOptions(t.TempDir(), "s0"))
	n := startNode(t, testConfig(connect(t, s.ClientURL()), "owner"))
	owner(t, "duel", n)
	p := n.Partition("duel")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, id := range []string{"a\r\nX-Evil: 1", strings.Repeat("x", 100_000), "a b", "ü"} {
		_, err := p.StartMatchmaking(ctx, mm.StartMatchmakingInput{TicketID: id, Players: []mm.Player{{PlayerID: "x"}}})
		assert.ErrorIs(t, err, mm.ErrInvalidInput, "ticket %.20q", id)
		_, err = p.StartMatchBackfill(ctx, mm.StartMatchBackfillInput{TicketID: id, GameSessionArn: "gs",
			Players: []mm.Player{{PlayerID: "y", Team: "red"}}})
		assert.ErrorIs(t, err, mm.ErrInvalidInput, "backfill %.20q", id)
		assert.ErrorIs(t, p.CompletePlacement(ctx, id, mm.PlacedGameSession{GameSessionArn: "gs"}), mm.ErrNotFound)
		assert.ErrorIs(t, p.FailPlacement(ctx, id, "", false), mm.ErrNotFound)
	}
	assert.NotEqual(t, dedupID("start", "a b"), dedupID("start", "a c"))
	assert.Equal(t, "start.ok-1.x", dedupID("start", "ok-1.x"))
}

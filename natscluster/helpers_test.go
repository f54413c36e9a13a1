package natscluster

// This file holds the test kit: embedded NATS servers (one, or a cluster on loopback), nodes
// with a small rule set, and checks over what the nodes saw.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	neturl "net/url"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	mm "github.com/seed-04d22514/matchmaker"
	"github.com/stretchr/testify/require"
)

// duelRules matches any two solo tickets, one on each team.
const duelRules = `{
  "name": "duel",
  "ruleLanguageVersion": "1.0",
  "playerAttributes": [{"name": "skill", "type": "number", "default": 1000}],
  "teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 1}, {"name": "blue", "minPlayers": 1, "maxPlayers": 1}],
  "rules": [{"name": "Close", "type": "distance", "measurements": ["avg(teams[*].players.attributes[skill])"], "referenceValue": "avg(flatten(teams[*].players.attributes[skill]))", "maxDistance": 100000}]
}`

func duelConfig(string) (mm.Config, []mm.Option) {
	return mm.Config{RuleSet: mm.MustParseRuleSet([]byte(duelRules)), RequestTimeout: time.Minute}, nil
}

// serverOptions are an embedded JetStream server's, on a random loopback port.
func serverOptions(dir, name string) *server.Options {
	return &server.Options{ServerName: name, Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: dir,
		NoLog: true, NoSigs: true, SyncAlways: true}
}

// startServer starts an embedded server and stops it when the test ends.
func startServer(t testing.TB, opts *server.Options) *server.Server {
	t.Helper()
	s, err := server.NewServer(opts)
	require.NoError(t, err)
	go s.Start()
	require.True(t, s.ReadyForConnections(20*time.Second), "server did not start")
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	return s
}

// freePorts returns n loopback ports that were free a moment ago.
func freePorts(t testing.TB, n int) []int {
	ports := make([]int, n)
	var ls []net.Listener
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		ls = append(ls, l)
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// clusterOptions are the options of a 3-server cluster on loopback, clients on fixed ports so
// a restarted server comes back at the same address.
func clusterOptions(t testing.TB, root string) []*server.Options {
	ports := freePorts(t, 6)
	var out []*server.Options
	for i := range 3 {
		o := serverOptions(fmt.Sprintf("%s/s%d", root, i), "s"+strconv.Itoa(i))
		o.Port = ports[3+i]
		o.Cluster = server.ClusterOpts{Name: "mm", Host: "127.0.0.1", Port: ports[i]}
		for j := range 3 {
			if j != i {
				u, _ := neturl.Parse(fmt.Sprintf("nats://127.0.0.1:%d", ports[j]))
				o.Routes = append(o.Routes, u)
			}
		}
		out = append(out, o)
	}
	return out
}

// connect connects to url with unlimited reconnects.
func connect(t testing.TB, url string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	return nc
}

// testConfig is a node's configuration for tests: short lease, fast ticks.
func testConfig(nc *nats.Conn, id string) Config {
	return Config{Conn: nc, Partitions: []string{"duel"}, Matchmaker: duelConfig, NodeID: id,
		LeaseTTL: time.Second, TickInterval: 20 * time.Millisecond, SnapshotEvery: 50, Timeout: 2 * time.Second,
		Logger: quiet}
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func startNode(t testing.TB, cfg Config) *Node {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	n, err := Start(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { n.Close() })
	return n
}

// ownerAndFollower starts a server, a node that owns the partition "duel", and a Follower
// node; it returns the owner and the follower's partition.
func ownerAndFollower(t testing.TB) (*Node, *Partition) {
	s := startServer(t, serverOptions(t.TempDir(), "s0"))
	own := startNode(t, testConfig(connect(t, s.ClientURL()), "owner"))
	owner(t, "duel", own)
	cfg := testConfig(connect(t, s.ClientURL()), "api")
	cfg.Follower = true
	return own, startNode(t, cfg).Partition("duel")
}

// owner waits until exactly one of nodes owns the partition and returns it.
func owner(t testing.TB, part string, nodes ...*Node) *Node {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var owners []*Node
		for _, n := range nodes {
			if n.Partition(part).IsOwner() {
				owners = append(owners, n)
			}
		}
		if len(owners) == 1 {
			return owners[0]
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("no single owner")
	return nil
}

func solo(id string) mm.StartMatchmakingInput {
	return mm.StartMatchmakingInput{TicketID: id, Players: []mm.Player{{PlayerID: "p-" + id}}}
}

// mirrorJournal keeps every message of a partition's journal in a mirror stream, which purges
// of the journal do not reach, for the oracle. Create it before the journal has been purged.
func mirrorJournal(t testing.TB, js jetstream.JetStream, prefix, part string) string {
	t.Helper()
	name := "ORACLE_" + part
	_, err := js.CreateOrUpdateStream(context.Background(), jetstream.StreamConfig{Name: name,
		Mirror: &jetstream.StreamSource{Name: prefix + "_J_" + part}, Storage: jetstream.FileStorage})
	require.NoError(t, err)
	return name
}

// oracle is one single-process Matchmaker fed the committed journal from its start.
type oracle struct {
	m      *mm.Matchmaker
	sub    *mm.Subscription
	at     uint64 // the last journal message applied
	events []mm.Event
	eventJ []uint64 // the journal message of each event
	ticks  int
	last   time.Time     // when the last tick message was stored
	gap    time.Duration // the longest time between two tick messages
	gapAt  uint64        // the message that ended it
}

func newOracle(t testing.TB, config func(string) (mm.Config, []mm.Option)) *oracle {
	return newOracleFor(t, config, "duel")
}

// newOracleFor is the oracle of partition part.
func newOracleFor(t testing.TB, config func(string) (mm.Config, []mm.Option), part string) *oracle {
	cfg, opts := config(part)
	m, err := mm.New(cfg, opts...)
	require.NoError(t, err)
	sub, err := m.Subscribe()
	require.NoError(t, err)
	return &oracle{m: m, sub: sub}
}

// follow applies the messages of a journal that was never purged (or its mirror) up to
// journal message upTo.
func (o *oracle) follow(t testing.TB, js jetstream.JetStream, stream string, upTo uint64) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(60 * time.Second)
	var cons jetstream.Consumer
	for o.at < upTo {
		require.True(t, time.Now().Before(deadline), "the journal stops at %d of %d", o.at, upTo)
		var err error
		if cons == nil { // (again) after a NATS server restart
			if cons, err = js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{
				DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: o.at + 1}); err != nil {
				time.Sleep(100 * time.Millisecond)
				continue
			}
		}
		batch, err := cons.Fetch(256, jetstream.FetchMaxWait(200*time.Millisecond))
		if err != nil {
			cons = nil
			continue
		}
		for msg := range batch.Messages() {
			meta, err := msg.Metadata()
			require.NoError(t, err)
			require.Equal(t, o.at+1, meta.Sequence.Stream, "the journal has every message")
			o.at = meta.Sequence.Stream
			if msg.Headers().Get(hdrKind) == kindTick {
				entries, _, err := decodeTick(msg.Data())
				require.NoError(t, err)
				for _, e := range entries {
					require.NoError(t, o.m.Replay(e))
				}
				o.ticks++
				if !o.last.IsZero() && meta.Timestamp.Sub(o.last) > o.gap {
					o.gap, o.gapAt = meta.Timestamp.Sub(o.last), o.at
				}
				o.last = meta.Timestamp
			}
			for {
				e, ok := o.sub.TryNext()
				if !ok {
					break
				}
				o.events, o.eventJ = append(o.events, e), append(o.eventJ, o.at)
			}
			if o.at == upTo {
				return
			}
		}
	}
}

// readEventsStream hands each, in order, every message of an events stream up to its last one
// when called, with the message's envelopes.
func readEventsStream(t testing.TB, js jetstream.JetStream, stream string, each func(msg jetstream.Msg, envs []json.RawMessage)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, stream)
	require.NoError(t, err)
	info, err := s.Info(ctx)
	require.NoError(t, err)
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	require.NoError(t, err)
	for read := uint64(0); read < info.State.LastSeq; {
		batch, err := cons.Fetch(512, jetstream.FetchMaxWait(time.Second))
		require.NoError(t, err)
		for msg := range batch.Messages() {
			meta, err := msg.Metadata()
			require.NoError(t, err)
			read = meta.Sequence.Stream
			var envs []json.RawMessage
			require.NoError(t, json.Unmarshal(msg.Data(), &envs))
			each(msg, envs)
		}
		require.NoError(t, ctx.Err())
	}
}

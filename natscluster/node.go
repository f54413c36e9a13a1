package natscluster

// This file holds a Node: its configuration, the streams and buckets it shares with the other
// nodes, and its lifecycle.

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	mm "github.com/seed-04d22514/matchmaker"
)

// Config configures a Node. Conn, Partitions and Matchmaker are required; every other zero
// field means the default its comment gives.
//
// Nodes with the same Prefix form one cluster; keep Prefix, LeaseTTL and Replicas equal on all
// of them. On every node that runs a partition, keep equal its Matchmaker configuration (rule
// set, timeouts, modes, whether a Placer is set), DedupWindow, MaxIntakeBytes, EventsMaxAge,
// EventsMaxBytes and KeepJournal. The rest may differ per node, Partitions included. See
// "Settings the nodes share" in the package documentation for why.
type Config struct {
	// Conn is the node's connection to NATS (JetStream enabled). The Node does not close it.
	Conn *nats.Conn
	// Partitions names the partitions the node runs: a queue, or a queue split by a natural
	// key such as region. Names are 1 to 64 letters, digits, '-' and '_'.
	Partitions []string
	// Matchmaker returns a partition's Matchmaker configuration and options. They must be the
	// same on every node that runs the partition: the journal records the rule set's
	// fingerprint and refuses another, but not the timeouts and modes, and a standby with other
	// ones would replay the journal to other outcomes. In WITH_QUEUE mode, set a Placer on
	// every node, Followers included: a Matchmaker without one places each match at once.
	// WithJournal is added by the Node; do not pass WithClock (the owner ticks with its own
	// clock, and the journal records each tick's time). Start calls it twice per partition:
	// first it builds a Matchmaker from the result, before it creates anything, so a
	// configuration matchmaker.New refuses fails Start with a *matchmaker.ValidationError
	// naming "Matchmaker(Partitions[i])"; then it keeps the result for the partition. (A rule
	// set other than the one the journal records is found only when the partition loads: the
	// node logs a warning and tries again, and calls on the partition through it wait.)
	Matchmaker func(partition string) (mm.Config, []mm.Option)

	// NodeID names the node in leases and journal messages; it must be unique in the cluster.
	// Default: a random UUID.
	NodeID string
	// Prefix starts the names of the streams, buckets and subjects. Default: "mm".
	Prefix string
	// LeaseTTL is how long an owner's lease lasts without renewal. The owner renews it at its
	// first tick after LeaseTTL/3 has passed since the last renewal; standbys try to take it
	// every max(LeaseTTL/10, 100 ms). It must be at least 100 ms and at least 3×TickInterval.
	// Each Start sets the lease bucket's TTL, which all partitions share, to its LeaseTTL:
	// keep it equal on every node. Default: 5 s.
	LeaseTTL time.Duration
	// TickInterval is how often the owner ticks: each tick applies the requests that arrived,
	// forms matches and commits one journal message. LeaseTTL must be at least 3×TickInterval,
	// since the owner renews its lease between ticks. Default: 100 ms.
	TickInterval time.Duration
	// SnapshotEvery is the number of journal messages between snapshots. Default: 600.
	SnapshotEvery int
	// Replicas is the replication factor of the streams and buckets. Replicas 3 needs a
	// JetStream cluster of at least three servers. Default: 1.
	Replicas int
	// MaxBatch bounds the requests applied in one tick. Default: 1,024.
	MaxBatch int
	// MaxBatchBytes bounds the intake bytes applied in one tick, so a tick's journal message
	// stays below the server's max_payload (the largest message it accepts). Default: a
	// quarter of the max payload the server announces (256 KiB with NATS's default 1 MiB), or
	// 256 KiB when the connection does not report one.
	MaxBatchBytes int
	// DedupWindow is how long the intake stream remembers request IDs (ticket IDs for
	// StartMatchmaking and StartMatchBackfill, placement IDs for CompletePlacement and
	// FailPlacement), and the events stream its message IDs. Default: 10 minutes.
	DedupWindow time.Duration
	// EventsMaxAge is how long the events stream keeps events. Default: 1 hour.
	EventsMaxAge time.Duration
	// EventsMaxBytes bounds the events stream of each partition; the oldest events go first.
	// Default: 1 GiB.
	EventsMaxBytes int64
	// MaxIntakeBytes bounds the requests stored on a partition's intake stream and not yet
	// purged (they are purged below each snapshot, unless KeepJournal): past it, requests fail
	// with matchmaker.ErrLimit, as when the owner is away long. Default: 1 GiB.
	MaxIntakeBytes int64
	// MaxSubscribers bounds the Subscriptions of each partition on this node. Default: 1,024.
	MaxSubscribers int
	// Timeout bounds each call to NATS the node makes on its own (journal publish, lease
	// renewal, snapshot upload). Default: 5 s.
	Timeout time.Duration
	// Logger receives the node's warnings. Default: slog.Default().
	Logger *slog.Logger
	// KeepJournal keeps the whole journal and intake (for an audit, or a consumer that reads
	// the committed history); by default both are purged below the previous snapshot.
	KeepJournal bool
	// Follower makes a node that never owns a partition: it follows the journals and takes
	// requests, reads and subscriptions (an API node in front of the owners). It never writes
	// snapshots (only the owner does) and never calls its Placer. Each partition needs at
	// least one running node that is not a Follower; without one it has no owner, and its
	// requests wait until their ctx ends.
	Follower bool
}

var partitionName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// setDefaults fills the zero fields and checks the rest; a bad field gets a
// *matchmaker.ValidationError (errors.Is matchmaker.ErrInvalidInput) naming it.
func (c *Config) setDefaults() error {
	var problems []mm.FieldError
	bad := func(path, format string, args ...any) {
		problems = append(problems, mm.FieldError{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	if c.Conn == nil {
		bad("Conn", "is required")
	}
	if len(c.Partitions) == 0 {
		bad("Partitions", "is required")
	}
	if c.Matchmaker == nil {
		bad("Matchmaker", "is required")
	}
	seen := map[string]bool{}
	for i, p := range c.Partitions {
		switch {
		case !partitionName.MatchString(p):
			bad(fmt.Sprintf("Partitions[%d]", i), "%q is not 1 to 64 letters, digits, '-' and '_'", p)
		case seen[p]:
			bad(fmt.Sprintf("Partitions[%d]", i), "%q is repeated", p)
		case c.Matchmaker != nil:
			// A configuration the Matchmaker refuses would leave the partition rebuilding for
			// ever and its callers waiting: refuse it here, before anything is created.
			cfg, opts := c.Matchmaker(p)
			if m, err := mm.New(cfg, opts...); err != nil {
				bad(fmt.Sprintf("Matchmaker(Partitions[%d])", i), "partition %q: %v", p, err)
			} else {
				_ = m.Shutdown(nil)
			}
		}
		seen[p] = true
	}
	if c.Prefix != "" && !partitionName.MatchString(c.Prefix) {
		bad("Prefix", "%q is not 1 to 64 letters, digits, '-' and '_'", c.Prefix)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	defInt := func(d *int, v int) {
		if *d <= 0 {
			*d = v
		}
	}
	if c.NodeID == "" {
		c.NodeID = uuid.NewString()
	}
	if c.Prefix == "" {
		c.Prefix = "mm"
	}
	def(&c.LeaseTTL, 5*time.Second)
	def(&c.TickInterval, 100*time.Millisecond)
	def(&c.DedupWindow, 10*time.Minute)
	def(&c.EventsMaxAge, time.Hour)
	def(&c.Timeout, 5*time.Second)
	defInt(&c.SnapshotEvery, 600)
	defInt(&c.Replicas, 1)
	defInt(&c.MaxBatch, 1024)
	defInt(&c.MaxSubscribers, 1024)
	if c.EventsMaxBytes <= 0 {
		c.EventsMaxBytes = 1 << 30
	}
	if c.MaxIntakeBytes <= 0 {
		c.MaxIntakeBytes = 1 << 30
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.LeaseTTL < 100*time.Millisecond {
		bad("LeaseTTL", "is %v; at least 100ms", c.LeaseTTL)
	}
	if c.LeaseTTL < 3*c.TickInterval {
		bad("LeaseTTL", "is %v; at least 3 TickIntervals (%v): the owner renews it between ticks", c.LeaseTTL, 3*c.TickInterval)
	}
	if len(problems) > 0 {
		return &mm.ValidationError{Input: "natscluster.Config", Problems: problems}
	}
	return nil
}

// Node runs the Matchmakers of a set of partitions together with the other nodes of a
// cluster: for each partition, it is the owner (it applies requests, ticks and commits the
// journal) or a standby (it follows the journal). Its Partition handles take requests on any
// node. Start it with Start and stop it with Close.
type Node struct {
	cfg    Config
	js     jetstream.JetStream
	lease  jetstream.KeyValue // partition → owner node, with the bucket's TTL
	snaps  jetstream.KeyValue // partition → journal sequence of the newest snapshot
	objs   jetstream.ObjectStore
	parts  map[string]*Partition
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

// Start creates (or updates) the streams and buckets of cfg's partitions and starts following
// or owning each. It returns once they exist; each partition becomes usable when it has
// loaded its state (its calls wait for that; CatchUp with a deadline checks it).
//
// Start fails with a *matchmaker.ValidationError (errors.Is matchmaker.ErrInvalidInput) when a
// field is missing or bad, for example a LeaseTTL under 100 ms or under 3×TickInterval, and
// when matchmaker.New refuses a partition's Matchmaker configuration (the problem names
// "Matchmaker(Partitions[i])"). It fails with NATS's error when a stream or bucket cannot be
// created or updated, for example Replicas: 3 against a single server. A rule set other than
// the one a partition's journal records is not found here: see Config.Matchmaker.
//
// ctx bounds only the creation of the streams and buckets. Cancelling it after Start returns
// does nothing; only Close stops the node.
func Start(ctx context.Context, cfg Config) (*Node, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	js, err := jetstream.New(cfg.Conn)
	if err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, js: js, parts: map[string]*Partition{}}
	if err := n.createBuckets(ctx); err != nil {
		return nil, err
	}
	for _, name := range cfg.Partitions {
		p, err := n.newPartition(ctx, name)
		if err != nil {
			return nil, err
		}
		n.parts[name] = p
	}
	rctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	for _, p := range n.parts {
		n.wg.Go(func() { p.run(rctx) })
	}
	return n, nil
}

func (n *Node) createBuckets(ctx context.Context) error {
	c := n.cfg
	var err error
	n.lease, err = n.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: c.Prefix + "_lease",
		TTL: c.LeaseTTL, History: 1, Replicas: c.Replicas, Storage: jetstream.FileStorage})
	if err != nil {
		return fmt.Errorf("natscluster: lease bucket: %w", err)
	}
	n.snaps, err = n.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: c.Prefix + "_snap",
		History: 1, Replicas: c.Replicas, Storage: jetstream.FileStorage})
	if err != nil {
		return fmt.Errorf("natscluster: snapshot bucket: %w", err)
	}
	n.objs, err = n.js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: c.Prefix + "_snapshots",
		Replicas: c.Replicas, Storage: jetstream.FileStorage})
	if err != nil {
		return fmt.Errorf("natscluster: snapshot store: %w", err)
	}
	return nil
}

// Partition returns the handle of a partition the node runs, or nil for a name it does not
// run. Calling a method on that nil handle panics, so check for nil.
func (n *Node) Partition(name string) *Partition { return n.parts[name] }

// ID returns the node's ID.
func (n *Node) ID() string { return n.cfg.NodeID }

// Close stops the node: an owner finishes its tick and releases its lease, so a standby takes
// over at its next attempt (every max(LeaseTTL/10, 100 ms)) rather than when the lease
// expires. Subscriptions, Wait, CatchUp and requests waiting for their result on this node
// end with matchmaker.ErrClosed (a request's as a *RemoteError with Code "closed"), and so do
// calls still waiting for a partition to load (with matchmaker.ErrClosed). Requests already
// acknowledged are in the journal; requests published but not yet applied are applied by the
// next owner. Close waits for the node's goroutines, a snapshot upload under way included,
// and always returns nil. Calling it again does nothing.
func (n *Node) Close() error {
	n.once.Do(func() {
		n.cancel()
		n.wg.Wait()
		for _, p := range n.parts {
			p.close()
		}
	})
	return nil
}

func (n *Node) logger() *slog.Logger { return n.cfg.Logger }

// maxPayload is the largest message the server accepts, as the connection reports it, or
// NATS's default 1 MiB when it does not.
func (n *Node) maxPayload() int {
	if v := n.cfg.Conn.MaxPayload(); v > 0 {
		return int(v)
	}
	return 1 << 20
}

// messageBytes bounds a journal message: the server's max payload, less room for headers.
func (n *Node) messageBytes() int { return n.maxPayload() - 4<<10 }

// batchBytes is MaxBatchBytes, or its default: a quarter of the server's max payload.
func (n *Node) batchBytes() int {
	if n.cfg.MaxBatchBytes > 0 {
		return n.cfg.MaxBatchBytes
	}
	return n.maxPayload() / 4
}

package natscluster

// This file holds a partition's runner: it loads the newest snapshot, follows the journal as a
// standby, takes the lease when it expires, fences the journal with a takeover message, and
// then owns the partition (applies intake, ticks, commits) until it loses the lease or a
// commit fails.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	mm "github.com/seed-04d22514/matchmaker"
)

// errReload says the partition's Matchmaker no longer matches the journal (a failed commit, a
// gap after a purge, an unreadable entry) and is rebuilt from the newest snapshot.
var errReload = errors.New("natscluster: rebuilding the partition from its snapshot")

// Partition is a node's handle on one partition. Its requests are published to the
// partition's intake stream and return once the owner's journal message that applied them has
// committed and this node has followed it; reads (DescribeMatchmaking, DescribeGameSession,
// Placements, Explain, Wait, Subscribe, CatchUp) are served from this node's copy, which holds
// only committed state. Every call waits for the partition to load on this node, and a request
// waits for an owner: pass a ctx with a deadline. Its methods are safe for concurrent use.
type Partition struct {
	n       *Node
	name    string
	mcfg    mm.Config
	mopts   []mm.Option
	journal *streamJournal
	jstream string // journal stream
	istream string // intake stream
	subjI   string // intake subject
	subjE   string // events subject
	ready   chan struct{}
	stopped chan struct{} // closed by close

	mu        sync.Mutex
	m         *mm.Matchmaker
	sub       *mm.Subscription // every event of m, read after each commit
	applied   uint64           // the last journal message applied
	intake    uint64           // the last intake message applied
	owner     bool
	closed    bool
	forwarded uint64 // the Seq of the last event handed to subscribers
	subs      map[*Subscription]struct{}
	waiters   map[string][]chan struct{} // ticket → Wait calls
	pending   map[uint64][]chan reply    // intake sequence → requests awaiting their result
	recent    map[uint64]result          // results of recent intake messages
	order     []uint64                   // recent's keys, oldest first
	evRing    []committedEvents          // the events of the last journal messages
	ringFrom  uint64                     // the ring holds the events of every journal message after this one
	published uint64                     // owner: the last journal message whose events are on the events stream
	pubKnown  bool                       // owner: published has been read from the events stream
	snapAt    uint64                     // the journal message of the newest snapshot this node knows
	snapping  bool                       // a snapshot upload is under way
	metrics   Metrics                    // guarded by mu
	fetched   []jetstream.Msg            // intake read but not yet applied (owner only)
	progress  chan struct{}              // closed and replaced whenever applied moves

	placer  mm.Placer // the host's Placer, called by the owner after commit; nil without one
	placeMu sync.Mutex
	placeQ  []mm.PlacementRequest // placements the owner's Matchmaker asked for, not yet committed
}

// queuePlacer is the Placer the partition's Matchmaker gets in place of the host's: it queues
// the requests, and the owner hands them to the host's Placer once the journal message that
// made them has committed (a Matchmaker places a match when the request or tick that completed
// it returns, before the commit).
type queuePlacer struct{ p *Partition }

func (q queuePlacer) Place(req mm.PlacementRequest) {
	q.p.placeMu.Lock()
	q.p.placeQ = append(q.p.placeQ, req)
	q.p.placeMu.Unlock()
}

// takePlacements returns the queued placement requests and empties the queue.
func (p *Partition) takePlacements() []mm.PlacementRequest {
	p.placeMu.Lock()
	defer p.placeMu.Unlock()
	q := p.placeQ
	p.placeQ = nil
	return q
}

// place hands placement requests to the host's Placer, with no lock held.
func (p *Partition) place(reqs []mm.PlacementRequest) {
	for _, r := range reqs {
		p.placer.Place(r)
	}
}

// committedEvents are the events of one journal message.
type committedEvents struct {
	journal uint64
	events  []mm.Event
}

// reply is a request's result as its caller receives it.
type reply struct {
	res    result
	ticket mm.Ticket
	found  bool
}

const (
	maxRecent  = 1 << 16 // results kept for callers that ask late
	eventsKept = 64      // journal messages whose events a new owner can publish again
)

func (n *Node) newPartition(ctx context.Context, name string) (*Partition, error) {
	c := n.cfg
	cfg, opts := c.Matchmaker(name)
	p := &Partition{n: n, name: name, mcfg: cfg, mopts: opts, placer: cfg.Placer, progress: make(chan struct{}),
		jstream: c.Prefix + "_J_" + name, istream: c.Prefix + "_I_" + name,
		subjI: c.Prefix + "." + name + ".i", subjE: c.Prefix + "." + name + ".e",
		ready: make(chan struct{}), stopped: make(chan struct{}), subs: map[*Subscription]struct{}{}, waiters: map[string][]chan struct{}{},
		pending: map[uint64][]chan reply{}, recent: map[uint64]result{}}
	if p.placer != nil {
		p.mcfg.Placer = queuePlacer{p}
	}
	p.journal = &streamJournal{js: n.js, subject: c.Prefix + "." + name + ".j", node: c.NodeID, timeout: c.Timeout}
	streams := []jetstream.StreamConfig{
		{Name: p.jstream, Subjects: []string{p.journal.subject}},
		{Name: p.istream, Subjects: []string{p.subjI}, Duplicates: c.DedupWindow, MaxBytes: c.MaxIntakeBytes,
			Discard: jetstream.DiscardNew},
		{Name: c.Prefix + "_E_" + name, Subjects: []string{p.subjE}, Duplicates: c.DedupWindow, MaxAge: c.EventsMaxAge,
			MaxBytes: c.EventsMaxBytes},
	}
	for _, sc := range streams {
		sc.Storage, sc.Replicas = jetstream.FileStorage, c.Replicas
		if _, err := n.js.CreateOrUpdateStream(ctx, sc); err != nil {
			return nil, fmt.Errorf("natscluster: stream %s: %w", sc.Name, err)
		}
	}
	return p, nil
}

// run loads, follows and owns the partition until ctx ends.
func (p *Partition) run(ctx context.Context) {
	reload := true
	for ctx.Err() == nil {
		if reload {
			if err := p.load(ctx); err != nil {
				p.n.logger().Warn("natscluster: loading partition", "partition", p.name, "err", err)
				sleep(ctx, max(p.n.cfg.LeaseTTL/10, 100*time.Millisecond))
				continue
			}
			reload = false
		}
		rev, err := p.follow(ctx)
		if err == nil {
			err = p.own(ctx, rev)
		}
		if err != nil && ctx.Err() == nil {
			reload = errors.Is(err, errReload)
			p.n.logger().Warn("natscluster: partition", "partition", p.name, "node", p.n.cfg.NodeID, "err", err)
			sleep(ctx, p.n.cfg.LeaseTTL/20)
		}
	}
}

// load rebuilds the Matchmaker from the newest snapshot; the journal after it is applied by
// follow.
func (p *Partition) load(ctx context.Context) error {
	c := p.n.cfg
	opts := append(append([]mm.Option{}, p.mopts...), mm.WithJournal(p.journal))
	var m *mm.Matchmaker
	var applied, intake uint64
	e, err := p.n.snaps.Get(ctx, p.name)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		m, err = mm.New(p.mcfg, opts...)
	case err != nil:
		return err
	default:
		applied, _ = strconv.ParseUint(string(e.Value()), 10, 64)
		if applied = p.replayableSnapshot(ctx, applied); applied == 0 {
			m, err = mm.New(p.mcfg, opts...) // the journal is replayed from its start
			break
		}
		var b []byte
		octx, cancel := context.WithTimeout(ctx, 10*c.Timeout)
		b, err = p.n.objs.GetBytes(octx, snapshotName(p.name, applied))
		cancel()
		if err != nil {
			return fmt.Errorf("snapshot %d: %w", applied, err)
		}
		info, ierr := p.n.objs.GetInfo(ctx, snapshotName(p.name, applied))
		if ierr != nil {
			return ierr
		}
		intake, _ = strconv.ParseUint(info.Metadata["intake"], 10, 64)
		m, err = mm.Restore(bytes.NewReader(b), p.mcfg, opts...)
	}
	if err != nil {
		return err
	}
	sub, err := m.Subscribe()
	if err != nil {
		return err
	}
	skipped := p.skippedResults(ctx, applied, intake)
	p.mu.Lock()
	old := p.m
	// The ring keeps the committed events this node had: a new owner may still have to publish
	// them. A load that jumps past messages this node never followed leaves a hole before it.
	if old == nil || applied > p.applied {
		p.ringFrom = max(p.ringFrom, applied)
	}
	if old != nil && applied > p.applied {
		// The events of the journal messages in between will never reach this node's
		// subscriptions: end them rather than let them miss events silently.
		p.n.logger().Warn("natscluster: rebuilt past journal messages not followed; subscriptions ended",
			"partition", p.name, "from", p.applied+1, "to", applied, "subscriptions", len(p.subs))
		for s := range p.subs {
			s.end(ErrEventsSkipped)
		}
	}
	p.m, p.sub, p.applied, p.intake, p.owner = m, sub, applied, intake, false
	p.movedLocked()
	p.snapAt = max(p.snapAt, applied)
	p.metrics.Loads++
	p.answerSkippedLocked(skipped)
	p.mu.Unlock()
	if old != nil {
		_ = old.Shutdown(nil) // it may have failed; its subscription ends either way
	}
	p.takePlacements() // asked for by a Matchmaker whose commit failed
	select {
	case <-p.ready:
	default:
		close(p.ready)
	}
	return nil
}

// replayableSnapshot returns the snapshot a node rebuilds from: the newest one (at newest),
// unless the node has applied less than that and a kept snapshot at or below its position has
// the journal after it still there. It then replays the journal from that snapshot, so it
// skips nothing: its subscribers get every event (the ones they had are not sent again) and
// its callers every result; with no kept snapshot at or below its position, it returns 0
// (replay from the start) when the journal still begins at its first message. A node behind
// every kept snapshot, and the journal purged after them, jumps to the newest; its
// subscribers miss the events in between, and skippedResults answers its callers.
func (p *Partition) replayableSnapshot(ctx context.Context, newest uint64) uint64 {
	p.mu.Lock()
	at := p.applied
	p.mu.Unlock()
	if at == 0 || at >= newest {
		return newest
	}
	best, err := p.keptSnapshotAtOrBelow(ctx, at)
	if err != nil {
		return newest
	}
	// best is 0 when no kept snapshot is at or below at: the node replays the journal from
	// its start when the journal still holds it (KeepJournal, or no purge yet).
	ctx, cancel := context.WithTimeout(ctx, p.n.cfg.Timeout)
	defer cancel()
	s, err := p.n.js.Stream(ctx, p.jstream)
	if err != nil || s.CachedInfo().State.FirstSeq > best+1 {
		return newest // purged after it
	}
	return best
}

// skippedResults reads the results recorded in the journal messages that a load is about to
// skip: those after this node's last applied message, up to at, the snapshot's (whose state
// has applied the intake up to intake). A node that rebuilds after a failed commit, or falls
// behind a purge, jumps forward to the newest snapshot; a caller on this node awaiting a
// request that another node applied in between would otherwise never be answered, since this
// node never follows the message holding its result. It reads only when such a caller waits;
// messages already purged, or a read that fails, leave the caller with ErrResultUnknown.
func (p *Partition) skippedResults(ctx context.Context, at, intake uint64) map[uint64]result {
	p.mu.Lock()
	from, waiting := p.applied, false
	for seq := range p.pending {
		waiting = waiting || (seq > p.intake && seq <= intake)
	}
	p.mu.Unlock()
	if !waiting || from >= at {
		return nil
	}
	out := map[uint64]result{}
	_ = p.scanJournal(ctx, from, at, func(_ uint64, msg jetstream.Msg) error {
		if msg.Headers().Get(hdrKind) == kindTick {
			if _, res, err := decodeTick(msg.Data()); err == nil {
				for _, r := range res {
					out[r.Seq] = r
				}
			}
		}
		return nil
	}) // what could not be read leaves its callers with ErrResultUnknown
	return out
}

// scanJournal hands fn, in order, the journal messages the stream still holds after from, up
// to to (purged ones are missing: fn sees the gap in seq). It stops at fn's first error, or
// when the stream has nothing more to give, and bounds the whole read by 10 × Timeout.
func (p *Partition) scanJournal(ctx context.Context, from, to uint64, fn func(seq uint64, msg jetstream.Msg) error) error {
	c := p.n.cfg
	ctx, cancel := context.WithTimeout(ctx, 10*c.Timeout)
	defer cancel()
	cons, err := p.n.js.OrderedConsumer(ctx, p.jstream, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: from + 1, MaxResetAttempts: 2})
	if err != nil {
		return err
	}
	for at := from; at < to; {
		batch, err := cons.Fetch(int(min(to-at, 512)), jetstream.FetchMaxWait(c.Timeout))
		if err != nil {
			return err
		}
		got := false
		for msg := range batch.Messages() {
			got = true
			meta, err := msg.Metadata()
			if err != nil {
				return err
			}
			if at = meta.Sequence.Stream; at > to {
				return nil
			}
			if err := fn(at, msg); err != nil {
				return err
			}
		}
		if !got {
			return fmt.Errorf("the journal ends before message %d", to)
		}
	}
	return nil
}

// answerSkippedLocked answers, after a load, the callers of requests that the loaded state has
// applied: with their results read from the skipped journal messages, or with ErrResultUnknown.
// Requires p.mu.
func (p *Partition) answerSkippedLocked(skipped map[uint64]result) {
	for _, r := range skipped {
		p.rememberLocked(r)
	}
	p.trimRecentLocked()
	for seq, cs := range p.pending {
		if seq > p.intake {
			continue
		}
		rp := reply{res: result{Seq: seq, Lost: true}} // applied; its result is not known
		if r, ok := skipped[seq]; ok {
			rp = p.replyLocked(r)
		}
		for _, c := range cs {
			c <- rp
		}
		delete(p.pending, seq)
	}
}

func snapshotName(partition string, journal uint64) string {
	return partition + "." + strconv.FormatUint(journal, 10)
}

// follow applies the journal as it grows and tries to take the lease every max(LeaseTTL/10,
// 100 ms) (a Follower never does). It returns the lease's revision once this node has taken
// over, or an error.
func (p *Partition) follow(ctx context.Context) (uint64, error) {
	c := p.n.cfg
	r, err := p.readFrom(ctx, p.jstream, func() uint64 { return p.applied })
	if err != nil {
		return 0, err
	}
	defer r.stop()
	poll := max(c.LeaseTTL/10, 100*time.Millisecond)
	next := time.Now()
	var watch stallWatch
	for ctx.Err() == nil {
		// Each message is applied as it arrives; the wait ends at the next lease attempt.
		wait := poll // a Follower never tries the lease
		if !c.Follower {
			wait = time.Until(next)
		}
		msg, err := r.next(wait)
		if err != nil {
			return 0, err
		}
		if msg != nil {
			if err := p.applyMessage(msg); err != nil {
				return 0, err
			}
		}
		p.mu.Lock()
		at := p.applied
		p.mu.Unlock()
		if p.stalled(ctx, p.jstream, &watch, at) {
			return 0, errors.New("natscluster: the journal reader stalled; reading again")
		}
		if c.Follower || time.Now().Before(next) {
			continue
		}
		next = time.Now().Add(poll)
		rev, ok, err := p.acquire(ctx)
		if err != nil || !ok {
			continue
		}
		if err := p.takeover(ctx); err != nil {
			if isWrongLastSeq(err) {
				continue // not caught up: keep following, and try again with the lease held
			}
			return 0, err
		}
		return rev, nil
	}
	return 0, ctx.Err()
}

// streamReader reads a stream in order through one long-lived ordered consumer, on a goroutine
// of its own. (A Fetch on an ordered consumer deletes and recreates the consumer on the server
// at every call, a meta-layer operation in a cluster: polling that way cost two server requests
// per poll per node and partition. And when the consumer's server goes away, nats.go recreates
// it with a request timeout of 10 s fixed in nats.go, which no context shortens; the reader's
// own goroutine lets its user notice the stall, abandon the reader and start another.)
type streamReader struct {
	it   jetstream.MessagesContext
	msgs chan jetstream.Msg
	errc chan error
	done chan struct{}
}

// readFrom reads stream from the message after the position that at returns under p.mu. The
// pull requests expire every 2 s with heartbeats every 500 ms (the least nats.go allows).
func (p *Partition) readFrom(ctx context.Context, stream string, at func() uint64) (*streamReader, error) {
	p.mu.Lock()
	start := at() + 1
	p.mu.Unlock()
	cons, err := p.n.js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: start, MaxResetAttempts: 2})
	if err != nil {
		return nil, err
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(512), jetstream.PullExpiry(2*time.Second),
		jetstream.PullHeartbeat(500*time.Millisecond))
	if err != nil {
		return nil, err
	}
	r := &streamReader{it: it, msgs: make(chan jetstream.Msg, 64), errc: make(chan error, 1), done: make(chan struct{})}
	go r.run()
	return r, nil
}

func (r *streamReader) run() {
	for {
		msg, err := r.it.Next()
		if err != nil {
			r.errc <- err
			return
		}
		select {
		case r.msgs <- msg:
		case <-r.done:
			return
		}
	}
}

// next returns the next message, or nil when none arrives within wait.
func (r *streamReader) next(wait time.Duration) (jetstream.Msg, error) {
	select {
	case msg := <-r.msgs:
		return msg, nil
	default:
	}
	if wait <= 0 {
		return nil, nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case msg := <-r.msgs:
		return msg, nil
	case err := <-r.errc:
		return nil, err
	case <-t.C:
		return nil, nil
	}
}

// stop ends the reader without waiting: nats.go's Stop waits for the lock that a consumer
// re-creation holds (up to its fixed 10 s timeout), so it runs on its own goroutine, and the
// reader's goroutine ends when nats.go returns.
func (r *streamReader) stop() {
	close(r.done)
	go r.it.Stop()
}

// applyMessage applies one journal message on a standby.
func (p *Partition) applyMessage(msg jetstream.Msg) error {
	meta, err := msg.Metadata()
	if err != nil {
		return err
	}
	seq := meta.Sequence.Stream
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case seq <= p.applied:
		return nil
	case seq != p.applied+1:
		return fmt.Errorf("%w: journal message %d follows %d (purged below a newer snapshot)", errReload, seq, p.applied)
	}
	var results []result
	kind := msg.Headers().Get(hdrKind)
	if kind == kindTick {
		entries, res, err := decodeTick(msg.Data())
		if err != nil {
			return fmt.Errorf("%w: message %d: %v", errReload, seq, err)
		}
		for _, e := range entries {
			if err := p.m.Replay(e); err != nil {
				return fmt.Errorf("%w: message %d: %v", errReload, seq, err)
			}
		}
		results = res
	}
	p.applied = seq
	p.intake = max(p.intake, headerUint(msg.Headers(), hdrIntake))
	p.movedLocked()
	p.metrics.Followed++
	p.dispatchLocked(results)
	return nil
}

// takeover fences the journal: a takeover message conditioned on the last message this node
// applied. After it, a former owner's next append fails; if the former owner appended first,
// it fails with a wrong last sequence and this node follows on.
func (p *Partition) takeover(ctx context.Context) error {
	p.mu.Lock()
	last, intake := p.applied, p.intake
	p.mu.Unlock()
	msg := nats.NewMsg(p.journal.subject)
	msg.Header.Set(hdrKind, kindTakeover)
	msg.Header.Set(hdrNode, p.n.cfg.NodeID)
	msg.Header.Set(hdrIntake, strconv.FormatUint(intake, 10))
	tctx, cancel := context.WithTimeout(ctx, p.n.cfg.Timeout)
	defer cancel()
	ack, err := p.n.js.PublishMsg(tctx, msg, jetstream.WithExpectLastSequence(last))
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.applied, p.owner = ack.Sequence, true
	p.movedLocked()
	p.journal.own(ack.Sequence)
	p.metrics.Takeovers++
	return nil
}

// own runs the owner's loop: every TickInterval it renews the lease when due, applies the
// intake that arrived (read beside it, by readIntakeLoop), ticks (which commits one journal
// message), wakes the events publisher (publishLoop, also beside it), places the new matches
// and takes a snapshot when due.
func (p *Partition) own(ctx context.Context, rev uint64) (err error) {
	c := p.n.cfg
	defer func() {
		p.journal.release()
		p.releaseLease(rev) // a standby takes over at its next attempt, not when the lease expires
		p.mu.Lock()
		p.owner, p.fetched = false, nil
		p.mu.Unlock()
	}()
	p.mu.Lock()
	p.pubKnown = false // publishLoop reads where the events stream stands first
	p.mu.Unlock()
	pctx, stopPublishing := context.WithCancel(context.Background())
	published := make(chan struct{})
	wake := make(chan struct{}, 1)
	go func() {
		defer close(published)
		p.publishLoop(pctx, wake)
	}()
	defer func() {
		stopPublishing()
		<-published
		p.publishPending(context.Background()) // committed: publish even when closing, once
	}()
	if p.placer != nil {
		// The predecessor may have died before or after its host placed these: place them
		// again (the host deduplicates by PlacementID; see the package documentation).
		p.mu.Lock()
		pending := p.m.Placements()
		p.mu.Unlock()
		p.place(pending)
	}
	rctx, stopReading := context.WithCancel(ctx)
	defer stopReading() // before the deferred reset above: the reader adds nothing after it
	p.n.wg.Go(func() { p.readIntakeLoop(rctx) })
	ticker := time.NewTicker(c.TickInterval)
	defer ticker.Stop()
	renewed := time.Now()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ticker.C:
		}
		if time.Since(renewed) >= c.LeaseTTL/3 {
			if rev, err = p.renew(ctx, rev); err != nil {
				return fmt.Errorf("lease lost: %w", err)
			}
			renewed = time.Now()
		}
		if err := p.tick(); err != nil {
			return err
		}
		select { // the events stream is written beside the loop: a slow publish delays no tick
		case wake <- struct{}{}:
		default:
		}
		if p.placer != nil {
			p.place(p.takePlacements())
		}
		p.maybeSnapshot(ctx)
	}
}

// readIntakeLoop reads the intake stream into p.fetched, after the last request applied, until
// ctx ends (the owner's loop stops it when it stops owning; it adds nothing after that). It
// runs beside the owner's loop, not in it, because a read can block for longer than any lease:
// when the consumer's server restarts, nats.go recreates the consumer with a request timeout
// of 10 s fixed in nats.go that no context shortens (TestThreeNodeCluster saw an owner's read
// take 11 s). In the loop, the owner lost its lease, and with it the partition, for a late
// read; beside it, its requests wait instead, and the owner keeps renewing and ticking.
func (p *Partition) readIntakeLoop(ctx context.Context) {
	c := p.n.cfg
	var r *streamReader
	defer func() {
		if r != nil {
			r.stop()
		}
	}()
	var watch stallWatch
	for ctx.Err() == nil {
		if r == nil {
			var err error
			r, err = p.readFrom(ctx, p.istream, func() uint64 {
				if ctx.Err() == nil {
					p.fetched = nil
				}
				return p.intake
			})
			if err != nil {
				p.warnReading(ctx, "natscluster: intake reader", err)
				r = nil
				sleep(ctx, c.TickInterval)
				continue
			}
		}
		if err := p.readIntake(ctx, r); err != nil {
			p.warnReading(ctx, "natscluster: intake reader", err)
			r.stop()
			r = nil
			sleep(ctx, c.TickInterval)
			continue
		}
		if p.stalled(ctx, p.istream, &watch, p.intakeRead()) {
			// The intake consumer lost its place (a server restarted) and says nothing: read
			// again from the last request applied.
			p.warnReading(ctx, "natscluster: intake reader restarted", nil)
			r.stop()
			r = nil
		}
	}
}

// warnReading logs a reader's trouble, unless the reader is stopping.
func (p *Partition) warnReading(ctx context.Context, msg string, err error) {
	if ctx.Err() == nil {
		p.n.logger().Warn(msg, "partition", p.name, "node", p.n.cfg.NodeID, "err", err)
	}
}

// intakeRead is the sequence of the last intake message read: fetched, or applied.
func (p *Partition) intakeRead() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.fetched); n > 0 {
		if meta, err := p.fetched[n-1].Metadata(); err == nil {
			return meta.Sequence.Stream
		}
	}
	return p.intake
}

// stallWatch remembers a reader's position at its last check.
type stallWatch struct {
	next time.Time
	pos  uint64
}

// stalled reports, at most once a second, whether a reader at pos is behind the stream and has
// not moved since the last check: an ordered consumer whose server restarted may wait for
// messages that never come, without an error.
func (p *Partition) stalled(ctx context.Context, stream string, w *stallWatch, pos uint64) bool {
	if w.next.IsZero() { // the first call only notes where the reader starts
		w.next, w.pos = time.Now().Add(time.Second), pos
		return false
	}
	if time.Now().Before(w.next) {
		return false
	}
	w.next = time.Now().Add(time.Second)
	ctx, cancel := context.WithTimeout(ctx, p.n.cfg.Timeout)
	defer cancel()
	s, err := p.n.js.Stream(ctx, stream)
	if err != nil {
		return false
	}
	stuck := s.CachedInfo().State.LastSeq > pos && pos == w.pos
	w.pos = pos
	return stuck
}

// readIntake hands the owner's loop the intake that arrives within a TickInterval, each
// message as it arrives, while it holds fewer than MaxBatch.
func (p *Partition) readIntake(ctx context.Context, r *streamReader) error {
	wait := p.n.cfg.TickInterval
	p.mu.Lock()
	room := p.n.cfg.MaxBatch - len(p.fetched)
	p.mu.Unlock()
	if room <= 0 {
		sleep(ctx, wait)
		return nil
	}
	for deadline := time.Now().Add(wait); room > 0 && ctx.Err() == nil; room-- {
		msg, err := r.next(time.Until(deadline))
		if err != nil || msg == nil {
			return err
		}
		p.mu.Lock()
		if ctx.Err() == nil {
			p.fetched = append(p.fetched, msg)
		}
		p.mu.Unlock()
	}
	return nil
}

// tick applies the fetched intake up to the batch bounds and ticks; the tick's Sync commits.
//
// The tick's journal message must fit in the server's max_payload whatever the requests hold,
// or every commit would fail on the same request and the partition would stop. So half of it
// bounds the entries (the journal refuses an entry past that, and the request waits for the
// next tick, or is refused when it would not fit even alone), the results get what is left,
// and a result that still does not fit loses its details (its caller gets ErrResultUnknown).
func (p *Partition) tick() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	msgBudget := p.n.messageBytes()
	entryBudget := msgBudget / 2
	var results []result
	var raw [][]byte // results as JSON
	size, n, resultBytes := 0, 0, 0
	intake := p.intake
	p.journal.setLimit(entryBudget)
	for _, msg := range p.fetched {
		if n > 0 && (size+len(msg.Data()) > p.n.batchBytes() || resultBytes > (msgBudget-entryBudget)/2) {
			break
		}
		meta, err := msg.Metadata()
		if err != nil {
			p.journal.setLimit(0)
			return fmt.Errorf("%w: intake: %v", errReload, err)
		}
		if meta.Sequence.Stream <= intake {
			n++
			continue // already applied (a fetch that overlapped)
		}
		r, err := apply(p.m, meta.Sequence.Stream, msg.Data())
		if errors.Is(err, errBatchFull) {
			if len(results) > 0 {
				break // it gets the next tick's message to itself
			}
			r.Err = &wireError{Code: codeInvalid, Message: fmt.Sprintf(
				"natscluster: the request does not fit in a journal message (entries hold at most %d bytes; see max_payload)", entryBudget)}
		}
		size += len(msg.Data())
		n++
		intake = meta.Sequence.Stream
		b, _ := json.Marshal(r) // plain data: never fails
		results, raw, resultBytes = append(results, r), append(raw, b), resultBytes+len(b)+1
	}
	p.journal.setLimit(0)
	if p.journal.size()+resultBytes > msgBudget-tickReserve {
		for i := range results { // keep what every caller needs: the error code, the ticket
			if results[i].Ack != nil {
				results[i].Ack, results[i].Lost = nil, true
			}
			if results[i].Err != nil {
				results[i].Err.Message = truncate(results[i].Err.Message, 128)
			}
			raw[i], _ = json.Marshal(results[i])
		}
	}
	p.fetched = p.fetched[n:]
	p.journal.setBatch(intake, joinJSON(raw))
	if err := p.m.Tick(time.Now()); err != nil {
		p.discardLocked()
		return fmt.Errorf("%w: commit failed: %v", errReload, err)
	}
	seq, _ := p.journal.position()
	p.applied, p.intake = seq, intake
	p.movedLocked()
	p.metrics.Ticks++
	p.metrics.Requests += uint64(len(results))
	p.dispatchLocked(results)
	return nil
}

// movedLocked wakes the callers waiting for this node to follow the journal further.
func (p *Partition) movedLocked() {
	close(p.progress)
	p.progress = make(chan struct{})
}

// discardLocked drops the events of a commit that failed: nobody sees them.
func (p *Partition) discardLocked() {
	for {
		if _, ok := p.sub.TryNext(); !ok {
			return
		}
	}
}

// dispatchLocked hands the events of the message just applied to this node's subscribers and
// waiters, and the results to the callers awaiting them, and keeps the events in the ring.
func (p *Partition) dispatchLocked(results []result) {
	var events []mm.Event
	for {
		e, ok := p.sub.TryNext()
		if !ok {
			break
		}
		if e.EventHeader().Seq <= p.forwarded {
			continue // seen before this node rebuilt its Matchmaker
		}
		p.forwarded = e.EventHeader().Seq
		events = append(events, e)
	}
	for s := range p.subs {
		s.send(events)
	}
	for _, e := range events {
		for _, id := range e.TicketIDs() {
			ws := p.waiters[id]
			if len(ws) == 0 {
				continue
			}
			if t := p.m.DescribeMatchmaking(id); len(t) == 1 && !t[0].Status.Terminal() {
				continue
			}
			for _, w := range ws {
				close(w)
			}
			delete(p.waiters, id)
		}
	}
	for _, r := range results {
		p.rememberLocked(r)
		for _, c := range p.pending[r.Seq] {
			c <- p.replyLocked(r)
		}
		delete(p.pending, r.Seq)
	}
	p.trimRecentLocked()
	if len(events) > 0 {
		seq := p.applied
		if len(p.evRing) > 0 && p.evRing[len(p.evRing)-1].journal == seq {
			p.evRing = p.evRing[:len(p.evRing)-1]
		}
		p.evRing = append(p.evRing, committedEvents{journal: seq, events: events})
		if len(p.evRing) > eventsKept {
			gone := p.evRing[0]
			p.evRing, p.ringFrom = p.evRing[1:], max(p.ringFrom, gone.journal)
			if p.owner && p.pubKnown && gone.journal > p.published {
				// The events stream has not taken them for 64 journal messages: the publisher
				// reads where the stream stands again and replays what the ring no longer holds.
				p.n.logger().Warn("natscluster: the events stream is 64 journal messages behind; its events will be replayed from the journal",
					"partition", p.name, "journal", gone.journal)
				p.pubKnown = false
			}
		}
	}
}

// err is the error a caller gets for the reply.
func (rp reply) err() error {
	if rp.res.Lost {
		return ErrResultUnknown
	}
	return rp.res.Err.err()
}

// rememberLocked keeps a request's result for callers that ask late. Requires p.mu.
func (p *Partition) rememberLocked(r result) {
	if _, dup := p.recent[r.Seq]; !dup {
		p.order = append(p.order, r.Seq)
	}
	p.recent[r.Seq] = r
}

// trimRecentLocked forgets the oldest results beyond maxRecent. Requires p.mu.
func (p *Partition) trimRecentLocked() {
	for len(p.order) > maxRecent {
		delete(p.recent, p.order[0])
		p.order = p.order[1:]
	}
}

// replyLocked makes a caller's reply: for a request that created a ticket, the ticket as this
// node's committed state shows it.
func (p *Partition) replyLocked(r result) reply {
	rp := reply{res: r}
	if r.Ticket != "" && r.Err == nil {
		if ts := p.m.DescribeMatchmaking(r.Ticket); len(ts) == 1 {
			rp.ticket, rp.found = ts[0], true
		}
	}
	return rp
}

// close ends the partition's subscriptions, waits and pending requests on this node.
func (p *Partition) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed {
		close(p.stopped) // calls waiting for the partition to load see it
	}
	p.closed = true
	p.movedLocked() // CatchUp calls see it
	for s := range p.subs {
		s.end(mm.ErrClosed)
	}
	for id, ws := range p.waiters {
		for _, w := range ws {
			close(w)
		}
		delete(p.waiters, id)
	}
	closed := reply{res: result{Err: &wireError{Code: codeClosed, Message: mm.ErrClosed.Error()}}}
	for seq, cs := range p.pending {
		for _, c := range cs {
			c <- closed
		}
		delete(p.pending, seq)
	}
	if p.m != nil {
		_ = p.m.Shutdown(nil)
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

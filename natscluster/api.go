package natscluster

// This file holds a Partition's requests, reads and subscriptions: the single-process API,
// routed through the intake stream to the owner.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	mm "github.com/seed-04d22514/matchmaker"
)

// ErrResultUnknown is returned when a request was applied but its result is no longer kept on
// this node (it keeps the last 65,536), or did not fit in its journal message (see Bounds in
// the package documentation); the request took effect. To learn its outcome, call CatchUp and
// then read the state: DescribeMatchmaking for a ticket, DescribeGameSession for a game
// session, Placements for a placement. Do not retry a request that is not safe to repeat (see
// Retrying requests in the package documentation).
var ErrResultUnknown = errors.New("natscluster: request applied; its result is no longer known")

// StartMatchmaking starts a ticket on the partition's owner and returns it once the journal
// message holding it has committed. An empty TicketID is filled with a random UUID here (not by
// the owner), so that the call's own publish retries are recognised: the intake stream drops a
// second request with the same ticket ID within DedupWindow, and the call returns the first
// one's result. To retry the call yourself, set TicketID. After DedupWindow, a retry fails
// with matchmaker.ErrInvalidInput ("already exists") while the ticket is retained: call
// DescribeMatchmaking(ticketID) then. Do not reuse a ticket ID for a new search.
//
// When the ticket was started but this node no longer holds it by the time the call returns
// (a retry within DedupWindow after the ticket ended and its retention passed, or a ticket
// that ended in the tick that started it under matchmaker.WithTicketRetention(0)), the call
// fails with ErrResultUnknown: the ticket was started, and its events tell how it ended.
func (p *Partition) StartMatchmaking(ctx context.Context, in mm.StartMatchmakingInput) (mm.Ticket, error) {
	if in.TicketID == "" {
		in.TicketID = uuid.NewString()
	}
	rp, err := p.submit(ctx, dedupID("start", in.TicketID), request{Op: opStart, Start: &in})
	return rp.startedTicket(err)
}

// startedTicket is the result of a request that started a ticket: the ticket as this node's
// committed copy shows it, or ErrResultUnknown when the copy no longer holds it.
func (rp reply) startedTicket(err error) (mm.Ticket, error) {
	if err == nil && !rp.found {
		return mm.Ticket{}, ErrResultUnknown
	}
	return rp.ticket, err
}

// StopMatchmaking cancels a ticket. Retry: safe; a duplicate returns nil while the ticket stays
// cancelled (matchmaker.ErrNotFound once it is forgotten).
func (p *Partition) StopMatchmaking(ctx context.Context, ticketID string) error {
	_, err := p.submit(ctx, uuid.NewString(), request{Op: opStop, ID: ticketID})
	return err
}

// AcceptMatch records players' answers to a proposed match. Retry: safe while the proposal
// waits (the answer is recorded again); matchmaker.ErrInvalidState once it has ended. A late
// retry can answer a newer proposal for the same ticket.
func (p *Partition) AcceptMatch(ctx context.Context, in mm.AcceptMatchInput) error {
	_, err := p.submit(ctx, uuid.NewString(), request{Op: opAccept, Accept: &in})
	return err
}

// StartMatchBackfill starts a backfill ticket; an empty TicketID is filled as in
// StartMatchmaking, and retries behave as there.
func (p *Partition) StartMatchBackfill(ctx context.Context, in mm.StartMatchBackfillInput) (mm.Ticket, error) {
	if in.TicketID == "" {
		in.TicketID = uuid.NewString()
	}
	rp, err := p.submit(ctx, dedupID("backfill", in.TicketID), request{Op: opStartBackfill, Backfill: &in})
	return rp.startedTicket(err)
}

// StopMatchBackfill cancels a backfill ticket. Retry: safe; a duplicate returns nil while the
// ticket stays cancelled (matchmaker.ErrNotFound once it is forgotten).
func (p *Partition) StopMatchBackfill(ctx context.Context, ticketID string) error {
	_, err := p.submit(ctx, uuid.NewString(), request{Op: opStopBackfill, ID: ticketID})
	return err
}

// AcknowledgeBackfill acknowledges a backfill ticket's proposal. Retry: not safe; a second call
// acknowledges again and does not return the first call's Assigned and Rejected (read the
// session with DescribeGameSession instead).
func (p *Partition) AcknowledgeBackfill(ctx context.Context, ticketID string) (mm.AcknowledgeBackfillOutput, error) {
	rp, err := p.submit(ctx, uuid.NewString(), request{Op: opAck, ID: ticketID})
	if err != nil || rp.res.Ack == nil {
		return mm.AcknowledgeBackfillOutput{}, err
	}
	return rp.res.Ack.output(), nil
}

// RemovePlayers reports players who left a game session (see matchmaker.RemovePlayers).
// Retry: safe; a duplicate fails with matchmaker.ErrInvalidInput (the player is not in the
// session).
func (p *Partition) RemovePlayers(ctx context.Context, gameSessionArn string, playerIDs ...string) error {
	_, err := p.submit(ctx, uuid.NewString(), request{Op: opRemovePlayers, ID: gameSessionArn, IDs: playerIDs})
	return err
}

// AddPlayers reports players who joined a game session outside matchmaking (see
// matchmaker.AddPlayers). Retry: safe; a duplicate fails with matchmaker.ErrInvalidInput (the
// player is already in the session).
func (p *Partition) AddPlayers(ctx context.Context, gameSessionArn string, players ...mm.Player) error {
	_, err := p.submit(ctx, uuid.NewString(), request{Op: opAddPlayers, ID: gameSessionArn, Players: players})
	return err
}

// EndGameSession forgets a game session and cancels its active backfill. Retry: safe; a
// duplicate fails with matchmaker.ErrNotFound.
func (p *Partition) EndGameSession(ctx context.Context, gameSessionArn string) error {
	_, err := p.submit(ctx, uuid.NewString(), request{Op: opEndSession, ID: gameSessionArn})
	return err
}

// CompletePlacement reports that the host placed a match (see "Placing matches" in the package
// documentation). A retry within DedupWindow returns the first call's result. After it,
// matchmaker.ErrNotFound means the placement already completed, failed or timed out: there is
// nothing left to report.
func (p *Partition) CompletePlacement(ctx context.Context, placementID string, gs mm.PlacedGameSession) error {
	_, err := p.submit(ctx, dedupID("complete", placementID), request{Op: opCompletePlace, ID: placementID, Placed: &gs})
	return err
}

// FailPlacement reports that the host could not place a match: with retry, its tickets search
// again; without, they fail. A retry within DedupWindow returns the first call's result. After
// it, matchmaker.ErrNotFound means the placement already completed, failed or timed out: there
// is nothing left to report.
func (p *Partition) FailPlacement(ctx context.Context, placementID, message string, retry bool) error {
	_, err := p.submit(ctx, dedupID("fail", placementID), request{Op: opFailPlace, ID: placementID, Message: message, Retry: retry})
	return err
}

// plainID is an ID that can go into a message ID as it is.
var plainID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)

// dedupID is the intake message ID of a request that a caller-chosen ID identifies: readable
// when the ID is plain, a hash of it otherwise (any string, bounded in size, safe in a header).
// The owner validates the ID itself.
func dedupID(kind, id string) string {
	if plainID.MatchString(id) {
		return kind + "." + id
	}
	sum := sha256.Sum256([]byte(id))
	return kind + "#" + hex.EncodeToString(sum[:16])
}

// submit publishes a request to the intake stream, retrying with the same message ID until the
// stream stores it (or drops it as a duplicate, returning the first one's sequence), and waits
// until this node has followed the journal message that applied it.
func (p *Partition) submit(ctx context.Context, msgID string, req request) (reply, error) {
	if err := p.waitReady(ctx); err != nil {
		return reply{}, err
	}
	body, err := json.Marshal(req)
	if err != nil {
		return reply{}, err
	}
	var seq uint64
	for backoff := 10 * time.Millisecond; ; backoff = min(2*backoff, time.Second) {
		msg := nats.NewMsg(p.subjI)
		msg.Data = body
		pctx, cancel := context.WithTimeout(ctx, p.n.cfg.Timeout)
		ack, err := p.n.js.PublishMsg(pctx, msg, jetstream.WithMsgID(msgID))
		cancel()
		if err == nil {
			seq = ack.Sequence
			break
		}
		if ctx.Err() != nil {
			return reply{}, context.Cause(ctx)
		}
		if errors.Is(err, nats.ErrMaxPayload) {
			return reply{}, err
		}
		if isStreamFull(err) {
			return reply{}, fmt.Errorf("%w: the intake of partition %s is full (Config.MaxIntakeBytes): %v", mm.ErrLimit, p.name, err)
		}
		sleep(ctx, backoff)
	}
	return p.awaitResult(ctx, seq)
}

// errCodeStreamStoreFailed is the server's JSStreamStoreFailedF, which a stream at its limits
// with DiscardNew returns; nats.go has no constant for it.
const errCodeStreamStoreFailed jetstream.ErrorCode = 10077

// isStreamFull reports whether a publish failed because the stream is at its limits.
func isStreamFull(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == errCodeStreamStoreFailed &&
		(strings.Contains(apiErr.Description, "maximum messages") || strings.Contains(apiErr.Description, "maximum bytes"))
}

// awaitResult waits for the result of intake message seq.
func (p *Partition) awaitResult(ctx context.Context, seq uint64) (reply, error) {
	p.mu.Lock()
	if r, ok := p.recent[seq]; ok {
		rp := p.replyLocked(r)
		p.mu.Unlock()
		return rp, rp.err()
	}
	if p.intake >= seq {
		p.mu.Unlock()
		return reply{}, ErrResultUnknown
	}
	if p.closed {
		p.mu.Unlock()
		return reply{}, mm.ErrClosed
	}
	c := make(chan reply, 1)
	p.pending[seq] = append(p.pending[seq], c)
	p.mu.Unlock()
	select {
	case rp := <-c:
		return rp, rp.err()
	case <-ctx.Done():
		p.mu.Lock()
		forget(p.pending, seq, c)
		p.mu.Unlock()
		return reply{}, context.Cause(ctx)
	}
}

// forget removes a caller's channel c from the list under k.
func forget[K, C comparable](m map[K][]C, k K, c C) {
	cs := m[k]
	for i, x := range cs {
		if x == c {
			cs = append(cs[:i:i], cs[i+1:]...)
			break
		}
	}
	if len(cs) == 0 {
		delete(m, k)
	} else {
		m[k] = cs
	}
}

// waitReady waits until this node has loaded the partition, Node.Close is called
// (matchmaker.ErrClosed), or ctx ends.
func (p *Partition) waitReady(ctx context.Context) error {
	select {
	case <-p.ready:
		return nil
	case <-p.stopped:
		return mm.ErrClosed
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// DescribeMatchmaking returns tickets as this node's committed copy shows them (the owner's
// state as of the last journal message this node followed).
func (p *Partition) DescribeMatchmaking(ctx context.Context, ticketIDs ...string) ([]mm.Ticket, error) {
	if err := p.waitReady(ctx); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.m.DescribeMatchmaking(ticketIDs...), nil
}

// DescribeGameSession returns a game session as this node's committed copy shows it.
func (p *Partition) DescribeGameSession(ctx context.Context, gameSessionArn string) (mm.GameSession, error) {
	if err := p.waitReady(ctx); err != nil {
		return mm.GameSession{}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.m.DescribeGameSession(gameSessionArn)
}

// Explain says why a searching ticket has not matched yet, from this node's copy (see
// matchmaker.Explain).
func (p *Partition) Explain(ctx context.Context, ticketID string) (mm.Explanation, error) {
	if err := p.waitReady(ctx); err != nil {
		return mm.Explanation{}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.m.Explain(ticketID)
}

// Placements returns the matches waiting for the host's Placer, as this node's committed copy
// shows them, oldest first.
func (p *Partition) Placements(ctx context.Context) ([]mm.PlacementRequest, error) {
	if err := p.waitReady(ctx); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.m.Placements(), nil
}

// CatchUp returns once this node has followed every journal message committed when it was
// called, so that its reads (DescribeMatchmaking, DescribeGameSession, Placements, Explain)
// show every request acknowledged before, on any node. It costs one round trip to the server,
// and waits for this node to follow the journal that far. It first waits for the partition to
// load on this node, so CatchUp with a deadline also checks that the partition is ready here
// (not that it has an owner).
func (p *Partition) CatchUp(ctx context.Context) error {
	if err := p.waitReady(ctx); err != nil {
		return err
	}
	sctx, cancel := context.WithTimeout(ctx, p.n.cfg.Timeout)
	s, err := p.n.js.Stream(sctx, p.jstream)
	cancel()
	if err != nil {
		return fmt.Errorf("natscluster: journal %s: %w", p.jstream, err)
	}
	last := s.CachedInfo().State.LastSeq
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return mm.ErrClosed
		}
		if p.applied >= last {
			p.mu.Unlock()
			return nil
		}
		moved := p.progress
		p.mu.Unlock()
		select {
		case <-moved:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// Wait blocks until the ticket ends, as committed, or ctx is done, and returns its final
// state. A ticket this node does not know yet is looked for again once the node has caught up
// with the journal (CatchUp), so a ticket started through another node can be waited on here
// as soon as its StartMatchmaking returned; a ticket still unknown then (never started, or
// forgotten after the retention period, matchmaker.WithTicketRetention) fails with
// matchmaker.ErrNotFound. A node closing ends the wait with matchmaker.ErrClosed.
func (p *Partition) Wait(ctx context.Context, ticketID string) (mm.Ticket, error) {
	if err := p.waitReady(ctx); err != nil {
		return mm.Ticket{}, err
	}
	caughtUp := false
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return mm.Ticket{}, mm.ErrClosed
		}
		ts := p.m.DescribeMatchmaking(ticketID)
		if len(ts) == 0 {
			p.mu.Unlock()
			if caughtUp {
				return mm.Ticket{}, &mm.NotFoundError{Kind: "ticket", ID: ticketID}
			}
			if err := p.CatchUp(ctx); err != nil {
				return mm.Ticket{}, err
			}
			caughtUp = true
			continue
		}
		if ts[0].Status.Terminal() {
			p.mu.Unlock()
			return ts[0], nil
		}
		c := make(chan struct{})
		p.waiters[ticketID] = append(p.waiters[ticketID], c)
		p.mu.Unlock()
		select {
		case <-c:
		case <-ctx.Done():
			p.mu.Lock()
			forget(p.waiters, ticketID, c)
			p.mu.Unlock()
			return mm.Ticket{}, context.Cause(ctx)
		}
	}
}

// IsOwner reports whether this node owns the partition now.
func (p *Partition) IsOwner() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.owner
}

// Metrics counts what a partition did on this node.
type Metrics struct {
	Ticks     uint64 // journal messages committed as owner
	Requests  uint64 // intake requests applied as owner
	Followed  uint64 // journal messages applied as standby
	Takeovers uint64 // times this node took the partition over
	Loads     uint64 // times it (re)built the Matchmaker from a snapshot, a failed commit's included
	Snapshots uint64 // snapshots it saved
	// EventsLost counts committed events this node, as owner, left off the events stream
	// because the event's envelope alone exceeds max_payload (each is logged as an error).
	// Subscriptions are not affected.
	EventsLost uint64
	// EventGaps counts the times this node, as owner, found that the events stream lacked the
	// events of journal messages that neither its ring (the events of its last 64 journal
	// messages that had events) nor the kept journal still held (each is logged as an error):
	// the stream has a gap there. Subscriptions are not affected.
	EventGaps uint64
	Journal   uint64 // the last journal message applied
	Intake    uint64 // the last intake message applied
}

// Metrics returns the partition's counters on this node.
func (p *Partition) Metrics() Metrics {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := p.metrics
	m.Journal, m.Intake = p.applied, p.intake
	return m
}

// ErrEventsSkipped ends a Subscription on a node that rebuilt its copy from a snapshot past
// journal messages it had not followed (it fell behind every kept snapshot, and the journal
// was purged after them): their events
// will never reach it. Subscribe again, and read the state (DescribeMatchmaking) or the
// events stream (see "Events stream" in the package documentation) to learn what happened in
// between.
var ErrEventsSkipped = errors.New("natscluster: this node rebuilt past events its subscription had not received")

// SubscriberBuffer is how many events a Subscription holds for its consumer; one that falls
// further behind is cut off with matchmaker.ErrSlowSubscriber.
const SubscriberBuffer = 1 << 16

// Subscription receives a partition's committed events on one node, in Seq order, each once:
// every node's subscriptions see the same events with the same Seq. The node owns the channel
// and closes it when the subscription ends; Err then says why.
type Subscription struct {
	p   *Partition
	c   chan mm.Event
	mu  sync.Mutex
	err error
}

// Subscribe starts a subscription to the partition's events. It receives the events of the
// journal messages this node applies after the call; earlier events are not sent. ctx bounds
// only the wait for the partition to load on this node: the subscription runs until
// Subscription.Close, a cut-off (see Err), or the node closing. A node holds at most
// Config.MaxSubscribers per partition; past that, Subscribe fails with matchmaker.ErrLimit.
func (p *Partition) Subscribe(ctx context.Context) (*Subscription, error) {
	if err := p.waitReady(ctx); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, mm.ErrClosed
	}
	if len(p.subs) >= p.n.cfg.MaxSubscribers {
		return nil, fmt.Errorf("%w: partition %s already has %d subscriptions on this node (Config.MaxSubscribers)",
			mm.ErrLimit, p.name, len(p.subs))
	}
	s := &Subscription{p: p, c: make(chan mm.Event, SubscriberBuffer)}
	p.subs[s] = struct{}{}
	return s, nil
}

// C returns the channel of events; it is closed when the subscription ends.
func (s *Subscription) C() <-chan mm.Event { return s.c }

// Err returns why the subscription ended: matchmaker.ErrSlowSubscriber, ErrEventsSkipped,
// matchmaker.ErrClosed, or nil while it runs.
func (s *Subscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close ends the subscription, unless it has ended already, and closes its channel; Err then
// returns matchmaker.ErrClosed. It is the only way for the consumer to end it: the ctx given to
// Subscribe does not.
func (s *Subscription) Close() {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	s.end(mm.ErrClosed)
}

// send queues events without blocking; a subscriber without room is cut off. Requires p.mu.
func (s *Subscription) send(events []mm.Event) {
	if len(s.c)+len(events) > cap(s.c) {
		s.end(mm.ErrSlowSubscriber)
		return
	}
	for _, e := range events {
		s.c <- e
	}
}

// end closes the subscription once. Requires p.mu.
func (s *Subscription) end(err error) {
	if _, ok := s.p.subs[s]; !ok {
		return
	}
	delete(s.p.subs, s)
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
	close(s.c)
}

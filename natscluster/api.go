package natscluster

// This file holds a Partition's requests, reads and subscriptions: the single-process API,
// routed through the intake stream to the owner.

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	mm "github.com/seed-04d22514/matchmaker"
)

// ErrResultUnknown is returned when a request was applied but its result is no longer kept on
// this node (it keeps the last 65,536); the request took effect.
var ErrResultUnknown = errors.New("natscluster: request applied; its result is no longer known")

// StartMatchmaking starts a ticket on the partition's owner and returns it once the journal
// message holding it has committed. An empty TicketID is filled with a random UUID here (not by
// the owner), so that a retry is recognised: the intake stream drops a second request with the
// same ticket ID within DedupWindow, and the call returns the first one's result.
func (p *Partition) StartMatchmaking(ctx context.Context, in mm.StartMatchmakingInput) (mm.Ticket, error) {
	if in.TicketID == "" {
		in.TicketID = uuid.NewString()
	}
	rp, err := p.submit(ctx, "start."+in.TicketID, request{Op: opStart, Start: &in})
	return rp.ticket, err
}

// StopMatchmaking cancels a ticket.
func (p *Partition) StopMatchmaking(ctx context.Context, ticketID string) error {
	_, err := p.submit(ctx, uuid.NewString(), request{Op: opStop, ID: ticketID})
	return err
}

// AcceptMatch records players' answers to a proposed match.
func (p *Partition) AcceptMatch(ctx context.Context, in mm.AcceptMatchInput) error {
	_, err := p.submit(ctx, uuid.NewString(), request{Op: opAccept, Accept: &in})
	return err
}

// StartMatchBackfill starts a backfill ticket; an empty TicketID is filled as in
// StartMatchmaking.
func (p *Partition) StartMatchBackfill(ctx context.Context, in mm.StartMatchBackfillInput) (mm.Ticket, error) {
	if in.TicketID == "" {
		in.TicketID = uuid.NewString()
	}
	rp, err := p.submit(ctx, "backfill."+in.TicketID, request{Op: opStartBackfill, Backfill: &in})
	return rp.ticket, err
}

// StopMatchBackfill cancels a backfill ticket.
func (p *Partition) StopMatchBackfill(ctx context.Context, ticketID string) error {
	_, err := p.submit(ctx, uuid.NewString(), request{Op: opStopBackfill, ID: ticketID})
	return err
}

// AcknowledgeBackfill acknowledges a backfill ticket's proposal.
func (p *Partition) AcknowledgeBackfill(ctx context.Context, ticketID string) (mm.AcknowledgeBackfillOutput, error) {
	rp, err := p.submit(ctx, uuid.NewString(), request{Op: opAck, ID: ticketID})
	if err != nil || rp.res.Ack == nil {
		return mm.AcknowledgeBackfillOutput{}, err
	}
	return rp.res.Ack.output(), nil
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
		sleep(ctx, backoff)
	}
	return p.awaitResult(ctx, seq)
}

// awaitResult waits for the result of intake message seq.
func (p *Partition) awaitResult(ctx context.Context, seq uint64) (reply, error) {
	p.mu.Lock()
	if r, ok := p.recent[seq]; ok {
		rp := p.replyLocked(r)
		p.mu.Unlock()
		return rp, rp.res.Err.err()
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
		if rp.err != nil {
			return reply{}, rp.err
		}
		return rp, rp.res.Err.err()
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

func (p *Partition) waitReady(ctx context.Context) error {
	select {
	case <-p.ready:
		return nil
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

// Wait blocks until the ticket ends, as committed, or ctx is done, and returns its final
// state. A ticket this node does not know (not yet followed, or forgotten after the retention
// period) fails with matchmaker.ErrNotFound; a node closing ends the wait with
// matchmaker.ErrClosed.
func (p *Partition) Wait(ctx context.Context, ticketID string) (mm.Ticket, error) {
	if err := p.waitReady(ctx); err != nil {
		return mm.Ticket{}, err
	}
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return mm.Ticket{}, mm.ErrClosed
		}
		ts := p.m.DescribeMatchmaking(ticketID)
		if len(ts) == 0 {
			p.mu.Unlock()
			return mm.Ticket{}, &mm.NotFoundError{Kind: "ticket", ID: ticketID}
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
	Loads     uint64 // times it (re)built the Matchmaker from a snapshot
	Snapshots uint64 // snapshots it saved
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

// Subscribe starts a subscription to the partition's events from the next journal message this
// node applies on.
func (p *Partition) Subscribe(ctx context.Context) (*Subscription, error) {
	if err := p.waitReady(ctx); err != nil {
		return nil, err
	}
	s := &Subscription{p: p, c: make(chan mm.Event, SubscriberBuffer)}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, mm.ErrClosed
	}
	p.subs[s] = struct{}{}
	return s, nil
}

// C returns the channel of events; it is closed when the subscription ends.
func (s *Subscription) C() <-chan mm.Event { return s.c }

// Err returns why the subscription ended: matchmaker.ErrSlowSubscriber, matchmaker.ErrClosed,
// or nil while it runs.
func (s *Subscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close ends the subscription.
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

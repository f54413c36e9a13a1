package natscluster

// This file holds the events stream: the owner publishes the events of each journal message
// in order, as one message (or, when they do not fit in max_payload, several parts) whose ID
// names the journal sequence and the part, so the stream drops a message that a new owner
// publishes again after a failover. A publish that fails is tried again at the next tick.

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	mm "github.com/seed-04d22514/matchmaker"
)

// Headers of an events message, beside hdrJournal.
const (
	hdrPart  = "Mm-Part"  // the part's index, from 0
	hdrParts = "Mm-Parts" // how many parts the journal message's events take
)

// publishLoop publishes the owner's committed events when woken, and every second (a publish
// that failed is tried again), until ctx ends. It first reads where the events stream stands
// (the last journal message whose events are there), trying again until it can: publishing
// before it knows would skip or repeat events.
func (p *Partition) publishLoop(ctx context.Context, wake <-chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		p.learnPublished(ctx)
		p.publishPending(ctx)
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-t.C:
		}
	}
}

// learnPublished reads, once per ownership, the last journal message whose events are on the
// events stream.
func (p *Partition) learnPublished(ctx context.Context) {
	p.mu.Lock()
	known := p.pubKnown
	p.mu.Unlock()
	if known {
		return
	}
	published, err := p.lastPublished(ctx)
	if err != nil {
		if ctx.Err() == nil {
			p.n.logger().Warn("natscluster: reading the events stream", "partition", p.name, "err", err)
		}
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.published, p.pubKnown = published, true
	if p.ringFrom > published {
		p.n.logger().Warn("natscluster: the events stream may miss events of journal messages this node does not hold",
			"partition", p.name, "from", published+1, "to", p.ringFrom)
	}
}

// publishPending publishes, in order, the events of the journal messages after the last one on
// the events stream (p.published) that the ring still holds, and stops at the first failure:
// the next call starts there again.
func (p *Partition) publishPending(ctx context.Context) {
	p.mu.Lock()
	if !p.pubKnown {
		p.mu.Unlock()
		return
	}
	var todo []committedEvents
	for _, ce := range p.evRing {
		if ce.journal > p.published {
			todo = append(todo, ce)
		}
	}
	p.mu.Unlock()
	for _, ce := range todo {
		if err := p.publishEvents(ctx, ce.journal, ce.events); err != nil {
			if ctx.Err() == nil {
				p.n.logger().Warn("natscluster: events not published yet", "partition", p.name, "journal", ce.journal, "err", err)
			}
			return
		}
		p.mu.Lock()
		p.published = ce.journal
		p.mu.Unlock()
	}
}

// publishEvents publishes the events of journal message seq, as JSON arrays of EventBridge
// envelopes (matchmaker.NewEnvelope, with the partition as Namespace), in as many parts as
// max_payload needs. An event that cannot be an envelope, or that alone exceeds max_payload,
// is left out and logged as an error.
func (p *Partition) publishEvents(ctx context.Context, seq uint64, events []mm.Event) error {
	budget := p.n.messageBytes()
	var parts [][]json.RawMessage
	var part []json.RawMessage
	size := 2
	for _, e := range events {
		env, err := mm.NewEnvelope(e, mm.EnvelopeOptions{Namespace: p.name})
		var b []byte
		if err == nil {
			b, err = json.Marshal(env)
		}
		if err == nil && len(b)+2 > budget {
			err = errors.New("the event's envelope exceeds the server's max_payload")
		}
		if err != nil {
			p.n.logger().Error("natscluster: event left off the events stream", "partition", p.name,
				"seq", e.EventHeader().Seq, "type", e.EventType(), "err", err)
			p.mu.Lock()
			p.metrics.EventsLost++
			p.mu.Unlock()
			continue
		}
		if len(part) > 0 && size+len(b)+1 > budget {
			parts, part, size = append(parts, part), nil, 2
		}
		part, size = append(part, b), size+len(b)+1
	}
	if len(part) > 0 {
		parts = append(parts, part)
	}
	for i, part := range parts {
		msg := nats.NewMsg(p.subjE)
		msg.Header.Set(hdrJournal, strconv.FormatUint(seq, 10))
		msg.Header.Set(hdrPart, strconv.Itoa(i))
		msg.Header.Set(hdrParts, strconv.Itoa(len(parts)))
		msg.Data, _ = json.Marshal(part)
		pctx, cancel := context.WithTimeout(ctx, p.n.cfg.Timeout)
		_, err := p.n.js.PublishMsg(pctx, msg, jetstream.WithMsgID(p.name+"."+strconv.FormatUint(seq, 10)+"."+strconv.Itoa(i)))
		cancel()
		if err != nil {
			return err
		}
	}
	return nil
}

// lastPublished reads, on taking over, the journal message whose events are last on the
// events stream; a message published only in part counts as not published (its parts are
// published again, and the stream drops those it has).
func (p *Partition) lastPublished(ctx context.Context) (uint64, error) {
	gctx, cancel := context.WithTimeout(ctx, p.n.cfg.Timeout)
	defer cancel()
	s, err := p.n.js.Stream(gctx, p.n.cfg.Prefix+"_E_"+p.name)
	if err != nil {
		return 0, err
	}
	m, err := s.GetLastMsgForSubject(gctx, p.subjE)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	seq := headerUint(m.Header, hdrJournal)
	if part, parts := headerUint(m.Header, hdrPart), headerUint(m.Header, hdrParts); part+1 < parts && seq > 0 {
		seq--
	}
	return seq, nil
}

package natscluster

// This file holds the events stream: the owner publishes the events of each journal message
// in order, as one message (or, when they do not fit in max_payload, several parts) whose ID
// names the journal sequence and the part, so the stream drops a message that a new owner
// publishes again after a failover. A publish that fails is tried again at the next tick.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

// learnPublished reads, once per ownership (and again after the ring dropped events the
// stream did not take), the last journal message whose events are on the events stream. When
// the ring does not reach back that far (this node started or rebuilt past later messages, or
// the stream stayed unavailable for longer than the ring holds), it replays those messages
// from a kept snapshot and publishes their events first.
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
	for {
		p.mu.Lock()
		ringFrom := p.ringFrom
		if ringFrom <= published {
			// The ring holds every message after published; the lock orders this against
			// dispatchLocked dropping more of it.
			p.published, p.pubKnown = published, true
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
		missing, err := p.regenerate(ctx, published, ringFrom)
		switch {
		case errors.Is(err, errJournalGone):
			p.n.logger().Error("natscluster: the events stream misses events of journal messages no longer kept",
				"partition", p.name, "from", published+1, "to", ringFrom, "err", err)
			p.mu.Lock()
			p.metrics.EventGaps++
			p.mu.Unlock()
		case err != nil: // try again on the next attempt; publish nothing after them meanwhile
			if ctx.Err() == nil {
				p.n.logger().Warn("natscluster: replaying the events the stream lacks", "partition", p.name, "err", err)
			}
			return
		}
		for _, ce := range missing {
			if err := p.publishEvents(ctx, ce.journal, ce.events); err != nil {
				if ctx.Err() == nil {
					p.n.logger().Warn("natscluster: events not published yet", "partition", p.name, "journal", ce.journal, "err", err)
				}
				return // learn and replay again on the next attempt
			}
		}
		published = ringFrom // the ring may have moved on meanwhile: look again
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

// errJournalGone says the journal no longer reaches back to messages whose events are needed.
var errJournalGone = errors.New("natscluster: the journal no longer holds those messages")

// regenerate rebuilds the events of the journal messages after published up to to, which
// this node does not hold (it started, or rebuilt, past them): it restores the newest kept
// snapshot at or below published into a Matchmaker of its own and replays the journal from
// there, as a standby would. It fails when no kept snapshot and journal reach that far back.
func (p *Partition) regenerate(ctx context.Context, published, to uint64) ([]committedEvents, error) {
	from, err := p.keptSnapshotAtOrBelow(ctx, published)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*p.n.cfg.Timeout)
	defer cancel()
	var m *mm.Matchmaker
	if from == 0 {
		m, err = mm.New(p.mcfg, p.mopts...)
	} else {
		var b []byte
		if b, err = p.n.objs.GetBytes(ctx, snapshotName(p.name, from)); err == nil {
			m, err = mm.Restore(bytes.NewReader(b), p.mcfg, p.mopts...)
		}
	}
	if err != nil {
		return nil, err
	}
	defer m.Shutdown(nil)
	sub, err := m.Subscribe()
	if err != nil {
		return nil, err
	}
	var out []committedEvents
	at := from
	err = p.scanJournal(ctx, from, to, func(seq uint64, msg jetstream.Msg) error {
		if seq != at+1 {
			return fmt.Errorf("%w: journal message %d follows %d", errJournalGone, seq, at)
		}
		at = seq
		if msg.Headers().Get(hdrKind) == kindTick {
			entries, _, err := decodeTick(msg.Data())
			if err != nil {
				return err
			}
			for _, e := range entries {
				if err := m.Replay(e); err != nil {
					return err
				}
			}
		}
		var events []mm.Event
		for {
			e, ok := sub.TryNext()
			if !ok {
				break
			}
			events = append(events, e)
		}
		if seq > published && len(events) > 0 {
			out = append(out, committedEvents{journal: seq, events: events})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

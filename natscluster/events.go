package natscluster

// This file holds the events stream: the owner publishes the events of each journal message
// once, as one message whose ID is the journal sequence, so the stream deduplicates a message
// that a new owner publishes again after a failover.

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	mm "github.com/seed-04d22514/matchmaker"
)

// publishEvents publishes the events of journal message seq, as a JSON array of EventBridge
// envelopes (matchmaker.NewEnvelope, with the partition as Namespace).
func (p *Partition) publishEvents(ctx context.Context, seq uint64, events []mm.Event) {
	if len(events) == 0 {
		return
	}
	envs := make([]json.RawMessage, 0, len(events))
	for _, e := range events {
		env, err := mm.NewEnvelope(e, mm.EnvelopeOptions{Namespace: p.name})
		if err == nil {
			var b []byte
			if b, err = json.Marshal(env); err == nil {
				envs = append(envs, b)
			}
		}
		if err != nil {
			p.n.logger().Warn("natscluster: event not published", "partition", p.name, "seq", e.EventHeader().Seq, "err", err)
		}
	}
	msg := nats.NewMsg(p.subjE)
	msg.Header.Set(hdrJournal, strconv.FormatUint(seq, 10))
	msg.Data, _ = json.Marshal(envs)
	ctx, cancel := context.WithTimeout(ctx, p.n.cfg.Timeout)
	defer cancel()
	if _, err := p.n.js.PublishMsg(ctx, msg, jetstream.WithMsgID(p.name+"."+strconv.FormatUint(seq, 10))); err != nil {
		p.n.logger().Warn("natscluster: events not published", "partition", p.name, "journal", seq, "err", err)
	}
}

// republishEvents publishes, on taking over, the events of the journal messages after the last
// one on the events stream: a former owner may have committed them and stopped before
// publishing. This node keeps the events of the last 64 messages it applied.
func (p *Partition) republishEvents(ctx context.Context) {
	last := uint64(0)
	gctx, cancel := context.WithTimeout(ctx, p.n.cfg.Timeout)
	s, err := p.n.js.Stream(gctx, p.n.cfg.Prefix+"_E_"+p.name)
	if err == nil {
		var m *jetstream.RawStreamMsg
		if m, err = s.GetLastMsgForSubject(gctx, p.subjE); err == nil {
			last = headerUint(m.Header, hdrJournal)
		}
	}
	cancel()
	if err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		p.n.logger().Warn("natscluster: reading the events stream", "partition", p.name, "err", err)
		return
	}
	p.mu.Lock()
	var todo []committedEvents
	for _, ce := range p.evRing {
		if ce.journal > last {
			todo = append(todo, ce)
		}
	}
	p.mu.Unlock()
	for _, ce := range todo {
		p.publishEvents(ctx, ce.journal, ce.events)
	}
}

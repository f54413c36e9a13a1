package natscluster

// This file holds the ownership lease: a key per partition in a KV bucket whose TTL is the
// lease's, created by the node that takes it and updated (compare-and-set on its revision) by
// the owner to renew it. The lease says who should own; the fenced journal append decides.

import (
	"context"
	"errors"

	"github.com/nats-io/nats.go/jetstream"
)

// acquire takes the partition's lease if it is free or already this node's.
func (p *Partition) acquire(ctx context.Context) (rev uint64, ok bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, p.n.cfg.Timeout)
	defer cancel()
	me := []byte(p.n.cfg.NodeID)
	e, err := p.n.lease.Get(ctx, p.name)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		rev, err = p.n.lease.Create(ctx, p.name, me)
	case err != nil:
		return 0, false, err
	case string(e.Value()) == string(me):
		rev, err = p.n.lease.Update(ctx, p.name, me, e.Revision())
	default:
		return 0, false, nil
	}
	if err != nil {
		return 0, false, nil // another node was quicker
	}
	return rev, true, nil
}

// renew extends the lease; it fails once another node holds it.
func (p *Partition) renew(ctx context.Context, rev uint64) (uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, p.n.cfg.Timeout)
	defer cancel()
	return p.n.lease.Update(ctx, p.name, []byte(p.n.cfg.NodeID), rev)
}

// releaseLease deletes the lease if this node still holds it, so a standby takes over without
// waiting for the TTL.
func (p *Partition) releaseLease(rev uint64) {
	ctx, cancel := context.WithTimeout(context.Background(), p.n.cfg.Timeout)
	defer cancel()
	_ = p.n.lease.Delete(ctx, p.name, jetstream.LastRevision(rev))
}

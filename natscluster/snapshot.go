package natscluster

// This file holds the partition's snapshots: every SnapshotEvery journal messages the owner
// writes its Matchmaker's snapshot to the object store, moves the partition's snapshot pointer
// forward (compare-and-set, so a former owner cannot move it back), and purges the journal and
// intake below the previous snapshot (one interval is kept, so a standby a little behind
// continues without reloading).

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// maybeSnapshot starts a snapshot when SnapshotEvery messages have been committed since the
// last one and none is under way.
func (p *Partition) maybeSnapshot(ctx context.Context) {
	p.mu.Lock()
	if p.snapping || p.applied < p.snapAt+uint64(p.n.cfg.SnapshotEvery) {
		p.mu.Unlock()
		return
	}
	var b bytes.Buffer
	err := p.m.Snapshot(&b)
	at, intake := p.applied, p.intake
	p.snapping = err == nil
	p.mu.Unlock()
	if err != nil {
		p.n.logger().Warn("natscluster: snapshot", "partition", p.name, "err", err)
		return
	}
	p.n.wg.Go(func() {
		defer func() {
			p.mu.Lock()
			p.snapping = false
			p.mu.Unlock()
		}()
		if err := p.saveSnapshot(ctx, at, intake, b.Bytes()); err != nil {
			p.n.logger().Warn("natscluster: snapshot", "partition", p.name, "journal", at, "err", err)
		}
	})
}

// saveSnapshot uploads a snapshot taken at journal message at, points the partition at it,
// deletes the snapshot before the previous one and purges the journal and intake below the
// previous one.
func (p *Partition) saveSnapshot(ctx context.Context, at, intake uint64, b []byte) error {
	n := p.n
	ctx, cancel := context.WithTimeout(ctx, 10*n.cfg.Timeout)
	defer cancel()
	_, err := n.objs.Put(ctx, jetstream.ObjectMeta{Name: snapshotName(p.name, at),
		Metadata: map[string]string{"intake": strconv.FormatUint(intake, 10)}}, bytes.NewReader(b))
	if err != nil {
		return err
	}
	prev, prevIntake := uint64(0), uint64(0)
	e, err := n.snaps.Get(ctx, p.name)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		_, err = n.snaps.Create(ctx, p.name, []byte(strconv.FormatUint(at, 10)))
	case err != nil:
	default:
		prev, _ = strconv.ParseUint(string(e.Value()), 10, 64)
		if prev >= at {
			_ = n.objs.Delete(ctx, snapshotName(p.name, at)) // a newer owner's is there
			return nil
		}
		_, err = n.snaps.Update(ctx, p.name, []byte(strconv.FormatUint(at, 10)), e.Revision())
	}
	if err != nil {
		_ = n.objs.Delete(ctx, snapshotName(p.name, at))
		return err
	}
	p.mu.Lock()
	p.snapAt = max(p.snapAt, at)
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.metrics.Snapshots++
		p.mu.Unlock()
	}()
	if prev == 0 {
		return nil
	}
	if info, err := n.objs.GetInfo(ctx, snapshotName(p.name, prev)); err == nil {
		prevIntake, _ = strconv.ParseUint(info.Metadata["intake"], 10, 64)
	}
	// The snapshot before prev is no longer needed: prev and the journal after it remain.
	p.deleteOlderSnapshots(ctx, prev)
	if n.cfg.KeepJournal {
		return nil
	}
	if s, err := n.js.Stream(ctx, p.jstream); err == nil {
		_ = s.Purge(ctx, jetstream.WithPurgeSequence(prev+1))
	}
	if s, err := n.js.Stream(ctx, p.istream); err == nil && prevIntake > 0 {
		_ = s.Purge(ctx, jetstream.WithPurgeSequence(prevIntake+1))
	}
	return nil
}

// deleteOlderSnapshots deletes the partition's snapshots older than keep.
func (p *Partition) deleteOlderSnapshots(ctx context.Context, keep uint64) {
	kept, err := p.keptSnapshots(ctx)
	if err != nil {
		return
	}
	for _, at := range kept {
		if at < keep {
			_ = p.n.objs.Delete(ctx, snapshotName(p.name, at))
		}
	}
}

// keptSnapshots lists the journal positions of the partition's snapshots in the object store.
func (p *Partition) keptSnapshots(ctx context.Context) ([]uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, p.n.cfg.Timeout)
	defer cancel()
	infos, err := p.n.objs.List(ctx)
	if err != nil && !errors.Is(err, jetstream.ErrNoObjectsFound) {
		return nil, err
	}
	prefix := p.name + "."
	var out []uint64
	for _, info := range infos {
		if at, ok := strings.CutPrefix(info.Name, prefix); ok {
			if x, err := strconv.ParseUint(at, 10, 64); err == nil {
				out = append(out, x)
			}
		}
	}
	return out, nil
}

// keptSnapshotAtOrBelow returns the newest kept snapshot at or below journal message at, or 0
// (replay from the start) when there is none.
func (p *Partition) keptSnapshotAtOrBelow(ctx context.Context, at uint64) (uint64, error) {
	kept, err := p.keptSnapshots(ctx)
	best := uint64(0)
	for _, x := range kept {
		if x <= at && x > best {
			best = x
		}
	}
	return best, err
}

package journal

// This file holds checkpoints and recovery: Checkpoint writes a snapshot atomically and trims
// the segments it covers; Snapshot, Entries and Recover read a directory back.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"iter"
	"os"
	"slices"

	"github.com/seed-04d22514/matchmaker"
)

const (
	snapshotMagic      = "MMJSNAP\x01" // format version 1
	snapshotHeaderSize = 8 + 8 + 8 + 4 + 4
)

// putSnapshotHeader fills b's header (its first snapshotHeaderSize bytes) for the payload after
// it: magic, position, payload length, the payload's CRC-32C, the header's CRC-32C.
func putSnapshotHeader(b []byte, seq uint64) {
	payload := b[snapshotHeaderSize:]
	copy(b, snapshotMagic)
	binary.LittleEndian.PutUint64(b[8:], seq)
	binary.LittleEndian.PutUint64(b[16:], uint64(len(payload)))
	binary.LittleEndian.PutUint32(b[24:], crc32.Checksum(payload, castagnoli))
	binary.LittleEndian.PutUint32(b[28:], crc32.Checksum(b[:28], castagnoli))
}

// readSnapshotFile returns the payload of a snapshot file, checked, or a *CorruptError.
func readSnapshotFile(path string, seq uint64) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	bad := func(off int64, reason string) ([]byte, error) {
		return nil, &CorruptError{File: path, Offset: off, Reason: reason}
	}
	switch {
	case len(b) < snapshotHeaderSize:
		return bad(0, "snapshot header cut short")
	case string(b[:8]) != snapshotMagic:
		return bad(0, "not a journal snapshot of format version 1")
	case crc32.Checksum(b[:28], castagnoli) != binary.LittleEndian.Uint32(b[28:]):
		return bad(28, "snapshot header checksum mismatch")
	case binary.LittleEndian.Uint64(b[8:]) != seq:
		return bad(8, fmt.Sprintf("header names entry %d, the file name entry %d", binary.LittleEndian.Uint64(b[8:]), seq))
	case binary.LittleEndian.Uint64(b[16:]) != uint64(len(b)-snapshotHeaderSize):
		return bad(16, fmt.Sprintf("snapshot of %d bytes, the header says %d", len(b)-snapshotHeaderSize, binary.LittleEndian.Uint64(b[16:])))
	case crc32.Checksum(b[snapshotHeaderSize:], castagnoli) != binary.LittleEndian.Uint32(b[24:]):
		return bad(snapshotHeaderSize, "snapshot checksum mismatch")
	}
	return b[snapshotHeaderSize:], nil
}

// Checkpoint writes a snapshot of m, the Matchmaker that appends to this Log, and trims the
// journal: it keeps the newest Options.KeepSnapshots snapshots and deletes the segments that
// the oldest of them covers wholly. The snapshot is written to a temporary file, synced,
// renamed into place and the directory synced, so a crash at any point leaves either the
// previous snapshots or the new one, never a partial snapshot (Open removes the temporary
// file). m is held up only while it copies its state (see Matchmaker.Snapshot); Append and Sync
// go on while the file is written.
//
// A host calls it periodically (every minute, or every few segments), from any goroutine.
// Events of the entries it covers are not replayed by a later recovery: a host that must see
// every event once checkpoints after its subscriber has consumed the events so far.
func (l *Log) Checkpoint(m *matchmaker.Matchmaker) error {
	l.ckMu.Lock()
	defer l.ckMu.Unlock()
	var buf bytes.Buffer
	buf.Write(make([]byte, snapshotHeaderSize))
	if err := m.Snapshot(&buf); err != nil {
		return err
	}
	b := buf.Bytes()
	seq, err := matchmaker.SnapshotSeq(b[snapshotHeaderSize:])
	if err != nil {
		return err
	}
	l.mu.Lock()
	last, lerr := l.last, l.err
	l.mu.Unlock()
	switch {
	case lerr != nil:
		return lerr
	case seq > last:
		return fmt.Errorf("journal: Checkpoint of a Matchmaker at entry %d, beyond this journal's last entry %d: "+
			"pass the Matchmaker that appends to this Log", seq, last)
	}
	putSnapshotHeader(b, seq)
	if err := l.writeSnapshot(seq, b); err != nil {
		return err
	}
	return l.trim(seq)
}

// writeSnapshot writes b as the snapshot at seq, atomically.
func (l *Log) writeSnapshot(seq uint64, b []byte) error {
	f, err := os.CreateTemp(l.dir, positionName(seq, snapshotExt)+".*"+tempExt)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	err = cmpErr(err, f.Sync())
	err = cmpErr(err, f.Close())
	hook("checkpoint-written")
	if err == nil {
		err = os.Rename(f.Name(), l.path(seq, snapshotExt))
	}
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	hook("checkpoint-renamed")
	return syncDir(l.dir)
}

// trim records the snapshot at seq, deletes the snapshots beyond KeepSnapshots and then the
// segments the oldest snapshot kept covers: those whose successor starts at or before the entry
// after it. The newest segment always stays.
func (l *Log) trim(seq uint64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if i, found := slices.BinarySearch(l.snaps, seq); !found {
		l.snaps = slices.Insert(l.snaps, i, seq)
	}
	hook("checkpoint-trim")
	for len(l.snaps) > l.opts.KeepSnapshots {
		if err := os.Remove(l.path(l.snaps[0], snapshotExt)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		l.snaps = l.snaps[1:]
	}
	oldest := l.snaps[0]
	for len(l.segs) > 1 && l.segs[1] <= oldest+1 {
		if err := os.Remove(l.path(l.segs[0], segmentExt)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		l.segs = l.segs[1:]
	}
	return nil
}

// Snapshot returns the newest usable snapshot in the directory and its position: the
// Matchmaker's state after entry seq, to be read by matchmaker.Restore, followed by
// Entries(seq). A snapshot is usable if its checksums match and the entries after it are all
// in the segments; a damaged newest snapshot falls back to the one before it this way. With no
// snapshot, r is nil and seq 0: the journal is replayed from its first entry. If snapshots
// exist and none is usable, the error wraps the newest one's *CorruptError.
func (l *Log) Snapshot() (r io.Reader, seq uint64, err error) {
	l.mu.Lock()
	snaps, segs := slices.Clone(l.snaps), slices.Clone(l.segs)
	l.mu.Unlock()
	var newest error
	for _, seq := range slices.Backward(snaps) {
		payload, err := readSnapshotFile(l.path(seq, snapshotExt), seq)
		if err == nil && len(segs) > 0 && segs[0] > seq+1 {
			err = l.missing(seq+1, segs[0])
		}
		if err == nil {
			return bytes.NewReader(payload), seq, nil
		}
		newest = cmpErr(newest, err)
	}
	if newest != nil {
		return nil, 0, fmt.Errorf("journal: no usable snapshot in %s: %w", l.dir, newest)
	}
	if len(segs) > 0 && segs[0] > 1 {
		return nil, 0, l.missing(1, segs[0])
	}
	return nil, 0, nil
}

// missing reports that the entries from next to the first of the segment at first are gone.
func (l *Log) missing(next, first uint64) error {
	return &CorruptError{File: l.path(first, segmentExt), Reason: fmt.Sprintf(
		"entries %d to %d, which no snapshot covers, are missing", next, first-1)}
}

// Entries returns the entries after position after, in order, checking each segment's
// checksums and that no entry is missing; the first problem is yielded as an error (a
// *CorruptError for damage) and ends the sequence. An entry is valid until the next one is
// yielded. Pass it, with Snapshot, to matchmaker.Recover, or replay each entry with
// Matchmaker.Replay to see the events they publish.
func (l *Log) Entries(after uint64) iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		l.mu.Lock()
		segs := slices.Clone(l.segs)
		l.mu.Unlock()
		next := after + 1
		for i, first := range segs {
			if i+1 < len(segs) && segs[i+1] <= next {
				continue // wholly before
			}
			if first > next {
				yield(nil, l.missing(next, first))
				return
			}
			if !l.yieldSegment(first, &next, yield) {
				return
			}
		}
	}
}

// errStopped ends a scan whose consumer stopped.
var errStopped = errors.New("stopped")

// yieldSegment yields the entries of one segment from next on; it reports whether to go on.
func (l *Log) yieldSegment(first uint64, next *uint64, yield func([]byte, error) bool) bool {
	path := l.path(first, segmentExt)
	b, err := os.ReadFile(path)
	if err == nil {
		_, err = scanSegment(path, b, first, func(seq uint64, entry []byte) error {
			if seq < *next {
				return nil
			}
			*next = seq + 1
			if !yield(entry, nil) {
				return errStopped
			}
			return nil
		})
	}
	switch {
	case err == errStopped:
		return false
	case err != nil:
		yield(nil, err)
		return false
	}
	return true
}

// Recover builds the Matchmaker the directory holds: the newest usable snapshot (see Snapshot)
// and every entry after it, replayed, with this Log attached as its journal (WithJournal is
// appended to opts), so it goes on appending where the journal ends. The replayed entries'
// events reach no one, since nobody has subscribed yet; to see them, do what Recover does by
// hand: matchmaker.Restore(Snapshot()), Subscribe, then Replay each of Entries(seq).
func (l *Log) Recover(cfg matchmaker.Config, opts ...matchmaker.Option) (*matchmaker.Matchmaker, error) {
	r, seq, err := l.Snapshot()
	if err != nil {
		return nil, err
	}
	return matchmaker.Recover(cfg, r, l.Entries(seq), append(slices.Clip(opts), matchmaker.WithJournal(l))...)
}

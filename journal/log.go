package journal

// This file holds the Log: opening a directory (lock, stale files, the torn tail), Append,
// Sync with group commit, segment rotation, and Close.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/seed-04d22514/matchmaker"
)

// Options configures a Log. Zero fields take the documented defaults.
type Options struct {
	// SegmentSize is the size at which Append starts a new segment file. A segment holds at
	// least one entry, so it can exceed SegmentSize by one entry (MaxEntrySize). Default
	// 64 MiB.
	SegmentSize int64
	// MaxSegments bounds the segment files: an Append that would create one more fails with
	// ErrFull, which refuses the Matchmaker's request. Checkpoint deletes the segments its
	// snapshots cover, so a host that checkpoints never meets it. Default 1,024 (64 GiB of
	// journal at the default SegmentSize).
	MaxSegments int
	// KeepSnapshots is how many snapshots Checkpoint keeps, newest first: with 2, a damaged
	// newest snapshot falls back to the one before, whose entries are kept too. Default 2.
	KeepSnapshots int
}

func (o *Options) setDefaults() {
	if o.SegmentSize <= 0 {
		o.SegmentSize = 64 << 20
	}
	if o.MaxSegments <= 0 {
		o.MaxSegments = 1024
	}
	if o.KeepSnapshots <= 0 {
		o.KeepSnapshots = 2
	}
}

// Log is a Matchmaker's journal in a directory: it implements matchmaker.Journal, and keeps
// the snapshots that Checkpoint writes. Append, Sync, Checkpoint and Close may be called
// concurrently; Snapshot, Entries and Recover read the directory as it is and belong before
// the Log is attached to a Matchmaker.
type Log struct {
	dir  string
	opts Options
	lock *os.File

	ckMu   sync.Mutex // serializes Checkpoint and Close
	syncMu sync.Mutex // serializes Sync and Close

	mu       sync.Mutex
	err      error    // why the Log takes no more entries: ErrClosed, alone or with the failure
	segs     []uint64 // the first positions of the segment files, ascending
	snaps    []uint64 // the positions of the snapshot files, ascending
	last     uint64   // the position of the last entry written (0: none)
	tailSize int64    // the size of the newest segment file
	cur      *os.File // the segment Append writes to, open since the first Append
	unsynced []*os.File
	dirDirty bool // a segment file was created since the last Sync
	buf      []byte
}

// crashHook, when set by a test, is called at named points of writing and checkpointing, so
// that a crash test can kill the process exactly there.
var crashHook func(point string)

func hook(point string) {
	if crashHook != nil {
		crashHook(point)
	}
}

// File names: segments and snapshots are named by an entry position, zero-padded so that names
// sort as positions do.
const (
	segmentExt  = ".seg"
	snapshotExt = ".snap"
	tempExt     = ".tmp"
	lockName    = "LOCK"
)

func positionName(seq uint64, ext string) string { return fmt.Sprintf("%020d%s", seq, ext) }

func (l *Log) path(seq uint64, ext string) string {
	return filepath.Join(l.dir, positionName(seq, ext))
}

// Open opens the journal in dir, creating the directory if needed, and locks it against every
// other Log. It removes what a crash may have left: temporary snapshot files, and a torn tail
// of the last segment (a record cut short, or unsynced records lost with the power), which it
// truncates. Damage anywhere else is a *CorruptError, and Open changes nothing then. Open reads
// only the last segment; Entries checks the others as it reads them.
func Open(dir string, opts Options) (*Log, error) {
	opts.setDefaults()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	lock, err := lockDir(filepath.Join(dir, lockName))
	if err != nil {
		return nil, err
	}
	l := &Log{dir: dir, opts: opts, lock: lock}
	if err := l.load(); err != nil {
		unlockDir(lock)
		return nil, err
	}
	return l, nil
}

// load lists the directory and repairs its tail.
func (l *Log) load() error {
	ents, err := os.ReadDir(l.dir)
	if err != nil {
		return err
	}
	changed := false
	for _, e := range ents {
		name := e.Name()
		switch ext := filepath.Ext(name); {
		case ext == tempExt:
			if err := os.Remove(filepath.Join(l.dir, name)); err != nil {
				return err
			}
			changed = true
		case ext == segmentExt || ext == snapshotExt:
			seq, err := strconv.ParseUint(strings.TrimSuffix(name, ext), 10, 64)
			if err != nil || name != positionName(seq, ext) {
				continue // not ours
			}
			if ext == segmentExt {
				l.segs = append(l.segs, seq)
			} else {
				l.snaps = append(l.snaps, seq)
			}
		}
	}
	slices.Sort(l.segs)
	slices.Sort(l.snaps)
	repaired, err := l.repairTail()
	if err != nil {
		return err
	}
	if changed || repaired {
		return syncDir(l.dir)
	}
	return nil
}

// repairTail finds the last entry: it truncates a torn tail of the newest segment and removes
// newest segments left without entries. It reports whether it changed a file.
func (l *Log) repairTail() (bool, error) {
	changed := false
	for len(l.segs) > 0 {
		first := l.segs[len(l.segs)-1]
		path := l.path(first, segmentExt)
		b, err := os.ReadFile(path)
		if err != nil {
			return changed, err
		}
		r, err := scanSegment(path, b, first, nil)
		if err != nil && !r.torn {
			return changed, err
		}
		if r.last >= first { // entries remain
			if r.end < len(b) {
				if err := truncate(path, int64(r.end)); err != nil {
					return changed, err
				}
				changed = true
			}
			l.last, l.tailSize = r.last, int64(r.end)
			return changed, nil
		}
		if err := os.Remove(path); err != nil {
			return changed, err
		}
		l.segs, changed = l.segs[:len(l.segs)-1], true
	}
	return changed, nil
}

// scanSegment checks a segment file's header and scans its frames (see scanFrames), passing
// each entry to fn. A bad frame is a *CorruptError whose scanResult tells whether it is a torn
// tail; so is a file with no entry after its header, which a process killed just after creating
// it leaves.
func scanSegment(path string, b []byte, first uint64, fn func(uint64, []byte) error) (scanResult, error) {
	if len(b) <= segmentHeaderSize {
		return scanResult{last: first - 1, torn: true}, &CorruptError{File: path, Reason: "segment holds no entry"}
	}
	hdr, err := readSegmentHeader(b)
	if err == nil && hdr != first {
		err = fmt.Errorf("header names entry %d, the file name entry %d", hdr, first)
	}
	if err != nil {
		return scanResult{last: first - 1}, &CorruptError{File: path, Reason: err.Error()}
	}
	r, err := scanFrames(b, first, fn)
	if err == nil && r.problem != "" {
		err = &CorruptError{File: path, Offset: int64(r.end), Reason: r.problem}
	}
	return r, err
}

func truncate(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	err = f.Truncate(size)
	if serr := f.Sync(); err == nil {
		err = serr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Dir returns the directory the Log keeps its files in.
func (l *Log) Dir() string { return l.dir }

// Append writes one entry with a single write system call: once it returns, the entry is in
// the operating system and survives the process being killed; it survives the machine failing
// once Sync returned. Entries must come in order (EntrySeq one more than the last, or one more
// than a snapshot's position after a recovery from it); another is refused, so a Matchmaker
// that did not recover from this directory cannot write into it. A failed write fails the Log
// (see ErrClosed).
func (l *Log) Append(entry []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return l.err
	}
	if len(entry) > MaxEntrySize {
		return fmt.Errorf("journal: entry of %d bytes; at most %d", len(entry), MaxEntrySize)
	}
	seq, err := matchmaker.EntrySeq(entry)
	if err != nil {
		return err
	}
	follows := seq == l.last+1
	if !follows && !(seq > l.last+1 && slices.Contains(l.snaps, seq-1)) {
		return fmt.Errorf("journal: entry %d does not follow entry %d in %s: recover from this directory "+
			"(Log.Recover) before appending, or use an empty one", seq, l.last, l.dir)
	}
	l.buf = appendFrame(l.buf[:0], entry)
	if err := l.segmentForLocked(seq, follows, int64(len(l.buf))); err != nil {
		return err
	}
	if n, err := l.cur.Write(l.buf); err != nil {
		return l.undoWriteLocked(n, err)
	}
	l.tailSize += int64(len(l.buf))
	l.last = seq
	if cap(l.buf) > 64<<10 {
		l.buf = nil
	}
	hook("append")
	return nil
}

// undoWriteLocked cuts a partial frame off the segment, so the next entry follows a whole one;
// if that fails too, the Log fails.
func (l *Log) undoWriteLocked(n int, werr error) error {
	if n > 0 {
		if err := l.cur.Truncate(l.tailSize); err != nil {
			l.err = fmt.Errorf("%w after a failed write: %w", ErrClosed, werr)
		}
	}
	return werr
}

// segmentForLocked makes l.cur the segment that entry seq, of size bytes with its frame, goes
// to: the newest segment if the entry follows its last and fits, else a new one.
func (l *Log) segmentForLocked(seq uint64, follows bool, size int64) error {
	fits := l.tailSize+size <= l.opts.SegmentSize
	if follows && fits && l.cur != nil {
		return nil
	}
	if follows && fits && l.cur == nil && len(l.segs) > 0 {
		f, err := os.OpenFile(l.path(l.segs[len(l.segs)-1], segmentExt), os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return err
		}
		l.cur = f
		return nil
	}
	if len(l.segs) >= l.opts.MaxSegments {
		return fmt.Errorf("%w (%d segments of %d bytes in %s)", ErrFull, len(l.segs), l.opts.SegmentSize, l.dir)
	}
	path := l.path(seq, segmentExt)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(segmentHeader(seq)); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if l.cur != nil {
		l.unsynced = append(l.unsynced, l.cur) // the next Sync makes it durable and closes it
	}
	l.cur, l.tailSize, l.dirDirty = f, segmentHeaderSize, true
	l.segs = append(l.segs, seq)
	hook("rotate")
	return nil
}

// Sync makes every entry appended before it durable: one fdatasync (fsync outside Linux) of
// the segment written to (and of segments finished since the last Sync, and an fsync of the
// directory if a segment was created).
// Appends continue while it waits for the disk; that is the group commit, one Sync per tick.
// A failed Sync fails the Log (see ErrClosed): after a failed fsync the operating system may
// have dropped the unwritten data, so nothing appended later could be trusted.
func (l *Log) Sync() error {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	return l.syncLocked()
}

// syncLocked is Sync. Requires l.syncMu.
func (l *Log) syncLocked() error {
	l.mu.Lock()
	if l.err != nil {
		l.mu.Unlock()
		return l.err
	}
	done, cur, dir := l.unsynced, l.cur, l.dirDirty
	l.unsynced, l.dirDirty = nil, false
	l.mu.Unlock()
	var err error
	for _, f := range done {
		err = cmpErr(err, datasync(f))
		err = cmpErr(err, f.Close())
	}
	if cur != nil {
		err = cmpErr(err, datasync(cur))
	}
	if dir {
		err = cmpErr(err, syncDir(l.dir))
	}
	if err != nil {
		l.mu.Lock()
		if l.err == nil {
			l.err = fmt.Errorf("%w after a failed sync: %w", ErrClosed, err)
		}
		l.mu.Unlock()
		return err
	}
	hook("sync")
	return nil
}

// cmpErr returns the first error of two.
func cmpErr(first, next error) error {
	if first != nil {
		return first
	}
	return next
}

// Close syncs what was appended, closes the files and releases the directory. A second Close
// returns nil.
func (l *Log) Close() error {
	l.ckMu.Lock()
	defer l.ckMu.Unlock()
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	l.mu.Lock()
	if l.lock == nil {
		l.mu.Unlock()
		return nil
	}
	l.mu.Unlock()
	err := l.syncLocked()
	if errors.Is(err, ErrClosed) {
		err = nil // reported when it happened
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, f := range append(l.unsynced, l.cur) {
		if f != nil {
			f.Close()
		}
	}
	l.cur, l.unsynced, l.err = nil, nil, ErrClosed
	err = cmpErr(err, unlockDir(l.lock))
	l.lock = nil
	return err
}

package journal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/seed-04d22514/matchmaker"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)

type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

func loadRuleSet(t testing.TB, name string) *matchmaker.RuleSet {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "rulesets", name))
	require.NoError(t, err)
	return matchmaker.MustParseRuleSet(data)
}

// host is a Matchmaker on a Log in a temporary directory, driven on a fake clock.
type host struct {
	t     testing.TB
	dir   string
	opts  Options
	cfg   matchmaker.Config
	clock *fakeClock
	log   *Log
	m     *matchmaker.Matchmaker
	n     int
}

func newHost(t testing.TB, opts Options) *host {
	h := &host{t: t, dir: t.TempDir(), opts: opts, clock: &fakeClock{now: t0},
		cfg: matchmaker.Config{RuleSet: loadRuleSet(t, "gomoku.json")}}
	h.reopen()
	return h
}

// reopen opens the directory and recovers, as a restarted process does (the Log of the
// previous one is left open only if the test closed it).
func (h *host) reopen() {
	h.t.Helper()
	log, err := Open(h.dir, h.opts)
	require.NoError(h.t, err)
	h.t.Cleanup(func() { log.Close() })
	m, err := log.Recover(h.cfg, matchmaker.WithClock(h.clock))
	require.NoError(h.t, err)
	h.log, h.m = log, m
}

// crash drops the Matchmaker and closes the Log without syncing, as a killed process does:
// what was appended is in the files.
func (h *host) crash() {
	h.log.mu.Lock()
	for _, f := range append(h.log.unsynced, h.log.cur) {
		if f != nil {
			f.Close()
		}
	}
	h.log.cur, h.log.unsynced = nil, nil
	h.log.err = ErrClosed
	unlockDir(h.log.lock)
	h.log.lock = nil
	h.log.mu.Unlock()
}

// start queues n tickets and ticks once.
func (h *host) start(n int) {
	h.t.Helper()
	for range n {
		h.n++
		id := "t" + strconv.Itoa(h.n)
		_, err := h.m.StartMatchmaking(matchmaker.StartMatchmakingInput{TicketID: id, Players: []matchmaker.Player{{
			PlayerID: "p" + id, Attributes: matchmaker.Attributes{"score": matchmaker.NumberValue(float64(h.n % 7 * 100))}}}})
		require.NoError(h.t, err)
	}
	h.clock.now = h.clock.now.Add(time.Second)
	require.NoError(h.t, h.m.Tick(h.clock.now))
}

func (h *host) state() []byte {
	h.t.Helper()
	var b bytes.Buffer
	require.NoError(h.t, h.m.Snapshot(&b))
	return b.Bytes()
}

func (h *host) segments() []string {
	h.t.Helper()
	names, err := filepath.Glob(filepath.Join(h.dir, "*"+segmentExt))
	require.NoError(h.t, err)
	return names
}

func (h *host) files(pattern string) []string {
	names, err := filepath.Glob(filepath.Join(h.dir, pattern))
	require.NoError(h.t, err)
	slices.Sort(names)
	return names
}

func appendBytes(t *testing.T, path string, b []byte) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.Write(b)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

func TestRecoverAfterCrash(t *testing.T) {
	h := newHost(t, Options{})
	h.start(5)
	h.start(3)
	_, err := h.m.StartMatchmaking(matchmaker.StartMatchmakingInput{TicketID: "late", Players: []matchmaker.Player{{PlayerID: "late"}}})
	require.NoError(t, err) // appended, not synced: survives a process crash
	want := h.state()
	h.crash()
	h.reopen()
	assert.Equal(t, want, h.state())
	require.Len(t, h.m.DescribeMatchmaking("late"), 1)
	h.start(2) // the recovered Matchmaker appends where the journal ended
	want = h.state()
	require.NoError(t, h.log.Close())
	h.reopen()
	assert.Equal(t, want, h.state())
}

func TestEmptyDirectoryRecoversANewMatchmaker(t *testing.T) {
	h := newHost(t, Options{})
	assert.Empty(t, h.segments(), "nothing is written before the first request")
	assert.Equal(t, uint64(0), h.m.Stats().Started)
	h.start(1)
	assert.Len(t, h.segments(), 1)
}

// A torn tail of the newest segment is truncated on Open; the entries before it survive.
func TestTornTailIsTruncated(t *testing.T) {
	for _, tc := range []struct {
		name string
		tail func(last []byte) []byte
	}{
		{"record cut short", func(last []byte) []byte { return last[:len(last)-3] }},
		{"header cut short", func(last []byte) []byte { return last[:5] }},
		{"zeros", func([]byte) []byte { return make([]byte, 300) }},
		{"garbage", func(last []byte) []byte {
			b := slices.Clone(last)
			for i := range b {
				b[i] ^= 0x5a
			}
			return b
		}},
		{"bad checksum", func(last []byte) []byte {
			b := slices.Clone(last)
			b[len(b)-1] ^= 1
			return b
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHost(t, Options{})
			h.start(4)
			want := h.state()
			h.crash()
			seg := h.segments()[0]
			before, err := os.ReadFile(seg)
			require.NoError(t, err)
			// The frame of a copy of the last entry, renumbered: what the next Append would write.
			r, err := scanSegment(seg, before, 1, nil)
			require.NoError(t, err)
			last := appendFrame(nil, nextEntry(t, before, r))
			appendBytes(t, seg, tc.tail(last))
			h.reopen()
			assert.Equal(t, want, h.state())
			after, err := os.ReadFile(seg)
			require.NoError(t, err)
			assert.Equal(t, before, after, "the tail is cut off")
		})
	}
}

// nextEntry returns an entry that would follow the segment's last one: the last entry with its
// position rewritten (positions are uvarints after the 4-byte header; a position below 128 is
// one byte).
func nextEntry(t *testing.T, seg []byte, r scanResult) []byte {
	var lastEntry []byte
	_, err := scanFrames(seg, 1, func(_ uint64, e []byte) error { lastEntry = slices.Clone(e); return nil })
	require.NoError(t, err)
	require.Less(t, r.last+1, uint64(128))
	lastEntry[4] = byte(r.last + 1)
	seq, err := matchmaker.EntrySeq(lastEntry)
	require.NoError(t, err)
	require.Equal(t, r.last+1, seq)
	return lastEntry
}

// Damage followed by good records is not a torn tail: Open refuses, naming file and offset.
func TestCorruptionIsATypedError(t *testing.T) {
	h := newHost(t, Options{})
	h.start(4)
	h.crash()
	seg := h.segments()[0]
	b, err := os.ReadFile(seg)
	require.NoError(t, err)
	second := segmentHeaderSize + frameHeaderSize + int(binary.LittleEndian.Uint32(b[segmentHeaderSize:]))
	b[second+frameHeaderSize+2] ^= 0x10 // inside the second entry
	require.NoError(t, os.WriteFile(seg, b, 0o644))
	_, err = Open(h.dir, Options{})
	var ce *CorruptError
	require.ErrorAs(t, err, &ce)
	assert.ErrorIs(t, err, ErrCorrupt)
	assert.Equal(t, seg, ce.File)
	assert.Equal(t, int64(second), ce.Offset)
	assert.Contains(t, ce.Reason, "checksum")
	after, err := os.ReadFile(seg)
	require.NoError(t, err)
	assert.Equal(t, b, after, "Open changes nothing")

	// A damaged segment header.
	b[3] = 'X'
	require.NoError(t, os.WriteFile(seg, b, 0o644))
	_, err = Open(h.dir, Options{})
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, int64(0), ce.Offset)
}

// Damage in an older segment is found by Entries, and Recover refuses with it.
func TestCorruptionInAnOlderSegment(t *testing.T) {
	h := newHost(t, Options{SegmentSize: 512})
	for range 6 {
		h.start(3)
	}
	h.crash()
	segs := h.segments()
	require.GreaterOrEqual(t, len(segs), 3)
	b, err := os.ReadFile(segs[1])
	require.NoError(t, err)
	b[len(b)-2] ^= 0xff
	require.NoError(t, os.WriteFile(segs[1], b, 0o644))
	log, err := Open(h.dir, Options{SegmentSize: 512})
	require.NoError(t, err, "only the newest segment is read on Open")
	_, err = log.Recover(h.cfg)
	var ce *CorruptError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, segs[1], ce.File)
	require.NoError(t, log.Close())

	// A missing segment is missing entries.
	require.NoError(t, os.Remove(segs[1]))
	log, err = Open(h.dir, Options{SegmentSize: 512})
	require.NoError(t, err)
	defer log.Close()
	_, err = log.Recover(h.cfg)
	require.ErrorAs(t, err, &ce)
	assert.Contains(t, ce.Reason, "missing")
}

func TestRotationAndMaxSegments(t *testing.T) {
	h := newHost(t, Options{SegmentSize: 400, MaxSegments: 5})
	for range 3 {
		h.start(2)
	}
	assert.Greater(t, len(h.segments()), 1)
	for _, name := range h.segments() {
		fi, err := os.Stat(name)
		require.NoError(t, err)
		assert.LessOrEqual(t, fi.Size(), int64(400+MaxEntrySize))
	}
	var err error
	for range 100 {
		if _, err = h.m.StartMatchmaking(matchmaker.StartMatchmakingInput{Players: []matchmaker.Player{{PlayerID: "x"}}}); err != nil {
			break
		}
	}
	assert.ErrorIs(t, err, ErrFull, "the request is refused")
	assert.ErrorIs(t, err, matchmaker.ErrJournal)
	assert.Len(t, h.segments(), 5)
	want := h.state()
	require.NoError(t, h.log.Checkpoint(h.m), "Checkpoint trims")
	assert.Len(t, h.segments(), 1)
	h.start(1)
	want = h.state()
	require.NoError(t, h.log.Close())
	h.reopen()
	assert.Equal(t, want, h.state())
}

func TestLock(t *testing.T) {
	h := newHost(t, Options{})
	_, err := Open(h.dir, Options{})
	assert.ErrorIs(t, err, ErrLocked)
	require.NoError(t, h.log.Close())
	require.NoError(t, h.log.Close(), "a second Close does nothing")
	assert.ErrorIs(t, h.log.Append(nil), ErrClosed)
	h.reopen()
}

func TestCheckpoint(t *testing.T) {
	h := newHost(t, Options{SegmentSize: 512})
	for range 4 {
		h.start(3)
	}
	require.NoError(t, h.log.Checkpoint(h.m))
	require.Len(t, h.files("*.snap"), 1)
	segsAfterFirst := h.segments()
	assert.Len(t, segsAfterFirst, 1, "one snapshot covers all but the newest segment")
	for range 4 {
		h.start(3)
	}
	require.NoError(t, h.log.Checkpoint(h.m))
	for range 4 {
		h.start(3)
	}
	require.NoError(t, h.log.Checkpoint(h.m))
	snaps := h.files("*.snap")
	require.Len(t, snaps, 2, "two snapshots are kept")
	h.start(2)
	want := h.state()

	// The older snapshot's entries are still there.
	r, seq, err := h.log.Snapshot()
	require.NoError(t, err)
	assert.Equal(t, filepath.Base(snaps[1]), positionName(seq, snapshotExt))
	olderSeq, err := strconv.ParseUint(filepath.Base(snaps[0])[:20], 10, 64)
	require.NoError(t, err)
	assert.Less(t, olderSeq, seq)
	firstSeg, err := strconv.ParseUint(filepath.Base(h.segments()[0])[:20], 10, 64)
	require.NoError(t, err)
	assert.LessOrEqual(t, firstSeg, olderSeq+1)
	require.NotNil(t, r)

	// A crash mid-checkpoint leaves a temporary file, which Open removes.
	h.crash()
	require.NoError(t, os.WriteFile(filepath.Join(h.dir, positionName(99, snapshotExt)+".123"+tempExt), []byte("partial"), 0o644))
	h.reopen()
	assert.Empty(t, h.files("*"+tempExt))
	assert.Equal(t, want, h.state())

	// A damaged newest snapshot falls back to the older one and its entries.
	h.crash()
	b, err := os.ReadFile(snaps[1])
	require.NoError(t, err)
	b[len(b)/2] ^= 1
	require.NoError(t, os.WriteFile(snaps[1], b, 0o644))
	h.reopen()
	assert.Equal(t, want, h.state())
	_, seq2, err := h.log.Snapshot()
	require.NoError(t, err)
	assert.Equal(t, olderSeq, seq2)

	// Without the older snapshot's entries, there is nothing to fall back to.
	h.crash()
	require.NoError(t, os.Remove(h.segments()[0]))
	log, err := Open(h.dir, Options{})
	require.NoError(t, err)
	defer log.Close()
	_, err = log.Recover(h.cfg)
	var ce *CorruptError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, snaps[1], ce.File, "the newest snapshot's damage is reported")
	assert.Contains(t, ce.Reason, "checksum")
}

// After a power loss the newest snapshot can be ahead of the journal's synced tail; the
// Matchmaker recovered from it appends after the snapshot, in a new segment.
func TestSnapshotAheadOfTheJournal(t *testing.T) {
	h := newHost(t, Options{})
	h.start(3)
	segs := h.segments()
	before, err := os.ReadFile(segs[0])
	require.NoError(t, err)
	h.start(3)
	require.NoError(t, h.log.Checkpoint(h.m))
	want := h.state()
	h.crash()
	require.NoError(t, os.WriteFile(segs[0], before, 0o644)) // the unsynced tail is lost
	h.reopen()
	assert.Equal(t, want, h.state())
	h.start(2)
	want = h.state()
	assert.Len(t, h.segments(), 2)
	require.NoError(t, h.log.Close())
	h.reopen()
	assert.Equal(t, want, h.state())
}

func TestBadInput(t *testing.T) {
	h := newHost(t, Options{})
	h.start(2)
	assert.Error(t, h.log.Append([]byte("not an entry")))
	assert.Error(t, h.log.Append(make([]byte, MaxEntrySize+1)))

	// A Matchmaker that did not recover from the directory cannot write into it.
	other, err := matchmaker.New(h.cfg, matchmaker.WithJournal(h.log), matchmaker.WithClock(h.clock))
	require.NoError(t, err)
	_, err = other.StartMatchmaking(matchmaker.StartMatchmakingInput{Players: []matchmaker.Player{{PlayerID: "x"}}})
	assert.ErrorIs(t, err, matchmaker.ErrJournal)
	assert.ErrorContains(t, err, "does not follow")
	// Nor be checkpointed into it, once it is ahead.
	stranger, err := matchmaker.New(h.cfg, matchmaker.WithJournal(&discard{}), matchmaker.WithClock(h.clock))
	require.NoError(t, err)
	for range 20 {
		_, err = stranger.StartMatchmaking(matchmaker.StartMatchmakingInput{Players: []matchmaker.Player{{PlayerID: "x"}}})
		require.NoError(t, err)
	}
	assert.ErrorContains(t, h.log.Checkpoint(stranger), "beyond this journal's last entry")

	// A damaged snapshot file is named.
	_, err = readSnapshotFile(filepath.Join(h.dir, "nothing.snap"), 1)
	assert.ErrorIs(t, err, os.ErrNotExist)
	bad := filepath.Join(h.dir, positionName(7, snapshotExt))
	for _, b := range [][]byte{nil, []byte("MMJSNAP\x02 and more bytes than a header has"), bytes.Repeat([]byte{0}, 40)} {
		require.NoError(t, os.WriteFile(bad, b, 0o644))
		_, err = readSnapshotFile(bad, 7)
		var ce *CorruptError
		require.ErrorAs(t, err, &ce, fmt.Sprintf("%q", b))
		assert.Equal(t, bad, ce.File)
	}
}

// discard is a Journal that keeps nothing.
type discard struct{}

func (discard) Append([]byte) error { return nil }
func (discard) Sync() error         { return nil }

// A failed Sync fails the Log: nothing appended after it is trusted.
func TestSyncFailureFailsTheLog(t *testing.T) {
	h := newHost(t, Options{})
	h.start(1)
	h.log.mu.Lock()
	h.log.cur.Close() // the next fsync fails
	h.log.mu.Unlock()
	err := h.log.Sync()
	require.Error(t, err)
	assert.ErrorIs(t, h.log.Sync(), ErrClosed)
	assert.ErrorIs(t, h.log.Append(nil), ErrClosed)
	assert.True(t, errors.Is(h.log.Append(nil), ErrClosed))
}

// Requests, ticks (each with its Sync) and checkpoints from different goroutines, with
// segments rotating under them: the recovered state is the one left.
func TestConcurrentUse(t *testing.T) {
	h := newHost(t, Options{SegmentSize: 2048})
	done := make(chan struct{})
	errs := make(chan error, 3)
	go func() {
		for i := range 300 {
			_, err := h.m.StartMatchmaking(matchmaker.StartMatchmakingInput{Players: []matchmaker.Player{{
				PlayerID: "c" + strconv.Itoa(i), Attributes: matchmaker.Attributes{"score": matchmaker.NumberValue(float64(i % 5))}}}})
			if err != nil {
				errs <- err
				return
			}
		}
		errs <- nil
	}()
	go func() {
		for range 10 {
			if err := h.log.Checkpoint(h.m); err != nil {
				errs <- err
				return
			}
		}
		errs <- nil
	}()
	go func() {
		defer close(done)
		now := t0
		for range 100 {
			now = now.Add(100 * time.Millisecond)
			if err := h.m.Tick(now); err != nil {
				errs <- err
				return
			}
		}
		errs <- nil
	}()
	for range 3 {
		require.NoError(t, <-errs)
	}
	<-done
	want := h.state()
	h.crash()
	h.reopen()
	assert.Equal(t, want, h.state())
}

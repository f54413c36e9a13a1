// Package journal keeps a Matchmaker's journal and snapshots in a directory, so that a host
// that crashes, or is killed, or loses its machine, recovers every acknowledged request.
//
// A [Log] implements matchmaker.Journal: attach it with matchmaker.WithJournal (Recover does),
// and the Matchmaker appends every command to it before the command takes effect, and syncs it
// once per tick. [Log.Checkpoint] writes a snapshot and deletes the journal it covers;
// [Log.Recover] rebuilds the Matchmaker from the newest snapshot and the entries after it.
//
//	log, err := journal.Open("/var/lib/matchmaker", journal.Options{})
//	if err != nil { ... }             // ErrLocked: another process has the directory
//	m, err := log.Recover(cfg, matchmaker.WithLogger(logger))
//	if err != nil { ... }             // a *CorruptError names the damaged file and offset
//	go m.Run(ctx)
//	for range time.Tick(time.Minute) {
//		if err := log.Checkpoint(m); err != nil { ... }
//	}
//
// An empty directory recovers to a new Matchmaker, so the same code starts the first time and
// every time after.
//
// # What an acknowledged request survives
//
// A request such as StartMatchmaking returns only after its entry was appended, and Append
// writes the entry with one write system call. So:
//   - If the process crashes or is killed (SIGKILL, an out-of-memory kill, a panic), every
//     request that returned survives: the entry is in the operating system's page cache, which
//     the kernel writes out whatever happens to the process.
//   - If the machine fails (power loss, a kernel crash), a request survives once the Sync of
//     the tick after it returned: Sync flushes the segment (fdatasync). A request that
//     returned but whose tick's Sync did not may be lost. The events of a tick (a match, a
//     timeout) are delivered only after its Sync, so no subscriber sees an outcome a power
//     loss could undo; a request's own events (MatchmakingSearching after StartMatchmaking)
//     are delivered when it returns, with the request's guarantee. A host that promises its
//     clients power-loss durability answers after the next tick returned.
//
// A Log whose write or fsync failed takes no more entries (ErrClosed, with the cause); the
// Matchmaker then fails its later requests, and the host opens the directory again and
// recovers.
//
// # Files
//
// The directory holds:
//   - Segments, NNNNNNNNNNNNNNNNNNNN.seg, named by the position of their first entry: a 20-byte
//     header (magic, format version 1, first position, CRC-32C) and one record per entry: its
//     length (4 bytes, little-endian), the CRC-32C (Castagnoli) of the length and the entry (4
//     bytes), and the entry. Entries are numbered without gaps (matchmaker.EntrySeq), and a
//     segment's entries follow one another; a segment after a gap starts one past a snapshot.
//   - Snapshots, NNNNNNNNNNNNNNNNNNNN.snap, named by their position (matchmaker.SnapshotSeq): a
//     32-byte header (magic, format version 1, position, length, CRC-32C of the payload and of
//     the header) and the Matchmaker's snapshot.
//   - LOCK, held with flock(2) while a Log is open: a second Open of the directory, from this
//     process or another, fails with [ErrLocked]. The kernel releases it when the process ends.
//   - While Checkpoint runs, a temporary *.tmp file, which Open removes if a crash left it.
//
// Other files are left alone.
//
// # Recovery
//
// Open truncates a torn tail of the newest segment: a record cut short, or records whose
// fsync never happened and that a power loss left as zeros or garbage, which is recognised by
// no whole record following it. Damage anywhere else (a bad record followed by good ones, a
// damaged header, an older segment, entries missing between the snapshot and the segments) is
// a [*CorruptError] naming the file and the byte offset; nothing is changed, and the host
// decides what to give up. Snapshot chooses the newest snapshot whose checksums match and whose
// following entries are all present, so a damaged newest snapshot falls back to the one kept
// before it.
//
// [Log.Recover] replays the entries into a Matchmaker that nobody has subscribed to yet, so
// their events reach no one. A host that must see them (a tick's events that a crash kept from
// being delivered) does the same by hand and subscribes first; replayed events keep their
// original Seq, so it drops those it has handled:
//
//	r, seq, err := log.Snapshot()
//	m, err := matchmaker.Restore(r, cfg, matchmaker.WithJournal(log))
//	sub, err := m.Subscribe()
//	for entry, err := range log.Entries(seq) {
//		if err != nil { ... }
//		if err := m.Replay(entry); err != nil { ... }
//	}
//
// Checkpoint covers the entries before it: their events are not replayed again. A host that
// needs every event at least once checkpoints after its subscriber has handled the events so
// far.
//
// # Bounds
//
//   - An entry is at most [MaxEntrySize] (1 MiB), the Matchmaker's own bound on a request.
//   - A segment grows to Options.SegmentSize (64 MiB), or one entry beyond if a single entry is
//     larger; there are at most Options.MaxSegments of them (1,024), beyond which Append fails
//     with [ErrFull] until a Checkpoint trims them.
//   - Options.KeepSnapshots snapshots are kept (2), with the segments the oldest of them needs;
//     during a Checkpoint one more temporary file exists, and it holds the snapshot in memory.
//   - Open reads the newest segment whole; Entries reads one segment at a time.
//   - So the directory holds at most MaxSegments + KeepSnapshots + 2 files of the Log.
//
// Checkpoint takes about as long as Matchmaker.Snapshot plus writing its bytes and one fsync;
// the Matchmaker is held up only for the copy of its state.
package journal

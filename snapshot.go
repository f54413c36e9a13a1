package matchmaker

// This file holds snapshots: the complete state of a Matchmaker written to an io.Writer, and a
// Matchmaker built from one, which behaves exactly as the original would have (the same
// matches, IDs and events for the same later inputs). See "Durability" in the package
// documentation for the format and its guarantees.

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"math/bits"
	"slices"
	"time"

	"github.com/seed-04d22514/matchmaker/internal/ruleset"
)

// snapshotVersion is the format this library writes and reads. A snapshot of another version
// is refused with a *SnapshotError naming both.
const snapshotVersion = 1

const snapshotMagic = "MMSNAP"

// maxSnapshotBytes bounds what Restore reads: a snapshot of a pool at every default bound fits.
const maxSnapshotBytes = 4 << 30

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// statusCodes numbers the statuses in snapshots.
var statusCodes = []TicketStatus{StatusQueued, StatusSearching, StatusRequiresAcceptance, StatusPlacing,
	StatusCompleted, StatusFailed, StatusCancelled, StatusTimedOut}

// Snapshot writes the Matchmaker's complete state to w: tickets with their statuses and times,
// proposals and acceptances, placements, game sessions with rosters and versions, backfills
// and their acknowledgement deadlines, timers, expansion state, counters, the state of the ID
// generator and the journal position. It is consistent: the state is copied between ticks and
// requests, under the lock, and written to w after the lock is released, so a Matchmaker that
// keeps ticking is held up only for the copy. Restore builds a Matchmaker from it.
//
// Subscriptions, watchers, waiting Wait calls and options are not state: they belong to the
// running process. A Matchmaker that was driven by Tick without a clock and has not ticked yet
// has no time, and Snapshot refuses it with a *StateError-free plain error (tick first).
func (m *Matchmaker) Snapshot(w io.Writer) error {
	m.mu.Lock()
	chunks, err := m.snapshotLocked()
	m.mu.Unlock()
	if err != nil {
		return err
	}
	return writeChunks(w, chunks)
}

// writeChunks writes a snapshot's pieces in order. A destination that can be grown (a
// bytes.Buffer) is grown once to hold them all, not step by step as they arrive.
func writeChunks(w io.Writer, chunks [][]byte) error {
	if g, ok := w.(interface{ Grow(int) }); ok {
		n := 0
		for _, c := range chunks {
			n += len(c)
		}
		g.Grow(n)
	}
	for _, c := range chunks {
		if _, err := w.Write(c); err != nil {
			return err
		}
	}
	return nil
}

// errNoTime refuses a snapshot of a Matchmaker whose events wait for their first time.
var errNoTime = errors.New("matchmaker: snapshot before the first Tick of a Matchmaker without a clock: " +
	"its requests have no time yet; call Tick first (or use WithClock)")

// snapshotLocked encodes the state, in pieces of about snapChunk bytes that make the snapshot
// when written one after the other. Requires m.mu.
func (m *Matchmaker) snapshotLocked() ([][]byte, error) {
	if m.failed != nil {
		return nil, m.failed
	}
	if m.provisional {
		return nil, errNoTime
	}
	// Every active ticket (in m.players) is normally in m.tickets, which collect numbers first;
	// then numbering the tickets of m.players numbers nothing more, and the players' index,
	// computed with the ticket table, tells: when every player in it is marked, it is skipped.
	// Otherwise the snapshot is written again, numbering them as well.
	w := m.encodeSnapshot(false)
	if w.covered != len(m.players) {
		w = m.encodeSnapshot(true)
	}
	w.chunks = append(w.chunks, w.b)
	var sum uint32
	for _, c := range w.chunks {
		sum = crc32.Update(sum, castagnoli, c)
	}
	last := &w.chunks[len(w.chunks)-1]
	*last = binary.LittleEndian.AppendUint32(*last, sum)
	return w.chunks, nil
}

func (m *Matchmaker) encodeSnapshot(players bool) *snapWriter {
	w := &snapWriter{m: m, base: m.now.UnixNano(), sess: map[*session]int32{}, props: map[*proposal]int32{}}
	w.collect(players)
	defer func() {
		for _, t := range w.tickets {
			t.snapRef = 0
		}
	}()
	w.b = make([]byte, 0, snapChunk+snapChunk/8)
	w.write()
	return w
}

// snapChunk is the size of a snapshot's pieces: a snapshot of a large pool is not one
// allocation of its whole size (nor of an estimate of it), and its ticket table is encoded in
// two halves at once.
const snapChunk = 1 << 20

// appendChecksum ends a snapshot with the CRC-32C of what precedes it.
func appendChecksum(b []byte) []byte {
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// snapWriter numbers every ticket, session and proposal that the state reaches, and writes them
// as tables that the rest of the state refers to by number.
type snapWriter struct {
	enc
	chunks   [][]byte // full pieces before b
	m        *Matchmaker
	base     int64     // times are written relative to the Matchmaker's time
	tickets  []*ticket // numbered by their snapRef
	sess     map[*session]int32
	sessions []*session
	props    map[*proposal]int32
	proposal []*proposal
	bf       []*ticket // the backfill tickets of m.tickets, in admission order

	// The players' index, computed with the ticket table: for each ticket, which of its
	// players it is the active ticket of, and how many such marks there are in all.
	bits    []uint64
	marked  int
	covered int // the players marked, counting a player listed twice in a ticket once
}

// cut starts a new piece once the current one is full.
func (w *snapWriter) cut() {
	if len(w.b) >= snapChunk {
		w.chunks = append(w.chunks, w.b)
		w.b = make([]byte, 0, snapChunk+snapChunk/8)
	}
}

func (w *snapWriter) addTicket(t *ticket) {
	if t == nil {
		return
	}
	if t.snapRef != 0 {
		return
	}
	w.tickets = append(w.tickets, t)
	t.snapRef = int32(len(w.tickets))
	w.expand(t)
}

// expand numbers what a ticket reaches.
func (w *snapWriter) expand(t *ticket) {
	if t.bf != nil {
		w.addSession(t.bf.session)
		for _, pr := range t.bf.pending {
			w.addProposal(pr)
		}
	}
}

func (w *snapWriter) addSession(s *session) {
	if s == nil {
		return
	}
	if _, ok := w.sess[s]; ok {
		return
	}
	w.sess[s] = int32(len(w.sessions))
	w.sessions = append(w.sessions, s)
	w.addTicket(s.backfill)
}

func (w *snapWriter) addProposal(pr *proposal) {
	if _, ok := w.props[pr]; ok {
		return
	}
	w.props[pr] = int32(len(w.proposal))
	w.proposal = append(w.proposal, pr)
	for _, t := range pr.members {
		w.addTicket(t)
	}
	w.addTicket(pr.backfill)
}

// collect numbers everything reachable, in an order that depends only on the state, so that
// the same state always writes the same bytes. The tickets of m.players are numbered only with
// players set (see snapshotLocked).
func (w *snapWriter) collect(players bool) {
	m := w.m
	type bySeq struct {
		seq uint64
		t   *ticket
	}
	all := make([]bySeq, 0, len(m.tickets))
	for _, t := range m.tickets {
		all = append(all, bySeq{t.seq, t})
		if t.bf != nil {
			w.bf = append(w.bf, t)
		}
	}
	sortByKey(all, func(x bySeq) uint64 { return x.seq }) // admission numbers are unique
	w.tickets = make([]*ticket, 0, len(all)+len(all)/64)
	for _, x := range all { // numbered first, so that they are the table's first entries
		w.tickets = append(w.tickets, x.t)
		x.t.snapRef = int32(len(w.tickets))
	}
	// Then what they reach, in the same order; only backfill tickets reach anything.
	slices.SortFunc(w.bf, func(x, y *ticket) int { return cmp.Compare(x.seq, y.seq) })
	for _, t := range w.bf {
		w.expand(t)
	}
	p := m.pool
	for _, list := range [][]*ticket{p.order, p.arrivals, p.departed, p.touched, p.crossed, m.acked, m.ended[m.endedHead:]} {
		for _, t := range list {
			w.addTicket(t)
		}
	}
	for _, x := range p.timers {
		if !x.t.status.Terminal() {
			w.addTicket(x.t)
		}
	}
	if players {
		for _, t := range m.players {
			w.addTicket(t) // the active tickets are numbered already, so the order does not matter
		}
	}
	for _, arn := range sortedKeys(m.sessions) {
		w.addSession(m.sessions[arn])
	}
	for _, s := range m.sessionQueue {
		w.addSession(s)
	}
	for _, id := range sortedKeys(m.sessionOf) {
		w.addSession(m.sessionOf[id])
	}
	for _, id := range sortedKeys(m.pending) {
		w.addProposal(m.pending[id])
	}
	for _, id := range sortedKeys(m.placements) {
		w.addProposal(m.placements[id].pr)
	}
}

func (w *snapWriter) rel(ns int64) { w.int(ns - w.base) }

func (w *snapWriter) relTime(t time.Time) {
	if t.IsZero() {
		w.int(math.MinInt64)
		return
	}
	w.rel(t.UnixNano())
}

func (w *snapWriter) ref(t *ticket) {
	if t == nil {
		w.int(-1)
		return
	}
	w.int(int64(t.snapRef - 1))
}

func (w *snapWriter) refs(ts []*ticket) {
	w.uint(uint64(len(ts)))
	for _, t := range ts {
		w.ref(t)
		w.cut()
	}
}

func (w *snapWriter) write() {
	m := w.m
	w.b = append(w.b, snapshotMagic...)
	w.uint(snapshotVersion)
	w.str(m.fingerprint)
	w.str(m.cfg.Name)
	w.uint(m.jseq)
	w.bool(m.closed)
	w.int(w.base)
	w.bool(m.ticked)
	w.bool(m.ranOnce)
	w.uint(m.seq)
	w.uint(m.idSeq)
	w.uint(m.eventSeq)
	for _, c := range []uint64{m.stats.Ticks, m.stats.Started, m.stats.Matches, m.stats.Completed,
		m.stats.Cancelled, m.stats.TimedOut, m.stats.Failed} {
		w.uint(c)
	}
	w.float(m.waitEWMA)
	state, _ := m.rng.MarshalBinary()
	w.str(string(state))

	w.strs(m.regions.names)
	w.int32s(m.regions.refs)
	w.int32s(m.regions.free)
	w.strs(m.pool.groups.names)
	w.int32s(m.pool.groups.refs)
	w.int32s(m.pool.groups.free)

	w.uint(uint64(len(w.tickets)))
	w.uint(uint64(len(w.sessions)))
	w.uint(uint64(len(w.proposal)))
	w.ticketTable()
	for _, s := range w.sessions {
		w.str(s.arn)
		w.str(s.matchID)
		w.players(s.roster)
		w.uint(s.version)
		w.ref(s.backfill)
		w.bool(s.auto)
	}
	for _, pr := range w.proposal {
		w.str(pr.id)
		w.relTime(pr.created)
		w.relTime(pr.deadline)
		w.refs(pr.members)
		w.ref(pr.backfill)
		w.str(pr.region)
		w.uint(pr.version)
		w.bool(pr.answers != nil)
		keys := sortedKeys(pr.answers)
		w.uint(uint64(len(keys)))
		for _, k := range keys {
			w.str(k)
			w.bool(pr.answers[k])
		}
	}

	w.uint(uint64(len(m.tickets)))
	for i := range len(m.tickets) { // collect numbered m.tickets first
		w.int(int64(i))
		w.cut()
	}
	// The players' index: for each ticket, which of its players it is the active ticket of;
	// then, in order, entries that name a ticket without that player (none, normally).
	for _, bits := range w.bits {
		w.uint(bits)
		w.cut()
	}
	var others []string
	if w.marked != len(m.players) {
		for id, t := range m.players {
			if i := slices.IndexFunc(t.players, func(p player) bool { return p.ID == id }); i < 0 || i >= 64 {
				others = append(others, id)
			}
		}
		slices.Sort(others)
	}
	w.uint(uint64(len(others)))
	for _, k := range others {
		w.str(k)
		w.ref(m.players[k])
	}
	var keys []string
	p := m.pool
	for _, list := range [][]*ticket{p.order, p.arrivals, p.departed, p.touched, p.crossed} {
		w.refs(list)
	}
	w.timers()
	w.int(int64(p.count))
	w.int(int64(p.backfills))

	w.sessionList(m.sessions)
	w.uint(uint64(len(m.sessionQueue)))
	for _, s := range m.sessionQueue {
		w.int(int64(w.sess[s]))
	}
	keys = sortedKeys(m.sessionOf)
	w.uint(uint64(len(keys)))
	for _, k := range keys {
		w.str(k)
		w.int(int64(w.sess[m.sessionOf[k]]))
	}
	keys = sortedKeys(m.pending)
	w.uint(uint64(len(keys)))
	for _, k := range keys {
		w.int(int64(w.props[m.pending[k]]))
	}
	keys = sortedKeys(m.placements)
	w.uint(uint64(len(keys)))
	for _, k := range keys {
		pl := m.placements[k]
		w.int(int64(w.props[pl.pr]))
		w.relTime(pl.deadline)
	}
	w.refs(m.acked)
	w.refs(m.ended[m.endedHead:])
}

func (w *snapWriter) sessionList(ss map[string]*session) {
	keys := sortedKeys(ss)
	w.uint(uint64(len(keys)))
	for _, k := range keys {
		w.int(int64(w.sess[ss[k]]))
	}
}

func (w *snapWriter) int32s(v []int32) {
	w.uint(uint64(len(v)))
	for _, x := range v {
		w.int(int64(x))
	}
}

const (
	flagInPool = 1 << iota
	flagClaimed
	flagGroupHeld
	flagBackfill
	flagMetrics
	flagEnding
)

// ticketTable writes the tickets, and computes the players' index (bits, marked) with them; a
// large table is written in two halves at once, the second into pieces of its own.
func (w *snapWriter) ticketTable() {
	w.bits = make([]uint64, len(w.tickets))
	half := len(w.tickets) / 2
	if half < 1<<14 {
		w.ticketRange(0, len(w.tickets))
		return
	}
	second := &snapWriter{m: w.m, base: w.base, sess: w.sess, props: w.props, tickets: w.tickets, bits: w.bits}
	second.b = make([]byte, 0, snapChunk+snapChunk/8)
	done := make(chan struct{})
	go func() {
		defer close(done)
		second.ticketRange(half, len(w.tickets))
	}()
	w.ticketRange(0, half)
	<-done
	w.chunks = append(append(w.chunks, w.b), second.chunks...)
	w.b = second.b
	w.marked += second.marked
	w.covered += second.covered
}

// ticketRange writes tickets[from:to] and their entries of the players' index.
func (w *snapWriter) ticketRange(from, to int) {
	players := w.m.players
	for k, t := range w.tickets[from:to] {
		w.ticket(t)
		w.cut()
		var bits uint64
		for i := range t.players {
			if id := t.players[i].ID; i < 64 && players[id] == t {
				bits |= 1 << i
				w.marked++
				if !slices.ContainsFunc(t.players[:i], func(p player) bool { return p.ID == id }) {
					w.covered++
				}
			}
		}
		w.bits[from+k] = bits
	}
}

func (w *snapWriter) ticket(t *ticket) {
	w.str(t.id)
	w.b = append(w.b, byte(slices.Index(statusCodes, t.status)))
	w.uint(t.seq)
	w.rel(t.deadline)
	w.rel(t.nextStep)
	w.rel(t.start)
	w.int(int64(t.group))
	var flags int64
	for i, on := range []bool{t.inPool, t.claimed, t.groupHeld, t.bf != nil, t.metrics != nil, t.ending != nil} {
		if on {
			flags |= 1 << i
		}
	}
	w.int(int64(flags))
	w.float(t.key)
	w.players(t.players)
	w.str(t.matchID)
	w.str(t.session)
	if bf := t.bf; bf != nil {
		w.int(int64(w.sess[bf.session]))
		w.int(int64(bf.maxNew))
		w.int(int64(bf.added))
		w.relTime(bf.ackDeadline)
		w.uint(uint64(len(bf.pending)))
		for _, pr := range bf.pending {
			w.int(int64(w.props[pr]))
		}
		w.bool(bf.auto)
	}
	if t.metrics != nil {
		w.uint(uint64(len(*t.metrics)))
		for _, mt := range *t.metrics {
			w.int(int64(mt.passed))
			w.int(int64(mt.failed))
		}
	}
	if e := t.ending; e != nil {
		w.str(e.reason)
		w.str(e.message)
		w.relTime(e.at)
	}
}

func (w *snapWriter) players(ps []player) {
	w.uint(uint64(len(ps)))
	for i := range ps {
		p := &ps[i]
		w.str(p.ID)
		w.int(int64(p.Team))
		for _, f := range p.Nums {
			w.float(f)
		}
		if p.More != nil {
			for _, s := range p.More.Strs {
				w.str(s)
			}
			for _, l := range p.More.Lists {
				w.bool(l == nil)
				w.strs(l)
			}
			for _, mp := range p.More.Maps {
				w.bool(mp == nil)
				encodeNumberMap(&w.enc, mp)
			}
		}
		w.uint(uint64(len(p.Lat)))
		for _, l := range p.Lat {
			w.int(int64(l.Region))
			w.int(int64(l.Ms))
		}
	}
}

// ---- reading

// Restore builds a Matchmaker from a snapshot that Snapshot or Shutdown wrote, with cfg and
// opts as New takes them; r nil builds an empty Matchmaker that waits for a journal's first
// entry (see Recover and Replay). The rule set must be the one the snapshot was taken with
// (the same text, byte for byte); other fields of cfg and the options may change, and apply
// from now on (deadlines already set keep their times). WithRandom is not read: the ID
// generator continues where the snapshot left it. WithJournal receives the commands after the
// snapshot's position.
//
// A snapshot that is truncated, corrupt (its checksum), of another format version, taken
// with another rule set or inconsistent is refused with a *SnapshotError naming the part, and
// nothing is built. Restore reads at most 4 GiB; a *bytes.Reader's bytes are read where they
// are, not copied first.
func Restore(r io.Reader, cfg Config, opts ...Option) (*Matchmaker, error) {
	m, err := newMatchmaker(cfg, opts)
	if err != nil || r == nil {
		return m, err
	}
	if br, ok := r.(*bytes.Reader); ok && br.Len() <= maxSnapshotBytes {
		// A bytes.Reader hands its bytes to a Writer (WriteTo) without copying them: when it
		// hands them all at once, the snapshot is read there, and nothing of them is kept.
		start, _ := br.Seek(0, io.SeekCurrent)
		in := &inPlace{m: m, size: br.Len()}
		br.WriteTo(in)
		if in.done {
			if in.err != nil {
				return nil, in.err
			}
			return m, nil
		}
		br.Seek(start, io.SeekStart) // in pieces: m is untouched, read it as any reader
	}
	b, err := readAllSized(r, maxSnapshotBytes+1)
	if err != nil {
		return nil, err
	}
	if len(b) > maxSnapshotBytes {
		return nil, &SnapshotError{What: "snapshot", Offset: maxSnapshotBytes, Reason: "is larger than 4 GiB"}
	}
	if err := m.readSnapshot(b); err != nil {
		return nil, err
	}
	return m, nil
}

// inPlace reads a snapshot that is written to it in one piece, of the size it expects; it
// refuses any other write, and keeps nothing of what is written.
type inPlace struct {
	m    *Matchmaker
	size int
	done bool
	err  error // what reading the snapshot found
}

var errInPieces = errors.New("matchmaker: a snapshot written in pieces")

func (w *inPlace) Write(p []byte) (int, error) {
	if w.done || len(p) != w.size {
		return 0, errInPieces
	}
	w.done = true
	w.err = w.m.readSnapshot(p)
	return len(p), nil
}

// SnapshotSeq reads a snapshot's journal position (see EntrySeq) from its header.
func SnapshotSeq(header []byte) (uint64, error) {
	d := &dec{b: header, what: "snapshot"}
	readSnapshotHeader(d)
	d.at("fingerprint").str(64)
	d.at("name").str(256)
	seq := d.at("journal position").uint()
	return seq, d.err
}

func readSnapshotHeader(d *dec) {
	d.at("header")
	if len(d.b) < len(snapshotMagic) || string(d.b[:len(snapshotMagic)]) != snapshotMagic {
		d.fail("not a matchmaker snapshot")
		return
	}
	d.off = len(snapshotMagic)
	if v := d.uint(); d.err == nil && v != snapshotVersion {
		d.fail("format version %d; this version of the library reads version %d", v, snapshotVersion)
	}
}

// snapReader reads what snapWriter wrote into a new Matchmaker.
type snapReader struct {
	*dec
	m        *Matchmaker
	base     int64
	tickets  []*ticket
	sessions []*session
	props    []*proposal

	// what tickets and rosters hold, allocated in chunks (see slab.go)
	arena      stringArena
	playerSlab slab[player]
	nums       slab[float64]
	lats       slab[ruleset.RegionLatency]
	mores      slab[ruleset.PlayerMore]
	strSlots   slab[string]
	lists      slab[[]string]
	maps       slab[map[string]float64]
	metrics    slab[ruleMetric]
	metricRefs slab[[]ruleMetric]
}

// text reads a string into the arena.
func (r *snapReader) text() string {
	n := r.count(1, len(r.b))
	if r.err != nil {
		return ""
	}
	s := r.arena.make(r.b[r.off : r.off+n])
	r.off += n
	return s
}

func (m *Matchmaker) readSnapshot(b []byte) error {
	if len(b) < 4 || crc32.Checksum(b[:len(b)-4], castagnoli) != binary.LittleEndian.Uint32(b[len(b)-4:]) {
		if len(b) >= len(snapshotMagic) && string(b[:len(snapshotMagic)]) != snapshotMagic {
			return &SnapshotError{What: "snapshot", Field: "header", Reason: "not a matchmaker snapshot"}
		}
		return &SnapshotError{What: "snapshot", Field: "checksum", Offset: len(b), Reason: "does not match: the snapshot is truncated or corrupt"}
	}
	r := &snapReader{dec: &dec{b: b[:len(b)-4], what: "snapshot"}, m: m}
	r.read()
	r.end()
	return r.err
}

func (r *snapReader) relTime() time.Time {
	v := r.int()
	if r.err != nil || v == math.MinInt64 {
		return time.Time{}
	}
	return time.Unix(0, r.base+v).UTC()
}

func (r *snapReader) ticketRef(nilOK bool) *ticket {
	i := r.int()
	switch {
	case r.err != nil:
		return nil
	case i == -1 && nilOK:
		return nil
	case i < 0 || i >= int64(len(r.tickets)):
		r.fail("ticket number %d is not in the table of %d", i, len(r.tickets))
		return nil
	}
	return r.tickets[i]
}

func (r *snapReader) ticketRefs(field string) []*ticket {
	r.at(field)
	n := r.count(1, len(r.b))
	if n == 0 {
		return nil
	}
	out := make([]*ticket, n)
	for i := range out {
		out[i] = r.ticketRef(false)
	}
	if r.err != nil {
		return nil // not a list with nil entries, which its readers would follow
	}
	return out
}

// session reads a session's number; on a problem it returns a session nothing else holds.
func (r *snapReader) session(field string) *session { return entryAt(r, field, "session", r.sessions) }

// proposal reads a proposal's number; on a problem it returns a proposal nothing else holds.
func (r *snapReader) proposal(field string) *proposal { return entryAt(r, field, "proposal", r.props) }

// entryAt reads a number in table, refusing one outside it.
func entryAt[T any](r *snapReader, field, kind string, table []*T) *T {
	r.at(field)
	i := r.int()
	if r.err == nil && (i < 0 || i >= int64(len(table))) {
		r.fail("%s number %d is not in the table of %d", kind, i, len(table))
	}
	if r.err != nil {
		return new(T)
	}
	return table[i]
}

func (r *snapReader) int32s(field string, limit int64) []int32 {
	r.at(field)
	n := r.count(1, len(r.b))
	out := make([]int32, n)
	for i := range out {
		out[i] = int32(r.small(-1, limit))
	}
	return out
}

func (r *snapReader) read() {
	m := r.m
	readSnapshotHeader(r.dec)
	if fp := r.at("ruleSet").str(64); r.err == nil && fp != m.fingerprint {
		r.err = errRuleSetChanged("snapshot")
		return
	}
	r.at("name").str(256)
	m.jseq = r.at("journal position").uint()
	m.closed = r.at("closed").bool()
	r.base = r.at("time").small(epoch.UnixNano(), latest.UnixNano())
	m.now = time.Unix(0, r.base).UTC()
	m.ticked, m.ranOnce = r.bool(), r.bool()
	r.at("counters")
	m.seq, m.idSeq, m.eventSeq = r.uint(), r.uint(), r.uint()
	st := &m.stats
	for _, c := range []*uint64{&st.Ticks, &st.Started, &st.Matches, &st.Completed, &st.Cancelled, &st.TimedOut, &st.Failed} {
		*c = r.uint()
	}
	m.waitEWMA = r.float()
	if state := r.at("ids").str(1024); r.err == nil {
		if err := m.rng.UnmarshalBinary([]byte(state)); err != nil {
			r.fail("%v", err)
		}
	}

	reg := &m.regions
	reg.names = r.at("regions").strs(maxTrackedRegions*4, 1<<16)
	reg.fresh = nil
	reg.refs = r.int32s("regions.refs", math.MaxInt32)
	reg.free = r.int32s("regions.free", int64(len(reg.names))-1)
	reg.byName = map[string]int32{}
	if len(reg.refs) != len(reg.names) {
		r.at("regions").fail("%d names but %d counts", len(reg.names), len(reg.refs))
	}
	for id, name := range reg.names {
		if _, dup := reg.byName[name]; name != "" && dup {
			r.at("regions").fail("region %q is listed twice", name)
		} else if name != "" {
			reg.byName[name] = int32(id)
		}
	}
	gs := &m.pool.groups
	gs.names = r.at("partitions").strs(len(r.b), len(r.b))
	gs.refs = r.int32s("partitions.refs", math.MaxInt32)
	gs.free = r.int32s("partitions.free", int64(len(gs.names))-1)
	if len(gs.refs) != len(gs.names) {
		r.at("partitions").fail("%d names but %d counts", len(gs.names), len(gs.refs))
	}
	gs.byName = make(map[string]int32, len(gs.names))
	for id, name := range gs.names {
		if r.err == nil && gs.refs[id] > 0 {
			gs.byName[name] = int32(id)
		}
	}
	if r.err != nil {
		return
	}

	nt := r.at("tables").count(8, len(r.b))
	ns := r.count(4, len(r.b))
	np := r.count(5, len(r.b))
	if r.err != nil {
		return
	}
	// The two maps, of up to a million entries each, take long to make and to fill: another
	// goroutine makes them while this one reads the tickets, then fills the tickets' while this
	// one reads on and fills the players'. They are sized once: growing them costs more.
	players := make(chan map[string]*ticket, 1)
	list := make(chan []*ticket, 1)
	index := make(chan ticketIndex, 1)
	go func() {
		players <- make(map[string]*ticket, nt)
		tickets := make(map[string]*ticket, nt)
		index <- indexTickets(tickets, <-list)
	}()
	r.readTables(nt, ns, np)
	var l []*ticket
	if r.err == nil {
		l = r.ticketRefs("tickets")
	}
	listEnd := r.off
	list <- l
	if r.err == nil {
		m.players = <-players
		r.readIndexes()
	}
	idx := <-index
	m.tickets = idx.tickets
	if idx.dup != nil { // it comes before anything readIndexes read
		r.err = &SnapshotError{What: r.what, Field: "tickets", Offset: listEnd,
			Reason: fmt.Sprintf("ticket %q is listed twice", idx.dup.id)}
	}
}

// ticketIndex is m.tickets, and the first ticket listed twice if there is one.
type ticketIndex struct {
	tickets map[string]*ticket
	dup     *ticket
}

func indexTickets(tickets map[string]*ticket, list []*ticket) ticketIndex {
	for _, t := range list {
		n := len(tickets)
		if tickets[t.id] = t; len(tickets) == n { // one lookup, not two
			return ticketIndex{tickets, t}
		}
	}
	return ticketIndex{tickets, nil}
}

// readTables reads the tables of tickets, sessions and proposals.
func (r *snapReader) readTables(nt, ns, np int) {
	r.tickets = make([]*ticket, nt)
	tix := make([]ticket, nt)
	for i := range r.tickets {
		r.tickets[i] = &tix[i]
	}
	r.sessions = make([]*session, ns)
	for i := range r.sessions {
		r.sessions[i] = &session{}
	}
	r.props = make([]*proposal, np)
	for i := range r.props {
		r.props[i] = &proposal{}
	}
	for i, t := range r.tickets {
		r.ticket(i, t)
		if r.err != nil {
			return
		}
	}
	for i, s := range r.sessions {
		r.at("sessions[" + itoa(i) + "]")
		s.arn, s.matchID = r.str(len(r.b)), r.str(len(r.b))
		s.roster = r.players("sessions", i, ".roster", MaxPlayersPerBackfill+r.m.rs.MaxPlayers())
		s.version = r.uint()
		s.backfill = r.ticketRef(true)
		s.auto = r.bool()
	}
	for i, pr := range r.props {
		r.at("proposals[" + itoa(i) + "]")
		pr.id = r.str(len(r.b))
		pr.created, pr.deadline = r.relTime(), r.relTime()
		pr.members = r.ticketRefs("proposals[" + itoa(i) + "].members")
		pr.backfill = r.ticketRef(true)
		pr.region = r.str(len(r.b))
		pr.version = r.uint()
		if r.bool() {
			pr.answers = map[string]bool{}
		}
		for range r.count(2, len(r.b)) {
			k := r.str(len(r.b))
			if pr.answers != nil {
				pr.answers[k] = r.bool()
			}
		}
	}
}

// readIndexes reads what refers to the tables: the players' index, the pool, sessions,
// proposals pending and placing, and the lists of tickets acknowledged and ended.
func (r *snapReader) readIndexes() {
	m := r.m
	r.at("players")
	for _, t := range r.tickets {
		bits := r.uint()
		for i := range t.players {
			if i < 64 && bits&(1<<i) != 0 {
				m.players[t.players[i].ID] = t
			}
		}
	}
	for range r.count(2, len(r.b)) {
		id := r.str(len(r.b))
		m.players[id] = r.ticketRef(false)
	}
	p := m.pool
	p.order = r.ticketRefs("pool.order")
	p.arrivals = r.ticketRefs("pool.arrivals")
	p.departed = r.ticketRefs("pool.departed")
	p.touched = r.ticketRefs("pool.touched")
	p.crossed = r.ticketRefs("pool.crossed")
	r.at("pool.timers")
	nTimers := r.count(2, len(r.b))
	p.timers = make(timerHeap, 0, nTimers) // in firing order: each push stays where it lands
	for range nTimers {
		at := r.base + r.int()
		if t := r.ticketRef(false); t != nil {
			p.timers.push(timer{at: at, t: t})
		}
	}
	p.count = int(r.at("pool.count").small(0, int64(len(r.tickets))))
	p.backfills = int(r.small(0, int64(p.count)))
	for i, t := range p.order {
		if !t.inPool || i > 0 && compareOrder(p.order[i-1], t) >= 0 {
			r.at("pool.order").fail("ticket %q is out of place in the pool order", t.id)
			return
		}
	}
	p.keyAt, p.grpAt, p.seqAt = make([]float64, len(p.order)), make([]int32, len(p.order)), make([]uint64, len(p.order))
	for i, t := range p.order {
		p.keyAt[i], p.grpAt[i], p.seqAt[i] = t.key, t.group, t.seq
	}
	p.right, p.left = make([]int32, len(p.order)+1), make([]int32, len(p.order)+1)
	for i := range p.right {
		p.right[i], p.left[i] = int32(i), int32(i)
	}

	r.at("sessions")
	for range r.count(1, len(r.sessions)) {
		s := r.session("sessions")
		m.sessions[s.arn] = s
	}
	r.at("sessionQueue")
	for range r.count(1, len(r.b)) {
		m.sessionQueue = append(m.sessionQueue, r.session("sessionQueue"))
	}
	r.at("sessionOf")
	for range r.count(2, len(r.b)) {
		id := r.str(len(r.b))
		m.sessionOf[id] = r.session("sessionOf")
	}
	r.at("pending")
	for range r.count(1, len(r.props)) {
		pr := r.proposal("pending")
		m.pending[pr.id] = pr
	}
	r.at("placements")
	for range r.count(2, len(r.props)) {
		pr := r.proposal("placements")
		m.placements[pr.id] = &placement{pr: pr, deadline: r.relTime()}
	}
	m.acked = r.ticketRefs("acked")
	m.ended = r.ticketRefs("ended")
	if r.err == nil {
		for _, t := range m.ended {
			if t.ending == nil {
				r.at("ended").fail("ticket %q has not ended", t.id)
				return
			}
		}
	}
}

func (r *snapReader) ticket(i int, t *ticket) {
	at := func(sub string) *dec { return r.atIndexed("tickets", i, sub, -1, "") }
	at("")
	t.id = r.text()
	if r.err == nil {
		if r.off >= len(r.b) || int(r.b[r.off]) >= len(statusCodes) {
			at(".status").fail("unknown status")
			return
		}
		t.status = statusCodes[r.b[r.off]]
		r.off++
	}
	t.seq = r.uint()
	t.deadline, t.nextStep, t.start = r.base+r.int(), r.base+r.int(), r.base+r.int()
	t.group = int32(at(".group").small(0, math.MaxInt32))
	flags := at(".flags").small(0, 1<<6-1)
	t.inPool, t.claimed, t.groupHeld = flags&flagInPool != 0, flags&flagClaimed != 0, flags&flagGroupHeld != 0
	if t.groupHeld && int(t.group) >= len(r.m.pool.groups.refs) {
		at(".group").fail("partition %d is not in the table", t.group)
	}
	t.key = r.float()
	limit := MaxPlayersPerTicket
	if flags&flagBackfill != 0 {
		limit = MaxPlayersPerBackfill + r.m.rs.MaxPlayers()
	}
	t.players = r.players("tickets", i, ".players", limit)
	at("")
	t.matchID, t.session = r.text(), r.text()
	if flags&flagBackfill != 0 {
		path := "tickets[" + itoa(i) + "]"
		at(".backfill")
		bf := &backfill{}
		bf.session = r.session(path + ".backfill.session")
		bf.maxNew = int(r.small(0, math.MaxInt32))
		bf.added = int(r.small(0, math.MaxInt32))
		bf.ackDeadline = r.relTime()
		n := r.count(1, len(r.props))
		for range n {
			bf.pending = append(bf.pending, r.proposal(path+".backfill.pending"))
		}
		bf.auto = r.bool()
		t.bf = bf
	}
	if flags&flagMetrics != 0 {
		at(".metrics")
		n := r.count(2, len(r.b))
		if r.err == nil && n != r.m.rs.RuleCount() {
			r.fail("%d rule counters for %d rules", n, r.m.rs.RuleCount())
			return
		}
		ms := r.metrics.take(n)
		for j := range ms {
			ms[j] = ruleMetric{passed: uint32(r.small(0, math.MaxUint32)), failed: uint32(r.small(0, math.MaxUint32))}
		}
		t.metrics = &r.metricRefs.take(1)[0]
		*t.metrics = ms
	}
	if flags&flagEnding != 0 {
		at(".ending")
		t.ending = &ticketEnd{reason: r.str(len(r.b)), message: r.str(len(r.b)), at: r.relTime()}
	}
	if r.err == nil && t.status.Terminal() != (t.ending != nil) {
		at("").fail("status %s does not agree with its ending", t.status)
	}
}

// players reads the players at field[i]sub.
func (r *snapReader) players(field string, i int, sub string, limit int) []player {
	rs := r.m.rs
	n := r.atIndexed(field, i, sub, -1, "").count(2, limit)
	if n == 0 || r.err != nil {
		return nil
	}
	nums, strs, lists, maps := rs.SlotCounts()
	out := r.playerSlab.take(n)
	for pj := range out {
		r.atIndexed(field, i, sub, pj, "")
		p := &out[pj] // as rs.NewPlayer makes it, from the slabs
		p.ID = r.text()
		p.Team = int32(r.small(-1, int64(rs.TeamCount())-1))
		p.Nums = r.nums.take(nums)
		for j := range p.Nums {
			p.Nums[j] = r.finite()
		}
		if strs+lists+maps > 0 {
			p.More = &r.mores.take(1)[0]
			p.More.Strs, p.More.Lists, p.More.Maps = r.strSlots.take(strs), r.lists.take(lists), r.maps.take(maps)
			for j := range p.More.Strs {
				p.More.Strs[j] = r.text()
			}
			for j := range p.More.Lists {
				isNil := r.bool()
				k := r.count(1, len(r.b))
				if isNil {
					for range k {
						r.str(len(r.b))
					}
					continue
				}
				l := r.strSlots.take(k)
				for x := range l {
					l[x] = r.text()
				}
				p.More.Lists[j] = l
			}
			for j := range p.More.Maps {
				isNil := r.bool()
				if mp := decodeNumberMap(r.dec); !isNil {
					if mp == nil {
						mp = map[string]float64{}
					}
					p.More.Maps[j] = mp
				}
			}
		}
		k := r.atIndexed(field, i, sub, pj, ".latency").count(2, len(r.b))
		if k > 0 {
			p.Lat = r.lats.take(k)
		}
		for j := range p.Lat {
			id := r.small(0, int64(len(r.m.regions.names))-1)
			if r.err == nil && r.m.regions.names[id] == "" {
				r.fail("region %d is not in use", id)
			}
			p.Lat[j].Region, p.Lat[j].Ms = int32(id), int32(r.small(0, 1<<30))
			if j > 0 && r.err == nil && p.Lat[j-1].Region >= p.Lat[j].Region {
				r.fail("regions are not in order")
			}
		}
	}
	return out
}

// readAllSized reads r to its end, at most limit bytes, into a buffer sized once when r tells
// its length (a bytes.Reader, a bytes.Buffer, a file), instead of growing it step by step.
func readAllSized(r io.Reader, limit int64) ([]byte, error) {
	size := int64(-1)
	switch x := r.(type) {
	case interface{ Len() int }:
		size = int64(x.Len())
	case interface{ Stat() (fs.FileInfo, error) }:
		if fi, err := x.Stat(); err == nil && fi.Mode().IsRegular() {
			size = fi.Size()
		}
	}
	if size < 0 {
		return io.ReadAll(io.LimitReader(bufio.NewReader(r), limit))
	}
	var buf bytes.Buffer
	buf.Grow(int(min(size, limit)) + bytes.MinRead)
	_, err := buf.ReadFrom(io.LimitReader(r, limit))
	return buf.Bytes(), err
}

// timers writes the pool's timers. They fire in a total order (see timer.before), so the
// heap's layout is not state: they are written in firing order, and the ones of ended tickets,
// which do nothing, are left out. Firing order is by time, then by admission number, which for
// active tickets is their number in the table (collect numbers them first, in admission
// order). When a timer's time relative to the earliest and its ticket's number fit one 64-bit
// key together, the timers are that key, radix sorted: 8 bytes each, read back without the
// timer.
func (w *snapWriter) timers() {
	heap := w.m.pool.timers
	n := 0
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for _, x := range heap {
		if !x.t.status.Terminal() {
			n++
			lo, hi = min(lo, x.at), max(hi, x.at)
		}
	}
	w.uint(uint64(n))
	if n == 0 {
		return
	}
	refBits := bits.Len64(uint64(len(w.tickets)))
	if bits.Len64(uint64(hi-lo))+refBits > 64 {
		live := make([]timer, 0, n)
		for _, x := range heap {
			if !x.t.status.Terminal() {
				live = append(live, x)
			}
		}
		slices.SortFunc(live, func(x, y timer) int { return cmp.Or(cmp.Compare(x.at, y.at), cmp.Compare(x.t.seq, y.t.seq)) })
		for _, x := range live {
			w.rel(x.at)
			w.ref(x.t)
			w.cut()
		}
		return
	}
	keys := make([]uint64, 0, n)
	for _, x := range heap {
		if !x.t.status.Terminal() {
			keys = append(keys, uint64(x.at-lo)<<refBits|uint64(x.t.snapRef))
		}
	}
	sortByKey(keys, func(k uint64) uint64 { return k })
	mask := uint64(1)<<refBits - 1
	for _, k := range keys {
		w.rel(lo + int64(k>>refBits))
		w.int(int64(k&mask) - 1)
		w.cut()
	}
}

// ---- shutdown

// Shutdown stops the Matchmaker without cancelling its tickets: it writes a snapshot to w (if w
// is not nil), syncs the journal, and ends every subscription and Wait with ErrClosed. Requests
// after it return ErrClosed. A new process continues from the snapshot with Restore (or from
// the journal with Recover): tickets keep their statuses, times and places in the pool. Run
// should be stopped first; a Tick after Shutdown returns ErrClosed. Close, by contrast, cancels
// every ticket.
func (m *Matchmaker) Shutdown(w io.Writer) error {
	m.deliverMu.Lock()
	m.mu.Lock()
	if err := m.usableLocked(); err != nil {
		m.mu.Unlock()
		m.deliverMu.Unlock()
		return err
	}
	var b [][]byte
	var err error
	if w != nil {
		if b, err = m.snapshotLocked(); err != nil {
			m.mu.Unlock()
			m.deliverMu.Unlock()
			return err
		}
	}
	m.closed = true
	close(m.halt)
	m.mu.Unlock()
	a := m.deliverLocked() // what requests queued before Shutdown
	m.deliverMu.Unlock()
	m.afterDeliver(a)
	m.hub.close()
	if j := m.opts.journal; j != nil {
		if err := j.Sync(); err != nil {
			return &JournalError{Op: "Sync", Seq: m.jseq, Err: err}
		}
	}
	if w != nil {
		err = writeChunks(w, b)
	}
	return err
}

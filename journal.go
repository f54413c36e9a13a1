package matchmaker

// This file holds the command journal: every request and every tick is a command, recorded as
// an entry before it takes effect, so that a snapshot plus the entries after it replay to the
// same state (see "Durability" in the package documentation).

import (
	"cmp"
	"io"
	"maps"
	"slices"
	"strconv"
	"time"
)

// Journal records a Matchmaker's commands (see WithJournal). The package journal provides one
// on files; a replicated log can provide another.
type Journal interface {
	// Append records one entry: an opaque, self-describing byte string whose position EntrySeq
	// reads. The Matchmaker calls it with its lock held, in order, before the command takes
	// effect, and may reuse entry after it returns. An error refuses the command: the request
	// returns a *JournalError and nothing changes.
	Append(entry []byte) error
	// Sync makes every entry appended so far durable. The Matchmaker calls it once per tick
	// (group commit), with no lock held, after the tick and before delivering its events. An
	// error fails the Matchmaker: every later request returns a *JournalError, and the host
	// recovers from the journal with Recover.
	Sync() error
}

// WithJournal records every command in j before it takes effect: each request (refused ones
// too, which replay refuses again) and each tick. New appends a first entry holding the seed
// of the generated IDs, so a replay generates the same IDs whatever the random source. A request
// is acknowledged once its entry is appended; the events of a tick are delivered once the tick's
// Sync returned. Default: none.
func WithJournal(j Journal) Option { return func(o *options) { o.journal = j } }

// cmdKind names a command.
type cmdKind uint8

const (
	cmdGenesis cmdKind = iota + 1 // the seed of generated IDs
	cmdTick
	cmdRun // Run started: requests read the clock from now on
	cmdClose
	cmdStart
	cmdStop
	cmdAccept
	cmdStartBackfill
	cmdStopBackfill
	cmdAck
	cmdRemovePlayers
	cmdAddPlayers
	cmdEndSession
	cmdCompletePlacement
	cmdFailPlacement
	cmdLast = cmdFailPlacement
)

// command is one request or tick, with everything needed to apply it again.
type command struct {
	kind     cmdKind
	id       string // ticket, backfill ticket, placement or game session
	text     string // FailPlacement's message
	flag     bool   // FailPlacement's retry
	ids      []string
	players  []Player
	start    *StartMatchmakingInput
	accept   *AcceptMatchInput
	backfill *StartMatchBackfillInput
	placed   *PlacedGameSession
	at       time.Time // Tick's argument
	state    []byte    // genesis: the state of the ID generator
	print    string    // genesis: the rule set's fingerprint
}

// result is what a command returns to its caller.
type result struct {
	ticket Ticket
	ack    AcknowledgeBackfillOutput
}

// clockReading is what a command read from the clock, recorded so a replay reads the same.
type clockReading struct {
	read    bool
	at      time.Time
	running bool // Run was driving the Matchmaker
}

// maxEntryBytes bounds one journal entry; a larger request is refused before it is recorded.
const maxEntryBytes = 1 << 20

// entryVersion is the format of journal entries; EntrySeq and Replay refuse others.
const entryVersion = 1

// exec runs a request: it takes the lock, refuses it once the Matchmaker is closed or failed,
// records it in the journal, applies it at the request's time (see requestTimeLocked), releases
// the lock and delivers the events it queued. It is the preamble of every request that changes
// state.
func (m *Matchmaker) exec(c *command) (result, error) {
	m.mu.Lock()
	if err := m.usableLocked(); err != nil {
		m.mu.Unlock()
		return result{}, err
	}
	rd := m.readClockLocked(c.kind)
	if err := m.recordLocked(c, rd); err != nil {
		m.mu.Unlock()
		return result{}, err
	}
	out, err := m.applyLocked(c, rd)
	m.mu.Unlock()
	m.deliver()
	return out, err
}

// usableLocked reports why the Matchmaker takes no more requests, if it does not.
func (m *Matchmaker) usableLocked() error {
	switch {
	case m.failed != nil:
		return m.failed
	case m.closed:
		return ErrClosed
	}
	return nil
}

// readClockLocked reads the clock if the command's time comes from it (see requestTimeLocked):
// with WithClock, while Run drives the Matchmaker or after it has, and for Close before the
// first tick.
func (m *Matchmaker) readClockLocked(k cmdKind) clockReading {
	rd := clockReading{running: m.running.Load()}
	clockMode := m.opts.clockSet || rd.running || m.ranOnce
	if k == cmdTick || k == cmdGenesis || !clockMode && !(k == cmdClose && !m.ticked) {
		return rd
	}
	rd.read, rd.at = true, m.clock.Now()
	return rd
}

// recordLocked appends c to the journal, if there is one. Requires m.mu.
func (m *Matchmaker) recordLocked(c *command, rd clockReading) error {
	if m.opts.journal == nil {
		return nil
	}
	if m.jseq == 0 && c.kind != cmdGenesis {
		state, _ := m.rng.MarshalBinary() // never fails
		if err := m.recordLocked(&command{kind: cmdGenesis, state: state, print: m.fingerprint}, clockReading{}); err != nil {
			return err
		}
	}
	m.entryBuf = encodeEntry(m.entryBuf[:0], m.jseq+1, c, rd)
	if len(m.entryBuf) > maxEntryBytes {
		return &ValidationError{Input: "request", Problems: []FieldError{{Message: "is " + itoa(len(m.entryBuf)) +
			" bytes in the journal; at most " + itoa(maxEntryBytes) + " are allowed"}}}
	}
	if err := m.opts.journal.Append(m.entryBuf); err != nil {
		return &JournalError{Op: "Append", Seq: m.jseq + 1, Err: err}
	}
	m.jseq++
	if cap(m.entryBuf) > 64<<10 {
		m.entryBuf = nil // one large request does not keep its buffer
	}
	return nil
}

// applyLocked applies a request at the time it read. Requires m.mu.
func (m *Matchmaker) applyLocked(c *command, rd clockReading) (r result, err error) {
	now := m.requestTimeLocked(rd)
	defer m.regions.endRequest()
	switch c.kind {
	case cmdGenesis:
		if err := m.rng.UnmarshalBinary(c.state); err != nil {
			return r, &SnapshotError{What: "journal entry", Field: "Genesis.state", Reason: err.Error()}
		}
	case cmdRun:
	case cmdClose:
		m.closeLocked(now, rd)
	case cmdStart:
		r.ticket, err = m.startMatchmakingLocked(now, *c.start)
	case cmdStop:
		err = m.stopLocked(now, c.id, "StopMatchmaking", false)
	case cmdAccept:
		err = m.acceptMatchLocked(now, *c.accept)
	case cmdStartBackfill:
		r.ticket, err = m.startMatchBackfillLocked(now, *c.backfill)
	case cmdStopBackfill:
		err = m.stopLocked(now, c.id, "StopMatchBackfill", true)
	case cmdAck:
		r.ack, err = m.acknowledgeLocked(now, c.id)
	case cmdRemovePlayers:
		err = m.removePlayersLocked(now, c.id, c.ids)
	case cmdAddPlayers:
		err = m.addPlayersLocked(now, c.id, c.players)
	case cmdEndSession:
		err = m.endGameSessionLocked(now, c.id)
	case cmdCompletePlacement:
		err = m.completePlacementLocked(now, c.id, *c.placed)
	case cmdFailPlacement:
		err = m.failPlacementLocked(now, c.id, c.text, c.flag)
	}
	return r, err
}

// Replay applies one journal entry to a Matchmaker that follows a journal (a standby, or
// Recover): the command takes effect as it did when it was recorded, with the time it read
// then, and its events are delivered with their original Seq. The entry is not appended to
// this Matchmaker's own journal. An entry at or before the Matchmaker's position (the snapshot
// it was restored from, or entries already replayed) is skipped; one beyond the next position
// is refused, as is an entry that cannot be read, with a *SnapshotError. A request the entry
// records that was refused when made is refused again, silently: Replay reports only problems
// with the entry itself.
func (m *Matchmaker) Replay(entry []byte) error {
	seq, c, rd, err := decodeEntry(entry, m.rs)
	if err != nil {
		return err
	}
	m.deliverMu.Lock()
	m.mu.Lock()
	switch {
	case m.failed != nil:
		err = m.failed
	case m.closed:
		err = ErrClosed
	case seq <= m.jseq:
	case seq != m.jseq+1:
		err = &SnapshotError{What: "journal entry", Field: "seq", Reason: "entry " + utoa(seq) +
			" does not follow entry " + utoa(m.jseq) + ": entries are missing"}
	case c.kind == cmdGenesis && c.print != m.fingerprint:
		err = errRuleSetChanged("journal entry")
	default:
		m.jseq = seq
		if c.kind == cmdTick {
			m.tickAtLocked(c.at)
		} else if _, aerr := m.applyLocked(c, rd); c.kind == cmdGenesis && aerr != nil {
			m.jseq--
			err = aerr
		}
		m.placeRequests = nil // the Placer saw them when they were made; see Placements
	}
	m.mu.Unlock()
	a := m.deliverLocked()
	m.deliverMu.Unlock()
	m.afterDeliver(a)
	return err
}

// EntrySeq returns the position of a journal entry: entries are numbered from 1 with no gaps,
// and a snapshot contains the effects of every entry up to its own position (SnapshotSeq). A
// journal trims the entries a snapshot covers.
func EntrySeq(entry []byte) (uint64, error) {
	d := &dec{b: entry, what: "journal entry"}
	readEntryHeader(d)
	seq := d.at("seq").uint()
	return seq, d.err
}

func errRuleSetChanged(what string) error {
	return &SnapshotError{What: what, Field: "ruleSet", Reason: "was recorded with a different rule set; " +
		"restore with the rule set it was taken with (the same text, byte for byte)"}
}

// ---- encoding

var entryMagic = [4]byte{'M', 'M', 'J', entryVersion}

func readEntryHeader(d *dec) {
	d.at("header")
	if len(d.b) < 4 || [4]byte(d.b[:4]) != [4]byte{'M', 'M', 'J', d.b[3]} {
		d.fail("not a matchmaker journal entry")
		return
	}
	if d.b[3] != entryVersion {
		d.fail("format version %d; this version of the library reads version %d", d.b[3], entryVersion)
		return
	}
	d.off = 4
}

func encodeEntry(b []byte, seq uint64, c *command, rd clockReading) []byte {
	e := enc{b: append(b, entryMagic[:]...)}
	e.uint(seq)
	e.b = append(e.b, byte(c.kind))
	e.bool(rd.read)
	if rd.read {
		e.time(rd.at)
	}
	e.bool(rd.running)
	switch c.kind {
	case cmdGenesis:
		e.str(string(c.state))
		e.str(c.print)
	case cmdTick:
		e.time(c.at)
	case cmdStart:
		e.str(c.start.TicketID)
		encodePlayers(&e, c.start.Players)
	case cmdStop, cmdStopBackfill, cmdAck, cmdEndSession:
		e.str(c.id)
	case cmdAccept:
		e.str(c.accept.TicketID)
		e.strs(c.accept.PlayerIDs)
		e.str(string(c.accept.AcceptanceType))
	case cmdStartBackfill:
		e.str(c.backfill.TicketID)
		e.str(c.backfill.GameSessionArn)
		encodePlayers(&e, c.backfill.Players)
		e.int(int64(c.backfill.MaxNewPlayers))
	case cmdRemovePlayers:
		e.str(c.id)
		e.strs(c.ids)
	case cmdAddPlayers:
		e.str(c.id)
		encodePlayers(&e, c.players)
	case cmdCompletePlacement:
		e.str(c.id)
		e.str(c.placed.GameSessionArn)
		e.str(c.placed.IPAddress)
		e.str(c.placed.DNSName)
		e.int(int64(c.placed.Port))
		keys := slices.Sorted(maps.Keys(c.placed.PlayerSessionIDs))
		e.uint(uint64(len(keys)))
		for _, k := range keys {
			e.str(k)
			e.str(c.placed.PlayerSessionIDs[k])
		}
	case cmdFailPlacement:
		e.str(c.id)
		e.str(c.text)
		e.bool(c.flag)
	}
	return e.b
}

// encodePlayers writes players as the caller gave them, maps in key order.
func encodePlayers(e *enc, ps []Player) {
	e.uint(uint64(len(ps)))
	for _, p := range ps {
		e.str(p.PlayerID)
		e.str(p.Team)
		keys := slices.Sorted(maps.Keys(p.Attributes))
		e.uint(uint64(len(keys)))
		for _, k := range keys {
			e.str(k)
			encodeValue(e, p.Attributes[k])
		}
		regs := slices.Sorted(maps.Keys(p.LatencyInMs))
		e.uint(uint64(len(regs)))
		for _, r := range regs {
			e.str(r)
			e.int(int64(p.LatencyInMs[r]))
		}
		e.bool(p.LatencyInMs != nil && len(p.LatencyInMs) == 0)
	}
}

var valueTags = []AttributeType{"", AttrString, AttrNumber, AttrStringList, AttrStringNumberMap}

func encodeValue(e *enc, v Value) {
	tag := slices.Index(valueTags, v.typ)
	e.uint(uint64(max(tag, 0)))
	switch v.typ {
	case AttrString:
		e.str(v.s)
	case AttrNumber:
		e.float(v.n)
	case AttrStringList:
		e.strs(v.sl)
	case AttrStringNumberMap:
		encodeNumberMap(e, v.sdm)
	}
}

func encodeNumberMap(e *enc, m map[string]float64) {
	keys := slices.Sorted(maps.Keys(m))
	e.uint(uint64(len(keys)))
	for _, k := range keys {
		e.str(k)
		e.float(m[k])
	}
}

func decodeNumberMap(d *dec) map[string]float64 {
	n := d.count(9, len(d.b))
	if n == 0 || d.err != nil {
		return nil
	}
	out := make(map[string]float64, n)
	for range n {
		k := d.str(len(d.b))
		out[k] = d.float()
	}
	return out
}

func decodeValue(d *dec) Value {
	tag := d.uint()
	switch {
	case d.err != nil:
		return Value{}
	case tag >= uint64(len(valueTags)):
		d.fail("unknown attribute type %d", tag)
		return Value{}
	}
	v := Value{typ: valueTags[tag]}
	switch v.typ {
	case AttrString:
		v.s = d.str(len(d.b))
	case AttrNumber:
		v.n = d.float()
	case AttrStringList:
		v.sl = d.strs(len(d.b), len(d.b))
	case AttrStringNumberMap:
		v.sdm = decodeNumberMap(d)
	}
	return v
}

func decodePlayers(d *dec) []Player {
	n := d.count(5, len(d.b))
	if n == 0 {
		return nil
	}
	out := make([]Player, n)
	for i := range out {
		p := &out[i]
		p.PlayerID = d.str(len(d.b))
		p.Team = d.str(len(d.b))
		if k := d.count(2, len(d.b)); k > 0 {
			p.Attributes = make(Attributes, k)
			for range k {
				name := d.str(len(d.b))
				p.Attributes[name] = decodeValue(d)
			}
		}
		if k := d.count(2, len(d.b)); k > 0 {
			p.LatencyInMs = make(Latencies, k)
			for range k {
				name := d.str(len(d.b))
				p.LatencyInMs[name] = int(d.small(-1<<62, 1<<62))
			}
		}
		if d.bool() {
			p.LatencyInMs = Latencies{}
		}
	}
	return out
}

// decodeEntry reads an entry. rs checks nothing but is kept for future formats.
func decodeEntry(b []byte, _ any) (uint64, *command, clockReading, error) {
	d := &dec{b: b, what: "journal entry"}
	readEntryHeader(d)
	seq := d.at("seq").uint()
	c := &command{}
	var rd clockReading
	if d.err == nil {
		if d.off >= len(b) || b[d.off] == 0 || cmdKind(b[d.off]) > cmdLast {
			d.at("kind").fail("unknown command")
		} else {
			c.kind = cmdKind(b[d.off])
			d.off++
		}
	}
	d.at("clock")
	if rd.read = d.bool(); rd.read {
		rd.at = d.time()
	}
	rd.running = d.bool()
	d.at(c.kind.String())
	switch c.kind {
	case cmdGenesis:
		c.state = []byte(d.str(1024))
		c.print = d.str(64)
	case cmdTick:
		c.at = d.time()
	case cmdStart:
		c.start = &StartMatchmakingInput{TicketID: d.str(len(b)), Players: decodePlayers(d)}
	case cmdStop, cmdStopBackfill, cmdAck, cmdEndSession:
		c.id = d.str(len(b))
	case cmdAccept:
		c.accept = &AcceptMatchInput{TicketID: d.str(len(b)), PlayerIDs: d.strs(len(b), len(b)),
			AcceptanceType: AcceptanceType(d.str(len(b)))}
	case cmdStartBackfill:
		c.backfill = &StartMatchBackfillInput{TicketID: d.str(len(b)), GameSessionArn: d.str(len(b)), Players: decodePlayers(d)}
		c.backfill.MaxNewPlayers = int(d.small(-1<<31, 1<<31))
	case cmdRemovePlayers:
		c.id, c.ids = d.str(len(b)), d.strs(len(b), len(b))
	case cmdAddPlayers:
		c.id, c.players = d.str(len(b)), decodePlayers(d)
	case cmdCompletePlacement:
		c.id = d.str(len(b))
		c.placed = &PlacedGameSession{GameSessionArn: d.str(len(b)), IPAddress: d.str(len(b)), DNSName: d.str(len(b)),
			Port: int(d.small(-1<<31, 1<<31))}
		if n := d.count(2, len(b)); n > 0 {
			c.placed.PlayerSessionIDs = make(map[string]string, n)
			for range n {
				k := d.str(len(b))
				c.placed.PlayerSessionIDs[k] = d.str(len(b))
			}
		}
	case cmdFailPlacement:
		c.id, c.text, c.flag = d.str(len(b)), d.str(len(b)), d.bool()
	}
	d.end()
	return seq, c, rd, d.err
}

func (k cmdKind) String() string {
	names := [...]string{"", "Genesis", "Tick", "Run", "Close", "StartMatchmaking", "StopMatchmaking", "AcceptMatch",
		"StartMatchBackfill", "StopMatchBackfill", "AcknowledgeBackfill", "RemovePlayers", "AddPlayers",
		"EndGameSession", "CompletePlacement", "FailPlacement"}
	if int(k) < len(names) {
		return names[k]
	}
	return "command"
}

// ---- recovery

// Recover builds a Matchmaker from a snapshot (nil: from nothing, the journal starting at its
// first entry) and the journal entries after it, in order, then records new commands in the
// Journal given by WithJournal in opts; the replayed entries are not appended again. Entries
// the snapshot already contains are skipped; a missing or unreadable entry, or a rule set other
// than the one the snapshot and journal were made with, is refused with a *SnapshotError.
//
// Nobody can subscribe before Recover returns, so the events of the replayed entries reach no
// subscriber. A host that must see them (events a crash kept from being delivered) calls
// Restore, Subscribe, then Replay for each entry, and drops events whose Seq it has seen.
func Recover(cfg Config, snapshot io.Reader, entries func(yield func([]byte, error) bool), opts ...Option) (*Matchmaker, error) {
	m, err := Restore(snapshot, cfg, opts...)
	if err != nil {
		return nil, err
	}
	if entries != nil {
		for entry, ierr := range entries {
			if ierr != nil {
				return nil, ierr
			}
			if err := m.Replay(entry); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

func utoa(v uint64) string { return strconv.FormatUint(v, 10) }

// sortedKeys returns a map's keys in order.
func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K { return slices.Sorted(maps.Keys(m)) }

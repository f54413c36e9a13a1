package matchmaker

// This file holds the Matchmaker: configuration, options, lifecycle (New, Run, Tick, Close),
// the matchmaking requests, and statistics.

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// FlexMatchMode says whether matches are placed in game sessions.
type FlexMatchMode string

// Modes, as in FlexMatch.
const (
	// Standalone reports matches and stops there; the host starts its own game sessions.
	Standalone FlexMatchMode = "STANDALONE"
	// WithQueue also places each new match in a game session that the Matchmaker records, so
	// that it can be backfilled; placement succeeds at once with a generated session ID.
	WithQueue FlexMatchMode = "WITH_QUEUE"
)

// BackfillMode selects who starts backfill requests.
type BackfillMode string

// Backfill modes, as in FlexMatch.
const (
	// BackfillManual: the host starts backfills with StartMatchBackfill.
	BackfillManual BackfillMode = "MANUAL"
	// BackfillAutomatic: the Matchmaker starts a backfill for every game session it placed
	// that has open slots, and again when a player leaves. Requires WithQueue.
	BackfillAutomatic BackfillMode = "AUTOMATIC"
)

// Config is a matchmaking configuration, as in FlexMatch's CreateMatchmakingConfiguration.
// Zero fields take the documented defaults.
type Config struct {
	// Name names the configuration in events and matchmaker data. Default "default".
	Name string
	// RuleSet decides which tickets form a match. Required.
	RuleSet *RuleSet
	// RequestTimeout ends a ticket that has not matched with MatchmakingTimedOut. Between 1 s
	// and 12 h; default 120 s.
	RequestTimeout time.Duration
	// AcceptanceRequired makes every proposed match wait for its players' AcceptMatch.
	AcceptanceRequired bool
	// AcceptanceTimeout bounds that wait; between 1 s and 600 s, default 60 s.
	AcceptanceTimeout time.Duration
	// BackfillMode selects manual or automatic backfill. Default BackfillManual.
	BackfillMode BackfillMode
	// FlexMatchMode selects standalone matchmaking or placement in game sessions. Default
	// Standalone: an embedded matchmaker usually hands matches to its host.
	FlexMatchMode FlexMatchMode
	// AdditionalPlayerCount keeps this many slots free in new matches, for players the game
	// adds later. WithQueue only.
	AdditionalPlayerCount int
	// CustomEventData is copied into every event's data; at most 256 characters.
	CustomEventData string
	// BackfillAcknowledgeTimeout, when positive, requires the game server to call
	// AcknowledgeBackfill within it after a backfill starts and after every acknowledgement,
	// as Open Match does; an unacknowledged backfill ends with BackfillTimedOut.
	BackfillAcknowledgeTimeout time.Duration
}

// Clock reports the current time. Tests substitute one to drive expansions and timeouts.
type Clock interface {
	Now() time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Option configures how a Matchmaker runs, as opposed to what it matches.
type Option func(*options)

type options struct {
	clock        Clock
	tickInterval time.Duration
	logger       *slog.Logger
	random       io.Reader
	subBuffer    int
	window       int
	maxTickets   int
	maxBackfills int
	maxSessions  int
	retention    time.Duration
}

// WithClock sets the time source. The Matchmaker calls it with its lock held, so it must not
// call back into the Matchmaker. Default: the system clock.
func WithClock(c Clock) Option { return func(o *options) { o.clock = c } }

// WithTickInterval sets how often Run forms matches. Default: 1 s.
func WithTickInterval(d time.Duration) Option { return func(o *options) { o.tickInterval = d } }

// WithLogger sets a logger for operational messages (a subscriber cut off, a session limit
// reached). It is called with no lock held. Default: none.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithRandom sets the source of generated IDs. With a fixed source, the same inputs on the
// same clock give the same matches, IDs and events. It is read with the Matchmaker's lock held
// and must not call back into it. Default: crypto/rand.
func WithRandom(r io.Reader) Option { return func(o *options) { o.random = r } }

// WithSubscriberBuffer sets how many events may wait for each subscriber before it is ended
// with ErrSlowSubscriber. A tick delivers its events at once, so the buffer must hold the
// events of the busiest tick (about three per matched ticket plus one per new ticket).
// Default: 65,536.
func WithSubscriberBuffer(n int) Option { return func(o *options) { o.subBuffer = n } }

// WithSearchWindow sets how many tickets near an anchor in the pool's order are considered as
// its partners. Larger windows find matches in sparse, rule-heavy pools at a higher cost per
// tick. Every anchor whose window holds a ticket that changed (arrived, left, or crossed an
// expansion step) searches again, so the window also sets how far a change ripples.
// Default: four times the match size, at least 8.
func WithSearchWindow(n int) Option { return func(o *options) { o.window = n } }

// WithMaxTickets bounds the active tickets (players' and backfill); StartMatchmaking beyond it
// fails with ErrLimit. Default: 1,048,576.
func WithMaxTickets(n int) Option { return func(o *options) { o.maxTickets = n } }

// WithMaxBackfills bounds the active backfill tickets. Default: 65,536.
func WithMaxBackfills(n int) Option { return func(o *options) { o.maxBackfills = n } }

// WithMaxGameSessions bounds the game sessions the Matchmaker remembers (those its matches
// placed, and those named in backfill requests). At the bound it forgets the oldest session
// without an active backfill. Default: 65,536.
func WithMaxGameSessions(n int) Option { return func(o *options) { o.maxSessions = n } }

// WithTicketRetention sets how long DescribeMatchmaking still reports a ticket after it ended;
// at most WithMaxTickets ended tickets are kept, the oldest forgotten first. Default: 10 minutes.
func WithTicketRetention(d time.Duration) Option { return func(o *options) { o.retention = d } }

// Stats is a snapshot of a Matchmaker's counters.
type Stats struct {
	Ticks            uint64
	Waiting          int // tickets searching (backfills included)
	Backfills        int // backfill tickets searching
	AwaitingAccept   int // tickets in proposed matches waiting for acceptance
	Started          uint64
	Matches          uint64
	Completed        uint64
	Cancelled        uint64
	TimedOut         uint64
	Failed           uint64
	Subscribers      int
	SubscribersCut   uint64
	LastTickDuration time.Duration
}

// Matchmaker keeps a pool of tickets and forms matches from them by a rule set, every tick.
//
// Most programs call New, Subscribe, then run Run in a goroutine and call StartMatchmaking as
// players queue; programs with their own frame loop, and tests, call Tick instead of Run.
// Events report every change of every ticket through subscriptions.
//
// A Matchmaker is safe for use by multiple goroutines. It must not be copied.
type Matchmaker struct {
	cfg   Config
	rs    *RuleSet
	opts  options
	clock Clock

	running atomic.Bool

	mu           sync.Mutex // guards everything below
	closed       bool
	tickets      map[string]*ticket // active and recently ended tickets
	players      map[string]*ticket // active ticket of each player
	pool         *pool
	regions      regions
	chk          *checker
	pm           *potential
	cands        []*ticket   // search scratch: an anchor's candidates
	candPos      []int32     // and their positions in the pool order
	sortScratch  []sortKeyed // search scratch for sort rules
	teamOrder    []int       // search scratch
	seq          uint64      // admission counter
	eventSeq     uint64
	outbox       []Event
	logs         []logRecord
	ended        []*ticket // ended tickets, in end order, for retention
	pending      map[string]*proposal
	sessions     map[string]*session
	sessionOf    map[string]*session // the game session each rostered player is in
	sessionQueue []*session          // known sessions, oldest first, for eviction at the limit
	acked        []*ticket           // backfills that require acknowledgement
	stats        Stats
	waitEWMA     float64 // seconds

	deliverMu sync.Mutex // serialises delivery so subscribers see events in Seq order
	hub       *hub
}

// New checks cfg and returns a Matchmaker ready for requests. It starts no goroutine.
func New(cfg Config, opts ...Option) (*Matchmaker, error) {
	o := options{clock: systemClock{}, tickInterval: time.Second, random: rand.Reader,
		subBuffer: 1 << 16, maxTickets: 1 << 20, maxBackfills: 1 << 16, maxSessions: 1 << 16, retention: 10 * time.Minute}
	for _, opt := range opts {
		opt(&o)
	}
	if err := cfg.normalise(&o); err != nil {
		return nil, err
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	if o.window == 0 {
		o.window = max(8, 4*cfg.RuleSet.maxPlayers)
	}
	m := &Matchmaker{cfg: cfg, rs: cfg.RuleSet, opts: o, clock: o.clock,
		tickets: map[string]*ticket{}, players: map[string]*ticket{},
		pending: map[string]*proposal{}, sessions: map[string]*session{}, sessionOf: map[string]*session{},
		hub: newHub(o.subBuffer)}
	m.pool = newPool(cfg.RuleSet)
	m.chk = newChecker(cfg.RuleSet)
	m.pm = newPotential(cfg.RuleSet)
	return m, nil
}

func (c *Config) normalise(o *options) error {
	var p problems
	if c.Name == "" {
		c.Name = "default"
	}
	if c.RuleSet == nil {
		p.add("RuleSet", "is required")
	}
	checkRange := func(field string, d *time.Duration, def, lo, hi time.Duration) {
		if *d == 0 {
			*d = def
		}
		if *d < lo || *d > hi {
			p.add(field, "must be between %v and %v, got %v", lo, hi, *d)
		}
	}
	checkRange("RequestTimeout", &c.RequestTimeout, 120*time.Second, time.Second, 12*time.Hour)
	checkRange("AcceptanceTimeout", &c.AcceptanceTimeout, 60*time.Second, time.Second, 600*time.Second)
	if c.BackfillMode == "" {
		c.BackfillMode = BackfillManual
	}
	if c.FlexMatchMode == "" {
		c.FlexMatchMode = Standalone
	}
	if c.BackfillMode != BackfillManual && c.BackfillMode != BackfillAutomatic {
		p.add("BackfillMode", "must be MANUAL or AUTOMATIC, got %q", c.BackfillMode)
	}
	if c.FlexMatchMode != Standalone && c.FlexMatchMode != WithQueue {
		p.add("FlexMatchMode", "must be STANDALONE or WITH_QUEUE, got %q", c.FlexMatchMode)
	}
	if c.BackfillMode == BackfillAutomatic && c.FlexMatchMode != WithQueue {
		p.add("BackfillMode", "AUTOMATIC needs FlexMatchMode WITH_QUEUE, where the matchmaker places game sessions")
	}
	if c.AdditionalPlayerCount < 0 || c.RuleSet != nil && c.AdditionalPlayerCount >= c.RuleSet.maxPlayers {
		p.add("AdditionalPlayerCount", "must be between 0 and the match size minus one, got %d", c.AdditionalPlayerCount)
	}
	if len(c.CustomEventData) > 256 {
		p.add("CustomEventData", "is longer than 256 characters")
	}
	if c.BackfillAcknowledgeTimeout < 0 {
		p.add("BackfillAcknowledgeTimeout", "must not be negative")
	}
	if c.RuleSet != nil {
		for i, e := range c.RuleSet.expansions {
			if last := e.steps[len(e.steps)-1].wait; last > c.RequestTimeout {
				p.add("RuleSet.expansions["+itoa(i)+"]", "waits %v, longer than RequestTimeout %v; the step could never apply", last, c.RequestTimeout)
			}
		}
	}
	if o.tickInterval <= 0 {
		p.add("WithTickInterval", "must be positive")
	}
	if o.subBuffer < 1 {
		p.add("WithSubscriberBuffer", "must be at least 1")
	}
	if o.window < 0 || o.maxTickets < 1 || o.maxBackfills < 0 || o.maxSessions < 1 || o.retention < 0 {
		p.add("options", "search window, limits and retention must not be negative")
	}
	if o.clock == nil || o.random == nil {
		p.add("options", "clock and random source must not be nil")
	}
	return p.err("configuration")
}

// Run forms matches every tick interval until ctx is done, then returns context.Cause(ctx).
// It starts no goroutine of its own. When it returns, waiting tickets stay in the pool and
// their timeouts keep counting; Run may be called again, and Close ends them. A second
// concurrent call returns ErrAlreadyRunning.
func (m *Matchmaker) Run(ctx context.Context) error {
	if !m.running.CompareAndSwap(false, true) {
		return ErrAlreadyRunning
	}
	defer m.running.Store(false)
	if m.isClosed() {
		return ErrClosed
	}
	t := time.NewTicker(m.opts.tickInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-t.C:
			if m.Tick(m.clock.Now()) == ErrClosed {
				return ErrClosed
			}
		}
	}
}

func (m *Matchmaker) isClosed() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.closed
}

// Tick runs one matchmaking pass as of now: timeouts, new tickets entering the search, match
// building, then event delivery. Run calls it; hosts with their own loop and tests call it
// directly with the times they choose.
func (m *Matchmaker) Tick(now time.Time) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return ErrClosed
	}
	start := time.Now()
	m.tickLocked(now)
	m.stats.Ticks++
	m.stats.LastTickDuration = time.Since(start)
	m.mu.Unlock()
	m.deliver()
	return nil
}

// Close ends the Matchmaker: every active ticket ends with MatchmakingCancelled (reason
// MATCHMAKER_CLOSED), those events are delivered, and every subscription ends with ErrClosed.
// Later calls return ErrClosed. Close is idempotent.
func (m *Matchmaker) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	now := m.clock.Now()
	clear(m.pending) // proposals end with their tickets; none returns to the search
	for _, t := range m.activeTickets() {
		m.endTicket(now, t, StatusCancelled, ReasonClosed, "Matchmaker closed.")
	}
	m.closed = true
	m.mu.Unlock()
	m.deliver()
	m.hub.close()
	return nil
}

// Subscribe starts a subscription to every event produced from now on. Events arrive in Seq
// order. The Matchmaker never blocks on a subscriber: when one falls more than the subscriber
// buffer behind, its channel is closed and Err returns ErrSlowSubscriber; resubscribe and
// re-read what you need with DescribeMatchmaking. Call Close when done.
func (m *Matchmaker) Subscribe() (*Subscription, error) {
	return m.hub.subscribe()
}

// Stats returns a snapshot of the counters.
func (m *Matchmaker) Stats() Stats {
	m.mu.Lock()
	s := m.stats
	s.Waiting = m.pool.waiting()
	s.Backfills = m.pool.backfills
	s.AwaitingAccept = 0
	for _, pr := range m.pending {
		s.AwaitingAccept += len(pr.members)
	}
	m.mu.Unlock()
	s.Subscribers, s.SubscribersCut = m.hub.stats()
	return s
}

// StartMatchmaking adds a ticket to the pool. It returns the ticket as queued. A request that
// could never match (a party larger than every team, an attribute missing without a default or
// of the wrong type, no latency while the rule set has a latency rule) is refused with a
// *ValidationError naming the field, and changes nothing. A player already in an active ticket
// moves to this one: the older ticket ends with MatchmakingCancelled (DUPLICATE_PLAYER).
func (m *Matchmaker) StartMatchmaking(in StartMatchmakingInput) (_ Ticket, err error) {
	m.mu.Lock()
	defer m.deliver()
	defer m.mu.Unlock()
	if m.closed {
		return Ticket{}, ErrClosed
	}
	defer m.undoRegionsOnError(m.regions.mark(), &err)
	var p problems
	m.checkNewTicketID(in.TicketID, &p)
	switch n := len(in.Players); {
	case n == 0:
		p.add("Players", "must list at least one player")
	case n > MaxPlayersPerTicket:
		p.add("Players", "lists %d players; a ticket holds at most %d", n, MaxPlayersPerTicket)
	}
	t := &ticket{id: in.TicketID, status: StatusQueued}
	seen := map[string]bool{}
	for i, pl := range in.Players {
		path := "Players[" + itoa(i) + "]"
		if seen[pl.PlayerID] {
			p.add(path+".PlayerId", "player %q is listed twice", pl.PlayerID)
		}
		seen[pl.PlayerID] = true
		t.players = append(t.players, m.rs.resolvePlayer(path, pl, &m.regions, false, &p))
	}
	if len(in.Players) > 0 && !m.rs.partyFits(len(in.Players)) {
		p.add("Players", "a party of %d cannot fit on any team (largest team holds %d)", len(in.Players), m.rs.largestTeam())
	}
	if len(t.players) > 0 {
		m.pool.checkParty(t, &p)
	}
	if err := p.err("StartMatchmaking"); err != nil {
		return Ticket{}, err
	}
	if m.pool.waiting()+1 > m.opts.maxTickets {
		return Ticket{}, ErrLimit
	}
	if t.id == "" {
		t.id = m.newID()
	}
	now := m.clock.Now()
	m.admit(now, t)
	return Ticket{TicketID: t.id, Status: t.status, StartTime: t.startTime(), Players: slices.Clone(in.Players),
		EstimatedWaitTime: m.estimatedWait()}, nil
}

// undoRegionsOnError forgets the regions a refused request added. Requires m.mu.
func (m *Matchmaker) undoRegionsOnError(mark int, err *error) {
	if *err != nil {
		m.regions.rollback(mark)
	}
}

// checkNewTicketID validates a caller-chosen ID and refuses one that is already in use.
func (m *Matchmaker) checkNewTicketID(id string, p *problems) {
	if id == "" {
		return
	}
	checkTicketID("TicketId", id, p)
	if _, used := m.tickets[id]; used {
		p.add("TicketId", "ticket %q already exists", id)
	}
}

// admit enters t into the pool, cancelling older tickets of its players.
func (m *Matchmaker) admit(now time.Time, t *ticket) {
	for i := range t.players {
		if t.bf != nil {
			break // a backfill roster's players are in a game, not searching
		}
		if old := m.players[t.players[i].id]; old != nil && old != t {
			m.endTicket(now, old, StatusCancelled, ReasonDuplicatePlayer, "Cancelled due to duplicate player.")
		}
		if s := m.sessionOf[t.players[i].id]; s != nil {
			m.leaveSession(now, s, t.players[i].id) // queueing again means leaving the game
		}
		m.players[t.players[i].id] = t
	}
	m.seq++
	t.seq = m.seq
	t.start = now.UnixNano()
	t.deadline = now.Add(m.cfg.RequestTimeout).UnixNano()
	m.pool.addTimer(t.deadline, t)
	m.tickets[t.id] = t
	m.pool.enqueue(t)
	m.stats.Started++
}

// StopMatchmaking cancels a ticket; it ends with MatchmakingCancelled (or, for a backfill
// ticket, BackfillCancelled). Stopping an already cancelled ticket succeeds; stopping a ticket
// that ended otherwise fails with ErrInvalidState.
func (m *Matchmaker) StopMatchmaking(ticketID string) error {
	m.mu.Lock()
	defer m.deliver()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	t := m.tickets[ticketID]
	switch {
	case t == nil:
		return ErrNotFound
	case t.status == StatusCancelled:
		return nil
	case t.status.Terminal() || t.status == StatusPlacing:
		return &stateError{id: ticketID, status: t.status}
	}
	m.endTicket(m.clock.Now(), t, StatusCancelled, ReasonCancelled, "Cancelled by request.")
	return nil
}

type stateError struct {
	id     string
	status TicketStatus
}

func (e *stateError) Error() string {
	return "matchmaker: ticket " + e.id + " is " + string(e.status) + " and cannot be changed"
}
func (e *stateError) Unwrap() error { return ErrInvalidState }

// DescribeMatchmaking returns the tickets with the given IDs that still exist, active or ended
// within the retention period, in the order asked.
func (m *Matchmaker) DescribeMatchmaking(ticketIDs ...string) []Ticket {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Ticket, 0, len(ticketIDs))
	for _, id := range ticketIDs {
		if t := m.tickets[id]; t != nil {
			out = append(out, m.snapshot(t))
		}
	}
	return out
}

func (m *Matchmaker) snapshot(t *ticket) Ticket {
	out := Ticket{TicketID: t.id, Status: t.status, StartTime: t.startTime(), MatchID: t.matchID, GameSessionArn: t.session, Backfill: t.bf != nil,
		Players: m.rs.publicPlayers(t.players, &m.regions, t.matchID != "" || t.bf != nil)}
	if e := t.ending; e != nil {
		out.StatusReason, out.StatusMessage, out.EndTime = e.reason, e.message, e.at
	}
	if !t.status.Terminal() {
		out.EstimatedWaitTime = m.estimatedWait()
	}
	return out
}

// estimatedWait is the recent average wait of matched tickets; zero until there is one.
func (m *Matchmaker) estimatedWait() time.Duration {
	return time.Duration(m.waitEWMA * float64(time.Second))
}

// newID returns a UUID from the configured random source.
func (m *Matchmaker) newID() string {
	id, err := uuid.NewRandomFromReader(m.opts.random)
	if err != nil {
		// A failing random source is a broken host; fall back rather than lose the request.
		m.seq++
		return "id-" + itoa(int(m.seq))
	}
	return id.String()
}

// emit queues an event; it is delivered after the lock is released. Requires m.mu.
func (m *Matchmaker) emit(now time.Time, e Event) {
	m.eventSeq++
	h := e.header()
	h.Seq, h.Time = m.eventSeq, now
	m.outbox = append(m.outbox, e)
}

// deliver hands queued events to subscribers, in order, outside the state lock, then writes
// queued log records with no lock held (a logger is user code).
func (m *Matchmaker) deliver() {
	m.deliverMu.Lock()
	m.mu.Lock()
	batch, logs := m.outbox, m.logs
	m.outbox, m.logs = nil, nil
	m.mu.Unlock()
	var cut uint64
	if len(batch) > 0 {
		_, before := m.hub.stats()
		m.hub.publish(batch)
		_, after := m.hub.stats()
		cut = after - before
	}
	m.deliverMu.Unlock()
	for _, l := range logs {
		m.opts.logger.Log(context.Background(), l.level, l.msg, l.args...)
	}
	if cut > 0 {
		m.opts.logger.Warn("matchmaker: subscriber fell behind and was ended with ErrSlowSubscriber",
			"subscribers", int(cut), "buffer", m.opts.subBuffer)
	}
}

// logRecord is a log message queued under the lock.
type logRecord struct {
	level slog.Level
	msg   string
	args  []any
}

// log queues a message for the logger; deliver writes it once no lock is held. Requires m.mu.
func (m *Matchmaker) log(level slog.Level, msg string, args ...any) {
	m.logs = append(m.logs, logRecord{level: level, msg: msg, args: args})
}

// partyFits reports whether a party of n players fits on some team.
func (rs *RuleSet) partyFits(n int) bool { return n <= rs.largestTeam() }

func (rs *RuleSet) largestTeam() int {
	best := 0
	for _, t := range rs.teams {
		best = max(best, int(rs.loosest(t.maxParam)))
	}
	return best
}

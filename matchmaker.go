package matchmaker

// This file holds the Matchmaker: configuration, options, lifecycle (New, Run, Tick, Close),
// the matchmaking requests, and statistics.

import (
	"context"
	crand "crypto/rand"
	"io"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/seed-04d22514/matchmaker/internal/ruleset"
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
	// Name names the configuration in events and matchmaker data: up to 128 letters, digits,
	// '-' and '.', as FlexMatch allows. Default "default".
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
	// CustomEventData is copied into every event (Header.CustomEventData, customEventData in
	// JSON); at most 256 bytes.
	CustomEventData string
	// Placer, in WITH_QUEUE mode, places new matches through the host: their tickets wait in
	// PLACING until it calls CompletePlacement or FailPlacement (see Placer). Nil: a match is
	// placed at once in a generated game session.
	Placer Placer
	// PlacementTimeout bounds how long a match waits for its Placer; its tickets then return to
	// the search, as FlexMatch's queue timeout does. Between 1 s and 12 h; default 600 s.
	PlacementTimeout time.Duration
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
	clockSet     bool // WithClock was given: requests read the clock (see requestTimeLocked)
	tickInterval time.Duration
	logger       *slog.Logger
	random       io.Reader
	maxLag       int
	maxSubs      int
	maxWatchers  int
	observer     Observer
	window       int
	maxTickets   int
	maxBackfills int
	maxSessions  int
	retention    time.Duration
	journal      Journal
	// fillOrderTeams keeps a small match's teams as the search filled them, without
	// balanceSmall, and noRepair its pairings, without repairPairings: for benchmarks that
	// measure what these cost.
	fillOrderTeams bool
	noRepair       bool
}

// WithClock sets the time source. The Matchmaker calls it with its lock held, so it must not
// call back into the Matchmaker. Default: the system clock.
func WithClock(c Clock) Option { return func(o *options) { o.clock, o.clockSet = c, true } }

// WithTickInterval sets how often Run forms matches. Default: 1 s.
func WithTickInterval(d time.Duration) Option { return func(o *options) { o.tickInterval = d } }

// WithLogger sets a logger for operational messages (a subscriber cut off, a session limit
// reached). It is called with no lock held. Default: none.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithRandom sets the source of generated IDs. With a fixed source, the same inputs on the
// same clock give the same matches, IDs and events. It is read with the Matchmaker's lock held
// and must not call back into it. Default: crypto/rand.
func WithRandom(r io.Reader) Option { return func(o *options) { o.random = r } }

// WithMaxSubscriberLag sets how far a subscriber may fall behind: when a tick's events are
// published and more than n events published by earlier ticks are still unreceived, the
// subscription is ended with ErrSlowSubscriber. One tick's events never cut a subscriber off by
// themselves, however many there are, so a consumer that keeps up tick by tick is never cut.
// A subscription's queue holds at most n events plus one tick's events. Default: 65,536.
func WithMaxSubscriberLag(n int) Option { return func(o *options) { o.maxLag = n } }

// WithMaxWatchers bounds the live watchers (WatchTicket, WatchGameSession), which a service
// opens one per waiting client; beyond it they fail with a *LimitError. Default: 65,536.
func WithMaxWatchers(n int) Option { return func(o *options) { o.maxWatchers = n } }

// WithMaxSubscribers bounds the live subscriptions; Subscribe beyond it fails with a
// *LimitError. Default: 1,024.
func WithMaxSubscribers(n int) Option { return func(o *options) { o.maxSubs = n } }

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
	rs    *ruleset.RuleSet
	opts  options
	clock Clock

	running atomic.Bool

	// mu guards everything below. Every unexported method of Matchmaker requires it, except
	// update and deliver, which take it themselves.
	mu          sync.Mutex
	closed      bool
	failed      error              // a *JournalError after a failed Sync: every request returns it
	halt        chan struct{}      // closed by Shutdown and by a failed Sync: ends every Wait
	now         time.Time          // the Matchmaker's time: the latest instant it has used; never decreases
	ticked      bool               // Tick has run at least once
	ranOnce     bool               // Run has driven this Matchmaker: requests read the clock
	provisional bool               // no time yet: requests are stamped at epoch until the first real time
	tickets     map[string]*ticket // active and recently ended tickets
	players     map[string]*ticket // active ticket of each player
	pool        *pool
	regions     regions
	chk         *ruleset.Checker
	pm          *potential
	cands       []*ticket       // search scratch: an anchor's candidates
	candPos     []int32         // and their positions in the pool order
	sortScratch []sortKeyed     // search scratch for sort rules
	teamOrder   []int           // search scratch
	exh         exhaustiveState // the exhaustive search's state (search.go)
	hopeless    []*ticket       // tickets marked hopeless during this tick's search
	// exhaustiveLeft: placements the exhaustive search may still try in this tick.
	exhaustiveLeft int
	found          []found // the tick's proposals, and their members
	foundMembers   []member
	teamSums       []float64 // repairPairings scratch
	teamSizes      []int
	seq            uint64 // admission counter
	idSeq          uint64 // fallback IDs when the random source fails
	eventSeq       uint64
	outbox         []Event
	logs           []logRecord
	ended          []*ticket // ended tickets, in end order, for retention, from endedHead on
	endedHead      int
	pending        map[string]*proposal
	placements     map[string]*placement // matches waiting for the host's Placer, by match ID
	placeRequests  []PlacementRequest    // for the Placer, called by deliver
	obs            *observing            // the tick's measurements, with an Observer
	sessions       map[string]*session
	sessionOf      map[string]*session // the game session each rostered player is in
	sessionQueue   []*session          // known sessions, oldest first, for eviction at the limit
	acked          []*ticket           // backfills that require acknowledgement
	stats          Stats
	waitEWMA       float64       // seconds
	rng            *rand.ChaCha8 // generated IDs, seeded from the random source (see WithRandom)
	fingerprint    string        // the rule set's, checked by Restore and Replay
	jseq           uint64        // the position of the last journal entry applied
	entryBuf       []byte        // scratch for encoding journal entries

	deliverMu sync.Mutex // serialises delivery so subscribers see events in Seq order
	hub       *hub
}

// New checks cfg and returns a Matchmaker ready for requests. It starts no goroutine.
func New(cfg Config, opts ...Option) (*Matchmaker, error) { return newMatchmaker(cfg, opts) }

func newMatchmaker(cfg Config, opts []Option) (*Matchmaker, error) {
	o := options{clock: systemClock{}, tickInterval: time.Second, random: crand.Reader,
		maxLag: 1 << 16, maxSubs: 1024, maxWatchers: 1 << 16, maxTickets: 1 << 20, maxBackfills: 1 << 16, maxSessions: 1 << 16, retention: 10 * time.Minute}
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
		o.window = max(8, 4*cfg.RuleSet.c.MaxPlayers())
	}
	m := &Matchmaker{cfg: cfg, rs: cfg.RuleSet.c, opts: o, clock: o.clock,
		tickets: map[string]*ticket{}, players: map[string]*ticket{},
		pending: map[string]*proposal{}, placements: map[string]*placement{}, sessions: map[string]*session{}, sessionOf: map[string]*session{},
		hub: newHub(o.maxLag, o.maxSubs), halt: make(chan struct{})}
	m.hub.maxWatch = o.maxWatchers
	m.pool = newPool(cfg.RuleSet.c)
	m.chk = ruleset.NewChecker(cfg.RuleSet.c)
	m.pm = newPotential(cfg.RuleSet.c)
	m.fingerprint = cfg.RuleSet.fingerprint
	var seed [32]byte
	if _, err := io.ReadFull(o.random, seed[:]); err != nil {
		return nil, &ValidationError{Input: "configuration", Problems: []FieldError{{Path: "WithRandom",
			Message: "the random source failed: " + err.Error()}}}
	}
	m.rng = rand.NewChaCha8(seed)
	return m, nil
}

func (c *Config) normalise(o *options) error {
	var p problems
	if c.Name == "" {
		c.Name = "default"
	}
	if len(c.Name) > 128 || !ticketIDPattern.MatchString(c.Name) {
		p.add("Name", "must be 1 to 128 letters, digits, '-' and '.'")
	}
	if c.RuleSet == nil || c.RuleSet.c == nil {
		c.RuleSet = nil
		p.add("RuleSet", "is required (from ParseRuleSet)")
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
	checkRange("PlacementTimeout", &c.PlacementTimeout, 600*time.Second, time.Second, 12*time.Hour)
	if c.Placer != nil && c.FlexMatchMode != WithQueue && c.FlexMatchMode != "" {
		p.add("Placer", "places matches only in FlexMatchMode WITH_QUEUE")
	}
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
	if c.AdditionalPlayerCount < 0 || c.RuleSet != nil && c.AdditionalPlayerCount >= c.RuleSet.c.MaxPlayers() {
		p.add("AdditionalPlayerCount", "must be between 0 and the match size minus one, got %d", c.AdditionalPlayerCount)
	}
	if len(c.CustomEventData) > 256 {
		p.add("CustomEventData", "is longer than 256 bytes")
	}
	if c.BackfillAcknowledgeTimeout < 0 {
		p.add("BackfillAcknowledgeTimeout", "must not be negative")
	}
	if c.RuleSet != nil {
		for i := range c.RuleSet.c.ExpansionCount() {
			if last := c.RuleSet.c.LastStep(i); last > c.RequestTimeout {
				p.add("RuleSet.expansions["+itoa(i)+"]", "waits %v, longer than RequestTimeout %v; the step could never apply", last, c.RequestTimeout)
			}
		}
	}
	if o.tickInterval <= 0 {
		p.add("WithTickInterval", "must be positive")
	}
	if o.maxLag < 1 {
		p.add("WithMaxSubscriberLag", "must be at least 1")
	}
	if o.maxSubs < 1 {
		p.add("WithMaxSubscribers", "must be at least 1")
	}
	if o.maxWatchers < 0 {
		p.add("WithMaxWatchers", "must not be negative")
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
	// From now on requests read the clock; any made before Run started take its start time.
	if _, err := m.exec(&command{kind: cmdRun}); err != nil {
		return err
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

// Close ends the Matchmaker: every active ticket ends with MatchmakingCancelled (reason
// MATCHMAKER_CLOSED), those events are delivered, and every subscription ends with ErrClosed.
// Requests after Close return ErrClosed; a second Close does nothing and returns nil.
func (m *Matchmaker) Close() error {
	_, err := m.exec(&command{kind: cmdClose})
	if err == ErrClosed {
		return nil
	}
	m.hub.close()
	return err
}

// closeLocked cancels every active ticket and closes the Matchmaker. Requires m.mu.
func (m *Matchmaker) closeLocked(now time.Time, rd clockReading) {
	if m.provisional {
		now = m.advanceLocked(rd.at) // closed before its first tick: date it now
	}
	clear(m.pending) // proposals and placements end with their tickets; none returns to the search
	clear(m.placements)
	for _, t := range m.activeTickets() {
		m.endTicketLocked(now, t, StatusCancelled, ReasonClosed, "Matchmaker closed.")
	}
	m.closed = true
}

// Subscribe starts a subscription to every event produced from now on, in Seq order. The
// Matchmaker never waits for a subscriber: one that falls more than WithMaxSubscriberLag
// events behind across ticks is ended with ErrSlowSubscriber (see Subscription). Beyond
// WithMaxSubscribers live subscriptions it fails with a *LimitError; after Close, with
// ErrClosed. Call the Subscription's Close when done.
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

// estimatedWait is the recent average wait of matched tickets; zero until there is one.
func (m *Matchmaker) estimatedWait() time.Duration {
	return time.Duration(m.waitEWMA * float64(time.Second))
}

// newID returns a UUID from the configured random source.
func (m *Matchmaker) newID() string { return m.newPrefixedID("") }

// newPrefixedID returns prefix and a UUID from the configured random source, never the ID of a
// live or retained ticket: a caller may have chosen the same ID, and a fixed random source
// repeats. A source that fails or keeps repeating gets a counter instead, which always ends.
func (m *Matchmaker) newPrefixedID(prefix string) string {
	for range 4 {
		u, err := uuid.NewRandomFromReader(m.rng)
		if err != nil {
			break // a failing random source is a broken host; fall back rather than lose the request
		}
		if id := prefix + u.String(); m.tickets[id] == nil {
			return id
		}
	}
	for {
		m.idSeq++
		if id := prefix + "id-" + strconv.FormatUint(m.idSeq, 10); m.tickets[id] == nil {
			return id
		}
	}
}

// emit queues an event; it is delivered after the lock is released. Requires m.mu.
func (m *Matchmaker) emit(now time.Time, e Event) {
	m.eventSeq++
	h := e.header()
	h.Seq, h.Time, h.CustomEventData = m.eventSeq, now, m.cfg.CustomEventData
	m.outbox = append(m.outbox, e)
}

// deliver hands queued events to subscribers, in order, outside the state lock, then writes
// queued log records with no lock held (a logger is user code).
func (m *Matchmaker) deliver() {
	m.deliverMu.Lock()
	a := m.deliverLocked()
	m.deliverMu.Unlock()
	m.afterDeliver(a)
}

// delivered is what deliverLocked leaves for afterDeliver: user code, called with no lock held.
type delivered struct {
	logs   []logRecord
	places []PlacementRequest
	cut    uint64
}

// deliverLocked publishes the queued events; the caller holds m.deliverMu (not m.mu) and then
// calls afterDeliver with its result once it has released m.deliverMu.
func (m *Matchmaker) deliverLocked() delivered {
	m.mu.Lock()
	batch, logs, places := m.outbox, m.logs, m.placeRequestsOut()
	if m.provisional {
		batch = nil // undated events wait for the first tick (see requestTimeLocked)
	} else {
		m.outbox = nil
	}
	m.logs = nil
	m.mu.Unlock()
	var cut uint64
	if len(batch) > 0 {
		_, before := m.hub.stats()
		m.hub.publish(batch)
		_, after := m.hub.stats()
		cut = after - before
	}
	return delivered{logs: logs, places: places, cut: cut}
}

// afterDeliver writes the log records and calls the Placer, with no lock held.
func (m *Matchmaker) afterDeliver(a delivered) {
	logs, places, cut := a.logs, a.places, a.cut
	for _, l := range logs {
		m.opts.logger.Log(context.Background(), l.level, l.msg, l.args...)
	}
	for _, req := range places { // user code: no lock held, after the events that led to it
		m.cfg.Placer.Place(req)
	}
	if cut > 0 {
		m.opts.logger.Warn("matchmaker: subscriber fell behind and was ended with ErrSlowSubscriber",
			"subscribers", int(cut), "maxLag", m.opts.maxLag)
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

package matchmakertest

// This file holds the Harness: a Matchmaker on a fake clock and a fixed random source, ticked
// by the test, with a Recorder of its events.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/seed-04d22514/matchmaker"
)

// Harness runs a Matchmaker for a test: on a fake clock that only the Harness moves, with a
// fixed random source, recording every event. Make one with New in a test, or NewHarness in a
// program.
//
// # Time
//
// The Harness is the Matchmaker's only clock. It passes no matchmaker.WithClock and drives the
// Matchmaker with Tick(now) alone, so (see "Time" in the matchmaker package) the Matchmaker's
// time is exactly the instant of the Harness's latest tick, and requests made between ticks are
// dated at it. There is no second source of time to disagree with the ticks: a settable clock
// passed with WithClock would work too, but it would be read at every request, and the Harness
// would have to keep it equal to the tick instants by discipline, not by construction.
//
// Time starts at a fixed instant (2026-01-01 00:00:00 UTC, or WithStart), so event times are
// reproducible, and moves only through Tick, Step, Advance, RunUntil and the assertions that
// wait for an outcome. Ticks fall on a grid, every tick interval (default 1 s) from the start,
// plus the exact instants a test asks for. Every time a test names, such as the 10 s in
// AssertMatchedBy(t, 10*time.Second, ...), is a duration since the start.
//
// The first tick runs at the start, when time is first moved or an assertion runs, so tickets
// queued before it are dated at the start and searched at once: two compatible tickets queued
// at the start match "by 0 s". A ticket queued later, at the instant of a tick, is searched at
// the next tick (or call Tick to run another pass at the same instant), as with a host that
// ticks from its own loop.
//
// Do not call the Matchmaker's Run or Tick yourself: Run would make the Matchmaker read the
// system clock from then on, and a Tick at another instant would move the Matchmaker's time
// away from the Harness's.
//
// # Determinism
//
// The Matchmaker's random source is a ChaCha8 generator with a fixed seed (WithSeed), so the
// same rule set, requests and times give the same match IDs and the same events, run after run.
//
// A Harness is meant for one goroutine, the test's. Its Recorder, embedded, answers the
// questions about what happened; the Assert methods check outcomes and report failures to a
// testing.TB, and each has a Check form that returns the failure as an error instead.
type Harness struct {
	// Recorder holds every event since the Harness was made.
	*Recorder

	m        *matchmaker.Matchmaker
	tb       testing.TB // from New; nil for NewHarness
	start    time.Time
	now      time.Time
	interval time.Duration
	ticked   bool
}

// defaultStart is the instant a Harness starts at unless WithStart says otherwise: fixed, so
// that event times are the same in every run.
var defaultStart = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// DefaultTickInterval is the Harness's tick interval unless WithTickInterval says otherwise;
// it is also the default of matchmaker.WithTickInterval, so the Harness ticks as Run would.
const DefaultTickInterval = time.Second

// Option configures a Harness.
type Option func(*settings)

type settings struct {
	start    time.Time
	interval time.Duration
	seed     uint64
	opts     []matchmaker.Option
}

// WithStart sets the instant the Harness starts at. Default: 2026-01-01 00:00:00 UTC.
func WithStart(t time.Time) Option { return func(s *settings) { s.start = t } }

// WithTickInterval sets the interval between the Harness's ticks. Default: DefaultTickInterval.
func WithTickInterval(d time.Duration) Option { return func(s *settings) { s.interval = d } }

// WithSeed sets the seed of the Matchmaker's random source. Default: 0.
func WithSeed(seed uint64) Option { return func(s *settings) { s.seed = seed } }

// WithMatchmakerOptions passes options to matchmaker.New, after the Harness's own (a fixed
// random source, and a ticket retention of a day so that DescribeMatchmaking reports ended
// tickets for as long as a test runs), which they may override. Do not pass
// matchmaker.WithClock: requests would then read that clock rather than the Harness's ticks.
func WithMatchmakerOptions(opts ...matchmaker.Option) Option {
	return func(s *settings) { s.opts = append(s.opts, opts...) }
}

// New returns a Harness for a test. It fails the test if cfg or an option is invalid, and
// closes the Harness when the test ends. Requests the Harness makes for the test (Queue) report
// their errors to tb as well as returning them.
func New(tb testing.TB, cfg matchmaker.Config, opts ...Option) *Harness {
	tb.Helper()
	h, err := NewHarness(cfg, opts...)
	if err != nil {
		tb.Fatalf("%v", err)
		return nil
	}
	h.tb = tb
	tb.Cleanup(h.Close)
	return h
}

// NewHarness returns a Harness for a program, such as a report on a rule set; the caller
// closes it. Tests use New.
func NewHarness(cfg matchmaker.Config, opts ...Option) (*Harness, error) {
	s := settings{start: defaultStart, interval: DefaultTickInterval}
	for _, o := range opts {
		o(&s)
	}
	if s.interval <= 0 {
		return nil, fmt.Errorf("matchmakertest: tick interval %v is not positive", s.interval)
	}
	var seed [32]byte
	binary.LittleEndian.PutUint64(seed[:], s.seed)
	mopts := append([]matchmaker.Option{
		matchmaker.WithRandom(rand.NewChaCha8(seed)),
		matchmaker.WithTicketRetention(24 * time.Hour),
	}, s.opts...)
	m, err := matchmaker.New(cfg, mopts...)
	if err != nil {
		return nil, err
	}
	rec, err := NewRecorder(m, s.start)
	if err != nil {
		m.Close()
		return nil, err
	}
	return &Harness{Recorder: rec, m: m, start: s.start, now: s.start, interval: s.interval}, nil
}

// Matchmaker returns the Harness's Matchmaker, for the requests the Harness does not wrap
// (AcceptMatch, StartMatchBackfill, StopMatchmaking, ...). Their events are recorded too.
// Move time only through the Harness (see "Time" in Harness).
func (h *Harness) Matchmaker() *matchmaker.Matchmaker { return h.m }

// Close closes the Matchmaker, which cancels the tickets still active, and records the last
// events. It may be called more than once.
func (h *Harness) Close() {
	_ = h.m.Close() // ErrClosed on a second call is the idempotence Close promises
	h.Recorder.Close()
}

// Start returns the instant the Harness started at.
func (h *Harness) Start() time.Time { return h.start }

// Now returns the Matchmaker's time: the instant of the latest tick, or the start before the
// first.
func (h *Harness) Now() time.Time { return h.now }

// Elapsed returns the Harness's time as a duration since its start.
func (h *Harness) Elapsed() time.Duration { return h.now.Sub(h.start) }

// Interval returns the interval between ticks.
func (h *Harness) Interval() time.Duration { return h.interval }

// Queue starts matchmaking for each request, in order; build them with Solo or Ticket, which name
// the ticket so that assertions can refer to it. It stops at the first refused request and
// returns its error, which it also reports (Errorf) to the test of a Harness made by New. The
// tickets are dated at the Harness's time and searched from its next tick (at the start, by the
// first). To check that a request is refused, call h.Matchmaker().StartMatchmaking.
func (h *Harness) Queue(requests ...matchmaker.StartMatchmakingInput) error {
	for _, in := range requests {
		t, err := h.m.StartMatchmaking(in)
		if err != nil {
			err = fmt.Errorf("matchmakertest: queue ticket %q: %w", in.TicketID, err)
			if h.tb != nil {
				h.tb.Helper()
				h.tb.Errorf("%v", err)
			}
			return err
		}
		h.Recorder.noteQueued(t.TicketID, h.now)
	}
	return nil
}

// Status returns a ticket's current status, from DescribeMatchmaking, or "" if the Matchmaker
// does not know it.
func (h *Harness) Status(ticketID string) matchmaker.TicketStatus {
	if ts := h.m.DescribeMatchmaking(ticketID); len(ts) == 1 {
		return ts[0].Status
	}
	return ""
}

// Explain returns the Matchmaker's explanation of where a ticket stands (matchmaker.Explain),
// with the zero Explanation if it does not know the ticket.
func (h *Harness) Explain(ticketID string) matchmaker.Explanation {
	ex, _ := h.m.Explain(ticketID)
	return ex
}

// Tick runs one matchmaking pass at the Harness's current time, without moving it: after
// queueing tickets at the instant of a tick, it searches them at that instant.
func (h *Harness) Tick() { h.tickAt(h.now) }

// Step moves time to the next tick of the grid and ticks there; before the first tick, it runs
// the first tick, at the start.
func (h *Harness) Step() {
	if !h.ticked {
		h.tickAt(h.now)
		return
	}
	h.tickAt(h.nextGridPoint())
}

// Advance moves time forward by d, tick by tick, ending with a tick exactly d after the current
// time.
func (h *Harness) Advance(d time.Duration) { h.RunUntil(h.Elapsed() + d) }

// RunUntil moves time tick by tick until it is at (a duration since the start), ending with a
// tick exactly there. Time never goes back: if the Harness is already past at, RunUntil only
// runs the first tick if none has run yet.
func (h *Harness) RunUntil(at time.Duration) { h.runUntil(at, nil) }

// runUntil ticks until the time is at, or until done (checked before every tick after the
// first, and after the last) reports true. It reports whether done stopped it.
func (h *Harness) runUntil(at time.Duration, done func() bool) bool {
	if !h.ticked {
		h.tickAt(h.now)
	}
	deadline := h.start.Add(at)
	for {
		if done != nil && done() {
			return true
		}
		if !h.now.Before(deadline) {
			return false
		}
		next := h.nextGridPoint()
		if next.After(deadline) {
			next = deadline
		}
		h.tickAt(next)
	}
}

// nextGridPoint returns the first instant of the tick grid after the current time.
func (h *Harness) nextGridPoint() time.Time {
	n := h.Elapsed() / h.interval
	return h.start.Add((n + 1) * h.interval)
}

// tickAt runs one pass at t and records its events. A closed Matchmaker is the only reason Tick
// fails, and ticking a closed Harness is a mistake in the test, so it panics.
func (h *Harness) tickAt(t time.Time) {
	if err := h.m.Tick(t); err != nil {
		if errors.Is(err, matchmaker.ErrClosed) {
			panic("matchmakertest: Harness used after Close")
		}
		panic(fmt.Sprintf("matchmakertest: tick: %v", err))
	}
	h.now, h.ticked = t, true
	h.Recorder.Drain()
}

package matchmaker

// This file holds the observer hook: measurements of every tick for a host's metrics and
// tracing, without a dependency in the core. contrib/prometheus exports them to Prometheus.

import (
	"math"
	"time"
)

// Observer receives a Matchmaker's measurements; set one with WithObserver. ObserveTick is
// called after every tick, with no lock held, once the tick's events are delivered, in the
// goroutine that ran the tick (Run's, or the host's); it must not block for long. The report
// and its slices are the observer's to keep.
type Observer interface {
	ObserveTick(TickReport)
}

// TickReport measures one tick.
type TickReport struct {
	// Time is the tick's instant; Duration its cost on the wall clock.
	Time     time.Time
	Duration time.Duration
	// AnchorsSearched counts the tickets whose neighbourhood was searched; the others were
	// too far from any change to match differently than at the previous tick.
	AnchorsSearched int
	// MatchesFormed counts the matches the tick formed, backfill matches included.
	MatchesFormed int
	// Tickets counts the active tickets by status after the tick: QUEUED and SEARCHING
	// (backfills included), REQUIRES_ACCEPTANCE, PLACING.
	Tickets map[TicketStatus]int
	// Waits lists how long each matchmaking ticket matched this tick had waited.
	Waits []time.Duration
	// SkillSpreads lists, for each match formed, the spread (highest minus lowest) of the
	// players' values of the attribute that orders the pool; empty when the rule set has none.
	SkillSpreads []float64
	// Rejections counts, by rule name, how often a rule rejected a ticket during the tick.
	Rejections map[string]int
}

// WithObserver sets an Observer that receives a TickReport after every tick. Default: none.
func WithObserver(o Observer) Option { return func(opt *options) { opt.observer = o } }

// observing holds the measurements of the tick under way. Requires m.mu.
type observing struct {
	report     TickReport
	rejections []int // by rule index
}

// startObservingLocked prepares a report for the tick at now, if there is an observer.
func (m *Matchmaker) startObservingLocked(now time.Time) {
	if m.opts.observer == nil {
		return
	}
	m.obs = &observing{report: TickReport{Time: now}, rejections: make([]int, m.rs.RuleCount())}
}

// observeMatchLocked records a match formed from ts.
func (m *Matchmaker) observeMatchLocked(now time.Time, ts []*ticket) {
	if m.obs == nil {
		return
	}
	r := &m.obs.report
	r.MatchesFormed++
	lo, hi, slot := math.Inf(1), math.Inf(-1), m.rs.OrderSlot()
	for _, t := range ts {
		if t.bf == nil {
			r.Waits = append(r.Waits, t.waited(now))
		}
		for i := range t.players {
			if slot >= 0 {
				lo, hi = min(lo, t.players[i].Nums[slot]), max(hi, t.players[i].Nums[slot])
			}
		}
	}
	if slot >= 0 && hi >= lo {
		r.SkillSpreads = append(r.SkillSpreads, hi-lo)
	}
}

// observeRejectionLocked counts a rejection by rule index.
func (m *Matchmaker) observeRejectionLocked(rule int) {
	if m.obs != nil {
		m.obs.rejections[rule]++
	}
}

// finishObservingLocked completes the report and hands it over for delivery.
func (m *Matchmaker) finishObservingLocked(d time.Duration) *TickReport {
	if m.obs == nil {
		return nil
	}
	r := &m.obs.report
	r.Duration = d
	r.AnchorsSearched = len(m.pool.anchors)
	r.Tickets = map[TicketStatus]int{StatusSearching: m.pool.waiting()}
	for _, pr := range m.pending {
		r.Tickets[StatusRequiresAcceptance] += len(pr.members)
	}
	for _, pl := range m.placements {
		r.Tickets[StatusPlacing] += len(pl.pr.members)
	}
	for _, t := range m.acked {
		for _, pr := range t.bf.pending {
			r.Tickets[StatusPlacing] += len(joiners(pr))
		}
	}
	r.Rejections = map[string]int{}
	for i, n := range m.obs.rejections {
		if n > 0 {
			name, _ := m.rs.Rule(i)
			r.Rejections[name] += n
		}
	}
	m.obs = nil
	return r
}

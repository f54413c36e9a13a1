package matchmaker

// This file holds the tick, one matchmaking pass, as a table of contents of its phases; the
// phases that are a few lines each; and the Matchmaker's time.

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// Tick runs one matchmaking pass as of now, then delivers the events it produced. Run calls it
// every tick interval; hosts with their own loop, and tests, call it directly with the times
// they choose. A now earlier than the Matchmaker's time is taken as its time: time never runs
// backwards inside a Matchmaker (see "Time" in the package documentation).
func (m *Matchmaker) Tick(now time.Time) error {
	// With a journal, delivery waits for the tick's Sync: no event of a tick that could be
	// lost is seen. Holding deliverMu keeps a concurrent request from delivering them first.
	journaled := m.opts.journal != nil
	if journaled {
		m.deliverMu.Lock()
	}
	m.mu.Lock()
	err := m.usableLocked()
	if err == nil {
		err = m.recordLocked(&command{kind: cmdTick, at: now}, clockReading{})
	}
	if err != nil {
		m.mu.Unlock()
		if journaled {
			m.deliverMu.Unlock()
		}
		return err
	}
	report := m.tickAtLocked(now)
	seq := m.jseq
	m.mu.Unlock()
	if journaled {
		if err := m.opts.journal.Sync(); err != nil {
			m.mu.Lock()
			m.failed = &JournalError{Op: "Sync", Seq: seq, Err: err}
			close(m.halt)
			m.mu.Unlock()
			m.deliverMu.Unlock()
			return m.failed
		}
		a := m.deliverLocked()
		m.deliverMu.Unlock()
		m.afterDeliver(a)
	} else {
		m.deliver()
	}
	if report != nil {
		m.opts.observer.ObserveTick(*report) // user code: no lock held, after the events
	}
	return nil
}

// tickAtLocked runs one tick as of now and counts it. Requires m.mu.
func (m *Matchmaker) tickAtLocked(now time.Time) *TickReport {
	m.ticked = true
	now = m.advanceLocked(now)
	m.startObservingLocked(now)
	start := time.Now() // the tick's own cost, measured on the wall clock
	m.tickLocked(now)
	m.stats.Ticks++
	m.stats.LastTickDuration = time.Since(start)
	return m.finishObservingLocked(m.stats.LastTickDuration)
}

// tickLocked runs the phases of one pass, in order: the timeouts first, so that what they
// return to the search is searched in the same pass. Requires m.mu.
func (m *Matchmaker) tickLocked(now time.Time) {
	m.expireTimersLocked(now)            // request timeouts; expansion steps mark their neighbourhoods
	m.expireProposals(now)               // proposals whose players did not all accept in time
	m.expireBackfillAcks(now)            // backfills whose game server did not acknowledge in time
	m.expirePlacementsLocked(now)        // matches the host did not place in time search again
	m.startSearchingLocked(now)          // new and returning tickets enter the pool order
	found := m.proposeMatchesLocked(now) // the search: proposals only, no ticket changes status
	m.commitMatchesLocked(now, found)    // proposals become matches: acceptance, completion, backfill
	m.purgeEndedLocked(now)              // forget tickets that ended before the retention period
}

// expireTimersLocked pops the timers due by now: a ticket past its request timeout ends, and a
// ticket that crossed an expansion step has its neighbourhood searched again.
func (m *Matchmaker) expireTimersLocked(now time.Time) {
	p := m.pool
	p.reach = m.searchWindow()
	p.oldestAge = m.rs.AgeFromOldest()
	p.due(now.UnixNano(), func(x timer) {
		if x.t.status == StatusSearching && x.t.nextStep == x.at {
			p.crossed = append(p.crossed, x.t)
			m.noteStepsLocked(now, x.t)
		}
		m.expireTicketLocked(now, x.t)
	})
}

// startSearchingLocked merges the tickets that arrived or returned since the last tick into the
// pool order, marks the anchors within reach of every change, and moves new tickets to
// SEARCHING.
func (m *Matchmaker) startSearchingLocked(now time.Time) {
	for _, t := range m.pool.prepare() {
		m.noteStepsLocked(now, t)
		m.startSearchLocked(now, t)
	}
}

// noteStepsLocked records when an expansion step next applies to t: a potential match holding
// t may change then, so its neighbourhood searches again.
func (m *Matchmaker) noteStepsLocked(now time.Time, t *ticket) {
	t.nextStep = math.MaxInt64
	if step := m.rs.NextStep(t.waited(now)); step >= 0 {
		t.nextStep = t.start + int64(step)
		m.pool.addTimer(t.nextStep, t)
	}
}

// purgeEndedLocked forgets tickets that ended longer ago than the retention period.
func (m *Matchmaker) purgeEndedLocked(now time.Time) { m.forgetEndedLocked(now, true) }

// forgetEndedLocked forgets the oldest ended tickets beyond WithMaxTickets, and with byTime
// those past the retention period. recordEndingLocked calls it too, so the bound holds at every
// moment, not only at the next tick.
func (m *Matchmaker) forgetEndedLocked(now time.Time, byTime bool) {
	for m.endedHead < len(m.ended) {
		t := m.ended[m.endedHead]
		over := len(m.ended)-m.endedHead > m.opts.maxTickets
		if !over && !(byTime && now.Sub(t.ending.at) >= m.opts.retention) {
			break
		}
		if m.tickets[t.id] == t {
			delete(m.tickets, t.id)
		}
		m.regions.release(t.players)
		m.ended[m.endedHead] = nil
		m.endedHead++
	}
	if m.endedHead > 0 && m.endedHead*2 >= len(m.ended) { // keep the queue's array proportional
		n := copy(m.ended, m.ended[m.endedHead:])
		clear(m.ended[n:])
		m.ended, m.endedHead = m.ended[:n], 0
	}
}

// activeTickets returns every ticket that has not ended, in admission order.
func (m *Matchmaker) activeTickets() []*ticket {
	var out []*ticket
	for _, t := range m.tickets {
		if !t.status.Terminal() {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b *ticket) int { return cmp.Compare(a.seq, b.seq) })
	return out
}

// ---- time

// epoch is the provisional time of a Matchmaker that has none yet (see requestTimeLocked), and
// the earliest time a Matchmaker uses; latest is the last. Times are kept as Unix nanoseconds,
// which span 1678 to 2262, so a clock outside [epoch, latest] (the zero time.Time, say) is
// clamped into it and a deadline 12 hours on still fits.
var (
	epoch  = time.Unix(0, 0).UTC()
	latest = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// advanceLocked moves the Matchmaker's time forward to t (clamped to [epoch, latest]), never
// back, and returns it. The
// first real time a Matchmaker without one sees re-dates everything it did on the provisional
// epoch. Requires m.mu.
func (m *Matchmaker) advanceLocked(t time.Time) time.Time {
	switch {
	case t.Before(epoch):
		t = epoch
	case t.After(latest):
		t = latest
	}
	if m.provisional {
		m.redateLocked(t.Sub(m.now))
		m.provisional = false
		m.now = t
		return t
	}
	if t.After(m.now) {
		m.now = t
	}
	return m.now
}

// requestTimeLocked is the time a request is stamped with, from what readClockLocked read.
// With a Clock set by WithClock, or once Run has driven the ticks, it is the clock's reading. A host that drives Tick itself without
// a Clock is the clock: requests take the time of its latest Tick, and requests before its first
// Tick are re-dated to that Tick's time (their events wait for it). So a test that drives Tick
// with chosen times never mixes them with the wall clock. Requires m.mu.
func (m *Matchmaker) requestTimeLocked(rd clockReading) time.Time {
	if rd.running {
		m.ranOnce = true
	}
	switch {
	case m.opts.clockSet || rd.running || m.ranOnce:
		return m.advanceLocked(rd.at)
	case !m.ticked && !m.provisional:
		m.provisional, m.now = true, epoch
	}
	return m.now
}

// peekTimeLocked is the time a request made now would be stamped with, without changing the
// Matchmaker's time: for reads, which the journal does not record. Requires m.mu.
func (m *Matchmaker) peekTimeLocked() time.Time {
	if m.opts.clockSet || m.running.Load() || m.ranOnce {
		if t := m.clock.Now(); t.After(m.now) && !m.provisional {
			if t.After(latest) {
				t = latest
			}
			return t
		}
	}
	return m.now
}

// redateLocked shifts every instant recorded on the provisional epoch by d. Requires m.mu.
func (m *Matchmaker) redateLocked(d time.Duration) {
	for _, t := range m.tickets {
		t.start += int64(d)
		t.deadline += int64(d)
		if t.nextStep != math.MaxInt64 {
			t.nextStep += int64(d)
		}
		if t.bf != nil && !t.bf.ackDeadline.IsZero() {
			t.bf.ackDeadline = t.bf.ackDeadline.Add(d)
		}
		if t.ending != nil {
			t.ending.at = t.ending.at.Add(d)
		}
	}
	for i := range m.pool.timers {
		m.pool.timers[i].at += int64(d) // the same shift keeps the heap's order
	}
	for _, e := range m.outbox {
		h := e.header()
		h.Time = h.Time.Add(d)
		for i, et := range e.ticketList() {
			e.ticketList()[i].StartTime = et.StartTime.Add(d)
		}
	}
}

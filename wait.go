package matchmaker

// This file holds waiting on one ticket: Wait blocks until the ticket's outcome, and Watch
// follows one ticket's or one game session's events from a snapshot on, so that a host serving
// many clients needs neither a type switch over every event nor a race against an outcome
// that happened before it started waiting.

import "context"

// Wait blocks until the ticket ends (COMPLETED, CANCELLED, TIMED_OUT or FAILED), or ctx is
// done, and returns its final snapshot. A ticket that has already ended returns at once, while
// it is retained (WithTicketRetention), so an outcome that happened before the call is never
// missed. It fails with a *NotFoundError for an unknown ticket and with context.Cause(ctx) when
// ctx ends first. Close ends every ticket (MATCHMAKER_CLOSED), which a Wait under way returns.
// Any number of goroutines may wait on one ticket; it costs one channel per waited ticket.
func (m *Matchmaker) Wait(ctx context.Context, ticketID string) (Ticket, error) {
	m.mu.Lock()
	t := m.tickets[ticketID]
	if t == nil {
		m.mu.Unlock()
		return Ticket{}, &NotFoundError{Kind: "ticket", ID: ticketID}
	}
	if t.ending != nil {
		out := m.snapshot(t)
		m.mu.Unlock()
		return out, nil
	}
	if t.done == nil {
		t.done = make(chan struct{})
	}
	done := t.done
	m.mu.Unlock()
	select {
	case <-done:
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.snapshot(t), nil // t itself, even if it was forgotten since
	case <-ctx.Done():
		return Ticket{}, context.Cause(ctx)
	case <-m.halt: // Shutdown, or a failed journal: the ticket will not end in this process
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.failed != nil {
			return Ticket{}, m.failed
		}
		return Ticket{}, ErrClosed
	}
}

// WatchTicket returns a ticket's snapshot and a Subscription to the events about it from that
// moment on, taken together so that nothing happens between them: a consumer acts on the
// snapshot (it may show the outcome already) and then on each event. The subscription ends like
// any other (ErrSlowSubscriber, ErrClosed); Close it when done. Watchers are bounded by
// WithMaxWatchers.
func (m *Matchmaker) WatchTicket(ticketID string) (Ticket, *Subscription, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.tickets[ticketID]
	if t == nil {
		return Ticket{}, nil, &NotFoundError{Kind: "ticket", ID: ticketID}
	}
	sub, err := m.hub.watch(ticketKey(ticketID))
	if err != nil {
		return Ticket{}, nil, err
	}
	return m.snapshot(t), sub, nil
}

// WatchGameSession returns a game session's snapshot and a Subscription to the events about it
// from that moment on (its backfill tickets, matches that fill it, MatchmakingDataUpdated and
// the backfill events), taken together as WatchTicket does.
func (m *Matchmaker) WatchGameSession(gameSessionArn string) (GameSession, *Subscription, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.sessionLocked(gameSessionArn); err != nil {
		return GameSession{}, nil, err
	}
	sub, err := m.hub.watch(sessionKey(gameSessionArn))
	if err != nil {
		return GameSession{}, nil, err
	}
	return m.describeSessionLocked(gameSessionArn), sub, nil
}

// endWaiters wakes the goroutines waiting on t, which has just ended. Requires m.mu.
func (t *ticket) endWaiters() {
	if t.done != nil {
		close(t.done)
	}
}

package matchmaker

// This file holds the ticket lifecycle: the one place where a ticket changes status. Every
// other file asks it for a transition. It enforces the status graph below, emits the event that
// goes with the transition, and records a ticket's ending.
//
//	QUEUED              -> SEARCHING, CANCELLED, TIMED_OUT
//	SEARCHING           -> REQUIRES_ACCEPTANCE, PLACING, COMPLETED, CANCELLED, TIMED_OUT, SEARCHING
//	REQUIRES_ACCEPTANCE -> COMPLETED, PLACING, SEARCHING, CANCELLED, TIMED_OUT
//	PLACING             -> COMPLETED, SEARCHING, CANCELLED, FAILED
//
// A ticket returns to SEARCHING when the match it was in does not complete: a proposal that was
// rejected or timed out, a backfill proposal made against a stale roster, a backfill that ended
// before the game server acknowledged it. A ticket in a match that needs no acceptance stays
// SEARCHING until the match completes, so SEARCHING -> SEARCHING is such a return. The only
// ticket that times out while its match waits for acceptance is a backfill whose game server
// stopped acknowledging it. A ticket ends FAILED only when the host's Placer reports that its
// match cannot be placed (FailPlacement without retry).

import (
	"fmt"
	"log/slog"
	"time"
)

// transitions is the ticket status graph: from each status, the statuses a ticket may move to.
var transitions = map[TicketStatus][]TicketStatus{
	StatusQueued:             {StatusSearching, StatusCancelled, StatusTimedOut},
	StatusSearching:          {StatusSearching, StatusRequiresAcceptance, StatusPlacing, StatusCompleted, StatusCancelled, StatusTimedOut},
	StatusRequiresAcceptance: {StatusSearching, StatusPlacing, StatusCompleted, StatusCancelled, StatusTimedOut},
	StatusPlacing:            {StatusSearching, StatusCompleted, StatusCancelled, StatusFailed},
}

// observeTransition, when set (by tests), sees every transition made.
var observeTransition func(from, to TicketStatus)

// lifecycleBug, when set (by the package's tests), is told of every illegal transition, which
// is refused either way: in a host it is only logged, never a crash.
var lifecycleBug func(msg string)

// legalTransition reports whether the graph allows from -> to.
func legalTransition(from, to TicketStatus) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// moveLocked changes t's status to to, if the graph allows it. It is the only writer of
// ticket.status after admission. Requires m.mu.
func (m *Matchmaker) moveLocked(t *ticket, to TicketStatus) bool {
	if !legalTransition(t.status, to) {
		msg := fmt.Sprintf("matchmaker: bug: ticket %s cannot move from %s to %s", t.id, t.status, to)
		if lifecycleBug != nil {
			lifecycleBug(msg)
		}
		m.log(slog.LevelError, msg)
		return false
	}
	if observeTransition != nil {
		observeTransition(t.status, to)
	}
	t.status = to
	return true
}

// startSearchLocked moves a newly admitted ticket into the search and announces it.
func (m *Matchmaker) startSearchLocked(now time.Time, t *ticket) {
	if t.status == StatusQueued && !m.moveLocked(t, StatusSearching) {
		return
	}
	m.emit(now, &MatchmakingSearching{Tickets: []EventTicket{m.eventTicket(t, false)}, EstimatedWait: m.estimatedWait()})
}

// returnToSearchLocked puts a ticket whose match did not complete back in the pool; it enters
// the search again at the next tick with its original start time, unless its request timeout
// passed while it was away, in which case it times out now.
func (m *Matchmaker) returnToSearchLocked(now time.Time, t *ticket) {
	if t.status.Terminal() || !m.moveLocked(t, StatusSearching) {
		return
	}
	t.matchID = ""
	if t.bf == nil {
		for i := range t.players {
			t.players[i].Team = -1
		}
	}
	m.pool.enqueue(t)
	m.pool.addTimer(t.deadline, t)
	m.expireTicketLocked(now, t)
}

// awaitAcceptanceLocked marks the tickets of a proposal that waits for its players.
func (m *Matchmaker) awaitAcceptanceLocked(ts []*ticket) {
	for _, t := range ts {
		m.moveLocked(t, StatusRequiresAcceptance)
	}
}

// placingLocked marks a ticket that joined a game session and waits for the game server's
// acknowledgement.
func (m *Matchmaker) placingLocked(t *ticket, arn string) {
	if m.moveLocked(t, StatusPlacing) {
		t.session = arn
	}
}

// completeLocked completes tickets that joined a match (and the game session arn, if any) and
// emits ev, the match's one MatchmakingSucceeded, which the caller built before the change.
func (m *Matchmaker) completeLocked(now time.Time, ts []*ticket, arn string, ev *MatchmakingSucceeded) {
	for _, t := range ts {
		if m.moveLocked(t, StatusCompleted) {
			t.session = arn
			m.recordEndingLocked(now, t, "", "")
		}
	}
	m.stats.Completed += uint64(len(ts))
	if ev != nil {
		m.emit(now, ev)
	}
}

// expireTicketLocked ends t if its request timeout has passed. A backfill that requires
// acknowledgement lives as long as it is acknowledged instead.
func (m *Matchmaker) expireTicketLocked(now time.Time, t *ticket) {
	acknowledged := t.bf != nil && !t.bf.ackDeadline.IsZero()
	if (t.status == StatusSearching || t.status == StatusQueued) && !acknowledged && now.UnixNano() >= t.deadline {
		m.endTicketLocked(now, t, StatusTimedOut, ReasonTimedOut, "Removed from matchmaking due to timing out.")
	}
}

// endTicketLocked ends an active ticket without a match and emits its one terminal event:
// MatchmakingTimedOut, MatchmakingCancelled or MatchmakingFailed, and for a backfill ticket the
// session's BackfillTimedOut, BackfillCancelled or BackfillFailed. A ticket that ended already
// is left alone.
func (m *Matchmaker) endTicketLocked(now time.Time, t *ticket, status TicketStatus, reason, msg string) {
	if t.status.Terminal() {
		return
	}
	from := t.status
	body := TicketEnded{Tickets: []EventTicket{m.eventTicket(t, false)}, Reason: reason, Message: msg,
		MatchID: t.matchID, RuleEvaluationMetrics: m.metrics([]*ticket{t})}
	if !m.moveLocked(t, status) {
		return
	}
	if from == StatusQueued || from == StatusSearching {
		m.pool.leave(t)
	}
	if pr := m.pending[t.matchID]; pr != nil && from == StatusRequiresAcceptance {
		m.dropFromProposal(now, pr, t)
	}
	if from == StatusPlacing {
		m.leavePendingLocked(t)
	}
	m.recordEndingLocked(now, t, reason, msg)
	if t.bf != nil {
		m.endBackfill(now, t, status, reason, msg)
	}
	switch status {
	case StatusTimedOut:
		m.stats.TimedOut++
		m.emit(now, &MatchmakingTimedOut{body})
	case StatusCancelled:
		m.stats.Cancelled++
		m.emit(now, &MatchmakingCancelled{body})
	default:
		m.stats.Failed++
		m.emit(now, &MatchmakingFailed{body})
	}
}

// recordEndingLocked records how and when t ended, releases its players and queues it for
// forgetting after the retention period.
func (m *Matchmaker) recordEndingLocked(now time.Time, t *ticket, reason, msg string) {
	t.ending = &ticketEnd{reason: reason, message: msg, at: now}
	t.endWaiters()
	for i := range t.players {
		if m.players[t.players[i].ID] == t {
			delete(m.players, t.players[i].ID)
		}
	}
	m.ended = append(m.ended, t)
	m.forgetEndedLocked(now, false)
}

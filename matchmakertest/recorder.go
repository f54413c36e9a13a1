package matchmakertest

// This file holds the Recorder: every event of a Matchmaker, kept in order and indexed by
// ticket and player, so that tests ask "when did this ticket match, and with whom" instead of
// scanning an event stream.

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/seed-04d22514/matchmaker"
)

// Recorder keeps every event a Matchmaker produces after the Recorder was made, and answers
// questions about them: the events of a type, the match of a ticket, when it matched, a
// ticket's status at an instant. Times are durations since an origin, the Harness's start.
//
// A Recorder reads its subscription with TryNext, so it never waits: the Harness drains it
// after every tick, and every query drains it first, which picks up the events of requests made
// directly on the Matchmaker since. Because it is drained tick by tick, it never falls behind
// far enough to be cut off; if it ever were, Err reports it and the assertions fail, rather
// than judge an incomplete record.
//
// A Recorder is safe for concurrent use.
type Recorder struct {
	mu       sync.Mutex
	sub      *matchmaker.Subscription
	origin   time.Time
	events   []matchmaker.Event
	matches  []*Match
	byTicket map[string][]*Match // a backfill ticket may fill several matches
	byPlayer map[string]*Match   // the latest match of each player
	history  map[string][]Change
	err      error
}

// Match is a match as the Recorder saw it complete, from its MatchmakingSucceeded event.
type Match struct {
	// ID is the match ID.
	ID string
	// At is when the match completed, as a duration since the Recorder's origin.
	At time.Duration
	// Tickets lists the IDs of the tickets that completed in the match, in the event's order.
	Tickets []string
	// Players lists every player with a team, in the event's order: for a backfill, the
	// session's players, those already there included.
	Players []matchmaker.EventPlayer
	// GameSessionArn is the session a backfill filled or a WITH_QUEUE match was placed in.
	GameSessionArn string
	// Event is the event the match was read from.
	Event *matchmaker.MatchmakingSucceeded
}

// Team returns the team of a player in the match, or "" if the player is not in it.
func (m Match) Team(playerID string) string {
	for _, p := range m.Players {
		if p.PlayerID == playerID {
			return p.Team
		}
	}
	return ""
}

// String returns the match on one line, its teams sorted by name and their players in the
// event's order, such as "blue[bob dan] red[ann cat]".
func (m Match) String() string {
	var teams []string
	members := map[string][]string{}
	for _, p := range m.Players {
		if _, ok := members[p.Team]; !ok {
			teams = append(teams, p.Team)
		}
		members[p.Team] = append(members[p.Team], p.PlayerID)
	}
	slices.Sort(teams)
	parts := make([]string, len(teams))
	for i, t := range teams {
		parts[i] = fmt.Sprintf("%s[%s]", t, strings.Join(members[t], " "))
	}
	return strings.Join(parts, " ")
}

// Change is one step in a ticket's history, as its events (and Harness.Queue) tell it.
type Change struct {
	// At is when the ticket took the status, as a duration since the Recorder's origin.
	At time.Duration
	// Status is the status the ticket took.
	Status matchmaker.TicketStatus
	// Reason is the ending's reason (such as TimedOut or DUPLICATE_PLAYER), for an ending.
	Reason string
	// Event is the event that reported the change; nil for QUEUED, which no event reports.
	Event matchmaker.Event
}

// NewRecorder subscribes to m and records its events from now on. Durations are measured from
// origin. Close the Recorder when done.
func NewRecorder(m *matchmaker.Matchmaker, origin time.Time) (*Recorder, error) {
	sub, err := m.Subscribe()
	if err != nil {
		return nil, fmt.Errorf("matchmakertest: subscribe: %w", err)
	}
	return &Recorder{
		sub: sub, origin: origin,
		byTicket: map[string][]*Match{}, byPlayer: map[string]*Match{}, history: map[string][]Change{},
	}, nil
}

// Close ends the Recorder's subscription. What it recorded stays readable.
func (r *Recorder) Close() {
	r.Drain()
	r.sub.Close()
}

// Drain records every event queued for the Recorder, without waiting, and returns Err.
func (r *Recorder) Drain() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.drainLocked()
	return r.err
}

// Err returns why the Recorder's subscription ended: nil while it lives (and after Close),
// matchmaker.ErrClosed after the Matchmaker was closed, matchmaker.ErrSlowSubscriber if it was
// cut off, in which case the record is incomplete.
func (r *Recorder) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.drainLocked()
	return r.err
}

// Since returns t as a duration since the Recorder's origin, for reading event times.
func (r *Recorder) Since(t time.Time) time.Duration { return t.Sub(r.origin) }

// Events returns every recorded event, in the order the Matchmaker produced them.
func (r *Recorder) Events() []matchmaker.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.drainLocked()
	return slices.Clone(r.events)
}

// Events returns the recorded events of type E, in order; for example
// Events[*matchmaker.MatchmakingTimedOut](h.Recorder).
func Events[E matchmaker.Event](r *Recorder) []E {
	var out []E
	for _, e := range r.Events() {
		if x, ok := e.(E); ok {
			out = append(out, x)
		}
	}
	return out
}

// Matches returns every completed match, in the order they completed.
func (r *Recorder) Matches() []Match {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.drainLocked()
	out := make([]Match, len(r.matches))
	for i, m := range r.matches {
		out[i] = *m
	}
	return out
}

// Match returns the match a ticket completed in (for a backfill ticket that filled several,
// the first), and false if it has not completed.
func (r *Recorder) Match(ticketID string) (Match, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.drainLocked()
	if ms := r.byTicket[ticketID]; len(ms) > 0 {
		return *ms[0], true
	}
	return Match{}, false
}

// MatchedAt returns when a ticket completed in a match, and false if it has not.
func (r *Recorder) MatchedAt(ticketID string) (time.Duration, bool) {
	m, ok := r.Match(ticketID)
	return m.At, ok
}

// PlayerMatch returns the latest match that lists a player, and false if none does.
func (r *Recorder) PlayerMatch(playerID string) (Match, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.drainLocked()
	if m := r.byPlayer[playerID]; m != nil {
		return *m, true
	}
	return Match{}, false
}

// History returns a ticket's status changes in order, from its events and, for tickets queued
// through Harness.Queue, the QUEUED it started in.
func (r *Recorder) History(ticketID string) []Change {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.drainLocked()
	return slices.Clone(r.history[ticketID])
}

// StatusAt returns the status a ticket had at an instant, by its history: the last change at or
// before at. It returns "" if the history has none by then.
func (r *Recorder) StatusAt(ticketID string, at time.Duration) matchmaker.TicketStatus {
	c, _ := r.changeAt(ticketID, at)
	return c.Status
}

// changeAt returns the last change of a ticket at or before at.
func (r *Recorder) changeAt(ticketID string, at time.Duration) (Change, bool) {
	h := r.History(ticketID)
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].At <= at {
			return h[i], true
		}
	}
	return Change{}, false
}

// ending returns the change that ended a ticket, and false if it has not ended.
func (r *Recorder) ending(ticketID string) (Change, bool) {
	h := r.History(ticketID)
	for _, c := range h {
		if c.Status.Terminal() {
			return c, true
		}
	}
	return Change{}, false
}

// noteQueued records that a ticket was admitted at an instant; no event reports it.
func (r *Recorder) noteQueued(ticketID string, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.drainLocked()
	r.history[ticketID] = append(r.history[ticketID], Change{At: r.Since(at), Status: matchmaker.StatusQueued})
}

// drainLocked records every queued event. Requires r.mu.
func (r *Recorder) drainLocked() {
	for {
		e, ok := r.sub.TryNext()
		if !ok {
			break
		}
		r.recordLocked(e)
	}
	if err := r.sub.Err(); err != nil && r.err == nil {
		r.err = err
	}
}

// recordLocked files one event under its tickets and players. Requires r.mu.
func (r *Recorder) recordLocked(e matchmaker.Event) {
	r.events = append(r.events, e)
	if s, ok := e.(*matchmaker.MatchmakingSucceeded); ok {
		r.recordMatchLocked(s)
	}
	for _, id := range e.TicketIDs() {
		if st, reason, ok := statusOf(e, id); ok {
			r.history[id] = append(r.history[id], Change{At: r.Since(eventTime(e)), Status: st, Reason: reason, Event: e})
		}
	}
}

// recordMatchLocked indexes a completed match by its tickets and players. Requires r.mu.
func (r *Recorder) recordMatchLocked(s *matchmaker.MatchmakingSucceeded) {
	m := &Match{ID: s.MatchID, At: r.Since(s.Time), GameSessionArn: s.GameSessionInfo.GameSessionArn, Event: s}
	seen := map[string]bool{}
	for _, p := range s.GameSessionInfo.Players {
		m.Players = append(m.Players, p)
		seen[p.PlayerID] = true
	}
	for _, t := range s.Tickets {
		m.Tickets = append(m.Tickets, t.TicketID)
		for _, p := range t.Players {
			if !seen[p.PlayerID] {
				m.Players = append(m.Players, p)
				seen[p.PlayerID] = true
			}
		}
	}
	r.matches = append(r.matches, m)
	for _, id := range m.Tickets {
		r.byTicket[id] = append(r.byTicket[id], m)
	}
	for _, p := range m.Players {
		r.byPlayer[p.PlayerID] = m
	}
}

// statusOf returns the status an event gives one of its tickets, and false for events that
// change no status (AcceptMatch, MatchmakingDataUpdated).
func statusOf(e matchmaker.Event, ticketID string) (matchmaker.TicketStatus, string, bool) {
	switch e := e.(type) {
	case *matchmaker.MatchmakingSearching:
		return matchmaker.StatusSearching, "", true
	case *matchmaker.PotentialMatchCreated:
		switch {
		case e.AcceptanceRequired:
			return matchmaker.StatusRequiresAcceptance, "", true
		case e.GameSessionArn != "":
			// A backfill's tickets wait for its game server's acknowledgement, if it needs one;
			// if not, they complete at the same instant.
			return matchmaker.StatusPlacing, "", true
		}
		return "", "", false // without acceptance, a new match completes in the same tick
	case *matchmaker.MatchmakingSucceeded:
		return matchmaker.StatusCompleted, "", true
	case *matchmaker.MatchmakingTimedOut:
		return matchmaker.StatusTimedOut, e.Reason, true
	case *matchmaker.MatchmakingCancelled:
		return matchmaker.StatusCancelled, e.Reason, true
	case *matchmaker.MatchmakingFailed:
		return matchmaker.StatusFailed, e.Reason, true
	case *matchmaker.BackfillTimedOut:
		return matchmaker.StatusTimedOut, e.Reason, e.BackfillTicketID == ticketID
	case *matchmaker.BackfillCancelled:
		return matchmaker.StatusCancelled, e.Reason, e.BackfillTicketID == ticketID
	case *matchmaker.BackfillFailed:
		return matchmaker.StatusFailed, e.Reason, e.BackfillTicketID == ticketID
	}
	return "", "", false
}

// eventTime returns the time in an event's header.
func eventTime(e matchmaker.Event) time.Time {
	switch e := e.(type) {
	case *matchmaker.MatchmakingSearching:
		return e.Time
	case *matchmaker.PotentialMatchCreated:
		return e.Time
	case *matchmaker.AcceptMatch:
		return e.Time
	case *matchmaker.AcceptMatchCompleted:
		return e.Time
	case *matchmaker.MatchmakingSucceeded:
		return e.Time
	case *matchmaker.MatchmakingTimedOut:
		return e.Time
	case *matchmaker.MatchmakingCancelled:
		return e.Time
	case *matchmaker.MatchmakingFailed:
		return e.Time
	case *matchmaker.MatchmakingDataUpdated:
		return e.Time
	case *matchmaker.BackfillFailed:
		return e.Time
	case *matchmaker.BackfillTimedOut:
		return e.Time
	case *matchmaker.BackfillCancelled:
		return e.Time
	}
	return time.Time{}
}

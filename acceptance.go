package matchmaker

// This file holds player acceptance of proposed matches (spec §e.7): AcceptMatch, the
// acceptance timeout, and what happens to each ticket when a proposal fails.

import (
	"cmp"
	"slices"
	"time"
)

// proposal is a formed match that has not completed yet.
type proposal struct {
	id       string
	created  time.Time
	deadline time.Time
	members  []*ticket
	backfill *ticket
	region   string
	version  uint64          // the backfilled session's roster version when the match formed
	answers  map[string]bool // player ID → accepted
}

// AcceptanceType is a player's answer to a proposed match.
type AcceptanceType string

// Answers to a proposed match.
const (
	Accept AcceptanceType = "ACCEPT"
	Reject AcceptanceType = "REJECT"
)

// AcceptMatchInput answers a proposed match for some players of a ticket, in the shape of
// GameLift's AcceptMatch.
type AcceptMatchInput struct {
	TicketID       string         `json:"TicketId"`
	PlayerIDs      []string       `json:"PlayerIds"`
	AcceptanceType AcceptanceType `json:"AcceptanceType"`
}

// needsAcceptance reports whether a proposal has players who must accept: a backfill roster's
// players never do, only the players joining it.
func (m *Matchmaker) needsAcceptance(pr *proposal) bool {
	return slices.ContainsFunc(pr.members, func(t *ticket) bool { return t.bf == nil })
}

// await parks a proposal until its players answer or AcceptanceTimeout passes.
func (m *Matchmaker) await(now time.Time, pr *proposal) {
	pr.deadline = now.Add(m.cfg.AcceptanceTimeout)
	pr.answers = map[string]bool{}
	m.awaitAcceptanceLocked(pr.members)
	m.pending[pr.id] = pr
}

// AcceptMatch records players' answers to the match proposed to their ticket. When every
// player has accepted, the match completes; one rejection ends the proposal: tickets whose
// players all accepted return to the search, the others are cancelled.
func (m *Matchmaker) AcceptMatch(in AcceptMatchInput) error {
	_, err := m.exec(&command{kind: cmdAccept, accept: &in})
	return err
}

func (m *Matchmaker) acceptMatchLocked(now time.Time, in AcceptMatchInput) error {
	var p problems
	if in.AcceptanceType != Accept && in.AcceptanceType != Reject {
		p.add("AcceptanceType", "must be ACCEPT or REJECT, got %q", in.AcceptanceType)
	}
	if len(in.PlayerIDs) == 0 {
		p.add("PlayerIds", "must list at least one player")
	}
	t := m.tickets[in.TicketID]
	if t == nil {
		if err := p.err("AcceptMatch"); err != nil {
			return err
		}
		return &NotFoundError{Kind: "ticket", ID: in.TicketID}
	}
	for i, id := range in.PlayerIDs {
		if !slices.ContainsFunc(t.players, func(pl player) bool { return pl.ID == id }) {
			p.add("PlayerIds["+itoa(i)+"]", "player %q is not in ticket %q", id, t.id)
		}
	}
	if err := p.err("AcceptMatch"); err != nil {
		return err
	}
	pr := m.pending[t.matchID]
	if t.status != StatusRequiresAcceptance || pr == nil {
		return &StateError{TicketID: t.id, Status: t.status, Op: "AcceptMatch"}
	}
	if t.bf != nil {
		return nil // the players already in a game session need not accept (spec §e.7)
	}
	for _, id := range in.PlayerIDs {
		pr.answers[id] = in.AcceptanceType == Accept
	}
	m.emit(now, &AcceptMatch{MatchID: pr.id, Tickets: m.acceptanceTickets(pr)})
	switch {
	case in.AcceptanceType == Reject:
		m.failProposal(now, pr, "Rejected", nil)
	case m.allAccepted(pr):
		delete(m.pending, pr.id)
		m.emit(now, &AcceptMatchCompleted{MatchID: pr.id, Tickets: m.acceptanceTickets(pr), Acceptance: "Accepted"})
		m.completeMatchLocked(now, pr)
	}
	return nil
}

func (m *Matchmaker) allAccepted(pr *proposal) bool {
	for _, t := range pr.members {
		if t.bf == nil && !m.ticketAccepted(pr, t) {
			return false
		}
	}
	return true
}

func (m *Matchmaker) ticketAccepted(pr *proposal, t *ticket) bool {
	for i := range t.players {
		if !pr.answers[t.players[i].ID] {
			return false
		}
	}
	return true
}

// acceptanceTickets shows every player's answer so far.
func (m *Matchmaker) acceptanceTickets(pr *proposal) []EventTicket {
	out := m.eventTickets(pr.members, true)
	for i, t := range pr.members {
		if t.bf != nil {
			continue
		}
		for j := range out[i].Players {
			if a, ok := pr.answers[out[i].Players[j].PlayerID]; ok {
				out[i].Players[j].Accepted = &a
			}
		}
	}
	return out
}

// expireProposals fails proposals whose acceptance timeout passed, oldest first.
func (m *Matchmaker) expireProposals(now time.Time) {
	var due []*proposal
	for _, pr := range m.pending {
		if !now.Before(pr.deadline) {
			due = append(due, pr)
		}
	}
	slices.SortFunc(due, func(a, b *proposal) int { return cmp.Or(a.created.Compare(b.created), cmp.Compare(a.id, b.id)) })
	for _, pr := range due {
		m.failProposal(now, pr, "TimedOut", nil)
	}
}

// dropFromProposal ends the proposal that t, now ending for another reason (stopped, timed
// out, replaced, a duplicate request), belonged to. Nobody rejected the match, so every other
// ticket returns to the search; AcceptMatchCompleted reports "Cancelled".
func (m *Matchmaker) dropFromProposal(now time.Time, pr *proposal, t *ticket) {
	m.failProposal(now, pr, "Cancelled", t)
}

// failProposal ends a proposal. After a rejection or a timeout, tickets whose players all
// accepted, and a backfill ticket, return to the search with their original start time, and
// the others are cancelled. When the proposal ends because its ticket except ended for another
// reason, every other ticket returns to the search.
func (m *Matchmaker) failProposal(now time.Time, pr *proposal, acceptance string, except *ticket) {
	delete(m.pending, pr.id)
	m.emit(now, &AcceptMatchCompleted{MatchID: pr.id, Tickets: m.acceptanceTickets(pr), Acceptance: acceptance})
	reason, msg := ReasonAcceptanceReject, "A player rejected the proposed match."
	if acceptance == "TimedOut" {
		reason, msg = ReasonAcceptanceTimedOut, "A player did not accept the proposed match in time."
	}
	for _, t := range pr.members {
		switch {
		case t == except:
		case except != nil || t.bf != nil || m.ticketAccepted(pr, t):
			m.returnToSearchLocked(now, t)
		default:
			m.endTicketLocked(now, t, StatusCancelled, reason, msg)
		}
	}
}

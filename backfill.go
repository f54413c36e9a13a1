package matchmaker

// This file holds backfill: game sessions, backfill tickets, and their events.

import "time"

// backfill is the state of a backfill ticket.
type backfill struct {
	session string
}

// session is a game session the Matchmaker knows.
type session struct {
	arn string
}

func (m *Matchmaker) placeSession(now time.Time, pr *proposal) string {
	return "gs-" + pr.id
}

func (m *Matchmaker) completeBackfill(now time.Time, pr *proposal)                             {}
func (m *Matchmaker) endBackfill(now time.Time, t *ticket, s TicketStatus, reason, msg string) {}
func (m *Matchmaker) expireBackfillAcks(now time.Time)                                         {}

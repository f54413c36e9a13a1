package matchmaker

// This file holds backfill: the game sessions the Matchmaker knows, backfill tickets that look
// for players to fill their open slots, and the game-session events that report the outcome.

import (
	"errors"
	"time"
)

// StartMatchBackfillInput asks for players to fill a running game session, in the shape of
// GameLift's StartMatchBackfill.
type StartMatchBackfillInput struct {
	// TicketID names the backfill ticket; empty: a UUID is generated.
	TicketID string `json:"TicketId,omitempty"`
	// GameSessionArn identifies the game session. A session the Matchmaker does not know yet
	// (a standalone host's own) is registered from Players.
	GameSessionArn string `json:"GameSessionArn"`
	// Players lists every player now in the session, each with its Team (1 to 199 players).
	Players []Player `json:"Players"`
	// MaxNewPlayers caps how many players this backfill adds; 0 fills every open slot.
	// (Beyond FlexMatch.)
	MaxNewPlayers int `json:"MaxNewPlayers,omitempty"`
}

// AcknowledgeBackfillOutput is the answer to AcknowledgeBackfill.
type AcknowledgeBackfillOutput struct {
	// Status is the backfill ticket's status.
	Status TicketStatus
	// GameSessionArn is the session being filled.
	GameSessionArn string
	// Assigned lists the tickets assigned to the session since the previous acknowledgement,
	// with their players' teams. Append it to earlier lists: it is not repeated.
	Assigned []Ticket
	// Version is the session roster's version after the acknowledgement.
	Version uint64
}

// GameSession is a snapshot of a game session the Matchmaker knows.
type GameSession struct {
	GameSessionArn string
	// MatchmakerData is the session's current matchmaker data (teams, players, attributes).
	MatchmakerData MatchmakerData
	// Version counts the changes to the roster; a backfill proposal made against an older
	// version is rejected.
	Version uint64
	// BackfillTicketID is the session's active backfill ticket, if any.
	BackfillTicketID string
	// AutoBackfill is false when automatic backfill was turned off for the session.
	AutoBackfill bool
}

var errBackfillTODO = errors.New("matchmaker: backfill not implemented yet")

// StartMatchBackfill starts looking for players to fill a game session's open slots.
func (m *Matchmaker) StartMatchBackfill(in StartMatchBackfillInput) (Ticket, error) {
	return Ticket{}, errBackfillTODO
}

// StopMatchBackfill cancels a backfill ticket; the session gets BackfillCancelled.
func (m *Matchmaker) StopMatchBackfill(ticketID string) error { return errBackfillTODO }

// AcknowledgeBackfill renews a backfill that requires acknowledgement and collects the tickets
// assigned to it since the last call.
func (m *Matchmaker) AcknowledgeBackfill(ticketID string) (AcknowledgeBackfillOutput, error) {
	return AcknowledgeBackfillOutput{}, errBackfillTODO
}

// RemovePlayers reports players who left a game session. With automatic backfill, the session
// gets a backfill ticket for the freed slots.
func (m *Matchmaker) RemovePlayers(gameSessionArn string, playerIDs ...string) error {
	return errBackfillTODO
}

// DescribeGameSession returns a game session the Matchmaker knows.
func (m *Matchmaker) DescribeGameSession(gameSessionArn string) (GameSession, error) {
	return GameSession{}, errBackfillTODO
}

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

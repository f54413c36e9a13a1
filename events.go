package matchmaker

// This file holds the typed events a Matchmaker emits.

import "time"

// Header carries the fields every event has.
type Header struct {
	// Seq numbers events from 1, in the order the Matchmaker produced them, without gaps on a
	// live subscription.
	Seq uint64
	// Time is the matchmaker's clock when the event was produced.
	Time time.Time
	// CustomEventData is the Matchmaker's Config.CustomEventData, which it copies into every
	// event it emits, as FlexMatch does; in JSON it is the event's customEventData, omitted
	// when empty.
	CustomEventData string
}

// Event is one of the event types of this package; the set is closed (a type that embeds Header
// or one of the shared shapes is not an Event). Use a type switch, or EventType and TicketIDs
// for what every event has.
//
// Every event marshals to JSON as the detail of FlexMatch's events, with FlexMatch's member
// names: json.Marshal(e) writes "type"; "tickets", each with "ticketId", "startTime" and
// "players" (each with "playerId" and, once known, "team", "accepted", "playerSessionId");
// "gameSessionInfo" with the players and, once the match is in a game session, its
// "gameSessionArn" (and "ipAddress", "dnsName", "port" when known); "customEventData" when
// set; and the members of its type: "matchId", "acceptanceRequired", "acceptanceTimeout" (in
// seconds), "acceptance", "reason", "message", "ruleEvaluationMetrics", and for
// MatchmakingDataUpdated "matchmakerData". Times are RFC 3339 in UTC with milliseconds, such as
// "2017-08-08T21:15:36.421Z"; zero times are left out. Seq and Time are not in the detail: they
// make the ID and time of the EventBridge envelope that NewEnvelope puts around it.
type Event interface {
	// EventType returns the event's type name, its "type" in JSON: FlexMatch's name, such as
	// "MatchmakingSucceeded", and for the game-session events, which FlexMatch does not have,
	// the name of the Go type, such as "MatchmakingDataUpdated". It is the name of the event's
	// Go type in every case.
	EventType() string
	// TicketIDs returns the IDs of the tickets the event concerns, in the order it lists them;
	// for a game-session event, the backfill ticket's ID if there is one. The slice is the
	// caller's.
	TicketIDs() []string

	// EventHeader returns the event's sequence number, time and custom data.
	EventHeader() Header

	header() *Header
	// ticketList returns the tickets the event shows, sharing its storage; nil for
	// game-session events.
	ticketList() []EventTicket
}

// EventType returns "MatchmakingSearching".
func (e *MatchmakingSearching) EventType() string { return "MatchmakingSearching" }

// EventType returns "PotentialMatchCreated".
func (e *PotentialMatchCreated) EventType() string { return "PotentialMatchCreated" }

// EventType returns "AcceptMatch".
func (e *AcceptMatch) EventType() string { return "AcceptMatch" }

// EventType returns "AcceptMatchCompleted".
func (e *AcceptMatchCompleted) EventType() string { return "AcceptMatchCompleted" }

// EventType returns "MatchmakingSucceeded".
func (e *MatchmakingSucceeded) EventType() string { return "MatchmakingSucceeded" }

// EventType returns "MatchmakingTimedOut".
func (e *MatchmakingTimedOut) EventType() string { return "MatchmakingTimedOut" }

// EventType returns "MatchmakingCancelled".
func (e *MatchmakingCancelled) EventType() string { return "MatchmakingCancelled" }

// EventType returns "MatchmakingFailed".
func (e *MatchmakingFailed) EventType() string { return "MatchmakingFailed" }

// EventType returns "MatchmakingDataUpdated".
func (e *MatchmakingDataUpdated) EventType() string { return "MatchmakingDataUpdated" }

// EventType returns "BackfillFailed".
func (e *BackfillFailed) EventType() string { return "BackfillFailed" }

// EventType returns "BackfillTimedOut".
func (e *BackfillTimedOut) EventType() string { return "BackfillTimedOut" }

// EventType returns "BackfillCancelled".
func (e *BackfillCancelled) EventType() string { return "BackfillCancelled" }

// TicketIDs returns the IDs of e.Tickets.
func (e *MatchmakingSearching) TicketIDs() []string { return eventTicketIDs(e.Tickets) }

// TicketIDs returns the IDs of e.Tickets.
func (e *PotentialMatchCreated) TicketIDs() []string { return eventTicketIDs(e.Tickets) }

// TicketIDs returns the IDs of e.Tickets.
func (e *AcceptMatch) TicketIDs() []string { return eventTicketIDs(e.Tickets) }

// TicketIDs returns the IDs of e.Tickets.
func (e *AcceptMatchCompleted) TicketIDs() []string { return eventTicketIDs(e.Tickets) }

// TicketIDs returns the IDs of e.Tickets.
func (e *MatchmakingSucceeded) TicketIDs() []string { return eventTicketIDs(e.Tickets) }

// TicketIDs returns the IDs of e.Tickets.
func (e *MatchmakingTimedOut) TicketIDs() []string { return eventTicketIDs(e.Tickets) }

// TicketIDs returns the IDs of e.Tickets.
func (e *MatchmakingCancelled) TicketIDs() []string { return eventTicketIDs(e.Tickets) }

// TicketIDs returns the IDs of e.Tickets.
func (e *MatchmakingFailed) TicketIDs() []string { return eventTicketIDs(e.Tickets) }

// TicketIDs returns the backfill ticket's ID, if any.
func (e *MatchmakingDataUpdated) TicketIDs() []string { return e.backfillTicketIDs() }

// TicketIDs returns the backfill ticket's ID, if any.
func (e *BackfillFailed) TicketIDs() []string { return e.backfillTicketIDs() }

// TicketIDs returns the backfill ticket's ID, if any.
func (e *BackfillTimedOut) TicketIDs() []string { return e.backfillTicketIDs() }

// TicketIDs returns the backfill ticket's ID, if any.
func (e *BackfillCancelled) TicketIDs() []string { return e.backfillTicketIDs() }

func eventTicketIDs(ts []EventTicket) []string {
	ids := make([]string, len(ts))
	for i := range ts {
		ids[i] = ts[i].TicketID
	}
	return ids
}

// backfillTicketIDs lists a game-session event's backfill ticket, if any.
func (e *SessionEvent) backfillTicketIDs() []string {
	if e.BackfillTicketID == "" {
		return []string{}
	}
	return []string{e.BackfillTicketID}
}

func (e *MatchmakingSearching) ticketList() []EventTicket   { return e.Tickets }
func (e *PotentialMatchCreated) ticketList() []EventTicket  { return e.Tickets }
func (e *AcceptMatch) ticketList() []EventTicket            { return e.Tickets }
func (e *AcceptMatchCompleted) ticketList() []EventTicket   { return e.Tickets }
func (e *MatchmakingSucceeded) ticketList() []EventTicket   { return e.Tickets }
func (e *MatchmakingTimedOut) ticketList() []EventTicket    { return e.Tickets }
func (e *MatchmakingCancelled) ticketList() []EventTicket   { return e.Tickets }
func (e *MatchmakingFailed) ticketList() []EventTicket      { return e.Tickets }
func (e *MatchmakingDataUpdated) ticketList() []EventTicket { return nil }
func (e *BackfillFailed) ticketList() []EventTicket         { return nil }
func (e *BackfillTimedOut) ticketList() []EventTicket       { return nil }
func (e *BackfillCancelled) ticketList() []EventTicket      { return nil }

func (h *Header) header() *Header { return h }

// EventHeader returns a copy of the header, so that code holding an Event reads its Seq and
// Time without a type switch.
func (h *Header) EventHeader() Header { return *h }

// EventPlayer is a player as events show it.
type EventPlayer struct {
	PlayerID string `json:"playerId"`
	// Team is set once the player has been placed on a team.
	Team string `json:"team,omitempty"`
	// Accepted is set in acceptance events once the player has answered.
	Accepted *bool `json:"accepted,omitempty"`
	// PlayerSessionID is the player's session in the game session, when the host's Placer
	// reported one.
	PlayerSessionID string `json:"playerSessionId,omitempty"`
}

// EventTicket is a ticket as events show it.
type EventTicket struct {
	TicketID  string        `json:"ticketId"`
	StartTime time.Time     `json:"startTime"`
	Players   []EventPlayer `json:"players"`
}

// RuleMetric counts how often a rule passed and failed while tickets were being matched.
type RuleMetric struct {
	RuleName    string `json:"ruleName"`
	PassedCount int    `json:"passedCount"`
	FailedCount int    `json:"failedCount"`
}

// GameSessionInfo describes the game session a match was placed in.
type GameSessionInfo struct {
	GameSessionArn string        `json:"gameSessionArn,omitempty"`
	Players        []EventPlayer `json:"players"`
	// IPAddress, DNSName and Port say where players connect, when the host's Placer reported
	// them (Matchmaker.CompletePlacement).
	IPAddress string `json:"ipAddress,omitempty"`
	DNSName   string `json:"dnsName,omitempty"`
	Port      int    `json:"port,omitempty"`
}

// MatchmakingSearching reports tickets that entered the pool: new requests, and tickets that
// returned after a proposed match failed.
type MatchmakingSearching struct {
	Header
	Tickets []EventTicket
	// EstimatedWait is the expected wait from recent matches (as DescribeMatchmaking reports
	// it); zero until a ticket has matched.
	EstimatedWait time.Duration
}

// PotentialMatchCreated reports a match that has been formed, before acceptance (if required)
// and placement. Every ticket's players carry their teams.
type PotentialMatchCreated struct {
	Header
	MatchID               string
	Tickets               []EventTicket
	AcceptanceRequired    bool
	AcceptanceTimeout     time.Duration
	RuleEvaluationMetrics []RuleMetric
	// Region is the region acceptable to every player with the lowest average latency, when
	// players reported latencies (FlexMatch's standalone suggestion).
	Region string
	// GameSessionArn is set when the match fills a running game session (backfill).
	GameSessionArn string
}

// AcceptMatch reports a player's answer to a proposed match, with every player's answer so far.
type AcceptMatch struct {
	Header
	MatchID string
	Tickets []EventTicket
}

// AcceptMatchCompleted reports the end of acceptance: "Accepted", "Rejected", "TimedOut", or
// "Cancelled" when a ticket of the match ended for another reason.
type AcceptMatchCompleted struct {
	Header
	MatchID    string
	Tickets    []EventTicket
	Acceptance string
}

// MatchmakingSucceeded reports tickets that completed: a new match, or players joining a game
// session by backfill.
type MatchmakingSucceeded struct {
	Header
	MatchID         string
	Tickets         []EventTicket
	GameSessionInfo GameSessionInfo
}

// TicketEnded is the shape shared by the events that end tickets without a match.
type TicketEnded struct {
	Header
	Tickets               []EventTicket
	Reason                string
	Message               string
	MatchID               string
	RuleEvaluationMetrics []RuleMetric
}

// MatchmakingTimedOut reports tickets whose request timeout elapsed.
type MatchmakingTimedOut struct{ TicketEnded }

// MatchmakingCancelled reports tickets ended by StopMatchmaking, by a newer request for one of
// their players, by a failed acceptance, or by Close.
type MatchmakingCancelled struct{ TicketEnded }

// MatchmakingFailed reports tickets that ended because of an error.
type MatchmakingFailed struct{ TicketEnded }

// SessionEvent is the shape shared by game-session events.
type SessionEvent struct {
	Header
	GameSessionArn   string
	BackfillTicketID string
	Reason           string
	Message          string
}

// MatchmakingDataUpdated reports a game session whose players changed through backfill, with
// its new matchmaker data.
type MatchmakingDataUpdated struct {
	SessionEvent
	MatchmakerData MatchmakerData
}

// BackfillFailed reports a backfill that ended in error.
type BackfillFailed struct{ SessionEvent }

// BackfillTimedOut reports a backfill that found no players within the request timeout, or
// that its game server did not acknowledge in time.
type BackfillTimedOut struct{ SessionEvent }

// BackfillCancelled reports a backfill stopped by StopMatchBackfill or replaced by a newer one.
type BackfillCancelled struct{ SessionEvent }

// MatchmakerData is a game session's matchmaker data, in FlexMatch's shape.
type MatchmakerData struct {
	MatchID                     string      `json:"matchId"`
	MatchmakingConfigurationArn string      `json:"matchmakingConfigurationArn"`
	Teams                       []MatchTeam `json:"teams"`
	AutoBackfillMode            *string     `json:"autoBackfillMode"`
	AutoBackfillTicketID        *string     `json:"autoBackfillTicketId"`
}

// MatchTeam is one team in matchmaker data.
type MatchTeam struct {
	Name    string        `json:"name"`
	Players []MatchPlayer `json:"players"`
}

// MatchPlayer is one player in matchmaker data, with the attributes the rule set declares.
type MatchPlayer struct {
	PlayerID   string                    `json:"playerId"`
	Attributes map[string]MatchAttribute `json:"attributes"`
}

package matchmaker

// This file holds the JSON form of events and tickets, in the shapes FlexMatch publishes (spec
// §g and §h): an event is the detail of a FlexMatch matchmaking event, a Ticket is a
// MatchmakingTicket, and an Envelope is the EventBridge envelope around an event.
//
// Member names are FlexMatch's event names, in lowerCamelCase, everywhere a result or an event
// is written; requests keep the PascalCase of GameLift's request shapes. Times are RFC 3339 in
// UTC with milliseconds, as FlexMatch's events write them, and zero times are left out.
// Durations are in FlexMatch's unit for the member: seconds for acceptanceTimeout and
// estimatedWaitTime.

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// jsonTimeLayout is FlexMatch's event time format: RFC 3339, UTC, milliseconds.
const jsonTimeLayout = "2006-01-02T15:04:05.000Z"

// formatTime writes t in jsonTimeLayout, and the zero time as "" (left out by omitempty).
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(jsonTimeLayout)
}

// eventDetail is the detail object of every event type; each type sets the members it has.
// Members that an event type always has are never left out, so their JSON type is stable.
type eventDetail struct {
	Type                  string          `json:"type"`
	Tickets               []EventTicket   `json:"tickets"`
	MatchID               string          `json:"matchId,omitempty"`
	AcceptanceRequired    *bool           `json:"acceptanceRequired,omitempty"`
	AcceptanceTimeout     float64         `json:"acceptanceTimeout,omitempty"` // seconds
	Acceptance            string          `json:"acceptance,omitempty"`
	Reason                *string         `json:"reason,omitempty"`
	Message               *string         `json:"message,omitempty"`
	RuleEvaluationMetrics []RuleMetric    `json:"ruleEvaluationMetrics,omitzero"`
	Region                string          `json:"region,omitempty"`
	EstimatedWaitMillis   any             `json:"estimatedWaitMillis,omitempty"`
	GameSessionInfo       GameSessionInfo `json:"gameSessionInfo"`
	MatchmakerData        *MatchmakerData `json:"matchmakerData,omitempty"`
	CustomEventData       string          `json:"customEventData,omitempty"`
}

// newDetail starts the detail of an event that lists tickets; its game session's players are
// the tickets' players, as in FlexMatch's examples.
func newDetail(e Event, tickets []EventTicket) eventDetail {
	return eventDetail{
		Type:            e.EventType(),
		Tickets:         nonNil(tickets),
		GameSessionInfo: GameSessionInfo{Players: flattenPlayers(tickets)},
		CustomEventData: e.header().CustomEventData,
	}
}

// marshal writes d with the slices that are always present as arrays, never null.
func (d eventDetail) marshal() ([]byte, error) {
	d.GameSessionInfo.Players = nonNil(d.GameSessionInfo.Players)
	return json.Marshal(d)
}

// endedDetail is the detail of MatchmakingTimedOut, MatchmakingCancelled and MatchmakingFailed.
func endedDetail(e Event, b *TicketEnded) ([]byte, error) {
	d := newDetail(e, b.Tickets)
	d.MatchID, d.Reason, d.Message = b.MatchID, &b.Reason, &b.Message
	d.RuleEvaluationMetrics = nonNil(b.RuleEvaluationMetrics)
	return d.marshal()
}

// sessionDetail is the detail of a game-session event. FlexMatch has no such events; these
// take the same shape, with the backfill ticket (if any) as the only ticket, known by its ID
// alone, and the game session's ARN in gameSessionInfo.
func sessionDetail(e Event, s *SessionEvent, always bool) eventDetail {
	d := newDetail(e, nil)
	if s.BackfillTicketID != "" {
		d.Tickets = []EventTicket{{TicketID: s.BackfillTicketID}}
	}
	d.GameSessionInfo.GameSessionArn = s.GameSessionArn
	if always || s.Reason != "" {
		d.Reason = &s.Reason
	}
	if always || s.Message != "" {
		d.Message = &s.Message
	}
	return d
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// MarshalJSON writes the event as the detail of FlexMatch's MatchmakingSearching event, with
// estimatedWaitMillis in milliseconds, or "NOT_AVAILABLE" (as FlexMatch writes) before any
// ticket has matched.
func (e MatchmakingSearching) MarshalJSON() ([]byte, error) {
	d := newDetail(&e, e.Tickets)
	d.EstimatedWaitMillis = "NOT_AVAILABLE"
	if e.EstimatedWait > 0 {
		d.EstimatedWaitMillis = e.EstimatedWait.Milliseconds()
	}
	return d.marshal()
}

// MarshalJSON writes the event as the detail of FlexMatch's PotentialMatchCreated event, with
// acceptanceTimeout in seconds (left out when acceptance is not required). Region, when set, is
// written as "region" (beyond FlexMatch); a backfill's game session is
// gameSessionInfo.gameSessionArn.
func (e PotentialMatchCreated) MarshalJSON() ([]byte, error) {
	d := newDetail(&e, e.Tickets)
	d.MatchID, d.AcceptanceRequired = e.MatchID, &e.AcceptanceRequired
	d.AcceptanceTimeout = e.AcceptanceTimeout.Seconds()
	d.RuleEvaluationMetrics = nonNil(e.RuleEvaluationMetrics)
	d.Region = e.Region
	d.GameSessionInfo.GameSessionArn = e.GameSessionArn
	return d.marshal()
}

// MarshalJSON writes the event as the detail of FlexMatch's AcceptMatch event: players who have
// answered carry "accepted".
func (e AcceptMatch) MarshalJSON() ([]byte, error) {
	d := newDetail(&e, e.Tickets)
	d.MatchID = e.MatchID
	return d.marshal()
}

// MarshalJSON writes the event as the detail of FlexMatch's AcceptMatchCompleted event.
func (e AcceptMatchCompleted) MarshalJSON() ([]byte, error) {
	d := newDetail(&e, e.Tickets)
	d.MatchID, d.Acceptance = e.MatchID, e.Acceptance
	return d.marshal()
}

// MarshalJSON writes the event as the detail of FlexMatch's MatchmakingSucceeded event, with
// the event's GameSessionInfo.
func (e MatchmakingSucceeded) MarshalJSON() ([]byte, error) {
	d := newDetail(&e, e.Tickets)
	d.MatchID, d.GameSessionInfo = e.MatchID, e.GameSessionInfo
	return d.marshal()
}

// MarshalJSON writes the event as the detail of FlexMatch's MatchmakingTimedOut event.
func (e MatchmakingTimedOut) MarshalJSON() ([]byte, error) { return endedDetail(&e, &e.TicketEnded) }

// MarshalJSON writes the event as the detail of FlexMatch's MatchmakingCancelled event.
func (e MatchmakingCancelled) MarshalJSON() ([]byte, error) { return endedDetail(&e, &e.TicketEnded) }

// MarshalJSON writes the event as the detail of FlexMatch's MatchmakingFailed event.
func (e MatchmakingFailed) MarshalJSON() ([]byte, error) { return endedDetail(&e, &e.TicketEnded) }

// MarshalJSON writes the event in the shape of the other events (FlexMatch has no such event):
// the backfill ticket as the only ticket, gameSessionInfo with the session's ARN and its
// players and teams, and the session's "matchmakerData" as a JSON object. It has no top-level
// matchId: the session's match ID is in matchmakerData, and consumers that tell events apart by
// matchId and type must not merge a session's successive updates.
func (e MatchmakingDataUpdated) MarshalJSON() ([]byte, error) {
	d := sessionDetail(&e, &e.SessionEvent, false)
	for _, t := range e.MatchmakerData.Teams {
		for _, p := range t.Players {
			d.GameSessionInfo.Players = append(d.GameSessionInfo.Players, EventPlayer{PlayerID: p.PlayerID, Team: t.Name})
		}
	}
	d.MatchmakerData = &e.MatchmakerData
	return d.marshal()
}

// MarshalJSON writes the event in the shape of MatchmakingFailed (FlexMatch has no such event),
// with the backfill ticket as the only ticket and the session's ARN in gameSessionInfo.
func (e BackfillFailed) MarshalJSON() ([]byte, error) {
	return sessionDetail(&e, &e.SessionEvent, true).marshal()
}

// MarshalJSON writes the event in the shape of MatchmakingTimedOut (FlexMatch has no such
// event), with the backfill ticket as the only ticket and the session's ARN in gameSessionInfo.
func (e BackfillTimedOut) MarshalJSON() ([]byte, error) {
	return sessionDetail(&e, &e.SessionEvent, true).marshal()
}

// MarshalJSON writes the event in the shape of MatchmakingCancelled (FlexMatch has no such
// event), with the backfill ticket as the only ticket and the session's ARN in gameSessionInfo.
func (e BackfillCancelled) MarshalJSON() ([]byte, error) {
	return sessionDetail(&e, &e.SessionEvent, true).marshal()
}

// MarshalJSON writes the ticket as FlexMatch's events show it: startTime in RFC 3339 (UTC,
// milliseconds), left out when zero, and players always an array.
func (t EventTicket) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		TicketID  string        `json:"ticketId"`
		StartTime string        `json:"startTime,omitempty"`
		Players   []EventPlayer `json:"players"`
	}{t.TicketID, formatTime(t.StartTime), nonNil(t.Players)})
}

// MarshalJSON writes the ticket in the shape of FlexMatch's MatchmakingTicket, with the member
// names of FlexMatch's events: ticketId, status, statusReason, statusMessage, startTime,
// endTime, players (each with playerId, playerAttributes, team, latencyInMs),
// gameSessionConnectionInfo (its gameSessionArn) and estimatedWaitTime in whole seconds,
// rounded up. Empty members and zero times are left out, except ticketId, status and players.
// Beyond FlexMatch it writes matchId, and backfill (true) for a backfill ticket.
// FlexMatch's configurationName and configurationArn are not part of a Ticket.
func (t Ticket) MarshalJSON() ([]byte, error) {
	type player struct {
		PlayerID    string     `json:"playerId"`
		Attributes  Attributes `json:"playerAttributes,omitempty"`
		Team        string     `json:"team,omitempty"`
		LatencyInMs Latencies  `json:"latencyInMs,omitempty"`
	}
	type connection struct {
		GameSessionArn string `json:"gameSessionArn"`
	}
	out := struct {
		TicketID          string       `json:"ticketId"`
		Status            TicketStatus `json:"status"`
		StatusReason      string       `json:"statusReason,omitempty"`
		StatusMessage     string       `json:"statusMessage,omitempty"`
		StartTime         string       `json:"startTime,omitempty"`
		EndTime           string       `json:"endTime,omitempty"`
		Players           []player     `json:"players"`
		MatchID           string       `json:"matchId,omitempty"`
		Connection        *connection  `json:"gameSessionConnectionInfo,omitempty"`
		EstimatedWaitTime int64        `json:"estimatedWaitTime,omitempty"` // seconds
		Backfill          bool         `json:"backfill,omitempty"`
	}{
		TicketID: t.TicketID, Status: t.Status, StatusReason: t.StatusReason, StatusMessage: t.StatusMessage,
		StartTime: formatTime(t.StartTime), EndTime: formatTime(t.EndTime),
		Players: make([]player, len(t.Players)), MatchID: t.MatchID, Backfill: t.Backfill,
		EstimatedWaitTime: ceilSeconds(t.EstimatedWaitTime),
	}
	for i, p := range t.Players {
		out.Players[i] = player{PlayerID: p.PlayerID, Attributes: p.Attributes, Team: p.Team, LatencyInMs: p.LatencyInMs}
	}
	if t.GameSessionArn != "" {
		out.Connection = &connection{GameSessionArn: t.GameSessionArn}
	}
	return json.Marshal(out)
}

// ceilSeconds is d in whole seconds, rounded up so that a short positive estimate is not
// written as none.
func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64(math.Ceil(d.Seconds()))
}

// Envelope is an event in the EventBridge envelope that FlexMatch delivers its events in, for
// a host that forwards events to consumers written for FlexMatch. NewEnvelope makes one; its
// fields are also what an EventBridge PutEvents entry takes, with Detail as the entry's
// Detail.
//
// In JSON the members are version, id, detail-type, source, account, time (RFC 3339 in UTC
// with milliseconds, left out when zero), region, resources (always an array) and detail.
type Envelope struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       time.Time       `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// MarshalJSON writes the envelope with FlexMatch's member names and time format.
func (v Envelope) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Version    string          `json:"version"`
		ID         string          `json:"id"`
		DetailType string          `json:"detail-type"`
		Source     string          `json:"source"`
		Account    string          `json:"account"`
		Time       string          `json:"time,omitempty"`
		Region     string          `json:"region"`
		Resources  []string        `json:"resources"`
		Detail     json.RawMessage `json:"detail"`
	}{v.Version, v.ID, v.DetailType, v.Source, v.Account, formatTime(v.Time), v.Region, nonNil(v.Resources), v.Detail})
}

// EnvelopeOptions holds what an EventBridge envelope says that an event does not. Empty
// fields are written empty, except Source.
type EnvelopeOptions struct {
	// Account is the account ID, such as "123456789012".
	Account string
	// Region is the region, such as "us-west-2".
	Region string
	// ConfigurationArn is the matchmaking configuration's ARN, the envelope's only resource;
	// empty, resources is an empty array.
	ConfigurationArn string
	// Namespace tells apart the event streams of Matchmakers that share a ConfigurationArn,
	// such as successive runs of one host, whose Seq restarts at 1. Give each run its own (a
	// random UUID at startup, say) for IDs unique across runs; fixed, the IDs are reproducible.
	Namespace string
	// Source is the envelope's source; default "aws.gamelift", FlexMatch's. EventBridge refuses
	// sources starting with "aws." in PutEvents, so a host that publishes to an event bus sets
	// its own.
	Source string
}

// Constants of FlexMatch's envelope.
const (
	envelopeVersion    = "0"
	envelopeDetailType = "GameLift Matchmaking Event"
	envelopeSource     = "aws.gamelift"
)

// envelopeIDSpace is the UUID namespace of envelope IDs.
var envelopeIDSpace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/seed-04d22514/matchmaker#envelope"))

// NewEnvelope wraps e in the EventBridge envelope FlexMatch delivers its events in: version
// "0", detail-type "GameLift Matchmaking Event", source "aws.gamelift" (see
// EnvelopeOptions.Source), the event's Time, resources holding opts.ConfigurationArn, and the
// event's JSON as detail.
//
// The ID is a version-5 UUID of opts.Namespace, opts.ConfigurationArn and the event's Seq: the
// same event always gets the same ID, so a consumer can drop an event delivered twice, and tests
// can compare envelopes. It fails only if e is nil or its JSON cannot be written.
func NewEnvelope(e Event, opts EnvelopeOptions) (Envelope, error) {
	if e == nil {
		return Envelope{}, errors.New("matchmaker: NewEnvelope of a nil event")
	}
	detail, err := json.Marshal(e)
	if err != nil {
		return Envelope{}, err
	}
	h := e.header()
	env := Envelope{
		Version:    envelopeVersion,
		ID:         envelopeID(opts, h.Seq),
		DetailType: envelopeDetailType,
		Source:     opts.Source,
		Account:    opts.Account,
		Time:       h.Time,
		Region:     opts.Region,
		Resources:  []string{},
		Detail:     detail,
	}
	if env.Source == "" {
		env.Source = envelopeSource
	}
	if opts.ConfigurationArn != "" {
		env.Resources = []string{opts.ConfigurationArn}
	}
	return env, nil
}

// envelopeID is the envelope ID of the event with sequence number seq. The strings are quoted,
// so that no two sets of options give the same name.
func envelopeID(opts EnvelopeOptions, seq uint64) string {
	name := strconv.Quote(opts.Namespace) + strconv.Quote(opts.ConfigurationArn) + strconv.FormatUint(seq, 10)
	return uuid.NewSHA1(envelopeIDSpace, []byte(name)).String()
}

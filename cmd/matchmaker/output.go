package main

// This file holds the output of the run command: one JSON object per event, in the field names
// DESIGN.md section 6 fixes, plus a few more.

import (
	"fmt"
	"reflect"
	"time"

	"github.com/seed-04d22514/matchmaker"
)

// line is one output object. Every line has time, type and tickets; the other fields appear
// when the event has them.
type line struct {
	Time    float64      `json:"time"`
	Type    string       `json:"type"`
	Seq     uint64       `json:"seq,omitempty"`
	Step    *int         `json:"step,omitempty"` // Error lines: the rejected step's index
	MatchID string       `json:"matchId,omitempty"`
	Tickets []lineTicket `json:"tickets"`

	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`

	GameSessionArn   string                     `json:"gameSessionArn,omitempty"`
	BackfillTicketID string                     `json:"backfillTicketId,omitempty"`
	MatchmakerData   *matchmaker.MatchmakerData `json:"matchmakerData,omitempty"`

	AcceptanceRequired       *bool                   `json:"acceptanceRequired,omitempty"`
	AcceptanceTimeoutSeconds float64                 `json:"acceptanceTimeoutSeconds,omitempty"`
	Acceptance               string                  `json:"acceptance,omitempty"`
	Region                   string                  `json:"region,omitempty"`
	RuleEvaluationMetrics    []matchmaker.RuleMetric `json:"ruleEvaluationMetrics,omitempty"`
}

type lineTicket struct {
	TicketID string       `json:"ticketId"`
	Players  []linePlayer `json:"players"`
}

type linePlayer struct {
	PlayerID string `json:"playerId"`
	Team     string `json:"team,omitempty"`
	Accepted *bool  `json:"accepted,omitempty"`
}

// eventLine converts an event to its output line; start is the scenario's time zero.
func eventLine(e matchmaker.Event, start time.Time) line {
	l := line{Type: reflect.TypeOf(e).Elem().Name(), Tickets: []lineTicket{}}
	var h matchmaker.Header
	switch e := e.(type) {
	case *matchmaker.MatchmakingSearching:
		h = e.Header
		l.Tickets = ticketsOf(e.Tickets)
	case *matchmaker.PotentialMatchCreated:
		h = e.Header
		l.MatchID, l.Tickets = e.MatchID, ticketsOf(e.Tickets)
		l.AcceptanceRequired = &e.AcceptanceRequired
		if e.AcceptanceRequired {
			l.AcceptanceTimeoutSeconds = e.AcceptanceTimeout.Seconds()
		}
		l.RuleEvaluationMetrics, l.Region, l.GameSessionArn = e.RuleEvaluationMetrics, e.Region, e.GameSessionArn
	case *matchmaker.AcceptMatch:
		h = e.Header
		l.MatchID, l.Tickets = e.MatchID, ticketsOf(e.Tickets)
	case *matchmaker.AcceptMatchCompleted:
		h = e.Header
		l.MatchID, l.Tickets, l.Acceptance = e.MatchID, ticketsOf(e.Tickets), e.Acceptance
	case *matchmaker.MatchmakingSucceeded:
		h = e.Header
		l.MatchID, l.Tickets, l.GameSessionArn = e.MatchID, ticketsOf(e.Tickets), e.GameSessionInfo.GameSessionArn
	case *matchmaker.MatchmakingTimedOut:
		h = l.fillEnded(&e.TicketEnded)
	case *matchmaker.MatchmakingCancelled:
		h = l.fillEnded(&e.TicketEnded)
	case *matchmaker.MatchmakingFailed:
		h = l.fillEnded(&e.TicketEnded)
	case *matchmaker.MatchmakingDataUpdated:
		h = l.fillSession(&e.SessionEvent)
		l.MatchmakerData = &e.MatchmakerData
		l.MatchID = e.MatchmakerData.MatchID
		if len(l.Tickets) == 1 {
			l.Tickets[0].Players = rosterOf(e.MatchmakerData)
		}
	case *matchmaker.BackfillFailed:
		h = l.fillSession(&e.SessionEvent)
	case *matchmaker.BackfillTimedOut:
		h = l.fillSession(&e.SessionEvent)
	case *matchmaker.BackfillCancelled:
		h = l.fillSession(&e.SessionEvent)
	default:
		// A new event type the command does not know yet still prints its time and type.
		l.Message = fmt.Sprintf("%+v", e)
	}
	l.Seq = h.Seq
	if !h.Time.IsZero() {
		l.Time = h.Time.Sub(start).Seconds()
	}
	return l
}

// errorLine reports a rejected step.
func errorLine(at float64, index int, err error) line {
	return line{Time: at, Type: "Error", Step: &index, Message: err.Error(), Tickets: []lineTicket{}}
}

// fillEnded fills an event that ends tickets without a match and returns its header.
func (l *line) fillEnded(e *matchmaker.TicketEnded) matchmaker.Header {
	l.Tickets, l.Reason, l.Message = ticketsOf(e.Tickets), e.Reason, e.Message
	l.MatchID, l.RuleEvaluationMetrics = e.MatchID, e.RuleEvaluationMetrics
	return e.Header
}

// fillSession fills a game-session event and returns its header; the event's only ticket is
// the backfill ticket, if any.
func (l *line) fillSession(e *matchmaker.SessionEvent) matchmaker.Header {
	l.GameSessionArn, l.BackfillTicketID, l.Reason, l.Message = e.GameSessionArn, e.BackfillTicketID, e.Reason, e.Message
	if e.BackfillTicketID != "" {
		l.Tickets = []lineTicket{{TicketID: e.BackfillTicketID, Players: []linePlayer{}}}
	}
	return e.Header
}

func ticketsOf(ts []matchmaker.EventTicket) []lineTicket {
	out := make([]lineTicket, len(ts))
	for i, t := range ts {
		out[i] = lineTicket{TicketID: t.TicketID, Players: make([]linePlayer, len(t.Players))}
		for j, p := range t.Players {
			out[i].Players[j] = linePlayer{PlayerID: p.PlayerID, Team: p.Team, Accepted: p.Accepted}
		}
	}
	return out
}

// rosterOf lists a game session's players with their teams.
func rosterOf(d matchmaker.MatchmakerData) []linePlayer {
	out := []linePlayer{}
	for _, t := range d.Teams {
		for _, p := range t.Players {
			out = append(out, linePlayer{PlayerID: p.PlayerID, Team: t.Name})
		}
	}
	return out
}

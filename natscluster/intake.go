package natscluster

// This file holds the intake: the requests a node publishes to a partition's intake stream,
// how the owner applies them, and the results it records in the journal for the caller's node
// to return.

import (
	"encoding/json"
	"errors"
	"time"
	"unicode/utf8"

	mm "github.com/seed-04d22514/matchmaker"
)

// Request operations, as they appear in an intake message.
const (
	opStart         = "start"
	opStop          = "stop"
	opAccept        = "accept"
	opStartBackfill = "backfill"
	opStopBackfill  = "stopBackfill"
	opAck           = "ack"
	opRemovePlayers = "removePlayers"
	opAddPlayers    = "addPlayers"
	opEndSession    = "endSession"
	opCompletePlace = "completePlacement"
	opFailPlace     = "failPlacement"
)

// request is the body of an intake message.
type request struct {
	Op       string                      `json:"op"`
	ID       string                      `json:"id,omitempty"` // a ticket, game session or placement
	Start    *mm.StartMatchmakingInput   `json:"start,omitempty"`
	Accept   *mm.AcceptMatchInput        `json:"accept,omitempty"`
	Backfill *mm.StartMatchBackfillInput `json:"backfill,omitempty"`
	IDs      []string                    `json:"ids,omitempty"`     // removePlayers
	Players  []mm.Player                 `json:"players,omitempty"` // addPlayers
	Placed   *mm.PlacedGameSession       `json:"placed,omitempty"`  // completePlacement
	Message  string                      `json:"message,omitempty"` // failPlacement
	Retry    bool                        `json:"retry,omitempty"`   // failPlacement
}

// result is what the owner's Matchmaker returned for one intake message; the journal message
// that contains the request carries it, so any node following the journal answers its caller.
type result struct {
	Seq    uint64     `json:"seq"` // the intake message's stream sequence
	Err    *wireError `json:"err,omitempty"`
	Ticket string     `json:"ticket,omitempty"` // the ticket the request created, for start and backfill
	Ack    *wireAck   `json:"ack,omitempty"`
	// Lost says the result's details did not fit in the journal message: the request took
	// effect, and its caller gets ErrResultUnknown.
	Lost bool `json:"lost,omitempty"`
}

// tickReserve is the room a tick's journal message keeps for the tick's own entry (and the
// journal's first entry), beyond the requests and their results.
const tickReserve = 4 << 10

// maxErrorMessage bounds an error message carried in the journal.
const maxErrorMessage = 1 << 10

// truncate cuts s to at most n bytes, on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// joinJSON makes a JSON array of encoded values; nil for none.
func joinJSON(items [][]byte) []byte {
	if len(items) == 0 {
		return nil
	}
	n := 2
	for _, it := range items {
		n += len(it) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, it...)
	}
	return append(b, ']')
}

// apply runs one intake request on the owner's Matchmaker; it returns the result and the
// Matchmaker's error, if any.
func apply(m *mm.Matchmaker, seq uint64, body []byte) (result, error) {
	r := result{Seq: seq}
	var req request
	if err := json.Unmarshal(body, &req); err != nil {
		r.Err = &wireError{Code: codeInvalid, Message: truncate("natscluster: unreadable request: "+err.Error(), maxErrorMessage)}
		return r, nil
	}
	var err error
	switch {
	case req.Op == opStart && req.Start != nil:
		var t mm.Ticket
		t, err = m.StartMatchmaking(*req.Start)
		r.Ticket = t.TicketID
	case req.Op == opStop:
		err = m.StopMatchmaking(req.ID)
	case req.Op == opAccept && req.Accept != nil:
		err = m.AcceptMatch(*req.Accept)
	case req.Op == opStartBackfill && req.Backfill != nil:
		var t mm.Ticket
		t, err = m.StartMatchBackfill(*req.Backfill)
		r.Ticket = t.TicketID
	case req.Op == opStopBackfill:
		err = m.StopMatchBackfill(req.ID)
	case req.Op == opAck:
		var out mm.AcknowledgeBackfillOutput
		out, err = m.AcknowledgeBackfill(req.ID)
		if err == nil {
			r.Ack = toWireAck(out)
		}
	case req.Op == opRemovePlayers:
		err = m.RemovePlayers(req.ID, req.IDs...)
	case req.Op == opAddPlayers:
		err = m.AddPlayers(req.ID, req.Players...)
	case req.Op == opEndSession:
		err = m.EndGameSession(req.ID)
	case req.Op == opCompletePlace && req.Placed != nil:
		err = m.CompletePlacement(req.ID, *req.Placed)
	case req.Op == opFailPlace:
		err = m.FailPlacement(req.ID, req.Message, req.Retry)
	default:
		err = errors.New("natscluster: unknown request " + req.Op)
	}
	if err != nil {
		r.Err = toWireError(err)
	}
	return r, err
}

// Error codes carried across nodes; each matches the core's sentinel.
const (
	codeInvalid  = "invalid_input"
	codeNotFound = "not_found"
	codeState    = "invalid_state"
	codeLimit    = "limit"
	codeClosed   = "closed"
	codeOther    = "other"
)

// wireError is an error returned by the owner's Matchmaker, as a caller on another node sees it.
type wireError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func toWireError(err error) *wireError {
	code := codeOther
	switch {
	case errors.Is(err, mm.ErrInvalidInput):
		code = codeInvalid
	case errors.Is(err, mm.ErrNotFound):
		code = codeNotFound
	case errors.Is(err, mm.ErrInvalidState):
		code = codeState
	case errors.Is(err, mm.ErrLimit):
		code = codeLimit
	case errors.Is(err, mm.ErrClosed):
		code = codeClosed
	}
	return &wireError{Code: code, Message: truncate(err.Error(), maxErrorMessage)}
}

// RemoteError is an error the partition's owner returned for a request: its message is the
// core's, and errors.Is matches the core's sentinel (matchmaker.ErrInvalidInput, ErrNotFound,
// ErrInvalidState, ErrLimit, ErrClosed) as the error on the owner did. The typed details
// (*matchmaker.ValidationError's problems, for example) are in the message only.
//
// Code "closed" is what a request gets when Node.Close ends its wait for the result on the
// caller's node. The request was stored on the intake: it has been applied, or will be once a
// node owns the partition. Do not simply retry it; read the state first, after CatchUp on a
// node that runs (a retry of a deduplicated request within DedupWindow is safe: see Retrying
// requests in the package documentation).
type RemoteError struct {
	// Code names the sentinel: "invalid_input", "not_found", "invalid_state", "limit",
	// "closed" or "other".
	Code    string
	Message string
}

func (e *RemoteError) Error() string { return e.Message }

// Is reports whether target is the core sentinel that Code names.
func (e *RemoteError) Is(target error) bool {
	switch e.Code {
	case codeInvalid:
		return target == mm.ErrInvalidInput
	case codeNotFound:
		return target == mm.ErrNotFound
	case codeState:
		return target == mm.ErrInvalidState
	case codeLimit:
		return target == mm.ErrLimit
	case codeClosed:
		return target == mm.ErrClosed
	}
	return false
}

func (w *wireError) err() error {
	if w == nil {
		return nil
	}
	return &RemoteError{Code: w.Code, Message: w.Message}
}

// wireTicket is a Ticket in the journal (Ticket's own JSON is FlexMatch's, which is written
// only).
type wireTicket struct {
	TicketID, Status, StatusReason, StatusMessage string
	StartTime, EndTime                            time.Time
	Players                                       []mm.Player
	MatchID, GameSessionArn                       string
	Backfill                                      bool
	EstimatedWaitTime                             time.Duration
}

func toWireTicket(t mm.Ticket) wireTicket {
	return wireTicket{TicketID: t.TicketID, Status: string(t.Status), StatusReason: t.StatusReason,
		StatusMessage: t.StatusMessage, StartTime: t.StartTime, EndTime: t.EndTime, Players: t.Players,
		MatchID: t.MatchID, GameSessionArn: t.GameSessionArn, Backfill: t.Backfill, EstimatedWaitTime: t.EstimatedWaitTime}
}

func (w wireTicket) ticket() mm.Ticket {
	return mm.Ticket{TicketID: w.TicketID, Status: mm.TicketStatus(w.Status), StatusReason: w.StatusReason,
		StatusMessage: w.StatusMessage, StartTime: w.StartTime, EndTime: w.EndTime, Players: w.Players,
		MatchID: w.MatchID, GameSessionArn: w.GameSessionArn, Backfill: w.Backfill, EstimatedWaitTime: w.EstimatedWaitTime}
}

// wireAck is an AcknowledgeBackfillOutput in the journal.
type wireAck struct {
	Status, GameSessionArn string
	Assigned               []wireTicket
	Rejected               []string
	Version                uint64
}

func toWireAck(o mm.AcknowledgeBackfillOutput) *wireAck {
	w := &wireAck{Status: string(o.Status), GameSessionArn: o.GameSessionArn, Rejected: o.Rejected, Version: o.Version}
	for _, t := range o.Assigned {
		w.Assigned = append(w.Assigned, toWireTicket(t))
	}
	return w
}

func (w *wireAck) output() mm.AcknowledgeBackfillOutput {
	o := mm.AcknowledgeBackfillOutput{Status: mm.TicketStatus(w.Status), GameSessionArn: w.GameSessionArn,
		Rejected: w.Rejected, Version: w.Version}
	for _, t := range w.Assigned {
		o.Assigned = append(o.Assigned, t.ticket())
	}
	return o
}

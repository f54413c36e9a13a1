package main

// This file holds the service's HTTP handler: its routes, the JSON bodies it reads and writes,
// and the endpoints for players' tickets and game servers' sessions. The event stream is in
// stream.go; how errors map to statuses, in errors.go.

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/seed-04d22514/matchmaker"
)

// maxBodyBytes bounds a request body. A StartMatchmaking request within FlexMatch's limits fits
// easily; a backfill roster of 199 players fits when each has a few short attributes.
const maxBodyBytes = 64 << 10

// Defaults of the event stream; see server.
const (
	defaultHeartbeat          = 15 * time.Second
	defaultStreamWriteTimeout = 10 * time.Second
)

// server is the service's http.Handler: one Matchmaker behind a Go 1.22 ServeMux. It holds no
// state of its own; every request is one call to the Matchmaker.
type server struct {
	m   *matchmaker.Matchmaker
	log *slog.Logger
	mux *http.ServeMux
	// heartbeat is how often an event stream with nothing to say sends a comment, so that
	// proxies keep it open and a client that vanished without closing is noticed.
	heartbeat time.Duration
	// streamWriteTimeout bounds each write to an event stream: a client that stops reading is
	// dropped (and its ticket stopped) rather than holding its handler forever.
	streamWriteTimeout time.Duration
}

// newServer returns the handler of the service on m. A nil log discards.
func newServer(m *matchmaker.Matchmaker, log *slog.Logger) *server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &server{m: m, log: log, mux: http.NewServeMux(),
		heartbeat: defaultHeartbeat, streamWriteTimeout: defaultStreamWriteTimeout}
	// Players.
	s.mux.HandleFunc("POST /tickets", s.startTicket)
	s.mux.HandleFunc("GET /tickets/{id}", s.describeTicket)
	s.mux.HandleFunc("DELETE /tickets/{id}", s.stopTicket)
	s.mux.HandleFunc("GET /tickets/{id}/events", s.streamTicket)
	// Game servers. A game session ARN holds '/': clients escape it as %2F in the path.
	s.mux.HandleFunc("GET /sessions/{arn}", s.describeSession)
	s.mux.HandleFunc("POST /sessions/{arn}/backfill", s.startBackfill)
	s.mux.HandleFunc("POST /sessions/{arn}/leave", s.leaveSession)
	s.mux.HandleFunc("POST /backfills/{id}/ack", s.acknowledgeBackfill)
	s.mux.HandleFunc("DELETE /backfills/{id}", s.stopBackfill)
	return s
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// startTicket serves POST /tickets: a StartMatchmaking request in GameLift's shape.
func (s *server) startTicket(w http.ResponseWriter, r *http.Request) {
	var in matchmaker.StartMatchmakingInput
	if !s.decode(w, r, &in) {
		return
	}
	t, err := s.m.StartMatchmaking(in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/tickets/"+url.PathEscape(t.TicketID))
	s.writeJSON(w, http.StatusCreated, t)
}

// describeTicket serves GET /tickets/{id}: the ticket while it is active or retained.
func (s *server) describeTicket(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	found := s.m.DescribeMatchmaking(id)
	if len(found) == 0 {
		s.fail(w, r, &matchmaker.NotFoundError{Kind: "ticket", ID: id})
		return
	}
	s.writeJSON(w, http.StatusOK, found[0])
}

// stopTicket serves DELETE /tickets/{id}.
func (s *server) stopTicket(w http.ResponseWriter, r *http.Request) {
	if err := s.m.StopMatchmaking(r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// sessionResponse is a matchmaker.GameSession in JSON.
type sessionResponse struct {
	GameSessionArn   string                    `json:"gameSessionArn"`
	MatchmakerData   matchmaker.MatchmakerData `json:"matchmakerData"`
	Version          uint64                    `json:"version"`
	BackfillTicketID string                    `json:"backfillTicketId,omitempty"`
	AutoBackfill     bool                      `json:"autoBackfill"`
}

// describeSession serves GET /sessions/{arn}: the session's roster as matchmaker data.
func (s *server) describeSession(w http.ResponseWriter, r *http.Request) {
	gs, err := s.m.DescribeGameSession(r.PathValue("arn"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, sessionResponse{GameSessionArn: gs.GameSessionArn, MatchmakerData: gs.MatchmakerData,
		Version: gs.Version, BackfillTicketID: gs.BackfillTicketID, AutoBackfill: gs.AutoBackfill})
}

// startBackfill serves POST /sessions/{arn}/backfill: a StartMatchBackfill request in GameLift's
// shape, with every player now in the session and their teams. The session is the one in the
// path; the body may leave GameSessionArn out.
func (s *server) startBackfill(w http.ResponseWriter, r *http.Request) {
	var in matchmaker.StartMatchBackfillInput
	if !s.decode(w, r, &in) {
		return
	}
	arn := r.PathValue("arn")
	if in.GameSessionArn != "" && in.GameSessionArn != arn {
		s.fail(w, r, &matchmaker.ValidationError{Input: "StartMatchBackfill", Problems: []matchmaker.FieldError{
			{Path: "GameSessionArn", Message: "differs from the game session in the URL"}}})
		return
	}
	in.GameSessionArn = arn
	t, err := s.m.StartMatchBackfill(in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/tickets/"+url.PathEscape(t.TicketID))
	s.writeJSON(w, http.StatusCreated, t)
}

// leaveInput is the body of POST /sessions/{arn}/leave.
type leaveInput struct {
	PlayerIDs []string `json:"PlayerIds"`
}

// leaveSession serves POST /sessions/{arn}/leave: players who left the game.
func (s *server) leaveSession(w http.ResponseWriter, r *http.Request) {
	var in leaveInput
	if !s.decode(w, r, &in) {
		return
	}
	if err := s.m.RemovePlayers(r.PathValue("arn"), in.PlayerIDs...); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// ackResponse is a matchmaker.AcknowledgeBackfillOutput in JSON; the lists are always arrays.
type ackResponse struct {
	Status         matchmaker.TicketStatus `json:"status"`
	GameSessionArn string                  `json:"gameSessionArn"`
	Assigned       []matchmaker.Ticket     `json:"assigned"`
	Rejected       []string                `json:"rejected"`
	Version        uint64                  `json:"version"`
}

// acknowledgeBackfill serves POST /backfills/{id}/ack: the game server renews its backfill
// (Config.BackfillAcknowledgeTimeout) and takes the tickets assigned since its last call.
func (s *server) acknowledgeBackfill(w http.ResponseWriter, r *http.Request) {
	out, err := s.m.AcknowledgeBackfill(r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	resp := ackResponse{Status: out.Status, GameSessionArn: out.GameSessionArn, Assigned: out.Assigned,
		Rejected: out.Rejected, Version: out.Version}
	if resp.Assigned == nil {
		resp.Assigned = []matchmaker.Ticket{}
	}
	if resp.Rejected == nil {
		resp.Rejected = []string{}
	}
	s.writeJSON(w, http.StatusOK, resp)
}

// stopBackfill serves DELETE /backfills/{id}.
func (s *server) stopBackfill(w http.ResponseWriter, r *http.Request) {
	if err := s.m.StopMatchBackfill(r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// decode reads the request body, at most maxBodyBytes of one JSON value with no unknown
// members, into v. On failure it writes the response and returns false.
func (s *server) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	switch {
	case errors.Is(err, io.EOF):
		err = errors.New("the body is empty; want a JSON object")
	case err == nil:
		if _, extra := dec.Token(); !errors.Is(extra, io.EOF) {
			err = errors.New("the body holds more than one JSON value")
			if tooLarge := new(http.MaxBytesError); errors.As(extra, &tooLarge) {
				err = extra
			}
		}
	}
	if err != nil {
		s.badBody(w, err)
		return false
	}
	return true
}

// writeJSON writes v as the response body with the given status.
func (s *server) writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		s.log.Error("cannot encode response", "err", err)
		status, data = http.StatusInternalServerError, []byte(`{"code":"Internal","message":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(data, '\n'))
}

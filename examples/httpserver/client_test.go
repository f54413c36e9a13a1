package main

// This file holds the test kit: a service on a loopback httptest server whose Matchmaker the
// test ticks at chosen times, an HTTP client for its JSON endpoints, and a reader of its event
// streams. Nothing waits on the wall clock except the bound on how long a test waits for
// something that should happen.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seed-04d22514/matchmaker"
)

// t0 is the Matchmaker's first instant in every test.
var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// patience bounds every wait for something the service should do.
const patience = 10 * time.Second

// env is one service under test.
type env struct {
	t   *testing.T
	m   *matchmaker.Matchmaker
	srv *http.Server
	ts  *httptest.Server
	now time.Time
}

// newEnv starts the service on the built-in rule set, with cfg and opts, on a loopback server
// configured as main configures it. The test is the Matchmaker's clock: it calls Tick, and
// requests take the time of the latest tick.
func newEnv(t *testing.T, cfg matchmaker.Config, opts ...matchmaker.Option) *env {
	t.Helper()
	return newTunedEnv(t, cfg, nil, opts...)
}

// newTunedEnv is newEnv with tune, if not nil, applied to the HTTP server before it starts.
func newTunedEnv(t *testing.T, cfg matchmaker.Config, tune func(*http.Server), opts ...matchmaker.Option) *env {
	t.Helper()
	cfg.RuleSet = matchmaker.MustParseRuleSet(defaultRules)
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = time.Minute
	}
	m, err := matchmaker.New(cfg, opts...)
	require.NoError(t, err)
	require.NoError(t, m.Tick(t0))
	e := &env{t: t, m: m, srv: newHTTPServer(m, slog.New(slog.DiscardHandler)), now: t0}
	if tune != nil {
		tune(e.srv)
	}
	e.ts = httptest.NewUnstartedServer(e.srv.Handler)
	e.ts.Config = e.srv
	e.ts.Start()
	t.Cleanup(e.ts.Close)
	// Cleanups run last-in first-out: closing the Matchmaker first ends the open streams, which
	// ts.Close waits for.
	t.Cleanup(func() { _ = m.Close() })
	return e
}

// tick advances the Matchmaker's clock by d and runs a matchmaking pass.
func (e *env) tick(d time.Duration) {
	e.t.Helper()
	e.now = e.now.Add(d)
	require.NoError(e.t, e.m.Tick(e.now))
}

// do sends a request with body (JSON-encoded unless it is a string) and returns the status and
// the response body.
func (e *env) do(method, path string, body any) (int, []byte) {
	e.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		require.NoError(e.t, err)
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.ts.URL+path, r)
	require.NoError(e.t, err)
	resp, err := e.ts.Client().Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return resp.StatusCode, data
}

// queue posts a one-player ticket and returns its ID.
func (e *env) queue(ticketID, playerID string, skill float64) string {
	e.t.Helper()
	status, body := e.do("POST", "/tickets", matchmaker.StartMatchmakingInput{TicketID: ticketID,
		Players: []matchmaker.Player{{PlayerID: playerID, Attributes: matchmaker.Attributes{"skill": matchmaker.NumberValue(skill)}}}})
	require.Equal(e.t, http.StatusCreated, status, "%s", body)
	return decode[ticketJSON](e.t, body).TicketID
}

// ticket returns a ticket as GET /tickets/{id} shows it.
func (e *env) ticket(id string) ticketJSON {
	e.t.Helper()
	status, body := e.do("GET", "/tickets/"+id, nil)
	require.Equal(e.t, http.StatusOK, status, "%s", body)
	return decode[ticketJSON](e.t, body)
}

// ticketJSON is the part of a ticket's JSON the tests read.
type ticketJSON struct {
	TicketID     string       `json:"ticketId"`
	Status       string       `json:"status"`
	StatusReason string       `json:"statusReason"`
	Players      []playerJSON `json:"players"`
	Backfill     bool         `json:"backfill"`
}

type playerJSON struct {
	PlayerID string `json:"playerId"`
	Team     string `json:"team"`
}

// eventJSON is the part of an event's JSON the tests read.
type eventJSON struct {
	Type    string `json:"type"`
	Reason  string `json:"reason"`
	Tickets []struct {
		TicketID string       `json:"ticketId"`
		Players  []playerJSON `json:"players"`
	} `json:"tickets"`
	GameSessionInfo struct {
		GameSessionArn string       `json:"gameSessionArn"`
		Players        []playerJSON `json:"players"`
	} `json:"gameSessionInfo"`
}

func decode[T any](t *testing.T, data []byte) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(data, &v), "%s", data)
	return v
}

// sse is one Server-Sent Event, or a comment (name ":").
type sse struct {
	name, data string
}

// stream is an open event stream.
type stream struct {
	t      *testing.T
	events chan sse // closed when the stream ends
	cancel context.CancelFunc
}

// open opens GET /tickets/{id}/events and reads it in a goroutine until it ends or the test
// closes it (disconnect) or finishes.
func (e *env) open(id string) *stream {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", e.ts.URL+"/tickets/"+id+"/events", nil)
	require.NoError(e.t, err)
	resp, err := e.ts.Client().Do(req)
	require.NoError(e.t, err)
	require.Equal(e.t, http.StatusOK, resp.StatusCode)
	require.Equal(e.t, "text/event-stream", resp.Header.Get("Content-Type"))
	s := &stream{t: e.t, events: make(chan sse), cancel: cancel}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer resp.Body.Close()
		s.read(ctx, resp.Body)
	}()
	e.t.Cleanup(func() { cancel(); <-done })
	return s
}

// read parses the stream into s.events.
func (s *stream) read(ctx context.Context, body io.Reader) {
	defer close(s.events)
	sc := bufio.NewScanner(body)
	var ev sse
	for sc.Scan() {
		line := sc.Text()
		var out sse
		switch {
		case line == "":
			if ev.name == "" {
				continue
			}
			out, ev = ev, sse{}
		case strings.HasPrefix(line, ":"):
			out = sse{name: ":", data: strings.TrimSpace(line[1:])}
		case strings.HasPrefix(line, "event: "):
			ev.name = line[len("event: "):]
			continue
		case strings.HasPrefix(line, "data: "):
			ev.data += line[len("data: "):]
			continue
		default:
			continue
		}
		select {
		case s.events <- out:
		case <-ctx.Done():
			return
		}
	}
}

// next returns the next event, skipping comments.
func (s *stream) next() sse {
	s.t.Helper()
	for {
		ev := s.receive()
		if ev.name != ":" {
			return ev
		}
	}
}

// nextComment returns the next comment; the stream must send no event before it.
func (s *stream) nextComment() string {
	s.t.Helper()
	ev := s.receive()
	require.Equal(s.t, ":", ev.name, "want a comment, got event %s %s", ev.name, ev.data)
	return ev.data
}

func (s *stream) receive() sse {
	s.t.Helper()
	select {
	case ev, ok := <-s.events:
		require.True(s.t, ok, "the stream ended")
		return ev
	case <-time.After(patience):
		s.t.Fatalf("no event within %v", patience)
		return sse{}
	}
}

// expect returns the next event, which must be named name.
func (s *stream) expect(name string) sse {
	s.t.Helper()
	ev := s.next()
	require.Equal(s.t, name, ev.name, "%s", ev.data)
	return ev
}

// ended checks that the server ends the stream with no further event.
func (s *stream) ended() {
	s.t.Helper()
	deadline := time.After(patience)
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				return
			}
			require.Equal(s.t, ":", ev.name, "want the end of the stream, got %s %s", ev.name, ev.data)
		case <-deadline:
			s.t.Fatalf("the stream did not end within %v", patience)
		}
	}
}

// disconnect closes the stream from the client's side, as a player who quits the game.
func (s *stream) disconnect() { s.cancel() }

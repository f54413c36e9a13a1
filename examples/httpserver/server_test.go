package main

// End-to-end tests: each starts the service on a loopback server, drives it over HTTP as players
// and game servers would, and ticks its Matchmaker at chosen times.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-04d22514/matchmaker"
)

func TestDefaultRuleSetIsOneVersusOne(t *testing.T) {
	rs, err := matchmaker.ParseRuleSet(defaultRules)
	require.NoError(t, err)
	assert.Equal(t, 2, rs.MaxPlayers())
}

// Two players queue, each follows its ticket over SSE, and both see the match with their teams.
func TestTwoPlayersMatchOverEventStreams(t *testing.T) {
	e := newEnv(t, matchmaker.Config{})
	ids := []string{e.queue("t-ann", "ann", 1500), e.queue("t-bob", "bob", 1540)}
	streams := make([]*stream, len(ids))
	for i, id := range ids {
		streams[i] = e.open(id)
		// The snapshot is sent once the watcher is registered: nothing after it can be missed.
		snap := decode[ticketJSON](t, []byte(streams[i].expect(snapshotEvent).data))
		assert.Equal(t, id, snap.TicketID)
		assert.Equal(t, "QUEUED", snap.Status)
	}

	e.tick(time.Second)

	teams := map[string]string{}
	for i, s := range streams {
		assert.Equal(t, "MatchmakingSearching", decode[eventJSON](t, []byte(s.expect("MatchmakingSearching").data)).Type)
		s.expect("PotentialMatchCreated")
		won := decode[eventJSON](t, []byte(s.expect("MatchmakingSucceeded").data))
		require.Len(t, won.Tickets, 2, "one event lists the whole match")
		for _, tk := range won.Tickets {
			for _, p := range tk.Players {
				teams[p.PlayerID] = p.Team
			}
		}
		s.ended()
		assert.Equal(t, "COMPLETED", e.ticket(ids[i]).Status, "a stream that ends with its ticket stops nothing")
	}
	assert.ElementsMatch(t, []string{"red", "blue"}, []string{teams["ann"], teams["bob"]})

	// A stream opened on an ended ticket sends the outcome and ends.
	late := e.open(ids[0])
	assert.Equal(t, "COMPLETED", decode[ticketJSON](t, []byte(late.expect(snapshotEvent).data)).Status)
	late.ended()
}

// A player who closes the game mid-stream leaves the queue.
func TestDisconnectStopsTicket(t *testing.T) {
	e := newEnv(t, matchmaker.Config{})
	id := e.queue("t-cat", "cat", 1500)
	s := e.open(id)
	s.expect(snapshotEvent)
	e.tick(time.Second)
	s.expect("MatchmakingSearching")

	s.disconnect()

	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	ended, err := e.m.Wait(ctx, id) // returns once the handler has stopped the ticket
	require.NoError(t, err)
	assert.Equal(t, matchmaker.StatusCancelled, ended.Status)
	got := e.ticket(id)
	assert.Equal(t, "CANCELLED", got.Status)
	assert.Equal(t, matchmaker.ReasonCancelled, got.StatusReason)
}

func TestBadInput(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		status int
		path   string // the field a problem must name, if any
		in     string // words the message must hold
	}{
		{name: "wrong attribute type", body: `{"Players":[{"PlayerId":"a","PlayerAttributes":{"skill":{"S":"high"}}}]}`,
			status: 400, path: "Players[0].PlayerAttributes.skill", in: "number"},
		{name: "no player ID", body: `{"Players":[{"PlayerAttributes":{"skill":{"N":1000}}}]}`,
			status: 400, path: "Players[0].PlayerId", in: "required"},
		{name: "no players", body: `{"Players":[]}`, status: 400, path: "Players"},
		{name: "JSON type", body: `{"Players":[{"PlayerId":7}]}`, status: 400, path: "Players.PlayerId", in: "number"},
		{name: "unknown member", body: `{"Players":[{"PlayerId":"a","Skill":3}]}`, status: 400, in: `unknown field "Skill"`},
		{name: "bad attribute value", body: `{"Players":[{"PlayerId":"a","PlayerAttributes":{"skill":{"N":"x"}}}]}`, status: 400, in: "number"},
		{name: "malformed", body: `{"Players":[`, status: 400},
		{name: "empty", body: ``, status: 400, in: "empty"},
		{name: "two values", body: `{"Players":[{"PlayerId":"a"}]} {}`, status: 400, in: "more than one"},
		{name: "too large", body: `{"TicketId":"` + strings.Repeat("x", maxBodyBytes) + `"}`, status: 413},
	}
	e := newEnv(t, matchmaker.Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := e.do("POST", "/tickets", tt.body)
			require.Equal(t, tt.status, status, "%s", body)
			got := decode[errorBody](t, body)
			assert.Contains(t, got.Message, tt.in)
			if tt.path != "" {
				var paths []string
				for _, p := range got.Problems {
					paths = append(paths, p.Path)
				}
				assert.Contains(t, paths, tt.path, "%s", body)
			}
		})
	}
	assert.Zero(t, e.m.Stats().Started, "no bad request queued a ticket")
}

func TestNotFound(t *testing.T) {
	e := newEnv(t, matchmaker.Config{BackfillAcknowledgeTimeout: time.Minute})
	for _, r := range []struct{ method, path, body string }{
		{"GET", "/tickets/nope", ""},
		{"GET", "/tickets/nope/events", ""},
		{"DELETE", "/tickets/nope", ""},
		{"GET", "/sessions/nope", ""},
		{"POST", "/sessions/nope/leave", `{"PlayerIds":["a"]}`},
		{"POST", "/backfills/nope/ack", ""},
		{"DELETE", "/backfills/nope", ""},
	} {
		status, body := e.do(r.method, r.path, r.body)
		assert.Equal(t, http.StatusNotFound, status, "%s %s: %s", r.method, r.path, body)
		assert.Equal(t, "NotFound", decode[errorBody](t, body).Code)
	}
}

func TestConflictLimitAndClosed(t *testing.T) {
	e := newEnv(t, matchmaker.Config{}, matchmaker.WithMaxWatchers(1))
	e.queue("a", "ann", 1000)
	e.queue("b", "bob", 1000)
	e.tick(time.Second)
	status, body := e.do("DELETE", "/tickets/a", nil)
	assert.Equal(t, http.StatusConflict, status, "a completed ticket cannot be stopped: %s", body)

	e.queue("c", "cat", 1000)
	s := e.open("c")
	s.expect(snapshotEvent)
	req, err := http.NewRequest("GET", e.ts.URL+"/tickets/c/events", nil)
	require.NoError(t, err)
	resp, err := e.ts.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "one stream per watcher")
	assert.Equal(t, retryAfter, resp.Header.Get("Retry-After"))

	status, _ = e.do("DELETE", "/tickets/c", nil)
	assert.Equal(t, http.StatusNoContent, status)
	cancelled := decode[eventJSON](t, []byte(s.expect("MatchmakingCancelled").data))
	assert.Equal(t, matchmaker.ReasonCancelled, cancelled.Reason)
	s.ended()

	require.NoError(t, e.m.Close())
	status, body = e.do("POST", "/tickets", `{"Players":[{"PlayerId":"dan"}]}`)
	assert.Equal(t, http.StatusServiceUnavailable, status, "%s", body)
}

// A game server asks for a player, one queues and is assigned on the server's acknowledgement;
// then the resident player leaves.
func TestGameServerBackfillFlow(t *testing.T) {
	e := newEnv(t, matchmaker.Config{BackfillAcknowledgeTimeout: 30 * time.Second})
	arn := "arn:aws:gamelift:eu-west-1::gamesession/fleet-1/gs-1"
	session := "/sessions/" + url.PathEscape(arn)

	status, body := e.do("POST", session+"/backfill", matchmaker.StartMatchBackfillInput{TicketID: "bf1",
		Players: []matchmaker.Player{{PlayerID: "resident", Team: "red",
			Attributes: matchmaker.Attributes{"skill": matchmaker.NumberValue(1500)}}}})
	require.Equal(t, http.StatusCreated, status, "%s", body)
	bf := decode[ticketJSON](t, body)
	assert.True(t, bf.Backfill)
	backfill := e.open(bf.TicketID)
	backfill.expect(snapshotEvent)

	id := e.queue("t-joiner", "joiner", 1520)
	player := e.open(id)
	player.expect(snapshotEvent)
	e.tick(time.Second)
	player.expect("MatchmakingSearching")
	player.expect("PotentialMatchCreated")
	assert.Equal(t, "PLACING", e.ticket(id).Status, "assigned, waiting for the game server")

	status, body = e.do("POST", "/backfills/bf1/ack", nil)
	require.Equal(t, http.StatusOK, status, "%s", body)
	ack := decode[ackResponse](t, body)
	assert.Equal(t, arn, ack.GameSessionArn)
	require.Len(t, ack.Assigned, 1)
	assert.Equal(t, id, ack.Assigned[0].TicketID)
	assert.Equal(t, "blue", ack.Assigned[0].Players[0].Team)
	assert.Empty(t, ack.Rejected)

	won := decode[eventJSON](t, []byte(player.expect("MatchmakingSucceeded").data))
	assert.Equal(t, arn, won.GameSessionInfo.GameSessionArn)
	player.ended()
	assert.Equal(t, "COMPLETED", e.ticket(id).Status)

	// The backfill goes on: its stream shows the match and the session's new roster, and stays open.
	for _, name := range []string{"MatchmakingSearching", "PotentialMatchCreated", "MatchmakingSucceeded", "MatchmakingDataUpdated"} {
		backfill.expect(name)
	}

	status, body = e.do("POST", session+"/leave", leaveInput{PlayerIDs: []string{"resident"}})
	require.Equal(t, http.StatusNoContent, status, "%s", body)
	status, body = e.do("GET", session, nil)
	require.Equal(t, http.StatusOK, status, "%s", body)
	var left []string
	for _, team := range decode[sessionResponse](t, body).MatchmakerData.Teams {
		for _, p := range team.Players {
			left = append(left, p.PlayerID)
		}
	}
	assert.Equal(t, []string{"joiner"}, left)

	status, body = e.do("DELETE", "/backfills/bf1", nil)
	require.Equal(t, http.StatusNoContent, status, "%s", body)
	backfill.expect("BackfillCancelled")
	backfill.expect("MatchmakingCancelled")
	backfill.ended()
}

func TestBackfillSessionMustMatchThePath(t *testing.T) {
	e := newEnv(t, matchmaker.Config{})
	status, body := e.do("POST", "/sessions/gs-1/backfill", matchmaker.StartMatchBackfillInput{GameSessionArn: "gs-2",
		Players: []matchmaker.Player{{PlayerID: "a", Team: "red"}}})
	require.Equal(t, http.StatusBadRequest, status, "%s", body)
	assert.Equal(t, "GameSessionArn", decode[errorBody](t, body).Problems[0].Path)
}

// A stream lasts as long as its ticket, beyond the server's read and write timeouts, which
// bound the JSON requests: the heartbeat written after both have passed proves it (and the
// request's context was not cancelled, or the stream would have ended and stopped the ticket).
func TestStreamOutlivesServerTimeouts(t *testing.T) {
	e := newTunedEnv(t, matchmaker.Config{}, func(srv *http.Server) {
		srv.ReadTimeout = 200 * time.Millisecond
		srv.WriteTimeout = 200 * time.Millisecond
		srv.Handler.(*server).heartbeat = 500 * time.Millisecond
	})
	id := e.queue("t-eve", "eve", 1000)
	s := e.open(id)
	s.expect(snapshotEvent)
	assert.Equal(t, "keepalive", s.nextComment())
	e.queue("t-fay", "fay", 1000)
	e.tick(time.Second)
	s.expect("MatchmakingSearching")
	s.expect("PotentialMatchCreated")
	s.expect("MatchmakingSucceeded")
	s.ended()
}

// Shutdown closes the Matchmaker first, so every open stream ends with its ticket's
// cancellation instead of holding Shutdown up.
func TestShutdownEndsStreams(t *testing.T) {
	e := newEnv(t, matchmaker.Config{})
	id := e.queue("t-gus", "gus", 1000)
	s := e.open(id)
	s.expect(snapshotEvent)

	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	require.NoError(t, e.srv.Shutdown(ctx))
	ended := decode[eventJSON](t, []byte(s.expect("MatchmakingCancelled").data))
	assert.Equal(t, matchmaker.ReasonClosed, ended.Reason)
	s.ended()
}

func TestHTTPStatus(t *testing.T) {
	tests := []struct {
		err    error
		status int
	}{
		{&matchmaker.ValidationError{Input: "StartMatchmaking"}, http.StatusBadRequest},
		{&matchmaker.NotFoundError{Kind: "ticket", ID: "x"}, http.StatusNotFound},
		{&matchmaker.StateError{TicketID: "x", Status: matchmaker.StatusCompleted}, http.StatusConflict},
		{&matchmaker.LimitError{Limit: "WithMaxTickets", Max: 1}, http.StatusTooManyRequests},
		{matchmaker.ErrClosed, http.StatusServiceUnavailable},
		{fmt.Errorf("wrapped: %w", &matchmaker.NotFoundError{Kind: "ticket"}), http.StatusNotFound},
		{errors.New("something else"), http.StatusInternalServerError},
	}
	for _, tt := range tests {
		status, _ := httpStatus(tt.err)
		assert.Equal(t, tt.status, status, "%v", tt.err)
	}
}

package main

// This file holds GET /tickets/{id}/events: one ticket's events as a stream of Server-Sent
// Events, from a snapshot to the ticket's terminal event, and what happens to the ticket when
// its client goes away first.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/seed-04d22514/matchmaker"
)

// snapshotEvent names the stream's first event, the ticket as it stood when the stream opened.
const snapshotEvent = "Ticket"

// streamEnd says why an event stream ended.
type streamEnd int

const (
	ticketEnded  streamEnd = iota // the ticket's terminal event (or a terminal snapshot) was sent
	clientGone                    // the client disconnected, or stopped reading
	streamFailed                  // the server's side ended: the watcher was cut off, or an event would not encode
)

// streamTicket serves GET /tickets/{id}/events. The stream sends
//
//	event: Ticket
//	data: {"ticketId":"t1","status":"QUEUED",...}
//
// then, for each event about the ticket, its EventType and its JSON (FlexMatch's event detail):
//
//	event: MatchmakingSucceeded
//	data: {"type":"MatchmakingSucceeded","tickets":[...],"matchId":"...",...}
//
// and ends after the ticket's terminal event. A client that goes away before then stops the
// ticket, as a player who closes the game leaves the queue.
func (s *server) streamTicket(w http.ResponseWriter, r *http.Request) {
	snap, sub, err := s.m.WatchTicket(r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err) // a LimitError here is WithMaxWatchers: one stream per watcher
		return
	}
	defer sub.Close()
	es := s.openStream(w)
	if s.follow(r.Context(), es, sub, snap) == clientGone {
		s.abandon(snap.TicketID)
	}
}

// follow sends the snapshot, then the watcher's events, until the ticket ends, the client goes
// away, or the watcher does.
func (s *server) follow(ctx context.Context, es *eventStream, sub *matchmaker.Subscription, snap matchmaker.Ticket) streamEnd {
	if end, ok := s.send(es, snapshotEvent, snap); !ok {
		return end
	}
	if snap.Status.Terminal() {
		return ticketEnded
	}
	heartbeat := time.NewTicker(s.heartbeat)
	defer heartbeat.Stop()
	events := sub.C()
	for {
		select {
		case <-ctx.Done():
			return clientGone
		case <-heartbeat.C:
			if es.write([]byte(": keepalive\n\n")) != nil {
				return clientGone
			}
		case e, ok := <-events:
			if !ok {
				// Close delivers every ticket's MatchmakingCancelled before it ends the watchers, so
				// this is a cut-off (ErrSlowSubscriber): the client may reconnect for a new snapshot.
				s.sendError(es, sub.Err())
				return streamFailed
			}
			if end, ok := s.send(es, e.EventType(), e); !ok {
				return end
			}
			if s.ends(e, snap) {
				return ticketEnded
			}
		}
	}
}

// ends reports whether e is the terminal event of the watched ticket.
func (s *server) ends(e matchmaker.Event, t matchmaker.Ticket) bool {
	if !slices.Contains(e.TicketIDs(), t.TicketID) {
		return false // an event about a game session that shares the ticket's ID
	}
	switch e.(type) {
	case *matchmaker.MatchmakingCancelled, *matchmaker.MatchmakingTimedOut, *matchmaker.MatchmakingFailed:
		return true
	case *matchmaker.MatchmakingSucceeded:
		// Every match that fills a session lists the session's backfill ticket, which completes
		// with it, unless its game server acknowledges backfills: then it goes on searching.
		return !t.Backfill || s.completed(t.TicketID)
	}
	return false
}

// completed reports whether a ticket has completed, or ended and been forgotten.
func (s *server) completed(id string) bool {
	found := s.m.DescribeMatchmaking(id)
	return len(found) == 0 || found[0].Status == matchmaker.StatusCompleted
}

// abandon stops the ticket of a client that went away while it waited.
func (s *server) abandon(id string) {
	err := s.m.StopMatchmaking(id)
	switch {
	case err == nil, errors.Is(err, matchmaker.ErrClosed), errors.Is(err, matchmaker.ErrNotFound):
	case errors.Is(err, matchmaker.ErrInvalidState):
		// It ended meanwhile, or it waits in PLACING for its game server's acknowledgement,
		// which StopMatchmaking refuses to interrupt: the player is already assigned.
		s.log.Info("ticket of a departed client not stopped", "ticket", id, "err", err)
	default:
		s.log.Warn("cannot stop the ticket of a departed client", "ticket", id, "err", err)
	}
}

// send writes one event. When it fails, end says why the stream must end.
func (s *server) send(es *eventStream, name string, v any) (end streamEnd, ok bool) {
	data, err := json.Marshal(v)
	if err != nil {
		s.log.Error("cannot encode event", "event", name, "err", err)
		s.sendError(es, err)
		return streamFailed, false
	}
	if es.write(fmt.Appendf(nil, "event: %s\ndata: %s\n\n", name, data)) != nil {
		return clientGone, false
	}
	return 0, true
}

// sendError tells the client why the stream ends without its ticket's terminal event.
func (s *server) sendError(es *eventStream, err error) {
	data, _ := json.Marshal(errorBody{Code: "StreamEnded", Message: err.Error()})
	_ = es.write(fmt.Appendf(nil, "event: error\ndata: %s\n\n", data))
}

// eventStream writes Server-Sent Events to one client.
type eventStream struct {
	w            http.ResponseWriter
	rc           *http.ResponseController
	writeTimeout time.Duration
}

// openStream starts an event stream on w. The server's WriteTimeout bounds a whole response,
// and a stream lasts as long as its ticket: each write moves the deadline on instead (see
// write). The ReadTimeout needs nothing: once a request without a body is read, net/http lifts
// the read deadline while it watches for the client to go away.
func (s *server) openStream(w http.ResponseWriter) *eventStream {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // proxies such as nginx: pass each event on at once
	w.WriteHeader(http.StatusOK)
	return &eventStream{w: w, rc: rc, writeTimeout: s.streamWriteTimeout}
}

// write sends p and flushes it, within the stream's write timeout from now.
func (es *eventStream) write(p []byte) error {
	if err := es.rc.SetWriteDeadline(time.Now().Add(es.writeTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	if _, err := es.w.Write(p); err != nil {
		return err
	}
	return es.rc.Flush()
}

// Httpserver is a small matchmaking service: one Matchmaker behind an HTTP API, written with the
// standard library only. Players queue and follow their tickets as Server-Sent Events; game
// servers ask for players to fill their sessions and acknowledge the ones they get.
//
//	go run ./examples/httpserver                                  # the built-in 1v1 rule set, on :8080
//	go run ./examples/httpserver -addr :9000 -rules my-rules.json # a FlexMatch rule set of your own
//
// Flags: -addr, -rules, -request-timeout (a ticket's search, default 2m), -ack-timeout (how
// often a game server must acknowledge its backfill, default 30s; 0 for FlexMatch's backfill,
// which needs no acknowledgement), -max-streams (open event streams, default 10,000) and -tick
// (how often matches form, default 1s).
//
// # Players
//
// POST /tickets queues a ticket. The body is GameLift's StartMatchmaking request; the answer,
// 201, is the ticket in FlexMatch's MatchmakingTicket shape:
//
//	curl -s localhost:8080/tickets -d '{"TicketId": "t1", "Players": [{"PlayerId": "ann",
//	  "PlayerAttributes": {"skill": {"N": 1500}}, "LatencyInMs": {"eu-west-1": 30}}]}'
//	{"ticketId":"t1","status":"QUEUED","startTime":"...","players":[{"playerId":"ann",...}]}
//
// GET /tickets/{id}/events follows the ticket as Server-Sent Events: first the ticket as it
// stands (event "Ticket"), then each event about it, named by its type, with FlexMatch's event
// detail as data. The stream ends after the ticket's terminal event (MatchmakingSucceeded,
// MatchmakingCancelled, MatchmakingTimedOut, MatchmakingFailed). A client that disconnects
// before then stops its ticket: the player closed the game. Comments (": keepalive") keep an
// idle stream open.
//
//	curl -N localhost:8080/tickets/t1/events
//	event: Ticket
//	data: {"ticketId":"t1","status":"QUEUED",...}
//
//	event: MatchmakingSearching
//	data: {"type":"MatchmakingSearching","tickets":[{"ticketId":"t1",...}],...}
//
//	event: PotentialMatchCreated
//	data: {"type":"PotentialMatchCreated","tickets":[...],"matchId":"...",...}
//
//	event: MatchmakingSucceeded
//	data: {"type":"MatchmakingSucceeded","tickets":[{"ticketId":"t1","players":[{"playerId":"ann","team":"red"}]},...],...}
//
// GET /tickets/{id} returns the ticket (while it is active, and for 10 minutes after it ended);
// DELETE /tickets/{id} stops it (204).
//
//	curl -s localhost:8080/tickets/t1
//	curl -s -X DELETE localhost:8080/tickets/t1
//
// # Game servers
//
// A game session's ARN goes in the path with its '/' escaped as %2F. POST
// /sessions/{arn}/backfill asks for players: the body is GameLift's StartMatchBackfill request
// with every player now in the session and their teams; the answer, 201, is the backfill
// ticket. With -ack-timeout set, the game server then calls POST /backfills/{id}/ack at least
// that often; each call answers with the tickets assigned since the previous one (with their
// players' teams), which complete only then. POST /sessions/{arn}/leave reports players who
// left. GET /sessions/{arn} shows the roster as FlexMatch's matchmaker data, and DELETE
// /backfills/{id} stops the backfill.
//
//	arn='arn:aws:gamelift:eu-west-1::gamesession%2Ffleet-1%2Fgs-1'
//	curl -s localhost:8080/sessions/$arn/backfill -d '{"TicketId": "bf1", "Players": [
//	  {"PlayerId": "ann", "Team": "red", "PlayerAttributes": {"skill": {"N": 1500}}}]}'
//	curl -s -X POST localhost:8080/backfills/bf1/ack
//	{"status":"SEARCHING","gameSessionArn":"...","assigned":[{"ticketId":"t2","status":"COMPLETED",...}],"rejected":[],"version":2}
//	curl -s localhost:8080/sessions/$arn/leave -d '{"PlayerIds": ["ann"]}'
//
// # Errors
//
// An error answers with {"code", "message", "problems"}: 400 InvalidInput for a request the
// library refuses (problems lists each field's path, such as
// "Players[0].PlayerAttributes.skill", and what is wrong) or a body that is not the JSON the
// route reads, 404 NotFound, 409 InvalidState (stopping a completed ticket, say), 413 for a body
// over 64 KiB, 429 LimitExceeded when a bound of the Matchmaker is full (tickets, event streams)
// and 503 Closed while the service shuts down.
//
// # Lifecycle
//
// The Matchmaker runs in a goroutine (Run). On SIGINT or SIGTERM the service stops accepting
// connections and closes the Matchmaker, so each open stream sends its ticket's
// MatchmakingCancelled (reason MATCHMAKER_CLOSED) and ends; then it waits for the requests in
// flight, up to 10 seconds.
package main

import (
	"cmp"
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/seed-04d22514/matchmaker"
)

// defaultRules is the built-in rule set: 1v1, skills close at first, wider as the wait grows.
//
//go:embed rules.json
var defaultRules []byte

// shutdownTimeout bounds how long shutdown waits for the requests in flight.
const shutdownTimeout = 10 * time.Second

// config is what the flags set.
type config struct {
	addr           string
	rules          string
	requestTimeout time.Duration
	ackTimeout     time.Duration
	maxStreams     int
	tick           time.Duration
}

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	cfg, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		os.Exit(2) // flag has printed the problem and the usage
	}
	if err := run(cfg, log); err != nil {
		log.Error("httpserver", "err", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (config, error) {
	fs := flag.NewFlagSet("httpserver", flag.ContinueOnError)
	var c config
	fs.StringVar(&c.addr, "addr", ":8080", "address to listen on")
	fs.StringVar(&c.rules, "rules", "", "FlexMatch rule set file (default: the built-in 1v1 rule set)")
	fs.DurationVar(&c.requestTimeout, "request-timeout", 2*time.Minute, "how long a ticket searches before it times out")
	fs.DurationVar(&c.ackTimeout, "ack-timeout", 30*time.Second, "how often a game server must acknowledge its backfill; 0: no acknowledgement")
	fs.IntVar(&c.maxStreams, "max-streams", 10_000, "most event streams open at once")
	fs.DurationVar(&c.tick, "tick", time.Second, "how often matches are formed")
	return c, fs.Parse(args)
}

// newMatchmaker makes the service's Matchmaker from the flags.
func newMatchmaker(c config, log *slog.Logger) (*matchmaker.Matchmaker, error) {
	data := defaultRules
	if c.rules != "" {
		var err error
		if data, err = os.ReadFile(c.rules); err != nil {
			return nil, err
		}
	}
	rs, err := matchmaker.ParseRuleSet(data)
	if err != nil {
		return nil, fmt.Errorf("rule set: %w", err)
	}
	return matchmaker.New(matchmaker.Config{
		Name:                       "httpserver",
		RuleSet:                    rs,
		RequestTimeout:             c.requestTimeout,
		BackfillAcknowledgeTimeout: c.ackTimeout,
	}, matchmaker.WithMaxWatchers(c.maxStreams), matchmaker.WithTickInterval(c.tick), matchmaker.WithLogger(log))
}

// newHTTPServer returns the HTTP server of the service on m. Its timeouts suit the short JSON
// requests; an event stream moves its write deadline on with each write (see openStream).
// Shutdown waits for every request to finish, and a stream lasts as long as its ticket: so
// shutdown begins by closing the Matchmaker, which ends every waiting ticket with
// MatchmakingCancelled (MATCHMAKER_CLOSED), the last event each stream sends.
func newHTTPServer(m *matchmaker.Matchmaker, log *slog.Logger) *http.Server {
	srv := &http.Server{
		Handler:           newServer(m, log),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	srv.RegisterOnShutdown(func() { _ = m.Close() })
	return srv
}

// run serves until SIGINT or SIGTERM, then shuts down.
func run(c config, log *slog.Logger) error {
	m, err := newMatchmaker(c, log)
	if err != nil {
		return err
	}
	defer m.Close()
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ran := make(chan error, 1)
	go func() { ran <- m.Run(ctx) }()
	srv := newHTTPServer(m, log)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("serving", "addr", ln.Addr().String(), "rules", cmp.Or(c.rules, "built-in 1v1"))

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	stop() // a second signal kills the process at once
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	if rerr := <-ran; !errors.Is(rerr, context.Canceled) && !errors.Is(rerr, matchmaker.ErrClosed) {
		err = errors.Join(err, rerr)
	}
	return errors.Join(err, m.Close())
}

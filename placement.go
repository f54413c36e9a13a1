package matchmaker

// This file holds placement through the host: in WITH_QUEUE mode with a Config.Placer, a new
// match's tickets wait in PLACING while the host allocates a game session (its fleet, Agones, a
// lobby service), and complete with the session's connection information, return to the
// search, or fail, as FlexMatch does with a game session queue (spec §e.8). Without a Placer,
// a match is placed at once in a generated game session.

import (
	"cmp"
	"slices"
	"time"
)

// Placer places new matches in game sessions. Set it in Config.Placer (WITH_QUEUE mode).
type Placer interface {
	// Place starts placing a match. The Matchmaker calls it with no lock held, after the tick
	// or request that completed the match has delivered its events, in that goroutine; it must
	// not block for long. Report the outcome with Matchmaker.CompletePlacement or
	// Matchmaker.FailPlacement, from any goroutine, before Config.PlacementTimeout passes.
	Place(PlacementRequest)
}

// PlacerFunc adapts a function to a Placer.
type PlacerFunc func(PlacementRequest)

// Place calls f(req).
func (f PlacerFunc) Place(req PlacementRequest) { f(req) }

// PlacementRequest asks the host to place one match.
type PlacementRequest struct {
	// PlacementID identifies the placement in CompletePlacement and FailPlacement; it is the
	// match ID.
	PlacementID string
	// Tickets lists the match's tickets, each player with its team.
	Tickets []EventTicket
	// Region is the region acceptable to every player with the lowest average latency, when
	// players reported latencies.
	Region string
	// Deadline is when the placement times out and the tickets return to the search.
	Deadline time.Time
}

// PlacedGameSession is where the host placed a match: what players need to connect.
type PlacedGameSession struct {
	// GameSessionArn identifies the game session; required.
	GameSessionArn string
	IPAddress      string
	DNSName        string
	Port           int
	// PlayerSessionIDs maps each player ID to its player session, if the host makes them.
	PlayerSessionIDs map[string]string
}

// placement is a match waiting for its game session.
type placement struct {
	pr       *proposal
	deadline time.Time
}

// startPlacementLocked moves a completed match's tickets to PLACING and queues the request for
// the Placer, which deliver calls with no lock held.
func (m *Matchmaker) startPlacementLocked(now time.Time, pr *proposal) {
	for _, t := range pr.members {
		m.placingLocked(t, "")
	}
	pl := &placement{pr: pr, deadline: now.Add(m.cfg.PlacementTimeout)}
	m.placements[pr.id] = pl
	m.placeRequests = append(m.placeRequests, PlacementRequest{PlacementID: pr.id,
		Tickets: m.eventTickets(pr.members, true), Region: pr.region, Deadline: pl.deadline})
}

// CompletePlacement reports that the host placed a match: its tickets complete with
// MatchmakingSucceeded, carrying the session's connection information, and the Matchmaker
// records the game session (for backfill). Tickets that ended meanwhile (a player queued again)
// are left out. It fails with a *NotFoundError for an unknown or finished placement, and with
// a *ValidationError when GameSessionArn is missing or already known.
func (m *Matchmaker) CompletePlacement(placementID string, gs PlacedGameSession) error {
	_, err := m.exec(&command{kind: cmdCompletePlacement, id: placementID, placed: &gs})
	return err
}

func (m *Matchmaker) completePlacementLocked(now time.Time, placementID string, gs PlacedGameSession) error {
	pl := m.placements[placementID]
	if pl == nil {
		return &NotFoundError{Kind: "placement", ID: placementID}
	}
	var p problems
	switch {
	case gs.GameSessionArn == "":
		p.add("GameSessionArn", "is required")
	case len(gs.GameSessionArn) > 256:
		p.add("GameSessionArn", "is longer than 256 characters")
	case m.sessions[gs.GameSessionArn] != nil:
		p.add("GameSessionArn", "game session %q is already known", gs.GameSessionArn)
	}
	checkUTF8("GameSessionArn", "game session ARN", gs.GameSessionArn, &p)
	if gs.Port < 0 || gs.Port > 65535 {
		p.add("Port", "must be 0 to 65535, got %d", gs.Port)
	}
	if err := p.err("CompletePlacement"); err != nil {
		return err
	}
	delete(m.placements, placementID)
	pr := pl.pr
	pr.members = slices.DeleteFunc(slices.Clone(pr.members), func(t *ticket) bool { return t.status != StatusPlacing })
	m.placeSessionAs(now, pr, gs.GameSessionArn)
	tickets := m.eventTickets(pr.members, true)
	info := GameSessionInfo{GameSessionArn: gs.GameSessionArn, Players: flattenPlayers(tickets),
		IPAddress: gs.IPAddress, DNSName: gs.DNSName, Port: gs.Port}
	for i := range info.Players {
		info.Players[i].PlayerSessionID = gs.PlayerSessionIDs[info.Players[i].PlayerID]
	}
	m.completeLocked(now, pr.members, gs.GameSessionArn, &MatchmakingSucceeded{MatchID: pr.id, Tickets: tickets, GameSessionInfo: info})
	return nil
}

// FailPlacement reports that the host could not place a match. With retry, its tickets return
// to the search with their start times, as FlexMatch resubmits them after a queue timeout;
// without, they end FAILED with MatchmakingFailed (reason PLACEMENT_FAILED and the message
// given). It fails with a *NotFoundError for an unknown or finished placement.
func (m *Matchmaker) FailPlacement(placementID, message string, retry bool) error {
	_, err := m.exec(&command{kind: cmdFailPlacement, id: placementID, text: message, flag: retry})
	return err
}

func (m *Matchmaker) failPlacementLocked(now time.Time, placementID, message string, retry bool) error {
	pl := m.placements[placementID]
	if pl == nil {
		return &NotFoundError{Kind: "placement", ID: placementID}
	}
	m.endPlacementLocked(now, pl, message, retry)
	return nil
}

// endPlacementLocked ends a placement that failed or timed out.
func (m *Matchmaker) endPlacementLocked(now time.Time, pl *placement, message string, retry bool) {
	delete(m.placements, pl.pr.id)
	for _, t := range pl.pr.members {
		switch {
		case t.status != StatusPlacing:
		case retry:
			m.returnToSearchLocked(now, t)
		default:
			m.endTicketLocked(now, t, StatusFailed, ReasonPlacementFailed, message)
		}
	}
}

// expirePlacementsLocked returns the tickets of placements past their deadline to the search,
// oldest first.
func (m *Matchmaker) expirePlacementsLocked(now time.Time) {
	if len(m.placements) == 0 {
		return
	}
	var due []*placement
	for _, pl := range m.placements {
		if !now.Before(pl.deadline) {
			due = append(due, pl)
		}
	}
	slices.SortFunc(due, func(a, b *placement) int {
		return cmp.Or(a.deadline.Compare(b.deadline), cmp.Compare(a.pr.id, b.pr.id))
	})
	for _, pl := range due {
		m.endPlacementLocked(now, pl, "Placement timed out.", true)
	}
}

// placeRequestsOut takes the queued placement requests. Requires m.mu.
func (m *Matchmaker) placeRequestsOut() []PlacementRequest {
	out := m.placeRequests
	m.placeRequests = nil
	return out
}

// Placements returns the matches waiting for the host's Placer, oldest first. A host that
// restarted from a snapshot or journal (Restore, Recover, Replay) calls it to place them again:
// replay does not call the Placer for placements it already saw, and one whose Place call a
// crash interrupted would otherwise wait for PlacementTimeout.
func (m *Matchmaker) Placements() []PlacementRequest {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]PlacementRequest, 0, len(m.placements))
	for _, pl := range m.placements {
		out = append(out, PlacementRequest{PlacementID: pl.pr.id, Tickets: m.eventTickets(pl.pr.members, true),
			Region: pl.pr.region, Deadline: pl.deadline})
	}
	slices.SortFunc(out, func(a, b PlacementRequest) int {
		return cmp.Or(a.Deadline.Compare(b.Deadline), cmp.Compare(a.PlacementID, b.PlacementID))
	})
	return out
}

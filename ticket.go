package matchmaker

// This file holds matchmaking tickets: the request and status types callers see, and the
// compact form the pool keeps, with attributes resolved against the rule set at admission.

import (
	"maps"
	"regexp"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/seed-04d22514/matchmaker/internal/ruleset"
)

// Player is one player of a request, in the shape of GameLift's Player.
type Player struct {
	// PlayerID identifies the player; 1 to 1024 characters. A player can be in one active
	// ticket at a time.
	PlayerID string `json:"PlayerId"`
	// Attributes are the player's values for the rule set's declared attributes. Undeclared
	// attributes are ignored; a declared attribute the player omits takes its default.
	Attributes Attributes `json:"PlayerAttributes,omitempty"`
	// Team is the team the player already plays for; required in backfill requests, empty in
	// matchmaking requests.
	Team string `json:"Team,omitempty"`
	// LatencyInMs is the player's latency to each region; required when the rule set has a
	// latency rule.
	LatencyInMs Latencies `json:"LatencyInMs,omitempty"`
}

// TicketStatus is the state of a ticket, with FlexMatch's names.
type TicketStatus string

// Ticket statuses. COMPLETED, FAILED, CANCELLED and TIMED_OUT are terminal.
const (
	StatusQueued             TicketStatus = "QUEUED"
	StatusSearching          TicketStatus = "SEARCHING"
	StatusRequiresAcceptance TicketStatus = "REQUIRES_ACCEPTANCE"
	StatusPlacing            TicketStatus = "PLACING"
	StatusCompleted          TicketStatus = "COMPLETED"
	StatusFailed             TicketStatus = "FAILED"
	StatusCancelled          TicketStatus = "CANCELLED"
	StatusTimedOut           TicketStatus = "TIMED_OUT"
)

// Terminal reports whether s is a final status.
func (s TicketStatus) Terminal() bool {
	return s == StatusCompleted || s == StatusFailed || s == StatusCancelled || s == StatusTimedOut
}

// Status reasons. FlexMatch's own reasons are TimedOut and Cancelled; the others are this
// library's, for outcomes FlexMatch leaves unexplained.
const (
	ReasonTimedOut           = "TimedOut"
	ReasonCancelled          = "Cancelled"
	ReasonDuplicatePlayer    = "DUPLICATE_PLAYER"
	ReasonReplaced           = "REPLACED"
	ReasonClosed             = "MATCHMAKER_CLOSED"
	ReasonAcceptanceReject   = "ACCEPTANCE_REJECTED"
	ReasonAcceptanceTimedOut = "ACCEPTANCE_TIMED_OUT"
	ReasonAckTimedOut        = "ACKNOWLEDGE_TIMED_OUT"
	ReasonPlacementFailed    = "PLACEMENT_FAILED"
)

// StartMatchmakingInput is a matchmaking request, in the shape of GameLift's
// StartMatchmaking.
type StartMatchmakingInput struct {
	// TicketID names the ticket: up to 128 letters, digits, '-' and '.'. Empty: a UUID is
	// generated.
	TicketID string `json:"TicketId,omitempty"`
	// Players are 1 to 10 players who must be matched together, on one team.
	Players []Player `json:"Players"`
}

// Ticket is a snapshot of a ticket, in the shape of GameLift's MatchmakingTicket.
type Ticket struct {
	TicketID      string
	Status        TicketStatus
	StatusReason  string
	StatusMessage string
	StartTime     time.Time // when the ticket was admitted, in UTC
	EndTime       time.Time // zero until the ticket ends
	// Players lists the ticket's players, with Team set once the ticket has been matched.
	Players []Player
	// MatchID is the match the ticket was last placed in.
	MatchID string
	// GameSessionArn is the game session of a backfill ticket, or the session a completed
	// ticket joined.
	GameSessionArn string
	// Backfill is true for a backfill ticket.
	Backfill bool
	// EstimatedWaitTime is the expected remaining wait, from recent matches; zero when unknown.
	EstimatedWaitTime time.Duration
}

// Request limits from the GameLift API reference.
const (
	MaxPlayersPerTicket   = 10
	MaxPlayersPerBackfill = 199
	maxTicketIDLength     = 128
	maxPlayerIDLength     = 1024
)

var ticketIDPattern = regexp.MustCompile(`^[a-zA-Z0-9.-]+$`)

// ticket is a ticket as the pool keeps it. The fields every tick reads for every waiting
// ticket come first, so they share a cache line.
type ticket struct {
	status   TicketStatus
	seq      uint64 // admission order: ties in age are broken by it
	deadline int64  // request timeout, Unix nanoseconds
	nextStep int64  // next instant an expansion step applies to a match holding it, Unix ns
	group    int32  // partition of the pool (interned string batchDistance value)
	inPool   bool   // present in the pool order
	claimed  bool   // taken by a potential match, or left the search, during this tick
	// hopeless: during this tick, the exhaustive search proved no match can hold it.
	hopeless bool
	// groupHeld: the ticket holds its partition id (see partitions).
	groupHeld bool
	snapRef   int32 // while a snapshot is written: its number in the snapshot's table, plus one

	key     float64 // position in the pool order (see ruleset.RuleSet.OrderKey)
	id      string
	players []player
	start   int64     // admission, Unix nanoseconds
	bf      *backfill // set for backfill tickets
	matchID string
	session string        // backfill: the game session; completed: the session joined
	metrics *[]ruleMetric // allocated at the first rule failure
	ending  *ticketEnd    // set when the ticket ends
	done    chan struct{} // made by the first Wait, closed when the ticket ends
}

// ticketEnd is what a ticket records when it ends.
type ticketEnd struct {
	reason, message string
	at              time.Time
}

type ruleMetric struct{ passed, failed uint32 }

func (t *ticket) waited(now time.Time) time.Duration { return time.Duration(now.UnixNano() - t.start) }

// startTime returns when the ticket was admitted, in UTC.
func (t *ticket) startTime() time.Time { return time.Unix(0, t.start).UTC() }

// player is one player with attributes resolved against the rule set (see ruleset.Player).
type player = ruleset.Player

// resolvePlayer checks one player against the rule set and builds its pool form. It reports
// every reason the player could never be matched (spec §a.1: FlexMatch would accept such a
// ticket and let it time out; this library refuses it at once).
func resolvePlayer(rs *ruleset.RuleSet, path string, in Player, reg *regions, backfill bool, p *problems) player {
	out := rs.NewPlayer(in.PlayerID)
	switch {
	case in.PlayerID == "":
		p.add(path+".PlayerId", "is required")
	case utf8.RuneCountInString(in.PlayerID) > maxPlayerIDLength:
		p.add(path+".PlayerId", "is longer than %d characters", maxPlayerIDLength)
	}
	checkUTF8(path+".PlayerId", "player ID", in.PlayerID, p)
	in.Attributes.validate(path+".PlayerAttributes", p)
	in.LatencyInMs.validate(path+".LatencyInMs", p)
	if backfill {
		out.Team = int32(rs.TeamIndex(in.Team))
		if in.Team == "" {
			p.add(path+".Team", "is required in a backfill request")
		} else if out.Team < 0 {
			p.add(path+".Team", "team %q is not a team of the rule set", in.Team)
		}
	} else if in.Team != "" {
		p.add(path+".Team", "is set only in backfill requests")
	}
	for i := range rs.AttrCount() {
		a := rs.Attr(i)
		v, ok := in.Attributes[a.Name]
		apath := path + ".PlayerAttributes." + a.Name
		typ := AttributeType(a.Type)
		if !ok {
			if !a.HasDefault {
				p.add(apath, "is missing and attribute %q has no default in the rule set, so the ticket could never match", a.Name)
				continue
			}
			v = defaultValue(a)
		} else if v.Type() != typ {
			p.add(apath, "is a %s value, but the rule set declares %q as %s", typeLabel(v.Type()), a.Name, typ)
			continue
		}
		switch typ {
		case AttrNumber:
			out.Nums[a.Slot] = v.Number()
		case AttrString:
			out.More.Strs[a.Slot] = v.Str()
		case AttrStringList:
			out.More.Lists[a.Slot] = v.strList()
		case AttrStringNumberMap:
			out.More.Maps[a.Slot] = v.strMap()
		}
	}
	if rs.HasLatencyRule() && len(in.LatencyInMs) == 0 {
		p.add(path+".LatencyInMs", "is required because the rule set has a latency rule")
	}
	if len(in.LatencyInMs) > 0 {
		out.Lat = make([]ruleset.RegionLatency, 0, len(in.LatencyInMs))
		// Names are interned in sorted order, so that region ids (and which name is refused at
		// the bound) do not depend on map iteration: a journal replays to the same ids.
		for _, name := range slices.Sorted(maps.Keys(in.LatencyInMs)) {
			ms := in.LatencyInMs[name]
			id, ok := reg.intern(name)
			if !ok {
				p.add(path+".LatencyInMs", "region %q would exceed the %d distinct regions a matchmaker tracks", name, maxTrackedRegions)
				continue
			}
			out.Lat = append(out.Lat, ruleset.RegionLatency{Region: id, Ms: int32(min(ms, 1<<30))})
		}
		slices.SortFunc(out.Lat, func(a, b ruleset.RegionLatency) int { return int(a.Region - b.Region) })
	}
	return out
}

// defaultValue is a declared attribute's default as a Value.
func defaultValue(a ruleset.Attr) Value {
	switch AttributeType(a.Type) {
	case AttrNumber:
		return NumberValue(a.Default.Num)
	case AttrString:
		return StringValue(a.Default.Str)
	case AttrStringList:
		return StringListValue(a.Default.List...)
	}
	return StringNumberMapValue(a.Default.Map)
}

func typeLabel(t AttributeType) string {
	if t == "" {
		return "missing"
	}
	return string(t)
}

// checkTicketID validates a caller-chosen ticket ID.
func checkTicketID(path, id string, p *problems) {
	switch {
	case len(id) > maxTicketIDLength:
		p.add(path, "is %d characters; at most %d are allowed", len(id), maxTicketIDLength)
	case !ticketIDPattern.MatchString(id):
		p.add(path, "%q may contain only letters, digits, '-' and '.'", id)
	}
}

// playerValue rebuilds the effective value of declared attribute a for p.
func playerValue(p *player, a ruleset.Attr) Value {
	switch AttributeType(a.Type) {
	case AttrNumber:
		return NumberValue(p.Nums[a.Slot])
	case AttrString:
		return StringValue(p.More.Strs[a.Slot])
	case AttrStringList:
		return StringListValue(p.More.Lists[a.Slot]...)
	}
	return StringNumberMapValue(p.More.Maps[a.Slot])
}

// publicPlayers converts pool players back to the public shape, with their effective
// attributes and teams.
func publicPlayers(rs *ruleset.RuleSet, ps []player, reg *regions, withTeams bool) []Player {
	out := make([]Player, len(ps))
	for i := range ps {
		p := &ps[i]
		out[i] = Player{PlayerID: p.ID, Attributes: make(Attributes, rs.AttrCount())}
		for j := range rs.AttrCount() {
			a := rs.Attr(j)
			out[i].Attributes[a.Name] = playerValue(p, a)
		}
		if withTeams && p.Team >= 0 {
			out[i].Team = rs.TeamName(int(p.Team))
		}
		if len(p.Lat) > 0 {
			out[i].LatencyInMs = make(Latencies, len(p.Lat))
			for _, l := range p.Lat {
				out[i].LatencyInMs[reg.names[l.Region]] = int(l.Ms)
			}
		}
	}
	return out
}

func itoa(i int) string { return strconv.Itoa(i) }

// setPlayers replaces an admitted ticket's players; the ticket holds their region names.
func (m *Matchmaker) setPlayers(t *ticket, ps []player) {
	m.regions.retain(ps)
	m.regions.release(t.players)
	t.players = ps
}

// ---- requests

// StartMatchmaking adds a ticket to the pool. It returns the ticket as queued. A request that
// could never match (a party larger than every team, an attribute missing without a default or
// of the wrong type, no latency while the rule set has a latency rule) is refused with a
// *ValidationError naming the field, and changes nothing. A player already in an active ticket
// moves to this one: the older ticket ends with MatchmakingCancelled (DUPLICATE_PLAYER).
func (m *Matchmaker) StartMatchmaking(in StartMatchmakingInput) (Ticket, error) {
	r, err := m.exec(&command{kind: cmdStart, start: &in})
	return r.ticket, err
}

func (m *Matchmaker) startMatchmakingLocked(now time.Time, in StartMatchmakingInput) (_ Ticket, err error) {
	var p problems
	m.checkNewTicketID(in.TicketID, &p)
	switch n := len(in.Players); {
	case n == 0:
		p.add("Players", "must list at least one player")
	case n > MaxPlayersPerTicket:
		p.add("Players", "lists %d players; a ticket holds at most %d", n, MaxPlayersPerTicket)
	}
	t := &ticket{id: in.TicketID, status: StatusQueued}
	seen := map[string]bool{}
	for i, pl := range in.Players {
		path := "Players[" + itoa(i) + "]"
		if seen[pl.PlayerID] {
			p.add(path+".PlayerId", "player %q is listed twice", pl.PlayerID)
		}
		seen[pl.PlayerID] = true
		t.players = append(t.players, resolvePlayer(m.rs, path, pl, &m.regions, false, &p))
	}
	if len(in.Players) > 0 && len(in.Players) > m.rs.LargestTeam() {
		p.add("Players", "a party of %d cannot fit on any team (largest team holds %d)", len(in.Players), m.rs.LargestTeam())
	}
	if len(t.players) > 0 {
		m.pool.checkParty(t, &p)
	}
	if err := p.err("StartMatchmaking"); err != nil {
		return Ticket{}, err
	}
	if m.pool.waiting()+1 > m.opts.maxTickets {
		return Ticket{}, &LimitError{Limit: "WithMaxTickets", Max: m.opts.maxTickets}
	}
	if t.id == "" {
		t.id = m.newID()
	}
	m.admit(now, t)
	return Ticket{TicketID: t.id, Status: t.status, StartTime: m.startTime(t), Players: slices.Clone(in.Players),
		EstimatedWaitTime: m.estimatedWait()}, nil
}

// checkNewTicketID validates a caller-chosen ID and refuses one that is already in use.
func (m *Matchmaker) checkNewTicketID(id string, p *problems) {
	if id == "" {
		return
	}
	checkTicketID("TicketId", id, p)
	if _, used := m.tickets[id]; used {
		p.add("TicketId", "ticket %q already exists", id)
	}
}

// admit enters t into the pool, cancelling older tickets of its players. Requires m.mu.
func (m *Matchmaker) admit(now time.Time, t *ticket) {
	// Hold the region names first: ending the player's older ticket or leaving their game
	// session below may release the last other hold on a name this ticket uses.
	m.regions.retain(t.players)
	for i := range t.players {
		if t.bf != nil {
			break // a backfill roster's players are in a game, not searching
		}
		if old := m.players[t.players[i].ID]; old != nil && old != t {
			m.endTicketLocked(now, old, StatusCancelled, ReasonDuplicatePlayer, "Cancelled due to duplicate player.")
		}
		if s := m.sessionOf[t.players[i].ID]; s != nil {
			m.leaveSession(now, s, t.players[i].ID) // queueing again means leaving the game
		}
		m.players[t.players[i].ID] = t
	}
	m.seq++
	t.seq = m.seq
	t.start = now.UnixNano()
	t.deadline = now.Add(m.cfg.RequestTimeout).UnixNano()
	m.pool.addTimer(t.deadline, t)
	m.tickets[t.id] = t
	m.pool.enqueue(t)
	m.stats.Started++
}

// StopMatchmaking cancels a ticket; it ends with MatchmakingCancelled (or, for a backfill
// ticket, BackfillCancelled). Stopping an already cancelled ticket succeeds; stopping a ticket
// that ended otherwise fails with ErrInvalidState.
func (m *Matchmaker) StopMatchmaking(ticketID string) error {
	_, err := m.exec(&command{kind: cmdStop, id: ticketID})
	return err
}

// stopLocked cancels a ticket by request; backfill says which kind of ticket the request
// names. Requires m.mu.
func (m *Matchmaker) stopLocked(now time.Time, ticketID, op string, backfill bool) error {
	t := m.tickets[ticketID]
	switch {
	case t == nil:
		kind := "ticket"
		if backfill {
			kind = "backfill ticket"
		}
		return &NotFoundError{Kind: kind, ID: ticketID}
	case backfill && t.bf == nil, t.status.Terminal() && t.status != StatusCancelled, t.status == StatusPlacing:
		return &StateError{TicketID: ticketID, Status: t.status, Op: op}
	case t.status == StatusCancelled:
		return nil
	}
	m.endTicketLocked(now, t, StatusCancelled, ReasonCancelled, "Cancelled by request.")
	return nil
}

// DescribeMatchmaking returns the tickets with the given IDs that still exist, active or ended
// within the retention period, in the order asked.
func (m *Matchmaker) DescribeMatchmaking(ticketIDs ...string) []Ticket {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Ticket, 0, len(ticketIDs))
	for _, id := range ticketIDs {
		if t := m.tickets[id]; t != nil {
			out = append(out, m.snapshot(t))
		}
	}
	return out
}

// startTime is t's start as users see it: zero while the Matchmaker has no time yet (see
// requestTimeLocked).
func (m *Matchmaker) startTime(t *ticket) time.Time {
	if m.provisional {
		return time.Time{}
	}
	return t.startTime()
}

func (m *Matchmaker) snapshot(t *ticket) Ticket {
	out := Ticket{TicketID: t.id, Status: t.status, StartTime: m.startTime(t), MatchID: t.matchID, GameSessionArn: t.session, Backfill: t.bf != nil,
		Players: publicPlayers(m.rs, t.players, &m.regions, t.matchID != "" || t.bf != nil)}
	if e := t.ending; e != nil {
		out.StatusReason, out.StatusMessage, out.EndTime = e.reason, e.message, e.at
	}
	if !t.status.Terminal() {
		out.EstimatedWaitTime = m.estimatedWait()
	}
	return out
}

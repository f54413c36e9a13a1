package matchmaker

// This file holds matchmaking tickets: the request and status types callers see, and the
// compact form the pool keeps, with attributes resolved against the rule set at admission.

import (
	"regexp"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
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
	ReasonTimedOut         = "TimedOut"
	ReasonCancelled        = "Cancelled"
	ReasonDuplicatePlayer  = "DUPLICATE_PLAYER"
	ReasonReplaced         = "REPLACED"
	ReasonClosed           = "MATCHMAKER_CLOSED"
	ReasonAcceptanceReject = "ACCEPTANCE_REJECTED"
	ReasonAcceptanceTimout = "ACCEPTANCE_TIMED_OUT"
	ReasonAckTimedOut      = "ACKNOWLEDGE_TIMED_OUT"
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

	key     float64 // position in the pool order (see RuleSet.chooseOrdering)
	id      string
	players []player
	start   int64     // admission, Unix nanoseconds
	bf      *backfill // set for backfill tickets
	matchID string
	session string        // backfill: the game session; completed: the session joined
	metrics *[]ruleMetric // allocated at the first rule failure
	ending  *ticketEnd    // set when the ticket ends
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

// player is one player with attributes resolved against the rule set: numbers inline, the
// other attribute types (rarer, and bigger) behind one pointer.
type player struct {
	id      string
	nums    []float64
	more    *playerMore     // nil when the rule set declares only numbers
	lat     []regionLatency // sorted by region
	teamIdx int32           // the player's team in a match or a backfill roster; -1 if none
}

type playerMore struct {
	strs  []string
	lists [][]string
	maps  []map[string]float64
}

type regionLatency struct {
	region int32
	ms     int32
}

// latencyIn returns the player's latency to region.
func (p *player) latencyIn(region int32) (int32, bool) {
	i, ok := slices.BinarySearchFunc(p.lat, region, func(e regionLatency, r int32) int { return int(e.region - r) })
	if !ok {
		return 0, false
	}
	return p.lat[i].ms, true
}

// regions interns region names so latency lookups compare integers.
type regions struct {
	byName map[string]int32
	names  []string
}

// maxTrackedRegions bounds the distinct region names a Matchmaker tracks across all requests.
const maxTrackedRegions = 4096

// intern returns the id of a region name, adding it if there is room.
func (r *regions) intern(name string) (int32, bool) {
	if id, ok := r.byName[name]; ok {
		return id, true
	}
	if len(r.names) >= maxTrackedRegions {
		return 0, false
	}
	if r.byName == nil {
		r.byName = map[string]int32{}
	}
	id := int32(len(r.names))
	r.byName[name] = id
	r.names = append(r.names, name)
	return id, true
}

// mark and rollback undo the regions a refused request added: bad input changes nothing.
func (r *regions) mark() int { return len(r.names) }

func (r *regions) rollback(mark int) {
	for _, name := range r.names[mark:] {
		delete(r.byName, name)
	}
	r.names = r.names[:mark]
}

// resolvePlayer checks one player against the rule set and builds its pool form. It reports
// every reason the player could never be matched (spec §a.1: FlexMatch would accept such a
// ticket and let it time out; this library refuses it at once).
func (rs *RuleSet) resolvePlayer(path string, in Player, reg *regions, backfill bool, p *problems) player {
	out := player{id: in.PlayerID, teamIdx: -1}
	switch {
	case in.PlayerID == "":
		p.add(path+".PlayerId", "is required")
	case utf8.RuneCountInString(in.PlayerID) > maxPlayerIDLength:
		p.add(path+".PlayerId", "is longer than %d characters", maxPlayerIDLength)
	}
	in.Attributes.validate(path+".PlayerAttributes", p)
	in.LatencyInMs.validate(path+".LatencyInMs", p)
	if backfill {
		out.teamIdx = int32(rs.teamIndex(in.Team))
		if in.Team == "" {
			p.add(path+".Team", "is required in a backfill request")
		} else if out.teamIdx < 0 {
			p.add(path+".Team", "team %q is not a team of the rule set", in.Team)
		}
	} else if in.Team != "" {
		p.add(path+".Team", "is set only in backfill requests")
	}
	out.nums = make([]float64, rs.slotCount[0])
	if rs.slotCount[1]+rs.slotCount[2]+rs.slotCount[3] > 0 {
		out.more = &playerMore{strs: make([]string, rs.slotCount[1]),
			lists: make([][]string, rs.slotCount[2]), maps: make([]map[string]float64, rs.slotCount[3])}
	}
	for _, a := range rs.attrs {
		v, ok := in.Attributes[a.name]
		apath := path + ".PlayerAttributes." + a.name
		if !ok {
			if !a.hasDef {
				p.add(apath, "is missing and attribute %q has no default in the rule set, so the ticket could never match", a.name)
				continue
			}
			v = a.def
		} else if v.Type() != a.typ {
			p.add(apath, "is a %s value, but the rule set declares %q as %s", typeLabel(v.Type()), a.name, a.typ)
			continue
		}
		switch a.typ {
		case AttrNumber:
			out.nums[a.slot] = v.Number()
		case AttrString:
			out.more.strs[a.slot] = v.Str()
		case AttrStringList:
			out.more.lists[a.slot] = v.strList()
		case AttrStringNumberMap:
			out.more.maps[a.slot] = v.strMap()
		}
	}
	if len(rs.latency) > 0 && len(in.LatencyInMs) == 0 {
		p.add(path+".LatencyInMs", "is required because the rule set has a latency rule")
	}
	if len(in.LatencyInMs) > 0 {
		out.lat = make([]regionLatency, 0, len(in.LatencyInMs))
		for name, ms := range in.LatencyInMs {
			id, ok := reg.intern(name)
			if !ok {
				p.add(path+".LatencyInMs", "region %q would exceed the %d distinct regions a matchmaker tracks", name, maxTrackedRegions)
				continue
			}
			out.lat = append(out.lat, regionLatency{region: id, ms: int32(min(ms, 1<<30))})
		}
		slices.SortFunc(out.lat, func(a, b regionLatency) int { return int(a.region - b.region) })
	}
	return out
}

func typeLabel(t AttributeType) string {
	if t == "" {
		return "missing"
	}
	return string(t)
}

// teamIndex returns the match team with the given (generated) name, or -1.
func (rs *RuleSet) teamIndex(name string) int {
	for i, t := range rs.teams {
		if t.name == name {
			return i
		}
	}
	return -1
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
func (rs *RuleSet) playerValue(p *player, a attrDecl) Value {
	switch a.typ {
	case AttrNumber:
		return NumberValue(p.nums[a.slot])
	case AttrString:
		return StringValue(p.more.strs[a.slot])
	case AttrStringList:
		return StringListValue(p.more.lists[a.slot]...)
	}
	return StringNumberMapValue(p.more.maps[a.slot])
}

// publicPlayers converts pool players back to the public shape, with their effective
// attributes and teams.
func (rs *RuleSet) publicPlayers(ps []player, reg *regions, withTeams bool) []Player {
	out := make([]Player, len(ps))
	for i := range ps {
		p := &ps[i]
		out[i] = Player{PlayerID: p.id, Attributes: make(Attributes, len(rs.attrs))}
		for _, a := range rs.attrs {
			out[i].Attributes[a.name] = rs.playerValue(p, a)
		}
		if withTeams && p.teamIdx >= 0 {
			out[i].Team = rs.teams[p.teamIdx].name
		}
		if len(p.lat) > 0 {
			out[i].LatencyInMs = make(Latencies, len(p.lat))
			for _, l := range p.lat {
				out[i].LatencyInMs[reg.names[l.region]] = int(l.ms)
			}
		}
	}
	return out
}

func itoa(i int) string { return strconv.Itoa(i) }

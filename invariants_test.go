package matchmaker

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/seed-04d22514/matchmaker/internal/ruleset"
	"github.com/stretchr/testify/require"
)

// TestInvariantsRandomized drives Matchmakers with random operations and checks the invariants
// of DESIGN.md §7 after every tick: 1 (a player in one active ticket, never twice in a match),
// 2 and 7 (one terminal event per ticket, lifecycle order, nothing after it), 3
// (conservation), 4 (matches satisfy the relaxed rules, parties on one team), 5 (backfills
// never overfill, one per session), 6 (cancelled or matched, never both) and 8 (no starvation
// for a rule set without rules). MATCHMAKER_SEEDS=400 go test -run TestInvariantsRandomized .
// runs a longer soak.
func TestInvariantsRandomized(t *testing.T) {
	ruleSets := []string{"gomoku.json", "5v5.json", "lobby-3-10.json", "2v2.json", "lobby-2-4.json"}
	seeds := 60
	if testing.Short() {
		seeds = 10
	}
	if n, err := strconv.Atoi(os.Getenv("MATCHMAKER_SEEDS")); err == nil { // a longer soak by hand
		seeds = n
	}
	for seed := range seeds {
		rsFile := ruleSets[seed%len(ruleSets)]
		t.Run(fmt.Sprintf("seed%d-%s", seed, rsFile), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(seed), 7))
			cfg := Config{RequestTimeout: 40 * time.Second, AcceptanceRequired: r.IntN(3) == 0, AcceptanceTimeout: 5 * time.Second}
			switch r.IntN(3) {
			case 1:
				cfg.FlexMatchMode, cfg.BackfillMode = WithQueue, BackfillAutomatic
			case 2:
				cfg.BackfillAcknowledgeTimeout = 8 * time.Second
			}
			h := newHarness(t, "testdata/rulesets/"+rsFile, cfg)
			inv := newInvariantChecker(t, h)
			for step := range 120 {
				sec := float64(step)
				h.at(sec)
				for range r.IntN(6) {
					inv.randomOp(r)
				}
				inv.observe(h.drain())
				inv.observe(h.tick(sec))
				inv.checkState(rsFile == "lobby-2-4.json")
			}
		})
	}
}

type invariantChecker struct {
	t       *testing.T
	h       *harness
	nextID  int
	life    map[string][]string // ticket → event types in order
	matched map[string]bool
	ended   map[string]bool
}

func newInvariantChecker(t *testing.T, h *harness) *invariantChecker {
	return &invariantChecker{t: t, h: h, life: map[string][]string{}, matched: map[string]bool{}, ended: map[string]bool{}}
}

func (c *invariantChecker) randomOp(r *rand.Rand) {
	m := c.h.m
	c.nextID++
	switch op := r.IntN(10); {
	case op < 5: // a new ticket, sometimes a party, sometimes reusing a player
		n := 1 + r.IntN(3)
		if r.IntN(4) > 0 {
			n = 1
		}
		var players []Player
		for i := range n {
			id := fmt.Sprintf("p%d-%d", c.nextID, i)
			if r.IntN(10) == 0 {
				id = fmt.Sprintf("p%d-0", r.IntN(c.nextID)+1)
			}
			players = append(players, Player{PlayerID: id, Attributes: c.attrs(r)})
		}
		_, _ = m.StartMatchmaking(StartMatchmakingInput{TicketID: fmt.Sprintf("t%d", c.nextID), Players: players})
	case op == 5:
		_ = m.StopMatchmaking(fmt.Sprintf("t%d", r.IntN(c.nextID)+1))
	case op == 6:
		m.mu.Lock()
		var waiting []*ticket
		for _, pr := range m.pending {
			waiting = append(waiting, pr.members...)
		}
		m.mu.Unlock()
		slices.SortFunc(waiting, func(a, b *ticket) int { return int(a.seq - b.seq) })
		if len(waiting) > 0 {
			tk := waiting[r.IntN(len(waiting))]
			kind := Accept
			if r.IntN(4) == 0 {
				kind = Reject
			}
			ids := []string{}
			for _, p := range tk.players {
				ids = append(ids, p.ID)
			}
			_ = m.AcceptMatch(AcceptMatchInput{TicketID: tk.id, PlayerIDs: ids, AcceptanceType: kind})
		}
	case op == 7: // a backfill for a known or new session
		arn := fmt.Sprintf("gs-%d", r.IntN(4))
		gs, err := m.DescribeGameSession(arn)
		var roster []Player
		if err == nil {
			for _, team := range gs.MatchmakerData.Teams {
				for _, p := range team.Players {
					roster = append(roster, Player{PlayerID: p.PlayerID, Team: team.Name, Attributes: c.attrs(r)})
				}
			}
		} else {
			teams := m.cfg.RuleSet.Teams()
			roster = []Player{{PlayerID: fmt.Sprintf("r%d", c.nextID), Team: teams[r.IntN(len(teams))].Name, Attributes: c.attrs(r)}}
		}
		_, _ = m.StartMatchBackfill(StartMatchBackfillInput{GameSessionArn: arn, Players: roster, MaxNewPlayers: r.IntN(3)})
	case op == 8: // a player leaves a session
		m.mu.Lock()
		var arns []string
		for arn, s := range m.sessions {
			if len(s.roster) > 0 {
				arns = append(arns, arn)
			}
		}
		slices.Sort(arns)
		var arn, leaver string
		if len(arns) > 0 {
			arn = arns[r.IntN(len(arns))]
			s := m.sessions[arn]
			leaver = s.roster[r.IntN(len(s.roster))].ID
		}
		m.mu.Unlock()
		if arn != "" {
			require.NoError(c.t, m.RemovePlayers(arn, leaver))
		}
	default: // acknowledge or stop a backfill
		m.mu.Lock()
		var bfs []string
		for _, s := range m.sessions {
			if s.backfill != nil && !s.backfill.status.Terminal() {
				bfs = append(bfs, s.backfill.id)
			}
		}
		m.mu.Unlock()
		slices.Sort(bfs)
		if len(bfs) > 0 {
			id := bfs[r.IntN(len(bfs))]
			if r.IntN(5) == 0 {
				_ = m.StopMatchBackfill(id)
			} else {
				_, _ = m.AcknowledgeBackfill(id)
			}
		}
	}
}

func (c *invariantChecker) attrs(r *rand.Rand) Attributes {
	a := Attributes{}
	for name, typ := range c.h.m.cfg.RuleSet.Attributes() {
		if typ == AttrNumber {
			a[name] = NumberValue(float64(900 + r.IntN(300)))
		}
	}
	return a
}

// observe checks the event stream: lifecycle order per ticket, one terminal event, nothing
// after it, never both matched and cancelled, no player twice in a match, parties together.
func (c *invariantChecker) observe(evs []Event) {
	t := c.t
	for _, e := range evs {
		var ids []string
		var kind string
		switch ev := e.(type) {
		case *MatchmakingSearching:
			kind, ids = "searching", ticketIDsOf(ev.Tickets)
		case *PotentialMatchCreated:
			kind, ids = "potential", ticketIDsOf(ev.Tickets)
			c.checkMatch(ev)
		case *MatchmakingSucceeded:
			kind, ids = "succeeded", ticketIDsOf(ev.Tickets)
		case *MatchmakingCancelled:
			kind, ids = "cancelled", ticketIDsOf(ev.Tickets)
		case *MatchmakingTimedOut:
			kind, ids = "timedout", ticketIDsOf(ev.Tickets)
		case *MatchmakingFailed:
			kind, ids = "failed", ticketIDsOf(ev.Tickets)
		case *AcceptMatch, *AcceptMatchCompleted:
			continue
		default:
			continue
		}
		for _, id := range ids {
			if c.ended[id] && !(kind == "succeeded" && c.isBackfill(id)) {
				t.Fatalf("ticket %s got %s after it ended (%v)", id, kind, c.life[id])
			}
			c.life[id] = append(c.life[id], kind)
			switch kind {
			case "succeeded":
				if !c.isBackfill(id) || c.h.m.DescribeMatchmaking(id)[0].Status == StatusCompleted {
					c.ended[id] = true
				}
				c.matched[id] = true
			case "cancelled", "timedout", "failed":
				if c.matched[id] && !c.isBackfill(id) {
					t.Fatalf("ticket %s matched and then %s", id, kind)
				}
				c.ended[id] = true
			case "potential":
				if prev := c.life[id]; len(prev) < 2 || !slices.Contains(prev[:len(prev)-1], "searching") {
					t.Fatalf("ticket %s proposed before searching: %v", id, prev)
				}
			}
		}
	}
}

func (c *invariantChecker) isBackfill(id string) bool {
	ts := c.h.m.DescribeMatchmaking(id)
	return len(ts) == 1 && ts[0].Backfill
}

func ticketIDsOf(ts []EventTicket) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.TicketID)
	}
	return out
}

// checkMatch re-evaluates a proposed match in final mode with a fresh checker, at the
// expansion age it formed at, and checks parties and duplicates.
func (c *invariantChecker) checkMatch(ev *PotentialMatchCreated) {
	t, m := c.t, c.h.m
	m.mu.Lock()
	defer m.mu.Unlock()
	seen := map[string]bool{}
	pm := newPotential(m.rs)
	var newest, oldest time.Time
	backfills := 0
	for i, et := range ev.Tickets {
		tk := m.tickets[et.TicketID]
		require.NotNil(t, tk)
		if tk.bf != nil {
			backfills++
			roster := *tk
			roster.players = slices.DeleteFunc(slices.Clone(tk.players), func(p player) bool {
				return !slices.ContainsFunc(et.Players, func(ep EventPlayer) bool { return ep.PlayerID == p.ID })
			})
			pm.addRoster(&roster)
		} else {
			team := -1
			for _, p := range et.Players {
				idx := m.rs.TeamIndex(p.Team)
				if team >= 0 && idx != team {
					t.Fatalf("party %s split across teams", et.TicketID)
				}
				team = idx
			}
			require.GreaterOrEqual(t, team, 0, "ticket %s has no team", et.TicketID)
			pm.add(tk, team)
		}
		for _, p := range tk.players {
			if !slices.ContainsFunc(et.Players, func(ep EventPlayer) bool { return ep.PlayerID == p.ID }) {
				continue // joined the roster after this match formed
			}
			if seen[p.ID] {
				t.Fatalf("player %s twice in match %s", p.ID, ev.MatchID)
			}
			seen[p.ID] = true
		}
		if start := tk.startTime(); i == 0 || start.After(newest) {
			newest = start
		}
		if start := tk.startTime(); i == 0 || start.Before(oldest) {
			oldest = start
		}
	}
	require.LessOrEqual(t, backfills, 1, "at most one backfill ticket per match")
	if backfills == 1 {
		require.GreaterOrEqual(t, len(ev.Tickets), 2, "a backfill must be matched with another ticket")
	}
	age := ev.Time.Sub(newest)
	if m.rs.AgeFromOldest() {
		age = ev.Time.Sub(oldest)
	}
	chk := ruleset.NewChecker(m.rs)
	chk.At(age)
	if !chk.SizesOK(pm, true) || !m.rs.Large() && !chk.Check(pm, true) {
		failed, _ := chk.Failed()
		t.Fatalf("match %s breaks the rule set at age %v (failed rule %d)", ev.MatchID, age, failed)
	}
}

// checkState checks invariants 1, 3 and 5 on the Matchmaker's state, and 8 where it applies.
func (c *invariantChecker) checkState(noRules bool) {
	t, m := c.t, c.h.m
	m.mu.Lock()
	defer m.mu.Unlock()
	active, ended := 0, 0
	owner := map[string]string{}
	searching := 0
	for _, tk := range m.tickets {
		if tk.status.Terminal() {
			ended++
			continue
		}
		active++
		if tk.status == StatusSearching && tk.bf == nil {
			searching += len(tk.players)
		}
		if tk.bf != nil {
			continue
		}
		for _, p := range tk.players {
			if other, ok := owner[p.ID]; ok {
				t.Fatalf("player %s in active tickets %s and %s", p.ID, other, tk.id)
			}
			owner[p.ID] = tk.id
			require.Same(t, tk, m.players[p.ID], "player index for %s", p.ID)
		}
	}
	require.Equal(t, int(m.stats.Started), active+ended, "conservation: started = active + ended")
	require.Equal(t, len(m.players), len(owner), "no stale player index entries")
	for arn, s := range m.sessions {
		counts := make([]int, m.rs.TeamCount())
		for _, p := range s.roster {
			counts[p.Team]++
		}
		for i, n := range counts {
			if limit := m.rs.TeamMaxEver(i); n > limit {
				t.Fatalf("session %s team %s overfilled: %d > %d", arn, m.rs.TeamName(i), n, limit)
			}
		}
		live := 0
		for _, tk := range m.tickets {
			if tk.bf != nil && tk.bf.session == s && !tk.status.Terminal() {
				live++
			}
		}
		require.LessOrEqual(t, live, 1, "one active backfill per session %s", arn)
	}
	if noRules && m.pool.backfills == 0 && len(m.pending) == 0 {
		// One team of 2 to 4 and no rules: after a tick, the waiting players could not fill
		// the minimum together with a party that fits, so fewer than 4 can be waiting.
		require.Less(t, searching, 4, "no starvation: a valid match forms within one tick")
	}
}

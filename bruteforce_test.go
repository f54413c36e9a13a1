package matchmaker

// This file holds the brute-force check of the search (issue 9, invariant 8 of DESIGN.md §7):
// on small pools, when a tick leaves tickets searching, no valid match among them was missed.

import (
	"cmp"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seed-04d22514/matchmaker/internal/ruleset"
)

// bruteForceRuleSets are the small-match rule sets of the randomized runs: every rule type,
// minDistance, not, xor, != comparisons and collection minimums among them.
var bruteForceRuleSets = []string{
	"random/direction.json", "random/compound.json", "gomoku.json", "2v2.json", "lobby-2-4.json",
	"common-mode.json", "gomoku-latency.json", "random/latency-sort.json", "random/roles-collection.json",
	"random/squads-maps.json", "random/expressions.json", "5v5.json",
}

// TestSearchMissesNoValidMatch starts up to a dozen tickets (singles and parties, of random
// ages around the expansion steps) in a fresh Matchmaker and ticks once. It then searches every
// way the tickets still searching could form a match (each ticket on one team or left out) and
// fails if the independent oracle (oracle_test.go) accepts one: the tick should have formed it.
//
// MATCHMAKER_SEEDS=2000 go test -run TestSearchMissesNoValidMatch . runs more pools.
func TestSearchMissesNoValidMatch(t *testing.T) {
	seeds := 30 * len(bruteForceRuleSets)
	if testing.Short() {
		seeds = 4 * len(bruteForceRuleSets)
	}
	if n, err := strconv.Atoi(os.Getenv("MATCHMAKER_SEEDS")); err == nil {
		seeds = n
	}
	missed := 0
	for seed := range seeds {
		rsFile := bruteForceRuleSets[seed%len(bruteForceRuleSets)]
		name := fmt.Sprintf("seed%d-%s", seed, strings.ReplaceAll(rsFile, "/", "-"))
		t.Run(name, func(t *testing.T) {
			if why := bruteForcePool(t, uint64(seed), rsFile); why != "" {
				missed++
				t.Error(why)
			}
		})
	}
	t.Logf("%d pools, %d with a missed match", seeds, missed)
}

// bruteForcePool runs one pool and returns a description of the match the tick missed, if any.
func bruteForcePool(t *testing.T, seed uint64, rsFile string) string {
	r := rand.New(rand.NewPCG(seed, 9))
	l := loadRuleSet(t, rsFile)
	h := newRuleSetHarness(t, l.rs, Config{RequestTimeout: time.Hour})
	defer h.m.Close()
	c := &invariantChecker{t: t, h: h, oracle: l.oracle, profiles: map[string]Player{}}

	// Ages straddle the expansion steps, so relaxed and strict bounds both occur.
	waits := []float64{0}
	for _, e := range l.oracle.expansions {
		for _, st := range e.steps {
			s := st.wait.Seconds()
			waits = append(waits, s-1, s, s+1)
		}
	}
	const now = 100.0
	teams, _ := l.oracle.at(time.Hour)
	// The sizes each team can have at some age bound the search.
	maxOf, minOf := make([]int, len(teams)), make([]int, len(teams))
	young, _ := l.oracle.at(0)
	for i, tm := range teams {
		maxOf[i] = c.teamMaxEver(tm.name)
		minOf[i] = int(min(tm.min, young[i].min))
	}
	// Party sizes first: the pool shrinks until it has at most bruteForceLeaves compositions,
	// so that the oracle's checks stay affordable.
	maxParty := min(3, l.rs.MaxPlayers()/2)
	var sizes []int
	for range 2 + r.IntN(11) {
		size := 1
		if maxParty > 1 && r.IntN(4) == 0 {
			size = 2 + r.IntN(maxParty-1)
		}
		sizes = append(sizes, size)
	}
	for {
		n := 0
		compositions(sizes, minOf, maxOf, func([]int) bool { n++; return n <= bruteForceLeaves })
		if n <= bruteForceLeaves {
			break
		}
		sizes = sizes[:len(sizes)-1]
	}
	type started struct {
		id      string
		players []oraclePlayer
		at      time.Duration // wait at the tick
	}
	var tickets []started
	// The Matchmaker's time never goes back, so tickets start oldest first.
	ws := make([]float64, len(sizes))
	for i := range ws {
		ws[i] = max(0, waits[r.IntN(len(waits))])
	}
	slices.SortFunc(ws, func(a, b float64) int { return cmp.Compare(b, a) })
	for i, wait := range ws {
		var ps []Player
		var ops []oraclePlayer
		for j := range sizes[i] {
			p := c.profile(fmt.Sprintf("p%d-%d", i, j), r)
			ps = append(ps, p)
			ops = append(ops, oraclePlayer{ID: p.PlayerID, Attrs: p.Attributes, Latencies: p.LatencyInMs})
		}
		id := fmt.Sprintf("t%d", i)
		h.at(now - wait)
		if _, err := h.m.StartMatchmaking(StartMatchmakingInput{TicketID: id, Players: ps}); err != nil {
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("start %s: %v", id, err)
			}
			continue // a party the rules can never match is refused, as it should be
		}
		tickets = append(tickets, started{id: id, players: ops, at: time.Duration(wait * float64(time.Second))})
	}
	h.tick(now)

	var left []started
	var leftSizes []int
	for _, tk := range tickets {
		if h.status(tk.id) == StatusSearching {
			left = append(left, tk)
			leftSizes = append(leftSizes, len(tk.players))
		}
	}
	var found string
	compositions(leftSizes, minOf, maxOf, func(assign []int) bool {
		match := oracleMatch{}
		var ages []time.Duration
		for i, tm := range assign {
			if tm >= 0 {
				match[teams[tm].name] = append(match[teams[tm].name], left[i].players...)
				ages = append(ages, left[i].at)
			}
		}
		if len(ages) < 2 {
			return true
		}
		age := ages[0]
		for _, a := range ages[1:] {
			if h.m.rs.AgeFromOldest() == (a > age) {
				age = a
			}
		}
		if len(l.oracle.check(match, age)) == 0 {
			found = fmt.Sprintf("the tick left %d tickets searching, yet they could form %v at age %v (%s)",
				len(left), describeMatch(match), age, engineVerdict(h.m, match, age))
			return false
		}
		return true
	})
	return found
}

// bruteForceLeaves bounds the compositions one pool's brute force checks.
const bruteForceLeaves = 5000

// compositions calls visit with every assignment of tickets (of the given player counts) to a
// team or to none (-1) in which every team's size lies within [minOf, maxOf], until visit
// returns false.
func compositions(sizes, minOf, maxOf []int, visit func(assign []int) bool) {
	assign := make([]int, len(sizes))
	team := make([]int, len(minOf))
	var walk func(k int) bool
	walk = func(k int) bool {
		if k == len(sizes) {
			for tm, n := range team {
				if n < minOf[tm] {
					return true
				}
			}
			return visit(assign)
		}
		assign[k] = -1
		if !walk(k + 1) {
			return false
		}
		for tm := range team {
			if team[tm]+sizes[k] <= maxOf[tm] {
				team[tm] += sizes[k]
				assign[k] = tm
				ok := walk(k + 1)
				team[tm] -= sizes[k]
				if !ok {
					return false
				}
			}
		}
		assign[k] = -1
		return true
	}
	walk(0)
}

// engineVerdict reports what the engine's own checker says of a match in final mode.
func engineVerdict(m *Matchmaker, match oracleMatch, age time.Duration) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	pm := newPotential(m.rs)
	for team, ps := range match {
		for _, p := range ps {
			var probs problems
			tk := &ticket{id: p.ID, players: []player{resolvePlayer(m.rs, "p", Player{PlayerID: p.ID, Attributes: p.Attrs, LatencyInMs: p.Latencies}, &m.regions, false, &probs)}}
			pm.add(tk, m.rs.TeamIndex(team))
		}
	}
	chk := ruleset.NewChecker(m.rs)
	chk.At(age)
	if !chk.SizesOK(pm, true) {
		return "engine: sizes fail"
	}
	if !chk.Check(pm, true) {
		r, _ := chk.Failed()
		name, _ := m.rs.Rule(r)
		return "engine: rule " + name + " fails"
	}
	return "engine: passes"
}

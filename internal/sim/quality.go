package sim

// This file holds the match-quality measure: on small pools drawn from a population, the
// matches the engine forms in one tick against the best an exhaustive search finds with the
// same rules. The search enumerates every ticket subset and team assignment that the rule set
// accepts (pruned by partial-mode rule checks, which only reject what no further player can
// undo), then picks the best set of disjoint matches by dynamic programming over the subsets of
// the pool. It is exponential, hence the small pools; it is plain code rather than test code so
// that the simulate command can show its figures in the report.

import (
	"fmt"
	"maps"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/seed-04d22514/matchmaker"
	"github.com/seed-04d22514/matchmaker/internal/ruleset"
)

// Quality compares the engine's matches with the best achievable on the same pools.
type Quality struct {
	Pools          int `json:"pools"`
	TicketsPerPool int `json:"ticketsPerPool"`
	// AgeSeconds is how long every ticket has waited when the pool is matched: the
	// expansions in force.
	AgeSeconds float64        `json:"ageSeconds"`
	Engine     QualityFigures `json:"engine"`
	Best       QualityFigures `json:"best"`
	// MatchedRatio is the most players any set of matches holds over the players the engine
	// matched: 1 is as many as possible. Each ratio is 0 where it is undefined.
	MatchedRatio float64 `json:"matchedRatio"`
	// SpreadRatio and BalanceRatio are the engine's total skill spread (team-average
	// difference) over the smallest total any set of as many matches has: 1 is the best
	// achievable, 1.2 is 20% worse.
	SpreadRatio  float64 `json:"spreadRatio"`
	BalanceRatio float64 `json:"balanceRatio"`
	// SplitRatio compares the engine's teams with the best split of the same tickets that the
	// rules accept: how much of BalanceRatio is the split, rather than which tickets met.
	SplitRatio float64 `json:"splitRatio"`
	// SameTicketsRatio compares the engine's total spread with the smallest that as many
	// matches of the very tickets it matched reach: how much of SpreadRatio is who was paired
	// with whom, rather than which tickets matched.
	SameTicketsRatio float64 `json:"sameTicketsRatio"`
	// Skipped says why quality was not measured, if it was not.
	Skipped string `json:"skipped,omitempty"`
}

// QualityFigures are the means over every pool.
type QualityFigures struct {
	Matched float64 `json:"matchedFraction"`    // players matched / players in the pools
	Spread  float64 `json:"meanSpread"`         // per match
	Balance float64 `json:"meanTeamDifference"` // per match
	Matches int     `json:"matches"`
}

// exhaustiveMaxTickets bounds the pool of the exhaustive search: masks are 64 bits and the
// search is exponential.
const exhaustiveMaxTickets = 40

// exhaustiveMaxPlayers bounds the match size the exhaustive search handles.
const exhaustiveMaxPlayers = 10

// MeasureQuality draws pools of tickets each (from the population's stream with seeds seed,
// seed+1, ...), lets every ticket of a pool wait age, and compares the matches the engine forms
// in one tick with the exhaustive search's on each.
func MeasureQuality(pop *Population, rules RuleSet, seed uint64, pools, tickets int, age time.Duration) (*Quality, error) {
	q := &Quality{Pools: pools, TicketsPerPool: tickets, AgeSeconds: age.Seconds()}
	if why := qualitySkip(pop, rules, tickets); why != "" {
		q.Skipped = why
		return q, nil
	}
	irs, problems := ruleset.Parse(rules.Data)
	if len(problems) > 0 {
		return nil, fmt.Errorf("sim: rule set %s: %v", rules.Label, problems[0])
	}
	var total, engP, bestP, engS, bestS, engB, bestB, bestSplits, bestSame float64
	var engK int
	for i := range pools {
		pool := drawPool(pop, seed+uint64(i), tickets)
		eng, err := engineMatches(rules.RS, pool, age)
		if err != nil {
			return nil, err
		}
		best, err := exhaustive(irs, pop.Skill.Attribute, pool, age)
		if err != nil {
			return nil, err
		}
		k := len(eng)
		if k >= len(best.spread) || math.IsInf(best.spread[k], 1) {
			return nil, fmt.Errorf("sim: pool %d: the exhaustive search finds no %d matches where the engine formed them", i, k)
		}
		same, err := sameTickets(irs, pop.Skill.Attribute, pool, eng, age)
		if err != nil {
			return nil, err
		}
		bestSame += same
		for _, a := range pool {
			total += float64(len(a.Ticket.Players))
		}
		for _, m := range eng {
			engP += float64(m.players)
			engS += m.spread
			engB += m.balance
			split, err := bestSplit(irs, pop.Skill.Attribute, pool, m.tickets, age)
			if err != nil {
				return nil, err
			}
			bestSplits += split
		}
		engK += k
		bestP += best.players
		bestS += best.spread[k]
		bestB += best.balance[k]
	}
	q.Engine = QualityFigures{Matched: engP / total, Spread: safeDiv(engS, float64(engK)), Balance: safeDiv(engB, float64(engK)), Matches: engK}
	q.Best = QualityFigures{Matched: bestP / total, Spread: safeDiv(bestS, float64(engK)), Balance: safeDiv(bestB, float64(engK)), Matches: engK}
	q.MatchedRatio, q.SpreadRatio, q.BalanceRatio = ratio(bestP, engP), ratio(engS, bestS), ratio(engB, bestB)
	q.SplitRatio, q.SameTicketsRatio = ratio(engB, bestSplits), ratio(engS, bestSame)
	return q, nil
}

// qualitySkip says why the exhaustive comparison does not apply, or "".
func qualitySkip(pop *Population, rules RuleSet, tickets int) string {
	switch {
	case rules.RS.Large() || rules.RS.MaxPlayers() > exhaustiveMaxPlayers:
		return fmt.Sprintf("matches of up to %d players; the exhaustive search covers matches of up to %d", rules.RS.MaxPlayers(), exhaustiveMaxPlayers)
	case tickets < 2 || tickets > exhaustiveMaxTickets:
		return fmt.Sprintf("pools of %d tickets; the exhaustive search takes 2 to %d", tickets, exhaustiveMaxTickets)
	case rules.RS.Attributes()[pop.Skill.Attribute] != matchmaker.AttrNumber:
		return fmt.Sprintf("the rule set does not declare the number attribute %q", pop.Skill.Attribute)
	}
	return ""
}

func safeDiv(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// ratio is a/b: 1 when both are zero (equally good), 0 (undefined) when only b is.
func ratio(a, b float64) float64 {
	switch {
	case a == b:
		return 1
	case b == 0:
		return 0
	}
	return a / b
}

// RelaxedAge returns the wait after which every expansion of rules has reached its last step.
func RelaxedAge(rules RuleSet) time.Duration {
	irs, problems := ruleset.Parse(rules.Data)
	if len(problems) > 0 {
		return 0
	}
	var age time.Duration
	for i := range irs.ExpansionCount() {
		age = max(age, irs.LastStep(i))
	}
	return age
}

// drawPool takes the first n arrivals of the population's stream for seed.
func drawPool(pop *Population, seed uint64, n int) []Arrival {
	s := newStream(pop, seed)
	var out []Arrival
	for len(out) < n {
		out = s.until(s.next, out)
	}
	return out[:n]
}

// poolMatch is one match's figures.
type poolMatch struct {
	players         int
	spread, balance float64
	tickets         []int // indices into the pool
}

// engineMatches admits every ticket of pool at one instant and returns the matches one tick,
// age later, forms.
func engineMatches(rs *matchmaker.RuleSet, pool []Arrival, age time.Duration) ([]poolMatch, error) {
	m, err := matchmaker.New(matchmaker.Config{RuleSet: rs}, matchmaker.WithClock(&clock{now: start}),
		matchmaker.WithRandom(rand.NewChaCha8([32]byte{1})))
	if err != nil {
		return nil, err
	}
	defer m.Close()
	sub, err := m.Subscribe()
	if err != nil {
		return nil, err
	}
	skills, index := map[string]float64{}, map[string]int{}
	for i, a := range pool {
		index[a.Ticket.TicketID] = i
		if _, err := m.StartMatchmaking(a.Ticket); err != nil {
			return nil, err
		}
		for i, p := range a.Ticket.Players {
			skills[p.PlayerID] = a.Skills[i]
		}
	}
	if err := m.Tick(start.Add(age)); err != nil {
		return nil, err
	}
	var out []poolMatch
	for e, ok := sub.TryNext(); ok; e, ok = sub.TryNext() {
		s, ok := e.(*matchmaker.MatchmakingSucceeded)
		if !ok {
			continue
		}
		teams := map[string][]float64{}
		var all []float64
		var tickets []int
		for _, t := range s.Tickets {
			tickets = append(tickets, index[t.TicketID])
			for _, p := range t.Players {
				teams[p.Team] = append(teams[p.Team], skills[p.PlayerID])
				all = append(all, skills[p.PlayerID])
			}
		}
		out = append(out, poolMatch{players: len(all), spread: slices.Max(all) - slices.Min(all),
			balance: teamDifference(slices.Collect(maps.Values(teams))), tickets: tickets})
	}
	return out, sub.Err()
}

// teamDifference is the highest minus the lowest team average; zero with fewer than two teams
// holding players.
func teamDifference(teams [][]float64) float64 {
	lo, hi, n := math.Inf(1), math.Inf(-1), 0
	for _, t := range teams {
		if len(t) == 0 {
			continue
		}
		avg := mean(t)
		lo, hi, n = min(lo, avg), max(hi, avg), n+1
	}
	if n < 2 {
		return 0
	}
	return hi - lo
}

// best is what the exhaustive search found: the most players any set of disjoint matches
// holds, and by number of matches k the smallest total spread and team difference of k
// disjoint matches (+Inf where no k matches exist).
type best struct {
	players         float64
	spread, balance []float64
}

// candidate is one ticket subset the rules accept, with its best team assignment.
type candidate struct {
	mask            uint64
	players         int
	spread, balance float64
}

// exhaustive finds the best achievable matches of pool under irs as relaxed at age.
func exhaustive(irs *ruleset.RuleSet, skillAttr string, pool []Arrival, age time.Duration) (best, error) {
	if len(pool) > exhaustiveMaxTickets {
		return best{}, fmt.Errorf("sim: exhaustive search over %d tickets; at most %d", len(pool), exhaustiveMaxTickets)
	}
	e, err := enumerate(irs, skillAttr, pool, age)
	if err != nil {
		return best{}, err
	}
	maxK := len(pool)
	sel := selection{cands: e.cands, byLow: make([][]int, len(pool)), memo: map[uint64][]float64{}, k: maxK}
	for i, c := range e.cands {
		low := bits.TrailingZeros64(c.mask)
		sel.byLow[low] = append(sel.byLow[low], i)
	}
	all := uint64(1)<<len(pool) - 1
	var b best
	sel.cost = func(c candidate) float64 { return -float64(c.players) }
	b.players = -slices.Min(sel.solve(all))
	sel.cost, sel.memo = func(c candidate) float64 { return c.spread }, map[uint64][]float64{}
	b.spread = sel.solve(all)
	sel.cost, sel.memo = func(c candidate) float64 { return c.balance }, map[uint64][]float64{}
	b.balance = sel.solve(all)
	return b, nil
}

// bestSplit returns the smallest team difference of a composition of exactly the tickets of
// pool at indices that the rules accept at age.
func bestSplit(irs *ruleset.RuleSet, skillAttr string, pool []Arrival, indices []int, age time.Duration) (float64, error) {
	sub := make([]Arrival, len(indices))
	for i, ix := range indices {
		sub[i] = pool[ix]
	}
	e, err := enumerate(irs, skillAttr, sub, age)
	if err != nil {
		return 0, err
	}
	all := uint64(1)<<len(sub) - 1
	if i, ok := e.found[all]; ok {
		return e.cands[i].balance, nil
	}
	return 0, fmt.Errorf("sim: the exhaustive search rejects a match the engine formed")
}

// enumerate finds every composition of pool's tickets that the rules accept at age.
func enumerate(irs *ruleset.RuleSet, skillAttr string, pool []Arrival, age time.Duration) (*enumeration, error) {
	tickets, err := resolvePool(irs, pool)
	if err != nil {
		return nil, err
	}
	e := &enumeration{irs: irs, chk: ruleset.NewChecker(irs), tickets: tickets, slot: skillSlot(irs, skillAttr),
		match: &teamsMatch{teams: make([][]*ruleset.Player, irs.TeamCount())}, found: map[uint64]int{},
		deadline: time.Now().Add(exhaustiveBudget)}
	e.chk.At(age)
	e.chk.SetExact(true) // partial mode prunes only what no joining player can undo
	e.walk(0)
	if e.overBudget {
		return nil, fmt.Errorf("sim: the exhaustive search took longer than %v; use smaller pools", exhaustiveBudget)
	}
	return e, nil
}

// sameTickets returns the smallest total spread of len(eng) disjoint matches of the tickets
// that the engine's matches eng hold.
func sameTickets(irs *ruleset.RuleSet, skillAttr string, pool []Arrival, eng []poolMatch, age time.Duration) (float64, error) {
	if len(eng) == 0 {
		return 0, nil
	}
	var sub []Arrival
	for _, m := range eng {
		for _, ix := range m.tickets {
			sub = append(sub, pool[ix])
		}
	}
	b, err := exhaustive(irs, skillAttr, sub, age)
	if err != nil {
		return 0, err
	}
	if len(eng) >= len(b.spread) || math.IsInf(b.spread[len(eng)], 1) {
		return 0, fmt.Errorf("sim: the exhaustive search rejects matches the engine formed")
	}
	return b.spread[len(eng)], nil
}

// exhaustiveBudget bounds one exhaustive search's wall-clock time.
const exhaustiveBudget = 20 * time.Second

// resolvePool lays each ticket's players out as the rule set's evaluator reads them.
func resolvePool(irs *ruleset.RuleSet, pool []Arrival) ([][]ruleset.Player, error) {
	regions := map[string]int32{}
	for _, a := range pool {
		for _, p := range a.Ticket.Players {
			for name := range p.LatencyInMs {
				regions[name] = 0
			}
		}
	}
	for i, name := range slices.Sorted(maps.Keys(regions)) {
		regions[name] = int32(i)
	}
	out := make([][]ruleset.Player, len(pool))
	for i, a := range pool {
		for _, in := range a.Ticket.Players {
			p := irs.NewPlayer(in.PlayerID)
			for j := range irs.AttrCount() {
				attr := irs.Attr(j)
				v, ok := in.Attributes[attr.Name]
				if !ok && !attr.HasDefault {
					return nil, fmt.Errorf("sim: player %s has no attribute %q and the rule set gives no default", in.PlayerID, attr.Name)
				}
				switch matchmaker.AttributeType(attr.Type) {
				case matchmaker.AttrNumber:
					p.Nums[attr.Slot] = attr.Default.Num
					if ok {
						p.Nums[attr.Slot] = v.Number()
					}
				case matchmaker.AttrString:
					p.More.Strs[attr.Slot] = attr.Default.Str
					if ok {
						p.More.Strs[attr.Slot] = v.Str()
					}
				case matchmaker.AttrStringList:
					p.More.Lists[attr.Slot] = attr.Default.List
					if ok {
						p.More.Lists[attr.Slot] = v.StringList()
					}
				case matchmaker.AttrStringNumberMap:
					p.More.Maps[attr.Slot] = attr.Default.Map
					if ok {
						p.More.Maps[attr.Slot] = v.StringNumberMap()
					}
				}
			}
			for name, ms := range in.LatencyInMs {
				p.Lat = append(p.Lat, ruleset.RegionLatency{Region: regions[name], Ms: int32(ms)})
			}
			slices.SortFunc(p.Lat, func(a, b ruleset.RegionLatency) int { return int(a.Region - b.Region) })
			out[i] = append(out[i], p)
		}
	}
	return out, nil
}

// teamsMatch is a potential match of the exhaustive search; it implements ruleset.Match.
type teamsMatch struct{ teams [][]*ruleset.Player }

func (m *teamsMatch) TeamSize(team int) int              { return len(m.teams[team]) }
func (m *teamsMatch) Player(team, i int) *ruleset.Player { return m.teams[team][i] }

// enumeration walks every (subset, team assignment) of the pool that the rules accept.
type enumeration struct {
	irs     *ruleset.RuleSet
	chk     *ruleset.Checker
	tickets [][]ruleset.Player
	slot    int // the skill attribute's number slot
	match   *teamsMatch
	players int
	mask    uint64
	found   map[uint64]int // candidate index by mask
	cands   []candidate

	deadline   time.Time
	steps      int
	overBudget bool
}

// walk decides ticket i onwards: skipped, or on any team with room where every rule still
// holds in partial mode; every composition that passes final mode is a candidate.
func (e *enumeration) walk(i int) {
	if e.steps++; e.steps%4096 == 0 && time.Now().After(e.deadline) {
		e.overBudget = true
	}
	if e.overBudget || i == len(e.tickets) {
		return
	}
	e.walk(i + 1)
	t := e.tickets[i]
	if e.players+len(t) > e.irs.MaxPlayers() {
		return
	}
	for team := range e.match.teams {
		if _, hi := e.chk.TeamBounds(team); len(e.match.teams[team])+len(t) > hi {
			continue
		}
		for j := range t {
			e.match.teams[team] = append(e.match.teams[team], &t[j])
		}
		e.mask |= 1 << i
		e.players += len(t)
		if e.stillPossible() {
			if e.chk.SizesOK(e.match, true) && e.chk.Check(e.match, true) {
				e.record()
			}
			e.walk(i + 1)
		}
		e.players -= len(t)
		e.mask &^= 1 << i
		e.match.teams[team] = e.match.teams[team][:len(e.match.teams[team])-len(t)]
	}
}

// stillPossible reports whether players joining the current composition could make it pass:
// it passes partial mode in exact mode (ruleset.Checker.SetExact), which rejects only failures
// no joining player can undo. The default partial mode follows FlexMatch's heuristic, which
// depends on the order players join in, so the search does not prune on it.
func (e *enumeration) stillPossible() bool { return e.chk.Check(e.match, false) }

// record keeps the current composition, or improves the team difference of its subset.
func (e *enumeration) record() {
	var all []float64
	teams := make([][]float64, len(e.match.teams))
	for ti, team := range e.match.teams {
		for _, p := range team {
			v := p.Nums[e.slot]
			teams[ti] = append(teams[ti], v)
			all = append(all, v)
		}
	}
	c := candidate{mask: e.mask, players: e.players, spread: slices.Max(all) - slices.Min(all), balance: teamDifference(teams)}
	if i, ok := e.found[e.mask]; ok {
		e.cands[i].balance = min(e.cands[i].balance, c.balance)
		return
	}
	e.found[e.mask] = len(e.cands)
	e.cands = append(e.cands, c)
}

// skillSlot returns the number slot of attribute name in irs, or -1.
func skillSlot(irs *ruleset.RuleSet, name string) int {
	for i := range irs.AttrCount() {
		if a := irs.Attr(i); a.Name == name && matchmaker.AttributeType(a.Type) == matchmaker.AttrNumber {
			return a.Slot
		}
	}
	return -1
}

// selection picks disjoint candidates: solve(avail) returns, for each number of matches k, the
// smallest total cost of k disjoint candidates within avail.
type selection struct {
	cands []candidate
	byLow [][]int // candidate indices by their lowest ticket
	memo  map[uint64][]float64
	cost  func(candidate) float64
	k     int
}

func (s *selection) solve(avail uint64) []float64 {
	if v, ok := s.memo[avail]; ok {
		return v
	}
	out := make([]float64, s.k+1)
	for i := range out {
		out[i] = math.Inf(1)
	}
	out[0] = 0
	if avail != 0 {
		low := bits.TrailingZeros64(avail)
		copy(out, s.solve(avail&^(1<<low)))
		for _, ci := range s.byLow[low] {
			c := s.cands[ci]
			if c.mask&avail != c.mask {
				continue
			}
			rest := s.solve(avail &^ c.mask)
			cost := s.cost(c)
			for k := 0; k < s.k; k++ {
				out[k+1] = min(out[k+1], rest[k]+cost)
			}
		}
	}
	s.memo[avail] = out
	return out
}

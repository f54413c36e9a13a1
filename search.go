package matchmaker

// This file holds the search phase of a tick: around each anchor, the best potential match its
// neighbours in the pool order can form (spec §e.2), in partial mode while tickets are added and
// in final mode before it is proposed, with backtracking; sort rules, large matches and team
// balancing. The search proposes matches and changes no ticket's status; commit.go makes them
// matches.

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// found is a match the search proposes: its tickets with their teams and pool positions (a
// range of the tick's scratch m.foundMembers), and the region chosen for it. Nothing about its
// tickets has changed yet; commitMatchesLocked turns it into a match.
type found struct {
	from, to int
	region   string
}

// proposeMatchesLocked is the search phase of a tick. It tries every searching ticket near a
// change as an anchor, oldest first, so that one ticket that cannot match never keeps others
// from matching; tickets far from any change would fail exactly as they did at the previous
// tick and are not searched again. Each match found claims its tickets' pool positions for the
// rest of the search, and is returned in the order found. It changes no ticket's status: only
// the pool's claims and the rule counters that Explain reports. Requires m.mu.
func (m *Matchmaker) proposeMatchesLocked(now time.Time) []found {
	out := m.found[:0]
	m.foundMembers = m.foundMembers[:0]
	m.exhaustiveLeft = exhaustiveTickBudget
	prio := m.rs.BackfillPriority()
	if m.rs.Large() && m.pool.backfills > 0 {
		prio = "high" // large matches always prefer backfill (spec §d.6)
	}
	pass := func(backfill func(*ticket) bool) {
		for _, a := range m.pool.anchors {
			t := m.pool.order[a]
			if t.claimed || t.status != StatusSearching || !backfill(t) || t.bf != nil && m.openSlots(t) == 0 {
				continue
			}
			if m.search(now, a) {
				out = append(out, m.claimLocked(now))
			}
		}
	}
	isBackfill := func(t *ticket) bool { return t.bf != nil }
	notBackfill := func(t *ticket) bool { return t.bf == nil }
	switch {
	case prio == "high" && m.pool.backfills > 0:
		pass(isBackfill)
		pass(notBackfill)
	case prio == "low" && m.pool.backfills > 0:
		pass(notBackfill)
		pass(isBackfill)
	default:
		pass(func(*ticket) bool { return true })
	}
	for _, t := range m.hopeless {
		t.hopeless = false
	}
	m.hopeless = m.hopeless[:0]
	m.repairPairings(now, out)
	m.found = out
	return out
}

// maxRepairTickets bounds the tickets of the matches repairPairings exchanges between: 1v1 and
// 2v2 of solo players, where a swap is cheap to check.
const maxRepairTickets = 4

// repairPairings exchanges tickets between the matches the tick found, so that the same
// tickets match with less skill spread. Each anchor takes its nearest candidates, oldest
// first, which on a line of skills can pair 10 with 12 and leave 0 with 30 (spread 2 + 30)
// where 0 with 10 and 12 with 30 would do (10 + 18): the simulate command's exhaustive
// comparison found 1v1 spreads 1.5 times the best once expansions had widened the rules.
// Matches of at most maxRepairTickets tickets, none a backfill, are taken in the order of their
// average on the attribute that orders the pool; two near neighbours swap two tickets of one
// size, each taking the other's place and team, when that lowers their summed spread without
// moving their teams' averages further apart, and both still pass every rule in final mode;
// their regions are chosen again. Who matches in this tick does not change,
// only with whom. Requires m.mu.
func (m *Matchmaker) repairPairings(now time.Time, fs []found) {
	slot := m.rs.OrderSlot()
	if m.opts.noRepair || m.rs.Large() || slot < 0 || len(fs) < 2 {
		return
	}
	type keyed struct {
		i   int
		key float64
	}
	var order []keyed
	for i, f := range fs {
		ms := m.foundMembers[f.from:f.to]
		if len(ms) > maxRepairTickets || slices.ContainsFunc(ms, func(mb member) bool { return mb.t.bf != nil }) {
			continue
		}
		sum, n := 0.0, 0
		for _, mb := range ms {
			for j := range mb.t.players {
				sum, n = sum+mb.t.players[j].Nums[slot], n+1
			}
		}
		order = append(order, keyed{i, sum / float64(n)})
	}
	slices.SortStableFunc(order, func(a, b keyed) int { return cmp.Compare(a.key, b.key) })
	for range repairPasses {
		improved := false
		for k := 1; k < len(order); k++ {
			for d := 1; d <= repairReach && k-d >= 0; d++ {
				if m.repairPair(now, &fs[order[k-d].i], &fs[order[k].i], slot) {
					improved = true
				}
			}
		}
		if !improved {
			return
		}
	}
}

// repairPasses and repairReach bound repairPairings' work: passes over the matches, and how
// many neighbours before it in the order each match tries to exchange with.
const (
	repairPasses = 4
	repairReach  = 2
)

// repairPair makes the first swap of two same-sized tickets between f and g that lowers their
// summed spread and keeps both valid, and reports whether it made one.
func (m *Matchmaker) repairPair(now time.Time, f, g *found, slot int) bool {
	a, b := m.foundMembers[f.from:f.to], m.foundMembers[g.from:g.to]
	spread := membersSpread(a, slot) + membersSpread(b, slot)
	teams := m.teamDifference(a, slot) + m.teamDifference(b, slot)
	for i := range a {
		for j := range b {
			if len(a[i].t.players) != len(b[j].t.players) {
				continue // each takes the other's place: its team, with the same team sizes
			}
			a[i].t, b[j].t, a[i].pos, b[j].pos = b[j].t, a[i].t, b[j].pos, a[i].pos
			if membersSpread(a, slot)+membersSpread(b, slot) < spread-1e-9 &&
				m.teamDifference(a, slot)+m.teamDifference(b, slot) <= teams+1e-9 {
				if ra, ok := m.recheck(now, a); ok {
					if rb, ok := m.recheck(now, b); ok {
						f.region, g.region = ra, rb
						return true
					}
				}
			}
			a[i].t, b[j].t, a[i].pos, b[j].pos = b[j].t, a[i].t, b[j].pos, a[i].pos
		}
	}
	return false
}

// recheck loads members as the potential match and reports whether it passes final mode, with
// the region it would be given.
func (m *Matchmaker) recheck(now time.Time, members []member) (string, bool) {
	m.pm.reset()
	for _, mb := range members {
		m.pm.add(mb.t, mb.team)
	}
	if !m.finalOK(now) {
		return "", false
	}
	return m.bestRegion(now), true
}

// teamDifference is the highest minus the lowest team average of slot among members, on the
// teams they are given.
func (m *Matchmaker) teamDifference(members []member, slot int) float64 {
	sums, sizes := m.teamSums[:0], m.teamSizes[:0]
	for range m.pm.teams {
		sums, sizes = append(sums, 0), append(sizes, 0)
	}
	for _, mb := range members {
		for j := range mb.t.players {
			sums[mb.team] += mb.t.players[j].Nums[slot]
			sizes[mb.team]++
		}
	}
	m.teamSums, m.teamSizes = sums, sizes
	return spreadOfSums(sums, sizes)
}

// membersSpread is the highest minus the lowest value in slot among members' players.
func membersSpread(members []member, slot int) float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, mb := range members {
		for j := range mb.t.players {
			lo, hi = min(lo, mb.t.players[j].Nums[slot]), max(hi, mb.t.players[j].Nums[slot])
		}
	}
	return hi - lo
}

// claimLocked records the potential match in m.pm as found and takes its tickets out of the
// candidates for the rest of this search.
func (m *Matchmaker) claimLocked(now time.Time) found {
	f := found{from: len(m.foundMembers), region: m.bestRegion(now)}
	m.foundMembers = append(m.foundMembers, m.pm.members...)
	f.to = len(m.foundMembers)
	for _, mb := range m.pm.members {
		m.pool.claimAt(mb.pos)
	}
	return f
}

// search builds the best potential match around the anchor at position a into m.pm and reports
// whether it may be emitted. Requires m.mu.
func (m *Matchmaker) search(now time.Time, a int32) bool {
	m.pm.reset()
	m.cands, m.candPos = m.pool.window(a, m.searchWindow(), m.cands[:0], m.candPos[:0])
	anchor := m.pool.order[a]
	if m.rs.SortCount() > 0 {
		m.sortCandidates(anchor)
	}
	if !m.place(now, anchor, a) {
		return false
	}
	for i, t := range m.cands {
		if t.bf != nil && (m.hasBackfill() || m.openSlots(t) == 0) {
			continue
		}
		if !m.place(now, t, m.candPos[i]) || !m.chk.Full(m.pm) {
			continue
		}
		if m.rs.Large() || m.finalOK(now) {
			break
		}
		// Full, but the whole fails a rule that partial mode could not settle (a minimum
		// distance, a not): the last ticket leaves and the next candidates try its place.
		m.recordFailure(t)
		m.pm.pop()
	}
	if m.rs.Large() {
		return m.finishLarge(now)
	}
	if m.finish(now) {
		return true
	}
	if w := m.searchWindow(); len(m.cands) < w {
		return m.exhaustive(now, a)
	} else if w <= exhaustiveTickets {
		// A small rule set's window may be narrower than a small pool: look at the whole
		// partition when it holds at most exhaustiveTickets tickets.
		m.cands, m.candPos = m.pool.window(a, exhaustiveTickets+1, m.cands[:0], m.candPos[:0])
		if len(m.cands) <= exhaustiveTickets {
			if m.rs.SortCount() > 0 {
				m.sortCandidates(anchor)
			}
			return m.exhaustive(now, a)
		}
	}
	return false
}

// exhaustiveBudget bounds the placements one anchor's exhaustive search tries, and
// exhaustiveTickBudget those of all anchors in one tick; exhaustiveTickets bounds the partition
// it widens a narrower window to.
const (
	exhaustiveBudget     = 1 << 11
	exhaustiveTickBudget = 1 << 13
	exhaustiveTickets    = 24
)

// exhaustive searches every way the candidates can join the anchor, each on any team or left
// out, for a match that passes final mode; it runs when the greedy search failed and the
// window holds every unclaimed ticket of the anchor's partition, so that a small pool never
// waits while a valid match exists (invariant 8). Partial mode prunes only what joining
// players cannot undo (the rules' directions, Checker.SetExact), and a branch stops when the
// players left cannot reach the teams' smallest minimums. At most exhaustiveBudget placements
// per anchor and exhaustiveTickBudget per tick; an anchor proven to have no match is hopeless
// for the rest of the tick, and later anchors leave it out. The first match found, in
// candidate order and team order, wins.
func (m *Matchmaker) exhaustive(now time.Time, a int32) bool {
	allowed := min(exhaustiveBudget, m.exhaustiveLeft)
	if allowed <= 0 {
		return false
	}
	anchor := m.pool.order[a]
	x := &m.exh
	*x = exhaustiveState{now: now, budget: allowed, need: m.rs.MinPlayersEver(), lo: anchor.waited(now), hi: anchor.waited(now)}
	x.left = append(x.left[:0], 0)
	for i := len(m.cands) - 1; i >= 0; i-- {
		n := x.left[len(x.left)-1]
		if t := m.cands[i]; t.bf == nil && !t.hopeless {
			n += len(t.players)
		}
		x.left = append(x.left, n)
		w := m.cands[i].waited(now)
		x.lo, x.hi = min(x.lo, w), max(x.hi, w)
	}
	slices.Reverse(x.left) // x.left[k]: players among candidates k and after
	m.pm.reset()
	m.chk.SetExact(true)
	ok := m.exhaustiveJoin(anchor, a, 0)
	m.chk.SetExact(false)
	m.exhaustiveLeft -= allowed - max(x.budget, 0)
	if ok {
		m.balanceSmall(now)
		return true
	}
	if x.budget >= 0 {
		anchor.hopeless = true
		m.hopeless = append(m.hopeless, anchor)
	}
	m.pm.reset()
	return false
}

// exhaustiveState is one exhaustive search's state, kept in the Matchmaker so that the search
// allocates nothing.
type exhaustiveState struct {
	now    time.Time
	budget int           // placements left
	need   int           // the fewest players a match can have
	lo, hi time.Duration // the youngest and oldest wait among the anchor and its candidates
	left   []int         // left[k]: players among candidates k and after
}

// exhaustiveJoin tries t on each team in turn (a backfill on its own teams), going on with
// candidate k; it leaves t in m.pm when that leads to a match.
func (m *Matchmaker) exhaustiveJoin(t *ticket, pos int32, k int) bool {
	pm, x := m.pm, &m.exh
	if t.bf != nil {
		if t.bf.maxNew > 0 && pm.size() > m.openSlots(t) {
			return false
		}
		x.budget--
		pm.addRoster(t)
		pm.members[len(pm.members)-1].pos = pos
		if m.exhaustivePartialOK() && m.exhaustiveNext(k) {
			return true
		}
		pm.pop()
		return false
	}
	if !m.roomFor(t) {
		return false
	}
	for team := range pm.teams {
		if x.budget--; x.budget < 0 {
			return false
		}
		pm.add(t, team)
		pm.members[len(pm.members)-1].pos = pos
		if m.exhaustivePartialOK() && m.exhaustiveNext(k) {
			return true
		}
		pm.pop()
	}
	return false
}

// exhaustiveNext decides candidate k: it joins, or it is left out.
func (m *Matchmaker) exhaustiveNext(k int) bool {
	x := &m.exh
	if k == len(m.cands) {
		return m.finalOK(x.now)
	}
	if x.budget < 0 || m.pm.size()+x.left[k] < x.need {
		return false
	}
	if t := m.cands[k]; !t.hopeless && (t.bf == nil || !m.hasBackfill() && m.openSlots(t) > 0) && m.exhaustiveJoin(t, m.candPos[k], k+1) {
		return true
	}
	return m.exhaustiveNext(k + 1)
}

// exhaustivePartialOK checks the potential match in partial mode. The expansion age moves as
// tickets join (up with expansionAgeSelection "oldest", down otherwise), so it passes a
// composition that passes at any age the candidates can still give it.
func (m *Matchmaker) exhaustivePartialOK() bool {
	x, c := &m.exh, m.chk
	from, to := m.expansionAge(x.now), m.expansionAge(x.now)
	if m.rs.AgeFromOldest() {
		to = x.hi
	} else {
		from = x.lo
	}
	for at := from; ; {
		c.At(at)
		if c.SizesOK(m.pm, false) && c.Check(m.pm, false) {
			return true
		}
		if at = m.rs.NextStep(at); at < 0 || at > to {
			return false
		}
	}
}

// searchWindow is how many candidates an anchor considers.
func (m *Matchmaker) searchWindow() int {
	if m.rs.Large() {
		return max(m.opts.window, 3*m.rs.MaxPlayers())
	}
	return m.opts.window
}

// hasBackfill reports whether the potential match holds a backfill ticket.
func (m *Matchmaker) hasBackfill() bool {
	return slices.ContainsFunc(m.pm.members, func(mb member) bool { return mb.t.bf != nil })
}

// expansionAge is the age that drives expansions for the potential match: that of its newest
// ticket, or its oldest with expansionAgeSelection "oldest" (spec §c).
func (m *Matchmaker) expansionAge(now time.Time) time.Duration {
	var age time.Duration
	for i, mb := range m.pm.members {
		a := mb.t.waited(now)
		if i == 0 || m.rs.AgeFromOldest() && a > age || !m.rs.AgeFromOldest() && a < age {
			age = a
		}
	}
	return age
}

// place tries to add t to the potential match: a backfill roster on its own teams, any other
// ticket on the first team, fewest players first, where every rule still holds in partial mode.
func (m *Matchmaker) place(now time.Time, t *ticket, pos int32) bool {
	pm, c := m.pm, m.chk
	if t.bf != nil {
		if t.bf.maxNew > 0 && pm.size() > m.openSlots(t) {
			return false // the tickets placed before it already add more players than it may take
		}
		pm.addRoster(t)
		pm.members[len(pm.members)-1].pos = pos
		c.At(m.expansionAge(now))
		if c.SizesOK(pm, false) && c.Check(pm, false) {
			return true
		}
		pm.pop()
		m.recordFailure(t)
		return false
	}
	if !m.roomFor(t) {
		return false
	}
	m.teamOrder = m.teamOrder[:0]
	for i := range pm.teams {
		m.teamOrder = append(m.teamOrder, i)
	}
	if m.rs.Large() {
		m.largeFillOrder(now, t)
	} else { // fewest players first, so sizes stay even (spec §e.2.1)
		slices.SortStableFunc(m.teamOrder, func(a, b int) int { return cmp.Compare(len(pm.teams[a]), len(pm.teams[b])) })
	}
	for _, team := range m.teamOrder {
		pm.add(t, team)
		pm.members[len(pm.members)-1].pos = pos
		c.At(m.expansionAge(now))
		if c.SizesOK(pm, false) && (m.rs.Large() || c.Check(pm, false)) && (!m.rs.Large() || m.chk.LargeRulesOK(pm)) {
			return true
		}
		pm.pop()
	}
	m.recordFailure(t)
	return false
}

// largeFillOrder orders m.teamOrder as FlexMatch fills a large match (spec §d.4): teams below
// their minimum first, then the teams with the most open slots, ties in definition order, so
// tied teams take turns. Sizes are those in force once t joins.
func (m *Matchmaker) largeFillOrder(now time.Time, t *ticket) {
	pm, c := m.pm, m.chk
	age := t.waited(now)
	if len(pm.members) > 0 {
		if cur := m.expansionAge(now); m.rs.AgeFromOldest() == (cur > age) {
			age = cur
		}
	}
	c.At(age)
	below := func(i int) bool { lo, _ := c.TeamBounds(i); return len(pm.teams[i]) < lo }
	open := func(i int) int { _, hi := c.TeamBounds(i); return hi - len(pm.teams[i]) }
	slices.SortStableFunc(m.teamOrder, func(a, b int) int {
		if ba, bb := below(a), below(b); ba != bb {
			if ba {
				return -1
			}
			return 1
		}
		return cmp.Compare(open(b), open(a))
	})
}

// roomFor applies the limits beyond team sizes to a ticket joining after a backfill roster: the
// backfill's cap on new players, and the slots a new match keeps free (AdditionalPlayerCount).
// place checks the cap the other way round, for a backfill joining after other tickets.
func (m *Matchmaker) roomFor(t *ticket) bool {
	added := len(t.players)
	for _, mb := range m.pm.members {
		if mb.t.bf != nil {
			if mb.t.bf.maxNew > 0 && m.pm.size()-len(mb.t.players)+added > m.openSlots(mb.t) {
				return false
			}
			return true
		}
	}
	if m.cfg.AdditionalPlayerCount > 0 && m.cfg.FlexMatchMode == WithQueue {
		return m.pm.size()+added <= m.rs.MaxPlayers()-m.cfg.AdditionalPlayerCount
	}
	return true
}

func (m *Matchmaker) recordFailure(t *ticket) {
	if r, ok := m.chk.Failed(); ok {
		t.metric(m.rs.RuleCount(), r).failed++
		m.observeRejectionLocked(r)
	}
}

func (t *ticket) metric(rules, idx int) *ruleMetric {
	if t.metrics == nil {
		ms := make([]ruleMetric, rules)
		t.metrics = &ms
	}
	return &(*t.metrics)[idx]
}

// finalOK reports whether the potential match passes final mode as it stands.
func (m *Matchmaker) finalOK(now time.Time) bool {
	c := m.chk
	c.At(m.expansionAge(now))
	backfillAlone := m.hasBackfill() && len(m.pm.members) < 2
	return !backfillAlone && c.SizesOK(m.pm, true) && c.Check(m.pm, true)
}

// finish applies final-mode evaluation; when the full composition fails it backtracks, dropping
// the most recently added tickets while the anchor and any backfill roster stay (spec §e.2.1).
// A composition that passes has its teams balanced (balanceSmall).
func (m *Matchmaker) finish(now time.Time) bool {
	pm := m.pm
	for {
		if m.finalOK(now) {
			m.balanceSmall(now)
			return true
		}
		last := pm.members[len(pm.members)-1]
		if len(pm.members) == 1 || last.t.bf != nil {
			m.recordFailure(pm.members[0].t)
			return false
		}
		pm.pop()
	}
}

// sortCandidates orders m.cands (and their positions) by the rule set's sort rules relative to
// the anchor, in rule order, keeping the nearest-first order for ties (spec §b.6, §b.7).
func (m *Matchmaker) sortCandidates(anchor *ticket) {
	ks := m.sortScratch[:0]
	for i, t := range m.cands {
		k := sortKeyed{t: t, pos: m.candPos[i]}
		for j := range min(m.rs.SortCount(), len(k.keys)) {
			k.keys[j] = m.rs.SortKey(j, anchor.players, t.players)
		}
		ks = append(ks, k)
	}
	m.sortScratch = ks
	slices.SortStableFunc(ks, func(a, b sortKeyed) int {
		for j := range a.keys {
			if c := cmp.Compare(a.keys[j], b.keys[j]); c != 0 {
				return c
			}
		}
		return 0
	})
	for i := range ks {
		m.cands[i], m.candPos[i] = ks[i].t, ks[i].pos
	}
}

// sortKeyed is a candidate with its sort-rule keys (the first four sort rules order; later
// ones would only break ties that are vanishingly rare).
type sortKeyed struct {
	t    *ticket
	pos  int32
	keys [4]float64
}

// ---- large matches (spec §d)

// finishLarge accepts a large match once every team has its minimum, then balances the teams
// on the balanced attribute.
func (m *Matchmaker) finishLarge(now time.Time) bool {
	c := m.chk
	c.At(m.expansionAge(now))
	if !c.SizesOK(m.pm, true) || m.hasBackfill() && len(m.pm.members) < 2 {
		return false
	}
	m.balanceTeams()
	return true
}

// balanceTeams reassigns the tickets of a large match among its teams so that the teams'
// averages of the balanced attribute are close (spec §d.1), keeping each team's size and every
// party on one team: tickets in descending value go to the team whose average so far is lowest
// among those with room, then pairs of equal-sized tickets on different teams swap while that
// brings the teams' averages closer. Its cost is O(passes × tickets²): a median of 0.09 ms for
// 200 players from a sorted split (BenchmarkBalanceLargeMatch).
func (m *Matchmaker) balanceTeams() {
	slot := m.rs.BalancedSlot()
	if len(m.pm.teams) < 2 || slot < 0 || m.hasBackfill() {
		return
	}
	members, value, _, sizes := m.teamValues(slot)
	n := len(sizes)
	order := make([]int, len(members))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Or(cmp.Compare(len(members[b].t.players), len(members[a].t.players)), cmp.Compare(value[b], value[a]))
	})
	sums := make([]float64, n)
	counts := make([]int, n)
	assign := make([]int, len(members))
	for _, i := range order {
		party, best := len(members[i].t.players), -1
		for team := range n {
			if counts[team]+party > sizes[team] {
				continue
			}
			if best < 0 || sums[team]/float64(sizes[team]) < sums[best]/float64(sizes[best]) {
				best = team
			}
		}
		if best < 0 {
			return // parties do not pack into the same sizes; keep the fill order's teams
		}
		assign[i] = best
		counts[best] += party
		sums[best] += value[i]
	}
	improveBySwaps(members, value, assign, sums, sizes)
	m.reassign(members, assign)
}

// balanceSmall brings the team averages of a small match closer on the attribute that orders
// the pool (its skill, usually), keeping every team's size and every party on one team. The
// fill order puts each ticket on the team with the fewest players, blind to skill, which left
// 5v5 teams' averages many times further apart than the rules allow at best (the simulate
// command's quality comparison). The closest splits (balancedSplits) are tried in turn, and
// the first that passes every rule in final mode is kept; if none does, the match keeps its
// fill-order teams. A backfill's roster keeps its teams.
func (m *Matchmaker) balanceSmall(now time.Time) {
	slot := m.rs.OrderSlot()
	if m.opts.fillOrderTeams || len(m.pm.teams) < 2 || slot < 0 || m.hasBackfill() {
		return
	}
	members, value, filled, sizes := m.teamValues(slot)
	for _, assign := range balancedSplits(members, value, filled, sizes, balanceTries) {
		m.reassign(members, assign)
		if m.finalOK(now) {
			return
		}
	}
	m.reassign(members, filled)
}

// balanceTries bounds the closer splits balanceSmall tries on one match, each with a
// final-mode check (two, a split and its mirror, where the two teams have one size).
const balanceTries = 4

// maxExactMembers bounds the tickets of a two-team match whose splits balancedSplits
// enumerates: at most 2^12 subsets, 126 of them for ten solo players split five and five.
const maxExactMembers = 12

// balancedSplits returns up to n assignments of members to teams, each team keeping its size
// in players, whose teams' averages lie closer together than assign's, closest first. For two
// teams and at most maxExactMembers tickets it enumerates every split; otherwise it returns
// the one improveBySwaps reaches.
func balancedSplits(members []member, value []float64, assign, sizes []int, n int) [][]int {
	limit := averageSpread(value, assign, sizes) - 1e-9
	if len(sizes) == 2 && len(members) <= maxExactMembers {
		return twoTeamSplits(members, value, sizes, limit, n)
	}
	sums := make([]float64, len(sizes))
	for i, team := range assign {
		sums[team] += value[i]
	}
	swapped := slices.Clone(assign)
	if improveBySwaps(members, value, swapped, sums, sizes) && averageSpread(value, swapped, sizes) < limit {
		return [][]int{swapped}
	}
	return nil
}

// twoTeamSplits enumerates the ways to give the first team exactly its size in players, and
// returns up to n whose averages lie closer than limit, closest first. When both teams have
// one size, a split and its mirror are equally close: only splits with the first ticket on
// the first team are enumerated, and each is returned followed by its mirror (a rule may tell
// them apart).
func twoTeamSplits(members []member, value []float64, sizes []int, limit float64, n int) [][]int {
	total := 0.0
	for _, v := range value {
		total += v
	}
	type split struct {
		spread float64
		first  uint64 // the members on the first team
	}
	best := make([]split, 0, n+1)
	rest := make([]int, len(members)+1) // players in members[i:]
	for i := len(members) - 1; i >= 0; i-- {
		rest[i] = rest[i+1] + len(members[i].t.players)
	}
	var walk func(i, players int, first uint64, sum float64)
	walk = func(i, players int, first uint64, sum float64) {
		if players == sizes[0] {
			spread := math.Abs(sum/float64(sizes[0]) - (total-sum)/float64(max(sizes[1], 1)))
			if spread < limit && (len(best) < n || spread < best[len(best)-1].spread) {
				at, _ := slices.BinarySearchFunc(best, spread, func(s split, v float64) int { return cmp.Compare(s.spread, v) })
				best = slices.Insert(best, at, split{spread, first})[:min(len(best)+1, n)]
			}
			return
		}
		if players+rest[i] < sizes[0] {
			return // the first team can no longer be filled
		}
		if party := len(members[i].t.players); players+party <= sizes[0] {
			walk(i+1, players+party, first|1<<i, sum+value[i])
		}
		walk(i+1, players, first, sum)
	}
	mirror := sizes[0] == sizes[1]
	if mirror {
		walk(1, len(members[0].t.players), 1, value[0])
	} else {
		walk(0, 0, 0, 0)
	}
	var out [][]int
	for _, b := range best {
		for _, side := range []uint64{0, 1} {
			if side == 1 && !mirror {
				break
			}
			a := make([]int, len(members))
			for i := range a {
				a[i] = int(side ^ (b.first>>i&1 ^ 1)) // 0: the first team
			}
			out = append(out, a)
		}
	}
	return out
}

// averageSpread is the highest minus the lowest team average under assign.
func averageSpread(value []float64, assign, sizes []int) float64 {
	sums := make([]float64, len(sizes))
	for i, team := range assign {
		sums[team] += value[i]
	}
	return spreadOfSums(sums, sizes)
}

// spreadOfSums is the highest minus the lowest average of the teams with players, from their
// sums and sizes.
func spreadOfSums(sums []float64, sizes []int) float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for t, sum := range sums {
		if sizes[t] > 0 {
			lo, hi = min(lo, sum/float64(sizes[t])), max(hi, sum/float64(sizes[t]))
		}
	}
	return hi - lo
}

// teamValues returns the potential match's members (a copy), each one's sum of the number
// attribute in slot over its players, each one's team, and each team's size in players.
func (m *Matchmaker) teamValues(slot int) (members []member, value []float64, assign, sizes []int) {
	pm := m.pm
	sizes = make([]int, len(pm.teams))
	for i, t := range pm.teams {
		sizes[i] = len(t)
	}
	members = slices.Clone(pm.members)
	value = make([]float64, len(members))
	assign = make([]int, len(members))
	for i, mb := range members {
		for j := range mb.t.players {
			value[i] += mb.t.players[j].Nums[slot]
		}
		assign[i] = mb.team
	}
	return members, value, assign, sizes
}

// reassign rebuilds the potential match with members on the teams of assign.
func (m *Matchmaker) reassign(members []member, assign []int) {
	m.pm.reset()
	for i, mb := range members {
		m.pm.add(mb.t, assign[i])
		m.pm.members[len(m.pm.members)-1].pos = mb.pos // commit claims the ticket's own position
	}
}

// improveBySwaps swaps pairs of equal-sized tickets between teams while a swap brings the
// teams' averages closer: it lowers Σ size×(average − match average)², which for a fixed total
// is Σ sum²/size, least when every team's average is the same. It reports whether it swapped.
func improveBySwaps(members []member, value []float64, assign []int, sums []float64, sizes []int) (swapped bool) {
	cost := func(sum float64, size int) float64 { return sum * sum / float64(max(size, 1)) }
	for range 64 { // each pass strictly improves; the bound only caps pathological inputs
		improved := false
		for i := range members {
			for j := i + 1; j < len(members); j++ {
				a, b := assign[i], assign[j]
				if a == b || len(members[i].t.players) != len(members[j].t.players) {
					continue
				}
				d := value[j] - value[i] // what team a gains and team b loses by the swap
				before := cost(sums[a], sizes[a]) + cost(sums[b], sizes[b])
				after := cost(sums[a]+d, sizes[a]) + cost(sums[b]-d, sizes[b])
				if after < before-1e-9*(1+before) {
					sums[a] += d
					sums[b] -= d
					assign[i], assign[j] = b, a
					improved, swapped = true, true
				}
			}
		}
		if !improved {
			return swapped
		}
	}
	return swapped
}

// bestRegion returns, among the regions where every player of the potential match reported a
// latency and that every latency rule in force accepts (maxLatency, maxDistance), the one with
// the lowest average latency (ties: the lowest maximum, then the name); "" when there is none.
func (m *Matchmaker) bestRegion(now time.Time) string {
	var first *player
	for _, team := range m.pm.teams {
		if len(team) > 0 {
			first = team[0]
			break
		}
	}
	if first == nil {
		return ""
	}
	best, bestAvg, bestMax := "", 0.0, int32(0)
	if m.rs.HasLatencyRule() {
		m.chk.At(m.expansionAge(now)) // the parameters the match was accepted with
	}
	for _, cand := range first.Lat {
		if m.rs.HasLatencyRule() && !m.chk.RegionOK(m.pm, cand.Region) {
			continue
		}
		sum, worst, n, ok := 0.0, int32(0), 0, true
		for _, team := range m.pm.teams {
			for _, p := range team {
				ms, has := p.LatencyIn(cand.Region)
				if !has {
					ok = false
					break
				}
				sum, worst, n = sum+float64(ms), max(worst, ms), n+1
			}
		}
		if !ok {
			continue
		}
		avg := sum / float64(n)
		name := m.regions.names[cand.Region]
		if best == "" || avg < bestAvg || avg == bestAvg && (worst < bestMax || worst == bestMax && name < best) {
			best, bestAvg, bestMax = name, avg, worst
		}
	}
	return best
}

package matchmaker

// This file holds the search phase of a tick: around each anchor, the best potential match its
// neighbours in the pool order can form (spec §e.2), in partial mode while tickets are added and
// in final mode before it is proposed, with backtracking; sort rules, large matches and team
// balancing. The search proposes matches and changes no ticket's status; commit.go makes them
// matches.

import (
	"cmp"
	"slices"
	"time"

	"github.com/seed-04d22514/matchmaker/internal/ruleset"
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
				out = append(out, m.claimLocked())
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
	m.found = out
	return out
}

// claimLocked records the potential match in m.pm as found and takes its tickets out of the
// candidates for the rest of this search.
func (m *Matchmaker) claimLocked() found {
	f := found{from: len(m.foundMembers), region: m.bestRegion()}
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
	return m.finish(now)
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
	slices.SortStableFunc(m.teamOrder, func(a, b int) int { return cmp.Compare(len(pm.teams[a]), len(pm.teams[b])) })
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

// roomFor applies the limits beyond team sizes: a backfill's cap on new players, and the
// slots a new match keeps free (AdditionalPlayerCount).
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
func (m *Matchmaker) finish(now time.Time) bool {
	pm := m.pm
	for {
		if m.finalOK(now) {
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

// balanceTeams reassigns matchmaking tickets among the teams, keeping each team's size, so
// that the teams' averages of the balanced attribute are close: tickets in descending value go
// to the team with the lowest average among those with room for them.
func (m *Matchmaker) balanceTeams() {
	pm := m.pm
	slot := m.rs.BalancedSlot()
	if len(pm.teams) < 2 || slot < 0 || m.hasBackfill() {
		return
	}
	sizes := make([]int, len(pm.teams))
	for i, t := range pm.teams {
		sizes[i] = len(t)
	}
	members := slices.Clone(pm.members)
	slices.SortStableFunc(members, func(a, b member) int {
		return cmp.Or(cmp.Compare(len(b.t.players), len(a.t.players)),
			cmp.Compare(ruleset.PartyAverage(b.t.players, slot), ruleset.PartyAverage(a.t.players, slot)))
	})
	sums := make([]float64, len(sizes))
	counts := make([]int, len(sizes))
	assign := make([]int, len(members))
	for i, mb := range members {
		best := -1
		for team := range sizes {
			if counts[team]+len(mb.t.players) > sizes[team] {
				continue
			}
			avg := 0.0
			if counts[team] > 0 {
				avg = sums[team] / float64(counts[team])
			}
			if best < 0 || avg < sums[best]/float64(max(counts[best], 1)) {
				best = team
			}
		}
		if best < 0 {
			return // parties do not pack into the same sizes; keep the fill order's teams
		}
		assign[i] = best
		counts[best] += len(mb.t.players)
		for j := range mb.t.players {
			sums[best] += mb.t.players[j].Nums[slot]
		}
	}
	pm.reset()
	for i, mb := range members {
		pm.add(mb.t, assign[i])
		pm.members[len(pm.members)-1].pos = mb.pos // commit claims the ticket's own position
	}
}

// bestRegion returns the region acceptable to all players with the lowest average latency
// (ties: the lowest maximum, then the name), or "" when players reported no latency.
func (m *Matchmaker) bestRegion() string {
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
	for _, cand := range first.Lat {
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

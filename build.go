package matchmaker

// This file holds one matchmaking pass: timeouts, tickets entering the search, the match
// search around each anchor (spec §e.2), match formation, and the endings of tickets.

import (
	"cmp"
	"math"
	"slices"
	"time"
)

func (m *Matchmaker) tickLocked(now time.Time) {
	p := m.pool
	p.reach = m.searchWindow()
	p.oldestAge = m.rs.algo.ageSelection == "oldest"
	p.due(now.UnixNano(), func(x timer) {
		if x.t.status == StatusSearching && x.t.nextStep == x.at {
			p.crossed = append(p.crossed, x.t) // its neighbourhood searches again
			m.noteSteps(now, x.t)
		}
		m.expireTicket(now, x.t)
	})
	m.expireProposals(now)
	m.expireBackfillAcks(now)
	for _, t := range p.prepare() {
		m.noteSteps(now, t)
		if t.status == StatusQueued {
			t.status = StatusSearching
		}
		m.emit(now, &MatchmakingSearching{Tickets: []EventTicket{m.eventTicket(t, false)}})
	}
	m.buildMatches(now)
	m.purgeEnded(now)
}

// expireTicket ends t if its request timeout has passed.
func (m *Matchmaker) expireTicket(now time.Time, t *ticket) {
	acknowledged := t.bf != nil && !t.bf.ackDeadline.IsZero() // lives as long as it is acknowledged
	if (t.status == StatusSearching || t.status == StatusQueued) && !acknowledged && now.UnixNano() >= t.deadline {
		m.endTicket(now, t, StatusTimedOut, ReasonTimedOut, "Removed from matchmaking due to timing out.")
	}
}

// buildMatches tries every searching ticket near a change as an anchor, oldest first, so that
// one ticket that cannot match never keeps others from matching. Tickets far from any change
// would fail exactly as they did at the previous tick and are not searched again.
func (m *Matchmaker) buildMatches(now time.Time) {
	prio := m.rs.algo.backfillPriority
	if m.rs.large && m.pool.backfills > 0 {
		prio = "high" // large matches always prefer backfill (spec §d.6)
	}
	pass := func(backfill func(*ticket) bool) {
		for _, a := range m.pool.anchors {
			t := m.pool.order[a]
			if t.claimed || t.status != StatusSearching || !backfill(t) || t.bf != nil && m.openSlots(t) == 0 {
				continue
			}
			if m.search(now, a) {
				m.formMatch(now)
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
}

// search builds the best potential match around the anchor at position a into m.pm and reports
// whether it may be emitted. Requires m.mu.
func (m *Matchmaker) search(now time.Time, a int32) bool {
	m.pm.reset()
	m.cands, m.candPos = m.pool.window(a, m.searchWindow(), m.cands[:0], m.candPos[:0])
	anchor := m.pool.order[a]
	if len(m.rs.sorts) > 0 {
		m.sortCandidates(anchor)
	}
	if !m.place(now, anchor, a) {
		return false
	}
	for i, t := range m.cands {
		if t.bf != nil && (m.hasBackfill() || m.openSlots(t) == 0) {
			continue
		}
		m.place(now, t, m.candPos[i])
		if m.chk.full(m.pm) {
			break
		}
	}
	if m.rs.large {
		return m.finishLarge(now)
	}
	return m.finish(now)
}

// searchWindow is how many candidates an anchor considers.
func (m *Matchmaker) searchWindow() int {
	if m.rs.large {
		return max(m.opts.window, 3*m.rs.maxPlayers)
	}
	return m.opts.window
}

// noteSteps records when an expansion step next applies to t: a potential match holding t
// may change then, so its neighbourhood searches again.
func (m *Matchmaker) noteSteps(now time.Time, t *ticket) {
	t.nextStep = math.MaxInt64
	if step := m.rs.nextStep(t.waited(now)); step >= 0 {
		t.nextStep = t.start + int64(step)
		m.pool.addTimer(t.nextStep, t)
	}
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
		if i == 0 || m.rs.algo.ageSelection == "oldest" && a > age || m.rs.algo.ageSelection != "oldest" && a < age {
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
		c.at(m.expansionAge(now))
		if c.sizesOK(pm, false) && c.check(pm, false) {
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
		c.at(m.expansionAge(now))
		if c.sizesOK(pm, false) && (m.rs.large || c.check(pm, false)) && (!m.rs.large || m.largeRulesOK()) {
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
		return m.pm.size()+added <= m.rs.maxPlayers-m.cfg.AdditionalPlayerCount
	}
	return true
}

func (m *Matchmaker) recordFailure(t *ticket) {
	if r := m.chk.failed; r != nil {
		t.metric(len(m.rs.rules), r.index).failed++
	}
}

func (t *ticket) metric(rules, idx int) *ruleMetric {
	if t.metrics == nil {
		ms := make([]ruleMetric, rules)
		t.metrics = &ms
	}
	return &(*t.metrics)[idx]
}

// finish applies final-mode evaluation; when the full composition fails it backtracks, dropping
// the most recently added tickets while the anchor and any backfill roster stay (spec §e.2.1).
func (m *Matchmaker) finish(now time.Time) bool {
	pm, c := m.pm, m.chk
	for {
		c.at(m.expansionAge(now))
		backfillAlone := m.hasBackfill() && len(pm.members) < 2
		if !backfillAlone && c.sizesOK(pm, true) && c.check(pm, true) {
			return true
		}
		last := pm.members[len(pm.members)-1]
		if len(pm.members) == 1 || last.t.bf != nil {
			if c.failed != nil {
				m.recordFailure(pm.members[0].t)
			}
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
		for j, r := range m.rs.sorts {
			if j < len(k.keys) {
				k.keys[j] = m.rs.sortKey(r, anchor, t)
			}
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

// sortKey returns t's key under sort rule r, smaller first; missing values sort last.
func (rs *RuleSet) sortKey(r *rule, anchor, t *ticket) float64 {
	a := rs.attrs[r.sortAttr]
	sign := 1.0
	if r.sortDesc {
		sign = -1
	}
	switch a.typ {
	case AttrString:
		same := 1.0
		if anchor.players[0].more.strs[a.slot] == t.players[0].more.strs[a.slot] {
			same = 0
		}
		if r.sortDesc {
			same = 1 - same
		}
		return same
	case AttrStringNumberMap:
		key, ok := mapKeyOf(anchor.players[0].more.maps[a.slot], r.mapKey == "maxValue")
		if !ok {
			return math.Inf(1)
		}
		v, ok := partyMapValue(t, a.slot, key, r.agg)
		if !ok {
			return math.Inf(1)
		}
		if r.typ == RuleDistanceSort {
			av, _ := partyMapValue(anchor, a.slot, key, r.agg)
			return math.Abs(v - av)
		}
		return sign * v
	}
	v := partyNumber(t, a.slot, r.agg)
	if r.typ == RuleDistanceSort {
		return math.Abs(v - partyNumber(anchor, a.slot, r.agg))
	}
	return sign * v
}

// mapKeyOf picks the key with the highest (or lowest) value, ties by key name.
func mapKeyOf(m map[string]float64, highest bool) (string, bool) {
	best, bv, found := "", 0.0, false
	for k, v := range m {
		better := !found || highest && v > bv || !highest && v < bv || v == bv && k < best
		if better {
			best, bv, found = k, v, true
		}
	}
	return best, found
}

// partyAgg folds a ticket's player values with a partyAggregation function (avg, min, max).
type partyAgg struct {
	fn string
	v  float64
	n  int
}

func (a *partyAgg) add(v float64) {
	switch {
	case a.n == 0:
		a.v = v
	case a.fn == "min":
		a.v = min(a.v, v)
	case a.fn == "max":
		a.v = max(a.v, v)
	default:
		a.v += v
	}
	a.n++
}

func (a *partyAgg) result() (float64, bool) {
	if a.n == 0 {
		return 0, false
	}
	if a.fn != "min" && a.fn != "max" {
		return a.v / float64(a.n), true
	}
	return a.v, true
}

// partyNumber aggregates a number attribute over a ticket's players.
func partyNumber(t *ticket, slot int, agg string) float64 {
	a := partyAgg{fn: agg}
	for i := range t.players {
		a.add(t.players[i].nums[slot])
	}
	v, _ := a.result()
	return v
}

// partyMapValue aggregates one key of a map attribute over the players that have it.
func partyMapValue(t *ticket, slot int, key, agg string) (float64, bool) {
	a := partyAgg{fn: agg}
	for i := range t.players {
		if v, ok := t.players[i].more.maps[slot][key]; ok {
			a.add(v)
		}
	}
	return a.result()
}

// ---- large matches (spec §d)

// largeRulesOK checks the rules a large match honours: latency (maxLatency) and batchDistance.
func (m *Matchmaker) largeRulesOK() bool {
	for _, r := range m.rs.checks {
		if m.chk.rule(m.pm, r, false) == fail {
			m.chk.failed = r
			return false
		}
	}
	return true
}

// finishLarge accepts a large match once every team has its minimum, then balances the teams
// on the balanced attribute.
func (m *Matchmaker) finishLarge(now time.Time) bool {
	c := m.chk
	c.at(m.expansionAge(now))
	if !c.sizesOK(m.pm, true) || m.hasBackfill() && len(m.pm.members) < 2 {
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
	if len(pm.teams) < 2 || m.rs.algo.balancedAttr < 0 || m.hasBackfill() {
		return
	}
	slot := m.rs.attrs[m.rs.algo.balancedAttr].slot
	sizes := make([]int, len(pm.teams))
	for i, t := range pm.teams {
		sizes[i] = len(t)
	}
	members := slices.Clone(pm.members)
	slices.SortStableFunc(members, func(a, b member) int {
		return cmp.Or(cmp.Compare(len(b.t.players), len(a.t.players)),
			cmp.Compare(partyNumber(b.t, slot, "avg"), partyNumber(a.t, slot, "avg")))
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
			sums[best] += mb.t.players[j].nums[slot]
		}
	}
	pm.reset()
	for i, mb := range members {
		pm.add(mb.t, assign[i])
	}
}

// ---- forming matches

// formMatch turns the potential match in m.pm into a match: it claims the tickets, assigns
// teams and emits PotentialMatchCreated; then either waits for acceptance or completes.
func (m *Matchmaker) formMatch(now time.Time) {
	pm := m.pm
	pr := &proposal{id: m.newID(), created: now}
	for _, mb := range pm.members {
		t := mb.t
		m.pool.leave(t)
		m.pool.claimAt(mb.pos)
		t.matchID = pr.id
		if mb.team >= 0 {
			for i := range t.players {
				t.players[i].teamIdx = int32(mb.team)
			}
		}
		for _, r := range m.rs.rules {
			t.metric(len(m.rs.rules), r.index).passed++
		}
		pr.members = append(pr.members, t)
		if t.bf != nil {
			pr.backfill = t
			pr.version = t.bf.session.version
		}
	}
	m.waitSample(now, pr.members)
	m.stats.Matches++
	pr.region = m.bestRegion()
	ev := &PotentialMatchCreated{MatchID: pr.id, Tickets: m.eventTickets(pr.members, true),
		AcceptanceRequired: m.cfg.AcceptanceRequired, RuleEvaluationMetrics: m.metrics(pr.members), Region: pr.region}
	if pr.backfill != nil {
		ev.GameSessionArn = pr.backfill.session
	}
	if m.cfg.AcceptanceRequired {
		ev.AcceptanceTimeout = m.cfg.AcceptanceTimeout
	}
	m.emit(now, ev)
	if m.cfg.AcceptanceRequired && m.needsAcceptance(pr) {
		m.await(now, pr)
		return
	}
	m.complete(now, pr)
}

// waitSample feeds the estimated wait time with the waits of newly matched tickets.
func (m *Matchmaker) waitSample(now time.Time, ts []*ticket) {
	for _, t := range ts {
		if t.bf != nil {
			continue
		}
		w := t.waited(now).Seconds()
		if m.waitEWMA == 0 {
			m.waitEWMA = w
		} else {
			m.waitEWMA = 0.95*m.waitEWMA + 0.05*w
		}
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
	for _, cand := range first.lat {
		sum, worst, n, ok := 0.0, int32(0), 0, true
		for _, team := range m.pm.teams {
			for _, p := range team {
				ms, has := p.latencyIn(cand.region)
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
		name := m.regions.names[cand.region]
		if best == "" || avg < bestAvg || avg == bestAvg && (worst < bestMax || worst == bestMax && name < best) {
			best, bestAvg, bestMax = name, avg, worst
		}
	}
	return best
}

// complete finishes an accepted (or acceptance-free) match: a new match completes its tickets,
// a backfill match adds its players to the game session.
func (m *Matchmaker) complete(now time.Time, pr *proposal) {
	if pr.backfill != nil {
		m.completeBackfill(now, pr)
		return
	}
	var arn string
	if m.cfg.FlexMatchMode == WithQueue {
		arn = m.placeSession(now, pr)
	}
	tickets := m.eventTickets(pr.members, true)
	for _, t := range pr.members {
		t.session = arn
		m.finishTicket(now, t, StatusCompleted, "", "")
	}
	m.emit(now, &MatchmakingSucceeded{MatchID: pr.id, Tickets: tickets,
		GameSessionInfo: GameSessionInfo{GameSessionArn: arn, Players: flattenPlayers(tickets)}})
	m.stats.Completed += uint64(len(pr.members))
}

func flattenPlayers(ts []EventTicket) []EventPlayer {
	var out []EventPlayer
	for _, t := range ts {
		out = append(out, t.Players...)
	}
	return out
}

// endTicket ends an active ticket without a match and emits its one terminal event.
func (m *Matchmaker) endTicket(now time.Time, t *ticket, status TicketStatus, reason, msg string) {
	if t.status.Terminal() {
		return
	}
	if t.status == StatusQueued || t.status == StatusSearching {
		m.pool.leave(t)
	}
	if pr := m.pending[t.matchID]; pr != nil && t.status == StatusRequiresAcceptance {
		m.dropFromProposal(now, pr, t)
	}
	body := TicketEnded{Tickets: []EventTicket{m.eventTicket(t, false)}, Reason: reason, Message: msg,
		MatchID: t.matchID, RuleEvaluationMetrics: m.metrics([]*ticket{t})}
	m.finishTicket(now, t, status, reason, msg)
	if t.bf != nil {
		m.endBackfill(now, t, status, reason, msg)
	}
	switch status {
	case StatusTimedOut:
		m.stats.TimedOut++
		m.emit(now, &MatchmakingTimedOut{body})
	case StatusCancelled:
		m.stats.Cancelled++
		m.emit(now, &MatchmakingCancelled{body})
	default:
		m.stats.Failed++
		m.emit(now, &MatchmakingFailed{body})
	}
}

// finishTicket moves t to a terminal status and releases its players.
func (m *Matchmaker) finishTicket(now time.Time, t *ticket, status TicketStatus, reason, msg string) {
	t.status, t.ending = status, &ticketEnd{reason: reason, message: msg, at: now}
	for i := range t.players {
		if m.players[t.players[i].id] == t {
			delete(m.players, t.players[i].id)
		}
	}
	m.ended = append(m.ended, t)
}

// purgeEnded forgets tickets that ended longer ago than the retention period.
func (m *Matchmaker) purgeEnded(now time.Time) {
	cut := 0
	for cut < len(m.ended) && (now.Sub(m.ended[cut].ending.at) >= m.opts.retention || len(m.ended)-cut > m.opts.maxTickets) {
		t := m.ended[cut]
		if m.tickets[t.id] == t {
			delete(m.tickets, t.id)
		}
		m.ended[cut] = nil
		cut++
	}
	if cut > 0 {
		m.ended = slices.Delete(m.ended, 0, cut)
	}
}

// activeTickets returns every ticket that has not ended, in admission order.
func (m *Matchmaker) activeTickets() []*ticket {
	var out []*ticket
	for _, t := range m.tickets {
		if !t.status.Terminal() {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b *ticket) int { return cmp.Compare(a.seq, b.seq) })
	return out
}

// ---- event payloads

func (m *Matchmaker) eventTicket(t *ticket, withTeams bool) EventTicket {
	et := EventTicket{TicketID: t.id, StartTime: t.startTime(), Players: make([]EventPlayer, len(t.players))}
	for i := range t.players {
		et.Players[i].PlayerID = t.players[i].id
		if withTeams && t.players[i].teamIdx >= 0 {
			et.Players[i].Team = m.rs.teams[t.players[i].teamIdx].name
		}
	}
	return et
}

func (m *Matchmaker) eventTickets(ts []*ticket, withTeams bool) []EventTicket {
	out := make([]EventTicket, len(ts))
	for i, t := range ts {
		out[i] = m.eventTicket(t, withTeams)
	}
	return out
}

// metrics sums the rule counters of tickets, for events.
func (m *Matchmaker) metrics(ts []*ticket) []RuleMetric {
	if len(m.rs.rules) == 0 {
		return nil
	}
	out := make([]RuleMetric, len(m.rs.rules))
	for i, r := range m.rs.rules {
		out[i].RuleName = r.name
	}
	for _, t := range ts {
		if t.metrics == nil {
			continue
		}
		for i, mt := range *t.metrics {
			out[i].PassedCount += int(mt.passed)
			out[i].FailedCount += int(mt.failed)
		}
	}
	return out
}

package matchmaker

// This file holds the commit phase of a tick: the matches the search found become matches. Their
// tickets leave the pool and take their teams, PotentialMatchCreated is emitted, and each match
// either waits for its players' acceptance (acceptance.go) or completes: a new match completes
// its tickets (and, WITH_QUEUE, is placed in a game session), a backfill match fills its game
// session (backfill.go).

import "time"

// commitMatchesLocked is the commit phase of a tick: each match the search found, in the order
// found, becomes a match. Requires m.mu.
func (m *Matchmaker) commitMatchesLocked(now time.Time, fs []found) {
	for _, f := range fs {
		m.formMatchLocked(now, f)
	}
	clear(m.foundMembers) // let committed tickets be collected once they are forgotten
}

// formMatchLocked turns a found match into a match: its tickets leave the pool, take their
// teams, and PotentialMatchCreated is emitted; then it either waits for acceptance or completes.
func (m *Matchmaker) formMatchLocked(now time.Time, f found) {
	pr := &proposal{id: m.newID(), created: now, region: f.region}
	for _, mb := range m.foundMembers[f.from:f.to] {
		t := mb.t
		m.pool.leave(t)
		t.matchID = pr.id
		if mb.team >= 0 {
			for i := range t.players {
				t.players[i].Team = int32(mb.team)
			}
		}
		for r := range m.rs.RuleCount() {
			t.metric(m.rs.RuleCount(), r).passed++
		}
		pr.members = append(pr.members, t)
		if t.bf != nil {
			pr.backfill = t
			pr.version = t.bf.session.version
		}
	}
	m.waitSample(now, pr.members)
	m.observeMatchLocked(now, pr.members)
	m.stats.Matches++
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
	m.completeMatchLocked(now, pr)
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

// completeMatchLocked finishes an accepted (or acceptance-free) match: a new match completes
// its tickets, a backfill match adds its players to the game session.
func (m *Matchmaker) completeMatchLocked(now time.Time, pr *proposal) {
	if pr.backfill != nil {
		m.completeBackfill(now, pr)
		return
	}
	var arn string
	switch {
	case m.cfg.FlexMatchMode == WithQueue && m.cfg.Placer != nil:
		m.startPlacementLocked(now, pr)
		return
	case m.cfg.FlexMatchMode == WithQueue:
		arn = m.placeSession(now, pr)
	}
	tickets := m.eventTickets(pr.members, true)
	m.completeLocked(now, pr.members, arn, &MatchmakingSucceeded{MatchID: pr.id, Tickets: tickets,
		GameSessionInfo: GameSessionInfo{GameSessionArn: arn, Players: flattenPlayers(tickets)}})
}

func flattenPlayers(ts []EventTicket) []EventPlayer {
	var out []EventPlayer
	for _, t := range ts {
		out = append(out, t.Players...)
	}
	return out
}

func (m *Matchmaker) eventTicket(t *ticket, withTeams bool) EventTicket {
	et := EventTicket{TicketID: t.id, StartTime: t.startTime(), Players: make([]EventPlayer, len(t.players))}
	for i := range t.players {
		et.Players[i].PlayerID = t.players[i].ID
		if withTeams && t.players[i].Team >= 0 {
			et.Players[i].Team = m.rs.TeamName(int(t.players[i].Team))
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
	if m.rs.RuleCount() == 0 {
		return nil
	}
	out := make([]RuleMetric, m.rs.RuleCount())
	for i := range out {
		out[i].RuleName, _ = m.rs.Rule(i)
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

package matchmaker

// This file holds backfill: the game sessions the Matchmaker knows, backfill tickets that look
// for players to fill their open slots, and the game-session events that report the outcome.
//
// A backfill ticket carries the session's roster, each player on the team it plays for; it
// enters the same pool and the same match search as other tickets (spec §e.6), at most one per
// potential match, and it must be matched with at least one other ticket.
//
// Two completion styles:
//   - FlexMatch (BackfillAcknowledgeTimeout zero): a match completes the backfill ticket at
//     once; the joining tickets get MatchmakingSucceeded and the session MatchmakingDataUpdated.
//     With automatic backfill, a new backfill ticket follows while slots remain.
//   - Acknowledged (Open Match, seeds 003 and 004): the backfill stays active across matches;
//     joining tickets wait in PLACING until the game server calls AcknowledgeBackfill, which
//     commits them and renews the backfill. A backfill not acknowledged in time ends with
//     BackfillTimedOut and its unacknowledged tickets return to the pool.
//
// Every roster change (players added, RemovePlayers, a new StartMatchBackfill roster) bumps
// the session's version. A proposal formed against an older version is rejected when it would
// commit: its joining tickets return to the pool.

import (
	"cmp"
	"log/slog"
	"maps"
	"slices"
	"time"
)

// StartMatchBackfillInput asks for players to fill a running game session, in the shape of
// GameLift's StartMatchBackfill.
type StartMatchBackfillInput struct {
	// TicketID names the backfill ticket; empty: a UUID is generated.
	TicketID string `json:"TicketId,omitempty"`
	// GameSessionArn identifies the game session. A session the Matchmaker does not know yet
	// (a standalone host's own) is registered from Players.
	GameSessionArn string `json:"GameSessionArn"`
	// Players lists every player now in the session, each with its Team (at most 199). It may
	// be empty for a new, empty server (beyond FlexMatch, which requires one player).
	Players []Player `json:"Players"`
	// MaxNewPlayers caps how many players this backfill adds; 0 fills every open slot.
	// (Beyond FlexMatch.)
	MaxNewPlayers int `json:"MaxNewPlayers,omitempty"`
}

// AcknowledgeBackfillOutput is the answer to AcknowledgeBackfill.
type AcknowledgeBackfillOutput struct {
	// Status is the backfill ticket's status.
	Status TicketStatus
	// GameSessionArn is the session being filled.
	GameSessionArn string
	// Assigned lists the tickets committed to the session by this acknowledgement, with their
	// players' teams. Append it to earlier lists: it is not repeated.
	Assigned []Ticket
	// Rejected lists tickets whose proposal was made against a roster that has changed since;
	// they returned to the pool.
	Rejected []string
	// Version is the session roster's version after the acknowledgement.
	Version uint64
}

// GameSession is a snapshot of a game session the Matchmaker knows.
type GameSession struct {
	GameSessionArn string
	// MatchmakerData is the session's current matchmaker data (teams, players, attributes).
	MatchmakerData MatchmakerData
	// Version counts the changes to the roster; a backfill proposal made against an older
	// version is rejected.
	Version uint64
	// BackfillTicketID is the session's active backfill ticket, if any.
	BackfillTicketID string
	// AutoBackfill reports whether automatic backfill is on for the session.
	AutoBackfill bool
}

// backfill is the state of a backfill ticket.
type backfill struct {
	session     *session
	maxNew      int       // cap on players added; 0: none
	added       int       // players committed so far (acknowledged mode)
	ackDeadline time.Time // zero: no acknowledgement required
	pending     []*proposal
	auto        bool
}

// session is a game session the Matchmaker knows.
type session struct {
	arn      string
	matchID  string
	roster   []player
	version  uint64
	backfill *ticket
	auto     bool
}

// addSession records a game session. At the WithMaxGameSessions bound it forgets the oldest
// session that has no active backfill; if every session has one, it reports false. Requires m.mu.
func (m *Matchmaker) addSession(s *session) bool {
	for len(m.sessions) >= m.opts.maxSessions {
		if !m.evictIdleSession() {
			return false
		}
	}
	m.sessions[s.arn] = s
	m.sessionQueue = append(m.sessionQueue, s)
	if len(m.sessionQueue) > 2*len(m.sessions)+64 { // drop the entries of ended sessions
		m.sessionQueue = slices.DeleteFunc(m.sessionQueue, func(q *session) bool { return m.sessions[q.arn] != q })
	}
	return true
}

// evictIdleSession forgets the oldest known session without an active backfill.
func (m *Matchmaker) evictIdleSession() bool {
	for range len(m.sessionQueue) {
		s := m.sessionQueue[0]
		m.sessionQueue[0] = nil
		m.sessionQueue = m.sessionQueue[1:]
		switch {
		case m.sessions[s.arn] != s: // ended already
		case s.backfill != nil && !s.backfill.status.Terminal():
			m.sessionQueue = append(m.sessionQueue, s) // busy: keep it
		default:
			m.forgetSession(s)
			m.log(slog.LevelDebug, "matchmaker: forgot idle game session at the session limit", "gameSessionArn", s.arn)
			return true
		}
	}
	return false
}

// setRosterPlayers replaces a session's roster; the session holds its players' region names.
func (m *Matchmaker) setRosterPlayers(s *session, roster []player) {
	m.regions.retain(roster)
	m.regions.release(s.roster)
	s.roster = roster
}

// forgetSession drops a session and its roster index.
func (m *Matchmaker) forgetSession(s *session) {
	m.regions.release(s.roster)
	for _, p := range s.roster {
		if m.sessionOf[p.ID] == s {
			delete(m.sessionOf, p.ID)
		}
	}
	delete(m.sessions, s.arn)
}

func (m *Matchmaker) configurationArn() string {
	return "arn:matchmaker:local::matchmakingconfiguration/" + m.cfg.Name
}

// StartMatchBackfill starts looking for players to fill a game session's open slots. A session
// has one active backfill: a new request replaces the old one, which ends with
// BackfillCancelled (reason REPLACED). Bad input gets a *ValidationError and changes nothing.
func (m *Matchmaker) StartMatchBackfill(in StartMatchBackfillInput) (Ticket, error) {
	r, err := m.exec(&command{kind: cmdStartBackfill, backfill: &in})
	return r.ticket, err
}

func (m *Matchmaker) startMatchBackfillLocked(now time.Time, in StartMatchBackfillInput) (_ Ticket, err error) {
	var p problems
	m.checkNewTicketID(in.TicketID, &p)
	switch {
	case in.GameSessionArn == "":
		p.add("GameSessionArn", "is required")
	case len(in.GameSessionArn) > 256:
		p.add("GameSessionArn", "is longer than 256 characters")
	}
	checkUTF8("GameSessionArn", "game session ARN", in.GameSessionArn, &p)
	if len(in.Players) > MaxPlayersPerBackfill {
		p.add("Players", "lists %d players; a backfill holds at most %d", len(in.Players), MaxPlayersPerBackfill)
	}
	if in.MaxNewPlayers < 0 {
		p.add("MaxNewPlayers", "must not be negative")
	}
	roster := m.resolveRoster(in.Players, &p)
	m.checkCapacity(roster, &p)
	if err := p.err("StartMatchBackfill"); err != nil {
		return Ticket{}, err
	}
	s := m.sessions[in.GameSessionArn]
	replacing := 0 // a new request replaces the session's active backfill: no net growth
	if s != nil && s.backfill != nil && !s.backfill.status.Terminal() {
		replacing = 1
	}
	if m.pool.backfills+1-replacing > m.opts.maxBackfills {
		return Ticket{}, &LimitError{Limit: "WithMaxBackfills", Max: m.opts.maxBackfills}
	}
	if m.pool.waiting()+1-replacing > m.opts.maxTickets {
		return Ticket{}, &LimitError{Limit: "WithMaxTickets", Max: m.opts.maxTickets}
	}
	if s == nil {
		s = &session{arn: in.GameSessionArn}
		if !m.addSession(s) {
			return Ticket{}, &LimitError{Limit: "WithMaxGameSessions", Max: m.opts.maxSessions}
		}
	}
	if !sameRoster(s.roster, roster) {
		m.setRoster(now, s, roster)
	}
	t := m.newBackfill(now, s, in.TicketID, in.MaxNewPlayers, false)
	return m.snapshot(t), nil
}

// resolveRoster checks a backfill roster's players: teams known, no player twice.
func (m *Matchmaker) resolveRoster(in []Player, p *problems) []player {
	out := make([]player, 0, len(in))
	seen := map[string]bool{}
	for i, pl := range in {
		path := "Players[" + itoa(i) + "]"
		if seen[pl.PlayerID] {
			p.add(path+".PlayerId", "player %q is listed twice", pl.PlayerID)
		}
		seen[pl.PlayerID] = true
		out = append(out, resolvePlayer(m.rs, path, pl, &m.regions, true, p))
	}
	return out
}

// checkCapacity reports teams that a roster would fill beyond their maximum.
func (m *Matchmaker) checkCapacity(roster []player, p *problems) {
	counts := make([]int, m.rs.TeamCount())
	for _, pl := range roster {
		if pl.Team >= 0 {
			counts[pl.Team]++
		}
	}
	for i, n := range counts {
		if limit := m.rs.TeamMaxEver(i); n > limit {
			p.add("Players", "team %q would have %d players, more than its maximum %d", m.rs.TeamName(i), n, limit)
		}
	}
}

// sameRoster reports whether two rosters list the same players on the same teams with the same
// attributes and latencies, so a repeated StartMatchBackfill keeps the roster's version but a
// changed attribute (a player's skill rose) replaces it.
func sameRoster(a, b []player) bool {
	return slices.EqualFunc(a, b, samePlayer)
}

func samePlayer(x, y player) bool {
	if x.ID != y.ID || x.Team != y.Team || !slices.Equal(x.Nums, y.Nums) || !slices.Equal(x.Lat, y.Lat) {
		return false
	}
	if x.More == nil || y.More == nil {
		return x.More == y.More
	}
	return slices.Equal(x.More.Strs, y.More.Strs) &&
		slices.EqualFunc(x.More.Lists, y.More.Lists, slices.Equal) &&
		slices.EqualFunc(x.More.Maps, y.More.Maps, maps.Equal)
}

// newBackfill creates the session's backfill ticket, replacing any active one. Requires m.mu.
func (m *Matchmaker) newBackfill(now time.Time, s *session, id string, maxNew int, auto bool) *ticket {
	if old := s.backfill; old != nil && !old.status.Terminal() {
		m.endTicketLocked(now, old, StatusCancelled, ReasonReplaced, "Replaced by a newer backfill request.")
	}
	if auto && (m.pool.backfills >= m.opts.maxBackfills || m.pool.waiting() >= m.opts.maxTickets) {
		m.log(slog.LevelWarn, "matchmaker: automatic backfill not started: at the backfill or ticket limit",
			"gameSessionArn", s.arn, "maxBackfills", m.opts.maxBackfills, "maxTickets", m.opts.maxTickets)
		return nil
	}
	switch {
	case id != "":
	case auto:
		id = m.newPrefixedID("auto-backfill-")
	default:
		id = m.newID()
	}
	t := &ticket{id: id, status: StatusQueued, session: s.arn,
		players: slices.Clone(s.roster), bf: &backfill{session: s, maxNew: maxNew, auto: auto}}
	if m.cfg.BackfillAcknowledgeTimeout > 0 {
		t.bf.ackDeadline = now.Add(m.cfg.BackfillAcknowledgeTimeout)
		m.acked = append(m.acked, t)
	}
	s.backfill = t
	m.admit(now, t)
	return t
}

// openSlots returns how many players a backfill can still add.
func (m *Matchmaker) openSlots(t *ticket) int {
	free := 0
	for i := range m.rs.TeamCount() { // no allocation: this runs in the tick's search loops
		n := 0
		for j := range t.players {
			if int(t.players[j].Team) == i {
				n++
			}
		}
		_, most := m.rs.TeamSizes(i)
		free += max(0, most-n)
	}
	if bf := t.bf; bf.maxNew > 0 {
		free = min(free, bf.maxNew-bf.added-bf.pendingPlayers())
	}
	return max(free, 0)
}

func (bf *backfill) pendingPlayers() int {
	n := 0
	for _, pr := range bf.pending {
		n += playersIn(joiners(pr))
	}
	return n
}

// StopMatchBackfill cancels a backfill ticket; the session gets BackfillCancelled. Stopping a
// session's automatic backfill turns automatic backfill off for that session, as in FlexMatch.
func (m *Matchmaker) StopMatchBackfill(ticketID string) error {
	_, err := m.exec(&command{kind: cmdStopBackfill, id: ticketID})
	return err
}

// AcknowledgeBackfill renews a backfill that requires acknowledgement (Config
// BackfillAcknowledgeTimeout) and commits the tickets assigned to it since the last call: they
// complete with MatchmakingSucceeded and the session gets MatchmakingDataUpdated. Proposals made
// against a roster that changed since are rejected and their tickets return to the pool.
func (m *Matchmaker) AcknowledgeBackfill(ticketID string) (AcknowledgeBackfillOutput, error) {
	r, err := m.exec(&command{kind: cmdAck, id: ticketID})
	return r.ack, err
}

func (m *Matchmaker) acknowledgeLocked(now time.Time, ticketID string) (AcknowledgeBackfillOutput, error) {
	t := m.tickets[ticketID]
	switch {
	case t == nil:
		return AcknowledgeBackfillOutput{}, &NotFoundError{Kind: "backfill ticket", ID: ticketID}
	case t.bf == nil || t.bf.ackDeadline.IsZero() || t.status.Terminal():
		return AcknowledgeBackfillOutput{}, &StateError{TicketID: ticketID, Status: t.status, Op: "AcknowledgeBackfill"}
	}
	bf, s := t.bf, t.bf.session
	out := AcknowledgeBackfillOutput{GameSessionArn: s.arn}
	pending := bf.pending
	bf.pending = nil
	version := s.version // committing bumps it; every pending proposal is judged against this one
	for _, pr := range pending {
		joining := joiners(pr)
		if pr.version != version {
			for _, j := range joining {
				out.Rejected = append(out.Rejected, j.id)
				m.returnToSearchLocked(now, j)
			}
			continue
		}
		m.commitJoiners(now, pr, s)
		bf.added += playersIn(joining)
		for _, j := range joining {
			out.Assigned = append(out.Assigned, m.snapshot(j))
		}
	}
	m.setPlayers(t, append(slices.Clone(s.roster), pendingRoster(bf)...))
	bf.ackDeadline = now.Add(m.cfg.BackfillAcknowledgeTimeout)
	out.Status, out.Version = t.status, s.version
	return out, nil
}

// leavePendingLocked takes a ticket that was waiting for its game server's acknowledgement out
// of the backfill's pending proposals and out of the roster the backfill searches with, so its
// players leave no phantom in later matches.
func (m *Matchmaker) leavePendingLocked(t *ticket) {
	s := m.sessions[t.session]
	if s == nil || s.backfill == nil || s.backfill.status.Terminal() {
		return
	}
	bt := s.backfill
	for _, pr := range bt.bf.pending {
		pr.members = slices.DeleteFunc(pr.members, func(x *ticket) bool { return x == t })
	}
	m.setPlayers(bt, append(slices.Clone(s.roster), pendingRoster(bt.bf)...))
	m.pool.touch(bt)
}

// joiners returns the tickets of a backfill proposal that are joining the session and have not
// ended meanwhile (a duplicate request may cancel one while it waits for acknowledgement).
func joiners(pr *proposal) []*ticket {
	var out []*ticket
	for _, t := range pr.members {
		if t.bf == nil && !t.status.Terminal() {
			out = append(out, t)
		}
	}
	return out
}

func playersIn(ts []*ticket) int {
	n := 0
	for _, t := range ts {
		n += len(t.players)
	}
	return n
}

// pendingRoster lists the players of tickets assigned but not yet acknowledged.
func pendingRoster(bf *backfill) []player {
	var out []player
	for _, pr := range bf.pending {
		for _, t := range joiners(pr) {
			out = append(out, t.players...)
		}
	}
	return out
}

// RemovePlayers reports players who left a game session. Their slots open; an active backfill
// drops them from its roster (a proposal made before is rejected as stale), and with automatic
// backfill the session gets a backfill ticket if it has none (beyond FlexMatch).
func (m *Matchmaker) RemovePlayers(gameSessionArn string, playerIDs ...string) error {
	_, err := m.exec(&command{kind: cmdRemovePlayers, id: gameSessionArn, ids: playerIDs})
	return err
}

func (m *Matchmaker) removePlayersLocked(now time.Time, gameSessionArn string, playerIDs []string) error {
	s, err := m.sessionLocked(gameSessionArn)
	if err != nil {
		return err
	}
	var p problems
	if len(playerIDs) == 0 {
		p.add("PlayerIds", "must list at least one player")
	}
	for i, id := range playerIDs {
		if !slices.ContainsFunc(s.roster, func(pl player) bool { return pl.ID == id }) {
			p.add("PlayerIds["+itoa(i)+"]", "player %q is not in game session %q", id, gameSessionArn)
		}
	}
	if err := p.err("RemovePlayers"); err != nil {
		return err
	}
	m.leaveSession(now, s, playerIDs...)
	return nil
}

// AddPlayers reports players who joined a game session outside matchmaking (a friend invited
// through a social platform, say). Each needs its Team; a team may not exceed its maximum. The
// session's active backfill now counts them, so it never overfills; a proposal formed before is
// rejected as stale. A player still searching in a ticket leaves that ticket
// (DUPLICATE_PLAYER). Bad input gets a *ValidationError and changes nothing.
func (m *Matchmaker) AddPlayers(gameSessionArn string, players ...Player) error {
	_, err := m.exec(&command{kind: cmdAddPlayers, id: gameSessionArn, players: players})
	return err
}

func (m *Matchmaker) addPlayersLocked(now time.Time, gameSessionArn string, players []Player) (err error) {
	s, err := m.sessionLocked(gameSessionArn)
	if err != nil {
		return err
	}
	var p problems
	if len(players) == 0 {
		p.add("Players", "must list at least one player")
	}
	joined := m.resolveRoster(players, &p)
	m.checkCapacity(append(slices.Clone(s.roster), joined...), &p)
	for i, pl := range joined {
		if slices.ContainsFunc(s.roster, func(r player) bool { return r.ID == pl.ID }) {
			p.add("Players["+itoa(i)+"].PlayerId", "player %q is already in game session %q", pl.ID, gameSessionArn)
		}
	}
	if err := p.err("AddPlayers"); err != nil {
		return err
	}
	m.setRoster(now, s, append(slices.Clone(s.roster), joined...))
	if t := s.backfill; t != nil && !t.status.Terminal() {
		m.setPlayers(t, append(slices.Clone(s.roster), pendingRoster(t.bf)...))
		m.pool.touch(t)
	}
	return nil
}

// sessionLocked returns a known game session. Requires m.mu.
func (m *Matchmaker) sessionLocked(arn string) (*session, error) {
	if s := m.sessions[arn]; s != nil {
		return s, nil
	}
	return nil, &NotFoundError{Kind: "game session", ID: arn}
}

// setRoster replaces a session's roster. A player now in this game leaves any other session
// and ends any ticket of theirs that is still searching (DUPLICATE_PLAYER). Requires m.mu.
func (m *Matchmaker) setRoster(now time.Time, s *session, roster []player) {
	for _, p := range s.roster {
		if m.sessionOf[p.ID] == s {
			delete(m.sessionOf, p.ID)
		}
	}
	for _, p := range roster {
		if other := m.sessionOf[p.ID]; other != nil && other != s {
			m.leaveSession(now, other, p.ID)
		}
		if t := m.players[p.ID]; t != nil {
			m.endTicketLocked(now, t, StatusCancelled, ReasonDuplicatePlayer, "Player joined a game session.")
		}
		m.sessionOf[p.ID] = s
	}
	m.setRosterPlayers(s, roster)
	s.version++
}

// leaveSession removes players from a session's roster: their slots open, the active backfill
// drops them (a proposal formed before is rejected as stale), and with automatic backfill the
// session gets a backfill ticket if it has none. Requires m.mu.
func (m *Matchmaker) leaveSession(now time.Time, s *session, playerIDs ...string) {
	gone := func(pl player) bool { return slices.Contains(playerIDs, pl.ID) }
	for _, id := range playerIDs {
		if m.sessionOf[id] == s {
			delete(m.sessionOf, id)
		}
	}
	m.setRosterPlayers(s, slices.DeleteFunc(slices.Clone(s.roster), gone))
	s.version++
	if t := s.backfill; t != nil && !t.status.Terminal() {
		m.setPlayers(t, slices.DeleteFunc(slices.Clone(t.players), gone))
		m.pool.touch(t)
	} else if s.auto && m.cfg.BackfillMode == BackfillAutomatic {
		m.newBackfill(now, s, "", 0, true)
	}
}

// DescribeGameSession returns a game session the Matchmaker knows.
func (m *Matchmaker) DescribeGameSession(gameSessionArn string) (GameSession, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.sessionLocked(gameSessionArn); err != nil {
		return GameSession{}, err
	}
	return m.describeSessionLocked(gameSessionArn), nil
}

// describeSessionLocked is the snapshot of a known session.
func (m *Matchmaker) describeSessionLocked(arn string) GameSession {
	s := m.sessions[arn]
	g := GameSession{GameSessionArn: s.arn, MatchmakerData: m.matchmakerData(s), Version: s.version, AutoBackfill: s.auto}
	if s.backfill != nil && !s.backfill.status.Terminal() {
		g.BackfillTicketID = s.backfill.id
	}
	return g
}

// EndGameSession forgets a game session; its active backfill is cancelled.
func (m *Matchmaker) EndGameSession(gameSessionArn string) error {
	_, err := m.exec(&command{kind: cmdEndSession, id: gameSessionArn})
	return err
}

func (m *Matchmaker) endGameSessionLocked(now time.Time, gameSessionArn string) error {
	s, err := m.sessionLocked(gameSessionArn)
	if err != nil {
		return err
	}
	if t := s.backfill; t != nil && !t.status.Terminal() {
		s.auto = false
		m.endTicketLocked(now, t, StatusCancelled, ReasonCancelled, "Game session ended.")
	}
	m.forgetSession(s)
	return nil
}

// placeSession records the game session of a new match (WithQueue) and starts its automatic
// backfill if it has open slots.
func (m *Matchmaker) placeSession(now time.Time, pr *proposal) string {
	return m.placeSessionAs(now, pr, "arn:matchmaker:local::gamesession/"+m.cfg.Name+"/"+pr.id)
}

// placeSessionAs records the game session arn that a new match was placed in.
func (m *Matchmaker) placeSessionAs(now time.Time, pr *proposal, arn string) string {
	s := &session{arn: arn, matchID: pr.id, auto: m.cfg.BackfillMode == BackfillAutomatic, version: 1}
	if !m.addSession(s) {
		m.log(slog.LevelWarn, "matchmaker: every known game session has an active backfill; new session not tracked",
			"gameSessionArn", arn, "limit", m.opts.maxSessions)
		return arn
	}
	var roster []player
	for _, t := range pr.members {
		roster = append(roster, t.players...)
	}
	m.setRosterPlayers(s, roster)
	for _, p := range s.roster {
		m.sessionOf[p.ID] = s
	}
	if s.auto && m.hasOpenSlots(s.roster) {
		m.newBackfill(now, s, "", 0, true)
	}
	return arn
}

func (m *Matchmaker) hasOpenSlots(roster []player) bool {
	return len(roster) < m.rs.MaxPlayers()
}

// completeBackfill finishes a match that fills a game session.
func (m *Matchmaker) completeBackfill(now time.Time, pr *proposal) {
	bt := pr.backfill
	bf, s := bt.bf, bt.bf.session
	if pr.version != s.version {
		m.rejectStale(now, pr)
		return
	}
	if !bf.ackDeadline.IsZero() {
		// Acknowledged mode: joiners wait for the game server; the backfill keeps searching.
		for _, t := range joiners(pr) {
			m.placingLocked(t, s.arn)
		}
		bf.pending = append(bf.pending, pr)
		m.setPlayers(bt, append(slices.Clone(s.roster), pendingRoster(bf)...))
		m.returnToSearchLocked(now, bt)
		return
	}
	m.commitJoiners(now, pr, s)
	m.completeLocked(now, []*ticket{bt}, s.arn, nil)
	if s.backfill == bt {
		s.backfill = nil
	}
	if s.auto && m.cfg.BackfillMode == BackfillAutomatic && m.hasOpenSlots(s.roster) {
		m.newBackfill(now, s, "", 0, true)
	}
}

// commitJoiners adds a proposal's joining tickets to the session and reports it.
func (m *Matchmaker) commitJoiners(now time.Time, pr *proposal, s *session) {
	joining := joiners(pr)
	roster := slices.Clone(s.roster)
	for _, t := range joining {
		roster = append(roster, t.players...)
		for _, p := range t.players {
			m.sessionOf[p.ID] = s
		}
	}
	m.setRosterPlayers(s, roster)
	s.version++
	shown := m.eventTickets(append([]*ticket{pr.backfill}, joining...), true)
	m.completeLocked(now, joining, s.arn, &MatchmakingSucceeded{MatchID: pr.id, Tickets: shown,
		GameSessionInfo: GameSessionInfo{GameSessionArn: s.arn, Players: m.rosterPlayers(s)}})
	m.emit(now, &MatchmakingDataUpdated{SessionEvent: SessionEvent{GameSessionArn: s.arn,
		BackfillTicketID: pr.backfill.id}, MatchmakerData: m.matchmakerData(s)})
}

// rejectStale returns the tickets of a proposal formed against an outdated roster to the pool.
func (m *Matchmaker) rejectStale(now time.Time, pr *proposal) {
	for _, t := range pr.members {
		if t.bf != nil {
			m.setPlayers(t, append(slices.Clone(t.bf.session.roster), pendingRoster(t.bf)...))
		}
		m.returnToSearchLocked(now, t)
	}
}

// endBackfill reports the end of a backfill ticket to its session.
func (m *Matchmaker) endBackfill(now time.Time, t *ticket, status TicketStatus, reason, msg string) {
	bf, s := t.bf, t.bf.session
	for _, pr := range bf.pending {
		for _, j := range joiners(pr) {
			m.returnToSearchLocked(now, j)
		}
	}
	bf.pending = nil
	if s.backfill == t {
		s.backfill = nil
		if t.bf.auto && reason == ReasonCancelled {
			s.auto = false // stopping the automatic backfill turns it off (spec §j.2)
		}
	}
	ev := SessionEvent{GameSessionArn: s.arn, BackfillTicketID: t.id, Reason: reason, Message: msg}
	switch status {
	case StatusTimedOut:
		m.emit(now, &BackfillTimedOut{ev})
	case StatusCancelled:
		m.emit(now, &BackfillCancelled{ev})
	default:
		m.emit(now, &BackfillFailed{ev})
	}
}

// expireBackfillAcks ends acknowledged-mode backfills whose game server went quiet.
func (m *Matchmaker) expireBackfillAcks(now time.Time) {
	live := m.acked[:0]
	for _, t := range m.acked {
		if t.status.Terminal() {
			continue
		}
		if !now.Before(t.bf.ackDeadline) {
			m.endTicketLocked(now, t, StatusTimedOut, ReasonAckTimedOut, "Backfill was not acknowledged in time.")
			continue
		}
		live = append(live, t)
	}
	clear(m.acked[len(live):])
	m.acked = live
}

// matchmakerData renders a session's roster in FlexMatch's matchmaker-data shape.
func (m *Matchmaker) matchmakerData(s *session) MatchmakerData {
	d := MatchmakerData{MatchID: s.matchID, MatchmakingConfigurationArn: m.configurationArn(),
		Teams: make([]MatchTeam, m.rs.TeamCount())}
	for i := range d.Teams {
		d.Teams[i] = MatchTeam{Name: m.rs.TeamName(i), Players: []MatchPlayer{}}
	}
	for i := range s.roster {
		p := &s.roster[i]
		mp := MatchPlayer{PlayerID: p.ID, Attributes: make(map[string]MatchAttribute, m.rs.AttrCount())}
		for j := range m.rs.AttrCount() {
			a := m.rs.Attr(j)
			mp.Attributes[a.Name] = playerValue(p, a).matchmakerData()
		}
		d.Teams[p.Team].Players = append(d.Teams[p.Team].Players, mp)
	}
	if m.cfg.FlexMatchMode == WithQueue {
		mode := string(m.cfg.BackfillMode)
		d.AutoBackfillMode = &mode
		if s.backfill != nil && s.backfill.bf.auto && !s.backfill.status.Terminal() {
			id := s.backfill.id
			d.AutoBackfillTicketID = &id
		}
	}
	return d
}

// rosterPlayers lists a session's players for events.
func (m *Matchmaker) rosterPlayers(s *session) []EventPlayer {
	out := make([]EventPlayer, len(s.roster))
	for i := range s.roster {
		out[i] = EventPlayer{PlayerID: s.roster[i].ID, Team: m.rs.TeamName(int(s.roster[i].Team))}
	}
	slices.SortStableFunc(out, func(a, b EventPlayer) int { return cmp.Compare(a.Team, b.Team) })
	return out
}

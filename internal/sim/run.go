package sim

// This file holds one simulation run: the population's arrival stream fed to a Matchmaker on a
// fake clock, game servers that acknowledge backfills and players who leave, and the
// measurements of every tick and event.

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/seed-04d22514/matchmaker"
)

// RuleSet is a rule set to simulate, with the JSON it was parsed from (the exhaustive search of
// quality.go evaluates it too) and a label for reports.
type RuleSet struct {
	Label string
	Data  []byte
	RS    *matchmaker.RuleSet
}

// ParseRuleSet parses data as a rule set labelled label.
func ParseRuleSet(label string, data []byte) (RuleSet, error) {
	rs, err := matchmaker.ParseRuleSet(data)
	return RuleSet{Label: label, Data: data, RS: rs}, err
}

// Options tune a run without changing what it simulates.
type Options struct {
	Seed uint64
	// Progress, when set, is called about every ProgressEvery of wall-clock time once the run
	// has taken ProgressAfter.
	Progress      func(Progress)
	ProgressAfter time.Duration
	ProgressEvery time.Duration
}

// Progress is where a run stands.
type Progress struct {
	RuleSet            string
	Simulated, Seconds float64
	Matches, Waiting   int
}

// start is time zero of every run: any fixed instant gives the same results.
var start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func at(sec float64) time.Time {
	return start.Add(time.Duration(math.Round(sec * float64(time.Second))))
}

// samples is the number of intervals a run's time series has, at most.
const samples = 150

// runner holds the state of one run.
type runner struct {
	pop   *Population
	rules RuleSet
	opts  Options
	m     *matchmaker.Matchmaker
	sub   *matchmaker.Subscription
	clock *clock
	res   *Result
	rng   *rand.Rand // players leaving: a stream of its own, apart from arrivals

	skills  map[string]float64           // by player ID, while the player is known
	players map[string]matchmaker.Player // by player ID: to rebuild world-server rosters
	tickets map[string]bool              // the run's own matchmaking tickets, while active
	explain map[string]int               // Rejection index by rule name

	sessions map[string]*gameSession
	order    []string // session ARNs in the order they started, for determinism

	bucket       float64 // seconds per sample
	cur          Sample
	ticksInCur   int
	tickSum      float64
	matchesInCur int
	lastTick     time.Duration
}

// gameSession is a running game as the run sees it.
type gameSession struct {
	arn      string
	roster   map[string]bool
	started  float64
	backfill string // its acknowledged backfill ticket; "" when it needs a new one
	gen      int
}

// Run simulates pop against rules and returns what it measured.
func Run(pop *Population, rules RuleSet, opts Options) (*Result, error) {
	r := &runner{pop: pop, rules: rules, opts: opts, clock: &clock{now: start},
		rng:    rand.New(rand.NewPCG(opts.Seed, 0x1ea7e)),
		skills: map[string]float64{}, players: map[string]matchmaker.Player{}, tickets: map[string]bool{},
		explain: map[string]int{}, sessions: map[string]*gameSession{},
		res: &Result{RuleSet: rules.Label, RuleSetName: rules.RS.Name(), Teams: len(rules.RS.Teams()), MaxPlayers: rules.RS.MaxPlayers()}}
	r.bucket = max(pop.TickSeconds, pop.Seconds/samples)
	if err := r.open(); err != nil {
		return nil, err
	}
	defer r.m.Close()
	defer r.sub.Close()
	if err := r.loop(); err != nil {
		return nil, err
	}
	r.finish()
	return r.res, nil
}

// open creates the Matchmaker and, for long-lived servers, their backfills.
func (r *runner) open() error {
	var idSeed [32]byte
	seeder := rand.New(rand.NewPCG(r.opts.Seed, 0x5eed))
	for i := range idSeed {
		idSeed[i] = byte(seeder.Uint32())
	}
	cfg := matchmaker.Config{Name: "simulate", RuleSet: r.rules.RS, RequestTimeout: seconds(r.pop.RequestTimeoutSeconds)}
	if s := r.pop.Sessions; s != nil {
		switch s.Backfill {
		case BackfillAutomatic:
			cfg.FlexMatchMode, cfg.BackfillMode = matchmaker.WithQueue, matchmaker.BackfillAutomatic
		case BackfillAcknowledged:
			cfg.BackfillAcknowledgeTimeout = seconds(s.AcknowledgeTimeoutSeconds)
		}
	}
	m, err := matchmaker.New(cfg, matchmaker.WithClock(r.clock), matchmaker.WithRandom(rand.NewChaCha8(idSeed)),
		matchmaker.WithObserver(observer{r}))
	if err != nil {
		return err
	}
	r.m = m
	if r.sub, err = m.Subscribe(); err != nil {
		m.Close()
		return err
	}
	if s := r.pop.Sessions; s != nil && s.Backfill == BackfillAcknowledged {
		r.res.Sessions = &SessionResult{}
		for i := range s.Servers {
			gs := &gameSession{arn: "world-" + strconv.Itoa(i+1), roster: map[string]bool{}}
			r.sessions[gs.arn], r.order = gs, append(r.order, gs.arn)
			r.res.Sessions.Started++
		}
	} else if s != nil {
		r.res.Sessions = &SessionResult{}
	}
	return nil
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

type observer struct{ r *runner }

// ObserveTick implements matchmaker.Observer: it runs inside Tick, in the run's goroutine.
func (o observer) ObserveTick(rep matchmaker.TickReport) { o.r.lastTick = rep.Duration }

// loop ticks from 0 to the population's seconds.
func (r *runner) loop() error {
	s := newStream(r.pop, r.opts.Seed)
	began, lastProgress := time.Now(), time.Time{}
	var arrivals []Arrival
	for k := 0; float64(k)*r.pop.TickSeconds <= r.pop.Seconds+1e-9; k++ {
		now := float64(k) * r.pop.TickSeconds
		arrivals = s.until(now, arrivals[:0])
		for _, a := range arrivals {
			r.clock.now = at(a.At)
			r.arrive(a)
		}
		r.clock.now = at(now)
		r.serve(now)
		if err := r.m.Tick(r.clock.now); err != nil {
			return err
		}
		if err := r.drain(now); err != nil {
			return err
		}
		r.sample(now)
		if p := r.opts.Progress; p != nil {
			if wall := time.Now(); wall.Sub(began) >= r.opts.ProgressAfter && wall.Sub(lastProgress) >= r.opts.ProgressEvery {
				lastProgress = wall
				p(Progress{RuleSet: r.rules.Label, Simulated: now, Seconds: r.pop.Seconds, Matches: r.res.Matches, Waiting: r.m.Stats().Waiting})
			}
		}
	}
	return nil
}

// arrive starts matchmaking for one arrival.
func (r *runner) arrive(a Arrival) {
	if _, err := r.m.StartMatchmaking(a.Ticket); err != nil {
		r.res.Refused++
		if r.res.FirstRefusal == "" {
			r.res.FirstRefusal = err.Error()
		}
		return
	}
	r.res.Tickets++
	r.res.Players += len(a.Ticket.Players)
	r.tickets[a.Ticket.TicketID] = true
	for i, p := range a.Ticket.Players {
		r.skills[p.PlayerID] = a.Skills[i]
		if r.pop.Sessions != nil {
			r.players[p.PlayerID] = p
		}
	}
}

// serve plays the game servers before a tick: players leave, automatic sessions end, world
// servers acknowledge their backfills and start new ones.
func (r *runner) serve(now float64) {
	s := r.pop.Sessions
	if s == nil {
		return
	}
	leave := 0.0
	if r.pop.Leaving != nil {
		leave = 1 - math.Pow(1-r.pop.Leaving.PerMinute, r.pop.TickSeconds/60)
	}
	for _, arn := range r.order {
		gs := r.sessions[arn]
		if s.Backfill == BackfillAutomatic && s.GameSeconds > 0 && now-gs.started >= s.GameSeconds {
			r.endSession(gs)
			continue
		}
		var left []string
		for _, id := range slices.Sorted(maps.Keys(gs.roster)) {
			if r.rng.Float64() < leave {
				left = append(left, id)
			}
		}
		if len(left) > 0 && r.m.RemovePlayers(arn, left...) == nil {
			r.res.Sessions.Left += len(left)
			for _, id := range left {
				delete(gs.roster, id)
				r.forget(id)
			}
		}
		if s.Backfill == BackfillAcknowledged {
			r.acknowledge(gs, now)
		}
	}
	r.order = slices.DeleteFunc(r.order, func(arn string) bool { return r.sessions[arn] == nil })
}

// acknowledge keeps a world server's backfill going: it acknowledges every
// AcknowledgeEverySeconds, and starts a new backfill when the last one ended.
func (r *runner) acknowledge(gs *gameSession, now float64) {
	every := r.pop.Sessions.AcknowledgeEverySeconds
	if gs.backfill == "" {
		gs.gen++
		team := r.rules.RS.Teams()[0].Name
		in := matchmaker.StartMatchBackfillInput{TicketID: fmt.Sprintf("bf-%s-%d", gs.arn, gs.gen), GameSessionArn: gs.arn, Players: []matchmaker.Player{}}
		for _, id := range slices.Sorted(maps.Keys(gs.roster)) {
			p := r.players[id]
			p.Team = team
			in.Players = append(in.Players, p)
		}
		if _, err := r.m.StartMatchBackfill(in); err == nil {
			gs.backfill = in.TicketID
		}
		return
	}
	if math.Mod(now+1e-9, every) < r.pop.TickSeconds {
		r.m.AcknowledgeBackfill(gs.backfill) // its players arrive in MatchmakingDataUpdated
	}
}

func (r *runner) endSession(gs *gameSession) {
	if r.m.EndGameSession(gs.arn) == nil {
		r.res.Sessions.Ended++
	}
	for id := range gs.roster {
		r.forget(id)
	}
	delete(r.sessions, gs.arn)
}

func (r *runner) forget(playerID string) {
	delete(r.skills, playerID)
	delete(r.players, playerID)
}

// drain records the events of the tick at now.
func (r *runner) drain(now float64) error {
	for e, ok := r.sub.TryNext(); ok; e, ok = r.sub.TryNext() {
		r.record(e, now)
	}
	return r.sub.Err()
}

func (r *runner) record(e matchmaker.Event, now float64) {
	switch e := e.(type) {
	case *matchmaker.MatchmakingSucceeded:
		r.matched(e)
	case *matchmaker.MatchmakingTimedOut:
		r.ended(e.Tickets, &r.res.TimedOut)
	case *matchmaker.MatchmakingCancelled:
		r.ended(e.Tickets, &r.res.Cancelled)
	case *matchmaker.MatchmakingFailed:
		r.ended(e.Tickets, &r.res.Failed)
	case *matchmaker.MatchmakingDataUpdated:
		if gs := r.sessions[e.GameSessionArn]; gs != nil {
			r.setRoster(gs, e.MatchmakerData)
		}
	case *matchmaker.BackfillTimedOut:
		r.backfillEnded(e.SessionEvent)
	case *matchmaker.BackfillFailed:
		r.backfillEnded(e.SessionEvent)
	case *matchmaker.BackfillCancelled:
		r.backfillEnded(e.SessionEvent)
	}
}

func (r *runner) backfillEnded(e matchmaker.SessionEvent) {
	if r.res.Sessions != nil {
		r.res.Sessions.BackfillsLost++
	}
	if gs := r.sessions[e.GameSessionArn]; gs != nil && gs.backfill == e.BackfillTicketID {
		gs.backfill = ""
	}
}

// setRoster takes a session's roster from its matchmaker data; players new to it joined by
// backfill.
func (r *runner) setRoster(gs *gameSession, d matchmaker.MatchmakerData) {
	roster := map[string]bool{}
	for _, t := range d.Teams {
		for _, p := range t.Players {
			roster[p.PlayerID] = true
			if !gs.roster[p.PlayerID] {
				r.res.Sessions.JoinedLater++
			}
		}
	}
	gs.roster = roster
}

// matched records a match: waits, and for a new match its skill spread and team balance.
func (r *runner) matched(e *matchmaker.MatchmakingSucceeded) {
	r.res.Matches++
	r.matchesInCur++
	backfill := false
	var skills []float64
	teams := map[string][]float64{}
	for _, t := range e.Tickets {
		if !r.tickets[t.TicketID] {
			backfill = true // the backfill ticket of a running session
			continue
		}
		delete(r.tickets, t.TicketID)
		r.res.Completed++
		r.res.waits = append(r.res.waits, e.Time.Sub(t.StartTime).Seconds())
		r.explainTicket(t.TicketID)
		for _, p := range t.Players {
			skills = append(skills, r.skills[p.PlayerID])
			teams[p.Team] = append(teams[p.Team], r.skills[p.PlayerID])
			if r.pop.Sessions == nil {
				delete(r.skills, p.PlayerID)
			}
		}
	}
	arn := e.GameSessionInfo.GameSessionArn
	if backfill || r.sessions[arn] != nil {
		r.res.Backfills++
		return
	}
	r.res.spreads = append(r.res.spreads, slices.Max(skills)-slices.Min(skills))
	if len(teams) > 1 {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, team := range teams {
			avg := mean(team)
			lo, hi = min(lo, avg), max(hi, avg)
		}
		r.res.balances = append(r.res.balances, hi-lo)
	}
	if r.pop.Sessions != nil && r.pop.Sessions.Backfill == BackfillAcknowledged {
		// No world had room for these players: a new world server opens for them, and keeps
		// a backfill of its own from the next tick on.
		arn = "world-" + strconv.Itoa(len(r.order)+r.res.Sessions.Ended+1)
	}
	if r.pop.Sessions != nil && arn != "" {
		gs := &gameSession{arn: arn, roster: map[string]bool{}, started: e.Time.Sub(start).Seconds()}
		for _, ts := range teams {
			r.res.Sessions.MeanAtStart += float64(len(ts))
		}
		for _, t := range e.Tickets {
			for _, p := range t.Players {
				gs.roster[p.PlayerID] = true
			}
		}
		r.sessions[arn], r.order = gs, append(r.order, arn)
		r.res.Sessions.Started++
	}
}

// ended records tickets that ended without a match.
func (r *runner) ended(ts []matchmaker.EventTicket, count *int) {
	for _, t := range ts {
		if !r.tickets[t.TicketID] {
			continue // a backfill ticket; backfillEnded counts it
		}
		delete(r.tickets, t.TicketID)
		*count++
		r.explainTicket(t.TicketID)
		for _, p := range t.Players {
			r.forget(p.PlayerID)
		}
	}
}

// explainTicket adds a ticket's rule metrics, as Explain reports them, to the rejections.
func (r *runner) explainTicket(id string) {
	ex, err := r.m.Explain(id)
	if err != nil {
		return
	}
	for _, m := range ex.Rules {
		if m.FailedCount == 0 {
			continue
		}
		i, ok := r.explain[m.RuleName]
		if !ok {
			i = len(r.res.Rejections)
			r.explain[m.RuleName] = i
			r.res.Rejections = append(r.res.Rejections, Rejection{Rule: m.RuleName})
		}
		r.res.Rejections[i].Count += m.FailedCount
		if m.RuleName == ex.MostRejectedBy {
			r.res.Rejections[i].Tickets++
		}
	}
}

// sample records the tick at now into the time series.
func (r *runner) sample(now float64) {
	ms := float64(r.lastTick) / float64(time.Millisecond)
	r.res.ticks = append(r.res.ticks, ms)
	r.ticksInCur++
	r.tickSum += ms
	r.cur.TickMax = max(r.cur.TickMax, ms)
	waiting := r.m.Stats().Waiting
	r.res.MaxPool = max(r.res.MaxPool, waiting)
	if end := float64(len(r.res.Series)+1) * r.bucket; now+1e-9 >= end || now+r.pop.TickSeconds > r.pop.Seconds+1e-9 {
		r.cur.T = now
		r.cur.Pool = waiting
		r.cur.MatchesPS = float64(r.matchesInCur) / r.bucket
		r.cur.TickMillis = r.tickSum / float64(r.ticksInCur)
		for _, gs := range r.sessions {
			r.cur.InGames += len(gs.roster)
		}
		r.res.Series = append(r.res.Series, r.cur)
		r.cur, r.ticksInCur, r.tickSum, r.matchesInCur = Sample{}, 0, 0, 0
	}
}

// finish computes the summaries once the run is over.
func (r *runner) finish() {
	res := r.res
	res.Waiting = len(r.tickets) // the pool also holds backfill tickets
	for _, id := range slices.Sorted(maps.Keys(r.tickets)) {
		r.explainTicket(id) // why the tickets still waiting have not matched
	}
	res.Wait, res.Spread, res.Balance, res.Tick = summarize(res.waits), summarize(res.spreads), summarize(res.balances), summarize(res.ticks)
	slices.SortStableFunc(res.Rejections, func(a, b Rejection) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Rule, b.Rule))
	})
	if s := res.Sessions; s != nil && s.Started > 0 {
		s.MeanAtStart /= float64(s.Started)
	}
}

func mean(xs []float64) float64 {
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs))
}

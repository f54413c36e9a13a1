package main

// This file holds the simulate command: a synthetic population (Poisson arrivals, normally
// distributed skill, latencies to four regions) matched on a fake clock, and a short report.

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/seed-04d22514/matchmaker"
)

const simulateHelp = `usage: matchmaker simulate [flags]

Runs a rule set (by default a built-in 1v1 rule set on skill and latency, with expansions)
against a synthetic population on a fake clock: tickets arrive as a Poisson process, each player
has skill ~ N(1500, 300) and a latency to four regions, lowest in a home region. It prints
tickets, matches, outcomes, wait and skill-spread percentiles, the wall-clock cost of a tick, and
the largest pool. With -ruleset, players carry the attribute "skill" (number); a rule set that
requires other attributes without defaults refuses them.

flags:
`

// simulateRuleSet is the built-in rule set: 1v1 on skill, with a latency limit, both relaxed
// as a ticket waits.
const simulateRuleSet = `{
  "name": "simulate-1v1",
  "ruleLanguageVersion": "1.0",
  "playerAttributes": [{"name": "skill", "type": "number", "default": 1500}],
  "teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 1}, {"name": "blue", "minPlayers": 1, "maxPlayers": 1}],
  "rules": [
    {"name": "FairSkill", "type": "distance",
     "measurements": ["avg(teams[*].players.attributes[skill])"],
     "referenceValue": "avg(flatten(teams[*].players.attributes[skill]))",
     "maxDistance": 25},
    {"name": "FastConnection", "type": "latency", "maxLatency": 100}
  ],
  "expansions": [
    {"target": "rules[FairSkill].maxDistance",
     "steps": [{"waitTimeSeconds": 5, "value": 50}, {"waitTimeSeconds": 15, "value": 100}, {"waitTimeSeconds": 30, "value": 200}]},
    {"target": "rules[FastConnection].maxLatency", "steps": [{"waitTimeSeconds": 20, "value": 150}]}
  ]
}`

var simulateRegions = []string{"us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1"}

// simulation holds the settings of one simulate run.
type simulation struct {
	seed     uint64
	rate     float64 // tickets per second
	duration float64 // seconds
	tick     float64 // seconds
	timeout  float64 // request timeout, seconds
	rules    *matchmaker.RuleSet
	label    string
}

func simulateCommand(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("simulate", simulateHelp, stderr)
	sim := simulation{label: "built-in simulate-1v1"}
	fs.Uint64Var(&sim.seed, "seed", 1, "random seed of the population")
	fs.Float64Var(&sim.rate, "rate", 50, "tickets arriving per second")
	fs.Float64Var(&sim.duration, "seconds", 300, "simulated seconds of arrivals")
	fs.Float64Var(&sim.tick, "tick", 1, "seconds between ticks")
	fs.Float64Var(&sim.timeout, "timeout", 120, "request timeout in seconds")
	ruleSetFile := fs.String("ruleset", "", "rule-set `FILE` to use instead of the built-in one")
	if status, done := parseFlags(fs, args); done {
		return status
	}
	if fs.NArg() > 0 {
		return usageError(fs, "takes no arguments, got "+quoteArgs(fs.Args()))
	}
	if problems := sim.check(); len(problems) > 0 {
		return usageError(fs, problems...)
	}
	data := []byte(simulateRuleSet)
	if *ruleSetFile != "" {
		var err error
		if data, err = readInput(*ruleSetFile, matchmaker.MaxRuleSetBytes, "a rule set"); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", *ruleSetFile, err)
			return exitInvalid
		}
		sim.label = *ruleSetFile
	}
	rs, err := matchmaker.ParseRuleSet(data)
	if err != nil {
		printProblems(stderr, sim.label, withPositions(data, err))
		return exitInvalid
	}
	sim.rules = rs
	rep, err := sim.run()
	if err != nil {
		printProblems(stderr, "simulate", err)
		return exitInvalid
	}
	rep.write(stdout, &sim)
	return exitOK
}

// maxSimulatedTickets bounds the tickets a simulation expects to start (-rate x -seconds): each
// is a call and a few events, and an arrival rate too high for the clock's resolution would
// otherwise never let time move on.
const maxSimulatedTickets = 10_000_000

// check returns a problem for each flag outside the bounds of limits.go, naming the flag, then
// for each pair of flags whose product is too large; nil when all are within. NaN is within no
// bound.
func (sim *simulation) check() []string {
	var problems []string
	within := func(flag string, v, lo, hi float64) bool {
		if v >= lo && v <= hi {
			return true
		}
		problems = append(problems, fmt.Sprintf("-%s must be from %s to %s, got %s", flag, number(lo), number(hi), number(v)))
		return false
	}
	okRate := sim.rate > 0
	if !okRate {
		problems = append(problems, "-rate must be positive, got "+number(sim.rate))
	}
	okSeconds := within("seconds", sim.duration, minTickSeconds, maxSeconds)
	okTick := within("tick", sim.tick, minTickSeconds, maxSeconds)
	within("timeout", sim.timeout, 1, maxSeconds)
	if ticks := sim.duration / sim.tick; okSeconds && okTick && ticks > maxTicks {
		problems = append(problems, fmt.Sprintf("-seconds %s with -tick %s makes %s ticks; at most %d are allowed",
			number(sim.duration), number(sim.tick), number(math.Round(ticks)), maxTicks))
	}
	if tickets := sim.rate * sim.duration; okRate && okSeconds && !(tickets <= maxSimulatedTickets) {
		problems = append(problems, fmt.Sprintf("-rate %s for -seconds %s expects %s tickets; at most %d are allowed",
			number(sim.rate), number(sim.duration), number(tickets), maxSimulatedTickets))
	}
	return problems
}

// number writes a flag's value as people write numbers, with an exponent, and then six digits
// at most, only when it is very large or very small: 31536000, 0.001, 1e+300.
func number(f float64) string {
	if a := math.Abs(f); a == 0 || a >= 1e-6 && a < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', 6, 64)
}

// report collects what a simulation observed.
type report struct {
	started, refused                       int
	firstRefusal                           error
	matches                                int
	completed, timedOut, cancelled, failed int
	waiting                                int
	waits                                  []float64 // seconds, completed tickets
	spreads                                []float64 // max - min skill, per match
	ticks                                  []time.Duration
	maxPool                                int
}

// run simulates the population and returns the report.
func (sim *simulation) run() (*report, error) {
	rng := rand.New(rand.NewPCG(sim.seed, 0x5eed))
	var idSeed [32]byte
	for i := range idSeed {
		idSeed[i] = byte(rng.Uint32())
	}
	clock := &fakeClock{now: scenarioStart}
	m, err := matchmaker.New(matchmaker.Config{Name: "simulate", RuleSet: sim.rules, RequestTimeout: seconds(sim.timeout)},
		matchmaker.WithClock(clock), matchmaker.WithRandom(rand.NewChaCha8(idSeed)))
	if err != nil {
		return nil, err
	}
	defer m.Close()
	sub, err := m.Subscribe()
	if err != nil {
		return nil, err
	}
	defer sub.Close()
	rep := &report{}
	skills := map[string]float64{}
	nextArrival := rng.ExpFloat64() / sim.rate
	for k := 0; float64(k)*sim.tick <= sim.duration*(1+tickSlack); k++ {
		now := float64(k) * sim.tick
		for ; nextArrival <= now; nextArrival += rng.ExpFloat64() / sim.rate {
			clock.now = scenarioStart.Add(seconds(nextArrival))
			rep.start(m, rng, skills)
		}
		clock.now = scenarioStart.Add(seconds(now))
		began := time.Now()
		if err := m.Tick(clock.now); err != nil {
			return nil, err
		}
		rep.ticks = append(rep.ticks, time.Since(began))
		if err := rep.drain(sub, skills); err != nil {
			return nil, err
		}
		rep.maxPool = max(rep.maxPool, m.Stats().Waiting)
	}
	rep.waiting = m.Stats().Waiting
	return rep, nil
}

// start requests matchmaking for one new player.
func (rep *report) start(m *matchmaker.Matchmaker, rng *rand.Rand, skills map[string]float64) {
	id := fmt.Sprintf("p%d", rep.started+rep.refused+1)
	skill := math.Round(1500 + 300*rng.NormFloat64())
	home := rng.IntN(len(simulateRegions))
	lat := matchmaker.Latencies{}
	for i, r := range simulateRegions {
		if i == home {
			lat[r] = 10 + rng.IntN(50)
		} else {
			lat[r] = 80 + rng.IntN(170)
		}
	}
	_, err := m.StartMatchmaking(matchmaker.StartMatchmakingInput{TicketID: id, Players: []matchmaker.Player{{
		PlayerID: id, Attributes: matchmaker.Attributes{"skill": matchmaker.NumberValue(skill)}, LatencyInMs: lat}}})
	if err != nil {
		rep.refused++
		if rep.firstRefusal == nil {
			rep.firstRefusal = err
		}
		return
	}
	rep.started++
	skills[id] = skill
}

// drain records the events waiting in sub.
func (rep *report) drain(sub *matchmaker.Subscription, skills map[string]float64) error {
	for e, ok := sub.TryNext(); ok; e, ok = sub.TryNext() {
		rep.record(e, skills)
	}
	return sub.Err()
}

func (rep *report) record(e matchmaker.Event, skills map[string]float64) {
	switch e := e.(type) {
	case *matchmaker.MatchmakingSucceeded:
		rep.matches++
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, t := range e.Tickets {
			rep.completed++
			rep.waits = append(rep.waits, e.Time.Sub(t.StartTime).Seconds())
			for _, p := range t.Players {
				lo, hi = min(lo, skills[p.PlayerID]), max(hi, skills[p.PlayerID])
			}
		}
		rep.spreads = append(rep.spreads, hi-lo)
	case *matchmaker.MatchmakingTimedOut:
		rep.timedOut += len(e.Tickets)
	case *matchmaker.MatchmakingCancelled:
		rep.cancelled += len(e.Tickets)
	case *matchmaker.MatchmakingFailed:
		rep.failed += len(e.Tickets)
	}
}

func (rep *report) write(w io.Writer, sim *simulation) {
	fmt.Fprintf(w, "simulate: %s (%s, up to %s), %g tickets/s for %g s, tick %g s, timeout %g s, seed %d\n\n",
		sim.label, plural(len(sim.rules.Teams()), "team"), plural(sim.rules.MaxPlayers(), "player"), sim.rate, sim.duration, sim.tick, sim.timeout, sim.seed)
	fmt.Fprintf(w, "tickets       %d started, %d refused\n", rep.started, rep.refused)
	if rep.firstRefusal != nil {
		fmt.Fprintf(w, "              first refusal: %v\n", rep.firstRefusal)
	}
	fmt.Fprintf(w, "matches       %d\n", rep.matches)
	fmt.Fprintf(w, "outcomes      %d completed, %d timed out, %d cancelled, %d failed, %d still waiting\n",
		rep.completed, rep.timedOut, rep.cancelled, rep.failed, rep.waiting)
	fmt.Fprintf(w, "wait          p50 %.1f s  p90 %.1f s  p99 %.1f s  (completed tickets)\n",
		percentile(rep.waits, 0.50), percentile(rep.waits, 0.90), percentile(rep.waits, 0.99))
	fmt.Fprintf(w, "skill spread  p50 %.0f  p95 %.0f  (highest minus lowest skill in a match)\n",
		percentile(rep.spreads, 0.50), percentile(rep.spreads, 0.95))
	fmt.Fprintf(w, "tick          p50 %v  p99 %v  (wall clock, %d ticks)\n",
		percentile(rep.ticks, 0.50).Round(time.Microsecond), percentile(rep.ticks, 0.99).Round(time.Microsecond), len(rep.ticks))
	fmt.Fprintf(w, "pool          max %d waiting\n", rep.maxPool)
}

// percentile returns the p-quantile of xs by the nearest-rank method, or zero for no values.
func percentile[T cmp.Ordered](xs []T, p float64) T {
	var zero T
	if len(xs) == 0 {
		return zero
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[max(0, int(math.Ceil(p*float64(len(s))))-1)]
}

package main

// This file holds the run command: it replays a scenario on a fake clock and prints every event
// as one JSON object per line.

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/seed-04d22514/matchmaker"
)

const runHelp = `usage: matchmaker run SCENARIO.json

Replays a scenario on a fake clock and prints every event as one JSON object per line.

Time is in seconds from the start. Ticks happen at 0, tickSeconds, 2 x tickSeconds, ... up to
and including until (default: the last step's "at" plus the request timeout). Steps whose "at"
is not after a tick, and that have not run yet, are applied in file order before that tick, with
the clock at the tick's time: a step at 5 with tickSeconds 2 runs at 6, and a ticket it starts
waits from 6. Events print with the clock time they were produced at. A rejected step prints
  {"time": T, "type": "Error", "step": INDEX, "message": "..."}
and the run goes on. IDs the library generates come from a fixed random source, so a scenario
prints the same bytes every time.

Each line has time, type and tickets (ticketId, players with playerId and, once assigned, team);
match events add matchId; ending events add reason and message; game-session events add
gameSessionArn and backfillTicketId; MatchmakingDataUpdated adds matchmakerData. Also printed
when they apply: seq, acceptanceRequired, acceptanceTimeoutSeconds, acceptance, region,
ruleEvaluationMetrics, and accepted on players in acceptance events.

Limits, so that no scenario can overflow the clock, exhaust memory or run for hours:
  the scenario file               at most 16 MiB (16777216 bytes)
  a rule-set file it names        a regular file of at most 65535 bytes (FlexMatch's limit)
  steps, and any list or object   at most 100000 elements
  nesting                         at most 64 levels
  tickSeconds                     from 0.001 to 31536000 (default 1)
  until, each step's at, and each configuration ...Seconds field
                                  from 0 to 31536000 (365 days)
  ticks (until / tickSeconds + 1) at most 10000000
  configuration.name              at most 128 characters
The library checks the rest of the configuration (requestTimeoutSeconds from 1 to 43200, for
instance) and each request when its step runs.

Exit status 1 for a scenario that cannot be read or is invalid (bad JSON, duplicate or unknown
keys, unknown step kinds, a value of the wrong kind or out of bounds, a bad rule set or
configuration, a step after the last tick), and for an event stream cut off before the end;
nothing is printed for an invalid scenario, and every problem names the field as the file
spells it: tickSeconds, steps[12].at, configuration.requestTimeoutSeconds.
`

// scenarioStart is time zero of every replay: any fixed instant gives the same output.
var scenarioStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// scenarioSeed seeds the random source of generated IDs.
var scenarioSeed = [32]byte{'m', 'a', 't', 'c', 'h', 'm', 'a', 'k', 'e', 'r'}

func runCommand(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("run", runHelp, stderr)
	if status, done := parseFlags(fs, args); done {
		return status
	}
	if n := fs.NArg(); n != 1 {
		got := "none"
		if n > 1 {
			got = fmt.Sprintf("%d: %s", n, quoteArgs(fs.Args()))
		}
		return usageError(fs, "takes exactly one scenario file, got "+got)
	}
	file := fs.Arg(0)
	sc, err := loadScenario(file)
	if err != nil {
		printProblems(stderr, file, err)
		return exitInvalid
	}
	if err := replay(sc, stdout); err != nil {
		printProblems(stderr, file, err)
		return exitInvalid
	}
	return exitOK
}

// fakeClock is the clock of a replay; the replay sets it before every step and tick.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

// replay runs sc and writes its events to w.
func replay(sc *scenario, w io.Writer) error {
	clock := &fakeClock{now: scenarioStart}
	m, err := matchmaker.New(sc.config,
		matchmaker.WithClock(clock),
		matchmaker.WithRandom(rand.NewChaCha8(scenarioSeed)))
	if err != nil {
		return configError(err) // loadScenario has checked the configuration already
	}
	defer m.Close()
	sub, err := m.Subscribe()
	if err != nil {
		return err
	}
	defer sub.Close()
	out := &printer{enc: json.NewEncoder(w), sub: sub}
	pending := byTime(sc.steps)
	for k := range sc.tickCount() {
		at := sc.tickTime(k)
		clock.now = scenarioStart.Add(seconds(at))
		var due []step
		for len(pending) > 0 && sc.due(pending[0], k) {
			due, pending = append(due, pending[0]), pending[1:]
		}
		slices.SortFunc(due, func(a, b step) int { return cmp.Compare(a.index, b.index) })
		for _, s := range due {
			if err := s.apply(m); err != nil {
				out.print(errorLine(at, s.index, err))
			}
			if err := out.drain(); err != nil {
				return err
			}
		}
		if err := m.Tick(clock.now); err != nil {
			return err
		}
		if err := out.drain(); err != nil {
			return err
		}
	}
	return out.err
}

// byTime returns the steps sorted by time, so that each tick takes the steps due before it from
// the front; the tick then applies them in file order.
func byTime(steps []step) []step {
	out := slices.Clone(steps)
	slices.SortStableFunc(out, func(a, b step) int { return cmp.Compare(a.at, b.at) })
	return out
}

// printer writes lines and drains the subscription into them.
type printer struct {
	enc *json.Encoder
	sub *matchmaker.Subscription
	err error // the first write error
}

func (p *printer) print(l line) {
	if p.err == nil {
		p.err = p.enc.Encode(l)
	}
}

// drain prints the events waiting in the subscription. The library queues events before the
// call that produced them returns, so after a step or a tick nothing is still on its way.
func (p *printer) drain() error {
	for e, ok := p.sub.TryNext(); ok; e, ok = p.sub.TryNext() {
		p.print(eventLine(e, scenarioStart))
	}
	if err := p.sub.Err(); err != nil {
		return fmt.Errorf("event stream ended: %w", err)
	}
	return p.err
}

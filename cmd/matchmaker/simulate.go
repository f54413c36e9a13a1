package main

// This file holds the simulate command: the flags over internal/sim, which generates the
// population, runs each rule set against it and writes the text, JSON and HTML reports.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/seed-04d22514/matchmaker/internal/sim"
)

const simulateHelp = `usage: matchmaker simulate [flags]

Runs rule sets against a synthetic player population on a fake clock and reports what players
would see: waits, skill spread, team balance, pool size, tick cost and the rules that kept
tickets waiting.

A population (-population) is a built-in name (1v1, 5v5, battle-royale, world) or a JSON file
of the same format: arrival rate (constant or a daily curve), skill distribution, party sizes,
home regions and latencies, roles, game servers with backfill, players leaving running games.
internal/sim/populations/README.md documents the format; copy a built-in one to start.
Each population names a default rule set; -rules replaces it, and -rules given several times
runs every rule set against the same arrivals (same seed), side by side (A/B).

-report FILE.html writes every figure as charts in one self-contained page; -json prints a
JSON summary instead of text. Both also compare the engine's matches with the best an
exhaustive search finds on small pools (-quality adds that comparison to the text).

flags:
`

// ruleSetList collects -rules given several times.
type ruleSetList []string

func (l *ruleSetList) String() string     { return strings.Join(*l, ", ") }
func (l *ruleSetList) Set(v string) error { *l = append(*l, v); return nil }

// simulateFlags are the simulate command's settings. The population's own values apply where
// a flag is not given.
type simulateFlags struct {
	population string
	rules      ruleSetList
	seed       uint64
	rate       float64
	duration   float64
	tick       float64
	timeout    float64
	jsonOut    bool
	report     string
	quality    bool
	pools      int
	set        map[string]bool // the flags given
}

// progressAfter and progressEvery pace the progress lines of a long run on stderr.
var progressAfter, progressEvery = 2 * time.Second, 2 * time.Second

// maxRuleSets bounds the rule sets of one comparison.
const maxRuleSets = 8

func simulateCommand(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("simulate", simulateHelp, stderr)
	f := simulateFlags{}
	fs.StringVar(&f.population, "population", "1v1", "population `NAME|FILE`: "+strings.Join(sim.Builtins(), ", ")+", or a population file")
	fs.Var(&f.rules, "rules", "rule set `FILE|NAME` to run instead of the population's; repeat to compare several (built-in: "+strings.Join(sim.BuiltinRuleSets(), ", ")+")")
	fs.Var(&f.rules, "ruleset", "the same as -rules")
	fs.Uint64Var(&f.seed, "seed", 1, "random seed of the population")
	fs.Float64Var(&f.rate, "rate", 0, "tickets arriving per second (at the peak of a daily curve); default: the population's")
	fs.Float64Var(&f.duration, "seconds", 0, "simulated seconds of arrivals; default: the population's")
	fs.Float64Var(&f.tick, "tick", 0, "seconds between ticks; default: the population's")
	fs.Float64Var(&f.timeout, "timeout", 0, "request timeout in seconds; default: the population's")
	fs.BoolVar(&f.jsonOut, "json", false, "print a JSON summary instead of text")
	fs.StringVar(&f.report, "report", "", "write an HTML report with charts to `FILE.html`")
	fs.BoolVar(&f.quality, "quality", false, "compare with an exhaustive search in the text output too (always done for -json and -report)")
	fs.IntVar(&f.pools, "quality-pools", qualityPools, fmt.Sprintf("small pools of %d tickets the exhaustive comparison draws (1 to %d); more pools, steadier ratios, longer runs", qualityTickets, maxQualityPools))
	if status, done := parseFlags(fs, args); done {
		return status
	}
	if fs.NArg() > 0 {
		return usageError(fs, "takes no arguments, got "+quoteArgs(fs.Args()))
	}
	f.set = map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	if f.pools < 1 || f.pools > maxQualityPools {
		return usageError(fs, fmt.Sprintf("-quality-pools must be from 1 to %d, got %d", maxQualityPools, f.pools))
	}
	if len(f.rules) > maxRuleSets {
		return usageError(fs, fmt.Sprintf("-rules is given %d times; at most %d rule sets are compared", len(f.rules), maxRuleSets))
	}
	pop, err := sim.LoadPopulation(f.population, readInput)
	var pe *sim.PopulationError
	switch {
	case errors.As(err, &pe):
		for _, p := range pe.Problems {
			fmt.Fprintf(stderr, "%s: %s\n", f.population, p)
		}
		return exitInvalid
	case err != nil:
		fmt.Fprintf(stderr, "%s: %v\n", f.population, err)
		return exitInvalid
	}
	if problems := f.apply(pop); len(problems) > 0 {
		return usageError(fs, problems...)
	}
	rules, status := f.ruleSets(pop, stderr)
	if status != exitOK {
		return status
	}
	if f.report != "" { // a report that cannot be written is refused before the run, not after
		if err := reportWritable(f.report); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", f.report, err)
			return exitInvalid
		}
	}
	rep, err := simulate(pop, rules, &f, stderr)
	if err != nil {
		printProblems(stderr, "simulate", err)
		return exitInvalid
	}
	if f.report != "" {
		if err := writeReport(f.report, rep); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", f.report, err)
			return exitInvalid
		}
	}
	if f.jsonOut {
		if err := rep.WriteJSON(stdout); err != nil {
			fmt.Fprintf(stderr, "simulate: %v\n", err)
			return exitInvalid
		}
		return exitOK
	}
	rep.WriteText(stdout)
	if f.report != "" {
		fmt.Fprintf(stdout, "\nreport: %s (open it in a browser)\n", f.report)
	} else {
		fmt.Fprintf(stdout, "\nreport: add -report sim.html for charts of these figures (waits, skill spread, team balance, pool,\n"+
			"        tick cost, rejecting rules, quality against an exhaustive search); -json for a summary;\n"+
			"        -population %s and -rules A.json -rules B.json to compare rule sets\n", strings.Join(sim.Builtins(), "|"))
	}
	return exitOK
}

// apply sets the population's values from the flags given, and returns a problem for each
// value outside the bounds of limits.go, naming the flag, then for each pair whose product is
// too large; nil when all are within. NaN is within no bound.
func (f *simulateFlags) apply(pop *sim.Population) []string {
	if f.set["rate"] {
		pop.Arrivals.PerSecond = f.rate
		if len(pop.Arrivals.Daily) > 0 {
			pop.Arrivals.PerSecond = f.rate / slices.Max(pop.Arrivals.Daily)
		}
	}
	if f.set["seconds"] {
		pop.Seconds = f.duration
	}
	if f.set["tick"] {
		pop.TickSeconds = f.tick
	}
	if f.set["timeout"] {
		pop.RequestTimeoutSeconds = f.timeout
	}
	var problems []string
	within := func(flag string, v, lo, hi float64) bool {
		if v >= lo && v <= hi {
			return true
		}
		problems = append(problems, fmt.Sprintf("-%s must be from %s to %s, got %s", flag, number(lo), number(hi), number(v)))
		return false
	}
	rate := pop.Arrivals.PerSecond
	if len(pop.Arrivals.Daily) > 0 {
		rate *= slices.Max(pop.Arrivals.Daily)
	}
	okRate := rate > 0
	if !okRate {
		problems = append(problems, "-rate must be positive, got "+number(rate))
	}
	okSeconds := within("seconds", pop.Seconds, minTickSeconds, maxSeconds)
	okTick := within("tick", pop.TickSeconds, minTickSeconds, maxSeconds)
	within("timeout", pop.RequestTimeoutSeconds, 1, maxSeconds)
	if ticks := pop.Seconds / pop.TickSeconds; okSeconds && okTick && ticks > maxTicks {
		problems = append(problems, fmt.Sprintf("-seconds %s with -tick %s makes %s ticks; at most %d are allowed",
			number(pop.Seconds), number(pop.TickSeconds), number(math.Round(ticks)), maxTicks))
	}
	if tickets := rate * pop.Seconds; okRate && okSeconds && !(tickets <= maxSimulatedTickets) {
		problems = append(problems, fmt.Sprintf("-rate %s for -seconds %s expects %s tickets; at most %d are allowed",
			number(rate), number(pop.Seconds), number(tickets), maxSimulatedTickets))
	}
	return problems
}

// ruleSets reads the rule sets to run: those of -rules, or the population's own.
func (f *simulateFlags) ruleSets(pop *sim.Population, stderr io.Writer) ([]sim.RuleSet, int) {
	type source struct {
		data  []byte
		label string
		err   error
	}
	var sources []source
	if len(f.rules) == 0 {
		data, label, err := pop.RuleSetSource(readInput)
		sources = append(sources, source{data, label, err})
	}
	for _, name := range f.rules {
		data, label, err := sim.LoadRuleSet(name, "", readInput)
		sources = append(sources, source{data, label, err})
	}
	var out []sim.RuleSet
	for _, s := range sources {
		if s.err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", s.label, s.err)
			return nil, exitInvalid
		}
		rs, err := sim.ParseRuleSet(s.label, s.data)
		if err != nil {
			printProblems(stderr, s.label, withPositions(s.data, err))
			return nil, exitInvalid
		}
		out = append(out, rs)
	}
	return out, exitOK
}

// qualityPools and qualityTickets size the exhaustive comparison: pools of a few dozen players
// keep it to a few seconds; maxQualityPools bounds -quality-pools.
const (
	qualityPools    = 6
	qualityTickets  = 16
	maxQualityPools = 200
)

// simulate runs every rule set against the population and measures quality where asked.
func simulate(pop *sim.Population, rules []sim.RuleSet, f *simulateFlags, stderr io.Writer) (*sim.Report, error) {
	rep := &sim.Report{Population: pop, Seed: f.seed}
	opts := sim.Options{Seed: f.seed, ProgressAfter: progressAfter, ProgressEvery: progressEvery,
		Progress: func(p sim.Progress) {
			fmt.Fprintf(stderr, "simulate: %s: %s of %s s simulated, %d matches, %d waiting\n",
				p.RuleSet, strconv.FormatFloat(p.Simulated, 'f', -1, 64), strconv.FormatFloat(p.Seconds, 'f', -1, 64), p.Matches, p.Waiting)
		}}
	for _, rs := range rules {
		res, err := sim.Run(pop, rs, opts)
		if err != nil {
			return nil, err
		}
		if f.quality || f.jsonOut || f.report != "" {
			for _, age := range []time.Duration{0, sim.RelaxedAge(rs)} {
				q, err := sim.MeasureQuality(pop, rs, f.seed, f.pools, qualityTickets, age)
				if err != nil {
					return nil, err
				}
				res.Quality = append(res.Quality, q)
				if age == 0 && q.Skipped != "" {
					break
				}
			}
		}
		rep.Results = append(rep.Results, res)
	}
	return rep, nil
}

// reportWritable checks that the report's folder exists and that file, if it exists, is not a
// folder.
func reportWritable(file string) error {
	if fi, err := os.Stat(filepath.Dir(file)); err != nil {
		return unwrapPathError(err)
	} else if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", filepath.Dir(file))
	}
	if fi, err := os.Stat(file); err == nil && fi.IsDir() {
		return errors.New("is a directory")
	}
	return nil
}

// writeReport writes the HTML report to file.
func writeReport(file string, rep *sim.Report) error {
	out, err := os.Create(file)
	if err != nil {
		return unwrapPathError(err)
	}
	err = rep.WriteHTML(out)
	return errors.Join(err, out.Close())
}

// maxSimulatedTickets bounds the tickets a simulation expects to start (-rate x -seconds): each
// is a call and a few events, and an arrival rate too high for the clock's resolution would
// otherwise never let time move on.
const maxSimulatedTickets = 10_000_000

// number writes a flag's value as people write numbers, with an exponent, and then six digits
// at most, only when it is very large or very small: 31536000, 0.001, 1e+300.
func number(f float64) string {
	if a := math.Abs(f); a == 0 || a >= 1e-6 && a < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', 6, 64)
}

// Package sim simulates a synthetic player population against FlexMatch rule sets on a fake
// clock and measures what players would see: waits, skill spread, team balance, pool size,
// tick cost and the rules that kept tickets waiting. It also compares the engine's matches with
// the best an exhaustive search finds on small pools (quality.go), and renders the results as
// text, JSON or a self-contained HTML report (report.go). The matchmaker command's simulate
// subcommand is a thin layer of flags over it.
//
// It lives in internal/ rather than in cmd/matchmaker because its parts are tested on their own
// (population statistics, the exhaustive solver) and because the solver needs the rule-set
// evaluator of internal/ruleset, which only packages of this module may import.
package sim

// This file holds the population format: what a team copies and edits to describe its players.

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/seed-04d22514/matchmaker"
)

// Population describes a synthetic player population and the game servers it plays on. It is
// read from JSON; every field is documented in populations/README.md, and the built-in
// populations (Builtins) are files of this format to copy.
type Population struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// RuleSet is the default rule set: a built-in name (BuiltinRuleSets), a path relative to the
	// population file, or an inline rule-set object.
	RuleSet json.RawMessage `json:"ruleSet"`

	Seconds               float64 `json:"seconds"`               // simulated seconds of arrivals
	TickSeconds           float64 `json:"tickSeconds"`           // between ticks; default 1
	RequestTimeoutSeconds float64 `json:"requestTimeoutSeconds"` // default 120

	Arrivals Arrivals     `json:"arrivals"`
	Skill    Skill        `json:"skill"`
	Parties  []Weighted   `json:"parties,omitempty"` // party sizes ("1", "2", ...) by weight; default all solo
	Regions  []Weighted   `json:"regions,omitempty"` // home regions by weight; none: no latencies
	Latency  Latency      `json:"latency"`
	Roles    *Roles       `json:"roles,omitempty"`
	Sessions *Sessions    `json:"sessions,omitempty"`
	Leaving  *Leaving     `json:"leaving,omitempty"`
	Extra    []ExtraValue `json:"extraAttributes,omitempty"`

	dir string // the directory of the file it came from, for a relative ruleSet path
}

// Arrivals is the arrival process: Poisson with rate PerSecond, times Daily's factor for the
// time of day when Daily is set.
type Arrivals struct {
	PerSecond float64 `json:"perSecond"` // tickets per second
	// Daily, when set, holds 24 factors, one per hour of a day, linearly interpolated; the day
	// lasts DayLengthSeconds of simulated time (default 86400), so a whole day's curve fits
	// into a short run.
	Daily            []float64 `json:"daily,omitempty"`
	DayLengthSeconds float64   `json:"dayLengthSeconds,omitempty"`
}

// Skill is the distribution of the number attribute that rule sets usually measure: normal,
// clipped to [Min, Max] unless both are 0, rounded to whole numbers. The players of a party share their party's
// draw, each off it by PartyStdDev.
type Skill struct {
	Attribute   string  `json:"attribute"` // default "skill"
	Mean        float64 `json:"mean"`
	StdDev      float64 `json:"stdDev"`
	Min         float64 `json:"min"`
	Max         float64 `json:"max"`
	PartyStdDev float64 `json:"partyStdDev,omitempty"`
}

// Weighted is one choice of a weighted draw.
type Weighted struct {
	Value  string  `json:"value"`
	Weight float64 `json:"weight"`
}

// Latency draws each player's latency to every region of Regions: uniform in HomeMs for the
// player's home region, uniform in AwayMs for the others.
type Latency struct {
	HomeMs [2]int `json:"homeMs"`
	AwayMs [2]int `json:"awayMs"`
}

// Roles gives each player one role, drawn by weight, as a string list attribute.
type Roles struct {
	Attribute string     `json:"attribute"` // default "roles"
	Values    []Weighted `json:"values"`
}

// ExtraValue gives every player a fixed value for an attribute the rule set requires.
type ExtraValue struct {
	Name   string   `json:"name"`
	Number *float64 `json:"number,omitempty"`
	String *string  `json:"string,omitempty"`
}

// Sessions describes the game servers, for populations that fill running games by backfill.
type Sessions struct {
	// Backfill is "automatic" (FlexMatch: every match is placed in a game session that the
	// matchmaker keeps full, replacing players who leave) or "acknowledged" (Open Match: Servers
	// long-lived servers, each with a backfill the server acknowledges every
	// AcknowledgeEverySeconds, within AcknowledgeTimeoutSeconds).
	Backfill                  string  `json:"backfill"`
	Servers                   int     `json:"servers,omitempty"`
	AcknowledgeEverySeconds   float64 `json:"acknowledgeEverySeconds,omitempty"`
	AcknowledgeTimeoutSeconds float64 `json:"acknowledgeTimeoutSeconds,omitempty"`
	// GameSeconds ends an automatic session that long after it started; 0: it runs to the end.
	GameSeconds float64 `json:"gameSeconds,omitempty"`
}

// Leaving makes players leave running games: each player in a session leaves with probability
// PerMinute per simulated minute.
type Leaving struct {
	PerMinute float64 `json:"perMinute"`
}

// Backfill modes of Sessions.
const (
	BackfillAutomatic    = "automatic"
	BackfillAcknowledged = "acknowledged"
)

//go:embed populations/*.json rulesets/*.json
var builtinFS embed.FS

// Builtins returns the names of the built-in populations.
func Builtins() []string { return builtinNames("populations") }

// BuiltinRuleSets returns the names of the built-in rule sets.
func BuiltinRuleSets() []string { return builtinNames("rulesets") }

func builtinNames(dir string) []string {
	entries, _ := builtinFS.ReadDir(dir)
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".json"))
	}
	slices.Sort(out) // "1v1" before "1v1-sorted"
	return out
}

// BuiltinRuleSet returns the JSON of a built-in rule set.
func BuiltinRuleSet(name string) ([]byte, bool) {
	data, err := builtinFS.ReadFile(path.Join("rulesets", name+".json"))
	return data, err == nil
}

// BuiltinPopulation returns the JSON of a built-in population.
func BuiltinPopulation(name string) ([]byte, bool) {
	data, err := builtinFS.ReadFile(path.Join("populations", name+".json"))
	return data, err == nil
}

// PopulationError lists every problem of a population file, each as "PATH: message".
type PopulationError struct {
	Problems []string
}

func (e *PopulationError) Error() string {
	return "sim: population: " + strings.Join(e.Problems, "; ")
}

// MaxPopulationBytes bounds a population file; the built-in ones are about 1 KiB.
const MaxPopulationBytes = 1 << 20

// ReadFunc reads a file of at most limit bytes; what names its kind ("a rule set") for errors.
// The command line passes its own, which words its errors as the other commands do.
type ReadFunc func(file string, limit int64, what string) ([]byte, error)

// LoadPopulation reads a population by built-in name or from a file.
func LoadPopulation(nameOrFile string, read ReadFunc) (*Population, error) {
	if data, ok := BuiltinPopulation(nameOrFile); ok {
		return ParsePopulation(data, "")
	}
	data, err := read(nameOrFile, MaxPopulationBytes, "a population")
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no such file, and not a built-in population (%s)", strings.Join(Builtins(), ", "))
	}
	if err != nil {
		return nil, err
	}
	return ParsePopulation(data, filepath.Dir(nameOrFile))
}

// ParsePopulation decodes and checks a population; dir is where a relative ruleSet path is
// looked up. Unknown fields are errors, so that a misspelt field does not silently fall back
// to its default.
func ParsePopulation(data []byte, dir string) (*Population, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	p := &Population{dir: dir}
	if err := dec.Decode(p); err != nil {
		return nil, &PopulationError{Problems: []string{err.Error()}}
	}
	p.applyDefaults()
	if problems := p.check(); len(problems) > 0 {
		return nil, &PopulationError{Problems: problems}
	}
	return p, nil
}

func (p *Population) applyDefaults() {
	if p.TickSeconds == 0 {
		p.TickSeconds = 1
	}
	if p.RequestTimeoutSeconds == 0 {
		p.RequestTimeoutSeconds = 120
	}
	if p.Skill.Attribute == "" {
		p.Skill.Attribute = "skill"
	}
	if p.Arrivals.DayLengthSeconds == 0 {
		p.Arrivals.DayLengthSeconds = 86400
	}
	if len(p.Parties) == 0 {
		p.Parties = []Weighted{{Value: "1", Weight: 1}}
	}
	if p.Roles != nil && p.Roles.Attribute == "" {
		p.Roles.Attribute = "roles"
	}
}

// check returns a problem for each field out of its range, naming the field as the file does.
func (p *Population) check() []string {
	var out []string
	bad := func(field, format string, args ...any) { out = append(out, field+": "+fmt.Sprintf(format, args...)) }
	positive := func(field string, v float64) {
		if !(v > 0) || math.IsInf(v, 0) {
			bad(field, "must be a positive number, got %g", v)
		}
	}
	if len(p.RuleSet) == 0 {
		bad("ruleSet", "is required: a built-in rule set (%s), a file, or a rule-set object", strings.Join(BuiltinRuleSets(), ", "))
	}
	positive("seconds", p.Seconds)
	positive("tickSeconds", p.TickSeconds)
	positive("requestTimeoutSeconds", p.RequestTimeoutSeconds)
	positive("arrivals.perSecond", p.Arrivals.PerSecond)
	positive("arrivals.dayLengthSeconds", p.Arrivals.DayLengthSeconds)
	if n := len(p.Arrivals.Daily); n != 0 && n != 24 {
		bad("arrivals.daily", "must hold 24 factors, one per hour, got %d", n)
	}
	for i, f := range p.Arrivals.Daily {
		if !(f >= 0) || math.IsInf(f, 0) {
			bad(fmt.Sprintf("arrivals.daily[%d]", i), "must be a factor of 0 or more, got %g", f)
		}
	}
	if len(p.Arrivals.Daily) == 24 && slices.Max(p.Arrivals.Daily) == 0 {
		bad("arrivals.daily", "has no hour with arrivals")
	}
	if !(p.Skill.StdDev >= 0) || !(p.Skill.PartyStdDev >= 0) {
		bad("skill", "stdDev and partyStdDev must be 0 or more")
	}
	if !(p.Skill.Min <= p.Skill.Max) {
		bad("skill", "min %g is above max %g", p.Skill.Min, p.Skill.Max)
	}
	checkWeights := func(field string, ws []Weighted, value func(string) bool, want string) {
		for i, w := range ws {
			if !(w.Weight >= 0) || math.IsInf(w.Weight, 0) {
				bad(fmt.Sprintf("%s[%d].weight", field, i), "must be 0 or more, got %g", w.Weight)
			}
			if !value(w.Value) {
				bad(fmt.Sprintf("%s[%d].value", field, i), "must be %s, got %q", want, w.Value)
			}
		}
		if len(ws) > 0 && !(totalWeight(ws) > 0) {
			bad(field, "weights add up to 0")
		}
	}
	checkWeights("parties", p.Parties, func(v string) bool { n, ok := partySize(v); return ok && n <= maxParty }, fmt.Sprintf("a party size from 1 to %d", maxParty))
	checkWeights("regions", p.Regions, func(v string) bool { return v != "" }, "a region name")
	if len(p.Regions) > 0 {
		for _, r := range [][2]int{p.Latency.HomeMs, p.Latency.AwayMs} {
			if r[0] < 1 || r[1] < r[0] {
				bad("latency", "homeMs and awayMs must each be [low, high] with 1 <= low <= high, got %v", r)
				break
			}
		}
	}
	if p.Roles != nil {
		checkWeights("roles.values", p.Roles.Values, func(v string) bool { return v != "" }, "a role name")
		if len(p.Roles.Values) == 0 {
			bad("roles.values", "must list at least one role")
		}
	}
	if s := p.Sessions; s != nil {
		switch s.Backfill {
		case BackfillAutomatic:
		case BackfillAcknowledged:
			if s.Servers < 1 || s.Servers > maxServers {
				bad("sessions.servers", "must be from 1 to %d with acknowledged backfill, got %d", maxServers, s.Servers)
			}
			positive("sessions.acknowledgeEverySeconds", s.AcknowledgeEverySeconds)
			positive("sessions.acknowledgeTimeoutSeconds", s.AcknowledgeTimeoutSeconds)
		default:
			bad("sessions.backfill", "must be %q or %q, got %q", BackfillAutomatic, BackfillAcknowledged, s.Backfill)
		}
		if !(s.GameSeconds >= 0) {
			bad("sessions.gameSeconds", "must be 0 or more, got %g", s.GameSeconds)
		}
	}
	if p.Leaving != nil && !(p.Leaving.PerMinute >= 0 && p.Leaving.PerMinute <= 1) {
		bad("leaving.perMinute", "must be a probability from 0 to 1, got %g", p.Leaving.PerMinute)
	}
	if p.Leaving != nil && p.Sessions == nil {
		bad("leaving", "needs sessions: players leave running games")
	}
	for i, x := range p.Extra {
		if x.Name == "" || (x.Number == nil) == (x.String == nil) {
			bad(fmt.Sprintf("extraAttributes[%d]", i), "needs a name and exactly one of number or string")
		}
	}
	return out
}

// maxParty is the most players a ticket holds (FlexMatch's limit); maxServers bounds the
// long-lived servers of a population.
const (
	maxParty   = 10
	maxServers = 10_000
)

func partySize(v string) (int, bool) {
	var n int
	if _, err := fmt.Sscanf(v, "%d", &n); err != nil || fmt.Sprint(n) != v || n < 1 {
		return 0, false
	}
	return n, true
}

// RuleSetSource returns the population's default rule set as JSON and a label for it.
func (p *Population) RuleSetSource(read ReadFunc) (data []byte, label string, err error) {
	raw := bytes.TrimSpace(p.RuleSet)
	if len(raw) > 0 && raw[0] == '{' {
		return raw, p.Name + " (inline rule set)", nil
	}
	var name string
	if err := json.Unmarshal(raw, &name); err != nil {
		return nil, "", &PopulationError{Problems: []string{"ruleSet: must be a rule-set name, a file or an object"}}
	}
	return LoadRuleSet(name, p.dir, read)
}

// LoadRuleSet returns a rule set's JSON and a label for it: a file (relative to dir when it is
// not absolute), or else a built-in rule set of that name. A file is read up to FlexMatch's
// limit of matchmaker.MaxRuleSetBytes.
func LoadRuleSet(nameOrFile, dir string, read ReadFunc) (data []byte, label string, err error) {
	file := nameOrFile
	if dir != "" && !filepath.IsAbs(file) {
		file = filepath.Join(dir, file)
	}
	data, err = read(file, matchmaker.MaxRuleSetBytes, "a rule set")
	if errors.Is(err, os.ErrNotExist) {
		if data, ok := BuiltinRuleSet(nameOrFile); ok {
			return data, "built-in " + nameOrFile, nil
		}
		err = fmt.Errorf("no such file, and not a built-in rule set (%s)", strings.Join(BuiltinRuleSets(), ", "))
	}
	return data, file, err
}

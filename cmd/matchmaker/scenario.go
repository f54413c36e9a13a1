package main

// This file holds the scenario file format of the run command (DESIGN.md section 6) and its
// strict loading: unknown keys, unknown step kinds, values out of bounds and bad rule sets or
// configurations are refused, each with the JSON path of the field, before anything runs.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/seed-04d22514/matchmaker"
	"github.com/seed-04d22514/matchmaker/internal/suggest"
)

// scenarioFile is a scenario as written on disk. Times are read as json.Number so that each is
// checked against its bounds before it is used.
type scenarioFile struct {
	RuleSet       json.RawMessage   `json:"ruleSet"`
	Configuration *configuration    `json:"configuration"`
	TickSeconds   *json.Number      `json:"tickSeconds"`
	Until         *json.Number      `json:"until"`
	Steps         []json.RawMessage `json:"steps"`
}

// scenario is a loaded scenario, ready to replay.
type scenario struct {
	config matchmaker.Config
	tick   float64 // seconds between ticks
	until  float64 // seconds; the last tick is at or before it
	steps  []step
}

// step is one request of a scenario, applied before the first tick not earlier than at.
type step struct {
	index int
	at    float64
	kind  string
	apply func(m *matchmaker.Matchmaker) error
}

// stepKinds decodes each kind of step's payload, found at path, into the call it makes.
var stepKinds = map[string]func(payload []byte, path string) (func(*matchmaker.Matchmaker) error, error){
	"StartMatchmaking": request(func(m *matchmaker.Matchmaker, in matchmaker.StartMatchmakingInput) error {
		_, err := m.StartMatchmaking(in)
		return err
	}),
	"StopMatchmaking": request(func(m *matchmaker.Matchmaker, in ticketRef) error { return m.StopMatchmaking(in.TicketID) }),
	"AcceptMatch":     request((*matchmaker.Matchmaker).AcceptMatch),
	"StartMatchBackfill": request(func(m *matchmaker.Matchmaker, in matchmaker.StartMatchBackfillInput) error {
		_, err := m.StartMatchBackfill(in)
		return err
	}),
	"StopMatchBackfill": request(func(m *matchmaker.Matchmaker, in ticketRef) error { return m.StopMatchBackfill(in.TicketID) }),
	"AcknowledgeBackfill": request(func(m *matchmaker.Matchmaker, in ticketRef) error {
		_, err := m.AcknowledgeBackfill(in.TicketID)
		return err
	}),
	"RemovePlayers": request(func(m *matchmaker.Matchmaker, in removePlayersInput) error {
		return m.RemovePlayers(in.GameSessionArn, in.PlayerIDs...)
	}),
	"AddPlayers": request(func(m *matchmaker.Matchmaker, in addPlayersInput) error {
		return m.AddPlayers(in.GameSessionArn, in.Players...)
	}),
}

// request returns a decoder of one kind of step: it checks the payload strictly against T and
// returns the call that makes the request. The call decodes the payload again when the step
// runs: a step waiting its turn holds its text, about a tenth of the memory of a decoded
// request.
func request[T any](call func(*matchmaker.Matchmaker, T) error) func([]byte, string) (func(*matchmaker.Matchmaker) error, error) {
	return func(payload []byte, path string) (func(*matchmaker.Matchmaker) error, error) {
		var in T
		if err := decodeStrict(payload, path, &in); err != nil {
			return nil, err
		}
		return func(m *matchmaker.Matchmaker) error {
			var in T
			if err := json.Unmarshal(payload, &in); err != nil {
				return err // checked by decodeStrict already
			}
			return call(m, in)
		}, nil
	}
}

// ticketRef is the request shape of the calls that name one ticket.
type ticketRef struct {
	TicketID string `json:"TicketId"`
}

// removePlayersInput reports players who left a game session (a library extension).
type removePlayersInput struct {
	GameSessionArn string   `json:"GameSessionArn"`
	PlayerIDs      []string `json:"PlayerIds"`
}

// addPlayersInput reports players who joined a game session outside matchmaking (a library
// extension).
type addPlayersInput struct {
	GameSessionArn string              `json:"GameSessionArn"`
	Players        []matchmaker.Player `json:"Players"`
}

// loadScenario reads and checks a scenario file: everything is checked, within the bounds of
// limits.go, before anything runs.
func loadScenario(path string) (*scenario, error) {
	data, err := readInput(path, maxScenarioBytes, "a scenario")
	if err != nil {
		return nil, err
	}
	return parseScenario(data, filepath.Dir(path))
}

// parseScenario checks and loads the scenario data; a rule-set path in it is relative to dir.
func parseScenario(data []byte, dir string) (*scenario, error) {
	var f scenarioFile
	if err := decodeStrict(data, "", &f); err != nil {
		return nil, err
	}
	rs, err := loadRuleSet(f.RuleSet, dir)
	if err != nil {
		return nil, err
	}
	var conf configuration
	if f.Configuration != nil {
		conf = *f.Configuration
	}
	cfg, err := conf.toConfig(rs)
	if err != nil {
		return nil, err
	}
	if err := checkConfig(cfg); err != nil {
		return nil, err
	}
	sc := &scenario{config: cfg, tick: 1, steps: make([]step, 0, len(f.Steps))}
	if f.TickSeconds != nil {
		if sc.tick, err = parseSeconds("tickSeconds", *f.TickSeconds, minTickSeconds, maxSeconds); err != nil {
			return nil, err
		}
	}
	for i, raw := range f.Steps {
		s, err := parseStep(i, raw)
		if err != nil {
			return nil, err
		}
		sc.steps = append(sc.steps, s)
		f.Steps[i] = nil // the step holds a copy of its payload
	}
	if err := sc.setUntil(f.Until); err != nil {
		return nil, err
	}
	return sc, nil
}

// loadRuleSet parses the ruleSet field: a path relative to dir, or an inline rule set.
func loadRuleSet(raw json.RawMessage, dir string) (*matchmaker.RuleSet, error) {
	var data []byte
	var name string
	switch trimmed := bytes.TrimSpace(raw); {
	case len(trimmed) == 0:
		return nil, errorAt("ruleSet", "is required (a file path relative to the scenario, or a rule-set object)")
	case trimmed[0] == '"':
		if err := json.Unmarshal(trimmed, &name); err != nil {
			return nil, errorAt("ruleSet", "%v", err)
		}
		if name == "" {
			return nil, errorAt("ruleSet", "is empty; want a file path relative to the scenario, or a rule-set object")
		}
		if !filepath.IsAbs(name) {
			name = filepath.Join(dir, name)
		}
		b, err := readRuleSetFile(name)
		if err != nil {
			return nil, errorAt("ruleSet", "%s: %v", name, err)
		}
		data = b
	case trimmed[0] == '{':
		data = trimmed
		name = "ruleSet"
	default:
		return nil, errorAt("ruleSet", "must be a file path or a rule-set object")
	}
	rs, err := matchmaker.ParseRuleSet(data)
	if err != nil {
		return nil, &prefixedError{prefix: name, err: err}
	}
	return rs, nil
}

// readRuleSetFile reads a rule set that a scenario names. It must be a regular file: a
// scenario is a document, and one from elsewhere must not make the command wait on a named
// pipe or read a device.
func readRuleSetFile(name string) ([]byte, error) {
	if err := requireRegularFile(name); err != nil {
		return nil, err
	}
	return readInput(name, matchmaker.MaxRuleSetBytes, "a rule set")
}

// prefixedError is an error about one input (a rule-set file, a configuration), printed with
// that input's name before each problem.
type prefixedError struct {
	prefix string
	err    error
}

func (e *prefixedError) Error() string { return e.prefix + ": " + e.err.Error() }
func (e *prefixedError) Unwrap() error { return e.err }

// parseStep reads one step: "at" and exactly one request.
func parseStep(i int, raw json.RawMessage) (step, error) {
	path := fmt.Sprintf("steps[%d]", i)
	var fields map[string]json.RawMessage
	if err := decodeStrict(raw, path, &fields); err != nil {
		return step{}, err
	}
	if fields == nil {
		return step{}, errorAt(path, "must be an object with \"at\" and one request, got null")
	}
	s := step{index: i}
	atRaw, hasAt := fields["at"]
	delete(fields, "at")
	kinds := slices.Sorted(maps.Keys(fields))
	for _, kind := range kinds {
		if _, ok := stepKinds[kind]; !ok {
			return step{}, unknownKind(path, kind)
		}
	}
	if !hasAt {
		return step{}, errorAt(path+".at", "is required")
	}
	var err error
	if s.at, err = parseSecondsJSON(path+".at", atRaw, 0, maxSeconds); err != nil {
		return step{}, err
	}
	if len(kinds) != 1 {
		found := "none"
		if len(kinds) > 1 {
			found = fmt.Sprintf("%d (%s)", len(kinds), strings.Join(kinds, ", "))
		}
		return step{}, errorAt(path, "must hold exactly one request besides \"at\" (one of %s), found %s", kindList(), found)
	}
	s.kind = kinds[0]
	if s.apply, err = stepKinds[s.kind](fields[s.kind], path+"."+s.kind); err != nil {
		return step{}, err
	}
	return s, nil
}

// unknownKind reports a step key that is neither "at" nor a request, with the nearest one.
func unknownKind(path, kind string) error {
	if s := suggest.Closest(kind, append(slices.Sorted(maps.Keys(stepKinds)), "at")); s != "" {
		return errorAt(path, "unknown step kind %s (did you mean %q?)", clipQuote(kind), s)
	}
	return errorAt(path, "unknown step kind %s; want one of %s", clipQuote(kind), kindList())
}

func kindList() string {
	return strings.Join(slices.Sorted(maps.Keys(stepKinds)), ", ")
}

// parseSeconds reads a number of seconds at path and checks that it lies in [lo, hi].
func parseSeconds(path string, n json.Number, lo, hi float64) (float64, error) {
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsNaN(f) || f < lo || f > hi {
		return 0, errorAt(path, "must be a number of seconds from %s to %s, got %s", formatSeconds(lo), formatSeconds(hi), clip(string(n)))
	}
	return f, nil
}

// parseSecondsJSON is parseSeconds for raw, a JSON value already checked to be valid.
func parseSecondsJSON(path string, raw json.RawMessage, lo, hi float64) (float64, error) {
	if c := raw[0]; c != '-' && (c < '0' || c > '9') { // not a number
		var n json.Number
		return 0, decodeStrict(raw, path, &n)
	}
	return parseSeconds(path, json.Number(raw), lo, hi)
}

// setUntil sets the end of the replay, given or by default, and checks that the replay has at
// most maxTicks ticks and that every step comes before its last tick.
func (sc *scenario) setUntil(given *json.Number) error {
	what := ""
	if given != nil {
		u, err := parseSeconds("until", *given, 0, maxSeconds)
		if err != nil {
			return err
		}
		sc.until = u
	} else {
		sc.until = sc.defaultUntil()
		what = "by default the last step's at plus the request timeout, "
		if sc.until > maxSeconds {
			return errorAt("until", "is by default the last step's at plus the request timeout, %s s, more than %s s; give until",
				formatSeconds(sc.until), formatSeconds(maxSeconds))
		}
	}
	if n := math.Floor(sc.until/sc.tick+tickSlack) + 1; n > maxTicks {
		return errorAt("until", "%s%s s at tickSeconds %s is %.0f ticks; at most %d are allowed (raise tickSeconds or lower until)",
			what, formatSeconds(sc.until), formatSeconds(sc.tick), n, maxTicks)
	}
	if last := sc.lastStep(); last != nil && !sc.due(*last, sc.tickCount()-1) {
		return errorAt(fmt.Sprintf("steps[%d].at", last.index), "%s is after the last tick (%s); raise until",
			formatSeconds(last.at), formatSeconds(sc.lastTick()))
	}
	return nil
}

// defaultUntil is the last step's time plus the request timeout (120 s when not configured).
func (sc *scenario) defaultUntil() float64 {
	timeout := sc.config.RequestTimeout
	if timeout == 0 {
		timeout = 120 * time.Second
	}
	last := 0.0
	if s := sc.lastStep(); s != nil {
		last = s.at
	}
	return last + timeout.Seconds()
}

// lastStep returns the step with the latest time, or nil.
func (sc *scenario) lastStep() *step {
	var last *step
	for i := range sc.steps {
		if last == nil || sc.steps[i].at > last.at {
			last = &sc.steps[i]
		}
	}
	return last
}

// due reports whether s is applied before tick k (or an earlier tick).
func (sc *scenario) due(s step, k int) bool { return s.at <= sc.tickTime(k)+sc.tick*tickSlack }

// tickTime returns the time of tick k, in seconds.
func (sc *scenario) tickTime(k int) float64 { return float64(k) * sc.tick }

// tickCount returns the number of ticks: at 0, tick, 2 x tick, ... up to and including until.
func (sc *scenario) tickCount() int {
	return int(math.Floor(sc.until/sc.tick+tickSlack)) + 1
}

func (sc *scenario) lastTick() float64 { return sc.tickTime(sc.tickCount() - 1) }

// tickSlack, a fraction of a tick, keeps a time that lands on a tick despite rounding
// (0.1 x 30 is 3.0000000000000004) on that tick.
const tickSlack = 1e-9

// seconds converts seconds to a Duration; s must lie within the bounds of limits.go.
func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// formatSeconds writes a number of seconds without an exponent.
func formatSeconds(s float64) string { return strconv.FormatFloat(s, 'f', -1, 64) }

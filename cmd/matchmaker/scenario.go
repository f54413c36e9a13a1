package main

// This file holds the scenario file format of the run command (DESIGN.md section 6) and its
// strict loading: unknown keys, unknown step kinds and bad rule sets are refused before anything
// runs.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/seed-04d22514/matchmaker"
)

// scenarioFile is a scenario as written on disk.
type scenarioFile struct {
	RuleSet       json.RawMessage   `json:"ruleSet"`
	Configuration json.RawMessage   `json:"configuration"`
	TickSeconds   *float64          `json:"tickSeconds"`
	Until         *float64          `json:"until"`
	Steps         []json.RawMessage `json:"steps"`
}

// configuration holds FlexMatch's CreateMatchmakingConfiguration fields, all optional.
type configuration struct {
	Name                              string  `json:"name"`
	RequestTimeoutSeconds             float64 `json:"requestTimeoutSeconds"`
	AcceptanceRequired                bool    `json:"acceptanceRequired"`
	AcceptanceTimeoutSeconds          float64 `json:"acceptanceTimeoutSeconds"`
	BackfillMode                      string  `json:"backfillMode"`
	FlexMatchMode                     string  `json:"flexMatchMode"`
	BackfillAcknowledgeTimeoutSeconds float64 `json:"backfillAcknowledgeTimeoutSeconds"`
	AdditionalPlayerCount             int     `json:"additionalPlayerCount"`
	CustomEventData                   string  `json:"customEventData"`
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

// stepKinds decodes each kind of step's payload into the call it makes.
var stepKinds = map[string]func(payload []byte) (func(*matchmaker.Matchmaker) error, error){
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

// request returns a decoder of one kind of step: it reads the payload strictly into a T and
// returns the call that makes the request.
func request[T any](call func(*matchmaker.Matchmaker, T) error) func([]byte) (func(*matchmaker.Matchmaker) error, error) {
	return func(payload []byte) (func(*matchmaker.Matchmaker) error, error) {
		var in T
		if err := decodeStrict(payload, &in); err != nil {
			return nil, err
		}
		return func(m *matchmaker.Matchmaker) error { return call(m, in) }, nil
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

// loadScenario reads and checks a scenario file.
func loadScenario(path string) (*scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, unwrapPathError(err)
	}
	var f scenarioFile
	if err := decodeStrict(data, &f); err != nil {
		return nil, fmt.Errorf("not a valid scenario: %w", err)
	}
	var conf configuration
	if f.Configuration != nil {
		if err := decodeStrict(f.Configuration, &conf); err != nil {
			return nil, fmt.Errorf("configuration: %w", err)
		}
	}
	rs, err := loadRuleSet(f.RuleSet, filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	sc := &scenario{config: conf.toConfig(rs), tick: 1}
	if f.TickSeconds != nil {
		if !(*f.TickSeconds > 0) || math.IsInf(*f.TickSeconds, 0) {
			return nil, fmt.Errorf("tickSeconds: must be a positive number, got %v", *f.TickSeconds)
		}
		sc.tick = *f.TickSeconds
	}
	for i, raw := range f.Steps {
		s, err := parseStep(i, raw)
		if err != nil {
			return nil, err
		}
		sc.steps = append(sc.steps, s)
	}
	sc.until = sc.defaultUntil()
	if f.Until != nil {
		if *f.Until < 0 || math.IsInf(*f.Until, 0) {
			return nil, fmt.Errorf("until: must be a number of seconds, at least 0, got %v", *f.Until)
		}
		sc.until = *f.Until
	}
	if last := sc.lastStep(); last != nil && !sc.due(*last, sc.tickCount()-1) {
		return nil, fmt.Errorf("steps[%d]: at %v is after the last tick (%v); raise until", last.index, last.at, sc.lastTick())
	}
	return sc, nil
}

// loadRuleSet parses the ruleSet field: a path relative to dir, or an inline rule set.
func loadRuleSet(raw json.RawMessage, dir string) (*matchmaker.RuleSet, error) {
	var data []byte
	var name string
	switch trimmed := bytes.TrimSpace(raw); {
	case len(trimmed) == 0:
		return nil, errors.New("ruleSet: is required (a file path relative to the scenario, or a rule-set object)")
	case trimmed[0] == '"':
		if err := json.Unmarshal(trimmed, &name); err != nil {
			return nil, fmt.Errorf("ruleSet: %w", err)
		}
		if !filepath.IsAbs(name) {
			name = filepath.Join(dir, name)
		}
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("ruleSet: %w", err)
		}
		data = b
	case trimmed[0] == '{':
		data = trimmed
		name = "ruleSet"
	default:
		return nil, errors.New("ruleSet: must be a file path or a rule-set object")
	}
	rs, err := matchmaker.ParseRuleSet(data)
	if err != nil {
		return nil, &prefixedError{prefix: name, err: err}
	}
	return rs, nil
}

// prefixedError is an error about one input (a rule-set file, a configuration), printed with
// that input's name before each problem.
type prefixedError struct {
	prefix string
	err    error
}

func (e *prefixedError) Error() string { return e.prefix + ": " + e.err.Error() }
func (e *prefixedError) Unwrap() error { return e.err }

// toConfig maps FlexMatch's configuration fields onto matchmaker.Config; the library checks
// their ranges when the Matchmaker is created.
func (c configuration) toConfig(rs *matchmaker.RuleSet) matchmaker.Config {
	return matchmaker.Config{
		Name:                       c.Name,
		RuleSet:                    rs,
		RequestTimeout:             seconds(c.RequestTimeoutSeconds),
		AcceptanceRequired:         c.AcceptanceRequired,
		AcceptanceTimeout:          seconds(c.AcceptanceTimeoutSeconds),
		BackfillMode:               matchmaker.BackfillMode(c.BackfillMode),
		FlexMatchMode:              matchmaker.FlexMatchMode(c.FlexMatchMode),
		AdditionalPlayerCount:      c.AdditionalPlayerCount,
		CustomEventData:            c.CustomEventData,
		BackfillAcknowledgeTimeout: seconds(c.BackfillAcknowledgeTimeoutSeconds),
	}
}

// parseStep reads one step: "at" and exactly one request.
func parseStep(i int, raw json.RawMessage) (step, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return step{}, fmt.Errorf("steps[%d]: must be an object with \"at\" and one request", i)
	}
	s := step{index: i}
	atRaw, ok := fields["at"]
	if !ok {
		return step{}, fmt.Errorf("steps[%d].at: is required", i)
	}
	if err := json.Unmarshal(atRaw, &s.at); err != nil || s.at < 0 {
		return step{}, fmt.Errorf("steps[%d].at: must be a number of seconds, at least 0", i)
	}
	delete(fields, "at")
	if len(fields) != 1 {
		return step{}, fmt.Errorf("steps[%d]: must hold exactly one request besides \"at\" (one of %s), found %d", i, kindList(), len(fields))
	}
	for kind, payload := range fields {
		decode, ok := stepKinds[kind]
		if !ok {
			return step{}, fmt.Errorf("steps[%d]: unknown step kind %q; want one of %s", i, kind, kindList())
		}
		apply, err := decode(payload)
		if err != nil {
			return step{}, fmt.Errorf("steps[%d].%s: %w", i, kind, err)
		}
		s.kind, s.apply = kind, apply
	}
	return s, nil
}

func kindList() string {
	var kinds []string
	for k := range stepKinds {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	return strings.Join(kinds, ", ")
}

// decodeStrict decodes one JSON value into v, refusing unknown keys and trailing data.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("unexpected data after the JSON value")
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

// maxTicks bounds a replay so that a typo in until cannot make it run for hours.
const maxTicks = 10_000_000

// checkLength refuses a replay of more than maxTicks ticks.
func (sc *scenario) checkLength() error {
	if n := sc.until / sc.tick; n > maxTicks {
		return fmt.Errorf("until / tickSeconds is %.0f ticks; at most %d are allowed", n, maxTicks)
	}
	return nil
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

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

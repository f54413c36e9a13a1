package main

// This file holds the configuration object of a scenario file: FlexMatch's field names, their
// mapping onto matchmaker.Config, and the mapping of the library's complaints about a Config
// back to the names the file uses.

import (
	"encoding/json"
	"errors"
	"maps"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/seed-04d22514/matchmaker"
)

// configuration holds FlexMatch's CreateMatchmakingConfiguration fields, all optional. Times
// are read as json.Number so that each is checked against maxSeconds before it becomes a
// time.Duration.
type configuration struct {
	Name                              string      `json:"name"`
	RequestTimeoutSeconds             json.Number `json:"requestTimeoutSeconds"`
	AcceptanceRequired                bool        `json:"acceptanceRequired"`
	AcceptanceTimeoutSeconds          json.Number `json:"acceptanceTimeoutSeconds"`
	BackfillMode                      string      `json:"backfillMode"`
	FlexMatchMode                     string      `json:"flexMatchMode"`
	BackfillAcknowledgeTimeoutSeconds json.Number `json:"backfillAcknowledgeTimeoutSeconds"`
	AdditionalPlayerCount             int         `json:"additionalPlayerCount"`
	CustomEventData                   string      `json:"customEventData"`
}

// configPaths maps each path the library reports about a Config (a Go field name) to the JSON
// path of the scenario field it came from.
var configPaths = map[string]string{
	"Name":                       "configuration.name",
	"RuleSet":                    "ruleSet",
	"RequestTimeout":             "configuration.requestTimeoutSeconds",
	"Placer":                     "configuration.placer", // not settable here: run places matches at once
	"PlacementTimeout":           "configuration.placementTimeoutSeconds",
	"AcceptanceRequired":         "configuration.acceptanceRequired",
	"AcceptanceTimeout":          "configuration.acceptanceTimeoutSeconds",
	"BackfillMode":               "configuration.backfillMode",
	"FlexMatchMode":              "configuration.flexMatchMode",
	"AdditionalPlayerCount":      "configuration.additionalPlayerCount",
	"CustomEventData":            "configuration.customEventData",
	"BackfillAcknowledgeTimeout": "configuration.backfillAcknowledgeTimeoutSeconds",
}

// toConfig checks c's times and name and maps c onto a matchmaker.Config; the library checks
// the rest when the Matchmaker is created (see checkConfig).
func (c configuration) toConfig(rs *matchmaker.RuleSet) (matchmaker.Config, error) {
	if len(c.Name) > maxNameLength {
		return matchmaker.Config{}, errorAt("configuration.name", "is %d characters; at most %d are allowed", len(c.Name), maxNameLength)
	}
	cfg := matchmaker.Config{
		Name:                  c.Name,
		RuleSet:               rs,
		AcceptanceRequired:    c.AcceptanceRequired,
		BackfillMode:          matchmaker.BackfillMode(c.BackfillMode),
		FlexMatchMode:         matchmaker.FlexMatchMode(c.FlexMatchMode),
		AdditionalPlayerCount: c.AdditionalPlayerCount,
		CustomEventData:       c.CustomEventData,
	}
	for _, d := range []struct {
		to   *time.Duration
		from json.Number
		path string
	}{
		{&cfg.RequestTimeout, c.RequestTimeoutSeconds, "configuration.requestTimeoutSeconds"},
		{&cfg.AcceptanceTimeout, c.AcceptanceTimeoutSeconds, "configuration.acceptanceTimeoutSeconds"},
		{&cfg.BackfillAcknowledgeTimeout, c.BackfillAcknowledgeTimeoutSeconds, "configuration.backfillAcknowledgeTimeoutSeconds"},
	} {
		if d.from == "" {
			continue
		}
		s, err := parseSeconds(d.path, d.from, 0, maxSeconds)
		if err != nil {
			return matchmaker.Config{}, err
		}
		if *d.to = seconds(s); *d.to == 0 && s > 0 {
			// It would read as 0, which means "the default" or "none".
			return matchmaker.Config{}, errorAt(d.path, "must be 0 or at least a nanosecond, got %s", clip(d.from.String()))
		}
	}
	return cfg, nil
}

// checkConfig has the library check cfg, as replay will create its Matchmaker, and names the
// scenario's fields in what it finds.
func checkConfig(cfg matchmaker.Config) error {
	m, err := matchmaker.New(cfg, matchmaker.WithClock(&fakeClock{now: scenarioStart}),
		matchmaker.WithRandom(rand.NewChaCha8(scenarioSeed)))
	if err != nil {
		return configError(err)
	}
	return m.Close()
}

// configError rewrites the library's *matchmaker.ValidationError about a Config in the
// scenario's names: the path RequestTimeout becomes configuration.requestTimeoutSeconds, and
// RuleSet.expansions[0] becomes ruleSet.expansions[0]. Messages name fields too ("longer than
// RequestTimeout"), so they are rewritten alike. Other errors pass unchanged.
func configError(err error) error {
	var ve *matchmaker.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	out := &matchmaker.ValidationError{Input: "scenario " + ve.Input}
	for _, p := range ve.Problems {
		out.Problems = append(out.Problems, matchmaker.FieldError{Path: configPath(p.Path), Message: renameFields(p.Message)})
	}
	return out
}

// configPath maps one library path to the scenario's. A path it does not know keeps its Go
// name, after "configuration: ", so that the problem is still reported.
func configPath(path string) string {
	head, rest, _ := strings.Cut(path, ".")
	if p, ok := configPaths[head]; ok {
		if rest == "" {
			return p
		}
		return p + "." + rest
	}
	return "configuration: " + path
}

// configNames matches the Go field names, as whole words, in the library's messages.
var configNames = func() *regexp.Regexp {
	names := slices.Sorted(maps.Keys(configPaths))
	return regexp.MustCompile(`\b(` + strings.Join(names, "|") + `)\b`)
}()

// renameFields replaces the Go field names in one of the library's messages with the
// scenario's.
func renameFields(msg string) string {
	return configNames.ReplaceAllStringFunc(msg, func(name string) string { return configPaths[name] })
}

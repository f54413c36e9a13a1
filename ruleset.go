package matchmaker

// This file holds the rule set as users see it: parsing with every problem reported, and what a
// compiled rule set tells about itself. The language itself (compilation, expressions,
// evaluation) lives in internal/ruleset.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/seed-04d22514/matchmaker/internal/ruleset"
)

// RuleType names a kind of rule in the FlexMatch rule-set language.
type RuleType string

// The eight rule types.
const (
	RuleBatchDistance RuleType = "batchDistance"
	RuleComparison    RuleType = "comparison"
	RuleCollection    RuleType = "collection"
	RuleDistance      RuleType = "distance"
	RuleLatency       RuleType = "latency"
	RuleAbsoluteSort  RuleType = "absoluteSort"
	RuleDistanceSort  RuleType = "distanceSort"
	RuleCompound      RuleType = "compound"
)

// Limits of a rule set. FlexMatch documents the body size and the match size.
const (
	MaxRuleSetBytes = 65535 // FlexMatch's RuleSetBody limit
	MaxMatchPlayers = 200   // players in one match
	MaxSmallMatch   = 40    // above this, a rule set is a large match
)

// Team is one team of a match, after a definition's quantity has been expanded: a definition
// "aliens" with quantity 2 gives the teams "aliens_1" and "aliens_2".
type Team struct {
	Name       string
	MinPlayers int
	MaxPlayers int
}

// RuleSet is a compiled FlexMatch rule set. Create one with [ParseRuleSet]; a RuleSet is
// immutable and safe for concurrent use, and one RuleSet may serve several Matchmakers.
type RuleSet struct {
	c           *ruleset.RuleSet
	fingerprint string // SHA-256 of the text, which snapshots and journals record
}

// ParseRuleSet reads and validates a FlexMatch rule set. It accepts what published rule sets
// contain: // and /* */ comments, numbers written as strings, measurements as a string or a
// list, team[...] for teams[...]. It rejects unknown keys, duplicate keys and everything the
// FlexMatch validator is documented to reject; the error is a *ValidationError listing every
// problem with its JSON path.
func ParseRuleSet(data []byte) (*RuleSet, error) {
	c, list := ruleset.Parse(data)
	if len(list) > 0 {
		var p problems
		for _, pr := range list {
			p.list = append(p.list, FieldError{Path: pr.Path, Message: pr.Message})
		}
		return nil, p.err("rule set")
	}
	sum := sha256.Sum256(data)
	return &RuleSet{c: c, fingerprint: hex.EncodeToString(sum[:])}, nil
}

// MustParseRuleSet is like ParseRuleSet but panics on error. It is meant for rule sets that are
// part of the program, in tests and examples.
func MustParseRuleSet(data []byte) *RuleSet {
	rs, err := ParseRuleSet(data)
	if err != nil {
		panic(err)
	}
	return rs
}

// Name returns the rule set's descriptive name, which may be empty.
func (rs *RuleSet) Name() string { return rs.c.Name() }

// Teams returns the teams of a match, with quantities expanded, in definition order.
func (rs *RuleSet) Teams() []Team {
	out := make([]Team, rs.c.TeamCount())
	for i := range out {
		lo, hi := rs.c.TeamSizes(i)
		out[i] = Team{Name: rs.c.TeamName(i), MinPlayers: lo, MaxPlayers: hi}
	}
	return out
}

// MaxPlayers returns the most players a match can hold: the sum of every team's maximum.
func (rs *RuleSet) MaxPlayers() int { return rs.c.MaxPlayers() }

// Large reports whether the rule set describes large matches (more than 40 players), which use
// the balanced strategy and honour only latency and batchDistance rules.
func (rs *RuleSet) Large() bool { return rs.c.Large() }

// RuleInfo names one rule of a rule set and its type.
type RuleInfo struct {
	Name string
	Type RuleType
}

// Rules returns the rule set's rules, in rule-set order.
func (rs *RuleSet) Rules() []RuleInfo {
	out := make([]RuleInfo, rs.c.RuleCount())
	for i := range out {
		name, typ := rs.c.Rule(i)
		out[i] = RuleInfo{Name: name, Type: RuleType(typ)}
	}
	return out
}

// Attributes returns the declared player attributes and their types.
func (rs *RuleSet) Attributes() map[string]AttributeType {
	out := make(map[string]AttributeType, rs.c.AttrCount())
	for i := range rs.c.AttrCount() {
		a := rs.c.Attr(i)
		out[a.Name] = AttributeType(a.Type)
	}
	return out
}

func (rs *RuleSet) String() string {
	return fmt.Sprintf("RuleSet(%q, %d teams, %d rules)", rs.c.Name(), rs.c.TeamCount(), rs.c.RuleCount())
}

package matchmakertest

// This file holds the builders: players, tickets and rule sets written as Go values, for tests
// that would otherwise spend most of their lines spelling matchmaker.Value constructors.

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/seed-04d22514/matchmaker"
)

// Attrs holds player attributes as plain Go values, converted by Value: numbers (float64, int
// and the other integer and float types), string, []string, map[string]float64 (or
// map[string]int), or a matchmaker.Value as is.
type Attrs map[string]any

// Value converts a Go value to a matchmaker.Value: a number (any integer or float type) to
// NumberValue, a string to StringValue, a []string to StringListValue, a map[string]float64 or
// map[string]int to StringNumberMapValue; a matchmaker.Value is returned unchanged. Any other
// type is an error.
func Value(v any) (matchmaker.Value, error) {
	switch x := v.(type) {
	case matchmaker.Value:
		return x, nil
	case float64:
		return matchmaker.NumberValue(x), nil
	case float32:
		return matchmaker.NumberValue(float64(x)), nil
	case int:
		return matchmaker.NumberValue(float64(x)), nil
	case int8:
		return matchmaker.NumberValue(float64(x)), nil
	case int16:
		return matchmaker.NumberValue(float64(x)), nil
	case int32:
		return matchmaker.NumberValue(float64(x)), nil
	case int64:
		return matchmaker.NumberValue(float64(x)), nil
	case uint:
		return matchmaker.NumberValue(float64(x)), nil
	case uint8:
		return matchmaker.NumberValue(float64(x)), nil
	case uint16:
		return matchmaker.NumberValue(float64(x)), nil
	case uint32:
		return matchmaker.NumberValue(float64(x)), nil
	case uint64:
		return matchmaker.NumberValue(float64(x)), nil
	case string:
		return matchmaker.StringValue(x), nil
	case []string:
		return matchmaker.StringListValue(x...), nil
	case map[string]float64:
		return matchmaker.StringNumberMapValue(x), nil
	case map[string]int:
		m := make(map[string]float64, len(x))
		for k, n := range x {
			m[k] = float64(n)
		}
		return matchmaker.StringNumberMapValue(m), nil
	default:
		return matchmaker.Value{}, fmt.Errorf("matchmakertest: attribute value %v of type %T is not a number, string, []string or map[string]float64", v, v)
	}
}

// Attributes converts attrs with Value. It panics on a value of an unsupported type: the
// attributes are part of the test, so that is a mistake in it, like a rule set that
// matchmaker.MustParseRuleSet refuses.
func Attributes(attrs Attrs) matchmaker.Attributes {
	if attrs == nil {
		return nil
	}
	out := make(matchmaker.Attributes, len(attrs))
	for _, name := range slices.Sorted(maps.Keys(attrs)) { // sorted: the first bad name is always the same
		v, err := Value(attrs[name])
		if err != nil {
			panic(fmt.Sprintf("matchmakertest: attribute %q: %v", name, err))
		}
		out[name] = v
	}
	return out
}

// Player returns a player with the given ID and attributes (see Attributes).
func Player(id string, attrs Attrs) matchmaker.Player {
	return matchmaker.Player{PlayerID: id, Attributes: Attributes(attrs)}
}

// PlayerWithLatency returns a player with attributes and latencies, for rule sets with a latency
// rule (which refuse players without them).
func PlayerWithLatency(id string, attrs Attrs, latency matchmaker.Latencies) matchmaker.Player {
	p := Player(id, attrs)
	p.LatencyInMs = latency
	return p
}

// Ticket returns a matchmaking request for a party: the players are matched together, on one
// team.
func Ticket(ticketID string, players ...matchmaker.Player) matchmaker.StartMatchmakingInput {
	return matchmaker.StartMatchmakingInput{TicketID: ticketID, Players: players}
}

// Solo returns a matchmaking request for one player whose ticket ID is the player's ID, the
// common case in rule tests: assertions about tickets and about players then use the same
// names.
func Solo(id string, attrs Attrs) matchmaker.StartMatchmakingInput {
	return Ticket(id, Player(id, attrs))
}

// RuleSet parses a rule set written in the test and fails the test, listing every problem with
// its JSON path, if it is invalid.
func RuleSet(tb testing.TB, ruleSetJSON string) *matchmaker.RuleSet {
	tb.Helper()
	rs, err := matchmaker.ParseRuleSet([]byte(ruleSetJSON))
	if err != nil {
		tb.Fatalf("matchmakertest: rule set: %v", err)
		return nil
	}
	return rs
}

package matchmaker

// This file holds focused regression tests for the rule-semantics defects the randomized
// checker found (invariants_test.go, TestRepro*): the suggested region of a match among those
// the latency rules accept, and collection rules that read a measured list as a set.

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The suggested region is one every latency rule in force accepts, at the match's expansion
// age: not merely the lowest average among the regions every player reports.
func TestSuggestedRegionHonoursTheLatencyRule(t *testing.T) {
	rs := MustParseRuleSet([]byte(`{"ruleLanguageVersion":"1.0","teams":[{"name":"t","minPlayers":2,"maxPlayers":2}],
		"rules":[{"name":"Ping","type":"latency","maxLatency":50,"maxDistance":20}],
		"expansions":[{"target":"rules[Ping].maxLatency","steps":[{"waitTimeSeconds":10,"value":100}]},
		{"target":"rules[Ping].maxDistance","steps":[{"waitTimeSeconds":10,"value":60}]}]}`))
	for _, tc := range []struct {
		name   string
		a, b   Latencies
		tickAt float64
		want   string
	}{
		// eu has the lowest average but one player is over maxLatency there.
		{"over maxLatency", Latencies{"eu": 10, "ap": 45}, Latencies{"eu": 60, "ap": 48}, 0, "ap"},
		// eu has the lowest average but its latencies spread wider than maxDistance.
		{"over maxDistance", Latencies{"eu": 5, "ap": 40}, Latencies{"eu": 45, "ap": 50}, 0, "ap"},
		// After the expansion eu is acceptable, and it has the lowest average.
		{"expanded", Latencies{"eu": 10, "ap": 45, "us": 200}, Latencies{"eu": 60, "ap": 48, "us": 10}, 10, "eu"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newRuleSetHarness(t, rs, Config{})
			t.Cleanup(func() { h.m.Close() })
			h.start("a", Player{PlayerID: "a", LatencyInMs: tc.a})
			h.start("b", Player{PlayerID: "b", LatencyInMs: tc.b})
			pms := eventsOf[*PotentialMatchCreated](h.tick(tc.tickAt)) // the first tick: both have waited tickAt
			require.Len(t, pms, 1)
			require.Equal(t, tc.want, pms[0].Region)
		})
	}
}

// A team's string values form one set: two mages on a team share one value with {mage}.
func TestReferenceIntersectionCountsATeamsRepeatedValueOnce(t *testing.T) {
	rs := MustParseRuleSet([]byte(`{"ruleLanguageVersion":"1.0","playerAttributes":[{"name":"char","type":"string","default":"knight"}],
		"teams":[{"name":"red","minPlayers":2,"maxPlayers":2},{"name":"blue","minPlayers":2,"maxPlayers":2}],
		"rules":[{"name":"OneClass","type":"collection","operation":"reference_intersection_count",
		"measurements":["teams[*].players.attributes[char]"],"referenceValue":["mage","rogue"],"maxCount":1}]}`))
	h := newRuleSetHarness(t, rs, Config{})
	t.Cleanup(func() { h.m.Close() })
	for _, id := range []string{"m1", "m2", "r1", "r2"} {
		char := map[byte]string{'m': "mage", 'r': "rogue"}[id[0]]
		h.start(id, player1(id, Attributes{"char": StringValue(char)}))
	}
	pms := eventsOf[*PotentialMatchCreated](h.tick(0))
	require.Len(t, pms, 1, "mages on one team, rogues on the other")
	teamOf := map[string]string{}
	for _, et := range pms[0].Tickets {
		teamOf[et.TicketID] = et.Players[0].Team
	}
	require.Equal(t, teamOf["m1"], teamOf["m2"])
	require.Equal(t, teamOf["r1"], teamOf["r2"])
	require.NotEqual(t, teamOf["m1"], teamOf["r1"])
}

package matchmaker

// This file holds focused regression tests for the rule-semantics defects the randomized
// checker found (invariants_test.go, TestRepro*).

import (
	"testing"

	"github.com/stretchr/testify/require"
)

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

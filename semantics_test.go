package matchmaker

// This file holds focused regression tests for the rule-semantics defects the randomized
// checker found (invariants_test.go, TestRepro*): a backfill's cap on new players whatever the
// order its tickets join the search in, the suggested region of a match among those the latency
// rules accept, and collection rules that read a measured list as a set.

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The cap holds when the backfill ticket is not the anchor: older tickets are placed first,
// and a backfill that they already outnumber must not join them.
func TestBackfillCapWhenTheBackfillJoinsLast(t *testing.T) {
	for _, tc := range []struct {
		name    string
		parties [][]string // tickets started before the backfill, oldest first
		maxNew  int
		want    int // players the backfill may add at most
	}{
		{"three singles, cap 2", [][]string{{"a"}, {"b"}, {"c"}}, 2, 2},
		{"a party of two, cap 1", [][]string{{"a", "b"}}, 1, 1},
		{"a party of two and a single, cap 1", [][]string{{"a", "b"}, {"c"}}, 1, 1},
		{"no cap", [][]string{{"a"}, {"b"}}, 0, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "testdata/rulesets/lobby-2-4.json", Config{})
			for i, party := range tc.parties {
				var ps []Player
				for _, id := range party {
					ps = append(ps, player1(id, nil))
				}
				h.start(string(rune('t'+i)), ps...)
			}
			_, err := h.m.StartMatchBackfill(StartMatchBackfillInput{TicketID: "bf", GameSessionArn: "gs", MaxNewPlayers: tc.maxNew,
				Players: []Player{{PlayerID: "r", Team: "players"}}})
			require.NoError(t, err)
			for _, p := range eventsOf[*PotentialMatchCreated](h.tick(0)) {
				if p.GameSessionArn != "gs" {
					continue
				}
				joining := 0
				for _, et := range p.Tickets {
					if et.TicketID != "bf" {
						joining += len(et.Players)
					}
				}
				require.LessOrEqual(t, joining, tc.want, "the backfill adds %v", p.Tickets)
			}
		})
	}
}

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

package matchmaker

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/seed-04d22514/matchmaker/internal/ruleset"
)

// FuzzParseRuleSet feeds arbitrary bytes to ParseRuleSet. It must not panic or hang; a rule set
// it accepts must have teams, give parameters at any age, and evaluate a potential match without
// panicking.
func FuzzParseRuleSet(f *testing.F) {
	for _, pattern := range []string{"../shared/rulesets/*.json", "testdata/rulesets/*.json", "testdata/rulesets/invalid/*.json"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			if data, err := os.ReadFile(file); err == nil {
				f.Add(data)
			}
		}
	}
	for _, tc := range invalidCases {
		f.Add([]byte(tc.src))
	}
	f.Add([]byte(bench5v5))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := ParseRuleSet(data)
		if err != nil {
			if rs != nil {
				t.Fatalf("a rule set and an error: %v", err)
			}
			return
		}
		teams := rs.Teams()
		if len(teams) == 0 {
			t.Fatal("accepted a rule set without teams")
		}
		total := 0
		for _, tm := range teams {
			if tm.MinPlayers < 0 || tm.MinPlayers > tm.MaxPlayers || tm.MaxPlayers < 1 {
				t.Fatalf("team %+v has impossible sizes", tm)
			}
			total += tm.MaxPlayers
		}
		if total != rs.MaxPlayers() || total > MaxMatchPlayers {
			t.Fatalf("teams hold %d players, MaxPlayers says %d", total, rs.MaxPlayers())
		}
		for _, age := range []time.Duration{0, time.Second, time.Minute, 12 * time.Hour} {
			_ = rs.c.ExpansionsAt(age)
			_ = rs.c.NextStep(age)
		}

		// One player with zero values for every attribute and one region, on each team in turn.
		p := rs.c.NewPlayer("fuzz")
		p.Lat = []ruleset.RegionLatency{{Region: 0, Ms: 10}}
		tk := &ticket{id: "fuzz", players: []player{p}}
		c := ruleset.NewChecker(rs.c)
		c.At(time.Minute)
		pm := newPotential(rs.c)
		c.Check(pm, false)
		c.Check(pm, true)
		for team := range rs.c.TeamCount() {
			pm.add(tk, team)
			c.Check(pm, false)
			c.Check(pm, true)
			pm.pop()
		}
	})
}

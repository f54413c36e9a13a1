// Ruletest reports how a 2v2 rule set treats groups of players of growing skill spread: when
// four players queued together match, and how the teams are split. It runs the rule set on the
// matchmakertest Harness, the same fake clock its tests use, so the report takes no time and is
// the same on every run. ruletest_test.go shows how a game team unit-tests the same rule set.
//
//	go run ./examples/ruletest                 # the rule set in rules.json, built in
//	go run ./examples/ruletest my-rules.json   # another 2v2 rule set with a number "skill"
package main

import (
	_ "embed"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/seed-04d22514/matchmaker"
	"github.com/seed-04d22514/matchmaker/matchmakertest"
)

// rulesJSON is the arena's 2v2 rule set: close skill, widening at 10 s and 30 s, and fair teams.
//
//go:embed rules.json
var rulesJSON []byte

// requestTimeout is how long a ticket searches before it times out.
const requestTimeout = time.Minute

// spreads are the skill spreads the report tries: four players evenly spaced across each.
var spreads = []float64{150, 300, 450, 600, 900}

func main() {
	name, data := "rules.json", rulesJSON
	if len(os.Args) > 1 {
		name = os.Args[1]
		var err error
		if data, err = os.ReadFile(name); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	rs, err := matchmaker.ParseRuleSet(data)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
	describe(name, rs)
	fmt.Printf("\nfour players evenly spread, queued together (timeout %v):\n", requestTimeout)
	fmt.Printf("%8s  %-10s  %s\n", "spread", "matched", "teams")
	for _, spread := range spreads {
		at, teams, err := matchFour(rs, spread)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("%8g  %-10s  %s\n", spread, at, teams)
	}
}

// describe prints the rule set's name, teams and rules.
func describe(file string, rs *matchmaker.RuleSet) {
	var teams, rules []string
	for _, t := range rs.Teams() {
		teams = append(teams, fmt.Sprintf("%s %d-%d", t.Name, t.MinPlayers, t.MaxPlayers))
	}
	for _, r := range rs.Rules() {
		rules = append(rules, fmt.Sprintf("%s (%s)", r.Name, r.Type))
	}
	fmt.Printf("rule set %q from %s: up to %d players\n", rs.Name(), file, rs.MaxPlayers())
	fmt.Printf("teams: %s\n", strings.Join(teams, ", "))
	fmt.Printf("rules: %s\n", strings.Join(rules, ", "))
}

// matchFour queues four players spread evenly over spread, from 1000 up, and runs the clock until
// they match or time out. It returns when they matched and the teams, or why they did not.
func matchFour(rs *matchmaker.RuleSet, spread float64) (outcome, teams string, err error) {
	h, err := matchmakertest.NewHarness(matchmaker.Config{RuleSet: rs, RequestTimeout: requestTimeout})
	if err != nil {
		return "", "", err
	}
	defer h.Close()
	ids := []string{"a", "b", "c", "d"}
	for i, id := range ids {
		skill := 1000 + spread*float64(i)/3
		if err := h.Queue(matchmakertest.Solo(id, matchmakertest.Attrs{"skill": skill})); err != nil {
			return "", "", err
		}
	}
	if err := h.CheckMatchedTogetherBy(requestTimeout, ids...); err != nil {
		return "never", fmt.Sprintf("(a ended %s; %s)", h.StatusAt("a", requestTimeout), rejections(h.Explain("a"))), nil
	}
	m, _ := h.Match("a")
	return m.At.String(), m.String(), nil
}

// rejections lists how often each rule rejected a ticket over its whole search.
func rejections(ex matchmaker.Explanation) string {
	var parts []string
	for _, r := range ex.Rules {
		if r.FailedCount > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", r.RuleName, r.FailedCount))
		}
	}
	return "rejections: " + strings.Join(parts, ", ")
}

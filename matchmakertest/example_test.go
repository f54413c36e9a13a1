package matchmakertest_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/seed-04d22514/matchmaker"
	"github.com/seed-04d22514/matchmaker/matchmakertest"
)

// duel pairs two players whose skills are at most 100 apart; after 10 s of waiting, 300 apart.
const duel = `{
  "name": "duel",
  "ruleLanguageVersion": "1.0",
  "playerAttributes": [{"name": "skill", "type": "number", "default": 1000}],
  "teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 1}, {"name": "blue", "minPlayers": 1, "maxPlayers": 1}],
  "rules": [{"name": "SkillGap", "type": "batchDistance", "batchAttribute": "skill", "maxDistance": 100}],
  "expansions": [{"target": "rules[SkillGap].maxDistance", "steps": [{"waitTimeSeconds": 10, "value": 300}]}]
}`

// A rule-set test in a few lines. In a test, New(t, cfg) replaces NewHarness and the Assert
// methods replace the Check methods printed here: h.AssertMatchedTogetherBy(t, 10*time.Second,
// "ann", "bob").
func Example() {
	h, err := matchmakertest.NewHarness(matchmaker.Config{
		RuleSet:        matchmaker.MustParseRuleSet([]byte(duel)),
		RequestTimeout: time.Minute,
	})
	if err != nil {
		panic(err)
	}
	defer h.Close()

	h.Queue(
		matchmakertest.Solo("ann", matchmakertest.Attrs{"skill": 1000}),
		matchmakertest.Solo("bob", matchmakertest.Attrs{"skill": 1300}),
		matchmakertest.Solo("cat", matchmakertest.Attrs{"skill": 2500}),
	)
	fmt.Println("no match by 9s:", h.CheckNoMatchBy(9*time.Second, "ann", "bob"))
	fmt.Println("together by 10s:", h.CheckMatchedTogetherBy(10*time.Second, "ann", "bob"))
	fmt.Println("opponents:", h.CheckDifferentTeams("ann", "bob"))
	fmt.Println("cat held back by SkillGap at 30s:", h.CheckRejectedBy(30*time.Second, "cat", "SkillGap"))
	fmt.Println("cat timed out by 1m:", h.CheckTimedOutBy(time.Minute, "cat"))

	m, _ := h.Match("ann")
	fmt.Printf("ann matched at %v: %v\n", m.At, m)
	// Output:
	// no match by 9s: <nil>
	// together by 10s: <nil>
	// opponents: <nil>
	// cat held back by SkillGap at 30s: <nil>
	// cat timed out by 1m: <nil>
	// ann matched at 10s: blue[bob] red[ann]
}

// A failed check says where each ticket stands and why: here the players are 300 apart, which the
// rule set allows only from 10 s.
func ExampleHarness_CheckMatchedBy() {
	h, _ := matchmakertest.NewHarness(matchmaker.Config{RuleSet: matchmaker.MustParseRuleSet([]byte(duel))})
	defer h.Close()
	h.Queue(
		matchmakertest.Solo("ann", matchmakertest.Attrs{"skill": 1000}),
		matchmakertest.Solo("bob", matchmakertest.Attrs{"skill": 1300}),
	)

	err := h.CheckMatchedBy(5*time.Second, "ann", "bob")
	headline, _, _ := strings.Cut(err.Error(), "\n")
	fmt.Println(headline)
	fmt.Println("rejected most by:", h.Explain("ann").MostRejectedBy)
	fmt.Println("harness at:", h.Elapsed())
	// Output:
	// matchmakertest: tickets ann, bob not matched by 5s
	// rejected most by: SkillGap
	// harness at: 5s
}

// The Recorder keeps every event and each ticket's history, with times since the start.
func ExampleRecorder_History() {
	h, _ := matchmakertest.NewHarness(matchmaker.Config{RuleSet: matchmaker.MustParseRuleSet([]byte(duel))})
	defer h.Close()
	h.Queue(
		matchmakertest.Solo("ann", matchmakertest.Attrs{"skill": 1000}),
		matchmakertest.Solo("bob", matchmakertest.Attrs{"skill": 1300}),
	)
	h.RunUntil(15 * time.Second)

	for _, c := range h.History("ann") {
		fmt.Println(c.At, c.Status)
	}
	for _, e := range matchmakertest.Events[*matchmaker.MatchmakingSucceeded](h.Recorder) {
		fmt.Println(e.EventType(), h.Since(e.Time), e.TicketIDs())
	}
	// Output:
	// 0s QUEUED
	// 0s SEARCHING
	// 10s COMPLETED
	// MatchmakingSucceeded 10s [ann bob]
}

// A party is one ticket; its players always share a team.
func ExampleHarness_CheckSameTeam() {
	const twoVsTwo = `{
	  "ruleLanguageVersion": "1.0",
	  "playerAttributes": [{"name": "skill", "type": "number"}],
	  "teams": [{"name": "red", "minPlayers": 2, "maxPlayers": 2}, {"name": "blue", "minPlayers": 2, "maxPlayers": 2}],
	  "rules": [{"name": "CloseSkill", "type": "batchDistance", "batchAttribute": "skill", "maxDistance": 500}]
	}`
	h, _ := matchmakertest.NewHarness(matchmaker.Config{RuleSet: matchmaker.MustParseRuleSet([]byte(twoVsTwo))})
	defer h.Close()
	h.Queue(
		matchmakertest.Ticket("friends",
			matchmakertest.Player("ann", matchmakertest.Attrs{"skill": 1000}),
			matchmakertest.Player("bob", matchmakertest.Attrs{"skill": 1200})),
		matchmakertest.Solo("cat", matchmakertest.Attrs{"skill": 1100}),
		matchmakertest.Solo("dan", matchmakertest.Attrs{"skill": 1150}),
	)

	fmt.Println(h.CheckMatchedTogetherBy(0, "friends", "cat", "dan"))
	fmt.Println(h.CheckSameTeam("ann", "bob"))
	fmt.Println(h.CheckDifferentTeams("ann", "cat"))
	// Output:
	// <nil>
	// <nil>
	// <nil>
}

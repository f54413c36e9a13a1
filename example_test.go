package matchmaker_test

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/seed-04d22514/matchmaker"
)

const duel = `{
  "ruleLanguageVersion": "1.0",
  "playerAttributes": [{"name": "skill", "type": "number", "default": 1000}],
  "teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 1}, {"name": "blue", "minPlayers": 1, "maxPlayers": 1}],
  "rules": [{"name": "FairSkill", "type": "distance",
    "measurements": ["avg(teams[*].players.attributes[skill])"],
    "referenceValue": "avg(flatten(teams[*].players.attributes[skill]))",
    "maxDistance": 50}],
  "expansions": [{"target": "rules[FairSkill].maxDistance", "steps": [{"waitTimeSeconds": 10, "value": 500}]}]
}`

// clock is a settable matchmaker.Clock.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

// Drive a Matchmaker from a test: a fixed clock, a fixed random source, Tick at chosen times.
// The two players are too far apart at first; the expansion at 10 s matches them.
func ExampleMatchmaker_Tick() {
	c := &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	m, _ := matchmaker.New(matchmaker.Config{RuleSet: matchmaker.MustParseRuleSet([]byte(duel))},
		matchmaker.WithClock(c), matchmaker.WithRandom(rand.NewChaCha8([32]byte{})))
	defer m.Close()
	sub, _ := m.Subscribe()
	for i, id := range []string{"ann", "bob"} {
		skill := 1000 + 400*float64(i)
		m.StartMatchmaking(matchmaker.StartMatchmakingInput{TicketID: id, Players: []matchmaker.Player{
			{PlayerID: id, Attributes: matchmaker.Attributes{"skill": matchmaker.NumberValue(skill)}}}})
	}
	start := c.now
	for sec := 0; sec <= 10; sec++ {
		c.now = start.Add(time.Duration(sec) * time.Second)
		m.Tick(c.now)
	}
	for e, ok := sub.TryNext(); ok; e, ok = sub.TryNext() {
		if s, ok := e.(*matchmaker.MatchmakingSucceeded); ok {
			fmt.Printf("matched after %v:\n", s.Time.Sub(start))
			for _, p := range s.GameSessionInfo.Players {
				fmt.Println(" ", p.PlayerID, p.Team)
			}
		}
	}
	// Output:
	// matched after 10s:
	//   ann red
	//   bob blue
}

// A running game asks for a player to replace one who left; the newcomer joins the free slot.
func Example_backfill() {
	c := &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	m, _ := matchmaker.New(matchmaker.Config{RuleSet: matchmaker.MustParseRuleSet([]byte(duel))},
		matchmaker.WithClock(c), matchmaker.WithRandom(rand.NewChaCha8([32]byte{})))
	defer m.Close()
	sub, _ := m.Subscribe()
	m.StartMatchBackfill(matchmaker.StartMatchBackfillInput{GameSessionArn: "game-7", Players: []matchmaker.Player{
		{PlayerID: "stays", Team: "red", Attributes: matchmaker.Attributes{"skill": matchmaker.NumberValue(1000)}}}})
	m.StartMatchmaking(matchmaker.StartMatchmakingInput{Players: []matchmaker.Player{
		{PlayerID: "newcomer", Attributes: matchmaker.Attributes{"skill": matchmaker.NumberValue(1020)}}}})
	m.Tick(c.now)
	for e, ok := sub.TryNext(); ok; e, ok = sub.TryNext() {
		if u, ok := e.(*matchmaker.MatchmakingDataUpdated); ok {
			fmt.Println("session", u.GameSessionArn)
			for _, team := range u.MatchmakerData.Teams {
				for _, p := range team.Players {
					fmt.Println(" ", team.Name, p.PlayerID, p.Attributes["skill"].ValueAttribute)
				}
			}
		}
	}
	// Output:
	// session game-7
	//   red stays 1000
	//   blue newcomer 1020
}

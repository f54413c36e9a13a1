// Quickstart creates a Matchmaker from an inline 1v1 rule set, queues four players, runs one
// matchmaking pass and prints the matches it formed.
//
//	go run ./examples/quickstart
package main

import (
	"fmt"
	"log"
	"time"

	"github.com/seed-04d22514/matchmaker"
)

// ruleSet pairs two players whose skills are within 100 of each other; after 10 s of waiting
// the limit relaxes to 300.
const ruleSet = `{
  "name": "duel",
  "ruleLanguageVersion": "1.0",
  "playerAttributes": [{"name": "skill", "type": "number", "default": 1000}],
  "teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 1}, {"name": "blue", "minPlayers": 1, "maxPlayers": 1}],
  "rules": [{
    "name": "FairSkill",
    "type": "distance",
    "measurements": ["avg(teams[*].players.attributes[skill])"],
    "referenceValue": "avg(flatten(teams[*].players.attributes[skill]))",
    "maxDistance": 50
  }],
  "expansions": [{"target": "rules[FairSkill].maxDistance", "steps": [{"waitTimeSeconds": 10, "value": 150}]}]
}`

func main() {
	m, err := matchmaker.New(matchmaker.Config{
		RuleSet:        matchmaker.MustParseRuleSet([]byte(ruleSet)),
		RequestTimeout: time.Minute,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	sub, err := m.Subscribe()
	if err != nil {
		log.Fatal(err)
	}
	defer sub.Close()

	skills := map[string]float64{"ann": 1000, "bob": 1040, "cat": 1800, "dan": 1810}
	for _, name := range []string{"ann", "bob", "cat", "dan"} {
		_, err := m.StartMatchmaking(matchmaker.StartMatchmakingInput{
			TicketID: "ticket-" + name,
			Players: []matchmaker.Player{{
				PlayerID:   name,
				Attributes: matchmaker.Attributes{"skill": matchmaker.NumberValue(skills[name])},
			}},
		})
		if err != nil {
			log.Fatal(err)
		}
	}

	// A host with its own loop calls Tick; most programs call Run in a goroutine instead.
	if err := m.Tick(time.Now()); err != nil {
		log.Fatal(err)
	}

	// Events are queued for the subscription by the time Tick returns; read what is waiting.
	for e, ok := sub.TryNext(); ok; e, ok = sub.TryNext() {
		if s, ok := e.(*matchmaker.MatchmakingSucceeded); ok {
			printMatch(s)
		}
	}
	if err := sub.Err(); err != nil {
		log.Fatal(err)
	}
}

func printMatch(s *matchmaker.MatchmakingSucceeded) {
	fmt.Printf("match %s:", s.MatchID[:8])
	for _, t := range s.Tickets {
		for _, p := range t.Players {
			fmt.Printf(" %s (%s)", p.PlayerID, p.Team)
		}
	}
	fmt.Println()
}

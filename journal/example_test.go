package journal_test

import (
	"fmt"
	"os"
	"time"

	"github.com/seed-04d22514/matchmaker"
	"github.com/seed-04d22514/matchmaker/journal"
)

// A host keeps its Matchmaker in a directory: it recovers from it at start (an empty directory
// gives a new Matchmaker), checkpoints now and then, and after a crash finds every request that
// returned.
func Example() {
	dir, _ := os.MkdirTemp("", "matchmaker")
	defer os.RemoveAll(dir)
	rs := matchmaker.MustParseRuleSet([]byte(`{"ruleLanguageVersion": "1.0",
		"teams": [{"name": "players", "minPlayers": 2, "maxPlayers": 2}]}`))
	cfg := matchmaker.Config{RuleSet: rs}
	clock := &fixedClock{time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)}

	// First run.
	log, err := journal.Open(dir, journal.Options{})
	if err != nil {
		panic(err)
	}
	m, err := log.Recover(cfg, matchmaker.WithClock(clock))
	if err != nil {
		panic(err)
	}
	m.StartMatchmaking(matchmaker.StartMatchmakingInput{TicketID: "a", Players: []matchmaker.Player{{PlayerID: "ann"}}})
	m.Tick(clock.now)
	if err := log.Checkpoint(m); err != nil {
		panic(err)
	}
	m.StartMatchmaking(matchmaker.StartMatchmakingInput{TicketID: "b", Players: []matchmaker.Player{{PlayerID: "bob"}}})
	log.Close() // the process dies here: no Shutdown, no tick after "b"

	// Next run.
	log, err = journal.Open(dir, journal.Options{})
	if err != nil {
		panic(err)
	}
	defer log.Close()
	m, err = log.Recover(cfg, matchmaker.WithClock(clock))
	if err != nil {
		panic(err)
	}
	for _, t := range m.DescribeMatchmaking("a", "b") {
		fmt.Println(t.TicketID, t.Status)
	}
	clock.now = clock.now.Add(time.Second)
	m.Tick(clock.now)
	for _, t := range m.DescribeMatchmaking("a", "b") {
		fmt.Println(t.TicketID, t.Status)
	}
	// Output:
	// a SEARCHING
	// b QUEUED
	// a COMPLETED
	// b COMPLETED
}

type fixedClock struct{ now time.Time }

func (c *fixedClock) Now() time.Time { return c.now }

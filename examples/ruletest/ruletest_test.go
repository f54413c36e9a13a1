package main

// These tests are what a game team writes for its own rule set: each states one thing the
// design promises, in the design's words, and runs in microseconds on the Harness's fake clock.

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/seed-04d22514/matchmaker"
	"github.com/seed-04d22514/matchmaker/matchmakertest"
)

// newArena returns a Harness on the arena's rule set, configured as the game configures it.
func newArena(t *testing.T) *matchmakertest.Harness {
	rules := matchmakertest.RuleSet(t, string(rulesJSON))
	return matchmakertest.New(t, matchmaker.Config{RuleSet: rules, RequestTimeout: requestTimeout})
}

// solo is a one-player ticket named after its player.
func solo(id string, skill float64) matchmaker.StartMatchmakingInput {
	return matchmakertest.Solo(id, matchmakertest.Attrs{"skill": skill})
}

func TestCloseSkillsMatchAtOnce(t *testing.T) {
	h := newArena(t)
	h.Queue(solo("a", 1000), solo("b", 1050), solo("c", 1100), solo("d", 1150))
	h.AssertMatchedTogetherBy(t, 0, "a", "b", "c", "d")
}

func TestPlayers300ApartMatchAfterThe10sExpansionNotBefore(t *testing.T) {
	h := newArena(t)
	h.Queue(solo("a", 1000), solo("b", 1100), solo("c", 1200), solo("d", 1300))
	h.AssertRejectedBy(t, 5*time.Second, "a", "CloseSkill")
	h.AssertNoMatchBy(t, 9*time.Second)
	h.AssertMatchedTogetherBy(t, 10*time.Second, "a", "b", "c", "d")
}

// Each step of the CloseSkill expansion lets a wider group match, and not a second earlier.
func TestExpansionSchedule(t *testing.T) {
	tests := []struct {
		spread float64
		at     time.Duration
	}{
		{spread: 200, at: 0},
		{spread: 201, at: 10 * time.Second},
		{spread: 400, at: 10 * time.Second},
		{spread: 450, at: 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.spread), func(t *testing.T) {
			h := newArena(t)
			ids := []string{"a", "b", "c", "d"}
			for i, id := range ids {
				h.Queue(solo(id, 1000+tt.spread*float64(i)/3))
			}
			if tt.at > 0 {
				h.AssertNoMatchBy(t, tt.at-time.Second)
			}
			h.AssertMatchedTogetherBy(t, tt.at, ids...)
		})
	}
}

// Expansions count from the newest ticket's start (the default expansionAgeSelection), so a
// player who joins late does not inherit the others' wait.
func TestExpansionCountsFromTheNewestTicket(t *testing.T) {
	h := newArena(t)
	h.Queue(solo("a", 1000), solo("b", 1100), solo("c", 1200))
	h.RunUntil(5 * time.Second)
	h.Queue(solo("d", 1300))
	h.AssertNoMatchBy(t, 14*time.Second)
	h.AssertMatchedTogetherBy(t, 15*time.Second, "a", "b", "c", "d")
}

// FairTeams forbids the two strongest against the two weakest: team averages 200 apart.
func TestTheTwoStrongestAreOpponents(t *testing.T) {
	h := newArena(t)
	h.Queue(solo("a", 1000), solo("b", 1100), solo("c", 1200), solo("d", 1300))
	h.AssertMatchedTogetherBy(t, 10*time.Second, "a", "b", "c", "d")
	h.AssertDifferentTeams(t, "c", "d")
	h.AssertDifferentTeams(t, "a", "b")
}

func TestPartyStaysTogether(t *testing.T) {
	h := newArena(t)
	h.Queue(
		matchmakertest.Ticket("duo",
			matchmakertest.Player("ann", matchmakertest.Attrs{"skill": 1000}),
			matchmakertest.Player("dan", matchmakertest.Attrs{"skill": 1300})),
		solo("bob", 1100),
		solo("cat", 1200),
	)
	h.AssertMatchedTogetherBy(t, 10*time.Second, "duo", "bob", "cat")
	h.AssertSameTeam(t, "ann", "dan")
	h.AssertSameTeam(t, "bob", "cat")
}

// A player far from everyone keeps searching, because of CloseSkill, until the request timeout;
// the others do not wait for them.
func TestOutlierTimesOutWithoutHoldingOthersBack(t *testing.T) {
	h := newArena(t)
	h.Queue(solo("far", 2500), solo("a", 1000), solo("b", 1050), solo("c", 1100), solo("d", 1150))
	h.AssertMatchedTogetherBy(t, 0, "a", "b", "c", "d")
	h.AssertSearchingAt(t, 30*time.Second, "far")
	h.AssertRejectedBy(t, 30*time.Second, "far", "CloseSkill")
	h.AssertTimedOutBy(t, requestTimeout, "far")
}

// A player without a skill takes the rule set's default, 1000.
func TestMissingSkillDefaultsTo1000(t *testing.T) {
	h := newArena(t)
	h.Queue(matchmakertest.Solo("new", nil), solo("b", 1050), solo("c", 1100), solo("d", 1150))
	h.AssertMatchedTogetherBy(t, 0, "new", "b", "c", "d")
}

func TestReport(t *testing.T) {
	rs := matchmakertest.RuleSet(t, string(rulesJSON))
	at, teams, err := matchFour(rs, 300)
	assert.NoError(t, err)
	assert.Equal(t, "10s", at)
	assert.Regexp(t, `^blue\[\w \w\] red\[\w \w\]$`, teams)
}

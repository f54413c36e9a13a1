package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const scenarios = "../../testdata/scenarios/"

// outLine is an output line as a consumer of the run command reads it.
type outLine struct {
	Time    float64 `json:"time"`
	Type    string  `json:"type"`
	Step    *int    `json:"step"`
	MatchID string  `json:"matchId"`
	Tickets []struct {
		TicketID string `json:"ticketId"`
		Players  []struct {
			PlayerID string `json:"playerId"`
			Team     string `json:"team"`
		} `json:"players"`
	} `json:"tickets"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

func (l outLine) ticketIDs() []string {
	var ids []string
	for _, t := range l.Tickets {
		ids = append(ids, t.TicketID)
	}
	return ids
}

// teams maps each player of the line to its team.
func (l outLine) teams() map[string]string {
	out := map[string]string{}
	for _, t := range l.Tickets {
		for _, p := range t.Players {
			out[p.PlayerID] = p.Team
		}
	}
	return out
}

// replayFile runs a scenario and returns its parsed lines; the run must succeed.
func replayFile(t *testing.T, file string) []outLine {
	t.Helper()
	status, stdout, stderr := runCLI("run", file)
	require.Equal(t, exitOK, status, stderr)
	require.Empty(t, stderr)
	var lines []outLine
	for raw := range strings.Lines(stdout) {
		var fields map[string]json.RawMessage
		require.NoError(t, json.Unmarshal([]byte(raw), &fields), raw)
		for _, key := range []string{"time", "type", "tickets"} {
			require.Contains(t, fields, key, "every line has %s: %s", key, raw)
		}
		var l outLine
		require.NoError(t, json.Unmarshal([]byte(raw), &l))
		lines = append(lines, l)
	}
	return lines
}

// ofType returns the lines of the given type.
func ofType(lines []outLine, typ string) []outLine {
	var out []outLine
	for _, l := range lines {
		if l.Type == typ {
			out = append(out, l)
		}
	}
	return out
}

func TestRunFillsToMaxThenMinAfterFullPass(t *testing.T) {
	got := ofType(replayFile(t, scenarios+"fill-max-then-min.json"), "MatchmakingSucceeded")
	require.Len(t, got, 2)
	assert.Equal(t, 0.0, got[0].Time)
	assert.Equal(t, []string{"t0", "t1", "t2", "t3"}, got[0].ticketIDs(), "the first match fills to maxPlayers")
	assert.Equal(t, 1.0, got[1].Time)
	assert.ElementsMatch(t, []string{"t4", "t5"}, got[1].ticketIDs(), "the leftover reaches minPlayers with the newcomer")
	assert.NotEqual(t, got[0].MatchID, got[1].MatchID)
	for _, team := range got[1].teams() {
		assert.Equal(t, "players", team)
	}
}

func TestRunKeepsPartyOnOneTeam(t *testing.T) {
	got := ofType(replayFile(t, scenarios+"party-one-team.json"), "MatchmakingSucceeded")
	require.Len(t, got, 1)
	teams := got[0].teams()
	require.Len(t, teams, 10)
	assert.NotEmpty(t, teams["a1"])
	assert.Equal(t, teams["a1"], teams["a2"])
	assert.Equal(t, teams["a1"], teams["a3"])
	count := map[string]int{}
	for _, team := range teams {
		count[team]++
	}
	assert.Equal(t, map[string]int{"red": 5, "blue": 5}, count)
}

func TestRunExpansionFiresExactlyAtItsStep(t *testing.T) {
	lines := replayFile(t, scenarios+"gomoku-expansion.json")
	got := ofType(lines, "MatchmakingSucceeded")
	require.Len(t, got, 1, "scores 1000 and 2000 match once")
	assert.Equal(t, 10.0, got[0].Time, "the 10 s expansion step applies at 10 s, not 9")
	assert.Equal(t, map[string]string{"p-low": "blue", "p-high": "red"}, got[0].teams())
	created := ofType(lines, "PotentialMatchCreated")
	require.Len(t, created, 1)
	assert.Equal(t, got[0].MatchID, created[0].MatchID)
}

func TestRunTimeout(t *testing.T) {
	lines := replayFile(t, scenarios+"timeout.json")
	got := ofType(lines, "MatchmakingTimedOut")
	require.Len(t, got, 2)
	for _, l := range got {
		assert.Equal(t, 30.0, l.Time)
		assert.Equal(t, "TimedOut", l.Reason)
	}
	assert.Equal(t, 30.0, lines[len(lines)-1].Time, "until defaults to the last step plus the request timeout")
}

func TestRunStopMatchmaking(t *testing.T) {
	lines := replayFile(t, scenarios+"stop-matchmaking.json")
	require.Len(t, lines, 2, "stopping a cancelled ticket again succeeds quietly")
	assert.Equal(t, "MatchmakingCancelled", lines[1].Type)
	assert.Equal(t, 2.0, lines[1].Time)
	assert.Equal(t, "Cancelled", lines[1].Reason)
	assert.Equal(t, []string{"t1"}, lines[1].ticketIDs())
}

func TestRunDuplicatePlayer(t *testing.T) {
	lines := replayFile(t, scenarios+"duplicate-player.json")
	got := ofType(lines, "MatchmakingCancelled")
	require.Len(t, got, 1)
	assert.Equal(t, []string{"old"}, got[0].ticketIDs())
	assert.Equal(t, "DUPLICATE_PLAYER", got[0].Reason)
	assert.Equal(t, 2.0, got[0].Time)
	searching := ofType(lines, "MatchmakingSearching")
	require.Len(t, searching, 2)
	assert.Equal(t, []string{"new"}, searching[1].ticketIDs())
}

func TestRunUnmatchableOldestDoesNotBlock(t *testing.T) {
	lines := replayFile(t, scenarios+"unmatchable-oldest.json")
	got := ofType(lines, "MatchmakingSucceeded")
	require.Len(t, got, 2, "four compatible tickets match in the first tick although the oldest cannot")
	var matched []string
	for _, l := range got {
		assert.Equal(t, 0.0, l.Time)
		matched = append(matched, l.ticketIDs()...)
	}
	assert.ElementsMatch(t, []string{"t1", "t2", "t3", "t4"}, matched)
}

func TestRunAcceptance(t *testing.T) {
	lines := replayFile(t, scenarios+"acceptance.json")
	var types []string
	for _, l := range lines[4:] {
		types = append(types, l.Type)
	}
	assert.Equal(t, []string{"PotentialMatchCreated", "PotentialMatchCreated",
		"AcceptMatch", "AcceptMatch", "AcceptMatchCompleted", "MatchmakingSucceeded",
		"AcceptMatch", "AcceptMatch", "AcceptMatchCompleted", "MatchmakingCancelled", "MatchmakingSearching"}, types)

	completed := ofType(lines, "AcceptMatchCompleted")
	require.Len(t, completed, 2)
	succeeded := ofType(lines, "MatchmakingSucceeded")
	require.Len(t, succeeded, 1)
	assert.Equal(t, 1.0, succeeded[0].Time)
	assert.ElementsMatch(t, []string{"a", "b"}, succeeded[0].ticketIDs())
	assert.Equal(t, completed[0].MatchID, succeeded[0].MatchID)

	cancelled := ofType(lines, "MatchmakingCancelled")
	require.Len(t, cancelled, 1)
	assert.Equal(t, []string{"c"}, cancelled[0].ticketIDs(), "the player who rejected is cancelled")
	assert.Equal(t, "ACCEPTANCE_REJECTED", cancelled[0].Reason)
	assert.Equal(t, completed[1].MatchID, cancelled[0].MatchID)
	last := lines[len(lines)-1]
	assert.Equal(t, []string{"d"}, last.ticketIDs(), "the ticket that accepted returns to the search")
}

func TestRunRejectedStepsPrintErrorLines(t *testing.T) {
	errs := ofType(replayFile(t, scenarios+"rejected-steps.json"), "Error")
	require.Len(t, errs, 4)
	want := []struct {
		time float64
		step int
		msg  string
	}{
		{2, 1, "Players"},   // a step at 1 runs before the tick at 2
		{4, 2, "SEARCHING"}, // accepting a match that was never proposed
		{6, 3, "not found"}, // a step at 5 runs before the tick at 6
		{6, 4, "Team"},      // same tick, file order: an unknown team
	}
	for i, w := range want {
		require.NotNil(t, errs[i].Step)
		assert.Equal(t, w.step, *errs[i].Step)
		assert.Equal(t, w.time, errs[i].Time)
		assert.Contains(t, errs[i].Message, w.msg)
	}
}

// TestRunAppliesDueStepsInFileOrder checks that steps due before the same tick run in file
// order even when the file does not list them by time.
func TestRunAppliesDueStepsInFileOrder(t *testing.T) {
	file := filepath.Join(t.TempDir(), "order.json")
	rules, err := filepath.Abs(rulesets + "gomoku.json")
	require.NoError(t, err)
	scenario := `{"ruleSet": ` + quote(rules) + `, "tickSeconds": 2, "until": 4, "steps": [
		{"at": 1.5, "StartMatchmaking": {"TicketId": "first", "Players": [{"PlayerId": "p1"}]}},
		{"at": 1, "StartMatchmaking": {"TicketId": "second", "Players": [{"PlayerId": "p1"}]}},
		{"at": 3, "StopMatchmaking": {"TicketId": "second"}}]}`
	require.NoError(t, os.WriteFile(file, []byte(scenario), 0o644))
	lines := replayFile(t, file)
	require.Len(t, lines, 3)
	assert.Equal(t, "MatchmakingCancelled", lines[0].Type)
	assert.Equal(t, []string{"first"}, lines[0].ticketIDs(), "the later step in the file replaced the earlier one")
	assert.Equal(t, 2.0, lines[0].Time)
	assert.Equal(t, "MatchmakingSearching", lines[1].Type)
	assert.Equal(t, "MatchmakingCancelled", lines[2].Type)
	assert.Equal(t, 4.0, lines[2].Time)
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestRunIsDeterministic(t *testing.T) {
	files, err := filepath.Glob(scenarios + "*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			status, first, _ := runCLI("run", file)
			require.Equal(t, exitOK, status)
			_, second, _ := runCLI("run", file)
			assert.Equal(t, first, second)
		})
	}
}

// TestRunRefusesInvalidScenarios runs every file of testdata/scenarios/invalid: each must fail
// with exit status 1, print nothing on stdout, and name the field at fault as the file spells
// it. A new file there needs its expected message here.
func TestRunRefusesInvalidScenarios(t *testing.T) {
	cases := map[string]string{
		"bad-json.json":                  "steps: not valid JSON: unexpected end of input",
		"unknown-step.json":              `steps[0]: unknown step kind "JoinMatch"; want one of AcceptMatch, `,
		"unknown-key.json":               `tickRate: unknown key "tickRate"; the keys are ruleSet, configuration, tickSeconds, until, steps`,
		"unknown-configuration-key.json": `configuration.timeoutSeconds: unknown key "timeoutSeconds"; the keys are name, requestTimeoutSeconds, `,
		"bad-configuration.json":         "configuration.requestTimeoutSeconds: must be between 1s and 12h0m0s, got ",
		"bad-ruleset.json":               "../../testdata/rulesets/invalid/negative-distance.json: rules[0].maxDistance: must not be negative",
		"bad-inline-ruleset.json":        "ruleSet: teams[0].minPlayers: ",
		"missing-ruleset.json":           "ruleSet: ../../testdata/scenarios/invalid/no-such-rules.json: no such file or directory",
		"bad-step-payload.json":          `steps[0].StartMatchmaking.Players[0].Skill: unknown key "Skill"; the keys are PlayerId, `,
		"two-requests-in-step.json":      `steps[0]: must hold exactly one request besides "at" (one of AcceptMatch, `,

		// Issue 8, defect 11: numbers that overflowed the clock, or gave misleading messages.
		"tick-overflow.json":    "tickSeconds: must be a number of seconds from 0.001 to 31536000, got 1e12",
		"until-overflow.json":   "until: must be a number of seconds from 0 to 31536000, got 1e300",
		"step-at-overflow.json": "steps[1].at: must be a number of seconds from 0 to 31536000, got 1e300",
		"too-many-ticks.json":   "until: 86400 s at tickSeconds 0.001 is 86400001 ticks; at most 10000000 are allowed",
		"timeout-overflow.json": "configuration.requestTimeoutSeconds: must be a number of seconds from 0 to 31536000, got 1e300",
		// The library's complaints about the configuration, in the file's names.
		"expansion-after-timeout.json":       "ruleSet.expansions[0]: waits 30s, longer than configuration.requestTimeoutSeconds 5s",
		"automatic-backfill-standalone.json": "configuration.backfillMode: AUTOMATIC needs configuration.flexMatchMode WITH_QUEUE",
		"long-name.json":                     "configuration.name: is 129 characters; at most 128 are allowed",
		// Hostile or mistaken JSON.
		"fractional-integer.json":   "steps[0].StartMatchBackfill.MaxNewPlayers: must be an integer, written without a fraction or exponent, got 1.5",
		"duplicate-key.json":        `steps[0].at: duplicate key "at"`,
		"step-without-request.json": `steps[0]: must hold exactly one request besides "at" (one of AcceptMatch, `,
		"misspelt-key.json":         `tickSecond: unknown key "tickSecond" (did you mean "tickSeconds"?)`,
		"misspelt-step-kind.json":   `steps[0]: unknown step kind "StopMatchmakin" (did you mean "StopMatchmaking"?)`,
		"ruleset-directory.json":    "ruleSet: ../../testdata/scenarios/invalid: is a directory, not a file",
		"null-step.json":            `steps[0]: must be an object with "at" and one request, got null`,
		"wrong-kind.json":           "tickSeconds: must be a number, got a string",
		"trailing-data.json":        "unexpected data after the JSON value (line 1, column ",
	}
	files, err := filepath.Glob(scenarios + "invalid/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			want, ok := cases[name]
			require.True(t, ok, "testdata/scenarios/invalid/%s has no expected message in this test", name)
			status, stdout, stderr := runCLI("run", file)
			assert.Equal(t, exitInvalid, status)
			assert.Empty(t, stdout, "nothing runs before the scenario is checked")
			assert.Contains(t, stderr, file+": "+want)
			assert.NotRegexp(t, `json: (unknown field|cannot unmarshal)|Go struct field`, stderr,
				"messages name the file's fields, not encoding/json's view of Go types")
		})
	}
	status, _, stderr := runCLI("run", scenarios+"no-such-scenario.json")
	assert.Equal(t, exitInvalid, status)
	assert.Contains(t, stderr, "no such file or directory")
}

package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed-04d22514/matchmaker"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeScenario writes text to a scenario file in a temporary directory and returns its path.
// RULES in text stands for the quoted absolute path of testdata/rulesets/gomoku.json, and STOP
// for a StopMatchmaking request.
func writeScenario(t *testing.T, text string) string {
	t.Helper()
	rules, err := filepath.Abs(rulesets + "gomoku.json")
	require.NoError(t, err)
	text = strings.NewReplacer("RULES", quote(rules), "STOP", `"StopMatchmaking": {"TicketId": "t1"}`).Replace(text)
	file := filepath.Join(t.TempDir(), "scenario.json")
	require.NoError(t, os.WriteFile(file, []byte(text), 0o644))
	return file
}

// refused runs the scenario file, checks that it is refused with want on stderr, and returns
// stderr.
func refused(t *testing.T, file, want string) string {
	t.Helper()
	status, stdout, stderr := runCLI("run", file)
	assert.Equal(t, exitInvalid, status, stderr)
	assert.Empty(t, stdout, "nothing runs before the scenario is checked")
	assert.Contains(t, stderr, file+": "+want)
	return stderr
}

// TestRunBoundsEveryTime checks that no time in a scenario can overflow the clock: each is
// refused outside its documented bounds, naming the field as the file spells it.
func TestRunBoundsEveryTime(t *testing.T) {
	cases := []struct{ name, scenario, want string }{
		{"tickSeconds that overflowed the clock", `{"ruleSet": RULES, "tickSeconds": 1e12, "until": 1e13}`,
			"tickSeconds: must be a number of seconds from 0.001 to 31536000, got 1e12"},
		{"tickSeconds zero", `{"ruleSet": RULES, "tickSeconds": 0}`, "tickSeconds: must be a number of seconds from 0.001 to 31536000, got 0"},
		{"tickSeconds negative", `{"ruleSet": RULES, "tickSeconds": -1}`, "tickSeconds: must be a number of seconds from 0.001 to 31536000, got -1"},
		{"tickSeconds below a millisecond", `{"ruleSet": RULES, "tickSeconds": 0.0001}`, "tickSeconds: must be a number of seconds from 0.001 to 31536000, got 0.0001"},
		{"tickSeconds beyond float64", `{"ruleSet": RULES, "tickSeconds": 1e400}`, "tickSeconds: must be a number of seconds from 0.001 to 31536000, got 1e400"},
		{"until that gave a misleading message", `{"ruleSet": RULES, "until": 1e300}`, "until: must be a number of seconds from 0 to 31536000, got 1e300"},
		{"until past a year", `{"ruleSet": RULES, "tickSeconds": 3600, "until": 31536001}`, "until: must be a number of seconds from 0 to 31536000, got 31536001"},
		{"until negative", `{"ruleSet": RULES, "until": -1}`, "until: must be a number of seconds from 0 to 31536000, got -1"},
		{"step at negative", `{"ruleSet": RULES, "steps": [{"at": -1, STOP}]}`, "steps[0].at: must be a number of seconds from 0 to 31536000, got -1"},
		{"step at past a year", `{"ruleSet": RULES, "until": 10, "steps": [{"at": 0, STOP}, {"at": 1, STOP}, {"at": 1e300, STOP}]}`,
			"steps[2].at: must be a number of seconds from 0 to 31536000, got 1e300"},
		{"step after the last tick", `{"ruleSet": RULES, "tickSeconds": 2, "until": 3, "steps": [{"at": 0, STOP}, {"at": 5, STOP}]}`,
			"steps[1].at: 5 is after the last tick (2); raise until"},
		{"too many ticks", `{"ruleSet": RULES, "tickSeconds": 0.001, "until": 10000.001}`,
			"until: 10000.001 s at tickSeconds 0.001 is 10000002 ticks; at most 10000000 are allowed (raise tickSeconds or lower until)"},
		{"too many ticks by default", `{"ruleSet": RULES, "tickSeconds": 0.001, "steps": [{"at": 9900, STOP}]}`,
			"until: by default the last step's at plus the request timeout, 10020 s at tickSeconds 0.001 is 10020001 ticks; at most 10000000"},
		{"default until past a year", `{"ruleSet": RULES, "tickSeconds": 3600, "steps": [{"at": 31536000, STOP}]}`,
			"until: is by default the last step's at plus the request timeout, 31536120 s, more than 31536000 s; give until"},
		{"request timeout that overflowed the clock", `{"ruleSet": RULES, "configuration": {"requestTimeoutSeconds": 1e300}}`,
			"configuration.requestTimeoutSeconds: must be a number of seconds from 0 to 31536000, got 1e300"},
		{"acceptance timeout negative", `{"ruleSet": RULES, "configuration": {"acceptanceTimeoutSeconds": -1}}`,
			"configuration.acceptanceTimeoutSeconds: must be a number of seconds from 0 to 31536000, got -1"},
		{"acknowledge timeout below a nanosecond", `{"ruleSet": RULES, "configuration": {"backfillAcknowledgeTimeoutSeconds": 1e-10}}`,
			"configuration.backfillAcknowledgeTimeoutSeconds: must be 0 or at least a nanosecond, got 1e-10"},
		{"time as a string", `{"ruleSet": RULES, "steps": [{"at": "5", STOP}]}`, "steps[0].at: must be a number, got a string"},
		{"time null", `{"ruleSet": RULES, "until": null}`, "until: must be a number, got null"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			refused(t, writeScenario(t, c.scenario), c.want)
		})
	}
}

// TestRunAcceptsTheBounds checks the largest values the bounds allow: they load, and the
// clock reaches the last second of the year without overflowing.
func TestRunAcceptsTheBounds(t *testing.T) {
	sc, err := parseScenario([]byte(`{"ruleSet": "gomoku.json", "tickSeconds": 0.5, "until": 4999999.5}`), rulesets)
	require.NoError(t, err)
	assert.Equal(t, maxTicks, sc.tickCount(), "until / tickSeconds + 1 may reach maxTicks")

	file := writeScenario(t, `{"ruleSet": RULES, "tickSeconds": 31536000, "until": 31536000,
		"configuration": {"requestTimeoutSeconds": 43200, "acceptanceTimeoutSeconds": 600, "backfillAcknowledgeTimeoutSeconds": 31536000},
		"steps": [{"at": 31536000, "StartMatchmaking": {"TicketId": "last", "Players": [{"PlayerId": "p1", "PlayerAttributes": {"score": {"N": 1}}}]}}]}`)
	lines := replayFile(t, file)
	require.Len(t, lines, 1)
	assert.Equal(t, "MatchmakingSearching", lines[0].Type)
	assert.Equal(t, float64(maxSeconds), lines[0].Time, "a year of simulated time fits the clock")
}

// TestRunSizeLimits checks that oversized input is refused without being read whole: the
// scenario file, a rule-set file, a device, the steps and any other list.
func TestRunSizeLimits(t *testing.T) {
	t.Parallel() // the slowest tests; they share nothing
	dir := t.TempDir()
	sparse := func(name string, size int64) string {
		file := filepath.Join(dir, name)
		f, err := os.Create(file)
		require.NoError(t, err)
		require.NoError(t, f.Truncate(size))
		require.NoError(t, f.Close())
		return file
	}

	t.Run("scenario file", func(t *testing.T) {
		refused(t, sparse("huge.json", maxScenarioBytes+1), "is 16777217 bytes; a scenario may have at most 16777216")
	})
	t.Run("rule-set file", func(t *testing.T) {
		rules := sparse("huge-rules.json", matchmaker.MaxRuleSetBytes+1)
		refused(t, writeScenario(t, `{"ruleSet": `+quote(rules)+`}`), "ruleSet: "+rules+": is 65536 bytes; a rule set may have at most 65535")
	})
	t.Run("rule set that is a directory", func(t *testing.T) {
		refused(t, writeScenario(t, `{"ruleSet": `+quote(dir)+`}`), "ruleSet: "+dir+": is a directory, not a file")
	})
	t.Run("rule set that is a device", func(t *testing.T) {
		if !fileExists("/dev/zero") {
			t.Skip("no /dev/zero")
		}
		refused(t, writeScenario(t, `{"ruleSet": "/dev/zero"}`), "ruleSet: /dev/zero: is a device, not a regular file")
	})
	t.Run("steps", func(t *testing.T) {
		// The limit's boundary, and the same limit on objects, are tested on the checker alone
		// (TestCheckerElementLimit); this shows that the real one applies to steps.
		steps := strings.Repeat(`{},`, maxElements) + `{}`
		refused(t, writeScenario(t, `{"ruleSet": RULES, "steps": [`+steps+`]}`), "steps: has more than 100000 elements; at most 100000 are allowed")
	})
}

func fileExists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}

// TestValidateBoundsItsInput checks that validate reads no rule-set file past FlexMatch's
// limit, so a huge file or a device costs nothing.
func TestValidateBoundsItsInput(t *testing.T) {
	dir := t.TempDir()
	huge := filepath.Join(dir, "huge.json")
	require.NoError(t, os.WriteFile(huge, []byte(strings.Repeat(" ", matchmaker.MaxRuleSetBytes+1)), 0o644))
	cases := map[string]string{
		huge: "is 65536 bytes; a rule set may have at most 65535",
		dir:  "is a directory, not a file",
	}
	if fileExists("/dev/zero") {
		cases["/dev/zero"] = "is larger than 65535 bytes, the most a rule set may have"
	}
	for file, want := range cases {
		t.Run(filepath.Base(file), func(t *testing.T) {
			status, stdout, stderr := runCLI("validate", file)
			assert.Equal(t, exitInvalid, status)
			assert.Empty(t, stdout)
			assert.Equal(t, file+": "+want+"\n", stderr)
		})
	}
}

// TestReadInputLimit checks the boundary of readInput: limit bytes are read, one more refused.
func TestReadInputLimit(t *testing.T) {
	file := filepath.Join(t.TempDir(), "ten")
	require.NoError(t, os.WriteFile(file, []byte("0123456789"), 0o644))
	data, err := readInput(file, 10, "a test file")
	require.NoError(t, err)
	assert.Equal(t, "0123456789", string(data))
	_, err = readInput(file, 9, "a test file")
	assert.EqualError(t, err, "is 10 bytes; a test file may have at most 9")

	if fileExists("/dev/zero") {
		_, err = readInput("/dev/zero", 1000, "a test file")
		assert.EqualError(t, err, "is larger than 1000 bytes, the most a test file may have", "a device that never ends is read to the limit only")
	}
}

// BenchmarkRunLargestScenario replays a scenario at the limits: a file of almost 16 MiB with
// maxElements steps, each a player who queues. It shows that memory stays bounded (the command
// alone peaks at about 135 MB RSS on this file: a waiting step holds its request's text, about
// 150 bytes, not the decoded request) and that the replay drains every event as it goes: the
// run produces about 200,000 events, three times the subscriber's lag limit, and a subscriber
// that lagged would be cut off and fail the run.
func BenchmarkRunLargestScenario(b *testing.B) {
	rules, err := filepath.Abs(rulesets + "gomoku.json")
	require.NoError(b, err)
	var s strings.Builder
	fmt.Fprintf(&s, `{"ruleSet": %s, "configuration": {"requestTimeoutSeconds": 43200}, "until": 2000, "steps": [`, quote(rules))
	for i := range maxElements {
		if i > 0 {
			s.WriteString(",\n")
		}
		fmt.Fprintf(&s, `{"at": %d, "StartMatchmaking": {"TicketId": "t%d", "Players": [{"PlayerId": "p%d-%s", "PlayerAttributes": {"score": {"N": %d}}}]}}`,
			i/100, i, i, strings.Repeat("x", 24), i*7919%100000)
	}
	s.WriteString("]}")
	require.Less(b, s.Len(), maxScenarioBytes)
	file := filepath.Join(b.TempDir(), "largest.json")
	require.NoError(b, os.WriteFile(file, []byte(s.String()), 0o644))
	for b.Loop() {
		sc, err := loadScenario(file)
		require.NoError(b, err)
		require.NoError(b, replay(sc, io.Discard))
	}
}

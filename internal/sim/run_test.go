package sim

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func builtinRules(t testing.TB, name string) RuleSet {
	t.Helper()
	data, label, err := LoadRuleSet(name, "", readFile)
	require.NoError(t, err)
	rs, err := ParseRuleSet(label, data)
	require.NoError(t, err)
	return rs
}

// shortRun runs pop, shortened to seconds, against its own rule set.
func shortRun(t *testing.T, name string, seconds float64, rules string) *Result {
	t.Helper()
	pop := builtin(t, name)
	pop.Seconds = seconds
	if rules == "" {
		rules = name
	}
	res, err := Run(pop, builtinRules(t, rules), Options{Seed: 1})
	require.NoError(t, err)
	return res
}

// TestRunConservation: every ticket started is completed, ended otherwise, or still waiting.
func TestRunConservation(t *testing.T) {
	for _, name := range Builtins() {
		t.Run(name, func(t *testing.T) {
			res := shortRun(t, name, 120, "")
			require.Positive(t, res.Tickets)
			assert.Equal(t, res.Tickets, res.Completed+res.TimedOut+res.Cancelled+res.Failed+res.Waiting,
				"%d completed, %d timed out, %d cancelled, %d failed, %d waiting", res.Completed, res.TimedOut, res.Cancelled, res.Failed, res.Waiting)
			assert.Zero(t, res.Refused, res.FirstRefusal)
			assert.Positive(t, res.Matches)
			assert.Equal(t, res.Completed, res.Wait.Count)
			assert.NotEmpty(t, res.Series)
			assert.InDelta(t, 120, res.Series[len(res.Series)-1].T, 1e-9)
			assert.Len(t, res.ticks, 121)
		})
	}
}

// TestBattleRoyaleFillsByBackfill: lobbies start at their minimum (30, or 20 after the
// expansion) and fill by automatic backfill, which also replaces players who leave.
func TestBattleRoyaleFillsByBackfill(t *testing.T) {
	res := shortRun(t, "battle-royale", 200, "")
	s := res.Sessions
	require.NotNil(t, s)
	assert.Positive(t, s.Started)
	assert.GreaterOrEqual(t, s.MeanAtStart, 20.0)
	assert.Less(t, s.MeanAtStart, 60.0, "a lobby starts below its maximum")
	assert.Greater(t, s.JoinedLater, s.Started, "backfill adds players to running lobbies")
	assert.Positive(t, s.Left)
	assert.Positive(t, s.Ended, "games end after gameSeconds")
	assert.Positive(t, res.Backfills)
}

// TestWorldServersAcknowledgeBackfills: players reach long-lived servers by acknowledged
// backfill, and leave them.
func TestWorldServersAcknowledgeBackfills(t *testing.T) {
	res := shortRun(t, "world", 300, "")
	s := res.Sessions
	require.NotNil(t, s)
	assert.GreaterOrEqual(t, s.Started, 16)
	assert.Greater(t, s.JoinedLater, res.Tickets/2, "most players join a world by backfill")
	assert.Greater(t, res.Backfills, res.Matches/2)
	assert.Positive(t, s.Left)
	inGames := res.Series[len(res.Series)-1].InGames
	assert.Positive(t, inGames)
}

// TestABSameArrivals: rule sets compared in one report meet the same tickets.
func TestABSameArrivals(t *testing.T) {
	a := shortRun(t, "5v5", 60, "5v5")
	b := shortRun(t, "5v5", 60, "5v5-sorted")
	assert.Equal(t, a.Tickets, b.Tickets)
	assert.Equal(t, a.Players, b.Players)
	assert.Equal(t, "simulate-5v5-sorted", b.RuleSetName)
}

// TestDeterministic: the same population, rule set and seed give the same figures.
func TestDeterministic(t *testing.T) {
	a, b := shortRun(t, "5v5", 60, ""), shortRun(t, "5v5", 60, "")
	assert.Equal(t, a.waits, b.waits)
	assert.Equal(t, a.spreads, b.spreads)
	assert.Equal(t, a.Rejections, b.Rejections)
}

// TestRejectionsFromExplain: the rules that rejected tickets come with counts, most first.
func TestRejectionsFromExplain(t *testing.T) {
	res := shortRun(t, "5v5", 60, "")
	require.NotEmpty(t, res.Rejections)
	for i := 1; i < len(res.Rejections); i++ {
		assert.GreaterOrEqual(t, res.Rejections[i-1].Count, res.Rejections[i].Count)
	}
	names := map[string]bool{}
	for _, r := range res.Rejections {
		names[r.Rule] = true
	}
	assert.True(t, names["FairTeams"] || names["Latency"] || names["SkillSpread"], "%v", res.Rejections)
}

func TestProgress(t *testing.T) {
	pop := builtin(t, "1v1")
	pop.Seconds = 5
	var seen []Progress
	_, err := Run(pop, builtinRules(t, "1v1"), Options{Seed: 1, Progress: func(p Progress) { seen = append(seen, p) }})
	require.NoError(t, err)
	require.Len(t, seen, 6, "ProgressAfter and ProgressEvery zero: every tick")
	assert.Equal(t, Progress{RuleSet: "built-in 1v1", Simulated: 5, Seconds: 5, Matches: seen[5].Matches, Waiting: seen[5].Waiting}, seen[5])
	assert.Positive(t, seen[5].Matches)
}

// TestReportFormats: text columns per rule set, JSON that decodes, and HTML with a chart per
// figure holding a series per rule set, and nothing fetched from elsewhere.
func TestReportFormats(t *testing.T) {
	pop := builtin(t, "5v5")
	pop.Seconds = 60
	rep := &Report{Population: pop, Seed: 1}
	for _, name := range []string{"5v5", "5v5-sorted"} {
		rs := builtinRules(t, name)
		res, err := Run(pop, rs, Options{Seed: 1})
		require.NoError(t, err)
		q, err := MeasureQuality(pop, rs, 1, 2, 12, 0)
		require.NoError(t, err)
		res.Quality = []*Quality{q}
		rep.Results = append(rep.Results, res)
	}

	var text bytes.Buffer
	rep.WriteText(&text)
	assert.Contains(t, text.String(), "  A  built-in 5v5 (2 teams, up to 10 players)\n  B  built-in 5v5-sorted (2 teams, up to 10 players)\n")
	assert.Regexp(t, `\ntickets +\d+ started, 0 refused +\d+ started, 0 refused\n`, text.String())
	assert.Contains(t, text.String(), "\nquality @0s ")

	var js bytes.Buffer
	require.NoError(t, rep.WriteJSON(&js))
	var decoded struct {
		Population struct{ Name string }
		Results    []struct {
			RuleSet string
			Tickets int
			Wait    struct{ P50, P99 float64 }
			Quality []struct{ SpreadRatio float64 }
		}
	}
	require.NoError(t, json.Unmarshal(js.Bytes(), &decoded))
	assert.Equal(t, "5v5", decoded.Population.Name)
	require.Len(t, decoded.Results, 2)
	assert.Equal(t, "built-in 5v5-sorted", decoded.Results[1].RuleSet)
	assert.Positive(t, decoded.Results[0].Tickets)

	var html bytes.Buffer
	require.NoError(t, rep.WriteHTML(&html))
	page := html.String()
	for _, id := range []string{"wait-cdf", "skill-spread", "team-balance", "pool-size", "matches-per-second", "tick-cost", "rejections", "quality"} {
		assert.Contains(t, page, `data-chart="`+id+`"`)
	}
	assert.Equal(t, 2*8, strings.Count(page, `data-series="A"`)+strings.Count(page, `data-series="B"`), "a series per rule set in each of 8 charts")
	for _, remote := range []string{"<script", "src=", "href=", "@import", "url("} {
		assert.NotContains(t, page, remote, "the report needs nothing beyond its own file")
	}
}

func TestRelaxedAge(t *testing.T) {
	assert.Equal(t, 30*time.Second, RelaxedAge(builtinRules(t, "1v1")))
	assert.Equal(t, 40*time.Second, RelaxedAge(builtinRules(t, "5v5")))
}

package sim

import (
	"math"
	"os"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readFile(file string, _ int64, _ string) ([]byte, error) { return os.ReadFile(file) }

func builtin(t testing.TB, name string) *Population {
	t.Helper()
	pop, err := LoadPopulation(name, readFile)
	require.NoError(t, err)
	return pop
}

// arrivalsFor draws the arrivals of the first seconds of pop's stream.
func arrivalsFor(pop *Population, seconds float64, seed uint64) []Arrival {
	return newStream(pop, seed).until(seconds, nil)
}

// withinShare asserts that got is within z standard errors of a binomial share p of n draws.
func withinShare(t *testing.T, what string, got, n int, p float64) {
	t.Helper()
	sd := math.Sqrt(float64(n) * p * (1 - p))
	assert.InDelta(t, p*float64(n), float64(got), 4*sd+1, "%s: %d of %d, expected share %.3f", what, got, n, p)
}

// TestPopulationStatistics: for every built-in population, the arrival count, party sizes,
// home regions, latencies, roles and skill follow the configuration.
func TestPopulationStatistics(t *testing.T) {
	for _, name := range Builtins() {
		t.Run(name, func(t *testing.T) {
			pop := builtin(t, name)
			seconds := pop.Seconds
			arrivals := arrivalsFor(pop, seconds, 7)

			// Arrivals: a Poisson count whose mean is the integral of the rate.
			expected := 0.0
			for x := 0.0; x < seconds; x += 0.01 {
				expected += pop.RateAt(x+0.005) * 0.01
			}
			assert.InDelta(t, expected, float64(len(arrivals)), 4*math.Sqrt(expected), "arrivals in %g s", seconds)

			parties, homes, roles := map[string]int{}, map[string]int{}, map[string]int{}
			var skills []float64
			players := 0
			for _, a := range arrivals {
				parties[strconv.Itoa(len(a.Ticket.Players))]++
				homes[a.Home]++
				for i, p := range a.Ticket.Players {
					players++
					skills = append(skills, a.Skills[i])
					assert.Equal(t, a.Skills[i], p.Attributes[pop.Skill.Attribute].Number())
					if pop.Skill.Min != 0 || pop.Skill.Max != 0 {
						assert.True(t, a.Skills[i] >= pop.Skill.Min && a.Skills[i] <= pop.Skill.Max)
					}
					for region, ms := range p.LatencyInMs {
						span := pop.Latency.AwayMs
						if region == a.Home {
							span = pop.Latency.HomeMs
						}
						assert.True(t, ms >= span[0] && ms <= span[1], "%s latency %d outside %v", region, ms, span)
					}
					if len(pop.Regions) > 0 {
						assert.Len(t, p.LatencyInMs, len(pop.Regions))
					}
					if pop.Roles != nil {
						roles[p.Attributes[pop.Roles.Attribute].StringList()[0]]++
					}
				}
			}
			for _, w := range pop.Parties {
				withinShare(t, "party size "+w.Value, parties[w.Value], len(arrivals), w.Weight/totalWeight(pop.Parties))
			}
			for _, w := range pop.Regions {
				withinShare(t, "home region "+w.Value, homes[w.Value], len(arrivals), w.Weight/totalWeight(pop.Regions))
			}
			if pop.Roles != nil {
				for _, w := range pop.Roles.Values {
					withinShare(t, "role "+w.Value, roles[w.Value], players, w.Weight/totalWeight(pop.Roles.Values))
				}
			}
			// Skill: party members add PartyStdDev around their party's draw.
			assert.InDelta(t, pop.Skill.Mean, mean(skills), 5*pop.Skill.StdDev/math.Sqrt(float64(len(skills))), "mean skill")
			sd := math.Sqrt(variance(skills))
			assert.InDelta(t, pop.Skill.StdDev, sd, 0.1*pop.Skill.StdDev+pop.Skill.PartyStdDev, "skill standard deviation")
		})
	}
}

func variance(xs []float64) float64 {
	m, sum := mean(xs), 0.0
	for _, x := range xs {
		sum += (x - m) * (x - m)
	}
	return sum / float64(len(xs)-1)
}

// TestDailyCurve: with a daily curve, arrivals per hour follow its factors.
func TestDailyCurve(t *testing.T) {
	pop := builtin(t, "5v5")
	day := pop.Arrivals.DayLengthSeconds
	arrivals := arrivalsFor(pop, 10*day, 3) // ten days, for counts large enough per hour
	hours := make([]int, 24)
	for _, a := range arrivals {
		hours[int(math.Mod(a.At, day)/day*24)]++
	}
	for h := range 24 {
		expected := 0.0
		for x := 0.0; x < day/24; x += day / 24 / 100 {
			expected += pop.RateAt(float64(h)*day/24+x+day/24/200) * day / 24 / 100
		}
		expected *= 10
		assert.InDelta(t, expected, float64(hours[h]), 4*math.Sqrt(expected)+1, "hour %d", h)
	}
	assert.Greater(t, hours[17], 3*hours[3], "the evening peak is several times the night's trough")
}

// TestSameSeedSameArrivals: the stream depends on the population and the seed only.
func TestSameSeedSameArrivals(t *testing.T) {
	pop := builtin(t, "5v5")
	a, b := arrivalsFor(pop, 60, 11), arrivalsFor(pop, 60, 11)
	require.Equal(t, a, b)
	assert.NotEqual(t, a, arrivalsFor(pop, 60, 12))
}

func TestParsePopulationProblems(t *testing.T) {
	base := `"name": "x", "ruleSet": "1v1", "seconds": 10, "arrivals": {"perSecond": 1}, "skill": {"mean": 1, "stdDev": 1}`
	cases := map[string]struct{ json, want string }{
		"unknown field":   {`{` + base + `, "arrival": {}}`, `json: unknown field "arrival"`},
		"no rate":         {`{"name": "x", "ruleSet": "1v1", "seconds": 10, "arrivals": {}}`, "arrivals.perSecond: must be a positive number, got 0"},
		"short curve":     {`{"name": "x", "ruleSet": "1v1", "seconds": 10, "arrivals": {"perSecond": 1, "daily": [1, 2]}}`, "arrivals.daily: must hold 24 factors, one per hour, got 2"},
		"bad party":       {`{` + base + `, "parties": [{"value": "11", "weight": 1}]}`, `parties[0].value: must be a party size from 1 to 10, got "11"`},
		"zero weights":    {`{` + base + `, "parties": [{"value": "2", "weight": 0}]}`, "parties: weights add up to 0"},
		"bad latency":     {`{` + base + `, "regions": [{"value": "eu", "weight": 1}], "latency": {"homeMs": [50, 10], "awayMs": [1, 2]}}`, "latency: homeMs and awayMs must each be [low, high] with 1 <= low <= high, got [50 10]"},
		"bad backfill":    {`{` + base + `, "sessions": {"backfill": "sometimes"}}`, `sessions.backfill: must be "automatic" or "acknowledged", got "sometimes"`},
		"no servers":      {`{` + base + `, "sessions": {"backfill": "acknowledged", "acknowledgeEverySeconds": 1, "acknowledgeTimeoutSeconds": 2}}`, "sessions.servers: must be from 1 to 10000 with acknowledged backfill, got 0"},
		"leaving alone":   {`{` + base + `, "leaving": {"perMinute": 0.5}}`, "leaving: needs sessions: players leave running games"},
		"leaving above 1": {`{` + base + `, "sessions": {"backfill": "automatic"}, "leaving": {"perMinute": 2}}`, "leaving.perMinute: must be a probability from 0 to 1, got 2"},
		"no rule set":     {`{"name": "x", "seconds": 10, "arrivals": {"perSecond": 1}}`, "ruleSet: is required"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ParsePopulation([]byte(c.json), "")
			var pe *PopulationError
			require.ErrorAs(t, err, &pe)
			assert.Contains(t, pe.Problems[0], c.want)
		})
	}
	_, err := ParsePopulation([]byte(`{`+base+`}`), "")
	assert.NoError(t, err)
}

// TestBuiltinsLoad: every built-in population names a rule set that parses, and every
// built-in rule set parses.
func TestBuiltinsLoad(t *testing.T) {
	for _, name := range Builtins() {
		pop := builtin(t, name)
		data, label, err := pop.RuleSetSource(readFile)
		require.NoError(t, err, name)
		_, err = ParseRuleSet(label, data)
		require.NoError(t, err, name)
	}
	for _, name := range BuiltinRuleSets() {
		data, _, err := LoadRuleSet(name, "", readFile)
		require.NoError(t, err)
		_, err = ParseRuleSet(name, data)
		require.NoError(t, err, name)
	}
	_, _, err := LoadRuleSet("no-such-rules", "", readFile)
	assert.ErrorContains(t, err, "no such file, and not a built-in rule set (1v1, 1v1-sorted, 5v5")
}

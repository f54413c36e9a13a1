package ruleset

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeMatch is a Match of players by team.
type fakeMatch [][]Player

func (m fakeMatch) TeamSize(team int) int      { return len(m[team]) }
func (m fakeMatch) Player(team, i int) *Player { return &m[team][i] }

func mustCompile(tb testing.TB, src string) *RuleSet {
	tb.Helper()
	rs, problems := Parse([]byte(src))
	require.Empty(tb, problems)
	return rs
}

func ruleByName(tb testing.TB, rs *RuleSet, name string) *rule {
	tb.Helper()
	i := rs.RuleIndex(name)
	require.GreaterOrEqual(tb, i, 0, "no rule %q", name)
	return rs.rules[i]
}

func TestParamsAtBoundaries(t *testing.T) {
	const ex1 = `{"ruleLanguageVersion":"1.0","playerAttributes":[{"name":"skill","type":"number"}],
	  "teams":[{"name":"cowboys","maxPlayers":8,"minPlayers":4},{"name":"aliens","maxPlayers":8,"minPlayers":4}],
	  "rules":[{"name":"FairTeamSkill","type":"distance","measurements":["avg(teams[*].players.attributes[skill])"],
	            "referenceValue":"avg(flatten(teams[*].players.attributes[skill]))","maxDistance":10}],
	  "expansions":[{"target":"rules[FairTeamSkill].maxDistance","steps":[{"waitTimeSeconds":5,"value":50},{"waitTimeSeconds":15,"value":100}]},
	                {"target":"teams[cowboys, aliens].minPlayers","steps":[{"waitTimeSeconds":"12.5","value":"2"}]}]}`
	const repost = `{"ruleLanguageVersion":"1.0","playerAttributes":[{"name":"gameMode","type":"string"}],
	  "teams":[{"name":"player","minPlayers":4,"maxPlayers":4,"quantity":1}],
	  "rules":[{"name":"SameGameMode","type":"comparison","operation":"=","measurements":["flatten(teams[*].players.attributes[gameMode])"]}],
	  "expansions":[{"target":"teams[player].minPlayers","steps":[{"waitTimeSeconds":30,"value":3},{"waitTimeSeconds":40,"value":2},{"waitTimeSeconds":45,"value":1}]}]}`

	t.Run("example 1", func(t *testing.T) {
		rs := mustCompile(t, ex1)
		r := ruleByName(t, rs, "FairTeamSkill")
		for _, tc := range []struct {
			age     time.Duration
			maxDist float64
			minP    float64
		}{
			{0, 10, 4},
			{5*time.Second - time.Millisecond, 10, 4},
			{5*time.Second - 1, 10, 4},
			{5 * time.Second, 50, 4},
			{12500*time.Millisecond - 1, 50, 4},
			{12500 * time.Millisecond, 50, 2},
			{15*time.Second - time.Millisecond, 50, 2},
			{15 * time.Second, 100, 2},
			{time.Hour, 100, 2},
		} {
			ps := rs.paramsAt(tc.age, nil)
			assert.Equal(t, tc.maxDist, ps[r.maxDist].n, "maxDistance at %v", tc.age)
			for _, team := range rs.teams {
				assert.Equal(t, tc.minP, ps[team.minParam].n, "minPlayers of %s at %v", team.name, tc.age)
				assert.Equal(t, 8.0, ps[team.maxParam].n)
			}
		}
		for i := range rs.TeamCount() {
			lo, hi := rs.TeamSizes(i)
			assert.Equal(t, [2]int{4, 8}, [2]int{lo, hi}, "TeamSizes reports the unexpanded sizes")
		}
	})

	t.Run("re:Post 30/40/45", func(t *testing.T) {
		rs := mustCompile(t, repost)
		minP := rs.teams[0].minParam
		var buf []param
		for _, tc := range []struct {
			age  time.Duration
			want float64
		}{
			{0, 4}, {29999 * time.Millisecond, 4}, {30 * time.Second, 3}, {35 * time.Second, 3},
			{39999 * time.Millisecond, 3}, {40 * time.Second, 2}, {44999 * time.Millisecond, 2},
			{45 * time.Second, 1}, {55 * time.Second, 1},
		} {
			buf = rs.paramsAt(tc.age, buf)
			assert.Equal(t, tc.want, buf[minP].n, "minPlayers at %v", tc.age)
		}
		assert.Equal(t, 30*time.Second, rs.NextStep(0))
		assert.Equal(t, 40*time.Second, rs.NextStep(30*time.Second))
		assert.Equal(t, 45*time.Second, rs.NextStep(44999*time.Millisecond))
		assert.Equal(t, time.Duration(-1), rs.NextStep(45*time.Second))

		// sizesOK follows the expanded minimum: three players are enough at 30 s, not before.
		c := NewChecker(rs)
		three := fakeMatch{make([]Player, 3)}
		c.At(29999 * time.Millisecond)
		assert.False(t, c.SizesOK(three, true))
		assert.True(t, c.SizesOK(three, false))
		c.At(30 * time.Second)
		assert.True(t, c.SizesOK(three, true))
	})
}

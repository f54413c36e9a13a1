package matchmakertest_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-04d22514/matchmaker"
	"github.com/seed-04d22514/matchmaker/matchmakertest"
)

func TestValue(t *testing.T) {
	tests := []struct {
		in   any
		want matchmaker.Value
	}{
		{1500.5, matchmaker.NumberValue(1500.5)},
		{float32(2.5), matchmaker.NumberValue(2.5)},
		{1500, matchmaker.NumberValue(1500)},
		{int64(-3), matchmaker.NumberValue(-3)},
		{uint8(7), matchmaker.NumberValue(7)},
		{"tank", matchmaker.StringValue("tank")},
		{[]string{"tank", "healer"}, matchmaker.StringListValue("tank", "healer")},
		{map[string]float64{"sword": 3.5}, matchmaker.StringNumberMapValue(map[string]float64{"sword": 3.5})},
		{map[string]int{"sword": 3}, matchmaker.StringNumberMapValue(map[string]float64{"sword": 3})},
		{matchmaker.StringValue("as is"), matchmaker.StringValue("as is")},
	}
	for _, tt := range tests {
		got, err := matchmakertest.Value(tt.in)
		require.NoError(t, err, "%T", tt.in)
		assert.Equal(t, tt.want.String(), got.String(), "%T", tt.in)
		assert.Equal(t, tt.want.Type(), got.Type(), "%T", tt.in)
	}

	for _, bad := range []any{nil, true, []int{1}, map[string]string{"a": "b"}} {
		_, err := matchmakertest.Value(bad)
		assert.Error(t, err, "%T", bad)
	}
}

func TestAttributes(t *testing.T) {
	got := matchmakertest.Attributes(matchmakertest.Attrs{"skill": 1500, "role": "tank"})
	assert.Equal(t, matchmaker.Attributes{"skill": matchmaker.NumberValue(1500), "role": matchmaker.StringValue("tank")}, got)
	assert.Nil(t, matchmakertest.Attributes(nil))
	assert.PanicsWithValue(t, `matchmakertest: attribute "ok": matchmakertest: attribute value true of type bool is not a number, string, []string or map[string]float64`,
		func() { matchmakertest.Attributes(matchmakertest.Attrs{"ok": true}) })
}

func TestBuilders(t *testing.T) {
	p := matchmakertest.PlayerWithLatency("ann", matchmakertest.Attrs{"skill": 1000}, matchmaker.Latencies{"eu-west-1": 30})
	assert.Equal(t, matchmaker.Player{
		PlayerID:    "ann",
		Attributes:  matchmaker.Attributes{"skill": matchmaker.NumberValue(1000)},
		LatencyInMs: matchmaker.Latencies{"eu-west-1": 30},
	}, p)

	party := matchmakertest.Ticket("duo", matchmakertest.Player("ann", nil), matchmakertest.Player("bob", nil))
	assert.Equal(t, "duo", party.TicketID)
	assert.Len(t, party.Players, 2)

	solo := matchmakertest.Solo("cat", matchmakertest.Attrs{"skill": 900})
	assert.Equal(t, "cat", solo.TicketID)
	assert.Equal(t, "cat", solo.Players[0].PlayerID)
}

func TestRuleSet(t *testing.T) {
	assert.NotNil(t, matchmakertest.RuleSet(t, duel))

	tb := newFakeTB(t)
	returned := tb.run(func(tb testing.TB) {
		matchmakertest.RuleSet(tb, `{"ruleLanguageVersion": "1.0", "teams": [{"name": "red", "minPlayers": 3, "maxPlayers": 2}]}`)
	})
	assert.False(t, returned, "an invalid rule set stops the test")
	assert.Contains(t, tb.messages(), "teams[0]")
}

package matchmaker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExplainSaysWhyATicketWaits(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/gomoku.json", Config{})
	h.start("low", player1("pl", num("score", 1000)))
	h.start("high", player1("ph", num("score", 2000)))
	h.tick(0)
	h.tick(4)
	ex, err := h.m.Explain("low")
	require.NoError(t, err)
	assert.Equal(t, StatusSearching, ex.Status)
	assert.Equal(t, 4*time.Second, ex.Waited)
	assert.Equal(t, 1, ex.Candidates)
	assert.Equal(t, "FairTeamSkill", ex.MostRejectedBy, "the skill gap keeps it waiting")
	require.Len(t, ex.Expansions, 1)
	assert.Equal(t, "rules[FairTeamSkill].maxDistance", ex.Expansions[0].Target)
	assert.Equal(t, 300.0, ex.Expansions[0].Value)
	assert.Equal(t, 6*time.Second, ex.Expansions[0].NextStepIn, "the 10 s step is 6 s away")

	h.tick(10)
	ex, err = h.m.Explain("low")
	require.NoError(t, err)
	assert.Equal(t, StatusCompleted, ex.Status)
	assert.Equal(t, 500.0, ex.Expansions[0].Value)
	_, err = h.m.Explain("nope")
	assert.ErrorIs(t, err, ErrNotFound)
}

package matchmakertest_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/seed-04d22514/matchmaker"
	"github.com/seed-04d22514/matchmaker/matchmakertest"
)

// Each assertion, on the duel rule set with ann (1000) and bob (1300), who match at 10 s once
// the expansion allows 300, and cat (2500), who matches nobody and times out at 1 min. The
// assertion must hold or fail as stated, and a failure must say the words listed.
func TestAssertions(t *testing.T) {
	type harness = matchmakertest.Harness
	tests := []struct {
		name   string
		before func(h *harness) // optional: move time first
		assert func(h *harness, tb testing.TB) bool
		fail   []string // nil: the assertion holds
	}{
		{name: "matched by 10s", assert: func(h *harness, tb testing.TB) bool {
			return h.AssertMatchedBy(tb, 10*time.Second, "ann", "bob")
		}},
		{name: "matched by 5s fails: they match only at 10s", assert: func(h *harness, tb testing.TB) bool {
			return h.AssertMatchedBy(tb, 5*time.Second, "ann", "bob")
		}, fail: []string{"tickets ann, bob not matched by 5s", "ann: SEARCHING at 5s", "rejected most by SkillGap", "rules[SkillGap].maxDistance = 100 (next step in 5s)"}},
		{name: "matched by 5s, judged later from the record", before: func(h *harness) { h.RunUntil(20 * time.Second) },
			assert: func(h *harness, tb testing.TB) bool { return h.AssertMatchedBy(tb, 5*time.Second, "ann") },
			fail:   []string{"ticket ann not matched by 5s", "ann: matched only at 10s"}},
		{name: "matched by fails for a ticket that timed out", assert: func(h *harness, tb testing.TB) bool {
			return h.AssertMatchedBy(tb, 2*time.Minute, "cat")
		}, fail: []string{"cat: ended TIMED_OUT at 1m0s (TimedOut)"}},
		{name: "matched by fails for an unknown ticket", assert: func(h *harness, tb testing.TB) bool {
			return h.AssertMatchedBy(tb, time.Second, "nobody")
		}, fail: []string{"nobody: unknown ticket"}},
		{name: "matched by needs tickets", assert: func(h *harness, tb testing.TB) bool {
			return h.AssertMatchedBy(tb, time.Second)
		}, fail: []string{"no tickets named"}},
		{name: "matched together", assert: func(h *harness, tb testing.TB) bool {
			return h.AssertMatchedTogetherBy(tb, 10*time.Second, "ann", "bob")
		}},
		{name: "matched together fails for separate matches", before: func(h *harness) {
			h.Queue(matchmakertest.Solo("dan", matchmakertest.Attrs{"skill": 2000}), matchmakertest.Solo("eve", matchmakertest.Attrs{"skill": 2010}))
		}, assert: func(h *harness, tb testing.TB) bool {
			return h.AssertMatchedTogetherBy(tb, 10*time.Second, "ann", "dan")
		}, fail: []string{"tickets ann, dan matched, but not together", "dan: match"}},
		{name: "no match by 9s", assert: func(h *harness, tb testing.TB) bool {
			return h.AssertNoMatchBy(tb, 9*time.Second, "ann", "bob")
		}},
		{name: "no match by 10s fails", assert: func(h *harness, tb testing.TB) bool {
			return h.AssertNoMatchBy(tb, 10*time.Second, "bob")
		}, fail: []string{"want no match for bob by 10s", "bob: match"}},
		{name: "no match at all by 9s", assert: func(h *harness, tb testing.TB) bool {
			return h.AssertNoMatchBy(tb, 9*time.Second)
		}},
		{name: "no match at all by 10s fails", assert: func(h *harness, tb testing.TB) bool {
			return h.AssertNoMatchBy(tb, 10*time.Second)
		}, fail: []string{"want no match by 10s", "blue[bob] red[ann]"}},
		{name: "searching at 30s", assert: func(h *harness, tb testing.TB) bool {
			return h.AssertSearchingAt(tb, 30*time.Second, "cat")
		}},
		{name: "searching at 30s fails for a matched ticket", assert: func(h *harness, tb testing.TB) bool {
			return h.AssertSearchingAt(tb, 30*time.Second, "cat", "ann")
		}, fail: []string{"ticket ann not searching at 30s", "ann: matched at 10s"}},
		{name: "searching at 5s, judged later from the record", before: func(h *harness) { h.RunUntil(20 * time.Second) },
			assert: func(h *harness, tb testing.TB) bool { return h.AssertSearchingAt(tb, 5*time.Second, "ann", "bob") }},
		{name: "rejected by SkillGap", assert: func(h *harness, tb testing.TB) bool {
			return h.AssertRejectedBy(tb, 30*time.Second, "cat", "SkillGap")
		}},
		{name: "rejected by another rule fails", assert: func(h *harness, tb testing.TB) bool {
			return h.AssertRejectedBy(tb, 30*time.Second, "cat", "Latency")
		}, fail: []string{"want ticket cat rejected most by Latency; it was rejected most by SkillGap", "cat: waited 30s"}},
		{name: "rejected by fails for a matched ticket", assert: func(h *harness, tb testing.TB) bool {
			return h.AssertRejectedBy(tb, 30*time.Second, "ann", "SkillGap")
		}, fail: []string{"ticket ann not searching at 30s"}},
		{name: "rejected by cannot look back", before: func(h *harness) { h.RunUntil(40 * time.Second) },
			assert: func(h *harness, tb testing.TB) bool { return h.AssertRejectedBy(tb, 30*time.Second, "cat", "SkillGap") },
			fail:   []string{"cannot explain ticket cat at 30s: the Harness is already at 40s"}},
		{name: "different teams", before: func(h *harness) { h.RunUntil(10 * time.Second) },
			assert: func(h *harness, tb testing.TB) bool { return h.AssertDifferentTeams(tb, "ann", "bob") }},
		{name: "same team fails for opponents", before: func(h *harness) { h.RunUntil(10 * time.Second) },
			assert: func(h *harness, tb testing.TB) bool { return h.AssertSameTeam(tb, "ann", "bob") },
			fail:   []string{"want players ann, bob on one team, got blue[bob] red[ann]"}},
		{name: "teams fail for an unmatched player", before: func(h *harness) { h.RunUntil(10 * time.Second) },
			assert: func(h *harness, tb testing.TB) bool { return h.AssertDifferentTeams(tb, "ann", "cat") },
			fail:   []string{"player cat has not matched (by 10s)"}},
		{name: "teams fail before the match", assert: func(h *harness, tb testing.TB) bool {
			return h.AssertSameTeam(tb, "ann", "bob")
		}, fail: []string{"player ann has not matched"}},
		{name: "teams need two players", assert: func(h *harness, tb testing.TB) bool {
			return h.AssertSameTeam(tb, "ann")
		}, fail: []string{"at least two players"}},
		{name: "timed out by 1m", assert: func(h *harness, tb testing.TB) bool {
			return h.AssertTimedOutBy(tb, time.Minute, "cat")
		}},
		{name: "timed out by 30s fails", assert: func(h *harness, tb testing.TB) bool {
			return h.AssertTimedOutBy(tb, 30*time.Second, "cat")
		}, fail: []string{"ticket cat not timed out by 30s", "cat: SEARCHING at 30s"}},
		{name: "timed out fails for a matched ticket", assert: func(h *harness, tb testing.TB) bool {
			return h.AssertTimedOutBy(tb, time.Minute, "ann")
		}, fail: []string{"ann: matched at 10s"}},
		{name: "status", before: func(h *harness) { h.RunUntil(10 * time.Second) },
			assert: func(h *harness, tb testing.TB) bool { return h.AssertStatus(tb, "ann", matchmaker.StatusCompleted) }},
		{name: "status fails", before: func(h *harness) { h.RunUntil(10 * time.Second) },
			assert: func(h *harness, tb testing.TB) bool { return h.AssertStatus(tb, "cat", matchmaker.StatusCompleted) },
			fail:   []string{"want ticket cat COMPLETED, got SEARCHING"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newDuel(t)
			h.Queue(
				matchmakertest.Solo("ann", matchmakertest.Attrs{"skill": 1000}),
				matchmakertest.Solo("bob", matchmakertest.Attrs{"skill": 1300}),
				matchmakertest.Solo("cat", matchmakertest.Attrs{"skill": 2500}),
			)
			if tt.before != nil {
				tt.before(h)
			}
			tb := newFakeTB(t)
			held := tt.assert(h, tb)
			if tt.fail == nil {
				assert.True(t, held)
				assert.Empty(t, tb.messages())
				return
			}
			assert.False(t, held, "the assertion should fail")
			assert.True(t, tb.Failed())
			for _, want := range tt.fail {
				assert.Contains(t, tb.messages(), want)
			}
		})
	}
}

// An assertion about an outcome stops moving time once the outcome is known, so the next
// assertion can still see what follows.
func TestAssertionsStopEarly(t *testing.T) {
	h := newDuel(t)
	h.Queue(matchmakertest.Solo("ann", matchmakertest.Attrs{"skill": 1000}), matchmakertest.Solo("bob", matchmakertest.Attrs{"skill": 1300}))
	h.AssertMatchedBy(t, time.Minute, "ann", "bob")
	assert.Equal(t, 10*time.Second, h.Elapsed())
}

// The Check forms return the failure that the Assert forms report.
func TestCheckMatchesAssert(t *testing.T) {
	h := newDuel(t)
	h.Queue(matchmakertest.Solo("ann", matchmakertest.Attrs{"skill": 1000}), matchmakertest.Solo("bob", matchmakertest.Attrs{"skill": 1300}))
	err := h.CheckMatchedBy(5*time.Second, "ann", "bob")
	tb := newFakeTB(t)
	h.AssertMatchedBy(tb, 5*time.Second, "ann", "bob")
	assert.EqualError(t, err, tb.messages())
}

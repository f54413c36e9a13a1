// Package matchmakertest is a test kit for match rules: it runs a [matchmaker.Matchmaker] on a
// fake clock, records its events, and checks outcomes in a line each, in the spirit of
// net/http/httptest.
//
// A game team's test of its rule set reads like its design notes:
//
//	func TestSkillExpansion(t *testing.T) {
//		rules := matchmakertest.RuleSet(t, duelJSON) // fails the test, listing every problem, if invalid
//		h := matchmakertest.New(t, matchmaker.Config{RuleSet: rules, RequestTimeout: time.Minute})
//		h.Queue(
//			matchmakertest.Solo("ann", matchmakertest.Attrs{"skill": 1000}),
//			matchmakertest.Solo("bob", matchmakertest.Attrs{"skill": 1300}),
//			matchmakertest.Solo("cat", matchmakertest.Attrs{"skill": 2500}),
//		)
//		h.AssertNoMatchBy(t, 9*time.Second, "ann", "bob")        // 300 apart: too far at first
//		h.AssertMatchedTogetherBy(t, 10*time.Second, "ann", "bob") // the 10 s expansion lets them
//		h.AssertDifferentTeams(t, "ann", "bob")
//		h.AssertRejectedBy(t, 30*time.Second, "cat", "SkillGap") // still searching, and why
//		h.AssertTimedOutBy(t, time.Minute, "cat")
//	}
//
// # The Harness
//
// [New] makes a [Harness] for a test (NewHarness for a program): a Matchmaker with a fixed random
// source, so match IDs and events are the same in every run, and a [Recorder] subscribed before
// the first request. The Harness is the Matchmaker's clock: it never passes
// matchmaker.WithClock and calls Tick with its own instants, so the Matchmaker's time is always
// the Harness's (see "Time" in [Harness] for why this is the choice). Time starts at a fixed
// instant and moves only when the test says so, tick by tick on a grid of the tick interval
// (default 1 s): [Harness.Step], [Harness.Advance], [Harness.RunUntil], [Harness.Tick], and the
// assertions that wait for an outcome. Every time a test names is a duration since the start.
// Nothing sleeps; a test of a two-minute timeout runs in microseconds.
//
// # Assertions
//
// Each assertion takes a testing.TB, reports a failure with Errorf (so a test goes on to report
// the next), and returns whether it held. A failure says where each ticket stands and, if it is
// still searching, why, from matchmaker.Explain:
//
//	matchmakertest: tickets ann, bob not matched by 5s
//	  ann: SEARCHING at 5s; waited 5s, 2 candidates; rejected most by SkillGap; rules: SkillGap failed 3 passed 0; ...
//
// The assertions about an outcome by an instant ([Harness.AssertMatchedBy],
// [Harness.AssertMatchedTogetherBy], [Harness.AssertTimedOutBy]) move time until every ticket
// named has ended, or the instant is reached, so a following assertion can still see what comes
// next. Those about a span ([Harness.AssertNoMatchBy], [Harness.AssertSearchingAt],
// [Harness.AssertRejectedBy]) move time to the instant. Time never goes back: an assertion
// about an instant already passed judges the record. [Harness.AssertSameTeam],
// [Harness.AssertDifferentTeams] and [Harness.AssertStatus] judge the present.
//
// Every AssertX has a CheckX that returns the failure as an error instead, for programs, for
// examples, and for require-style use: require.NoError(t, h.CheckMatchedBy(...)).
//
// A match, for the assertions and the Recorder, is a completed one (MatchmakingSucceeded). With
// Config.AcceptanceRequired, answer the proposal with h.Matchmaker().AcceptMatch; the Recorder's
// history shows the ticket REQUIRES_ACCEPTANCE meanwhile.
//
// # Builders
//
// [Solo], [Ticket], [Player] and [PlayerWithLatency] build requests from [Attrs], attributes as
// plain Go values ([Value] says which types map to which attribute type). [RuleSet] parses a
// rule set written in the test.
//
// # What the Harness does not wrap
//
// Requests other than StartMatchmaking (StopMatchmaking, AcceptMatch, StartMatchBackfill, ...)
// go to [Harness.Matchmaker] directly; their events are recorded like the rest. Do not call the
// Matchmaker's Run or Tick: time belongs to the Harness.
package matchmakertest

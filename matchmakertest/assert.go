package matchmakertest

// This file holds the assertions. Each AssertX reports a failure to a testing.TB and returns
// whether it held; its CheckX returns the failure as an error, for programs and examples. The
// assertions about an outcome by an instant move time until the outcome is known or the instant
// is reached; the others judge what has happened so far.

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seed-04d22514/matchmaker"
)

// report fails tb with err, if any, and says whether the assertion held.
func report(tb testing.TB, err error) bool {
	tb.Helper()
	if err != nil {
		tb.Errorf("%v", err)
		return false
	}
	return true
}

// AssertMatchedBy checks that every ticket has completed in a match at or before at (a duration
// since the start). It moves time tick by tick until every ticket has ended or at is reached;
// if the Harness is already past at, it judges the record. Tickets may be in different
// matches; see AssertMatchedTogetherBy.
func (h *Harness) AssertMatchedBy(tb testing.TB, at time.Duration, ticketIDs ...string) bool {
	tb.Helper()
	return report(tb, h.CheckMatchedBy(at, ticketIDs...))
}

// CheckMatchedBy is AssertMatchedBy returning its failure: nil if every ticket matched by at,
// otherwise an error saying where each unmatched ticket stands and why.
func (h *Harness) CheckMatchedBy(at time.Duration, ticketIDs ...string) error {
	if len(ticketIDs) == 0 {
		return errors.New("matchmakertest: CheckMatchedBy: no tickets named")
	}
	h.runUntil(at, func() bool { return h.allEnded(ticketIDs) })
	var missing []string
	for _, id := range ticketIDs {
		if m, ok := h.Match(id); !ok || m.At > at {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return h.recordErr()
	}
	return h.failure(at, fmt.Sprintf("%s not matched by %v", plural("ticket", missing), at), missing)
}

// AssertMatchedTogetherBy checks that the tickets completed in one match at or before at,
// moving time as AssertMatchedBy does.
func (h *Harness) AssertMatchedTogetherBy(tb testing.TB, at time.Duration, ticketIDs ...string) bool {
	tb.Helper()
	return report(tb, h.CheckMatchedTogetherBy(at, ticketIDs...))
}

// CheckMatchedTogetherBy is AssertMatchedTogetherBy returning its failure.
func (h *Harness) CheckMatchedTogetherBy(at time.Duration, ticketIDs ...string) error {
	if err := h.CheckMatchedBy(at, ticketIDs...); err != nil {
		return err
	}
	first, _ := h.Match(ticketIDs[0])
	var lines []string
	for _, id := range ticketIDs {
		m, _ := h.Match(id)
		lines = append(lines, fmt.Sprintf("  %s: match %s at %v: %v", id, m.ID, m.At, m))
		if m.ID != first.ID {
			return fmt.Errorf("matchmakertest: tickets %s matched, but not together:\n%s",
				strings.Join(ticketIDs, ", "), strings.Join(lines, "\n"))
		}
	}
	return nil
}

// AssertNoMatchBy checks that none of the tickets has completed in a match at or before at; with
// no tickets named, that no match at all has. It moves time to at.
func (h *Harness) AssertNoMatchBy(tb testing.TB, at time.Duration, ticketIDs ...string) bool {
	tb.Helper()
	return report(tb, h.CheckNoMatchBy(at, ticketIDs...))
}

// CheckNoMatchBy is AssertNoMatchBy returning its failure.
func (h *Harness) CheckNoMatchBy(at time.Duration, ticketIDs ...string) error {
	h.RunUntil(at)
	var bad []string
	for _, m := range h.Matches() {
		if m.At > at {
			continue
		}
		if len(ticketIDs) == 0 {
			bad = append(bad, fmt.Sprintf("  match %s at %v: %v", m.ID, m.At, m))
			continue
		}
		for _, id := range m.Tickets {
			if slices.Contains(ticketIDs, id) {
				bad = append(bad, fmt.Sprintf("  %s: match %s at %v: %v", id, m.ID, m.At, m))
			}
		}
	}
	if len(bad) > 0 {
		what := "no match"
		if len(ticketIDs) > 0 {
			what = "no match for " + strings.Join(ticketIDs, ", ")
		}
		return fmt.Errorf("matchmakertest: want %s by %v, got:\n%s", what, at, strings.Join(bad, "\n"))
	}
	return h.recordErr()
}

// AssertSearchingAt checks that every ticket was still waiting for a match (QUEUED or
// SEARCHING) at at. It moves time to at; if the Harness is already past at, it judges by the
// tickets' histories.
func (h *Harness) AssertSearchingAt(tb testing.TB, at time.Duration, ticketIDs ...string) bool {
	tb.Helper()
	return report(tb, h.CheckSearchingAt(at, ticketIDs...))
}

// CheckSearchingAt is AssertSearchingAt returning its failure.
func (h *Harness) CheckSearchingAt(at time.Duration, ticketIDs ...string) error {
	if len(ticketIDs) == 0 {
		return errors.New("matchmakertest: CheckSearchingAt: no tickets named")
	}
	h.RunUntil(at)
	var bad []string
	for _, id := range ticketIDs {
		if !waiting(h.statusAt(id, at)) {
			bad = append(bad, id)
		}
	}
	if len(bad) > 0 {
		return h.failure(at, fmt.Sprintf("%s not searching at %v", plural("ticket", bad), at), bad)
	}
	return h.recordErr()
}

// AssertRejectedBy checks that a ticket was still waiting at at and that rule is the rule that
// rejected it most often (matchmaker.Explanation.MostRejectedBy): the ticket is searching
// because of that rule. It moves time to at. The Matchmaker explains only the present, so it
// fails if the Harness is already past at. The counts run from the ticket's start: once an
// expansion has relaxed a rule, that rule may still lead while another now holds the ticket
// back.
func (h *Harness) AssertRejectedBy(tb testing.TB, at time.Duration, ticketID, rule string) bool {
	tb.Helper()
	return report(tb, h.CheckRejectedBy(at, ticketID, rule))
}

// CheckRejectedBy is AssertRejectedBy returning its failure.
func (h *Harness) CheckRejectedBy(at time.Duration, ticketID, rule string) error {
	if h.ticked && h.Elapsed() > at {
		return fmt.Errorf("matchmakertest: cannot explain ticket %s at %v: the Harness is already at %v", ticketID, at, h.Elapsed())
	}
	if err := h.CheckSearchingAt(at, ticketID); err != nil {
		return err
	}
	ex, err := h.m.Explain(ticketID)
	if err != nil {
		return fmt.Errorf("matchmakertest: explain ticket %s: %w", ticketID, err)
	}
	if ex.MostRejectedBy != rule {
		got := "no rule rejected it"
		if ex.MostRejectedBy != "" {
			got = "it was rejected most by " + ex.MostRejectedBy
		}
		return fmt.Errorf("matchmakertest: at %v, want ticket %s rejected most by %s; %s\n  %s: %s",
			at, ticketID, rule, got, ticketID, explain(ex))
	}
	return h.recordErr()
}

// AssertSameTeam checks that the players are in one match, on one team. It judges the matches
// completed so far: call it after the match has formed (AssertMatchedBy).
func (h *Harness) AssertSameTeam(tb testing.TB, playerIDs ...string) bool {
	tb.Helper()
	return report(tb, h.CheckSameTeam(playerIDs...))
}

// CheckSameTeam is AssertSameTeam returning its failure.
func (h *Harness) CheckSameTeam(playerIDs ...string) error {
	m, err := h.commonMatch(playerIDs)
	if err != nil {
		return err
	}
	for _, p := range playerIDs[1:] {
		if m.Team(p) != m.Team(playerIDs[0]) {
			return fmt.Errorf("matchmakertest: want players %s on one team, got %v",
				strings.Join(playerIDs, ", "), m)
		}
	}
	return nil
}

// AssertDifferentTeams checks that the players are in one match, each on a different team. It
// judges the matches completed so far, as AssertSameTeam does.
func (h *Harness) AssertDifferentTeams(tb testing.TB, playerIDs ...string) bool {
	tb.Helper()
	return report(tb, h.CheckDifferentTeams(playerIDs...))
}

// CheckDifferentTeams is AssertDifferentTeams returning its failure.
func (h *Harness) CheckDifferentTeams(playerIDs ...string) error {
	m, err := h.commonMatch(playerIDs)
	if err != nil {
		return err
	}
	seen := map[string]string{}
	for _, p := range playerIDs {
		team := m.Team(p)
		if other, ok := seen[team]; ok {
			return fmt.Errorf("matchmakertest: want players %s on different teams, got %s and %s both on %s: %v",
				strings.Join(playerIDs, ", "), other, p, team, m)
		}
		seen[team] = p
	}
	return nil
}

// AssertTimedOutBy checks that every ticket ended with its request timeout (TIMED_OUT) at or
// before at. It moves time until every ticket has ended or at is reached.
func (h *Harness) AssertTimedOutBy(tb testing.TB, at time.Duration, ticketIDs ...string) bool {
	tb.Helper()
	return report(tb, h.CheckTimedOutBy(at, ticketIDs...))
}

// CheckTimedOutBy is AssertTimedOutBy returning its failure.
func (h *Harness) CheckTimedOutBy(at time.Duration, ticketIDs ...string) error {
	if len(ticketIDs) == 0 {
		return errors.New("matchmakertest: CheckTimedOutBy: no tickets named")
	}
	h.runUntil(at, func() bool { return h.allEnded(ticketIDs) })
	var bad []string
	for _, id := range ticketIDs {
		if c, ok := h.ending(id); !ok || c.Status != matchmaker.StatusTimedOut || c.At > at {
			bad = append(bad, id)
		}
	}
	if len(bad) > 0 {
		return h.failure(at, fmt.Sprintf("%s not timed out by %v", plural("ticket", bad), at), bad)
	}
	return h.recordErr()
}

// AssertStatus checks a ticket's current status, as DescribeMatchmaking reports it.
func (h *Harness) AssertStatus(tb testing.TB, ticketID string, want matchmaker.TicketStatus) bool {
	tb.Helper()
	return report(tb, h.CheckStatus(ticketID, want))
}

// CheckStatus is AssertStatus returning its failure.
func (h *Harness) CheckStatus(ticketID string, want matchmaker.TicketStatus) error {
	if got := h.Status(ticketID); got != want {
		return h.failure(h.Elapsed(), fmt.Sprintf("want ticket %s %s, got %s", ticketID, want, orUnknown(got)), []string{ticketID})
	}
	return nil
}

// ---- helpers

// allEnded reports whether every ticket has ended, matched or not.
func (h *Harness) allEnded(ticketIDs []string) bool {
	for _, id := range ticketIDs {
		if _, ok := h.ending(id); !ok {
			return false
		}
	}
	return true
}

// statusAt returns a ticket's status at at: DescribeMatchmaking's when the Harness is there,
// and its history's when the Harness is past it.
func (h *Harness) statusAt(ticketID string, at time.Duration) matchmaker.TicketStatus {
	if h.Elapsed() == at {
		return h.Status(ticketID)
	}
	return h.StatusAt(ticketID, at)
}

// commonMatch returns the match every player is in (their latest), or an error saying who is
// unmatched or elsewhere.
func (h *Harness) commonMatch(playerIDs []string) (Match, error) {
	if len(playerIDs) < 2 {
		return Match{}, errors.New("matchmakertest: name at least two players")
	}
	var first Match
	var lines []string
	apart := false
	for i, p := range playerIDs {
		m, ok := h.PlayerMatch(p)
		if !ok {
			return Match{}, fmt.Errorf("matchmakertest: player %s has not matched (by %v)", p, h.Elapsed())
		}
		if i == 0 {
			first = m
		}
		apart = apart || m.ID != first.ID
		lines = append(lines, fmt.Sprintf("  %s: match %s at %v: %v", p, m.ID, m.At, m))
	}
	if apart {
		return Match{}, fmt.Errorf("matchmakertest: players %s are not in one match:\n%s",
			strings.Join(playerIDs, ", "), strings.Join(lines, "\n"))
	}
	return first, h.recordErr()
}

// failure builds the error of a failed assertion: a headline, then a line per ticket saying
// where it stands and, if it is waiting, why.
func (h *Harness) failure(at time.Duration, headline string, ticketIDs []string) error {
	var b strings.Builder
	b.WriteString("matchmakertest: " + headline)
	for _, id := range ticketIDs {
		b.WriteString("\n  " + id + ": " + h.describe(id, at))
	}
	if err := h.recordErr(); err != nil {
		b.WriteString("\n  (" + err.Error() + ")")
	}
	return errors.New(b.String())
}

// describe says where a ticket stood at at and what happened to it since.
func (h *Harness) describe(ticketID string, at time.Duration) string {
	if m, ok := h.Match(ticketID); ok {
		when := "matched"
		if m.At > at {
			when = "matched only"
		}
		return fmt.Sprintf("%s at %v in match %s: %v", when, m.At, m.ID, m)
	}
	if c, ok := h.ending(ticketID); ok {
		s := fmt.Sprintf("ended %s at %v", c.Status, c.At)
		if c.Reason != "" {
			s += " (" + c.Reason + ")"
		}
		return s
	}
	st := h.statusAt(ticketID, at)
	switch {
	case st == "" && h.Status(ticketID) == "":
		return "unknown ticket"
	case st == "":
		return fmt.Sprintf("not queued yet at %v", at)
	}
	s := fmt.Sprintf("%s at %v", orUnknown(st), at)
	if h.Elapsed() != at {
		s += fmt.Sprintf(" (explanation as of %v)", h.Elapsed())
	}
	if ex, err := h.m.Explain(ticketID); err == nil {
		s += "; " + explain(ex)
	}
	return s
}

// explain summarises an Explanation on one line.
func explain(ex matchmaker.Explanation) string {
	parts := []string{fmt.Sprintf("waited %v, %d candidates", ex.Waited, ex.Candidates)}
	if ex.MostRejectedBy != "" {
		parts = append(parts, "rejected most by "+ex.MostRejectedBy)
	}
	var rules []string
	for _, r := range ex.Rules {
		rules = append(rules, fmt.Sprintf("%s failed %d passed %d", r.RuleName, r.FailedCount, r.PassedCount))
	}
	if len(rules) > 0 {
		parts = append(parts, "rules: "+strings.Join(rules, ", "))
	}
	var exps []string
	for _, e := range ex.Expansions {
		v := fmt.Sprint(e.Value)
		if e.StringVal != "" {
			v = e.StringVal
		}
		s := e.Target + " = " + v
		if e.NextStepIn > 0 {
			s += fmt.Sprintf(" (next step in %v)", e.NextStepIn)
		}
		exps = append(exps, s)
	}
	if len(exps) > 0 {
		parts = append(parts, "expansions: "+strings.Join(exps, ", "))
	}
	return strings.Join(parts, "; ")
}

// recordErr returns an error if the record is incomplete.
func (h *Harness) recordErr() error {
	if err := h.Err(); errors.Is(err, matchmaker.ErrSlowSubscriber) {
		return fmt.Errorf("matchmakertest: the event record is incomplete: %w", err)
	}
	return nil
}

// waiting reports whether a status is one of a ticket waiting for a match.
func waiting(s matchmaker.TicketStatus) bool {
	return s == matchmaker.StatusQueued || s == matchmaker.StatusSearching
}

func orUnknown(s matchmaker.TicketStatus) string {
	if s == "" {
		return "unknown"
	}
	return string(s)
}

func plural(noun string, ids []string) string {
	if len(ids) == 1 {
		return noun + " " + ids[0]
	}
	return noun + "s " + strings.Join(ids, ", ")
}

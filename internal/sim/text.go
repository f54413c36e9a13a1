package sim

// This file holds the text and JSON forms of a report: one column per rule set, so that rule
// sets run against the same arrivals read side by side.

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Report is everything one simulate command measured: the population, the seed, and one
// result per rule set, in the order given.
type Report struct {
	Population *Population `json:"population"`
	Seed       uint64      `json:"seed"`
	Results    []*Result   `json:"results"`
}

// WriteJSON writes the report as one indented JSON object.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// column letters name the rule sets of an A/B comparison.
func column(i int) string {
	if i < 26 {
		return string(rune('A' + i))
	}
	return fmt.Sprintf("R%d", i+1)
}

// describe says what a result ran: "built-in 1v1 (2 teams, up to 2 players)".
func describe(res *Result) string {
	return fmt.Sprintf("%s (%s, up to %s)", res.RuleSet, plural(res.Teams, "team"), plural(res.MaxPlayers, "player"))
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// arrivalText describes the population's arrivals for headings: "50 tickets/s for 300 s".
func (p *Population) arrivalText() string {
	daily := ""
	if len(p.Arrivals.Daily) > 0 {
		daily = fmt.Sprintf(" at the peak of a daily curve (a day lasts %g s)", p.Arrivals.DayLengthSeconds)
	}
	return fmt.Sprintf("%g tickets/s%s for %g s, tick %g s, timeout %g s", p.Arrivals.PerSecond*p.peakFactor(), daily, p.Seconds, p.TickSeconds, p.RequestTimeoutSeconds)
}

func (p *Population) peakFactor() float64 {
	if len(p.Arrivals.Daily) == 0 {
		return 1
	}
	return slices.Max(p.Arrivals.Daily)
}

// row is one line of the text report: a label, one value per rule set, and a note printed
// after a single rule set's value.
type row struct {
	Label  string
	Values []string
	Note   string
}

// WriteText writes the report as aligned text: with one rule set, a label and a value per
// line; with several, a column per rule set.
func (r *Report) WriteText(w io.Writer) {
	pop := r.Population
	if len(r.Results) == 1 {
		fmt.Fprintf(w, "simulate: %s, population %s, %s, seed %d\n\n", describe(r.Results[0]), pop.Name, pop.arrivalText(), r.Seed)
	} else {
		fmt.Fprintf(w, "simulate: population %s, %s, seed %d; the same arrivals for every rule set\n", pop.Name, pop.arrivalText(), r.Seed)
		for i, res := range r.Results {
			fmt.Fprintf(w, "  %s  %s\n", column(i), describe(res))
		}
		fmt.Fprintln(w)
	}
	rows := r.rows()
	width := make([]int, len(r.Results))
	for _, rw := range rows {
		for i, v := range rw.Values {
			width[i] = max(width[i], len(v))
		}
	}
	if len(r.Results) > 1 {
		var b strings.Builder
		fmt.Fprintf(&b, "%-14s", "")
		for i := range r.Results {
			fmt.Fprintf(&b, "%-*s", width[i]+3, column(i))
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	for _, rw := range rows {
		var b strings.Builder
		fmt.Fprintf(&b, "%-14s", rw.Label)
		for i, v := range rw.Values {
			if len(r.Results) > 1 {
				fmt.Fprintf(&b, "%-*s", width[i]+3, v)
			} else {
				b.WriteString(v)
			}
		}
		if len(r.Results) == 1 && rw.Note != "" {
			b.WriteString("  (" + rw.Note + ")")
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// rows builds the lines of the text report.
func (r *Report) rows() []row {
	each := func(label, note string, f func(*Result) string) row {
		rw := row{Label: label, Note: note}
		for _, res := range r.Results {
			rw.Values = append(rw.Values, f(res))
		}
		return rw
	}
	any := func(f func(*Result) bool) bool {
		for _, res := range r.Results {
			if f(res) {
				return true
			}
		}
		return false
	}
	rows := []row{
		each("tickets", "", func(res *Result) string { return fmt.Sprintf("%d started, %d refused", res.Tickets, res.Refused) }),
	}
	for i, res := range r.Results {
		if res.FirstRefusal != "" {
			rows = append(rows, row{Label: "", Values: []string{fmt.Sprintf("first refusal (%s): %s", column(i), res.FirstRefusal)}})
			if len(r.Results) == 1 {
				rows[len(rows)-1].Values[0] = "first refusal: " + res.FirstRefusal
			}
		}
	}
	rows = append(rows,
		each("matches", "", func(res *Result) string {
			if res.Backfills > 0 {
				return fmt.Sprintf("%d, %d of them backfills", res.Matches, res.Backfills)
			}
			return fmt.Sprint(res.Matches)
		}),
		each("outcomes", "", func(res *Result) string {
			return fmt.Sprintf("%d completed, %d timed out, %d cancelled, %d failed, %d still waiting", res.Completed, res.TimedOut, res.Cancelled, res.Failed, res.Waiting)
		}),
		each("wait", "completed tickets", func(res *Result) string {
			return fmt.Sprintf("p50 %.1f s  p90 %.1f s  p99 %.1f s", res.Wait.P50, res.Wait.P90, res.Wait.P99)
		}),
		each("skill spread", "highest minus lowest skill in a match", func(res *Result) string {
			return fmt.Sprintf("p50 %.0f  p95 %.0f", res.Spread.P50, res.Spread.P95)
		}))
	if any(func(res *Result) bool { return res.Balance.Count > 0 }) {
		rows = append(rows, each("team balance", "highest minus lowest team average skill", func(res *Result) string {
			return fmt.Sprintf("p50 %.0f  p95 %.0f", res.Balance.P50, res.Balance.P95)
		}))
	}
	rows = append(rows,
		each("tick", "", func(res *Result) string {
			return fmt.Sprintf("p50 %v  p99 %v  (wall clock, %d ticks)", millis(res.Tick.P50), millis(res.Tick.P99), res.Tick.Count)
		}),
		each("pool", "", func(res *Result) string { return fmt.Sprintf("max %d waiting", res.MaxPool) }),
		each("rejected by", "the rules that rejected tickets most, from Explain", func(res *Result) string {
			var parts []string
			for _, rj := range res.Rejections[:min(3, len(res.Rejections))] {
				parts = append(parts, fmt.Sprintf("%s %d", rj.Rule, rj.Count))
			}
			if len(parts) == 0 {
				return "none"
			}
			return strings.Join(parts, ", ")
		}))
	if any(func(res *Result) bool { return res.Sessions != nil }) {
		rows = append(rows, each("sessions", "", func(res *Result) string {
			s := res.Sessions
			if s == nil {
				return "none"
			}
			return fmt.Sprintf("%d started (%.1f players at start), %d joined by backfill, %d left", s.Started, s.MeanAtStart, s.JoinedLater, s.Left)
		}))
	}
	if any(func(res *Result) bool { return len(res.Quality) > 0 }) {
		for qi := range r.Results[0].Quality {
			rows = append(rows, each(fmt.Sprintf("quality @%gs", r.Results[0].Quality[qi].AgeSeconds), "engine over the best an exhaustive search finds: 1.00 is the best", func(res *Result) string {
				if qi >= len(res.Quality) {
					return ""
				}
				return res.Quality[qi].Text()
			}))
		}
	}
	return rows
}

// Text says how close the engine came, in one line.
func (q *Quality) Text() string {
	if q.Skipped != "" {
		return "not measured: " + q.Skipped
	}
	return fmt.Sprintf("matched %s, spread %s (its tickets %s), team difference %s (split %s)",
		times(q.MatchedRatio), times(q.SpreadRatio), times(q.SameTicketsRatio), times(q.BalanceRatio), times(q.SplitRatio))
}

// times writes a ratio as "1.46x", or "n/a" where it is undefined.
func times(r float64) string {
	if r == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2fx", r)
}

func millis(ms float64) time.Duration {
	return time.Duration(ms * float64(time.Millisecond)).Round(time.Microsecond)
}

package sim

// This file holds what a run measured (Result) and the statistics its figures are made of:
// percentiles, distributions and time series.

import (
	"math"
	"slices"
)

// Result is what one rule set did against a population. It is written as the -json summary,
// so its field names are a format: add fields, do not rename them.
type Result struct {
	RuleSet     string `json:"ruleSet"`     // the label: a file or "built-in NAME"
	RuleSetName string `json:"ruleSetName"` // the rule set's own name
	Teams       int    `json:"teams"`
	MaxPlayers  int    `json:"maxPlayers"`

	Tickets      int    `json:"tickets"` // tickets started
	Players      int    `json:"players"` // players in them
	Refused      int    `json:"refused"`
	FirstRefusal string `json:"firstRefusal,omitempty"`

	Matches   int `json:"matches"` // new matches and backfills
	Backfills int `json:"backfills"`
	Completed int `json:"completed"` // tickets, by outcome
	TimedOut  int `json:"timedOut"`
	Cancelled int `json:"cancelled"`
	Failed    int `json:"failed"`
	Waiting   int `json:"waiting"` // still waiting at the end
	MaxPool   int `json:"maxPool"` // the most tickets waiting after a tick, backfill tickets included

	Wait    Distribution `json:"waitSeconds"` // completed tickets
	Spread  Distribution `json:"skillSpread"` // highest minus lowest skill, per new match
	Balance Distribution `json:"teamBalance"` // highest minus lowest team average skill, per new match of 2+ teams
	Tick    Distribution `json:"tickMillis"`  // wall-clock cost of a tick

	Rejections []Rejection    `json:"rejections"` // by rule, most first
	Sessions   *SessionResult `json:"sessions,omitempty"`
	Series     []Sample       `json:"series"`
	Quality    []*Quality     `json:"quality,omitempty"` // at age 0 and with every expansion in force

	waits, spreads, balances, ticks []float64
}

// Distribution summarises a set of values: count, mean, percentiles, and its cumulative
// distribution at up to 101 points.
type Distribution struct {
	Count int       `json:"count"`
	Mean  float64   `json:"mean"`
	P50   float64   `json:"p50"`
	P90   float64   `json:"p90"`
	P95   float64   `json:"p95"`
	P99   float64   `json:"p99"`
	Max   float64   `json:"max"`
	CDF   []CDFStep `json:"cdf,omitempty"`
}

// CDFStep says that a share Fraction of the values is at most Value.
type CDFStep struct {
	Value    float64 `json:"value"`
	Fraction float64 `json:"fraction"`
}

// Rejection is one rule's part in keeping tickets waiting, from Explain: how often it rejected
// the run's tickets, and how many tickets it rejected most often.
type Rejection struct {
	Rule    string `json:"rule"`
	Count   int    `json:"count"`
	Tickets int    `json:"tickets"`
}

// SessionResult describes the game sessions of a population with sessions.
type SessionResult struct {
	Started       int     `json:"started"`
	Ended         int     `json:"ended"`
	MeanAtStart   float64 `json:"meanPlayersAtStart"`
	JoinedLater   int     `json:"joinedByBackfill"`
	Left          int     `json:"left"`
	BackfillsLost int     `json:"backfillsEnded"` // backfills that timed out, failed or were cancelled
}

// Sample is the state over one interval of simulated time.
type Sample struct {
	T          float64 `json:"t"`                 // the interval's end, seconds
	Pool       int     `json:"pool"`              // tickets waiting at its end
	MatchesPS  float64 `json:"matchesPerSecond"`  // matches formed per second
	TickMillis float64 `json:"tickMillis"`        // mean tick cost
	TickMax    float64 `json:"tickMaxMillis"`     // highest tick cost
	InGames    int     `json:"inGames,omitempty"` // players in sessions, with sessions
}

// summarize fills a Distribution from values (in any order; it sorts them).
func summarize(values []float64) Distribution {
	if len(values) == 0 {
		return Distribution{}
	}
	s := slices.Clone(values)
	slices.Sort(s)
	d := Distribution{Count: len(s), Max: s[len(s)-1],
		P50: Percentile(s, 0.50), P90: Percentile(s, 0.90), P95: Percentile(s, 0.95), P99: Percentile(s, 0.99)}
	sum := 0.0
	for _, v := range s {
		sum += v
	}
	d.Mean = sum / float64(len(s))
	for i := 0; i <= 100; i++ {
		d.CDF = append(d.CDF, CDFStep{Value: Percentile(s, float64(i)/100), Fraction: float64(i) / 100})
	}
	d.CDF = slices.CompactFunc(d.CDF, func(a, b CDFStep) bool { return a == b })
	return d
}

// Percentile returns the p-quantile of sorted values by the nearest-rank method, or zero for
// no values.
func Percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[max(0, int(math.Ceil(p*float64(len(sorted))))-1)]
}

// Histogram counts values into bins of equal width from lo to hi; the last bin also holds hi.
func Histogram(values []float64, lo, hi float64, bins int) []int {
	out := make([]int, bins)
	if hi <= lo {
		if len(values) > 0 {
			out[0] = len(values)
		}
		return out
	}
	for _, v := range values {
		i := int((v - lo) / (hi - lo) * float64(bins))
		out[min(bins-1, max(0, i))]++
	}
	return out
}

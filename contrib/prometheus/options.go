package prometheus

// This file holds the Collector's options and their defaults.

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/seed-04d22514/matchmaker"
)

// Options configures a Collector. Zero fields take the documented defaults.
type Options struct {
	// Namespace prefixes every metric name. Default "matchmaker".
	Namespace string
	// ConstLabels are added to every metric, for example {"queue": "ranked"} to tell the
	// Collectors of several Matchmakers apart in one registry.
	ConstLabels prometheus.Labels
	// RuleSet, when set, is the Matchmaker's rule set: each of its rules then has a
	// rule_rejections_total series from the start, at 0, so that rate() sees its first
	// rejections. Default: a rule's series appears at its first rejection.
	RuleSet *matchmaker.RuleSet

	// TickDurationBuckets are the upper bounds, in seconds, of tick_duration_seconds. Default
	// DefaultTickDurationBuckets.
	TickDurationBuckets []float64
	// AnchorsSearchedBuckets are the upper bounds of anchors_searched. Default
	// DefaultAnchorsSearchedBuckets.
	AnchorsSearchedBuckets []float64
	// TicketWaitBuckets are the upper bounds, in seconds, of ticket_wait_seconds. Default
	// DefaultTicketWaitBuckets.
	TicketWaitBuckets []float64
	// SkillSpreadBuckets are the upper bounds of match_skill_spread, in the units of the
	// attribute that orders the pool. Default DefaultSkillSpreadBuckets, for ratings of a few
	// thousand points.
	SkillSpreadBuckets []float64
}

// Default buckets of the histograms.
var (
	// DefaultTickDurationBuckets span 50 µs to 2.5 s: a resident tick costs well under a
	// millisecond, a tick that matches a fresh pool of 100,000 tickets most of a second.
	DefaultTickDurationBuckets = []float64{
		.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}
	// DefaultAnchorsSearchedBuckets are powers of 4 from 1 to 262,144.
	DefaultAnchorsSearchedBuckets = prometheus.ExponentialBuckets(1, 4, 10)
	// DefaultTicketWaitBuckets span 1 s to 10 min, with the steps rule-set expansions
	// commonly use (10, 20, 30 s) and the default request timeout (120 s).
	DefaultTicketWaitBuckets = []float64{1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600}
	// DefaultSkillSpreadBuckets suit ratings of a few thousand points.
	DefaultSkillSpreadBuckets = []float64{10, 25, 50, 100, 150, 200, 300, 500, 750, 1000, 2000}
)

// withDefaults returns o with its zero fields set to their defaults.
func (o Options) withDefaults() Options {
	if o.Namespace == "" {
		o.Namespace = "matchmaker"
	}
	o.TickDurationBuckets = orDefault(o.TickDurationBuckets, DefaultTickDurationBuckets)
	o.AnchorsSearchedBuckets = orDefault(o.AnchorsSearchedBuckets, DefaultAnchorsSearchedBuckets)
	o.TicketWaitBuckets = orDefault(o.TicketWaitBuckets, DefaultTicketWaitBuckets)
	o.SkillSpreadBuckets = orDefault(o.SkillSpreadBuckets, DefaultSkillSpreadBuckets)
	return o
}

func orDefault(buckets, def []float64) []float64 {
	if len(buckets) == 0 {
		return def
	}
	return buckets
}

package prometheus

// This file holds the Collector: the metrics, how a TickReport updates them, and how a
// registry reads them.

import (
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/seed-04d22514/matchmaker"
)

// MaxRuleLabels bounds the rule label's values: a Collector keeps a rejection counter for at most
// this many rule names, as many as a rule set may have rules, and counts any further rule under
// OtherRule.
const MaxRuleLabels = 256

// OtherRule is the rule label of the rejections of rules beyond the first MaxRuleLabels.
const OtherRule = "_other"

// activeStatuses are the statuses a TickReport counts; each has a tickets series from the start.
var activeStatuses = []matchmaker.TicketStatus{
	matchmaker.StatusQueued, matchmaker.StatusSearching,
	matchmaker.StatusRequiresAcceptance, matchmaker.StatusPlacing,
}

// Collector turns a Matchmaker's tick reports into Prometheus metrics. It implements
// matchmaker.Observer (pass it to matchmaker.WithObserver) and prometheus.Collector (register it
// with a registry); the package documentation lists its metrics. Create one with New; the zero
// value is not usable. A Collector is safe for concurrent use.
type Collector struct {
	ticks        prometheus.Counter
	tickDuration prometheus.Histogram
	anchors      prometheus.Histogram
	matches      prometheus.Counter
	tickets      *prometheus.GaugeVec
	waits        prometheus.Histogram
	spreads      prometheus.Histogram
	rejections   *prometheus.CounterVec

	mu       sync.Mutex
	rules    map[string]prometheus.Counter // the rule names with a series of their own
	statuses []matchmaker.TicketStatus     // the statuses with a tickets series
}

// New returns a Collector with the given options. Like the Prometheus client's constructors, it
// panics when a bucket list is not in increasing order.
func New(opts Options) *Collector {
	o := opts.withDefaults()
	c := &Collector{
		ticks: newCounter(o, "ticks_total", "Matchmaking ticks run."),
		tickDuration: newHistogram(o, "tick_duration_seconds",
			"Wall-clock cost of each matchmaking tick.", o.TickDurationBuckets),
		anchors: newHistogram(o, "anchors_searched",
			"Tickets whose neighbourhood each tick searched for a match.", o.AnchorsSearchedBuckets),
		matches: newCounter(o, "matches_total", "Matches formed, backfill matches included."),
		tickets: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: o.Namespace, Name: "tickets", ConstLabels: o.ConstLabels,
			Help: "Active tickets by status after the last tick; SEARCHING includes backfill tickets.",
		}, []string{"status"}),
		waits: newHistogram(o, "ticket_wait_seconds",
			"How long each matchmaking ticket had waited when it was matched.", o.TicketWaitBuckets),
		spreads: newHistogram(o, "match_skill_spread",
			"Highest minus lowest player value of the pool's ordering attribute, per match.", o.SkillSpreadBuckets),
		rejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: o.Namespace, Name: "rule_rejections_total", ConstLabels: o.ConstLabels,
			Help: "How often each rule rejected a ticket.",
		}, []string{"rule"}),
		rules:    make(map[string]prometheus.Counter),
		statuses: append([]matchmaker.TicketStatus(nil), activeStatuses...),
	}
	for _, s := range c.statuses {
		c.tickets.WithLabelValues(string(s))
	}
	if o.RuleSet != nil {
		for _, r := range o.RuleSet.Rules() {
			c.ruleCounterLocked(r.Name)
		}
	}
	return c
}

func newCounter(o Options, name, help string) prometheus.Counter {
	return prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: o.Namespace, Name: name, Help: help, ConstLabels: o.ConstLabels})
}

func newHistogram(o Options, name, help string, buckets []float64) prometheus.Histogram {
	return prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: o.Namespace, Name: name, Help: help, ConstLabels: o.ConstLabels, Buckets: buckets})
}

// ObserveTick records one tick's report. The Matchmaker calls it after every tick.
func (c *Collector) ObserveTick(r matchmaker.TickReport) {
	c.ticks.Inc()
	c.tickDuration.Observe(r.Duration.Seconds())
	c.anchors.Observe(float64(r.AnchorsSearched))
	c.matches.Add(float64(r.MatchesFormed))
	for _, w := range r.Waits {
		c.waits.Observe(w.Seconds())
	}
	for _, s := range r.SkillSpreads {
		c.spreads.Observe(s)
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	c.setTicketsLocked(r.Tickets)
	for name, n := range r.Rejections {
		if n > 0 {
			c.ruleCounterLocked(name).Add(float64(n))
		}
	}
}

// setTicketsLocked sets every status's gauge to its count in counts, 0 when counts leaves it
// out: the report counts every active ticket, so an absent status has none. Requires c.mu.
func (c *Collector) setTicketsLocked(counts map[matchmaker.TicketStatus]int) {
	for s := range counts {
		// The statuses are a closed set of eight, so this list stays short.
		if !containsStatus(c.statuses, s) {
			c.statuses = append(c.statuses, s)
		}
	}
	for _, s := range c.statuses {
		c.tickets.WithLabelValues(string(s)).Set(float64(counts[s]))
	}
}

func containsStatus(list []matchmaker.TicketStatus, s matchmaker.TicketStatus) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ruleCounterLocked returns the rejection counter of the named rule, creating it while fewer
// than MaxRuleLabels rules have one, and the OtherRule counter after. Requires c.mu, or that c
// is not shared yet.
func (c *Collector) ruleCounterLocked(name string) prometheus.Counter {
	if ctr, ok := c.rules[name]; ok {
		return ctr
	}
	if len(c.rules) >= MaxRuleLabels {
		return c.rejections.WithLabelValues(OtherRule)
	}
	// Label values must be valid UTF-8; the core's rule names are, but a panic in the
	// Matchmaker's tick would be too high a price for a bad label.
	ctr := c.rejections.WithLabelValues(strings.ToValidUTF8(name, "\uFFFD"))
	c.rules[name] = ctr
	return ctr
}

// Describe sends the descriptors of the Collector's metrics; it implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range c.metrics() {
		m.Describe(ch)
	}
}

// Collect sends the Collector's metrics; it implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c.metrics() {
		m.Collect(ch)
	}
}

func (c *Collector) metrics() []prometheus.Collector {
	return []prometheus.Collector{
		c.ticks, c.tickDuration, c.anchors, c.matches, c.tickets, c.waits, c.spreads, c.rejections,
	}
}

var (
	_ matchmaker.Observer  = (*Collector)(nil)
	_ prometheus.Collector = (*Collector)(nil)
)

// Package prometheus exports a Matchmaker's measurements to Prometheus.
//
// A [Collector] is both a [matchmaker.Observer] and a [prometheus.Collector]: hand it to
// [matchmaker.WithObserver] and register it with a [prometheus.Registerer]. Every tick then
// updates its metrics, and every scrape reads them.
//
//	c := prometheus.New(prometheus.Options{ConstLabels: promclient.Labels{"queue": "duel"}})
//	m, err := matchmaker.New(cfg, matchmaker.WithObserver(c))
//	registry.MustRegister(c)
//	http.Handle("/metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
//
// This package is a module of its own (github.com/seed-04d22514/matchmaker/contrib/prometheus),
// so a program that imports only the matchmaker never depends on the Prometheus client.
//
// # Metrics
//
// Names follow the Prometheus conventions: base units (seconds), _total on counters. With the
// default namespace "matchmaker":
//
//	matchmaker_ticks_total                 counter    ticks run
//	matchmaker_tick_duration_seconds       histogram  wall-clock cost of each tick
//	matchmaker_anchors_searched            histogram  tickets whose neighbourhood a tick searched
//	matchmaker_matches_total               counter    matches formed, backfill matches included
//	matchmaker_tickets{status}             gauge      active tickets by status after the last tick
//	matchmaker_ticket_wait_seconds         histogram  how long each matched ticket had waited
//	matchmaker_match_skill_spread          histogram  highest minus lowest ordering attribute per match
//	matchmaker_rule_rejections_total{rule} counter    how often each rule rejected a ticket
//
// Every metric also carries [Options.ConstLabels].
//
// matchmaker_anchors_searched is a histogram, not a gauge of the last tick: a Matchmaker ticks
// many times between two scrapes, and a gauge would show one tick in ten or a hundred, at
// random. The histogram keeps every tick: rate(_sum)/rate(_count) is the mean work per tick,
// and the buckets show how often a tick searched most of the pool (a burst of arrivals, an
// expansion step) rather than the few anchors near a change.
//
// matchmaker_tickets has one series for each active status (QUEUED, SEARCHING, which includes
// backfill tickets, REQUIRES_ACCEPTANCE, PLACING), present from the start at 0; a status the
// last tick did not report is 0, never a stale count.
//
// matchmaker_match_skill_spread is in the units of the attribute that orders the pool (the one
// the rule set sorts, batches, balances or measures first); a rule set without one records
// nothing. Set [Options.SkillSpreadBuckets] to the attribute's scale.
//
// # Cardinality
//
// Label values are bounded. status takes at most the eight ticket statuses. rule takes the rule
// names of the Matchmaker's rule set, which has at most 256 rules (the core refuses larger
// rule sets); as a guard against a Collector shared by Matchmakers with different rule sets, a
// Collector keeps at most [MaxRuleLabels] rule names and counts the rejections of any further
// rule under rule="_other".
//
// # Concurrency
//
// A Collector is safe for concurrent use: the Matchmaker calls ObserveTick from the goroutine
// that ticks while the registry calls Collect from its scrape handler. Each metric is updated
// atomically; a scrape during ObserveTick may see one tick's counters in some metrics and not
// yet in others. Give each Matchmaker its own Collector, told apart by ConstLabels: the gauges
// hold one Matchmaker's counts, and two Matchmakers would overwrite each other's.
package prometheus

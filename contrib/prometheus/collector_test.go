package prometheus_test

// Tests drive a real Matchmaker with Tick at chosen times (no Clock: the host is the clock) and
// read the Collector's metrics through a fresh registry.

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	promclient "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/seed-04d22514/matchmaker"
	"github.com/seed-04d22514/matchmaker/contrib/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// duelRules pairs two players whose skills are at most 200 apart.
const duelRules = `{
  "ruleLanguageVersion": "1.0",
  "playerAttributes": [{"name": "skill", "type": "number", "default": 1000}],
  "teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 1}, {"name": "blue", "minPlayers": 1, "maxPlayers": 1}],
  "rules": [{"name": "FairSkill", "type": "distance",
    "measurements": ["avg(teams[*].players.attributes[skill])"],
    "referenceValue": "avg(flatten(teams[*].players.attributes[skill]))",
    "maxDistance": 200}]
}`

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// tee passes every report to the Collector and keeps a copy, to compare the metrics with.
type tee struct {
	c       *prometheus.Collector
	reports []matchmaker.TickReport
}

func (t *tee) ObserveTick(r matchmaker.TickReport) {
	t.reports = append(t.reports, r)
	t.c.ObserveTick(r)
}

// rig is a Matchmaker whose Collector is registered with a fresh registry.
type rig struct {
	t   *testing.T
	m   *matchmaker.Matchmaker
	c   *prometheus.Collector
	reg *promclient.Registry
	log *tee
}

func newRig(t *testing.T, cfg matchmaker.Config, opts prometheus.Options) *rig {
	t.Helper()
	cfg.RuleSet = matchmaker.MustParseRuleSet([]byte(duelRules))
	c := prometheus.New(opts)
	log := &tee{c: c}
	m, err := matchmaker.New(cfg, matchmaker.WithObserver(log))
	require.NoError(t, err)
	t.Cleanup(func() { m.Close() })
	reg := promclient.NewRegistry()
	require.NoError(t, reg.Register(c))
	return &rig{t: t, m: m, c: c, reg: reg, log: log}
}

func (r *rig) start(id string, skill float64) {
	r.t.Helper()
	_, err := r.m.StartMatchmaking(matchmaker.StartMatchmakingInput{TicketID: id, Players: []matchmaker.Player{
		{PlayerID: "p-" + id, Attributes: matchmaker.Attributes{"skill": matchmaker.NumberValue(skill)}}}})
	require.NoError(r.t, err)
}

func (r *rig) tick(sec int) {
	r.t.Helper()
	require.NoError(r.t, r.m.Tick(t0.Add(time.Duration(sec)*time.Second)))
}

// histogram returns the one series of the named histogram.
func (r *rig) histogram(name string) *dto.Histogram {
	r.t.Helper()
	families, err := r.reg.Gather()
	require.NoError(r.t, err)
	for _, f := range families {
		if f.GetName() == name {
			require.Len(r.t, f.GetMetric(), 1)
			return f.GetMetric()[0].GetHistogram()
		}
	}
	r.t.Fatalf("no metric %s", name)
	return nil
}

// smallBuckets keeps the expected exposition short.
var smallBuckets = prometheus.Options{
	ConstLabels:        promclient.Labels{"queue": "duel"},
	TicketWaitBuckets:  []float64{1, 5, 10},
	SkillSpreadBuckets: []float64{50, 150, 500},
}

func TestCollectorMeasuresMatchesAndRejections(t *testing.T) {
	r := newRig(t, matchmaker.Config{}, smallBuckets)
	r.tick(0) // the host's first tick sets the time the requests below are dated at
	r.start("ann", 1000)
	r.start("bob", 1100)
	r.start("far", 5000)
	r.start("farther", 9000)
	r.tick(4) // ann and bob match after 4 s; far and farther are too far from anyone
	r.start("cat", 2000)
	r.start("dan", 2500)
	r.tick(10) // cat and dan (500 apart) do not match either

	expected := `
# HELP matchmaker_ticks_total Matchmaking ticks run.
# TYPE matchmaker_ticks_total counter
matchmaker_ticks_total{queue="duel"} 3
# HELP matchmaker_matches_total Matches formed, backfill matches included.
# TYPE matchmaker_matches_total counter
matchmaker_matches_total{queue="duel"} 1
# HELP matchmaker_tickets Active tickets by status after the last tick; SEARCHING includes backfill tickets.
# TYPE matchmaker_tickets gauge
matchmaker_tickets{queue="duel",status="PLACING"} 0
matchmaker_tickets{queue="duel",status="QUEUED"} 0
matchmaker_tickets{queue="duel",status="REQUIRES_ACCEPTANCE"} 0
matchmaker_tickets{queue="duel",status="SEARCHING"} 4
# HELP matchmaker_ticket_wait_seconds How long each matchmaking ticket had waited when it was matched.
# TYPE matchmaker_ticket_wait_seconds histogram
matchmaker_ticket_wait_seconds_bucket{queue="duel",le="1"} 0
matchmaker_ticket_wait_seconds_bucket{queue="duel",le="5"} 2
matchmaker_ticket_wait_seconds_bucket{queue="duel",le="10"} 2
matchmaker_ticket_wait_seconds_bucket{queue="duel",le="+Inf"} 2
matchmaker_ticket_wait_seconds_sum{queue="duel"} 8
matchmaker_ticket_wait_seconds_count{queue="duel"} 2
# HELP matchmaker_match_skill_spread Highest minus lowest player value of the pool's ordering attribute, per match.
# TYPE matchmaker_match_skill_spread histogram
matchmaker_match_skill_spread_bucket{queue="duel",le="50"} 0
matchmaker_match_skill_spread_bucket{queue="duel",le="150"} 1
matchmaker_match_skill_spread_bucket{queue="duel",le="500"} 1
matchmaker_match_skill_spread_bucket{queue="duel",le="+Inf"} 1
matchmaker_match_skill_spread_sum{queue="duel"} 100
matchmaker_match_skill_spread_count{queue="duel"} 1
`
	require.NoError(t, testutil.GatherAndCompare(r.reg, strings.NewReader(expected),
		"matchmaker_ticks_total", "matchmaker_matches_total", "matchmaker_tickets",
		"matchmaker_ticket_wait_seconds", "matchmaker_match_skill_spread"))

	// How many rejections and anchors a tick counts is the engine's business; the Collector's is
	// to add up every report.
	var rejected, anchors int
	for _, rep := range r.log.reports {
		rejected += rep.Rejections["FairSkill"]
		anchors += rep.AnchorsSearched
	}
	assert.Positive(t, rejected)
	assert.Equal(t, float64(rejected), testutil.ToFloat64(r.c.RejectionsCounter("FairSkill")))
	assert.Equal(t, 1, testutil.CollectAndCount(r.c, "matchmaker_rule_rejections_total"),
		"only FairSkill has rejected")

	searched := r.histogram("matchmaker_anchors_searched")
	assert.Equal(t, uint64(3), searched.GetSampleCount())
	assert.Equal(t, float64(anchors), searched.GetSampleSum())
	assert.Equal(t, uint64(3), r.histogram("matchmaker_tick_duration_seconds").GetSampleCount())
}

func TestCollectorTicketsFollowAcceptance(t *testing.T) {
	r := newRig(t, matchmaker.Config{AcceptanceRequired: true}, prometheus.Options{})
	r.tick(0)
	r.start("ann", 1000)
	r.start("bob", 1100)
	r.start("eve", 3000)
	r.tick(1)
	assertTickets(t, r.c, map[matchmaker.TicketStatus]int{
		matchmaker.StatusRequiresAcceptance: 2, matchmaker.StatusSearching: 1})

	for _, id := range []string{"ann", "bob"} {
		require.NoError(t, r.m.AcceptMatch(matchmaker.AcceptMatchInput{
			TicketID: id, PlayerIDs: []string{"p-" + id}, AcceptanceType: matchmaker.Accept}))
	}
	r.tick(2)
	// The match completed: its status is back to 0, not left at its last count.
	assertTickets(t, r.c, map[matchmaker.TicketStatus]int{matchmaker.StatusSearching: 1})
	assert.Equal(t, 1.0, testutil.ToFloat64(r.c.MatchesCounter()))
}

// assertTickets checks every active status's gauge; statuses want leaves out are 0.
func assertTickets(t *testing.T, c *prometheus.Collector, want map[matchmaker.TicketStatus]int) {
	t.Helper()
	for _, s := range []matchmaker.TicketStatus{matchmaker.StatusQueued, matchmaker.StatusSearching,
		matchmaker.StatusRequiresAcceptance, matchmaker.StatusPlacing} {
		assert.Equal(t, float64(want[s]), testutil.ToFloat64(c.TicketsGauge(s)), "tickets{status=%q}", s)
	}
}

func TestCollectorMetricsPassLint(t *testing.T) {
	fresh := prometheus.New(prometheus.Options{})
	problems, err := testutil.CollectAndLint(fresh)
	require.NoError(t, err)
	assert.Empty(t, problems, "before any tick")

	r := newRig(t, matchmaker.Config{}, prometheus.Options{})
	r.tick(0)
	r.start("ann", 1000)
	r.start("bob", 1100)
	r.start("far", 5000)
	r.start("farther", 9000)
	r.tick(3)
	require.Positive(t, testutil.CollectAndCount(r.c, "matchmaker_rule_rejections_total"))
	problems, err = testutil.CollectAndLint(r.c)
	require.NoError(t, err)
	assert.Empty(t, problems, "after matches and rejections")
}

func TestRuleSetOptionExportsEveryRuleFromTheStart(t *testing.T) {
	rs := matchmaker.MustParseRuleSet([]byte(duelRules))
	c := prometheus.New(prometheus.Options{RuleSet: rs})
	require.NoError(t, testutil.CollectAndCompare(c, strings.NewReader(`
# HELP matchmaker_rule_rejections_total How often each rule rejected a ticket.
# TYPE matchmaker_rule_rejections_total counter
matchmaker_rule_rejections_total{rule="FairSkill"} 0
`), "matchmaker_rule_rejections_total"))
}

func TestRuleLabelsAreBounded(t *testing.T) {
	c := prometheus.New(prometheus.Options{})
	rejections := map[string]int{}
	for i := range prometheus.MaxRuleLabels + 44 {
		rejections[fmt.Sprintf("rule-%03d", i)] = 1
	}
	c.ObserveTick(matchmaker.TickReport{Rejections: rejections})
	c.ObserveTick(matchmaker.TickReport{Rejections: rejections})

	assert.Equal(t, prometheus.MaxRuleLabels+1, testutil.CollectAndCount(c, "matchmaker_rule_rejections_total"))
	assert.Equal(t, 2.0*44, testutil.ToFloat64(c.RejectionsCounter(prometheus.OtherRule)))
	// Every rejection is counted once: under its rule's own series, or under OtherRule.
	reg := promclient.NewPedanticRegistry()
	require.NoError(t, reg.Register(c))
	families, err := reg.Gather()
	require.NoError(t, err)
	var total float64
	for _, f := range families {
		if f.GetName() != "matchmaker_rule_rejections_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			if rule := m.GetLabel()[0].GetValue(); rule != prometheus.OtherRule {
				assert.Equal(t, 2.0, m.GetCounter().GetValue(), "rule %s", rule)
			}
			total += m.GetCounter().GetValue()
		}
	}
	assert.Equal(t, 2.0*float64(len(rejections)), total)
}

func TestCollectorOptions(t *testing.T) {
	c := prometheus.New(prometheus.Options{Namespace: "mm"})
	c.ObserveTick(matchmaker.TickReport{Duration: time.Millisecond})
	assert.Equal(t, 1, testutil.CollectAndCount(c, "mm_ticks_total"))
	assert.Equal(t, 0, testutil.CollectAndCount(c, "matchmaker_ticks_total"))
	assert.Equal(t, len(prometheus.DefaultTickDurationBuckets), len(histogramOf(t, c, "mm_tick_duration_seconds").GetBucket()))
}

func histogramOf(t *testing.T, c promclient.Collector, name string) *dto.Histogram {
	t.Helper()
	reg := promclient.NewPedanticRegistry()
	require.NoError(t, reg.Register(c))
	families, err := reg.Gather()
	require.NoError(t, err)
	for _, f := range families {
		if f.GetName() == name {
			return f.GetMetric()[0].GetHistogram()
		}
	}
	t.Fatalf("no metric %s", name)
	return nil
}

func TestCollectorsOfSeveralQueuesShareARegistry(t *testing.T) {
	reg := promclient.NewPedanticRegistry()
	for _, q := range []string{"ranked", "casual"} {
		require.NoError(t, reg.Register(prometheus.New(prometheus.Options{ConstLabels: promclient.Labels{"queue": q}})))
	}
	families, err := reg.Gather()
	require.NoError(t, err)
	for _, f := range families {
		if f.GetName() == "matchmaker_ticks_total" {
			assert.Len(t, f.GetMetric(), 2)
		}
	}
}

// TestCollectorIsSafeForConcurrentUse ticks a Matchmaker in one goroutine while another
// scrapes; go test -race checks it.
func TestCollectorIsSafeForConcurrentUse(t *testing.T) {
	r := newRig(t, matchmaker.Config{}, prometheus.Options{})
	r.tick(0)
	var wg sync.WaitGroup
	wg.Go(func() { // the ticking goroutine must not call t.FailNow: assert, not require
		for i := range 200 {
			_, err := r.m.StartMatchmaking(matchmaker.StartMatchmakingInput{Players: []matchmaker.Player{{
				PlayerID: fmt.Sprintf("p%d", i), Attributes: matchmaker.Attributes{"skill": matchmaker.NumberValue(1000 + float64(i%7)*150)}}}})
			assert.NoError(t, err)
			assert.NoError(t, r.m.Tick(t0.Add(time.Duration(i+1)*time.Second)))
		}
	})
	for range 50 {
		_, err := r.reg.Gather()
		require.NoError(t, err)
	}
	wg.Wait()
	assert.Equal(t, 201.0, testutil.ToFloat64(r.c.TicksCounter()))
}

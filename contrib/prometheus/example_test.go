package prometheus_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"time"

	promclient "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/seed-04d22514/matchmaker"
	"github.com/seed-04d22514/matchmaker/contrib/prometheus"
)

// Wire a Collector between a Matchmaker and a registry, and serve the registry on /metrics.
// The example ticks by hand and reads /metrics through a recorder; a program would call
// go m.Run(ctx) and http.ListenAndServe.
func Example() {
	rs := matchmaker.MustParseRuleSet([]byte(duelRules))
	c := prometheus.New(prometheus.Options{ConstLabels: promclient.Labels{"queue": "duel"}, RuleSet: rs})
	m, err := matchmaker.New(matchmaker.Config{RuleSet: rs}, matchmaker.WithObserver(c))
	if err != nil {
		panic(err)
	}
	defer m.Close()
	registry := promclient.NewRegistry()
	registry.MustRegister(c)
	handler := promhttp.HandlerFor(registry, promhttp.HandlerOpts{})

	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m.Tick(start)
	for _, p := range []struct {
		id    string
		skill float64
	}{{"ann", 1000}, {"bob", 1100}, {"eve", 3000}} {
		m.StartMatchmaking(matchmaker.StartMatchmakingInput{TicketID: p.id, Players: []matchmaker.Player{
			{PlayerID: p.id, Attributes: matchmaker.Attributes{"skill": matchmaker.NumberValue(p.skill)}}}})
	}
	m.Tick(start.Add(5 * time.Second))

	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for line := range strings.Lines(rec.Body.String()) {
		for _, name := range []string{"matchmaker_matches_total", "matchmaker_tickets{",
			"matchmaker_ticket_wait_seconds_sum", "matchmaker_ticket_wait_seconds_count"} {
			if strings.HasPrefix(line, name) {
				fmt.Print(line)
			}
		}
	}
	// Output:
	// matchmaker_matches_total{queue="duel"} 1
	// matchmaker_ticket_wait_seconds_sum{queue="duel"} 10
	// matchmaker_ticket_wait_seconds_count{queue="duel"} 2
	// matchmaker_tickets{queue="duel",status="PLACING"} 0
	// matchmaker_tickets{queue="duel",status="QUEUED"} 0
	// matchmaker_tickets{queue="duel",status="REQUIRES_ACCEPTANCE"} 0
	// matchmaker_tickets{queue="duel",status="SEARCHING"} 1
}

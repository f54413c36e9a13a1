package prometheus

// This file exposes single metrics to the tests, for testutil.ToFloat64.

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/seed-04d22514/matchmaker"
)

func (c *Collector) TicksCounter() prometheus.Counter   { return c.ticks }
func (c *Collector) MatchesCounter() prometheus.Counter { return c.matches }

func (c *Collector) TicketsGauge(s matchmaker.TicketStatus) prometheus.Gauge {
	return c.tickets.WithLabelValues(string(s))
}

func (c *Collector) RejectionsCounter(rule string) prometheus.Counter {
	return c.rejections.WithLabelValues(rule)
}

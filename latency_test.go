package matchmaker

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

func regionsN(n int) Latencies {
	l := make(Latencies, n)
	for i := range n {
		l[fmt.Sprintf("region-%02d", i)] = 10 + i
	}
	return l
}

func TestLatenciesValidate(t *testing.T) {
	tests := []struct {
		name string
		l    Latencies
		want []string
	}{
		{name: "nil", l: nil},
		{name: "typical", l: Latencies{"us-east-1": 20, "eu-west-1": 95}},
		{name: "64 regions", l: regionsN(64)},
		{name: "65 regions", l: regionsN(65), want: []string{"p.LatencyInMs: at most 64 regions are allowed; got 65"}},
		{name: "name of 1", l: Latencies{"x": 1}},
		{name: "name of 128 runes", l: Latencies{runes(128): 1}},
		{
			name: "name of 129 runes",
			l:    Latencies{runes(129): 1},
			want: []string{"p.LatencyInMs." + runes(129) + ": region name must be 1 to 128 characters; got 129"},
		},
		{
			name: "empty name",
			l:    Latencies{"": 1},
			want: []string{`p.LatencyInMs[""]: region name must be 1 to 128 characters; got 0`},
		},
		{name: "1 ms", l: Latencies{"r": 1}},
		{name: "600000 ms", l: Latencies{"r": 600_000}},
		{name: "0 ms", l: Latencies{"r": 0}, want: []string{"p.LatencyInMs.r: latency must be 1 to 600000 ms; got 0"}},
		{name: "negative", l: Latencies{"r": -5}, want: []string{"p.LatencyInMs.r: latency must be 1 to 600000 ms; got -5"}},
		{name: "600001 ms", l: Latencies{"r": 600_001}, want: []string{"p.LatencyInMs.r: latency must be 1 to 600000 ms; got 600001"}},
		{
			name: "problems in region order",
			l:    Latencies{"us-west-2": 0, "ap-south-1": 700_000, "eu-west-1": 40, "": 0},
			want: []string{
				`p.LatencyInMs[""]: region name must be 1 to 128 characters; got 0`,
				`p.LatencyInMs[""]: latency must be 1 to 600000 ms; got 0`,
				"p.LatencyInMs.ap-south-1: latency must be 1 to 600000 ms; got 700000",
				"p.LatencyInMs.us-west-2: latency must be 1 to 600000 ms; got 0",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := collect(func(p *problems) { tt.l.validate("p.LatencyInMs", p) })
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestLatenciesBest(t *testing.T) {
	tests := []struct {
		name   string
		l      Latencies
		region string
		ms     int
		ok     bool
	}{
		{name: "nil", l: nil},
		{name: "empty", l: Latencies{}},
		{name: "one", l: Latencies{"eu-west-1": 95}, region: "eu-west-1", ms: 95, ok: true},
		{name: "lowest wins", l: Latencies{"eu-west-1": 95, "us-east-1": 20, "ap-south-1": 180}, region: "us-east-1", ms: 20, ok: true},
		{name: "tie by name", l: Latencies{"us-west-2": 30, "eu-west-1": 30, "us-east-1": 30, "sa-east-1": 31}, region: "eu-west-1", ms: 30, ok: true},
		{name: "lowest beats earlier name", l: Latencies{"a": 50, "z": 49}, region: "z", ms: 49, ok: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Map order varies between runs; repeat so a tie-break bug cannot pass by luck.
			for range 20 {
				region, ms, ok := tt.l.Best()
				assert.Equal(t, tt.region, region)
				assert.Equal(t, tt.ms, ms)
				assert.Equal(t, tt.ok, ok)
			}
		})
	}
}

func TestLatenciesValidateManyRegionsListsEachProblem(t *testing.T) {
	l := regionsN(65)
	l["bad"] = 0
	got := collect(func(p *problems) { l.validate("x", p) })
	assert.Equal(t, []string{
		"x: at most 64 regions are allowed; got 66",
		"x.bad: latency must be 1 to 600000 ms; got 0",
	}, got)
}

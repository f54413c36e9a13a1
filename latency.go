package matchmaker

// This file holds player latencies: round-trip times by region, their limits, and the choice of a
// player's best region.

// Limits on a player's latencies. FlexMatch requires a region name of at least one character and
// a latency of at least 1 ms (spec §k.1); it documents no upper bounds. The maximum region-name
// length, the maximum latency and the maximum number of regions are this library's, chosen to
// keep hostile input small while leaving room for every real deployment.
const (
	maxRegionNameLen = 128     // characters in a region name
	maxLatencyMs     = 600_000 // ten minutes; no real round trip takes longer
	maxRegions       = 64      // regions per player
)

// Latencies holds a player's round-trip latency in milliseconds by region name, as FlexMatch's
// LatencyInMs, for example {"us-east-1": 20, "eu-west-1": 95}.
type Latencies map[string]int

// validate adds a problem for each limit that l breaks; path locates l and each region's path is
// path.region. Regions are checked in name order. FlexMatch documents no limit on the number of
// regions; the bound of maxRegions is this library's, as are the upper bounds on name length and
// latency.
func (l Latencies) validate(path string, p *problems) {
	validateNamed(l, path, "region", maxRegions, maxRegionNameLen, p, validateLatency)
}

func validateLatency(ms int, path string, p *problems) {
	if ms < 1 || ms > maxLatencyMs {
		p.add(path, "latency must be 1 to %d ms; got %d", maxLatencyMs, ms)
	}
}

// Best returns the region with the lowest latency, and that latency. Of regions with equal
// latency it returns the one whose name sorts first. ok is false when l is empty.
func (l Latencies) Best() (region string, ms int, ok bool) {
	for r, m := range l {
		if !ok || m < ms || (m == ms && r < region) {
			region, ms, ok = r, m, true
		}
	}
	return region, ms, ok
}

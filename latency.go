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

// regions interns the region names of the latencies the Matchmaker holds, so that latency
// lookups compare integers. A name lives while some ticket or game-session roster holds a
// player with a latency to it: tickets retain their players' names from admission until they
// are forgotten, sessions their roster's until they are. So the bound, maxTrackedRegions, is on
// the names in use, and names nobody uses any more are released for others.
type regions struct {
	byName map[string]int32
	names  []string // by id; "" for a free id
	refs   []int32  // holders of each id
	free   []int32  // ids to reuse
	fresh  []int32  // ids interned by the current request, released at its end if unheld
}

// maxTrackedRegions bounds the distinct region names in use at once.
const maxTrackedRegions = 4096

// intern returns the id of a region name, adding it if fewer than maxTrackedRegions are in use.
// A new name is released at the end of the request unless a ticket or session retains it.
func (r *regions) intern(name string) (int32, bool) {
	if id, ok := r.byName[name]; ok {
		return id, true
	}
	if len(r.byName) >= maxTrackedRegions {
		return 0, false
	}
	if r.byName == nil {
		r.byName = map[string]int32{}
	}
	var id int32
	if n := len(r.free); n > 0 {
		id, r.free = r.free[n-1], r.free[:n-1]
		r.names[id] = name
	} else {
		id = int32(len(r.names))
		r.names = append(r.names, name)
		r.refs = append(r.refs, 0)
	}
	r.byName[name] = id
	r.fresh = append(r.fresh, id)
	return id, true
}

// retain and release count the players whose latencies name each region.
func (r *regions) retain(ps []player) { r.count(ps, 1) }

func (r *regions) release(ps []player) { r.count(ps, -1) }

func (r *regions) count(ps []player, d int32) {
	for i := range ps {
		for _, l := range ps[i].Lat {
			r.refs[l.Region] += d
			if r.refs[l.Region] == 0 {
				r.drop(l.Region)
			}
		}
	}
}

// endRequest releases the names a request interned that nothing retained: the names of a
// refused request, so bad input changes nothing.
func (r *regions) endRequest() {
	for _, id := range r.fresh {
		if r.refs[id] == 0 && r.names[id] != "" {
			r.drop(id)
		}
	}
	r.fresh = r.fresh[:0]
}

func (r *regions) drop(id int32) {
	delete(r.byName, r.names[id])
	r.names[id] = ""
	r.free = append(r.free, id)
}

// inUse reports how many region names are in use.
func (r *regions) inUse() int { return len(r.byName) }

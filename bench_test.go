package matchmaker

// Benchmarks for the performance targets of DESIGN.md §8. Run:
//
//	go test -run '^$' -bench . -benchmem -count 5 .
//
// (README.md's "Performance" section lists the command behind each figure.) The tick
// benchmarks time Tick alone, over a state that every iteration finds the same: a resident pool
// with arrivals, departures and expansion crossings every tick, backfills whose rosters keep
// changing, or a freshly filled pool. Besides time per tick they report the 99th percentile
// tick (p99-ms) and the pool positions searched per tick (anchors/tick), so a benchmark that
// drifts into idle ticks shows it. BenchmarkBaselineSortKeys sorts as many float64 keys as the
// pool holds, in the same run, so the figures can be read as ratios on any machine.

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"testing"
	"time"
)

var benchSizes = []int{1_000, 10_000, 100_000}

// benchLarge adds the 1,000,000-player pools to BenchmarkTickResident. They take minutes per
// tick for 5v5 and about 1.3 GB, beyond go test's default 10-minute timeout at -benchtime 10x.
var benchLarge = flag.Bool("large", false, "include BenchmarkTickResident's 1,000,000-player pools (use -timeout 60m)")

func loadBenchRuleSet(b *testing.B, name string) *RuleSet {
	data, err := os.ReadFile("testdata/rulesets/" + name)
	if err != nil {
		b.Fatal(err)
	}
	return MustParseRuleSet(data)
}

var regionNames = []string{"us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-northeast-1", "ap-southeast-2", "sa-east-1", "ap-south-1"}

// population generates players: skill ~ N(1500, 300); for 5v5, roles, parties of 1/2/3/5
// (weights 70/20/7/3) and latencies to 8 regions (log-normal, 20 to 250 ms).
type population struct {
	r      *rand.Rand
	next   int
	with5  bool
	single bool
}

func (p *population) ticket() StartMatchmakingInput {
	size := 1
	if p.with5 && !p.single {
		switch x := p.r.IntN(100); {
		case x >= 97:
			size = 5
		case x >= 90:
			size = 3
		case x >= 70:
			size = 2
		}
	}
	in := StartMatchmakingInput{TicketID: fmt.Sprintf("t%d", p.next)}
	base := 1500 + 300*p.r.NormFloat64()
	for i := range size {
		p.next++
		pl := Player{PlayerID: fmt.Sprintf("p%d", p.next), Attributes: Attributes{"skill": NumberValue(base + 50*p.r.NormFloat64()*float64(min(i, 1)))}}
		if p.with5 {
			roles := []string{"dps", "tank", "support", "flex"}
			pl.Attributes["roles"] = StringListValue(roles[p.r.IntN(4)])
			pl.LatencyInMs = Latencies{}
			for _, reg := range regionNames {
				pl.LatencyInMs[reg] = int(min(250, max(20, math.Exp(4+0.6*p.r.NormFloat64()))))
			}
		}
		in.Players = append(in.Players, pl)
	}
	p.next++
	return in
}

func filledMatchmaker(b *testing.B, rs *RuleSet, n int, with5 bool, opts ...Option) (*Matchmaker, *fakeClock) {
	clock := &fakeClock{now: t0}
	m, err := New(Config{RuleSet: rs}, append([]Option{WithClock(clock), WithRandom(rand.NewChaCha8([32]byte{9}))}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	pop := &population{r: rand.New(rand.NewPCG(1, 2)), with5: with5}
	for players := 0; players < n; {
		in := pop.ticket()
		if _, err := m.StartMatchmaking(in); err != nil {
			b.Fatal(err)
		}
		players += len(in.Players)
	}
	return m, clock
}

// BenchmarkTick measures one tick over a freshly filled pool of N waiting players: the first
// tick, where most of the pool matches. Reported: matches formed and players left waiting.
func BenchmarkTick(b *testing.B) {
	for _, rsName := range []string{"bench-1v1.json", "bench-5v5.json"} {
		rs := loadBenchRuleSet(b, rsName)
		for _, n := range benchSizes {
			b.Run(fmt.Sprintf("%s/N=%d", rsName[6:len(rsName)-5], n), func(b *testing.B) {
				var matches, left uint64
				for b.Loop() {
					b.StopTimer()
					m, clock := filledMatchmaker(b, rs, n, rsName == "bench-5v5.json")
					runtime.GC()
					b.StartTimer()
					m.Tick(clock.now)
					b.StopTimer()
					st := m.Stats()
					matches, left = st.Matches, uint64(st.Waiting)
					b.StartTimer()
				}
				b.ReportMetric(float64(matches), "matches/tick")
				b.ReportMetric(float64(left), "waiting-after")
			})
		}
	}
}

// BenchmarkTickImprovements measures what the search's two improvements of small matches
// cost: balanceSmall (teams) and repairPairings (who plays whom). BenchmarkTick's first tick,
// with neither (search-only) and with both (improved), in one run so the two read as a ratio.
// Reported besides time: the mean skill spread of the tick's matches and the mean difference
// between their teams' average skill.
func BenchmarkTickImprovements(b *testing.B) {
	for _, rsName := range []string{"bench-1v1.json", "bench-5v5.json"} {
		rs := loadBenchRuleSet(b, rsName)
		for _, n := range benchSizes[1:] {
			for _, improved := range []bool{false, true} {
				name := map[bool]string{false: "search-only", true: "improved"}[improved]
				b.Run(fmt.Sprintf("%s/N=%d/%s", rsName[6:len(rsName)-5], n, name), func(b *testing.B) {
					var spread, diff float64
					for b.Loop() {
						b.StopTimer()
						m, clock := filledMatchmaker(b, rs, n, rsName == "bench-5v5.json",
							func(o *options) { o.fillOrderTeams, o.noRepair = !improved, !improved })
						sub, err := m.Subscribe()
						if err != nil {
							b.Fatal(err)
						}
						runtime.GC()
						b.StartTimer()
						m.Tick(clock.now)
						b.StopTimer()
						spread, diff = matchFigures(m, sub)
						b.StartTimer()
					}
					b.ReportMetric(spread, "spread")
					b.ReportMetric(diff, "team-diff")
				})
			}
		}
	}
}

// matchFigures reads the matches in sub and returns the means, over them, of the skill spread
// and of the difference between the highest and lowest team average skill.
func matchFigures(m *Matchmaker, sub *Subscription) (spread, diff float64) {
	skill := map[string]float64{}
	m.mu.Lock()
	slot := m.rs.OrderSlot()
	for _, t := range m.tickets {
		for _, p := range t.players {
			skill[p.ID] = p.Nums[slot]
		}
	}
	m.mu.Unlock()
	n := 0
	for e, ok := sub.TryNext(); ok; e, ok = sub.TryNext() {
		s, ok := e.(*MatchmakingSucceeded)
		if !ok {
			continue
		}
		teams := map[string][]float64{}
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, t := range s.Tickets {
			for _, p := range t.Players {
				teams[p.Team] = append(teams[p.Team], skill[p.PlayerID])
				lo, hi = min(lo, skill[p.PlayerID]), max(hi, skill[p.PlayerID])
			}
		}
		spread += hi - lo
		lo, hi = math.Inf(1), math.Inf(-1)
		for _, vs := range teams {
			avg := 0.0
			for _, v := range vs {
				avg += v / float64(len(vs))
			}
			lo, hi = min(lo, avg), max(hi, avg)
		}
		diff += hi - lo
		n++
	}
	return spread / float64(max(n, 1)), diff / float64(max(n, 1))
}

// BenchmarkTickResident measures the steady cost of a tick over a live pool of N waiting
// players who cannot match each other (each at a skill of its own, 400 apart, beyond every
// expansion), so the pool keeps its size. Between two ticks, 1 s apart, the players admitted
// longest ago (1% of N, after waiting 100 s) stop matchmaking and as many arrive, each at a free
// skill position drawn at random, so arrivals and departures are spread over the pool order.
// Ages are spread evenly over the 100 s, so the same share of the pool crosses each expansion
// step every tick (1% a step: 3% for 1v1, whose steps are at 5, 10 and 20 s; 2% for 5v5, at 15
// and 20 s) for as long as the benchmark runs. Only Tick is timed. For 5v5 the players carry
// roles, latencies to 8 regions and parties of 1, 2, 3 and 5.
func BenchmarkTickResident(b *testing.B) {
	for _, rsName := range []string{"bench-1v1.json", "bench-5v5.json"} {
		rs := loadBenchRuleSet(b, rsName)
		for _, n := range append(benchSizes, 1_000_000) {
			b.Run(fmt.Sprintf("%s/N=%d", rsName[6:len(rsName)-5], n), func(b *testing.B) {
				if n >= 1_000_000 && !*benchLarge {
					b.Skip("1,000,000 players: pass -large (and -timeout 60m)")
				}
				r := newResident(b, rs, n, rsName == "bench-5v5.json")
				measureTicks(b, r.m, r.clock, func() { r.churn(b) })
				if st := r.m.Stats(); st.Matches != 0 || st.TimedOut != 0 || st.Waiting != len(r.queue)-r.head || r.players < n {
					b.Fatalf("pool changed: %+v, %d players", st, r.players)
				}
			})
		}
	}
}

const (
	residentLifetime = 100 * time.Second // how long a resident player waits before leaving
	residentSpacing  = 400               // skill between two resident players: no rule reaches it
)

// resident drives a pool of n waiting players in the steady state BenchmarkTickResident
// describes.
type resident struct {
	m       *Matchmaker
	clock   *fakeClock
	pop     *population
	rnd     *rand.Rand
	n       int              // players kept waiting
	players int              // players waiting now
	free    []int32          // unused skill positions
	queue   []residentTicket // waiting tickets, oldest first, from head on
	head    int
}

type residentTicket struct {
	id    string
	slots []int32 // its players' skill positions
}

// newResident fills the pool with n players admitted over the last residentLifetime and ticks
// once (every ticket is new, so every anchor searches): from then on, with the arrivals and
// departures of churn, every tick does the same work. Ended tickets are forgotten at the next
// tick (WithTicketRetention(0)), so they do not pile up over a long run.
func newResident(b *testing.B, rs *RuleSet, n int, with5 bool) *resident {
	clock := &fakeClock{now: t0}
	m, err := New(Config{RuleSet: rs, RequestTimeout: 2 * residentLifetime}, WithClock(clock),
		WithRandom(rand.NewChaCha8([32]byte{9})), WithTicketRetention(0))
	if err != nil {
		b.Fatal(err)
	}
	r := &resident{m: m, clock: clock, pop: &population{r: rand.New(rand.NewPCG(1, 2)), with5: with5},
		rnd: rand.New(rand.NewPCG(3, 4)), n: n, free: make([]int32, 2*n+8)}
	for i := range r.free {
		r.free[i] = int32(i)
	}
	for r.players < n {
		clock.now = t0.Add(time.Duration(r.players) * residentLifetime / time.Duration(n))
		r.arrive(b)
	}
	if err := m.Tick(clock.now); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	return r
}

// arrive admits one ticket, its players at free skill positions drawn at random.
func (r *resident) arrive(b *testing.B) {
	in := r.pop.ticket()
	t := residentTicket{id: in.TicketID}
	for j := range in.Players {
		k := r.rnd.IntN(len(r.free))
		slot := r.free[k]
		r.free[k] = r.free[len(r.free)-1]
		r.free = r.free[:len(r.free)-1]
		in.Players[j].Attributes["skill"] = NumberValue(float64(slot) * residentSpacing)
		t.slots = append(t.slots, slot)
	}
	if _, err := r.m.StartMatchmaking(in); err != nil {
		b.Fatal(err)
	}
	r.queue = append(r.queue, t)
	r.players += len(in.Players)
}

// churn makes the requests between the last tick and the next, 1 s later: the oldest tickets
// (1% of n players) stop matchmaking, then new tickets arrive, spread over the second, until n
// players wait again.
func (r *resident) churn(b *testing.B) {
	last := r.clock.now
	k := max(1, r.n/100)
	for gone := 0; gone < k; {
		t := r.queue[r.head]
		r.queue[r.head] = residentTicket{}
		r.head++
		if err := r.m.StopMatchmaking(t.id); err != nil {
			b.Fatal(err)
		}
		r.free = append(r.free, t.slots...)
		r.players -= len(t.slots)
		gone += len(t.slots)
	}
	if r.head > len(r.queue)/2 {
		live := copy(r.queue, r.queue[r.head:])
		clear(r.queue[live:])
		r.queue, r.head = r.queue[:live], 0
	}
	for j := 1; r.players < r.n; j++ {
		r.clock.now = last.Add(time.Duration(j) * time.Second / time.Duration(k+8))
		r.arrive(b)
	}
	r.clock.now = last.Add(time.Second)
}

// measureTicks times Tick alone, once per iteration, each after change has run with the timer
// stopped. Besides the mean it reports the 99th percentile tick and the anchors searched per
// tick (pool positions near a change), which shows that the ticks measured do work.
func measureTicks(b *testing.B, m *Matchmaker, clock *fakeClock, change func()) {
	var took []time.Duration
	var last time.Duration
	anchors, ticks := 0, 0
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		if ticks > 0 { // the previous tick's figures, recorded with the timer stopped
			took = append(took, last)
			anchors += searchedAnchors(m)
		}
		change()
		b.StartTimer()
		start := time.Now()
		if err := m.Tick(clock.now); err != nil {
			b.Fatal(err)
		}
		last = time.Since(start)
		ticks++
	}
	took = append(took, last)
	anchors += searchedAnchors(m)
	slices.Sort(took)
	b.ReportMetric(float64(took[(len(took)*99+99)/100-1])/1e6, "p99-ms")
	b.ReportMetric(float64(anchors)/float64(len(took)), "anchors/tick")
}

// searchedAnchors returns how many pool positions the last tick searched from.
func searchedAnchors(m *Matchmaker) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.pool.anchors)
}

// BenchmarkBackfillPass: 10,000 open backfills (world servers of 20 players with 1 to 19
// residents) over a resident pool of 100,000 tickets that match none of them; pool tickets are
// 2,000 apart and need a partner within 10, so they cannot match each other either. Between two
// ticks a set of worlds sees a guest join (AddPlayers) or, at its next turn, leave
// (RemovePlayers), so their backfills, and the anchors within reach of them, are searched again:
// 500 worlds a tick (5%, the roster churn of perf-reliability S4), taken in turn from a fixed
// random permutation so they are spread over the pool order, or all 10,000, so that every
// backfill is searched every tick (the pass DESIGN.md §8 bounds at 10 ms). Only Tick is timed.
func BenchmarkBackfillPass(b *testing.B) {
	const worlds = 10_000
	for _, changed := range []int{worlds / 20, worlds} {
		b.Run(fmt.Sprintf("changed=%d", changed), func(b *testing.B) {
			m, clock := backfillWorlds(b, worlds)
			guest := make([]bool, worlds)
			turn, next := rand.New(rand.NewPCG(5, 6)).Perm(worlds), 0
			measureTicks(b, m, clock, func() {
				clock.now = clock.now.Add(time.Second)
				for range changed {
					w := turn[next]
					next = (next + 1) % worlds
					arn, id := fmt.Sprintf("world-%d", w), fmt.Sprintf("w%d-guest", w)
					var err error
					if guest[w] {
						err = m.RemovePlayers(arn, id)
					} else {
						err = m.AddPlayers(arn, Player{PlayerID: id, Team: "world", Attributes: num("skill", worldSkill(w))})
					}
					if err != nil {
						b.Fatal(err)
					}
					guest[w] = !guest[w]
				}
			})
			if st := m.Stats(); st.Backfills != worlds || st.Matches != 0 || st.Waiting != worlds+100_000 {
				b.Fatalf("unexpected state: %+v", st)
			}
		})
	}
}

// worldSkill is the skill of world w's players. Pool tickets sit at odd multiples of 1000, so
// at least 1000 away from every world.
func worldSkill(w int) float64 { return float64(2*w) * 1000 * 10 }

// backfillWorlds returns a Matchmaker, ticked once, holding 100,000 waiting tickets and an open
// backfill for each of the worlds.
func backfillWorlds(b *testing.B, worlds int) (*Matchmaker, *fakeClock) {
	data := []byte(`{"ruleLanguageVersion": "1.0",
		"playerAttributes": [{"name": "skill", "type": "number", "default": 0}],
		"algorithm": {"backfillPriority": "high"},
		"teams": [{"name": "world", "minPlayers": 2, "maxPlayers": 20}],
		"rules": [{"name": "Near", "type": "batchDistance", "batchAttribute": "skill", "maxDistance": 10}]}`)
	rs := MustParseRuleSet(data)
	clock := &fakeClock{now: t0}
	m, err := New(Config{RuleSet: rs}, WithClock(clock), WithRandom(rand.NewChaCha8([32]byte{9})))
	if err != nil {
		b.Fatal(err)
	}
	for i := range 100_000 {
		_, err := m.StartMatchmaking(StartMatchmakingInput{TicketID: fmt.Sprintf("t%d", i),
			Players: []Player{{PlayerID: fmt.Sprintf("p%d", i), Attributes: num("skill", float64(2*i+1)*1000)}}})
		if err != nil {
			b.Fatal(err)
		}
	}
	for w := range worlds {
		var roster []Player
		for r := range 1 + w%19 {
			roster = append(roster, Player{PlayerID: fmt.Sprintf("w%d-%d", w, r), Team: "world", Attributes: num("skill", worldSkill(w))})
		}
		if _, err := m.StartMatchBackfill(StartMatchBackfillInput{GameSessionArn: fmt.Sprintf("world-%d", w), Players: roster}); err != nil {
			b.Fatal(err)
		}
	}
	if err := m.Tick(clock.now); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	return m, clock
}

// BenchmarkBaselineSortKeys sorts N float64 keys: the yardstick for the tick figures.
func BenchmarkBaselineSortKeys(b *testing.B) {
	for _, n := range append(benchSizes, 1_000_000) {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 2))
			keys := make([]float64, n)
			for i := range keys {
				keys[i] = r.NormFloat64()
			}
			work := make([]float64, n)
			for b.Loop() {
				copy(work, keys)
				slices.Sort(work)
			}
		})
	}
}

// BenchmarkMemoryPerTicket reports the heap held per waiting single-player ticket, pool
// structures and indexes included: with one numeric attribute (the 1v1 skill case of DESIGN.md
// §8, target ≤ 512 B), with the 5v5 rule set's attributes (a number and a string list) and 8
// latencies, and with 10 numeric attributes and 8 latencies (perf-reliability §3.3).
func BenchmarkMemoryPerTicket(b *testing.B) {
	for _, rsName := range []string{"bench-1v1.json", "bench-5v5.json", "bench-10attrs.json"} {
		rs := loadBenchRuleSet(b, rsName)
		b.Run(rsName[6:len(rsName)-5], func(b *testing.B) {
			const n = 100_000
			var perTicket float64
			for b.Loop() {
				b.StopTimer()
				var before, after runtime.MemStats
				clock := &fakeClock{now: t0}
				m, _ := New(Config{RuleSet: rs, RequestTimeout: 12 * time.Hour}, WithClock(clock), WithRandom(rand.NewChaCha8([32]byte{9})))
				pop := &population{r: rand.New(rand.NewPCG(1, 2)), with5: rsName != "bench-1v1.json", single: true}
				runtime.GC()
				runtime.ReadMemStats(&before)
				b.StartTimer()
				for i := range n {
					in := pop.ticket()
					in.Players[0].Attributes["skill"] = NumberValue(float64(i) * 400) // nobody matches
					if rsName == "bench-10attrs.json" {
						delete(in.Players[0].Attributes, "roles")
						for k := range 9 {
							in.Players[0].Attributes[fmt.Sprintf("a%d", k)] = NumberValue(float64(k))
						}
					}
					if _, err := m.StartMatchmaking(in); err != nil {
						b.Fatal(err)
					}
				}
				m.Tick(clock.now)
				b.StopTimer()
				if st := m.Stats(); st.Waiting != n {
					b.Fatalf("tickets matched: %+v", st)
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				perTicket = float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / n
				runtime.KeepAlive(m)
				b.StartTimer()
			}
			b.ReportMetric(perTicket, "B/ticket")
		})
	}
}

// BenchmarkStartMatchmaking measures admission: one producer queuing single-player 1v1 tickets
// (validation, attribute resolution, indexes), reported as tickets per second. Every 131,072
// admissions the Matchmaker is replaced by an empty one, outside the timer, so that whatever the
// iteration count the figure is admission into a Matchmaker holding up to that many queued
// tickets, and no player is queued twice.
func BenchmarkStartMatchmaking(b *testing.B) {
	rs := loadBenchRuleSet(b, "bench-1v1.json")
	fresh := func() *Matchmaker {
		m, err := New(Config{RuleSet: rs}, WithClock(&fakeClock{now: t0}), WithRandom(rand.NewChaCha8([32]byte{9})))
		if err != nil {
			b.Fatal(err)
		}
		return m
	}
	inputs := make([]StartMatchmakingInput, 1<<17)
	for i := range inputs {
		inputs[i] = StartMatchmakingInput{Players: []Player{{PlayerID: fmt.Sprintf("p%d", i), Attributes: num("skill", float64(i))}}}
	}
	m := fresh()
	b.ReportAllocs()
	i, admitted := 0, 0
	for b.Loop() {
		if i == len(inputs) {
			b.StopTimer()
			m, i = fresh(), 0
			runtime.GC()
			b.StartTimer()
		}
		if _, err := m.StartMatchmaking(inputs[i]); err != nil {
			b.Fatal(err)
		}
		i++
		admitted++
	}
	b.ReportMetric(float64(admitted)/b.Elapsed().Seconds(), "tickets/s")
}

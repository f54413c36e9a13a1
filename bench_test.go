package matchmaker

// Benchmarks for the performance targets of DESIGN.md §8. Run:
//
//	go test -run '^$' -bench . -benchmem -count 5 .
//
// BenchmarkBaselineSortKeys sorts as many float64 keys as the pool holds, in the same run, so
// the figures can be read as ratios on any machine.

import (
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

func filledMatchmaker(b *testing.B, rs *RuleSet, n int, with5 bool) (*Matchmaker, *fakeClock) {
	clock := &fakeClock{now: t0}
	m, err := New(Config{RuleSet: rs}, WithClock(clock), WithRandom(rand.NewChaCha8([32]byte{9})))
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

// BenchmarkTickResident measures the steady cost of a tick over N waiting players who cannot
// match each other (skills 400 apart, beyond every expansion), admitted over the last 100 s so
// that a few percent cross an expansion step each second, as in a live pool. For 5v5 the
// players carry roles, latencies to 8 regions and parties of 1, 2, 3 and 5.
func BenchmarkTickResident(b *testing.B) {
	for _, rsName := range []string{"bench-1v1.json", "bench-5v5.json"} {
		rs := loadBenchRuleSet(b, rsName)
		for _, n := range append(benchSizes, 1_000_000) {
			b.Run(fmt.Sprintf("%s/N=%d", rsName[6:len(rsName)-5], n), func(b *testing.B) {
				clock := &fakeClock{now: t0}
				m, err := New(Config{RuleSet: rs, RequestTimeout: 12 * time.Hour}, WithClock(clock), WithRandom(rand.NewChaCha8([32]byte{9})))
				if err != nil {
					b.Fatal(err)
				}
				pop := &population{r: rand.New(rand.NewPCG(1, 2)), with5: rsName == "bench-5v5.json"}
				for i := 0; i < n; {
					clock.now = t0.Add(time.Duration(i) * 100 * time.Second / time.Duration(n))
					in := pop.ticket()
					for j := range in.Players {
						in.Players[j].Attributes["skill"] = NumberValue(float64(i+j) * 400) // nobody matches
					}
					if _, err := m.StartMatchmaking(in); err != nil {
						b.Fatal(err)
					}
					i += len(in.Players)
				}
				m.Tick(clock.now) // admit the arrivals and search once
				want := m.Stats().Waiting
				b.ReportAllocs()
				for b.Loop() {
					clock.now = clock.now.Add(time.Second)
					m.Tick(clock.now)
				}
				if st := m.Stats(); st.Matches != 0 || st.Waiting != want {
					b.Fatalf("pool changed: %+v", st)
				}
			})
		}
	}
}

// BenchmarkBackfillPass: 10,000 open backfills (world servers of 20 players with 1 to 19
// residents) over a resident pool of 100,000 tickets that match none of them, so every tick
// tries every backfill — the pass DESIGN.md §8 bounds at 10 ms. Pool tickets are 2,000 apart
// and need a partner within 10, so they cannot match each other either.
func BenchmarkBackfillPass(b *testing.B) {
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
		// Pool tickets sit at odd multiples of 1000: 500 away from every world.
		_, err := m.StartMatchmaking(StartMatchmakingInput{TicketID: fmt.Sprintf("t%d", i),
			Players: []Player{{PlayerID: fmt.Sprintf("p%d", i), Attributes: num("skill", float64(2*i+1)*1000)}}})
		if err != nil {
			b.Fatal(err)
		}
	}
	for w := range 10_000 {
		var roster []Player
		for r := range 1 + w%19 {
			roster = append(roster, Player{PlayerID: fmt.Sprintf("w%d-%d", w, r), Team: "world", Attributes: num("skill", float64(2*w)*1000*10)})
		}
		if _, err := m.StartMatchBackfill(StartMatchBackfillInput{GameSessionArn: fmt.Sprintf("world-%d", w), Players: roster}); err != nil {
			b.Fatal(err)
		}
	}
	m.Tick(clock.now)
	b.ReportAllocs()
	for b.Loop() {
		clock.now = clock.now.Add(time.Second)
		m.Tick(clock.now)
	}
	if st := m.Stats(); st.Backfills != 10_000 || st.Matches != 0 {
		b.Fatalf("unexpected state: %+v", st)
	}
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
// (validation, attribute resolution, indexes), reported as tickets per second.
func BenchmarkStartMatchmaking(b *testing.B) {
	rs := loadBenchRuleSet(b, "bench-1v1.json")
	clock := &fakeClock{now: t0}
	m, err := New(Config{RuleSet: rs}, WithClock(clock), WithRandom(rand.NewChaCha8([32]byte{9})), WithMaxTickets(1<<30))
	if err != nil {
		b.Fatal(err)
	}
	inputs := make([]StartMatchmakingInput, 1<<20) // distinct players: no duplicate cancellations
	for i := range inputs {
		inputs[i] = StartMatchmakingInput{Players: []Player{{PlayerID: fmt.Sprintf("p%d", i), Attributes: num("skill", float64(i))}}}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		in := inputs[i%len(inputs)]
		if _, err := m.StartMatchmaking(in); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tickets/s")
}

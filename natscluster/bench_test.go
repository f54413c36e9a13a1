package natscluster

// Benchmarks of the journal on NATS against the single-process Matchmaker, in the same run:
//
//	go test -run '^$' -bench . -benchtime 3s -count 6 ./natscluster/ | tee bench.txt
//	benchstat -col /journal bench.txt

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	mm "github.com/seed-04d22514/matchmaker"
	"github.com/stretchr/testify/require"
)

// callers is how many goroutines make requests at once in BenchmarkIntake.
const callers = 128

// BenchmarkIntake measures acknowledged StartMatchmaking requests per second with 128 callers:
// on one Matchmaker in the process, and through a partition's intake, owner and journal on an
// embedded NATS server that syncs every write (each request acknowledged after its tick's
// journal message committed).
func BenchmarkIntake(b *testing.B) {
	var id atomic.Int64
	b.Run("journal=none", func(b *testing.B) {
		cfg, _ := duelConfig("duel")
		m, err := mm.New(cfg)
		require.NoError(b, err)
		stop := make(chan struct{})
		go tickEvery(m, 20*time.Millisecond, stop) // matches leave the pool, as on the owner
		defer close(stop)
		b.SetParallelism(callers / runtime.GOMAXPROCS(0))
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := m.StartMatchmaking(solo(strconv.FormatInt(id.Add(1), 10))); err != nil {
					b.Error(err)
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	})
	for _, sync := range []string{"always", "default"} {
		// sync=always: the server fsyncs every write (sync_interval: always); default: every
		// 2 minutes, relying on replication, as JetStream does unless told otherwise.
		b.Run("journal=nats-sync-"+sync, func(b *testing.B) {
			opts := serverOptions(b.TempDir(), "s0")
			opts.SyncAlways = sync == "always"
			s := startServer(b, opts)
			cfg := testConfig(connect(b, s.ClientURL()), "a")
			cfg.SnapshotEvery = 1 << 20
			n := startNode(b, cfg)
			owner(b, "duel", n)
			p := n.Partition("duel")
			ctx := context.Background()
			b.SetParallelism(callers / runtime.GOMAXPROCS(0))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := p.StartMatchmaking(ctx, solo(strconv.FormatInt(id.Add(1), 10))); err != nil {
						b.Error(err)
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}

func tickEvery(m *mm.Matchmaker, d time.Duration, stop chan struct{}) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			_ = m.Tick(now)
		}
	}
}

// apartRules never match two tickets whose skills differ by more than 10.
const apartRules = `{
  "name": "apart",
  "ruleLanguageVersion": "1.0",
  "playerAttributes": [{"name": "skill", "type": "number", "default": 1000}],
  "teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 1}, {"name": "blue", "minPlayers": 1, "maxPlayers": 1}],
  "rules": [{"name": "Close", "type": "batchDistance", "batchAttribute": "skill", "maxDistance": 10}]
}`

// BenchmarkTick measures one tick over 1,000 waiting tickets that match nobody, with a request
// in each tick: without a journal, and with the journal on an embedded NATS server (the tick's
// entries published as one message, fenced, on a server that syncs every write). The
// difference is the commit's cost per tick.
func BenchmarkTick(b *testing.B) {
	for _, journal := range []string{"none", "nats-sync-always", "nats-sync-default"} {
		b.Run("journal="+journal, func(b *testing.B) {
			var opts []mm.Option
			if journal != "none" {
				so := serverOptions(b.TempDir(), "s0")
				so.SyncAlways = journal == "nats-sync-always"
				s := startServer(b, so)
				n := startNode(b, Config{Conn: connect(b, s.ClientURL()), Partitions: []string{"bench"},
					Matchmaker: duelConfig, Follower: true, Logger: quiet})
				j := n.Partition("bench").journal
				j.own(0)
				opts = append(opts, mm.WithJournal(j))
			}
			m, err := mm.New(mm.Config{RuleSet: mm.MustParseRuleSet([]byte(apartRules)), RequestTimeout: time.Hour}, opts...)
			require.NoError(b, err)
			now := time.Unix(1_700_000_000, 0)
			require.NoError(b, m.Tick(now))
			for i := range 1000 {
				_, err := m.StartMatchmaking(mm.StartMatchmakingInput{TicketID: fmt.Sprint("w", i),
					Players: []mm.Player{{PlayerID: fmt.Sprint("p", i), Attributes: mm.Attributes{"skill": mm.NumberValue(float64(i * 100))}}}})
				require.NoError(b, err)
			}
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				now = now.Add(20 * time.Millisecond)
				if err := m.StopMatchmaking(fmt.Sprint("absent", i)); err == nil {
					b.Fatal("stopped an absent ticket")
				}
				if err := m.Tick(now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestFailoverTime measures how long a partition has no owner after its owner dies without
// closing (its connection is cut, so it neither renews its lease nor commits): from the death
// to the standby's first committed tick, at a random point of the owner's renewal cycle.
//
//	MM_FAILOVER_RUNS=50 MM_FAILOVER_TTL=500ms,1s,2s go test -run TestFailoverTime -v ./natscluster/
func TestFailoverTime(t *testing.T) {
	runs, _ := strconv.Atoi(os.Getenv("MM_FAILOVER_RUNS"))
	runs = max(runs, 3)
	ttls := []time.Duration{time.Second}
	if v := os.Getenv("MM_FAILOVER_TTL"); v != "" {
		ttls = nil
		for _, f := range splitComma(v) {
			d, err := time.ParseDuration(f)
			require.NoError(t, err)
			ttls = append(ttls, d)
		}
	}
	for _, ttl := range ttls {
		t.Run(ttl.String(), func(t *testing.T) {
			s := startServer(t, serverOptions(t.TempDir(), "s0"))
			start := func(id string) (*Node, func()) {
				nc := connect(t, s.ClientURL())
				cfg := testConfig(nc, id)
				cfg.LeaseTTL = ttl
				return startNode(t, cfg), nc.Close
			}
			own, crash := start("n0")
			owner(t, "duel", own)
			var took []time.Duration
			for i := range runs {
				standby, crashStandby := start(fmt.Sprint("n", i+1))
				require.Eventually(t, func() bool { return standby.Partition("duel").Metrics().Loads == 1 },
					10*time.Second, time.Millisecond)
				time.Sleep(time.Duration(rand64(i) % uint64(ttl/3))) // a random point of the renewal cycle
				at := time.Now()
				crash()
				for standby.Partition("duel").Metrics().Ticks == 0 {
					time.Sleep(time.Millisecond)
				}
				took = append(took, time.Since(at))
				own.Close()
				own, crash = standby, crashStandby
			}
			sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
			p := func(q float64) time.Duration { return took[min(len(took)-1, int(q*float64(len(took))))] }
			t.Logf("lease TTL %v, %d failovers: p50 %v, p99 %v, min %v, max %v", ttl, runs,
				p(0.5).Round(time.Millisecond), p(0.99).Round(time.Millisecond),
				took[0].Round(time.Millisecond), took[len(took)-1].Round(time.Millisecond))
			// The documented bound, with a second of slack for a shared CI machine.
			limit := ttl + 250*time.Millisecond + max(ttl/10, 100*time.Millisecond) + time.Second
			require.Less(t, took[len(took)-1], limit, "failover beyond LeaseTTL + expiry pass + poll + slack")
		})
	}
}

func rand64(i int) uint64 { return uint64(time.Now().UnixNano()) ^ uint64(i)*0x9e3779b97f4a7c15 }

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

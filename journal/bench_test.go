package journal

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/seed-04d22514/matchmaker"
)

// memJournal keeps entries in memory: the cost of journaling without the file system.
type memJournal struct{ entries [][]byte }

func (j *memJournal) Append(e []byte) error {
	if len(j.entries) > 100_000 {
		j.entries = j.entries[:0] // a real journal trims at checkpoints
	}
	j.entries = append(j.entries, slices.Clone(e))
	return nil
}

func (j *memJournal) Sync() error { return nil }

// baselineNs is the no-journal sub-benchmark's ns/op in this run, which the others divide by.
var baselineNs float64

// BenchmarkJournalOverhead measures a resident 1v1 pool of about 10,000 with 10,000 arrivals
// per simulated second (100 StartMatchmaking per 10 ms tick): ns/op is one tick plus its
// arrivals, with no journal, an in-memory one, and a Log on disk (one write per request, one
// fsync per tick). x-none is the ratio to the no-journal run just before it, in the same
// process; tick-us is the Tick call alone (the file journal's fsync is in it).
//
//	go test ./journal/ -run '^$' -bench BenchmarkJournalOverhead -count 5 | tee out.txt
//	benchstat out.txt
func BenchmarkJournalOverhead(b *testing.B) {
	rs := loadRuleSet(b, "bench-1v1.json")
	for _, kind := range []string{"none", "memory", "file"} {
		b.Run("journal="+kind, func(b *testing.B) {
			clock := &fakeClock{now: t0}
			var timed *timedJournal
			opts := []matchmaker.Option{matchmaker.WithClock(clock), matchmaker.WithRandom(rand.NewChaCha8([32]byte{9})),
				matchmaker.WithTicketRetention(0)}
			switch kind {
			case "memory":
				opts = append(opts, matchmaker.WithJournal(&memJournal{}))
			case "file":
				log, err := Open(b.TempDir(), Options{})
				if err != nil {
					b.Fatal(err)
				}
				defer log.Close()
				timed = &timedJournal{Journal: log}
				opts = append(opts, matchmaker.WithJournal(timed))
			}
			m, err := matchmaker.New(matchmaker.Config{RuleSet: rs}, opts...)
			if err != nil {
				b.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			next := 0
			arrive := func() {
				next++
				_, err := m.StartMatchmaking(matchmaker.StartMatchmakingInput{Players: []matchmaker.Player{{PlayerID: "p" + strconv.Itoa(next),
					Attributes: matchmaker.Attributes{"skill": matchmaker.NumberValue(rng.NormFloat64()*300 + 1500)}}}})
				if err != nil {
					b.Fatal(err)
				}
			}
			for range 10_000 {
				arrive()
			}
			var tickNs time.Duration
			b.ResetTimer()
			for range b.N {
				for range 100 {
					arrive()
				}
				clock.now = clock.now.Add(10 * time.Millisecond)
				start := time.Now()
				if err := m.Tick(clock.now); err != nil {
					b.Fatal(err)
				}
				tickNs += time.Since(start)
			}
			b.StopTimer()
			ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(float64(tickNs.Microseconds())/float64(b.N), "tick-us")
			if timed != nil {
				// The tick's Sync runs with no lock held (requests go on meanwhile); the rest of
				// the tick is the matching work, with the journal's writes.
				b.ReportMetric(float64(timed.sync.Microseconds())/float64(b.N), "sync-us")
				b.ReportMetric(float64((tickNs-timed.sync).Microseconds())/float64(b.N), "tick-without-sync-us")
			}
			if kind == "none" {
				baselineNs = ns
			} else if baselineNs > 0 {
				b.ReportMetric(ns/baselineNs, "x-none")
			}
		})
	}
}

// timedJournal measures the time a journal spends in Sync.
type timedJournal struct {
	matchmaker.Journal
	sync time.Duration
}

func (j *timedJournal) Sync() error {
	start := time.Now()
	err := j.Journal.Sync()
	j.sync += time.Since(start)
	return err
}

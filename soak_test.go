package matchmaker

// This file holds TestSoak: random episodes of the invariant checker (invariants_test.go) for a
// chosen duration, on every core.
//
//	go test -run TestSoak -soak 10m .                       # ten minutes
//	go test -race -run TestSoak -soak 10m -timeout 20m -v . # over a million operations under -race (2 cores)
//	go test -run TestSoak -soak.seed 1000042 -v .           # replay one episode
//
// Without -soak it runs one short episode per rule set, well under a second, as part of the
// normal suite.

import (
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var (
	soakFor  = flag.Duration("soak", 0, "run TestSoak's random episodes for this long (e.g. 10m); 0 runs a short version")
	soakSeed = flag.Int64("soak.seed", -1, "run only TestSoak's episode with this seed")
)

// soakBaseSeed keeps TestSoak's episodes apart from TestInvariantsRandomized's seeds.
const soakBaseSeed = 1_000_000

// soakEpisode runs the episode a seed names: its rule set, its length (30 to 300 seconds) and
// everything random in it follow from the seed. It returns the operations it ran and whether it
// passed.
func soakEpisode(t *testing.T, seed uint64) (int64, bool) {
	rsFile := invariantRuleSets[seed%uint64(len(invariantRuleSets))]
	steps := 30 + int(seed*2654435761%271)
	var ops int64
	ok := t.Run(fmt.Sprintf("seed%d-%s-%ds", seed, strings.ReplaceAll(rsFile, "/", "-"), steps), func(t *testing.T) {
		r := rand.New(rand.NewPCG(seed, 7))
		c := newInvariantChecker(t, rsFile, r)
		defer func() { ops = int64(c.ops) }()
		for step := range steps {
			sec := float64(step)
			c.h.at(sec)
			for range r.IntN(8) {
				c.randomOp(r)
			}
			c.tick(sec)
		}
		c.close()
	})
	return ops, ok
}

// TestSoak runs random episodes, each a Matchmaker driven by random operations with every
// invariant checked after every operation, until -soak has passed; it reports how many
// operations ran and which known engine defects they met. A failing episode names its seed;
// -soak.seed replays it.
func TestSoak(t *testing.T) {
	if *soakSeed >= 0 {
		soakEpisode(t, uint64(*soakSeed))
		return
	}
	if *soakFor == 0 {
		for i := range len(invariantRuleSets) {
			soakShort(t, uint64(soakBaseSeed+i))
		}
		return
	}
	start := time.Now()
	deadline := start.Add(*soakFor)
	var ops, episodes, failed atomic.Int64
	var next atomic.Uint64
	next.Store(soakBaseSeed)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) && failed.Load() < 10 {
				n, ok := soakEpisode(t, next.Add(1)-1)
				ops.Add(n)
				episodes.Add(1)
				if !ok {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	defectStats.Lock()
	known := maps.Clone(defectStats.hits)
	defectStats.Unlock()
	var met []string
	for _, k := range slices.Sorted(maps.Keys(known)) {
		met = append(met, fmt.Sprintf("%s ×%d", k, known[k]))
	}
	t.Logf("soak: %d operations in %d episodes over %v (%.0f operations/s); known engine defects met: %s",
		ops.Load(), episodes.Load(), elapsed.Round(time.Second), float64(ops.Load())/elapsed.Seconds(), strings.Join(met, ", "))
}

// soakShort runs a short episode: 20 seconds of one rule set.
func soakShort(t *testing.T, seed uint64) {
	rsFile := invariantRuleSets[seed%uint64(len(invariantRuleSets))]
	t.Run(fmt.Sprintf("short-seed%d-%s", seed, strings.ReplaceAll(rsFile, "/", "-")), func(t *testing.T) {
		runInvariantEpisode(t, seed, rsFile, 20)
	})
}

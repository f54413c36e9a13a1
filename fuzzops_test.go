package matchmaker

// This file holds FuzzOps, the operation-sequence fuzz target: the fuzzer's bytes become a
// sequence of calls on the public API, with the invariant checker of invariants_test.go run
// after every one. Its seed corpus, in testdata/fuzz/FuzzOps, runs as a normal test.
//
//	go test -run '^$' -fuzz FuzzOps -fuzztime 3m .

import (
	"math/rand/v2"
	"testing"
)

// maxFuzzOps bounds one input's operations, so that every execution stays short.
const maxFuzzOps = 4096

// FuzzOps decodes its input as a rule set, a configuration and a sequence of operations:
//
//	byte 0: the rule set (an index into invariantRuleSets)
//	byte 1: with byte 0, the seed of the details (configuration, players, attribute values,
//	        which ticket or session an operation names)
//	then one byte per operation b:
//	  b == 0xff:  Close (operations after it must fail with ErrClosed)
//	  b%10 < 8:   StartMatchmaking, StopMatchmaking, AcceptMatch (accept or reject),
//	              StartMatchBackfill, RemovePlayers, AcknowledgeBackfill or StopMatchBackfill,
//	              AddPlayers, EndGameSession (b%10 in that order; see the op constants)
//	  otherwise:  Tick, 1 + (b/10)%5 seconds after the previous one
//
// After every operation the checker reads the events and the state; at the end the Matchmaker
// is closed and every ticket must have ended with exactly one terminal event.
func FuzzOps(f *testing.F) {
	f.Add([]byte{7, 3, 0, 0, 0, 8, 0, 0, 3, 8, 2, 5, 8, 0, 4, 18, 6, 7, 1, 28})
	f.Fuzz(func(t *testing.T, data []byte) { runOps(t, data) })
}

// runOps runs one decoded input; it returns the number of operations, ticks included.
func runOps(t *testing.T, data []byte) int {
	if len(data) < 2 {
		return 0
	}
	rsFile := invariantRuleSets[int(data[0])%len(invariantRuleSets)]
	r := rand.New(rand.NewPCG(uint64(data[0])<<8|uint64(data[1]), 11))
	c := newInvariantChecker(t, rsFile, r)
	sec := 0.0
	for i, b := range data[2:] {
		if i == maxFuzzOps {
			break
		}
		switch {
		case b == 0xff:
			c.close()
		case int(b%10) < opCount:
			c.op(int(b%10), r)
		default:
			sec += float64(1 + int(b/10)%5)
			c.tick(sec)
		}
	}
	if !c.closed {
		c.close()
	}
	return c.ops
}

package natscluster

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	mm "github.com/seed-04d22514/matchmaker"
	"github.com/stretchr/testify/require"
)

type sliceJournal struct{ entries [][]byte }

func (j *sliceJournal) Append(e []byte) error {
	j.entries = append(j.entries, slices.Clone(e))
	return nil
}
func (j *sliceJournal) Sync() error { return nil }

func drainAll(s *mm.Subscription) (out []string) {
	for {
		e, ok := s.TryNext()
		if !ok {
			return out
		}
		out = append(out, describe(e))
	}
}

func TestRestoreThenReplayMatchesReplayFromGenesis(t *testing.T) {
	for seed := range uint64(50) {
		rng := rand.New(rand.NewPCG(seed, 1))
		cfg, _ := faultConfig("duel")
		j := &sliceJournal{}
		m, err := mm.New(cfg, mm.WithJournal(j))
		require.NoError(t, err)
		now := time.Unix(1_700_000_000, 0)
		var snap []byte
		var snapSeq uint64
		n := 0
		for step := range 400 {
			for range rng.IntN(3) {
				n++
				_, _ = m.StartMatchmaking(solo(fmt.Sprint("t", n)))
				if rng.IntN(8) == 0 {
					_ = m.StopMatchmaking(fmt.Sprint("t", rng.IntN(n)+1))
				}
			}
			now = now.Add(time.Duration(rng.IntN(400)) * time.Millisecond)
			require.NoError(t, m.Tick(now))
			if step == 150+int(seed%100) {
				var b bytes.Buffer
				require.NoError(t, m.Snapshot(&b))
				snap = b.Bytes()
				snapSeq, _ = mm.SnapshotSeq(snap)
			}
		}
		full, _ := mm.New(cfg)
		fs, _ := full.Subscribe()
		for _, e := range j.entries {
			require.NoError(t, full.Replay(e))
		}
		want := drainAll(fs)
		r, err := mm.Restore(bytes.NewReader(snap), cfg)
		require.NoError(t, err)
		rs, _ := r.Subscribe()
		for _, e := range j.entries[snapSeq:] {
			require.NoError(t, r.Replay(e))
		}
		got := drainAll(rs)
		require.NotEmpty(t, got)
		i := slices.Index(want, got[0])
		require.GreaterOrEqual(t, i, 0, "seed %d: first event after restore %s not in the full replay", seed, got[0])
		require.Equal(t, want[i:], got, "seed %d", seed)
	}
}

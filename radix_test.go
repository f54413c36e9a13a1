package matchmaker

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSortByKey: the radix sort orders like a stable comparison sort, for small and large
// inputs, repeated keys and keys of every width.
func TestSortByKey(t *testing.T) {
	type item struct {
		key uint64
		pos int
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 5, 1023, 1024, 5000, 70000} {
		for _, width := range []uint{1, 8, 17, 33, 64} {
			xs := make([]item, n)
			for i := range xs {
				xs[i] = item{key: r.Uint64() >> (64 - width), pos: i}
			}
			want := slices.Clone(xs)
			slices.SortStableFunc(want, func(a, b item) int { return cmp.Compare(a.key, b.key) })
			sortByKey(xs, func(x item) uint64 { return x.key })
			require.Equal(t, want, xs, "n=%d width=%d", n, width)
		}
	}
}

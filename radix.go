package matchmaker

// This file holds a radix sort for the large, integer-keyed sorts of a snapshot.

import (
	"cmp"
	"slices"
)

// sortByKey sorts xs by key ascending, stably: a least-significant-digit radix sort over 16
// bits at a time, with as many passes as the largest key has digits, so sorting a million
// tickets by admission number takes two passes over them instead of n log n comparisons.
func sortByKey[T any](xs []T, key func(T) uint64) {
	if len(xs) < 1024 {
		slices.SortStableFunc(xs, func(a, b T) int { return cmp.Compare(key(a), key(b)) })
		return
	}
	var used uint64
	for _, x := range xs {
		used |= key(x)
	}
	src, dst := xs, make([]T, len(xs))
	count := make([]int, 1<<16)
	for shift := uint(0); shift < 64 && used>>shift != 0; shift += 16 {
		clear(count)
		for _, x := range src {
			count[key(x)>>shift&0xffff]++
		}
		sum := 0
		for i, c := range count {
			count[i] = sum
			sum += c
		}
		for _, x := range src {
			d := key(x) >> shift & 0xffff
			dst[count[d]] = x
			count[d]++
		}
		src, dst = dst, src
	}
	if &src[0] != &xs[0] {
		copy(xs, src)
	}
}

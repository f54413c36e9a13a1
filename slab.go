package matchmaker

// This file holds the allocators Restore reads a pool with: a snapshot of a million tickets
// holds millions of small values (IDs, players, attribute numbers, latencies, rule counters),
// and allocating each on its own costs more than reading it, in the allocations themselves
// and in the garbage collector's work to mark them.

import "strings"

// slabMax is the most elements a slab allocates at once; it starts small and doubles, so a
// small snapshot allocates little.
const slabMax = 4096

// slab hands out slices of arrays it allocates in chunks. Each slice's capacity is its length,
// so appending to one copies it instead of writing over its neighbour. A chunk stays reachable
// while any of its slices is, which bounds what it keeps alive to one chunk per live slice.
type slab[T any] struct {
	free []T
	next int // size of the next chunk
}

// take returns n zero values, never a nil slice (an empty one for n == 0, as make returns).
func (s *slab[T]) take(n int) []T {
	if n == 0 {
		return []T{}
	}
	if n > len(s.free) {
		s.next = min(max(2*s.next, 64), slabMax)
		if n > s.next/4 {
			return make([]T, n)
		}
		s.free = make([]T, s.next)
	}
	out := s.free[:n:n]
	s.free = s.free[n:]
	return out
}

// stringArena makes strings that share backing arrays of up to 64 KiB, instead of one
// allocation each. Like a slab's chunk, an array stays reachable while any of its strings is.
type stringArena struct {
	b    *strings.Builder
	next int
}

const arenaMax = 64 << 10

// make returns p as a string.
func (a *stringArena) make(p []byte) string {
	switch {
	case len(p) == 0:
		return ""
	case len(p) > arenaMax/16:
		return string(p)
	}
	if a.b == nil || a.b.Cap()-a.b.Len() < len(p) {
		a.next = min(max(2*a.next, 1024), arenaMax)
		a.b = new(strings.Builder)
		a.b.Grow(a.next)
	}
	start := a.b.Len()
	a.b.Write(p) // within its capacity: the strings already made keep their bytes
	return a.b.String()[start:]
}

package matchmaker

// This file holds the pool of searching tickets. They are kept in the rule set's order (see
// ruleset.RuleSet.OrderKey): by a partition (the value of a string batchDistance attribute), then a
// numeric key, then admission. An anchor looks for partners only among its nearest neighbours in
// that order. Beside the order, compact arrays hold what the search and the bookkeeping read
// (key, partition, admission number), so that merging arrivals, dropping departures, marking and
// scanning windows never touch the tickets themselves.
//
// A tick does work in proportion to what changed, not to the pool: positions within reach of an
// arrival, a departure, a roster change or an expansion step are marked dirty, and only anchors
// at dirty positions search again; the others would fail exactly as they did before. Timeouts
// and expansion steps come from a timer heap.

import (
	"cmp"
	"slices"

	"github.com/seed-04d22514/matchmaker/internal/ruleset"
)

type pool struct {
	rs    *ruleset.RuleSet
	order []*ticket // searching tickets by (group, key, seq)
	keyAt []float64 // order[i].key
	grpAt []int32   // order[i].group
	seqAt []uint64  // order[i].seq

	arrivals []*ticket // entered since the last tick
	departed []*ticket // left the search since the last tick (some may have come back)
	touched  []*ticket // roster changed since the last tick
	crossed  []*ticket // crossed an expansion step since the last tick

	right []int32 // union-find: next unclaimed position at or after i
	left  []int32 // union-find, shifted by one: next unclaimed position at or before i-1
	dirty []bool  // positions whose anchor searches this tick
	// anchors are the dirty positions, oldest ticket first.
	anchors []int32
	marks   []*ticket // scratch: tickets whose neighbourhood is marked

	groups    partitions
	timers    timerHeap
	count     int // tickets queued or searching
	backfills int // backfill tickets queued or searching
	reach     int // how far (in positions) an anchor's search reaches
	oldestAge bool
}

func newPool(rs *ruleset.RuleSet) *pool { return &pool{rs: rs} }

// partitions interns the values of a string batchDistance attribute as partition ids. An id is
// held by every ticket that carries it, from enqueue until the ticket leaves the pool order, so
// a value nobody waits with any more is released.
type partitions struct {
	byName map[string]int32
	names  []string
	refs   []int32
	free   []int32
}

func (ps *partitions) hold(name string) int32 {
	if id, ok := ps.byName[name]; ok {
		ps.refs[id]++
		return id
	}
	if ps.byName == nil {
		ps.byName = map[string]int32{}
	}
	var id int32
	if n := len(ps.free); n > 0 {
		id, ps.free = ps.free[n-1], ps.free[:n-1]
		ps.names[id], ps.refs[id] = name, 1
	} else {
		id = int32(len(ps.names))
		ps.names, ps.refs = append(ps.names, name), append(ps.refs, 1)
	}
	ps.byName[name] = id
	return id
}

func (ps *partitions) release(id int32) {
	if ps.refs[id]--; ps.refs[id] == 0 {
		delete(ps.byName, ps.names[id])
		ps.names[id] = ""
		ps.free = append(ps.free, id)
	}
}

// releaseGroup lets go of t's partition id.
func (p *pool) releaseGroup(t *ticket) {
	if t.groupHeld {
		p.groups.release(t.group)
		t.groupHeld = false
	}
}

// waiting counts the tickets queued or searching.
func (p *pool) waiting() int { return p.count }

// enqueue adds a ticket that is entering (or re-entering) the search.
func (p *pool) enqueue(t *ticket) {
	if !t.inPool { // a ticket still in the order keeps its place, and so its key
		key, group := p.rs.OrderKey(t.players)
		p.releaseGroup(t)
		t.key, t.group, t.groupHeld = key, p.groups.hold(group), true
	}
	t.claimed = false
	if len(p.arrivals) > 2*p.count+1024 { // many left before any tick merged them
		p.arrivals = slices.DeleteFunc(p.arrivals, func(a *ticket) bool {
			if a.status == StatusQueued || a.status == StatusSearching {
				return false
			}
			if !a.inPool {
				p.releaseGroup(a)
			}
			return true
		})
	}
	p.arrivals = append(p.arrivals, t)
	p.count++
	if t.bf != nil {
		p.backfills++
	}
}

// leave accounts for a ticket that stopped searching; the order drops it at the next prepare.
func (p *pool) leave(t *ticket) {
	p.count--
	if t.bf != nil {
		p.backfills--
	}
	t.claimed = true
	if t.inPool {
		p.departed = append(p.departed, t)
	}
}

// touch notes a roster change, so that anchors whose window holds t search again.
func (p *pool) touch(t *ticket) {
	if t.inPool {
		p.touched = append(p.touched, t)
	}
}

// prepare starts a tick: it drops the tickets that left, merges the arrivals, marks dirty every
// position within reach of a change, and returns the tickets entering the search (the caller
// moves them to SEARCHING and announces them).
func (p *pool) prepare() []*ticket {
	p.marks = p.marks[:0]
	p.dropDeparted()
	entering := p.mergeArrivals()
	n := len(p.order)
	p.right = slices.Grow(p.right[:0], n+1)[:n+1]
	p.left = slices.Grow(p.left[:0], n+1)[:n+1]
	for i := range n {
		p.right[i] = int32(i)
		p.left[i+1] = int32(i + 1)
	}
	p.right[n], p.left[0] = int32(n), 0
	p.dirty = slices.Grow(p.dirty[:0], n)[:n]
	clear(p.dirty)
	for _, t := range p.marks {
		if i, ok := p.find(t); ok {
			p.markAround(i)
		}
	}
	for _, t := range p.touched {
		if i, ok := p.find(t); ok {
			p.markAround(i)
		}
	}
	for _, t := range p.crossed {
		if i, ok := p.find(t); ok {
			p.markCrossing(i)
		}
	}
	clear(p.touched)
	clear(p.crossed)
	p.touched, p.crossed = p.touched[:0], p.crossed[:0]
	p.anchors = p.anchors[:0]
	for i, d := range p.dirty {
		if d {
			p.anchors = append(p.anchors, int32(i))
		}
	}
	slices.SortFunc(p.anchors, func(a, b int32) int { return cmp.Compare(p.seqAt[a], p.seqAt[b]) })
	return entering
}

// dropDeparted removes the tickets that left the search and remembers their neighbours, whose
// windows now reach further.
func (p *pool) dropDeparted() {
	if len(p.departed) == 0 {
		return
	}
	gone := make([]bool, len(p.order))
	any := false
	for _, t := range p.departed {
		t.claimed = false
		if t.status == StatusSearching {
			p.marks = append(p.marks, t) // left and came back: still in place
			continue
		}
		if i, ok := p.find(t); ok && !gone[i] {
			gone[i], any = true, true
			t.inPool = false
			p.releaseGroup(t)
		}
	}
	clear(p.departed)
	p.departed = p.departed[:0]
	if !any {
		return
	}
	out := 0
	for i := range p.order {
		if gone[i] {
			if out > 0 {
				p.marks = append(p.marks, p.order[out-1])
			}
			if i+1 < len(p.order) && !gone[i+1] {
				p.marks = append(p.marks, p.order[i+1])
			}
			continue
		}
		p.order[out], p.keyAt[out], p.grpAt[out], p.seqAt[out] = p.order[i], p.keyAt[i], p.grpAt[i], p.seqAt[i]
		out++
	}
	clear(p.order[out:])
	p.order, p.keyAt, p.grpAt, p.seqAt = p.order[:out], p.keyAt[:out], p.grpAt[:out], p.seqAt[:out]
}

// mergeArrivals merges the new arrivals into the order and marks them, and returns every
// arrival still searching. Tickets that left and came back between two ticks are still in the
// order and are only marked.
func (p *pool) mergeArrivals() []*ticket {
	var fresh, entering []*ticket
	for _, t := range p.arrivals {
		switch {
		case t.status != StatusQueued && t.status != StatusSearching:
			if !t.inPool {
				p.releaseGroup(t) // ended before it entered the order
			}
			continue
		case t.inPool:
			t.claimed = false
			p.marks = append(p.marks, t)
		default:
			t.inPool = true
			fresh = append(fresh, t)
		}
		entering = append(entering, t)
	}
	clear(p.arrivals)
	p.arrivals = p.arrivals[:0]
	if len(fresh) == 0 {
		return entering
	}
	byOrder := slices.Clone(fresh)
	slices.SortFunc(byOrder, compareOrder)
	total := len(p.order) + len(byOrder)
	order := make([]*ticket, 0, total)
	keyAt := make([]float64, 0, total)
	grpAt := make([]int32, 0, total)
	seqAt := make([]uint64, 0, total)
	i, j := 0, 0
	for i < len(p.order) || j < len(byOrder) {
		if j < len(byOrder) && (i == len(p.order) || p.compareAt(byOrder[j], i) < 0) {
			t := byOrder[j]
			order, keyAt, grpAt, seqAt = append(order, t), append(keyAt, t.key), append(grpAt, t.group), append(seqAt, t.seq)
			j++
			continue
		}
		order, keyAt, grpAt, seqAt = append(order, p.order[i]), append(keyAt, p.keyAt[i]), append(grpAt, p.grpAt[i]), append(seqAt, p.seqAt[i])
		i++
	}
	p.order, p.keyAt, p.grpAt, p.seqAt = order, keyAt, grpAt, seqAt
	p.marks = append(p.marks, fresh...)
	return entering
}

func compareOrder(a, b *ticket) int {
	return cmp.Or(cmp.Compare(a.group, b.group), cmp.Compare(a.key, b.key), cmp.Compare(a.seq, b.seq))
}

// compareAt compares t with the ticket at position i, reading only the compact arrays.
func (p *pool) compareAt(t *ticket, i int) int {
	return cmp.Or(cmp.Compare(t.group, p.grpAt[i]), cmp.Compare(t.key, p.keyAt[i]), cmp.Compare(t.seq, p.seqAt[i]))
}

// find returns t's position in the order.
func (p *pool) find(t *ticket) (int, bool) {
	if !t.inPool {
		return 0, false
	}
	lo, hi := 0, len(p.order)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if p.compareAt(t, mid) > 0 {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo, lo < len(p.order) && p.order[lo] == t
}

// markAround makes the anchors within reach of position i search this tick.
func (p *pool) markAround(i int) {
	for j := max(0, i-p.reach); j <= min(len(p.dirty)-1, i+p.reach); j++ {
		p.dirty[j] = true
	}
}

// markCrossing marks the anchors whose potential matches a step crossing at position i can
// change: the expansion age of a potential match is that of its newest ticket (or its oldest,
// with expansionAgeSelection "oldest"), so only anchors older (younger) than the crossing
// ticket, and the ticket itself, can see a different age.
func (p *pool) markCrossing(i int) {
	seq := p.seqAt[i]
	p.dirty[i] = true
	for j := max(0, i-p.reach); j <= min(len(p.dirty)-1, i+p.reach); j++ {
		if p.seqAt[j] < seq != p.oldestAge {
			p.dirty[j] = true
		}
	}
}

// claimAt removes the ticket at position i from the candidates of the rest of this tick.
func (p *pool) claimAt(i int32) {
	p.order[i].claimed = true
	p.right[i] = i + 1
	p.left[i+1] = i
}

// nextRight returns the first unclaimed position at or after i (len(order) if none).
func (p *pool) nextRight(i int32) int32 {
	root := i
	for p.right[root] != root {
		root = p.right[root]
	}
	for p.right[i] != root {
		i, p.right[i] = p.right[i], root
	}
	return root
}

// nextLeft returns the last unclaimed position at or before i (-1 if none).
func (p *pool) nextLeft(i int32) int32 {
	k := i + 1
	root := k
	for p.left[root] != root {
		root = p.left[root]
	}
	for p.left[k] != root {
		k, p.left[k] = p.left[k], root
	}
	return root - 1
}

// window appends to dst (and their positions to pos) up to n unclaimed tickets nearest to the
// anchor at position a in the pool order, nearest first, never crossing a partition boundary.
func (p *pool) window(a int32, n int, dst []*ticket, pos []int32) ([]*ticket, []int32) {
	size := int32(len(p.order))
	key, grp := p.keyAt[a], p.grpAt[a]
	r := p.nextRight(a + 1)
	l := p.nextLeft(a - 1)
	for len(dst) < n {
		okR := r < size && p.grpAt[r] == grp
		okL := l >= 0 && p.grpAt[l] == grp
		if !okR && !okL {
			break
		}
		if okR && (!okL || p.keyAt[r]-key <= key-p.keyAt[l]) {
			dst, pos = append(dst, p.order[r]), append(pos, r)
			r = p.nextRight(r + 1)
		} else {
			dst, pos = append(dst, p.order[l]), append(pos, l)
			l = p.nextLeft(l - 1)
		}
	}
	return dst, pos
}

// ---- timers

// timer wakes a ticket at its request timeout or its next expansion step; which one is read
// from the ticket when the timer fires.
type timer struct {
	at int64 // Unix nanoseconds
	t  *ticket
}

// before orders timers by time, then by admission: a total order (a ticket's two timers at one
// instant act alike), so timers due together fire in the same order however the heap was
// built, which a restored Matchmaker relies on.
func (x timer) before(y timer) bool { return x.at < y.at || x.at == y.at && x.t.seq < y.t.seq }

// timerHeap is a binary min-heap on (at, seq), typed so that pushing allocates nothing.
type timerHeap []timer

func (h *timerHeap) push(x timer) {
	*h = append(*h, x)
	s := *h
	for i := len(s) - 1; i > 0; {
		parent := (i - 1) / 2
		if !s[i].before(s[parent]) {
			break
		}
		s[parent], s[i] = s[i], s[parent]
		i = parent
	}
}

func (h *timerHeap) pop() timer {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s[last] = timer{}
	s = s[:last]
	for i := 0; ; {
		small, l, r := i, 2*i+1, 2*i+2
		if l < len(s) && s[l].before(s[small]) {
			small = l
		}
		if r < len(s) && s[r].before(s[small]) {
			small = r
		}
		if small == i {
			break
		}
		s[i], s[small] = s[small], s[i]
		i = small
	}
	*h = s
	return top
}

// addTimer schedules a timeout or an expansion step.
func (p *pool) addTimer(at int64, t *ticket) {
	p.timers.push(timer{at: at, t: t})
	if len(p.timers) > 2*p.count+4096 {
		p.pruneTimers()
	}
}

// due pops the timers at or before now; the caller checks each against the ticket's current
// state, since a ticket may have moved on since its timer was set.
func (p *pool) due(now int64, fn func(timer)) {
	for len(p.timers) > 0 && p.timers[0].at <= now {
		fn(p.timers.pop())
	}
}

// pruneTimers drops timers of tickets that ended, so the heap stays proportional to the pool.
func (p *pool) pruneTimers() {
	live := slices.DeleteFunc(p.timers, func(x timer) bool { return x.t.status.Terminal() })
	p.timers = nil
	for _, x := range live {
		p.timers.push(x)
	}
}

// checkParty refuses a party whose own players break a batchDistance rule at its most relaxed,
// since such a ticket could never match.
func (p *pool) checkParty(t *ticket, pr *problems) {
	for _, msg := range p.rs.PartyProblems(t.players) {
		pr.add("Players", "%s", msg)
	}
}

package matchmaker

// This file holds the pool of searching tickets. Tickets are kept in two orders: by admission
// (anchors are taken oldest first) and by the rule set's ordering key (see
// RuleSet.chooseOrdering), within partitions of a string batch attribute. An anchor looks for
// partners only among its nearest neighbours in the second order, so a tick costs O(N log N)
// for ordering plus a bounded search per anchor, never a scan of the pool per ticket.

import (
	"cmp"
	"slices"
	"time"
)

type pool struct {
	rs        *RuleSet
	order     []*ticket // searching tickets by (group, key, seq)
	ages      []*ticket // searching tickets by seq
	arrivals  []*ticket // entered since the last tick
	right     []int32   // union-find: next unclaimed position at or after i
	left      []int32   // union-find, shifted by one: next unclaimed position at or before i-1
	count     int       // tickets queued or searching
	changes   uint64    // counts entries and roster changes, to date them
	prepared  uint64    // changes at the last prepare
	reach     int       // how far (in positions) an anchor's search reaches
	dirty     []bool    // positions whose anchor must search again this tick
	anchors   []*ticket // the tickets at dirty positions, oldest first
	seqAt     []uint64  // order[i].seq, kept compact for marking
	crossings []int32   // positions of tickets that crossed an expansion step
	oldestAge bool      // expansionAgeSelection "oldest"
	diff      []int32   // scratch for marking ranges
	backfills int       // backfill tickets queued or searching
}

func newPool(rs *RuleSet) *pool { return &pool{rs: rs} }

func (p *pool) waiting() int { return p.count }
func (p *pool) size() int    { return p.count }

// enqueue adds a ticket that is entering (or re-entering) the search.
func (p *pool) enqueue(t *ticket) {
	p.touch(t)
	t.key, t.group = p.rs.orderKey(t)
	t.claimed = false
	p.arrivals = append(p.arrivals, t)
	p.count++
	if t.bf != nil {
		p.backfills++
	}
}

// touch marks t as changed, so anchors whose window holds it search again.
func (p *pool) touch(t *ticket) {
	p.changes++
	t.entered = p.changes
}

// leave accounts for a ticket that stopped searching. The slices drop it at the next prepare.
func (p *pool) leave(t *ticket) {
	p.count--
	if t.bf != nil {
		p.backfills--
	}
	p.claim(t)
}

// prepare starts a tick: it drops tickets that stopped searching, merges the arrivals into
// both orders, marks dirty every position within reach of a change (an arrival, a departure,
// a roster change, an expansion step), and returns the arrivals (which the caller moves to
// SEARCHING). Anchors at clean positions would fail exactly as they did last time.
func (p *pool) prepare(now time.Time) []*ticket {
	p.order = p.compact(p.order)
	arrivals := p.arrivals
	p.arrivals = nil
	arrivals = slices.DeleteFunc(arrivals, func(t *ticket) bool { return t.status != StatusQueued && t.status != StatusSearching })
	// A ticket that left and re-entered between two ticks is still in both orders.
	fresh := slices.DeleteFunc(slices.Clone(arrivals), func(t *ticket) bool { return t.inPool })
	for _, t := range fresh {
		t.inPool = true
	}
	if len(fresh) > 0 {
		arrivals := fresh
		byKey := slices.Clone(arrivals)
		slices.SortFunc(byKey, compareOrder)
		p.order = mergeSorted(p.order, byKey, compareOrder)
		bySeq := slices.Clone(arrivals)
		slices.SortFunc(bySeq, func(a, b *ticket) int { return cmp.Compare(a.seq, b.seq) })
		p.ages = mergeSorted(p.ages, bySeq, func(a, b *ticket) int { return cmp.Compare(a.seq, b.seq) })
	}
	n := len(p.order)
	p.right = slices.Grow(p.right[:0], n+1)[:n+1]
	p.left = slices.Grow(p.left[:0], n+1)[:n+1]
	p.diff = slices.Grow(p.diff[:0], n+1)[:n+1]
	clear(p.diff)
	p.seqAt = slices.Grow(p.seqAt[:0], n)[:n]
	p.crossings = p.crossings[:0]
	for i, t := range p.order {
		t.pos = int32(i)
		t.claimed = false
		p.right[i] = int32(i)
		p.left[i+1] = int32(i + 1)
		p.seqAt[i] = t.seq
		switch {
		case t.entered > p.prepared || t.nearGap || !t.searched:
			t.nearGap, t.crossed = false, false
			p.diff[max(0, i-p.reach)]++
			p.diff[min(n, i+p.reach+1)]--
		case t.crossed:
			t.crossed = false
			p.crossings = append(p.crossings, int32(i))
		}
	}
	p.right[n], p.left[0] = int32(n), 0
	p.dirty = slices.Grow(p.dirty[:0], n)[:n]
	run := int32(0)
	for i := range n {
		run += p.diff[i]
		p.dirty[i] = run > 0
	}
	for _, i := range p.crossings {
		p.markCrossing(int(i))
	}
	clear(p.anchors)
	p.anchors = p.anchors[:0]
	for i, d := range p.dirty {
		if d {
			p.anchors = append(p.anchors, p.order[i])
		}
	}
	slices.SortFunc(p.anchors, func(a, b *ticket) int { return cmp.Compare(a.seq, b.seq) })
	p.prepared = p.changes
	return arrivals
}

// compact drops tickets that stopped searching and flags the neighbours of each gap.
func (p *pool) compact(order []*ticket) []*ticket {
	out := order[:0]
	gap := false
	for _, t := range order {
		if t.status != StatusSearching || !t.inPool {
			t.inPool = false
			if len(out) > 0 {
				out[len(out)-1].nearGap = true
			}
			gap = true
			continue
		}
		t.nearGap = t.nearGap || gap
		gap = false
		out = append(out, t)
	}
	clear(order[len(out):])
	return out
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

// markAround makes the anchors within reach of position i search again this tick.
func (p *pool) markAround(i int32) {
	for j := max(0, int(i)-p.reach); j <= min(len(p.dirty)-1, int(i)+p.reach); j++ {
		p.dirty[j] = true
	}
}

func compareOrder(a, b *ticket) int {
	return cmp.Or(cmp.Compare(a.group, b.group), cmp.Compare(a.key, b.key), cmp.Compare(a.seq, b.seq))
}

// mergeSorted merges sorted b into sorted a.
func mergeSorted(a, b []*ticket, less func(x, y *ticket) int) []*ticket {
	if len(a) == 0 {
		return append(a, b...)
	}
	out := make([]*ticket, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if less(b[j], a[i]) < 0 {
			out = append(out, b[j])
			j++
		} else {
			out = append(out, a[i])
			i++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// claim removes t from the candidates of the rest of this tick.
func (p *pool) claim(t *ticket) {
	t.claimed = true
	i := int(t.pos)
	if i < 0 || i >= len(p.order) || p.order[i] != t {
		return
	}
	p.right[i] = int32(i + 1)
	p.left[i+1] = int32(i)
	p.markAround(int32(i)) // windows that held t now reach one ticket further
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

// window appends to dst up to n unclaimed searching tickets nearest to anchor in the pool
// order, nearest first, never crossing a partition boundary.
func (p *pool) window(anchor *ticket, n int, dst []*ticket) []*ticket {
	size := int32(len(p.order))
	r := p.nextRight(anchor.pos + 1)
	l := p.nextLeft(anchor.pos - 1)
	for len(dst) < n {
		okR := r < size && p.order[r].group == anchor.group
		okL := l >= 0 && p.order[l].group == anchor.group
		if !okR && !okL {
			break
		}
		if okR && (!okL || p.order[r].key-anchor.key <= anchor.key-p.order[l].key) {
			dst = append(dst, p.order[r])
			r = p.nextRight(r + 1)
		} else {
			dst = append(dst, p.order[l])
			l = p.nextLeft(l - 1)
		}
	}
	return dst
}

// orderKey computes a ticket's position in the pool order: the party's average of the
// ordering attribute, and the value of the partitioning attribute.
func (rs *RuleSet) orderKey(t *ticket) (float64, string) {
	var key float64
	var group string
	if rs.orderAttr >= 0 && len(t.players) > 0 {
		slot := rs.attrs[rs.orderAttr].slot
		for i := range t.players {
			key += t.players[i].nums[slot]
		}
		key /= float64(len(t.players))
	}
	if rs.groupAttr >= 0 && len(t.players) > 0 {
		group = t.players[0].more.strs[rs.attrs[rs.groupAttr].slot]
	}
	return key, group
}

// checkParty refuses a party whose own players break a batchDistance rule at its most relaxed,
// since such a ticket could never match.
func (p *pool) checkParty(t *ticket, pr *problems) {
	for _, r := range p.rs.batches {
		a := p.rs.attrs[r.batchAttr]
		if a.typ == AttrString {
			for i := range t.players[1:] {
				if t.players[i+1].more.strs[a.slot] != t.players[0].more.strs[a.slot] {
					pr.add("Players", "players have different values of %q, and rule %q requires every player of a match to share one", a.name, r.name)
					break
				}
			}
			continue
		}
		lo, hi := 0.0, 0.0
		for i := range t.players {
			v := t.players[i].nums[a.slot]
			if i == 0 {
				lo, hi = v, v
			}
			lo, hi = min(lo, v), max(hi, v)
		}
		if hi-lo > p.rs.loosest(r.maxDist)+tolerance {
			pr.add("Players", "players' %q values span %v, more than rule %q ever allows (%v)", a.name, hi-lo, r.name, p.rs.loosest(r.maxDist))
		}
	}
}

// loosest returns the largest value a parameter takes at any expansion step.
func (rs *RuleSet) loosest(slot int) float64 {
	v := rs.base[slot].n
	for _, e := range rs.expansions {
		if slices.Contains(e.slots, slot) {
			for _, st := range e.steps {
				v = max(v, st.val.n)
			}
		}
	}
	return v
}

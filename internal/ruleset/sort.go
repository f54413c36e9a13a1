package ruleset

// This file holds the sort rules' keys (absoluteSort, distanceSort) and the party aggregations
// they use.

import (
	"math"

	"github.com/seed-04d22514/matchmaker/internal/ruleset/expr"
)

// SortCount returns the number of sort rules (absoluteSort and distanceSort).
func (rs *RuleSet) SortCount() int { return len(rs.sorts) }

// SortKey returns a party's key under sort rule j (in rule-set order among the sort rules),
// relative to the anchor's party for distanceSort: smaller sorts first, missing values last.
func (rs *RuleSet) SortKey(j int, anchor, t []Player) float64 {
	r := rs.sorts[j]
	if len(anchor) == 0 || len(t) == 0 { // an empty backfill roster has nothing to sort by
		return math.Inf(1)
	}
	a := rs.attrs[r.sortAttr]
	sign := 1.0
	if r.sortDesc {
		sign = -1
	}
	switch a.typ {
	case expr.AttrString:
		same := 1.0
		if anchor[0].More.Strs[a.slot] == t[0].More.Strs[a.slot] {
			same = 0
		}
		if r.sortDesc {
			same = 1 - same
		}
		return same
	case expr.AttrStringNumberMap:
		key, ok := mapKeyOf(anchor[0].More.Maps[a.slot], r.mapKey == "maxValue")
		if !ok {
			return math.Inf(1)
		}
		v, ok := partyMapValue(t, a.slot, key, r.agg)
		if !ok {
			return math.Inf(1)
		}
		if r.typ == RuleDistanceSort {
			av, _ := partyMapValue(anchor, a.slot, key, r.agg)
			return math.Abs(v - av)
		}
		return sign * v
	}
	v := partyNumber(t, a.slot, r.agg)
	if r.typ == RuleDistanceSort {
		return math.Abs(v - partyNumber(anchor, a.slot, r.agg))
	}
	return sign * v
}

// mapKeyOf picks the key with the highest (or lowest) value, ties by key name.
func mapKeyOf(m map[string]float64, highest bool) (string, bool) {
	best, bv, found := "", 0.0, false
	for k, v := range m {
		better := !found || highest && v > bv || !highest && v < bv || v == bv && k < best
		if better {
			best, bv, found = k, v, true
		}
	}
	return best, found
}

// partyAgg folds a ticket's player values with a partyAggregation function (avg, min, max).
type partyAgg struct {
	fn string
	v  float64
	n  int
}

func (a *partyAgg) add(v float64) {
	switch {
	case a.n == 0:
		a.v = v
	case a.fn == "min":
		a.v = min(a.v, v)
	case a.fn == "max":
		a.v = max(a.v, v)
	default:
		a.v += v
	}
	a.n++
}

func (a *partyAgg) result() (float64, bool) {
	if a.n == 0 {
		return 0, false
	}
	if a.fn != "min" && a.fn != "max" {
		return a.v / float64(a.n), true
	}
	return a.v, true
}

// partyNumber aggregates a number attribute over a ticket's players.
func partyNumber(t []Player, slot int, agg string) float64 {
	a := partyAgg{fn: agg}
	for i := range t {
		a.add(t[i].Nums[slot])
	}
	v, _ := a.result()
	return v
}

// partyMapValue aggregates one key of a map attribute over the players that have it.
func partyMapValue(t []Player, slot int, key, agg string) (float64, bool) {
	a := partyAgg{fn: agg}
	for i := range t {
		if v, ok := t[i].More.Maps[slot][key]; ok {
			a.add(v)
		}
	}
	return a.result()
}

// Package suggest finds the "did you mean" for a misspelt name: the nearest of a few known
// names by edit distance. The rule-set reader, the expression compiler and the command line all
// use it, so a typo gets the same suggestion wherever it is made. It depends on nothing else in
// the module.
package suggest

import (
	"fmt"
	"strings"
)

// maxLen is the longest name Closest considers; a longer one gets no suggestion, so that a
// hostile name cannot make the quadratic comparison expensive.
const maxLen = 64

// maxDistance is the first edit distance too far to suggest: a name two edits from a candidate
// is a typo of it, three edits away it is another word.
const maxDistance = 3

// Closest returns the candidate nearest to s, ignoring case, if it lies within two edits
// (insertions, deletions or substitutions of bytes), or "" when none does or s is longer than
// 64 bytes. Among candidates at the same distance the earliest wins, so callers that build
// candidates from a map should sort them first.
func Closest(s string, candidates []string) string {
	if len(s) > maxLen {
		return ""
	}
	s = strings.ToLower(s)
	best, bestD := "", maxDistance
	for _, c := range candidates {
		if d := editDistance(s, strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// Hint returns the suggestion for s as messages append it, ` (did you mean "name"?)` with a
// leading space, or "" when Closest finds nothing.
func Hint(s string, candidates []string) string {
	if c := Closest(s, candidates); c != "" {
		return fmt.Sprintf(" (did you mean %q?)", c)
	}
	return ""
}

// editDistance is the Levenshtein distance between a and b, in bytes, with two rows of memory.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

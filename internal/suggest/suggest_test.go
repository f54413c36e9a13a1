package suggest

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestClosest(t *testing.T) {
	keys := []string{"name", "type", "maxDistance", "minDistance", "measurements"}
	for _, tc := range []struct {
		s          string
		candidates []string
		want       string
	}{
		{"maxDistnce", keys, "maxDistance"},          // one deletion
		{"maxdistance", keys, "maxDistance"},         // case is ignored
		{"MAXDISTANCE", keys, "maxDistance"},         // the candidate is returned as spelt
		{"measurments", keys, "measurements"},        // one deletion
		{"nmae", keys, "name"},                       // a transposition is two edits
		{"zzzzzzzzz", keys, ""},                      // nothing near
		{"tpe", keys, "type"},                        // one deletion
		{"skil", []string{"mode", "skill"}, "skill"}, // attribute names
		{"Red", []string{"blue", "red"}, "red"},      // team names
		{"valdate", []string{"validate", "run", "simulate", "help"}, "validate"},
		{"frobnicate", []string{"validate", "run", "simulate", "help"}, ""},
		{"rn", []string{"validate", "run", "simulate", "help"}, "run"},
		{"", []string{"ab", "abc"}, "ab"}, // two insertions
		{"", []string{"abc"}, ""},         // three are too many
		{"x", nil, ""},
		{"ab", []string{"ax", "ab", "ay"}, "ab"}, // the nearest, not the first near one
		{"ab", []string{"ax", "ay"}, "ax"},       // ties go to the earliest
		{strings.Repeat("a", maxLen), []string{strings.Repeat("a", maxLen)}, strings.Repeat("a", maxLen)},
		{strings.Repeat("a", maxLen+1), []string{strings.Repeat("a", maxLen+1)}, ""}, // too long to consider
	} {
		assert.Equal(t, tc.want, Closest(tc.s, tc.candidates), "Closest(%q, %q)", tc.s, tc.candidates)
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"abc", "", 3},
		{"kitten", "sitting", 3},
		{"flaw", "lawn", 2},
		{"same", "same", 0},
	} {
		assert.Equal(t, tc.want, editDistance(tc.a, tc.b), "%q, %q", tc.a, tc.b)
		assert.Equal(t, tc.want, editDistance(tc.b, tc.a), "symmetric: %q, %q", tc.b, tc.a)
	}
}

// FuzzClosest checks that Closest returns "" or one of the candidates, within two edits.
func FuzzClosest(f *testing.F) {
	f.Add("maxDistnce", "maxDistance")
	f.Add("Red", "red")
	f.Add("", "ab")
	f.Fuzz(func(t *testing.T, s, c string) {
		got := Closest(s, []string{c, "name"})
		if got == "" {
			return
		}
		if got != c && got != "name" {
			t.Fatalf("Closest(%q) = %q, not a candidate", s, got)
		}
		if d := editDistance(strings.ToLower(s), strings.ToLower(got)); d >= maxDistance || len(s) > maxLen {
			t.Fatalf("Closest(%q) = %q at distance %d", s, got, d)
		}
	})
}

func BenchmarkClosest(b *testing.B) {
	keys := []string{"name", "type", "description", "measurements", "referenceValue", "operation",
		"maxDistance", "minDistance", "partyAggregation", "minCount", "maxCount", "maxLatency"}
	for b.Loop() {
		Closest("maxDistnce", keys)
	}
}

func TestHint(t *testing.T) {
	assert.Equal(t, ` (did you mean "skill"?)`, Hint("skil", []string{"mode", "skill"}))
	assert.Equal(t, ` (did you mean "a\"b"?)`, Hint(`a"c`, []string{`a"b`}), "the name is quoted")
	assert.Equal(t, "", Hint("elo", []string{"mode", "skill"}))
}

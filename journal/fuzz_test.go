package journal

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzScanSegment: no segment file makes the reader panic or read out of bounds; what it
// accepts is a run of well-framed entries numbered from the header's position, which ends at
// the end of the file or at the problem it reports; and a reported torn tail has no good
// record after it.
func FuzzScanSegment(f *testing.F) {
	h := newHost(f, Options{})
	f.Add(segmentHeader(1))
	f.Add(append(segmentHeader(1), 0, 0, 0))
	seed := func(b []byte) { f.Add(b); f.Add(b[:len(b)-1]); f.Add(append(b, 1, 0, 0, 0, 9, 9, 9, 9, 7)) }
	h.start(3)
	h.start(2)
	h.crash()
	for _, name := range h.segments() {
		b, err := os.ReadFile(name)
		require.NoError(f, err)
		seed(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var first uint64 = 1
		if len(b) >= 16 {
			first = uint64(b[8]) // the position in the header, if the fuzzer kept it small
		}
		n := uint64(0)
		path := filepath.Join("seg", positionName(first, segmentExt))
		r, err := scanSegment(path, b, first, func(seq uint64, entry []byte) error {
			if seq != first+n || len(entry) == 0 || len(entry) > MaxEntrySize {
				t.Fatalf("entry %d (%d bytes) after %d good ones from %d", seq, len(entry), n, first)
			}
			n++
			return nil
		})
		if err == nil && r.end != len(b) {
			t.Fatalf("accepted %d of %d bytes", r.end, len(b))
		}
		if r.last != first-1+n {
			t.Fatalf("last %d after %d entries from %d", r.last, n, first)
		}
		if err != nil && r.torn && len(b) > segmentHeaderSize && goodFrameAfter(b, r.end+1) {
			t.Fatalf("torn tail at %d with a good record after it", r.end)
		}
	})
}

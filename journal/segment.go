package journal

// This file holds the segment format: a header naming the segment's first entry, then one
// frame per entry (length, CRC-32C, entry), and the scan that reads frames back and tells a
// torn tail from damage.

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"

	"github.com/seed-04d22514/matchmaker"
)

// MaxEntrySize bounds one entry: the Matchmaker's own bound on a journal entry (1 MiB), which
// refuses a larger request before it is recorded. Append refuses larger entries too, and the
// reader takes a frame that claims more for damage.
const MaxEntrySize = 1 << 20

const (
	segmentMagic      = "MMJSEG\x01\x00" // format version 1
	segmentHeaderSize = 8 + 8 + 4        // magic, first entry's position, CRC-32C of both
	frameHeaderSize   = 4 + 4            // entry length, CRC-32C of length and entry
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// segmentHeader returns the header of a segment whose first entry is first.
func segmentHeader(first uint64) []byte {
	b := make([]byte, 0, segmentHeaderSize)
	b = append(b, segmentMagic...)
	b = binary.LittleEndian.AppendUint64(b, first)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// readSegmentHeader returns the position of the first entry a segment's header names.
func readSegmentHeader(b []byte) (uint64, error) {
	if len(b) < segmentHeaderSize {
		return 0, fmt.Errorf("segment header is %d bytes, want %d", len(b), segmentHeaderSize)
	}
	if string(b[:8]) != segmentMagic {
		return 0, fmt.Errorf("not a journal segment of format version 1")
	}
	if crc32.Checksum(b[:16], castagnoli) != binary.LittleEndian.Uint32(b[16:]) {
		return 0, fmt.Errorf("segment header checksum mismatch")
	}
	return binary.LittleEndian.Uint64(b[8:]), nil
}

// appendFrame appends entry's frame to b.
func appendFrame(b, entry []byte) []byte {
	start := len(b)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(entry)))
	crc := crc32.Update(crc32.Checksum(b[start:start+4], castagnoli), castagnoli, entry)
	b = binary.LittleEndian.AppendUint32(b, crc)
	return append(b, entry...)
}

// frameAt reads the frame at b[off:]: its entry, or why there is none.
func frameAt(b []byte, off int) (entry []byte, problem string) {
	if len(b)-off < frameHeaderSize {
		return nil, "record header cut short"
	}
	n := binary.LittleEndian.Uint32(b[off:])
	switch {
	case n == 0:
		return nil, "empty record"
	case n > MaxEntrySize:
		return nil, fmt.Sprintf("record of %d bytes (at most %d)", n, MaxEntrySize)
	case uint64(len(b)-off-frameHeaderSize) < uint64(n):
		return nil, "record cut short"
	}
	entry = b[off+frameHeaderSize : off+frameHeaderSize+int(n)]
	crc := crc32.Update(crc32.Checksum(b[off:off+4], castagnoli), castagnoli, entry)
	if crc != binary.LittleEndian.Uint32(b[off+4:]) {
		return nil, "record checksum mismatch"
	}
	return entry, ""
}

// scanResult is what scanFrames found in a segment.
type scanResult struct {
	end     int    // offset after the last good frame
	last    uint64 // position of the last good entry; first-1 if none
	problem string // why reading stopped before the end of the segment, if it did
	torn    bool   // the problem is a torn tail: no good frame follows it
}

// scanFrames reads the frames of a whole segment file b (header included), checking that the
// entries are numbered first, first+1, ... and passing each to fn, which may stop the scan
// with an error. A bad frame stops the scan; it is a torn tail if no good frame starts at any
// later offset (what a write cut short by a crash, or unsynced writes lost with the power,
// leave), and damage otherwise.
func scanFrames(b []byte, first uint64, fn func(seq uint64, entry []byte) error) (scanResult, error) {
	r := scanResult{end: segmentHeaderSize, last: first - 1}
	for r.end < len(b) {
		entry, problem := frameAt(b, r.end)
		if problem == "" {
			seq, err := matchmaker.EntrySeq(entry)
			switch {
			case err != nil:
				problem = "record holds no journal entry: " + err.Error()
			case seq != r.last+1:
				problem = fmt.Sprintf("entry %d where entry %d belongs", seq, r.last+1)
			}
		}
		if problem != "" {
			r.problem, r.torn = problem, !goodFrameAfter(b, r.end+1)
			return r, nil
		}
		r.last++
		if fn != nil {
			if err := fn(r.last, entry); err != nil {
				return r, err
			}
		}
		r.end += frameHeaderSize + len(entry)
	}
	return r, nil
}

// goodFrameAfter reports whether a frame with a good checksum and a journal entry starts at
// some offset from off on. Most offsets fail on their length, so a damaged tail of n bytes
// costs little more than n reads.
func goodFrameAfter(b []byte, off int) bool {
	for ; off+frameHeaderSize < len(b); off++ {
		if entry, problem := frameAt(b, off); problem == "" {
			if _, err := matchmaker.EntrySeq(entry); err == nil {
				return true
			}
		}
	}
	return false
}

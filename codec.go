package matchmaker

// This file holds the binary encoding that snapshots and journal entries share: varints,
// length-prefixed strings, IEEE 754 numbers. The decoder never trusts a length: every count is
// checked against the bytes that remain before anything is allocated, so a hostile input costs
// at most its own size, and the first problem stops decoding with the field it was in.

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"time"
)

// enc appends values to a byte slice.
type enc struct{ b []byte }

func (e *enc) uint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) int(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *enc) float(f float64) {
	e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(f))
}
func (e *enc) str(s string) { e.uint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *enc) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

// time writes an instant as Unix nanoseconds; the zero time is written as math.MinInt64.
func (e *enc) time(t time.Time) {
	if t.IsZero() {
		e.int(math.MinInt64)
		return
	}
	e.int(t.UnixNano())
}

func (e *enc) strs(ss []string) {
	e.uint(uint64(len(ss)))
	for _, s := range ss {
		e.str(s)
	}
}

// dec reads what enc wrote. After the first problem every read returns a zero value and err
// keeps that problem.
type dec struct {
	b     []byte
	off   int
	field string // what is being read, for errors: field[i]sub[j]sub2, indices when not -1
	i, j  int
	sub   string
	sub2  string
	err   error
	what  string // "snapshot" or "journal entry"
}

func (d *dec) fail(format string, args ...any) {
	if d.err == nil {
		d.err = &SnapshotError{What: d.what, Field: d.fieldName(), Offset: d.off, Reason: fmt.Sprintf(format, args...)}
	}
}

func (d *dec) uint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.fail("truncated or malformed number")
		return 0
	}
	d.off += n
	return v
}

func (d *dec) int() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b[d.off:])
	if n <= 0 {
		d.fail("truncated or malformed number")
		return 0
	}
	d.off += n
	return v
}

// count reads a length of elements that take at least minSize bytes each, refusing one the
// remaining input cannot hold, and one above limit.
func (d *dec) count(minSize, limit int) int {
	v := d.uint()
	if d.err != nil {
		return 0
	}
	if v > uint64(limit) || v*uint64(max(minSize, 1)) > uint64(len(d.b)-d.off) {
		d.fail("count %d is larger than the input or the limit %d", v, limit)
		return 0
	}
	return int(v)
}

// small reads a number in [lo, hi].
func (d *dec) small(lo, hi int64) int64 {
	v := d.int()
	if d.err == nil && (v < lo || v > hi) {
		d.fail("%d is outside [%d, %d]", v, lo, hi)
		return lo
	}
	return v
}

func (d *dec) float() float64 {
	if d.err != nil {
		return 0
	}
	if len(d.b)-d.off < 8 {
		d.fail("truncated number")
		return 0
	}
	f := math.Float64frombits(binary.LittleEndian.Uint64(d.b[d.off:]))
	d.off += 8
	return f
}

// finite reads a number that must be finite, as every attribute value is.
func (d *dec) finite() float64 {
	f := d.float()
	if d.err == nil && !isFinite(f) {
		d.fail("number is not finite")
	}
	return f
}

func (d *dec) str(limit int) string {
	n := d.count(1, limit)
	if d.err != nil {
		return ""
	}
	s := string(d.b[d.off : d.off+n])
	d.off += n
	return s
}

func (d *dec) bool() bool {
	if d.err != nil {
		return false
	}
	if d.off >= len(d.b) || d.b[d.off] > 1 {
		d.fail("truncated or malformed flag")
		return false
	}
	d.off++
	return d.b[d.off-1] == 1
}

func (d *dec) time() time.Time {
	v := d.int()
	if d.err != nil || v == math.MinInt64 {
		return time.Time{}
	}
	return time.Unix(0, v).UTC()
}

func (d *dec) strs(limit, each int) []string {
	n := d.count(1, limit)
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = d.str(each)
	}
	return out
}

// at names the field that the next reads belong to.
func (d *dec) at(field string) *dec { return d.atIndexed(field, -1, "", -1, "") }

// atIndexed names the field being read as field[i]sub[j]sub2 (an index of -1 is left out),
// without building the name unless an error needs it.
func (d *dec) atIndexed(field string, i int, sub string, j int, sub2 string) *dec {
	d.field, d.i, d.sub, d.j, d.sub2 = field, i, sub, j, sub2
	return d
}

// fieldName is the name of the field being read.
func (d *dec) fieldName() string {
	name := d.field
	if d.i >= 0 {
		name += "[" + strconv.Itoa(d.i) + "]"
	}
	name += d.sub
	if d.j >= 0 {
		name += "[" + strconv.Itoa(d.j) + "]"
	}
	return name + d.sub2
}

// end checks that every byte was read.
func (d *dec) end() {
	if d.err == nil && d.off != len(d.b) {
		d.fail("%d bytes left over", len(d.b)-d.off)
	}
}

package natscluster

// This file holds the partition's journal on a JetStream stream: the owner's Matchmaker appends
// its entries to a buffer, and each tick's Sync publishes the buffer as one message, fenced by
// the sequence the owner last saw (Nats-Expected-Last-Sequence), so a node whose ownership
// moved on fails its next Sync and stops. It also holds the format of those messages.

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Headers of a journal message.
const (
	hdrKind    = "Mm-Kind"    // kindTick or kindTakeover
	hdrIntake  = "Mm-Intake"  // the last intake sequence applied, after this message
	hdrNode    = "Mm-Node"    // the node that wrote it
	hdrJournal = "Mm-Journal" // on an events message: the journal message whose events it holds

	kindTick     = "tick"
	kindTakeover = "takeover"
)

// errNotOwner refuses an Append on a node that does not own the partition.
var errNotOwner = errors.New("natscluster: this node does not own the partition")

// errBatchFull refuses an entry that would take the tick's journal message past its bound: the
// request is left for the next tick (or refused, when it cannot fit in any message).
var errBatchFull = errors.New("natscluster: the tick's journal message is full")

// ErrFenced is the cause of a failed Sync when another node has appended to the journal since
// this one last did: ownership moved on, and this node stops owning the partition. Callers of
// a Partition never receive it: it shows in the node's log (a warning for the partition), and
// the rebuild that follows counts in Metrics.Loads. The requests of the failed tick are
// applied by the new owner.
var ErrFenced = errors.New("natscluster: journal moved on: another node owns the partition")

// streamJournal is a matchmaker.Journal on a JetStream stream. Append buffers; Sync publishes.
// The partition's runner sets the intake position and results of the batch before each tick.
type streamJournal struct {
	js      jetstream.JetStream
	subject string
	node    string
	timeout time.Duration

	mu      sync.Mutex
	active  bool   // this node owns the partition
	last    uint64 // the journal stream's last sequence as this node knows it: the fence
	buf     []byte // framed entries since the last Sync
	n       int    // entries in buf
	intake  uint64 // the intake position after this batch
	results []byte // the batch's results, a JSON array
	limit   int    // Append refuses entries that would take buf past it; 0: no bound
}

// Append buffers one entry. It fails when this node does not own the partition (errNotOwner),
// or when the entry would take the buffered entries past the limit setLimit gave
// (errBatchFull).
func (j *streamJournal) Append(entry []byte) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.active {
		return errNotOwner
	}
	if j.limit > 0 && len(j.buf)+binary.MaxVarintLen64+len(entry) > j.limit {
		return errBatchFull
	}
	j.buf = binary.AppendUvarint(j.buf, uint64(len(entry)))
	j.buf = append(j.buf, entry...)
	j.n++
	return nil
}

// Sync publishes the buffered entries as one message conditioned on the last sequence this
// node saw. Any failure (fenced, timed out, disconnected) ends this node's ownership: the
// message may or may not have been stored, and the runner rebuilds from the journal, which
// says which.
func (j *streamJournal) Sync() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.n == 0 {
		return nil
	}
	if !j.active {
		return errNotOwner
	}
	msg := nats.NewMsg(j.subject)
	msg.Header.Set(hdrKind, kindTick)
	msg.Header.Set(hdrIntake, strconv.FormatUint(j.intake, 10))
	msg.Header.Set(hdrNode, j.node)
	msg.Data = encodeTick(j.n, j.buf, j.results)
	j.buf, j.n, j.results = j.buf[:0], 0, nil
	ctx, cancel := context.WithTimeout(context.Background(), j.timeout)
	defer cancel()
	ack, err := j.js.PublishMsg(ctx, msg, jetstream.WithExpectLastSequence(j.last))
	if err != nil {
		j.active = false
		if isWrongLastSeq(err) {
			return ErrFenced
		}
		return err
	}
	j.last = ack.Sequence
	return nil
}

// setBatch records what the next Sync's message says about the intake: the position after the
// batch, and the batch's results as a JSON array.
func (j *streamJournal) setBatch(intake uint64, results []byte) {
	j.mu.Lock()
	j.intake, j.results = intake, results
	j.mu.Unlock()
}

// setLimit bounds the entries Append takes (0: no bound).
func (j *streamJournal) setLimit(n int) {
	j.mu.Lock()
	j.limit = n
	j.mu.Unlock()
}

// size is the size of the entries buffered for the next Sync.
func (j *streamJournal) size() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.buf)
}

// own makes this node the owner from the journal position last on.
func (j *streamJournal) own(last uint64) {
	j.mu.Lock()
	j.active, j.last, j.buf, j.n = true, last, j.buf[:0], 0
	j.mu.Unlock()
}

// release ends this node's ownership; a later Append fails.
func (j *streamJournal) release() {
	j.mu.Lock()
	j.active = false
	j.mu.Unlock()
}

func (j *streamJournal) position() (last uint64, active bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.last, j.active
}

func isWrongLastSeq(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// encodeTick writes a tick message's body: the count of entries, each entry with its length,
// then the results, a JSON array (null for none).
func encodeTick(n int, framed []byte, results []byte) []byte {
	b := binary.AppendUvarint(nil, uint64(n))
	b = append(b, framed...)
	if results == nil {
		results = []byte("null")
	}
	return append(b, results...)
}

// decodeTick reads a tick message's body.
func decodeTick(b []byte) (entries [][]byte, results []result, err error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return nil, nil, errors.New("natscluster: bad journal message: entry count")
	}
	b = b[k:]
	entries = make([][]byte, 0, n)
	for range n {
		l, k := binary.Uvarint(b)
		if k <= 0 || l > uint64(len(b)-k) {
			return nil, nil, errors.New("natscluster: bad journal message: entry length")
		}
		entries = append(entries, b[k:k+int(l)])
		b = b[k+int(l):]
	}
	if err := json.Unmarshal(b, &results); err != nil {
		return nil, nil, errors.New("natscluster: bad journal message: results: " + err.Error())
	}
	return entries, results, nil
}

// headerUint reads a decimal header; absent or unreadable reads 0.
func headerUint(h nats.Header, key string) uint64 {
	v, _ := strconv.ParseUint(h.Get(key), 10, 64)
	return v
}

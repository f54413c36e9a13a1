package matchmaker

// This file holds event delivery: the hub that fans events out to subscribers, and the
// Subscription a consumer reads from. Delivery never blocks the producer and never loses an
// event silently: each subscription queues what its consumer has not received yet, and a
// consumer that falls more than the lag limit behind is cut off and told so.

import (
	"context"
	"slices"
	"sync"
)

// channelBuffer is the buffer of the channel that [Subscription.C] returns. It is small, and
// allocated only when C is first called: the subscription's queue, not the channel, absorbs a
// large tick. Events that fit are put in the channel before publish returns, so a host that
// calls Tick itself can read a small tick's events from the channel without waiting.
const channelBuffer = 256

// Subscription is a stream of events from a Matchmaker, made by [Matchmaker.Subscribe]. Events
// arrive in the order the Matchmaker produced them (by Seq), with no gaps while the
// subscription lives.
//
// There are two ways to receive. [Subscription.Next] returns the next event, waiting for one
// if none is queued; it starts no goroutine, and most consumers should use it. [Subscription.C]
// returns a channel, for a consumer that selects over other channels too; its first call
// starts one goroutine that feeds the channel from the queue. A consumer may call C after
// using Next; once C has been called, Next receives from that channel.
//
// Each subscription queues the events its consumer has not received yet; the Matchmaker never
// waits for a consumer. The queue grows as needed, so one tick's events, however many, never
// cut off a consumer that keeps up tick by tick. But when a tick's events are published while
// more than the lag limit ([WithMaxSubscriberLag], default 65,536) of earlier events are still
// unreceived, the subscription is cut off rather than sent a thinned stream: the events queued
// before the cut stay readable, then Next returns [ErrSlowSubscriber] and C's channel is
// closed. Such a consumer should subscribe again and re-read the state it needs. An event
// counts as received once Next has returned it or it has been received from C's channel.
//
// The same event values go to every subscriber: events are read-only. A consumer that wants
// to change one must copy it first.
//
// A subscription that receives nothing costs about a hundred bytes; its queue holds at most
// the lag limit plus one tick's events, and is released whenever it empties. Call
// [Subscription.Close] when done: it frees the queue and, if C was called, ends the goroutine.
// A consumer of C that neither reads the channel until it is closed nor calls Close leaves
// that goroutine blocked with the queued events.
//
// The methods of a Subscription are safe for concurrent use; concurrent calls of Next each
// receive different events.
type Subscription struct {
	hub *hub
	key string // what a watcher watches; "" for a subscription to every event

	mu     sync.Mutex    // guards the fields below
	queue  [][]Event     // events not yet received, as runs of the published batches, oldest first
	queued int           // the number of events in queue
	wake   chan struct{} // made by a waiter, closed when events arrive or s ends; nil when nobody waits
	ended  bool          // no more events will be queued
	closed bool          // the consumer called Close
	err    error         // why s ended, if not by the consumer's own Close
	fwd    *forwarder    // set by the first call to C
}

// forwarder is the state of the channel that C returns and of the goroutine that feeds it.
type forwarder struct {
	c        chan Event
	stop     chan struct{} // closed by Close; nil if no goroutine was started
	done     chan struct{} // closed when the goroutine has exited and closed c
	inflight bool          // the goroutine holds an event taken from the queue but not yet sent on c
}

// Next returns the next event. If one is queued, Next returns it at once, even if ctx is done;
// otherwise it waits until an event arrives, ctx is done, or the subscription ends. It returns
// [context.Cause] of ctx if ctx ends the wait, and consumes no event then. Once the
// subscription has ended and every event queued before its end has been received, Next
// returns the reason: [ErrSlowSubscriber] after a cut-off, [ErrClosed] after the Matchmaker
// was closed, and also ErrClosed after the consumer's own Close, which discards what was
// still queued.
//
// Because a queued event is returned whatever the state of ctx, calling Next with a context
// that is already done receives, without waiting, the events queued so far, then returns the
// context's error (or, if the subscription has ended, the reason): a host that calls Tick
// itself reads everything the tick produced this way.
//
// After [Subscription.C] has been called, Next receives from C's channel instead: the
// goroutine feeding the channel may hold queued events that a Next with a done context does
// not wait for.
func (s *Subscription) Next(ctx context.Context) (Event, error) {
	for {
		s.mu.Lock()
		if s.fwd != nil {
			c := s.fwd.c
			s.mu.Unlock()
			return s.receive(ctx, c)
		}
		if s.queued > 0 {
			e := s.pop()
			s.mu.Unlock()
			return e, nil
		}
		if s.ended {
			err := s.endErr()
			s.mu.Unlock()
			return nil, err
		}
		if ctx.Err() != nil { // a poll with a done context: no wait, nothing to allocate
			s.mu.Unlock()
			return nil, context.Cause(ctx)
		}
		wake := s.waitChan()
		s.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
}

// receive is Next for a subscription whose events go through the channel c.
func (s *Subscription) receive(ctx context.Context, c <-chan Event) (Event, error) {
	var e Event
	var ok bool
	select { // an event already in the channel wins over a done ctx, as it does in Next
	case e, ok = <-c:
	default:
		select {
		case e, ok = <-c:
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
	if !ok {
		s.mu.Lock()
		defer s.mu.Unlock()
		return nil, s.endErr()
	}
	return e, nil
}

// C returns a channel that delivers the events, for a consumer that selects over it. The
// first call makes the channel and starts one goroutine that moves events from the
// subscription's queue into it; later calls return the same channel. The channel buffers a
// few hundred events: those that fit are in it before the Matchmaker's call that produced
// them returns, the rest wait in the queue and reach the channel as the consumer reads. So a
// receive that does not wait may find the channel empty while a large tick's events are
// still queued; use Next with a done context to read without waiting.
//
// The library is the only one to close the channel. After a cut-off or the Matchmaker's
// Close, the channel delivers the events queued before then and is closed; [Subscription.Err]
// says why. After the consumer's own Close, the channel is closed at once (events already in
// its buffer stay readable) and the goroutine has exited when Close returns.
func (s *Subscription) C() <-chan Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fwd != nil {
		return s.fwd.c
	}
	f := &forwarder{c: make(chan Event, channelBuffer), done: make(chan struct{})}
	s.fwd = f
	s.fill()
	if s.closed || s.ended && s.queued == 0 {
		close(f.c) // nothing left to forward: no goroutine needed
		close(f.done)
		return f.c
	}
	f.stop = make(chan struct{})
	go s.forward()
	return f.c
}

// forward is the goroutine that C starts. It moves queued events into the channel, blocking
// only on the channel, and closes the channel when the subscription has ended and its queue
// is empty, or at once after the consumer's Close.
func (s *Subscription) forward() {
	f := s.fwd
	defer close(f.done)
	defer close(f.c)
	for {
		s.mu.Lock()
		f.inflight = false
		s.fill()
		if s.closed || s.ended && s.queued == 0 {
			s.mu.Unlock()
			return
		}
		if s.queued == 0 {
			wake := s.waitChan()
			s.mu.Unlock()
			<-wake // Close, like every end, closes wake
			continue
		}
		e := s.pop() // the channel is full: wait for room outside the lock
		f.inflight = true
		s.mu.Unlock()
		select {
		case f.c <- e:
		case <-f.stop:
			return
		}
	}
}

// fill moves queued events into C's channel while it has room, without blocking. It does
// nothing while the goroutine holds an event, which must reach the channel first. Requires
// s.mu.
func (s *Subscription) fill() {
	f := s.fwd
	if f == nil || f.inflight {
		return
	}
	for s.queued > 0 && len(f.c) < cap(f.c) {
		f.c <- s.pop() // cannot block: only the holder of s.mu sends while no event is in flight
	}
}

// Err returns nil while the subscription lives and after the consumer's own Close;
// [ErrSlowSubscriber] if it was cut off because the consumer fell behind; and [ErrClosed] if
// the Matchmaker was closed. Err reports the end as soon as it happens, while the events
// queued before it may still be waiting to be received.
func (s *Subscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close ends the subscription and discards the events not yet received. If C was called,
// its channel is closed and its goroutine has exited when Close returns. Close may be called
// more than once, concurrently with delivery, and after the subscription has ended for
// another reason, which Err keeps reporting.
func (s *Subscription) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.waitForwarder()
		return
	}
	live := !s.ended
	s.closed, s.ended = true, true
	clear(s.queue)
	s.queue, s.queued = nil, 0
	s.signal()
	if f := s.fwd; f != nil && f.stop != nil {
		close(f.stop)
	}
	s.mu.Unlock()
	if live {
		s.hub.remove(s)
	}
	s.waitForwarder()
}

// waitForwarder returns once the goroutine started by C, if any, has exited.
func (s *Subscription) waitForwarder() {
	s.mu.Lock()
	f := s.fwd
	s.mu.Unlock()
	if f != nil {
		<-f.done
	}
}

// end ends s with err, unless it has already ended, and reports whether it did. The events
// already queued stay readable. Requires s.mu.
func (s *Subscription) end(err error) bool {
	if s.ended {
		return false
	}
	s.ended, s.err = true, err
	s.signal()
	return true
}

// endErr is what Next returns once s has ended and its queue is empty. Requires s.mu.
func (s *Subscription) endErr() error {
	if s.err != nil {
		return s.err
	}
	return ErrClosed // ended by the consumer's own Close
}

// lag returns how many events published to s have not been received. An event the
// goroutine of C holds, or has put in the channel, is not received yet. Requires s.mu.
func (s *Subscription) lag() int {
	n := s.queued
	if f := s.fwd; f != nil {
		n += len(f.c)
		if f.inflight {
			n++
		}
	}
	return n
}

// publish queues batch unless s has ended, or cuts s off with ErrSlowSubscriber if more than
// maxLag earlier events are still unreceived. batch is shared with other subscriptions and
// never written to. live reports whether s is still live afterwards; cut whether publish
// itself cut it off.
func (s *Subscription) publish(batch []Event, maxLag int) (live, cut bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return false, false
	}
	if s.lag() > maxLag {
		s.end(ErrSlowSubscriber)
		return false, true
	}
	s.queue = append(s.queue, batch)
	s.queued += len(batch)
	s.fill()
	if s.queued > 0 { // else C's channel took everything: nobody needs waking
		s.signal()
	}
	return true, false
}

// pop removes and returns the oldest queued event; the queue must not be empty. An emptied
// queue lets go of its backing array, so an idle subscription holds no memory for it.
// Requires s.mu.
func (s *Subscription) pop() Event {
	run := s.queue[0]
	e := run[0]
	if len(run) > 1 {
		s.queue[0] = run[1:]
	} else {
		s.queue[0] = nil
		s.queue = s.queue[1:]
		if len(s.queue) == 0 {
			s.queue = nil
		}
	}
	s.queued--
	return e
}

// waitChan returns the channel that is closed when events arrive or s ends. Requires s.mu.
func (s *Subscription) waitChan() <-chan struct{} {
	if s.wake == nil {
		s.wake = make(chan struct{})
	}
	return s.wake
}

// signal wakes everyone waiting on s. Requires s.mu.
func (s *Subscription) signal() {
	if s.wake != nil {
		close(s.wake)
		s.wake = nil
	}
}

// hub fans events out to subscriptions. It starts no goroutines: publish appends each batch to
// every subscription's queue, so a slow consumer costs the producer nothing but memory, which
// the lag limit bounds.
//
// The methods of a hub are safe for concurrent use, but the caller must not call publish
// concurrently with itself: events reach each subscriber in the order they are passed to
// publish, across calls.
type hub struct {
	maxLag  int
	maxSubs int

	maxWatch int // live watchers (WatchTicket, WatchGameSession); set by New

	mu       sync.Mutex // guards the fields below; taken before any Subscription.mu
	subs     []*Subscription
	watchers map[string][]*Subscription // by the ticket ID or game session ARN watched
	nwatch   int
	closed   bool
	cutOff   uint64
}

// newHub returns a hub that cuts off a subscription more than maxLag events behind and holds
// at most maxSubs live subscriptions. Both must be at least 1; the options that set them are
// checked before, so a smaller value is a bug and panics.
func newHub(maxLag, maxSubs int) *hub {
	if maxLag < 1 || maxSubs < 1 {
		panic("matchmaker: subscriber lag and subscriber limit must be at least 1")
	}
	return &hub{maxLag: maxLag, maxSubs: maxSubs}
}

// subscribe returns a new subscription that receives the events published from now on. It
// fails with ErrClosed if the hub is closed, and with a *LimitError if maxSubs subscriptions
// are live.
func (h *hub) subscribe() (*Subscription, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrClosed
	}
	if len(h.subs) >= h.maxSubs {
		return nil, &LimitError{Limit: "WithMaxSubscribers", Max: h.maxSubs}
	}
	s := &Subscription{hub: h}
	h.subs = append(h.subs, s)
	return s, nil
}

// watch returns a subscription that receives only the events about key, a ticket ID or a game
// session ARN (see eventKeys).
func (h *hub) watch(key string) (*Subscription, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrClosed
	}
	if h.nwatch >= h.maxWatch {
		return nil, &LimitError{Limit: "WithMaxWatchers", Max: h.maxWatch}
	}
	if h.watchers == nil {
		h.watchers = map[string][]*Subscription{}
	}
	s := &Subscription{hub: h, key: key}
	h.watchers[key] = append(h.watchers[key], s)
	h.nwatch++
	return s, nil
}

// Watch keys keep ticket IDs and game session ARNs apart, which may be the same strings.
func ticketKey(id string) string {
	if id == "" {
		return ""
	}
	return "ticket\x00" + id
}

func sessionKey(arn string) string {
	if arn == "" {
		return ""
	}
	return "session\x00" + arn
}

// eventKeys lists what an event is about: the tickets it shows and, for a game session, its
// ARN and backfill ticket.
func eventKeys(e Event, dst []string) []string {
	for _, t := range e.ticketList() {
		dst = append(dst, ticketKey(t.TicketID))
	}
	var arn, backfill string
	switch e := e.(type) {
	case *PotentialMatchCreated:
		arn = e.GameSessionArn
	case *MatchmakingSucceeded:
		arn = e.GameSessionInfo.GameSessionArn
	case *MatchmakingDataUpdated:
		arn, backfill = e.GameSessionArn, e.BackfillTicketID
	case *BackfillFailed:
		arn, backfill = e.GameSessionArn, e.BackfillTicketID
	case *BackfillTimedOut:
		arn, backfill = e.GameSessionArn, e.BackfillTicketID
	case *BackfillCancelled:
		arn, backfill = e.GameSessionArn, e.BackfillTicketID
	}
	return append(dst, sessionKey(arn), ticketKey(backfill))
}

// publishWatched queues, for each watcher, the events about what it watches. Requires h.mu.
func (h *hub) publishWatched(events []Event) {
	var batches map[*Subscription][]Event
	var keys []string
	for _, e := range events {
		keys = eventKeys(e, keys[:0])
		for i, k := range keys {
			if k == "" || slices.Contains(keys[:i], k) {
				continue
			}
			for _, s := range h.watchers[k] {
				if batches == nil {
					batches = map[*Subscription][]Event{}
				}
				batches[s] = append(batches[s], e)
			}
		}
	}
	for s, batch := range batches {
		live, cut := s.publish(batch, h.maxLag)
		if cut {
			h.cutOff++
		}
		if !live {
			h.forgetWatcher(s)
		}
	}
}

// forgetWatcher drops s from the watchers. Requires h.mu.
func (h *hub) forgetWatcher(s *Subscription) {
	ws := h.watchers[s.key]
	if i := slices.Index(ws, s); i >= 0 {
		ws = slices.Delete(ws, i, i+1)
		h.nwatch--
	}
	if len(ws) == 0 {
		delete(h.watchers, s.key)
	} else {
		h.watchers[s.key] = ws
	}
}

// publish queues events, in order, for every live subscription, without blocking. A
// subscription more than maxLag events behind is cut off with ErrSlowSubscriber instead, and
// removed. publish copies the slice once, so the caller may reuse it; the events themselves
// are shared by every subscriber. After close, publish does nothing.
func (h *hub) publish(events []Event) {
	if len(events) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	if h.nwatch > 0 {
		h.publishWatched(events)
	}
	if len(h.subs) == 0 {
		return
	}
	batch := slices.Clone(events)
	kept := h.subs[:0]
	for _, s := range h.subs {
		live, cut := s.publish(batch, h.maxLag)
		if cut {
			h.cutOff++
		}
		if live {
			kept = append(kept, s)
		}
	}
	clear(h.subs[len(kept):]) // let removed subscriptions be collected
	h.subs = kept
}

// remove forgets s, which has ended.
func (h *hub) remove(s *Subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s.key != "" {
		h.forgetWatcher(s)
		return
	}
	if i := slices.Index(h.subs, s); i >= 0 {
		h.subs = slices.Delete(h.subs, i, i+1)
	}
}

// close ends every subscription with ErrClosed and refuses new ones; the events already
// queued stay readable. It may be called more than once.
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	for _, s := range h.subs {
		s.mu.Lock()
		s.end(ErrClosed)
		s.mu.Unlock()
	}
	for _, ws := range h.watchers {
		for _, s := range ws {
			s.mu.Lock()
			s.end(ErrClosed)
			s.mu.Unlock()
		}
	}
	h.subs, h.watchers, h.nwatch = nil, nil, 0
}

// stats returns the number of live subscriptions and how many have been cut off for falling
// behind since the hub was made.
func (h *hub) stats() (subscribers int, cutOff uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs) + h.nwatch, h.cutOff
}

// TryNext returns the next queued event without waiting, and false when none is queued; then
// [Subscription.Err] tells whether the subscription has ended. It is the receive for a host
// that calls Tick from its own loop and reads what the tick produced before going on. Use
// either C, or Next and TryNext, on one subscription: after C has been called, events may be in
// flight to its channel where TryNext does not see them.
func (s *Subscription) TryNext() (Event, bool) {
	e, err := s.Next(doneContext)
	return e, err == nil
}

// doneContext is a context that is already done, so that Next returns without waiting.
var doneContext = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

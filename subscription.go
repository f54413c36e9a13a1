package matchmaker

// This file holds event delivery: the hub that fans events out to subscribers, and the
// Subscription a consumer reads from. Delivery never blocks the producer and never loses an
// event silently: a consumer that falls a whole buffer behind is cut off and told so.

import (
	"slices"
	"sync"
)

// Subscription is a stream of events from a Matchmaker. Read events from [Subscription.C]; when
// that channel is closed, [Subscription.Err] says why.
//
// Events arrive in the order the Matchmaker produced them, with no gaps while the subscription
// lives. The library owns the channel and is the only one to close it. A consumer that lets the
// channel's buffer fill is cut off rather than sent a thinned stream: the channel is closed after
// the events already buffered, and Err returns [ErrSlowSubscriber]. Such a consumer should
// subscribe again and re-read the state it needs.
//
// The methods of a Subscription are safe for concurrent use.
type Subscription struct {
	c   chan Event
	hub *hub

	mu    sync.Mutex // guards ended and err, and orders sends on c before its close
	ended bool
	err   error
}

// C returns the channel that delivers events. It is closed when the subscription ends; events
// buffered before then stay readable.
func (s *Subscription) C() <-chan Event { return s.c }

// Err returns nil while the subscription lives and after the consumer's own Close;
// [ErrSlowSubscriber] if the subscription was cut off because the consumer fell behind; and
// [ErrClosed] if the Matchmaker was closed.
func (s *Subscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close ends the subscription and closes its channel. It may be called more than once, and
// concurrently with delivery; calls after the subscription ended, for any reason, do nothing.
func (s *Subscription) Close() {
	if s.end(nil) {
		s.hub.remove(s)
	}
}

// end ends s with err, unless it has already ended, and reports whether it did.
func (s *Subscription) end(err error) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return false
	}
	s.ended, s.err = true, err
	close(s.c)
	return true
}

// deliver sends events to s in order without blocking. If the buffer fills, s is cut off with
// ErrSlowSubscriber and the rest of events are not sent. live reports whether s is still live
// afterwards; cut whether deliver itself cut it off.
func (s *Subscription) deliver(events []Event) (live, cut bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return false, false
	}
	for _, e := range events {
		select {
		case s.c <- e:
		default:
			s.ended, s.err = true, ErrSlowSubscriber
			close(s.c)
			return false, true
		}
	}
	return true, false
}

// hub fans events out to subscriptions. It starts no goroutines: publish does non-blocking sends
// into each subscription's buffered channel, so a slow consumer costs the producer nothing.
//
// The methods of a hub are safe for concurrent use, but the caller must not call publish
// concurrently with itself: events reach each subscriber in the order they are passed to
// publish, across calls.
type hub struct {
	buffer int

	mu     sync.Mutex // guards the fields below; taken before any Subscription.mu
	subs   []*Subscription
	closed bool
	cutOff uint64
}

// newHub returns a hub whose subscriptions each buffer up to buffer events. buffer must be at
// least 1; the option that sets it is checked before, so a smaller value is a bug and panics.
func newHub(buffer int) *hub {
	if buffer < 1 {
		panic("matchmaker: subscriber buffer must be at least 1")
	}
	return &hub{buffer: buffer}
}

// subscribe returns a new subscription that receives the events published from now on, or
// ErrClosed if the hub is closed.
func (h *hub) subscribe() (*Subscription, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrClosed
	}
	s := &Subscription{c: make(chan Event, h.buffer), hub: h}
	h.subs = append(h.subs, s)
	return s, nil
}

// publish delivers events, in order, to every live subscription, without blocking. A
// subscription whose buffer is full is cut off with ErrSlowSubscriber and removed. After close,
// publish does nothing.
func (h *hub) publish(events []Event) {
	if len(events) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	kept := h.subs[:0]
	for _, s := range h.subs {
		live, cut := s.deliver(events)
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
	if i := slices.Index(h.subs, s); i >= 0 {
		h.subs = slices.Delete(h.subs, i, i+1)
	}
}

// close ends every subscription with ErrClosed and refuses new ones. It may be called more than
// once.
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	for _, s := range h.subs {
		s.end(ErrClosed)
	}
	h.subs = nil
}

// stats returns the number of live subscriptions and how many have been cut off for falling
// behind since the hub was made.
func (h *hub) stats() (subscribers int, cutOff uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs), h.cutOff
}

package matchmaker

// This file holds the typed events a Matchmaker emits.

import "time"

// Header carries the fields every event has.
type Header struct {
	// Seq numbers events from 1, in the order the Matchmaker produced them, without gaps on a
	// live subscription.
	Seq uint64
	// Time is the matchmaker's clock when the event was produced.
	Time time.Time
}

// Event is one of the event types of this package; the set is closed. Use a type switch.
type Event interface {
	header() *Header
}

func (h *Header) header() *Header { return h }

package matchmaker

// This file holds the package's error values and the ValidationError type that every input check
// (rule sets, requests, scenarios) reports through.

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Sentinel errors. Test for them with [errors.Is].
var (
	// ErrClosed is returned by every request to a Matchmaker after Close, by Subscription.Next
	// once a closed Matchmaker's events are drained, and by Next after the Subscription's own
	// Close.
	ErrClosed = errors.New("matchmaker: closed")
	// ErrAlreadyRunning is returned by Run while another call to Run is active.
	ErrAlreadyRunning = errors.New("matchmaker: already running")
	// ErrNotFound is matched by every *NotFoundError: a ticket, backfill or game session the
	// Matchmaker does not know.
	ErrNotFound = errors.New("matchmaker: not found")
	// ErrInvalidInput is matched by every *ValidationError.
	ErrInvalidInput = errors.New("matchmaker: invalid input")
	// ErrInvalidState is matched by every *StateError: a request that the ticket's current
	// status does not allow.
	ErrInvalidState = errors.New("matchmaker: invalid state")
	// ErrLimit is matched by every *LimitError: a request that would exceed a configured bound.
	ErrLimit = errors.New("matchmaker: limit exceeded")
	// ErrSlowSubscriber ends a Subscription whose consumer fell more than WithMaxSubscriberLag
	// events behind across ticks. The consumer should resubscribe and re-read the state it needs.
	ErrSlowSubscriber = errors.New("matchmaker: subscriber too slow, subscription ended")
	// ErrBadSnapshot is matched by every *SnapshotError.
	ErrBadSnapshot = errors.New("matchmaker: bad snapshot or journal entry")
	// ErrJournal is matched by every *JournalError.
	ErrJournal = errors.New("matchmaker: journal failed")
)

// SnapshotError reports a snapshot or journal entry that cannot be read: truncated, corrupt,
// of an unknown format version, or taken with a different rule set. Nothing was changed. It
// matches [ErrBadSnapshot] with [errors.Is].
type SnapshotError struct {
	// What is "snapshot" or "journal entry".
	What string
	// Field names the part being read, such as "tickets[12].players[0].latency".
	Field string
	// Offset is the byte offset where reading stopped.
	Offset int
	// Reason says what is wrong.
	Reason string
}

func (e *SnapshotError) Error() string {
	s := "matchmaker: bad " + e.What
	if e.Field != "" {
		s += ": " + e.Field
	}
	return s + " (byte " + strconv.Itoa(e.Offset) + "): " + e.Reason
}

// Is reports whether target is ErrBadSnapshot.
func (e *SnapshotError) Is(target error) bool { return target == ErrBadSnapshot }

// JournalError reports a Journal that failed. From Append, the request was refused and nothing
// changed; from Sync after a tick, the Matchmaker has failed: every later request returns the
// same error, and the host recovers from the journal (see Recover). It matches [ErrJournal]
// with [errors.Is] and unwraps to the Journal's own error.
type JournalError struct {
	// Op is "Append" or "Sync".
	Op string
	// Seq is the position of the entry concerned (for Sync, the last one appended).
	Seq uint64
	// Err is the Journal's error.
	Err error
}

func (e *JournalError) Error() string {
	return "matchmaker: journal " + e.Op + " at entry " + strconv.FormatUint(e.Seq, 10) + ": " + e.Err.Error()
}

// Is reports whether target is ErrJournal.
func (e *JournalError) Is(target error) bool { return target == ErrJournal }

// Unwrap returns the Journal's error.
func (e *JournalError) Unwrap() error { return e.Err }

// LimitError reports a request refused because it would exceed a configured bound. It matches
// [ErrLimit] with [errors.Is]; use [errors.As] to read which bound.
type LimitError struct {
	// Limit names the bound, as the Option that sets it (for example "WithMaxTickets").
	Limit string
	// Max is the bound in force.
	Max int
}

func (e *LimitError) Error() string {
	return "matchmaker: limit exceeded: " + e.Limit + " (" + strconv.Itoa(e.Max) + ")"
}

// Is reports whether target is ErrLimit.
func (e *LimitError) Is(target error) bool { return target == ErrLimit }

// NotFoundError reports an ID the Matchmaker does not know (never used, or ended and forgotten
// after the retention period). It matches [ErrNotFound] with [errors.Is].
type NotFoundError struct {
	// Kind says what was looked up: "ticket", "backfill ticket" or "game session".
	Kind string
	// ID is the identifier asked for.
	ID string
}

func (e *NotFoundError) Error() string {
	return "matchmaker: " + e.Kind + " " + strconv.Quote(e.ID) + " not found"
}

// Is reports whether target is ErrNotFound.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// StateError reports a request that a ticket's current status does not allow, such as stopping
// a ticket that has already completed. It matches [ErrInvalidState] with [errors.Is]; use
// [errors.As] to read the status.
type StateError struct {
	// TicketID is the ticket the request named.
	TicketID string
	// Status is the ticket's status when the request arrived.
	Status TicketStatus
	// Op is the refused request, such as "StopMatchmaking".
	Op string
}

func (e *StateError) Error() string {
	return "matchmaker: " + e.Op + ": ticket " + strconv.Quote(e.TicketID) + " is " + string(e.Status)
}

// Is reports whether target is ErrInvalidState.
func (e *StateError) Is(target error) bool { return target == ErrInvalidState }

// FieldError is one problem with one field of a caller's input.
type FieldError struct {
	// Path locates the field: a JSON path such as "rules[2].maxDistance" for a rule set, or
	// "Players[0].PlayerAttributes.skill" for a request.
	Path string
	// Message says what is wrong, in words a person can act on.
	Message string
}

func (e FieldError) Error() string {
	if e.Path == "" {
		return e.Message
	}
	return e.Path + ": " + e.Message
}

// ValidationError reports every problem found in one input, not just the first. Inputs that fail
// validation change nothing. Every ValidationError matches [ErrInvalidInput] with [errors.Is].
type ValidationError struct {
	// Input names what was checked, such as "rule set" or "StartMatchmaking".
	Input string
	// Problems lists the problems in the order they were found.
	Problems []FieldError
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("matchmaker: invalid ")
	b.WriteString(e.Input)
	for i, p := range e.Problems {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(p.Error())
	}
	return b.String()
}

// Is reports whether target is ErrInvalidInput.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalidInput }

// problems collects FieldErrors while an input is checked.
type problems struct {
	list []FieldError
}

func (p *problems) add(path, format string, args ...any) {
	p.list = append(p.list, FieldError{Path: path, Message: fmt.Sprintf(format, args...)})
}

func (p *problems) empty() bool { return len(p.list) == 0 }

// err returns a *ValidationError naming input, or nil if nothing was found.
func (p *problems) err(input string) error {
	if len(p.list) == 0 {
		return nil
	}
	return &ValidationError{Input: input, Problems: p.list}
}

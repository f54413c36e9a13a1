package matchmaker

// This file holds the package's error values and the ValidationError type that every input check
// (rule sets, requests, scenarios) reports through.

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Test for them with [errors.Is].
var (
	// ErrClosed is returned by every method of a Matchmaker after Close, and by a Subscription
	// whose Matchmaker was closed.
	ErrClosed = errors.New("matchmaker: closed")
	// ErrAlreadyRunning is returned by Run while another call to Run is active.
	ErrAlreadyRunning = errors.New("matchmaker: already running")
	// ErrNotFound is returned for a ticket, backfill or game session the Matchmaker does not know.
	ErrNotFound = errors.New("matchmaker: not found")
	// ErrInvalidInput is matched by every *ValidationError.
	ErrInvalidInput = errors.New("matchmaker: invalid input")
	// ErrInvalidState is returned for a request that the target's current state does not allow,
	// such as stopping a ticket that has already completed.
	ErrInvalidState = errors.New("matchmaker: invalid state")
	// ErrLimit is returned when a request would exceed a configured bound (pool size, backfills).
	ErrLimit = errors.New("matchmaker: limit exceeded")
	// ErrSlowSubscriber ends a Subscription whose consumer fell more than the subscriber buffer
	// behind. The consumer should resubscribe and re-read the state it needs.
	ErrSlowSubscriber = errors.New("matchmaker: subscriber too slow, subscription ended")
	// ErrStaleBackfill rejects a backfill proposal made against a roster that has since changed.
	ErrStaleBackfill = errors.New("matchmaker: backfill roster changed")
)

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

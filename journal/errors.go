package journal

// This file holds the package's errors.

import (
	"errors"
	"strconv"
)

var (
	// ErrLocked is returned by Open when another Log, in this process or another, has the
	// directory open.
	ErrLocked = errors.New("journal: directory in use by another Log")
	// ErrClosed is returned by every method of a Log after Close, and after a failed write or
	// Sync (wrapped with the cause): a Log whose writes failed cannot tell what reached the disk,
	// so it takes no more entries; the host opens the directory again and recovers.
	ErrClosed = errors.New("journal: closed")
	// ErrFull refuses an Append that would need more than Options.MaxSegments segment files:
	// the host has not called Checkpoint for too long.
	ErrFull = errors.New("journal: too many segments; call Checkpoint to trim the journal")
	// ErrCorrupt is matched by every *CorruptError.
	ErrCorrupt = errors.New("journal: corrupt")
)

// CorruptError reports a file of the journal directory that cannot be read: a damaged record
// before the tail of the last segment, a segment or snapshot whose checksum does not match,
// or entries missing between a snapshot and the segments. Nothing was changed; the host
// decides (restore the directory from a backup, or cut the damaged segment at Offset and
// accept the loss of what follows). It matches [ErrCorrupt] with [errors.Is].
type CorruptError struct {
	// File is the path of the damaged file.
	File string
	// Offset is the byte offset in File where reading stopped.
	Offset int64
	// Reason says what is wrong.
	Reason string
}

func (e *CorruptError) Error() string {
	return "journal: corrupt " + e.File + " at byte " + strconv.FormatInt(e.Offset, 10) + ": " + e.Reason
}

// Is reports whether target is ErrCorrupt.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

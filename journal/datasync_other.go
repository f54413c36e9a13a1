//go:build !linux

package journal

// This file holds the data sync where fdatasync(2) is not offered: fsync.

import "os"

func datasync(f *os.File) error { return f.Sync() }

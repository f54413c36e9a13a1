//go:build !unix

package journal

// This file holds the directory lock where flock(2) is missing: the lock file is created
// exclusively and removed by Close, so a crashed process leaves it behind, to be removed by
// hand once no process uses the directory.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

func lockDir(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("%w: %s (remove it if no process uses the directory)", ErrLocked, path)
	}
	return f, err
}

// unlockDir releases the lock by removing the file.
func unlockDir(f *os.File) error {
	err := f.Close()
	if rerr := os.Remove(f.Name()); err == nil {
		err = rerr
	}
	return err
}

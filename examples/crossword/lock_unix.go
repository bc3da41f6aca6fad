//go:build unix

package crossword

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockDir creates and locks path (flock, exclusive, not waiting), so that
// one room of one process at a time has the world open; the lock goes when
// the returned file is closed or the process ends. A lock held elsewhere
// is ErrWorldOpen.
func lockDir(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w (%s is locked by another room or process)", ErrWorldOpen, path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return f, nil
}

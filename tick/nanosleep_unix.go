//go:build unix

package tick

import (
	"syscall"
	"time"
)

// nanosleep blocks the calling thread for d in the kernel, bypassing the Go
// runtime's millisecond-granular idle wait.
func nanosleep(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	_ = syscall.Nanosleep(&ts, nil) // EINTR: wake early; the caller re-checks
}

package wasmgame

import (
	"errors"
	"fmt"
)

// Errors a CallError wraps, for callers to branch on with errors.Is.
var (
	// ErrCallTimeout: a call into the guest ran past Options.CallTimeout
	// (an endless loop, or work too slow for a tick) and was stopped.
	ErrCallTimeout = errors.New("wasmgame: guest call ran out of time")
	// ErrMemoryLimit: the guest ran out of memory under
	// Options.MemoryLimitPages.
	ErrMemoryLimit = errors.New("wasmgame: guest memory limit reached")
	// ErrGuestPanic: the game panicked inside the guest (the guest SDK
	// caught it), or the guest could not encode its state.
	ErrGuestPanic = errors.New("wasmgame: guest panicked")
	// ErrGuestExit: the guest exited or trapped (a Go runtime fatal error,
	// an out-of-bounds access, a call to proc_exit).
	ErrGuestExit = errors.New("wasmgame: guest stopped")
	// ErrModuleClosed: the Module was closed; it starts no new rooms.
	ErrModuleClosed = errors.New("wasmgame: module closed")
)

// CallError is why a call into a room's guest failed. The adapter panics
// with it inside the tick.Game method, so the room ends with ROOM_FAILED
// and the error is logged once, as for a native game's panic.
type CallError struct {
	Export string // the guest export called, e.g. "tickwire_tick"
	Err    error  // one of the Err* above, possibly joined with wazero's error
	Stderr string // the start of what the guest wrote to stderr during the call (a Go runtime's crash says why first)
}

func (e *CallError) Error() string {
	s := fmt.Sprintf("wasm guest %s: %v", e.Export, e.Err)
	if e.Stderr != "" {
		s += "; guest stderr: " + e.Stderr
	}
	return s
}

func (e *CallError) Unwrap() error { return e.Err }

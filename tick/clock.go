package tick

import "time"

// Clock is the source of time for the scheduler: rooms read Now and wait on
// Timers made by NewTimer. The zero Options use the system clock; tests use
// it too, inside testing/synctest bubbles, whose fake time makes every tick
// deterministic. Another Clock is for harnesses that drive time by hand.
// Each room calls its Clock from its own goroutine only; one Clock serves
// every room, so implementations must be safe for concurrent use.
type Clock interface {
	// Now returns the current time. Deadlines are computed from it, so it
	// should carry a monotonic reading like time.Now's.
	Now() time.Time
	// NewTimer returns a Timer that fires once, after d.
	NewTimer(d time.Duration) Timer
}

// Timer is a one-shot timer made by a Clock. Only the room that made it
// uses it.
type Timer interface {
	// C delivers the time when the timer fires.
	C() <-chan time.Time
	// Reset makes the timer fire after d, discarding a pending firing
	// (Go 1.23 timer semantics).
	Reset(d time.Duration)
	// Stop stops the timer; a pending firing is discarded.
	Stop()
}

// SystemClock is the Clock of package time. Inside a testing/synctest
// bubble it runs on the bubble's fake time.
type SystemClock struct{}

// Now returns time.Now(). Any goroutine may call it.
func (SystemClock) Now() time.Time { return time.Now() }

// NewTimer returns a Timer backed by time.NewTimer. Any goroutine may call it.
func (SystemClock) NewTimer(d time.Duration) Timer { return systemTimer{time.NewTimer(d)} }

type systemTimer struct{ t *time.Timer }

func (s systemTimer) C() <-chan time.Time   { return s.t.C }
func (s systemTimer) Reset(d time.Duration) { s.t.Reset(d) }
func (s systemTimer) Stop()                 { s.t.Stop() }

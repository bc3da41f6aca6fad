// Package loadstat is the measuring shared by the bench (bench/) and the
// public load-test harness (loadtest/): the run clock, coordinated-omission
// corrected input tracking, sharded latency histograms, the server's
// /metrics and /debug/ticks, the progress line and the latency plots.
// Nothing here knows about a scenario or a game.
package loadstat

import "time"

// Clock is a run's time base: nanoseconds since the run started, read
// from the monotonic clock, so a wall-clock step cannot bend a latency.
// Ping timestamps on the wire are Unix0 + Now(), which look like Unix
// nanoseconds to the server but come back comparable with Now().
type Clock struct {
	Start time.Time
	Unix0 int64
}

// NewClock starts a run clock now.
func NewClock() Clock {
	t := time.Now()
	return Clock{Start: t, Unix0: t.UnixNano()}
}

// Now is the time since the run started, in nanoseconds.
func (c Clock) Now() int64 { return int64(time.Since(c.Start)) }

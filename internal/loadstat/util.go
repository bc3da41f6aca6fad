package loadstat

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tickwire/tickwire/client"
)

// SleepUntil waits until run-clock time t; false if ctx ended first.
func SleepUntil(ctx context.Context, clk Clock, t int64) bool {
	d := time.Duration(t - clk.Now())
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// FailureReason shortens err to a reason that groups well in a report:
// the same cause on many clients must read the same.
func FailureReason(step string, err error) string {
	var ce *client.CloseError
	var he *client.HandshakeError
	switch {
	case errors.As(err, &he):
		return fmt.Sprintf("%s: handshake refused: HTTP %d", step, he.Status)
	case errors.As(err, &ce):
		return fmt.Sprintf("%s: closed %d %s", step, ce.Code, ce.Reason)
	case errors.Is(err, context.DeadlineExceeded):
		return step + ": timed out"
	}
	return step + ": " + Truncate(err.Error(), 100)
}

// Truncate cuts s to n bytes and an ellipsis.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Counter counts events by name from any goroutine. Its zero value is
// ready.
type Counter struct {
	mu sync.Mutex
	m  map[string]int
}

// Add counts one event of name.
func (c *Counter) Add(name string) { c.AddN(name, 1) }

// AddN counts n events of name.
func (c *Counter) AddN(name string, n int) {
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]int{}
	}
	c.m[name] += n
	c.mu.Unlock()
}

// Snapshot returns a copy of the counts (empty, not nil, when none).
func (c *Counter) Snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.m))
	for k, v := range c.m {
		out[k] = v
	}
	return out
}

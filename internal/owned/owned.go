// Package owned is the guard of every part that starts goroutines of its
// own (the server, the lobby, a cluster node): Go starts a function on a
// goroutine the part owns unless the part has begun to close, Close stops
// further starts, and Wait waits for every goroutine started. A start can
// never race the Wait of a closing part.
package owned

import "sync"

// Group is a set of owned goroutines. The zero value is open.
type Group struct {
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

// Go runs f on a new goroutine of the group and reports true, or reports
// false and does nothing once Close was called.
func (g *Group) Go(f func()) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.wg.Go(f)
	return true
}

// Close stops further Go calls. It reports whether the group was already
// closed.
func (g *Group) Close() (already bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	already, g.closed = g.closed, true
	return already
}

// Closed reports whether Close was called.
func (g *Group) Closed() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.closed
}

// Wait waits for every goroutine the group started.
func (g *Group) Wait() { g.wg.Wait() }

// Package nbclose closes nbio connections without racing nbio's pollers.
//
// nbio's Conn.Close releases the socket's file descriptor on the calling
// goroutine. When that is not the connection's poller, the poller may
// still hold an event for the descriptor from its last epoll_wait (the
// peer's FIN, say); if the number is reused at once — a client that closes
// and redials, a server that accepts the next connection — the poller
// applies the old socket's hang-up to the new connection and closes it
// (measured: about 1 reconnect in 700 of the bench's soak bots failed at
// once, with EOF or net.ErrClosed a fraction of a millisecond after
// opening). Close here shuts the socket's receiving side down instead
// (shutdown(2) with SHUT_RD, which sends nothing to the peer) and leaves
// the close to the poller: it wakes with the read side at end of file and
// closes the connection on its own goroutine, so no event of the old
// socket can outlive its number, and the peer sees what a close sends —
// a FIN, or with SO_LINGER 0 a reset.
package nbclose

import (
	"time"

	"github.com/lesismal/nbio"
	"golang.org/x/sys/unix"
)

// Fallback bounds how long Close waits for the poller before it closes the
// connection itself (a poller that stopped, say).
const Fallback = 2 * time.Second

// Close shuts c's reading side down and lets its poller close it; it
// returns at once. A
// connection already closed is left alone (its number may belong to
// another connection by now).
func Close(c *nbio.Conn) {
	c.Lock()
	closed, _ := c.IsClosed()
	if !closed {
		// Under c's lock the descriptor is still c's: nbio marks a
		// connection closed under this lock before it releases the number.
		if rc, err := c.SyscallConn(); err == nil {
			_ = rc.Control(func(fd uintptr) { _ = unix.Shutdown(int(fd), unix.SHUT_RD) })
		}
	}
	c.Unlock()
	if !closed {
		time.AfterFunc(Fallback, func() { _ = c.Close() })
	}
}

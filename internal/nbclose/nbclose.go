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
	"net"
	"time"

	"github.com/lesismal/nbio"
	"golang.org/x/sys/unix"
)

// Fallback bounds how long Close waits for the poller before it closes the
// connection itself (a poller that stopped, say). It is long because that
// close is the off-poller close Close exists to avoid: on a machine
// starved of CPU a live poller can be seconds behind (a soak beside other
// builds on two cores, with 2 s here, closed 2,000 connections this way).
const Fallback = 10 * time.Second

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

// AwaitPoller waits until c's poller closed it, at most patience; past
// that it shuts c's read side down (Close) and waits up to Fallback more.
// Call it where nbio is about to close a connection off its poller and
// cannot be stopped: nbio's WebSocket client closes the connection on its
// message goroutine right after the close handler returns, so a client's
// close handler that ends with AwaitPoller leaves that close nothing to do
// (the server answers a close handshake by closing the TCP connection,
// whose end of file the poller reads). It polls, starting at 100 µs.
func AwaitPoller(c *nbio.Conn, patience time.Duration) {
	wait := func(d time.Duration) bool {
		deadline := time.Now().Add(d)
		step := 100 * time.Microsecond
		for {
			c.Lock()
			closed, _ := c.IsClosed()
			c.Unlock()
			if closed {
				return true
			}
			if time.Now().After(deadline) {
				return false
			}
			time.Sleep(step)
			step = min(2*step, 20*time.Millisecond)
		}
	}
	if wait(patience) {
		return
	}
	Close(c)
	wait(Fallback)
}

// AwaitConn is AwaitPoller for c when it is a plain nbio connection (the
// one under an nbio WebSocket client connection, ws.Conn); others are left
// alone. It takes a net.Conn so that this package need not import nbio's
// websocket package, whose package-level engine would start goroutines in
// every program that imports the server.
func AwaitConn(c net.Conn, patience time.Duration) {
	if nbc, ok := c.(*nbio.Conn); ok {
		AwaitPoller(nbc, patience)
	}
}

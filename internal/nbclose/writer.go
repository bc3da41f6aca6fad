package nbclose

import (
	"errors"
	"net"

	"github.com/lesismal/nbio"
	"github.com/lesismal/nbio/nbhttp"
	"golang.org/x/sys/unix"
)

// Writer writes to one connection from any goroutine without letting a
// failed write close it there.
//
// nbio's Conn.Write closes the connection on the calling goroutine when
// the socket refuses the bytes (a peer that reset, EPIPE): a room's tick
// writing to a player who just vanished frees the fd number off the
// poller, and the poller's pending hang-up of the old socket then lands on
// the next connection accepted with that number (the soak measured it:
// fresh connections closed with EOF before their 101). A Writer makes the
// write system call itself while nbio has nothing queued for the socket,
// and on an error shuts the read side down and leaves the close to the
// poller (Close). Only what the socket does not take at once goes through
// nbio's Write, which queues it and writes it when the socket drains;
// while nbio holds bytes for the socket its Write only appends, with no
// system call that could fail. One window is left: the socket refusing
// more (EAGAIN) and then failing before nbio's own first try, microseconds
// later.
//
// Every write to the connection must go through its Writer (bytes queued
// in nbio behind its back would be overtaken). Connections that are not
// plain nbio TCP connections (TLS, net.Pipe in tests) are written with
// their own Write.
type Writer struct {
	conn net.Conn   // what the caller writes to
	nb   *nbio.Conn // the plain nbio connection under conn; nil for others
	fd   int
	// queued counts the bytes handed to nbio's Write that nbio has not
	// reported written (Reported); guarded by nb's lock.
	queued int
}

// NewWriter returns a Writer for conn: an *nbio.Conn, an *nbhttp.Conn
// over one (a hijacked HTTP connection), or any other net.Conn.
func NewWriter(conn net.Conn) *Writer {
	w := &Writer{conn: conn}
	plain := conn
	if hc, ok := plain.(*nbhttp.Conn); ok {
		plain = hc.Conn
	}
	if nb, ok := plain.(*nbio.Conn); ok && nb.IsTCP() {
		if rc, err := nb.SyscallConn(); err == nil {
			_ = rc.Control(func(fd uintptr) { w.fd = int(fd) })
			w.nb = nb
		}
	}
	return w
}

// Write writes b, or queues in nbio what the socket does not take at
// once; it never blocks. On a plain nbio connection written, if not nil,
// is called with the number of bytes the socket took here, under the
// connection's lock as nbio calls its engine's OnWrittenSize callback;
// nbio reports the bytes it writes itself to that callback, which must
// pass them to Reported. (Other connections report all their bytes
// through the callback, as before.) On an error the connection is being
// closed by its poller.
func (w *Writer) Write(b []byte, written func(n int)) error {
	nb := w.nb
	if nb == nil {
		_, err := w.conn.Write(b)
		return err
	}
	nb.Lock()
	if closed, _ := nb.IsClosed(); closed {
		nb.Unlock()
		return net.ErrClosed
	}
	n := 0
	if w.queued == 0 {
		for n < len(b) {
			m, err := unix.Write(w.fd, b[n:])
			if errors.Is(err, unix.EINTR) {
				continue
			}
			if errors.Is(err, unix.EAGAIN) {
				break
			}
			if err != nil {
				if n > 0 && written != nil {
					written(n)
				}
				nb.Unlock()
				Close(nb)
				return err
			}
			n += m
		}
		if n > 0 && written != nil {
			written(n)
		}
		if n == len(b) {
			nb.Unlock()
			return nil
		}
	}
	w.queued += len(b) - n
	nb.Unlock()
	_, err := nb.Write(b[n:])
	return err
}

// Reported records that nbio wrote n bytes of what Write queued in it.
// Call it from the engine's OnWrittenSize callback, which nbio runs with
// the connection's lock held.
func (w *Writer) Reported(n int) {
	w.queued = max(w.queued-n, 0)
}

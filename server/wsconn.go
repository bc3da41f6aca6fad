package server

import (
	"net"
	"sync"
	"sync/atomic"

	"github.com/lesismal/nbio/nbhttp"

	"github.com/tickwire/tickwire/internal/nbclose"
	"github.com/tickwire/tickwire/server/internal/wsframe"
)

// wsConn is one upgraded WebSocket: Tickwire's own framing (wsframe) on
// nbio's event loop. nbio hands the connection's bytes to Parse on the
// poller goroutine that read them, and each message is handled right there:
// an Input is decoded and queued for its room with no goroutine started and
// no hand-off to another thread (docs/design.md: "Frames on the
// poller"). Handlers that may wait (joins, the lobby) start goroutines the
// server owns, as before.
//
// It is the nbio connection's session (nbhttp.ParserCloser) and the
// session's transport.
type wsConn struct {
	srv     *Server
	conn    net.Conn        // the hijacked connection: *nbhttp.Conn over nbio (or TLS)
	w       *nbclose.Writer // every write to conn goes through it
	sess    *session
	echo    bool // /echo, not /ws
	deflate bool // /echo with permessage-deflate: replies are compressed

	// mu is held by the upgrade until the session is ready (Welcome
	// queued), so that frames arriving right after the 101 wait for it;
	// afterwards it only orders Parse calls, which nbio never overlaps.
	mu     sync.Mutex
	parser wsframe.Parser

	peerClosed atomic.Bool // the peer's close frame arrived
	failed     atomic.Bool // the server failed the connection (a protocol error)
	buf        []byte      // frame scratch; guarded by sess.mu
	// head is the handshake's 101 response until it is written: the first
	// frame (the Welcome on /ws) goes in the same write (upgrade).
	// Guarded by sess.mu.
	head []byte
}

var (
	_ transport           = (*wsConn)(nil)
	_ framer              = (*wsConn)(nil)
	_ nbhttp.ParserCloser = (*wsConn)(nil)
	_ wsframe.Handler     = (*wsConn)(nil)
)

// UnderlayerConn implements nbhttp.ParserCloser (nbio's TLS reader needs it).
func (c *wsConn) UnderlayerConn() net.Conn { return c.conn }

// Parse implements nbhttp.ParserCloser: it runs on the poller. A protocol
// error sends its close frame after everything valid before it was
// handled; Parse never returns an error, which would make nbio cut the
// connection before that close frame is written.
func (c *wsConn) Parse(data []byte) error {
	c.mu.Lock()
	err := c.parser.Feed(data, c)
	c.mu.Unlock()
	if err != nil {
		c.fail(err)
	}
	return nil
}

func (c *wsConn) fail(err error) {
	we, ok := err.(*wsframe.Error)
	if !ok {
		we = &wsframe.Error{Code: wsframe.CloseProtocolError, Reason: err.Error()}
	}
	c.srv.metrics.badFrames.WithLabelValues(badFrameLabel(we.Code)).Inc()
	c.srv.log.Debug().Str("session", c.sess.id).Int("code", we.Code).Str("reason", we.Reason).Msg("websocket protocol error")
	c.sess.close(we.Code, we.Reason)
	// Failing the connection (RFC 6455 7.1.7) waits for no answer: the TCP
	// connection closes as soon as the close frame is written.
	c.failed.Store(true)
	c.cutIfDrained()
}

// cutIfDrained closes the TCP connection if nothing is left to write; the
// janitor does it later otherwise (closedAfterFlush).
func (c *wsConn) cutIfDrained() {
	if c.sess.inflight.Load() == 0 {
		c.sess.abort()
	}
}

func badFrameLabel(code int) string {
	switch code {
	case wsframe.CloseInvalidPayload:
		return "invalid_payload"
	case wsframe.CloseMessageTooBig:
		return "too_big"
	}
	return "protocol"
}

// CloseAndClean implements nbhttp.ParserCloser: the connection closed.
func (c *wsConn) CloseAndClean(err error) { c.srv.onClose(c.sess, err) }

// Message implements wsframe.Handler.
func (c *wsConn) Message(op wsframe.Opcode, payload []byte) {
	if c.echo {
		c.srv.onEchoMessage(c.sess, op, payload)
		return
	}
	c.srv.gameMessage(c.sess, op, payload)
}

// Ping implements wsframe.Handler.
func (c *wsConn) Ping(payload []byte) {
	c.sess.touch()
	c.sess.send(wsframe.OpPong, payload)
}

// Pong implements wsframe.Handler.
func (c *wsConn) Pong([]byte) { c.sess.touch() }

// Close implements wsframe.Handler: the peer's close frame. If the server
// started the handshake, it is done; otherwise the server answers with the
// peer's code (RFC 6455 5.5.1) and closes the TCP connection once the
// answer is written (the server closes first, section 7.1.1).
func (c *wsConn) Close(code int, _ string) {
	c.sess.touch()
	c.peerClosed.Store(true)
	if !c.sess.isClosing() {
		c.sess.close(code, "") // the parser checked code; 1005 answers with an empty close
	}
	c.cutIfDrained()
}

// write implements transport: one frame, straight to nbio (which copies
// what the socket does not take at once).
func (c *wsConn) write(op wsframe.Opcode, data []byte) error {
	c.buf = wsframe.AppendFrame(c.withHead(c.buf[:0]), op, data)
	err := c.w.Write(c.buf, c.wrote)
	if cap(c.buf) > 64<<10 {
		c.buf = nil // do not keep a snapshot-sized buffer per idle session
	}
	return err
}

func (c *wsConn) wireSize(_ wsframe.Opcode, n int) int64 {
	return int64(n + wsframe.HeaderSize(n))
}

func (c *wsConn) abort() error { return closeConn(c.conn) }

// closedAfterFlush: once the peer's close arrived and the answer drained,
// the handshake is over and the server may cut the connection; so too
// once it failed the connection.
func (c *wsConn) closedAfterFlush() bool { return c.peerClosed.Load() || c.failed.Load() }

// appendFrame implements framer.
func (c *wsConn) appendFrame(dst []byte, op wsframe.Opcode, data []byte) []byte {
	return wsframe.AppendFrame(dst, op, data)
}

// writeFramed implements framer: frames built by appendFrame, in one write.
func (c *wsConn) writeFramed(b []byte) error {
	if c.head != nil {
		c.buf = append(c.withHead(c.buf[:0]), b...)
		b = c.buf
	}
	return c.w.Write(b, c.wrote)
}

// wrote counts bytes the Writer wrote itself, as nbio's callback counts
// those it writes.
func (c *wsConn) wrote(n int) { c.srv.wrote(c.sess, n) }

// withHead appends the unwritten 101 response, if any, to dst: it is
// written with the connection's first frame, its bytes counted in flight
// like a frame's (nbio reports them written with the frame's).
func (c *wsConn) withHead(dst []byte) []byte {
	if c.head == nil {
		return dst
	}
	dst = append(dst, c.head...)
	c.sess.inflight.Add(int64(len(c.head)))
	c.head = nil
	return dst
}

// flushHead writes the 101 response if no frame took it along.
func (c *wsConn) flushHead() error {
	c.sess.mu.Lock()
	defer c.sess.mu.Unlock()
	if c.head == nil {
		return nil
	}
	head := c.withHead(nil)
	return c.w.Write(head, c.wrote)
}

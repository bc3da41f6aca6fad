package server

import (
	"github.com/lesismal/nbio"

	"github.com/tickwire/tickwire/server/internal/wsframe"
)

// transport carries one session's outbound messages to its peer: a
// WebSocket connection, or the event stream of the HTTP fallback
// (fallback.go). The session's flow control (inflight bytes, outbox,
// snapshot replacement, slow-consumer close) sits above it and works the
// same for both, so rooms and the lobby never learn which one a player uses.
//
// write is called with the session's mu held, so a
// transport sees one call at a time; none may block.
type transport interface {
	// write hands one message of kind mt (OpBinary, OpText,
	// OpPing, OpPong, or OpClose with a WebSocket close
	// payload: a big-endian code and the reason) to the socket without
	// blocking; the transport copies data if it keeps it. After a close,
	// the peer's answer, or the janitor after Options.CloseGrace, ends the
	// connection.
	write(mt wsframe.Opcode, data []byte) error
	// wireSize is the number of bytes a message of n payload bytes puts on
	// the wire: what the engine's OnWrittenSize will report for it.
	wireSize(mt wsframe.Opcode, n int) int64
	// abort cuts the connection at once.
	abort() error
	// closedAfterFlush reports whether, once a close was written and the
	// socket drained, the server may cut the connection itself rather
	// than wait for the peer (a stream has no closing handshake).
	closedAfterFlush() bool
}

// framer is a transport that can take several messages in one write: the
// session frames a tick's state frames into one buffer and writes it once
// (one syscall per player per tick instead of one per frame).
type framer interface {
	// appendFrame appends message data, framed as on the wire, to dst.
	appendFrame(dst []byte, mt wsframe.Opcode, data []byte) []byte
	// writeFramed writes what appendFrame built, without blocking.
	writeFramed(b []byte) error
}

// writtenSession finds the session whose socket nbio reports written
// bytes for: the engine's OnWrittenSize callback sees the nbio connection,
// whose session is the WebSocket connection or the fallback's event stream.
// The n bytes are nbio's own writes of what the connection's Writer
// queued in it, so they are reported to the Writer too.
func writtenSession(c *nbio.Conn, n int) *session {
	switch v := c.Session().(type) {
	case *wsConn:
		v.w.Reported(n)
		return v.sess
	case *sseStream:
		v.w.Reported(n)
		return v.sess
	}
	return nil
}

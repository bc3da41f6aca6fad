package server

import (
	"encoding/binary"

	"github.com/lesismal/nbio"
	"github.com/lesismal/nbio/nbhttp/websocket"
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
	// write hands one message of kind mt (BinaryMessage, TextMessage,
	// PingMessage, PongMessage, or CloseMessage with a WebSocket close
	// payload: a big-endian code and the reason) to the socket without
	// blocking; the transport copies data if it keeps it. After a close,
	// the peer's answer, or the janitor after Options.CloseGrace, ends the
	// connection.
	write(mt websocket.MessageType, data []byte) error
	// wireSize is the number of bytes a message of n payload bytes puts on
	// the wire: what the engine's OnWrittenSize will report for it.
	wireSize(mt websocket.MessageType, n int) int64
	// abort cuts the connection at once.
	abort() error
	// counted reports whether the engine's OnWrittenSize callback sees
	// this transport's writes (not in nbio's blocking mode).
	counted() bool
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
	appendFrame(dst []byte, mt websocket.MessageType, data []byte) []byte
	// writeFramed writes what appendFrame built, without blocking.
	writeFramed(b []byte) error
}

// wsTransport is a WebSocket connection.
type wsTransport struct{ conn *websocket.Conn }

var _ transport = wsTransport{}

func (t wsTransport) write(mt websocket.MessageType, data []byte) error {
	return t.conn.WriteMessage(mt, data)
}
func (t wsTransport) wireSize(_ websocket.MessageType, n int) int64 {
	return int64(n) + frameOverhead(n)
}
func (t wsTransport) abort() error { return t.conn.Close() }

var _ framer = wsTransport{}

// appendFrame appends a server frame: FIN, the opcode, the length, no mask.
// /ws never compresses what it sends (README, design notes), so the frame
// is what WriteMessage would write.
func (t wsTransport) appendFrame(dst []byte, mt websocket.MessageType, data []byte) []byte {
	n := len(data)
	switch {
	case n < 126:
		dst = append(dst, 0x80|byte(mt), byte(n))
	case n <= 65535:
		dst = append(dst, 0x80|byte(mt), 126, byte(n>>8), byte(n))
	default:
		dst = append(dst, 0x80|byte(mt), 127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	return append(dst, data...)
}

// writeFramed writes frames to the connection under the WebSocket: the
// session serializes its writes, and nbio writes each call whole.
func (t wsTransport) writeFramed(b []byte) error {
	_, err := t.conn.Conn.Write(b)
	return err
}
func (t wsTransport) counted() bool          { return !t.conn.IsBlockingMod() }
func (t wsTransport) closedAfterFlush() bool { return false }

// frameOverhead is the WebSocket header size of a server frame (no mask).
func frameOverhead(n int) int64 {
	switch {
	case n < 126:
		return 2
	case n <= 65535:
		return 4
	default:
		return 10
	}
}

// writtenSession finds the session whose socket nbio reports written
// bytes for: the engine's OnWrittenSize callback sees the nbio connection,
// whose session is the WebSocket connection or the fallback's event stream.
func writtenSession(c *nbio.Conn) *session {
	switch v := c.Session().(type) {
	case *websocket.Conn:
		sess, _ := v.Session().(*session)
		return sess
	case *sseStream:
		return v.sess
	}
	return nil
}

// Package wsframe is the server side of WebSocket framing, RFC 6455, with
// the permessage-deflate extension of RFC 7692, and no sockets: a frame
// parser that enforces every rule the RFCs make a MUST for a server, UTF-8
// validation that fails on the frame that holds the bad bytes, close-code
// checks, handshake helpers and frame writers.
//
// The server runs a Parser on the nbio poller goroutine that read the bytes
// (server/wsconn.go), so the parser never blocks, unmasks payloads in place
// and hands unfragmented messages to its Handler without copying them.
package wsframe

import (
	"encoding/binary"
	"fmt"
)

// Opcode is a frame's opcode (RFC 6455 section 5.2). On the write side it
// may carry Compressed, which sets RSV1: the payload is deflated.
type Opcode byte

// The opcodes of RFC 6455.
const (
	OpContinuation Opcode = 0x0
	OpText         Opcode = 0x1
	OpBinary       Opcode = 0x2
	OpClose        Opcode = 0x8
	OpPing         Opcode = 0x9
	OpPong         Opcode = 0xA
)

// Compressed marks an outbound data message whose payload was deflated
// (permessage-deflate): AppendFrame sets RSV1 for it.
const Compressed Opcode = 0x40

// IsControl reports whether o is a control opcode (close, ping, pong).
func (o Opcode) IsControl() bool { return o&0x8 != 0 }

// Close status codes (RFC 6455 section 7.4.1) the framing itself uses.
const (
	CloseNormal          = 1000
	CloseGoingAway       = 1001
	CloseProtocolError   = 1002
	CloseNoStatus        = 1005 // never on the wire: a close frame without a code
	CloseInvalidPayload  = 1007
	CloseMessageTooBig   = 1009
	MaxControlPayload    = 125
	maxServerHeaderBytes = 10
)

// Error is a failure of the peer that fails the connection: the server
// sends a close frame with Code and Reason, then closes.
type Error struct {
	Code   int
	Reason string
}

func (e *Error) Error() string { return fmt.Sprintf("websocket %d: %s", e.Code, e.Reason) }

func protocolError(format string, args ...any) *Error {
	return &Error{Code: CloseProtocolError, Reason: fmt.Sprintf(format, args...)}
}

// ValidCloseCode reports whether code may travel in a close frame: the
// codes RFC 6455 and IANA's registry define for use (1000–1003, 1007–1014)
// and the ranges for libraries and applications (3000–4999). 1004, 1005,
// 1006 and 1015 are reserved and never valid on the wire.
func ValidCloseCode(code int) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014:
		return true
	case code >= 3000 && code <= 4999:
		return true
	}
	return false
}

// AppendFrame appends one server frame (FIN set, no mask) carrying payload
// to dst. op may include Compressed.
func AppendFrame(dst []byte, op Opcode, payload []byte) []byte {
	dst = AppendHeader(dst, op, len(payload))
	return append(dst, payload...)
}

// AppendHeader appends the header of a server frame of n payload bytes.
func AppendHeader(dst []byte, op Opcode, n int) []byte {
	b0 := 0x80 | byte(op&0x0f)
	if op&Compressed != 0 {
		b0 |= 0x40
	}
	switch {
	case n < 126:
		return append(dst, b0, byte(n))
	case n <= 0xffff:
		return append(dst, b0, 126, byte(n>>8), byte(n))
	default:
		dst = append(dst, b0, 127)
		return binary.BigEndian.AppendUint64(dst, uint64(n))
	}
}

// HeaderSize is the size of a server frame's header for n payload bytes.
func HeaderSize(n int) int {
	switch {
	case n < 126:
		return 2
	case n <= 0xffff:
		return 4
	default:
		return maxServerHeaderBytes
	}
}

// ClosePayload is the payload of a close frame: the code, big-endian, and
// the reason, cut to fit a control frame at a UTF-8 boundary. Code 1005
// (no status) gives an empty payload.
func ClosePayload(code int, reason string) []byte {
	if code == CloseNoStatus {
		return nil
	}
	reason = truncateUTF8(reason, MaxControlPayload-2)
	p := make([]byte, 2, 2+len(reason))
	binary.BigEndian.PutUint16(p, uint16(code))
	return append(p, reason...)
}

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 { // do not cut a sequence in two
		n--
	}
	return s[:n]
}

// mask XORs b in place with the 4-byte key, starting at key position 0.
func mask(key uint32, b []byte) {
	// key is the masking key as a little-endian word, so that byte i of a
	// little-endian load lines up with key byte i%4.
	k64 := uint64(key) | uint64(key)<<32
	for len(b) >= 8 {
		v := binary.LittleEndian.Uint64(b)
		binary.LittleEndian.PutUint64(b, v^k64)
		b = b[8:]
	}
	for i := range b {
		b[i] ^= byte(key >> (8 * (i & 3)))
	}
}

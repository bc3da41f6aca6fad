// Package protocol is Tickwire's wire protocol without the networking: the
// Envelope codec with its size limits, the subprotocol name, the error and
// close codes that cross the wire, and the state-delta codec (diff and apply)
// shared by the server and the Go client.
package protocol

// Subprotocol is the WebSocket subprotocol of the game endpoint /ws: binary
// frames carrying one protobuf tickwire.v1.Envelope each.
const Subprotocol = "tickwire.v1"

// Version is the protocol version this package speaks (Hello.protocol_version).
const Version = 1

// Default limits. The server's Options may lower or raise them.
const (
	// DefaultMaxMessageBytes caps one inbound WebSocket message; a larger one
	// closes the connection with 1009.
	DefaultMaxMessageBytes = 64 << 10
	// MaxInputPayloadBytes caps Input.payload; a larger input is refused
	// with ERROR_CODE_BAD_INPUT and the connection stays open.
	MaxInputPayloadBytes = 4 << 10
)

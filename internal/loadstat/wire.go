package loadstat

import (
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/protocol"
)

// EnvelopeWireSize is the payload size of env as the server sent it. A
// state frame's last_input_seq is appended by the server as a second
// encoding of the Envelope's state field (protocol.AppendLastInputSeq),
// which the decoder merges into one: re-encoded, the frame is 2 or 3 bytes
// shorter than on the wire, 5% of a small topic frame.
func EnvelopeWireSize(env *protocol.Envelope) int {
	sf := env.GetState()
	if sf == nil {
		return proto.Size(env)
	}
	merged := proto.Size(sf) // the StateFrame with last_input_seq inside
	n := 0
	if env.Ref != 0 {
		n = protowire.SizeTag(1) + protowire.SizeVarint(uint64(env.Ref))
	}
	tag := protowire.SizeTag(envelopeStateField)
	if sf.LastInputSeq == 0 { // nothing appended
		return n + tag + protowire.SizeVarint(uint64(merged)) + merged
	}
	// The shared StateFrame (tag, length, body), then the appended one
	// (tag, a one-byte length, the last_input_seq field): merged's bytes
	// plus a second tag and length.
	shared := merged - 1 - protowire.SizeVarint(sf.LastInputSeq)
	return n + tag + protowire.SizeVarint(uint64(shared)) + tag + 1 + merged
}

// envelopeStateField is the field number of Envelope.state.
const envelopeStateField = 33

// WireSize is the size of a WebSocket binary message with n payload bytes,
// with its frame header (and mask, for client frames).
func WireSize(n int, fromClient bool) int {
	h := 2
	switch {
	case n >= 1<<16:
		h = 10
	case n >= 126:
		h = 4
	}
	if fromClient {
		h += 4
	}
	return n + h
}

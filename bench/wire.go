package main

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// The lean arena client reads only what latency needs from the server's
// frames, by hand with protowire: no Envelope, no StateFrame, no delta
// bytes copied, no allocation. These are the field numbers it reads
// (proto/tickwire/v1/tickwire.proto).
const (
	envRefField       = 1  // Envelope.ref
	envInputField     = 13 // Envelope.input
	envPingField      = 14 // Envelope.ping
	envStateField     = 33 // Envelope.state (envelopeStateField)
	envPongField      = 34 // Envelope.pong
	frameTickField    = 2  // StateFrame.tick
	frameLastSeqField = 3  // StateFrame.last_input_seq
	inputRoomField    = 1  // Input.room_id
	inputSeqField     = 2  // Input.seq
	inputPayloadField = 3  // Input.payload
	pingClientField   = 1  // Ping.client_time_unix_nano
	pongClientField   = 1  // Pong.client_time_unix_nano
)

// wireKind is what scanEnvelope found in a frame.
type wireKind uint8

const (
	// wireOther is any other message (Joined, Error, Left, …): rare, and
	// decoded in full by the caller.
	wireOther wireKind = iota
	// wireState is a StateFrame: tick and last_input_seq are set.
	wireState
	// wirePong is a Pong: clientTime is set.
	wirePong
)

// wireScan is what latency needs of one server frame.
type wireScan struct {
	kind       wireKind
	ref        uint32
	tick       uint64 // StateFrame.tick
	lastSeq    uint64 // StateFrame.last_input_seq, as merged by protobuf
	clientTime int64  // Pong.client_time_unix_nano
}

var errWire = errors.New("malformed envelope")

// scanEnvelope reads an encoded Envelope far enough to tell a StateFrame
// or a Pong from the rest, and takes from them what latency needs. It
// follows protobuf's merge rules where the server relies on them: a
// StateFrame that occurs twice (the shared frame, then the receiver's
// appended last_input_seq, protocol.AppendLastInputSeq) is one frame whose
// scalars are the last occurrence's. An Envelope that sets any other
// member of its oneof, or two different members, is wireOther, for the
// full decoder to judge. It does not allocate and does not keep b.
func scanEnvelope(b []byte) (wireScan, error) {
	var s wireScan
	var state, pong, other bool
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return s, fmt.Errorf("%w: %v", errWire, protowire.ParseError(n))
		}
		b = b[n:]
		switch {
		case num == envRefField && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return s, fmt.Errorf("%w: ref: %v", errWire, protowire.ParseError(n))
			}
			s.ref, b = uint32(v), b[n:]
			continue
		case num == envStateField && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return s, fmt.Errorf("%w: state: %v", errWire, protowire.ParseError(n))
			}
			if err := scanStateFrame(v, &s); err != nil {
				return s, err
			}
			state, b = true, b[n:]
			continue
		case num == envPongField && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return s, fmt.Errorf("%w: pong: %v", errWire, protowire.ParseError(n))
			}
			if err := scanPong(v, &s); err != nil {
				return s, err
			}
			pong, b = true, b[n:]
			continue
		case num >= 10 && num < 64 && typ == protowire.BytesType:
			other = true // another member of the oneof
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return s, fmt.Errorf("%w: field %d: %v", errWire, num, protowire.ParseError(n))
		}
		b = b[n:]
	}
	switch {
	case state && !pong && !other:
		s.kind = wireState
	case pong && !state && !other:
		s.kind = wirePong
	default:
		s.kind = wireOther
	}
	return s, nil
}

// scanStateFrame reads tick and last_input_seq from one occurrence of an
// encoded StateFrame into s; fields it does not set keep the values of
// earlier occurrences (protobuf's merge).
func scanStateFrame(b []byte, s *wireScan) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("%w: state frame: %v", errWire, protowire.ParseError(n))
		}
		b = b[n:]
		if typ == protowire.VarintType && (num == frameTickField || num == frameLastSeqField) {
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return fmt.Errorf("%w: state frame field %d: %v", errWire, num, protowire.ParseError(n))
			}
			if num == frameTickField {
				s.tick = v
			} else {
				s.lastSeq = v
			}
			b = b[n:]
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return fmt.Errorf("%w: state frame field %d: %v", errWire, num, protowire.ParseError(n))
		}
		b = b[n:]
	}
	return nil
}

// scanPong reads Pong.client_time_unix_nano into s.
func scanPong(b []byte, s *wireScan) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("%w: pong: %v", errWire, protowire.ParseError(n))
		}
		b = b[n:]
		if num == pongClientField && typ == protowire.VarintType {
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return fmt.Errorf("%w: pong: %v", errWire, protowire.ParseError(n))
			}
			s.clientTime, b = int64(v), b[n:]
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return fmt.Errorf("%w: pong field %d: %v", errWire, num, protowire.ParseError(n))
		}
		b = b[n:]
	}
	return nil
}

// appendInputEnvelope appends Envelope{ref, Input{room_id, seq, payload}}
// to dst, byte for byte what protocol.Encode writes for it (deterministic
// marshalling writes fields in number order and leaves zero values out),
// without reflection.
func appendInputEnvelope(dst []byte, ref uint32, roomID string, seq uint64, payload []byte) []byte {
	inner := 0
	if roomID != "" {
		inner += protowire.SizeTag(inputRoomField) + protowire.SizeBytes(len(roomID))
	}
	if seq != 0 {
		inner += protowire.SizeTag(inputSeqField) + protowire.SizeVarint(seq)
	}
	if len(payload) > 0 {
		inner += protowire.SizeTag(inputPayloadField) + protowire.SizeBytes(len(payload))
	}
	if ref != 0 {
		dst = protowire.AppendTag(dst, envRefField, protowire.VarintType)
		dst = protowire.AppendVarint(dst, uint64(ref))
	}
	dst = protowire.AppendTag(dst, envInputField, protowire.BytesType)
	dst = protowire.AppendVarint(dst, uint64(inner))
	if roomID != "" {
		dst = protowire.AppendTag(dst, inputRoomField, protowire.BytesType)
		dst = protowire.AppendString(dst, roomID)
	}
	if seq != 0 {
		dst = protowire.AppendTag(dst, inputSeqField, protowire.VarintType)
		dst = protowire.AppendVarint(dst, seq)
	}
	if len(payload) > 0 {
		dst = protowire.AppendTag(dst, inputPayloadField, protowire.BytesType)
		dst = protowire.AppendBytes(dst, payload)
	}
	return dst
}

// appendPingEnvelope appends Envelope{Ping{client_time_unix_nano}} to dst,
// as protocol.Encode writes it.
func appendPingEnvelope(dst []byte, clientTimeUnixNano int64) []byte {
	inner := 0
	if clientTimeUnixNano != 0 {
		inner = protowire.SizeTag(pingClientField) + protowire.SizeVarint(uint64(clientTimeUnixNano))
	}
	dst = protowire.AppendTag(dst, envPingField, protowire.BytesType)
	dst = protowire.AppendVarint(dst, uint64(inner))
	if clientTimeUnixNano != 0 {
		dst = protowire.AppendTag(dst, pingClientField, protowire.VarintType)
		dst = protowire.AppendVarint(dst, uint64(clientTimeUnixNano))
	}
	return dst
}

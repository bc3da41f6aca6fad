package protocol

import (
	"errors"
	"fmt"
	"sync"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
)

// Envelope is the one message on the wire.
type Envelope = tickwirev1.Envelope

// ErrEmptyFrame is returned for a zero-length frame, which carries no Envelope.
var ErrEmptyFrame = errors.New("empty frame")

// ErrTooLarge is returned for a frame over the decoder's limit.
var ErrTooLarge = errors.New("frame too large")

// ErrNoMessage is returned for an Envelope that decodes but sets no known
// member of its oneof (an empty or unknown message).
var ErrNoMessage = errors.New("envelope carries no known message")

var unmarshal = proto.UnmarshalOptions{DiscardUnknown: true, RecursionLimit: 32}

// Decode parses one Envelope from a binary frame into env (which it resets).
// Frames over maxBytes (when maxBytes > 0), empty frames, malformed protobuf
// and Envelopes without a known message are errors. Decode does not retain
// data, so callers may reuse the buffer as soon as it returns.
func Decode(data []byte, maxBytes int, env *Envelope) error {
	if len(data) == 0 {
		return ErrEmptyFrame
	}
	if maxBytes > 0 && len(data) > maxBytes {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(data), maxBytes)
	}
	env.Reset()
	if err := unmarshal.Unmarshal(data, env); err != nil {
		return fmt.Errorf("decode envelope: %w", err)
	}
	if env.Msg == nil {
		return ErrNoMessage
	}
	return nil
}

var marshal = proto.MarshalOptions{Deterministic: true}

// Append appends the encoding of env to buf and returns the extended buffer.
func Append(buf []byte, env *Envelope) ([]byte, error) {
	return marshal.MarshalAppend(buf, env)
}

// Buffer is a pooled encode buffer. Get one with GetBuffer, use B, and give
// it back with Release once nothing refers to B any more.
type Buffer struct {
	B []byte
}

// maxPooledBuffer keeps one huge snapshot from pinning memory in the pool.
const maxPooledBuffer = 256 << 10

var bufferPool = sync.Pool{New: func() any { return &Buffer{B: make([]byte, 0, 512)} }}

// GetBuffer returns an empty pooled Buffer.
func GetBuffer() *Buffer {
	b := bufferPool.Get().(*Buffer)
	b.B = b.B[:0]
	return b
}

// Release returns b to the pool. b must not be used afterwards.
func (b *Buffer) Release() {
	if cap(b.B) > maxPooledBuffer {
		return
	}
	bufferPool.Put(b)
}

// Encode encodes env into a pooled Buffer.
func Encode(env *Envelope) (*Buffer, error) {
	b := GetBuffer()
	var err error
	b.B, err = Append(b.B, env)
	if err != nil {
		b.Release()
		return nil, err
	}
	return b, nil
}

// Field numbers used to build per-receiver suffixes without an Envelope.
const (
	envelopeStateField     = 33 // Envelope.state
	stateLastInputSeqField = 3  // StateFrame.last_input_seq
)

// AppendLastInputSeq appends to buf, which holds an encoded Envelope carrying
// a StateFrame, a second encoding of Envelope.state that sets only
// last_input_seq. Protobuf merges repeated occurrences of a message field,
// so decoders see one StateFrame with the receiver's seq, while the shared
// part is encoded once for every receiver. A zero seq appends nothing.
func AppendLastInputSeq(buf []byte, seq uint64) []byte {
	if seq == 0 {
		return buf
	}
	inner := protowire.SizeTag(stateLastInputSeqField) + protowire.SizeVarint(seq)
	buf = protowire.AppendTag(buf, envelopeStateField, protowire.BytesType)
	buf = protowire.AppendVarint(buf, uint64(inner))
	buf = protowire.AppendTag(buf, stateLastInputSeqField, protowire.VarintType)
	return protowire.AppendVarint(buf, seq)
}

// Field numbers of the inbound fast path (ParseInput).
const (
	envelopeRefField   = 1  // Envelope.ref
	envelopeInputField = 13 // Envelope.input
	inputRoomIDField   = 1  // Input.room_id
	inputSeqField      = 2  // Input.seq
	inputPayloadField  = 3  // Input.payload
)

// InputView is an Envelope{Input} read in place: RoomID and Payload point
// into the frame, so they are valid only as long as its bytes are.
type InputView struct {
	Ref     uint32
	RoomID  []byte
	Seq     uint64
	Payload []byte
}

// ParseInput reads data as an Envelope carrying an Input, the hot inbound
// message, without allocating or going through reflection. It reports
// false for anything else — another message, an unknown or repeated
// field, a room id that is not UTF-8 — which callers hand to Decode, so
// the two paths agree on every input: ParseInput accepts only encodings
// whose meaning is plain (each field at most once, in any order).
func ParseInput(data []byte) (InputView, bool) {
	var v InputView
	var input []byte
	var seenRef, seenInput bool
	for len(data) > 0 {
		num, typ, n := protowire.ConsumeTag(data)
		if n < 0 {
			return v, false
		}
		data = data[n:]
		switch {
		case num == envelopeRefField && typ == protowire.VarintType && !seenRef:
			x, m := protowire.ConsumeVarint(data)
			if m < 0 || x > 0xffffffff {
				return v, false
			}
			v.Ref, seenRef, data = uint32(x), true, data[m:]
		case num == envelopeInputField && typ == protowire.BytesType && !seenInput:
			b, m := protowire.ConsumeBytes(data)
			if m < 0 {
				return v, false
			}
			input, seenInput, data = b, true, data[m:]
		default:
			return v, false
		}
	}
	if !seenInput {
		return v, false
	}
	var seenRoom, seenSeq, seenPayload bool
	for len(input) > 0 {
		num, typ, n := protowire.ConsumeTag(input)
		if n < 0 {
			return v, false
		}
		input = input[n:]
		switch {
		case num == inputRoomIDField && typ == protowire.BytesType && !seenRoom:
			b, m := protowire.ConsumeBytes(input)
			if m < 0 || !utf8.Valid(b) {
				return v, false
			}
			v.RoomID, seenRoom, input = b, true, input[m:]
		case num == inputSeqField && typ == protowire.VarintType && !seenSeq:
			x, m := protowire.ConsumeVarint(input)
			if m < 0 {
				return v, false
			}
			v.Seq, seenSeq, input = x, true, input[m:]
		case num == inputPayloadField && typ == protowire.BytesType && !seenPayload:
			b, m := protowire.ConsumeBytes(input)
			if m < 0 {
				return v, false
			}
			v.Payload, seenPayload, input = b, true, input[m:]
		default:
			return v, false
		}
	}
	return v, true
}

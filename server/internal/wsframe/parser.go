package wsframe

import (
	"encoding/binary"
	"errors"
	"unicode/utf8"
)

// Handler receives what a Parser finds, in the order it arrived. Payloads
// are only valid during the call: the parser reuses their memory.
type Handler interface {
	// Message is one whole data message (text or binary), reassembled from
	// its fragments and inflated; text has been checked to be UTF-8. An
	// empty message has an empty payload.
	Message(op Opcode, payload []byte)
	// Ping and Pong are control frames of at most 125 bytes.
	Ping(payload []byte)
	Pong(payload []byte)
	// Close is the peer's close frame: its code (CloseNoStatus when it
	// carried none) and reason, both already checked.
	Close(code int, reason string)
}

// Parser reads client frames. The zero value accepts messages of any size
// without compression; set MaxMessage and Deflate (when permessage-deflate
// was negotiated) before the first Feed. A Parser is used by one goroutine
// at a time.
type Parser struct {
	// MaxMessage caps one message's payload, after inflation; a larger
	// message fails the connection with 1009. 0: no cap.
	MaxMessage int
	// Deflate allows RSV1 on the first frame of a data message: the
	// message is compressed (RFC 7692). Without it RSV1 is an error.
	Deflate bool

	buf []byte // bytes of an incomplete frame, kept between Feeds

	// The data message in progress, when a fragment came without FIN.
	msgOp         Opcode // 0: none in progress
	msgCompressed bool
	msg           []byte
	text          utf8Stream
	inflated      []byte // reused output of inflate

	failed bool // a protocol error was reported: only a close is looked for
	lost   bool // framing lost after an error: everything is dropped
}

// Feed parses data, calling h for each message and control frame it
// completes, and keeps an incomplete frame for the next call. It unmasks
// data in place. The first violation of the protocol is returned as an
// *Error; the parser then reports nothing but the peer's close frame, so
// that the closing handshake can finish, and drops everything else.
func (p *Parser) Feed(data []byte, h Handler) error {
	if p.lost {
		return nil
	}
	if len(p.buf) > 0 {
		p.buf = append(p.buf, data...)
		data = p.buf
	}
	var first *Error
	for len(data) > 0 && !p.lost {
		n, err := p.frame(data, h)
		if err != nil && first == nil {
			first = err
			p.fail() // go on reading: a close frame may follow the bad one
		}
		if n == 0 {
			break
		}
		data = data[n:]
	}
	switch {
	case p.lost:
		p.buf = nil
	case len(data) == 0:
		if cap(p.buf) > 64<<10 {
			p.buf = nil // do not pin a big frame's memory on an idle connection
		} else {
			p.buf = p.buf[:0]
		}
	default:
		p.buf = append(p.buf[:0], data...) // memmove: data may alias p.buf
	}
	if first != nil {
		return first
	}
	return nil
}

func (p *Parser) fail() {
	p.failed = true
	p.msgOp, p.msg, p.inflated = 0, nil, nil
	p.text.reset()
}

// frame parses one frame at the start of data. It returns the bytes it
// consumed (0: the frame is incomplete) and any protocol error; an error
// with n == 0 means the frame could not be delimited.
func (p *Parser) frame(data []byte, h Handler) (int, *Error) {
	if len(data) < 2 {
		return 0, nil
	}
	b0, b1 := data[0], data[1]
	fin := b0&0x80 != 0
	rsv1 := b0&0x40 != 0
	op := Opcode(b0 & 0x0f)
	masked := b1&0x80 != 0
	length := uint64(b1 & 0x7f)
	hdr := 2
	switch length {
	case 126:
		if len(data) < 4 {
			return 0, nil
		}
		length, hdr = uint64(binary.BigEndian.Uint16(data[2:])), 4
	case 127:
		if len(data) < 10 {
			return 0, nil
		}
		length, hdr = binary.BigEndian.Uint64(data[2:]), 10
		if length>>63 != 0 {
			return p.lose(protocolError("frame length has its most significant bit set"))
		}
	}
	if masked {
		hdr += 4
	}

	if p.failed {
		// After an error only the peer's close matters; frames are skipped
		// whole while they can be delimited without buffering a lot.
		if length > MaxControlPayload && (p.MaxMessage <= 0 || length > uint64(p.MaxMessage)) {
			return p.lose(nil)
		}
		if !whole(data, hdr, length) {
			return 0, nil
		}
		end := hdr + int(length)
		if op == OpClose && length != 1 {
			payload := data[hdr:end]
			if masked {
				mask(binary.LittleEndian.Uint32(data[hdr-4:]), payload)
			}
			code, reason := CloseNoStatus, ""
			if len(payload) >= 2 {
				code, reason = int(binary.BigEndian.Uint16(payload)), string(payload[2:])
			}
			h.Close(code, reason)
			p.lost = true
		}
		return end, nil
	}

	if err := p.check(fin, rsv1, b0&0x30 != 0, op, masked, length); err != nil {
		if length > MaxControlPayload && (p.MaxMessage <= 0 || length > uint64(p.MaxMessage)) {
			return p.lose(err) // too big to skip by buffering it
		}
		if !whole(data, hdr, length) {
			return 0, err // skipped once it is whole, looking for a close
		}
		return hdr + int(length), err
	}
	if !whole(data, hdr, length) {
		return 0, nil
	}
	end := hdr + int(length)
	payload := data[hdr:end]
	mask(binary.LittleEndian.Uint32(data[hdr-4:]), payload)
	return end, p.handle(fin, rsv1, op, payload, h)
}

// lose reports err and gives up delimiting frames: the rest of the stream
// is dropped.
func (p *Parser) lose(err *Error) (int, *Error) {
	p.lost = true
	if err == nil {
		return 0, nil
	}
	return 0, err
}

// check applies the rules a frame header must follow.
func (p *Parser) check(fin, rsv1, rsv23 bool, op Opcode, masked bool, length uint64) *Error {
	switch {
	case rsv23:
		return protocolError("RSV2 or RSV3 set without an extension that defines them")
	case op > OpBinary && op < OpClose, op > OpPong:
		return protocolError("reserved opcode %#x", byte(op))
	case !masked:
		return protocolError("client frames must be masked")
	}
	if op.IsControl() {
		switch {
		case !fin:
			return protocolError("fragmented control frame")
		case length > MaxControlPayload:
			return protocolError("control frame payload over %d bytes", MaxControlPayload)
		case rsv1:
			return protocolError("RSV1 set on a control frame")
		}
		return nil
	}
	switch {
	case op == OpContinuation && p.msgOp == 0:
		return protocolError("continuation frame without a message to continue")
	case op != OpContinuation && p.msgOp != 0:
		return protocolError("new data frame while a fragmented message is unfinished")
	case rsv1 && op == OpContinuation:
		return protocolError("RSV1 set on a continuation frame")
	case rsv1 && !p.Deflate:
		return protocolError("RSV1 set without permessage-deflate")
	}
	if p.MaxMessage > 0 && uint64(len(p.msg))+length > uint64(p.MaxMessage) {
		return &Error{Code: CloseMessageTooBig, Reason: "message too large: over the " + itoa(p.MaxMessage) + "-byte limit"}
	}
	return nil
}

// handle acts on one whole, valid, unmasked frame.
func (p *Parser) handle(fin, rsv1 bool, op Opcode, payload []byte, h Handler) *Error {
	switch op {
	case OpPing:
		h.Ping(payload)
		return nil
	case OpPong:
		h.Pong(payload)
		return nil
	case OpClose:
		return p.close(payload, h)
	case OpText, OpBinary:
		if fin && !rsv1 { // the common case: one frame, no copy
			if op == OpText && !utf8.Valid(payload) {
				return invalidText()
			}
			h.Message(op, payload)
			return nil
		}
		p.msgOp, p.msgCompressed = op, rsv1
		if fin { // one compressed frame
			return p.finish(payload, h)
		}
	}
	// The first or a later fragment of a message.
	if p.msgOp == OpText && !p.msgCompressed && !p.text.feed(payload) {
		return invalidText()
	}
	p.msg = append(p.msg, payload...)
	if !fin {
		return nil
	}
	return p.finish(p.msg, h)
}

// finish delivers the message in progress, whose payload is data.
func (p *Parser) finish(data []byte, h Handler) *Error {
	op, compressed := p.msgOp, p.msgCompressed
	p.msgOp, p.msgCompressed = 0, false
	defer func() {
		if cap(p.msg) > 64<<10 {
			p.msg = nil
		} else {
			p.msg = p.msg[:0]
		}
		p.text.reset()
	}()
	if compressed {
		out, err := inflate(p.inflated[:0], data, p.MaxMessage)
		if cap(out) <= 64<<10 {
			p.inflated = out
		} else {
			p.inflated = nil
		}
		switch {
		case errors.Is(err, errTooBig):
			return &Error{Code: CloseMessageTooBig, Reason: "message too large: over the " + itoa(p.MaxMessage) + "-byte limit after inflation"}
		case err != nil:
			return &Error{Code: CloseInvalidPayload, Reason: "invalid compressed data"}
		}
		if op == OpText && !utf8.Valid(out) {
			return invalidText()
		}
		h.Message(op, out)
		return nil
	}
	if op == OpText && !p.text.complete() {
		return invalidText()
	}
	h.Message(op, data)
	return nil
}

func (p *Parser) close(payload []byte, h Handler) *Error {
	switch {
	case len(payload) == 0:
		h.Close(CloseNoStatus, "")
		return nil
	case len(payload) == 1:
		return protocolError("close frame with a 1-byte payload")
	}
	code := int(binary.BigEndian.Uint16(payload))
	if !ValidCloseCode(code) {
		return protocolError("invalid close code %d", code)
	}
	if !utf8.Valid(payload[2:]) {
		return &Error{Code: CloseInvalidPayload, Reason: "close reason is not UTF-8"}
	}
	h.Close(code, string(payload[2:]))
	return nil
}

func invalidText() *Error {
	return &Error{Code: CloseInvalidPayload, Reason: "text message is not valid UTF-8"}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// whole reports whether data holds a frame's hdr header bytes and its
// length payload bytes.
func whole(data []byte, hdr int, length uint64) bool {
	return len(data) >= hdr && uint64(len(data)-hdr) >= length
}

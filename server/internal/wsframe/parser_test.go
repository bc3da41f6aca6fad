package wsframe

import (
	"bytes"
	"encoding/binary"
	"testing"
	"unicode/utf8"
)

// recorder is a Handler that keeps what it was given.
type recorder struct {
	msgs   [][]byte
	ops    []Opcode
	pings  int
	closes []int
}

func (r *recorder) Message(op Opcode, p []byte) {
	r.msgs = append(r.msgs, append([]byte{}, p...))
	r.ops = append(r.ops, op)
}
func (r *recorder) Ping([]byte)           { r.pings++ }
func (r *recorder) Pong([]byte)           {}
func (r *recorder) Close(c int, _ string) { r.closes = append(r.closes, c) }

// clientFrame is a masked client frame.
func clientFrame(b0 byte, payload []byte, key uint32) []byte {
	out := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		out = append(out, 0x80|byte(n))
	case n <= 0xffff:
		out = append(out, 0x80|126, byte(n>>8), byte(n))
	default:
		out = append(out, 0x80|127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	out = binary.LittleEndian.AppendUint32(out, key)
	start := len(out)
	out = append(out, payload...)
	mask(key, out[start:])
	return out
}

// TestFeedAnySplit: a stream of frames parses to the same messages however
// the reads split it.
func TestFeedAnySplit(t *testing.T) {
	var stream []byte
	stream = append(stream, clientFrame(0x81, []byte("hello"), 0x01020304)...)
	stream = append(stream, clientFrame(0x02, bytes.Repeat([]byte{7}, 300), 0xdeadbeef)...)
	stream = append(stream, clientFrame(0x89, []byte("ping"), 5)...)
	stream = append(stream, clientFrame(0x80, bytes.Repeat([]byte{8}, 70000), 6)...)
	stream = append(stream, clientFrame(0x82, nil, 7)...)
	for _, step := range []int{1, 2, 3, 7, 13, 500, len(stream)} {
		var p Parser
		var r recorder
		data := append([]byte{}, stream...)
		for i := 0; i < len(data); i += step {
			chunk := append([]byte{}, data[i:min(i+step, len(data))]...)
			if err := p.Feed(chunk, &r); err != nil {
				t.Fatalf("step %d: %v", step, err)
			}
		}
		if len(r.msgs) != 3 || string(r.msgs[0]) != "hello" || len(r.msgs[1]) != 300+70000 || len(r.msgs[2]) != 0 || r.pings != 1 {
			t.Fatalf("step %d: %d messages, pings %d", step, len(r.msgs), r.pings)
		}
	}
}

func TestUTF8StreamMatchesValid(t *testing.T) {
	samples := [][]byte{
		[]byte("plain"), []byte("κόσμε"), []byte("€𝄞"), {0xed, 0x9f, 0xbf}, {0xed, 0xa0, 0x80},
		{0xf4, 0x8f, 0xbf, 0xbf}, {0xf4, 0x90, 0x80, 0x80}, {0xc0, 0x80}, {0xe0, 0x9f, 0xbf}, {0xff}, {0xe2, 0x82},
	}
	for _, s := range samples {
		for cut := 0; cut <= len(s); cut++ {
			var u utf8Stream
			ok := u.feed(s[:cut]) && u.feed(s[cut:]) && u.complete()
			if ok != utf8.Valid(s) {
				t.Errorf("%x cut at %d: stream %v, utf8.Valid %v", s, cut, ok, utf8.Valid(s))
			}
		}
	}
}

func TestDeflateRoundTrip(t *testing.T) {
	msg := bytes.Repeat([]byte("tickwire "), 1000)
	z := Deflate(nil, msg)
	out, err := inflate(nil, z, 0)
	if err != nil || !bytes.Equal(out, msg) {
		t.Fatalf("round trip: %v, %d bytes", err, len(out))
	}
	if _, err := inflate(nil, z, 100); err != errTooBig {
		t.Fatalf("limit: %v", err)
	}
}

func BenchmarkFeedInputFrame(b *testing.B) {
	frame := clientFrame(0x82, make([]byte, 29), 0x11223344)
	buf := make([]byte, len(frame))
	var p Parser
	var r nopHandler
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		copy(buf, frame)
		if err := p.Feed(buf, r); err != nil {
			b.Fatal(err)
		}
	}
}

type nopHandler struct{}

func (nopHandler) Message(Opcode, []byte) {}
func (nopHandler) Ping([]byte)            {}
func (nopHandler) Pong([]byte)            {}
func (nopHandler) Close(int, string)      {}

// FuzzFeed: no input panics the parser or makes it report a message whose
// text is not UTF-8, and a protocol error is always a close code it may send.
func FuzzFeed(f *testing.F) {
	f.Add(clientFrame(0x81, []byte("hi"), 1), 3)
	f.Add(clientFrame(0x01, []byte{0xe2}, 2), 1)
	f.Add(append(clientFrame(0x88, []byte{3, 232}, 3), 0x81, 0x00), 2)
	f.Fuzz(func(t *testing.T, data []byte, step int) {
		if step <= 0 {
			step = 1
		}
		p := Parser{MaxMessage: 1 << 16, Deflate: true}
		var r recorder
		for i := 0; i < len(data); i += step {
			err := p.Feed(append([]byte{}, data[i:min(i+step, len(data))]...), &r)
			if e, ok := err.(*Error); ok && !ValidCloseCode(e.Code) {
				t.Fatalf("error with close code %d", e.Code)
			}
		}
		for i, m := range r.msgs {
			if r.ops[i] == OpText && !utf8.Valid(m) {
				t.Fatalf("text message %x is not UTF-8", m)
			}
		}
	})
}

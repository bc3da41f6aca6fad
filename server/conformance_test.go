package server_test

import (
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/server"
)

// The RFC 6455 / RFC 7692 conformance table (docs/codes.md, "What a
// client gets"): raw frames written by hand over TCP against /echo, the way
// an Autobahn-style run tries a server.

// wsPeer is a raw client: a TCP connection after a hand-written handshake.
type wsPeer struct {
	t    *testing.T
	conn net.Conn
	br   *bufio.Reader
	resp *http.Response
}

// dialRaw opens path with a handshake made of headers (defaults for the
// ones not given) and returns the peer and the server's response.
func dialRaw(t *testing.T, s *server.Server, path string, headers map[string]string) *wsPeer {
	t.Helper()
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	h := map[string]string{
		"Host":                  s.Addr(),
		"Upgrade":               "websocket",
		"Connection":            "Upgrade",
		"Sec-WebSocket-Key":     "dGhlIHNhbXBsZSBub25jZQ==",
		"Sec-WebSocket-Version": "13",
	}
	for k, v := range headers {
		h[k] = v
	}
	var b strings.Builder
	b.WriteString("GET " + path + " HTTP/1.1\r\n")
	for k, v := range h {
		if v != "" {
			b.WriteString(k + ": " + v + "\r\n")
		}
	}
	b.WriteString("\r\n")
	if _, err := conn.Write([]byte(b.String())); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("handshake response: %v", err)
	}
	return &wsPeer{t: t, conn: conn, br: br, resp: resp}
}

func upgraded(t *testing.T, s *server.Server, headers map[string]string) *wsPeer {
	t.Helper()
	p := dialRaw(t, s, "/echo", headers)
	if p.resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %s", p.resp.Status)
	}
	return p
}

// cframe builds one client frame: b0 is FIN|RSV|opcode as sent; masked
// frames use a fixed key.
func cframe(b0 byte, payload []byte, masked bool) []byte {
	var out []byte
	out = append(out, b0)
	mb := byte(0)
	if masked {
		mb = 0x80
	}
	switch n := len(payload); {
	case n < 126:
		out = append(out, mb|byte(n))
	case n <= 0xffff:
		out = append(out, mb|126, byte(n>>8), byte(n))
	default:
		out = append(out, mb|127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	if !masked {
		return append(out, payload...)
	}
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	out = append(out, key[:]...)
	for i, c := range payload {
		out = append(out, c^key[i%4])
	}
	return out
}

const (
	fin    = 0x80
	rsv1   = 0x40
	opCont = 0x0
	opText = 0x1
	opBin  = 0x2
	opCls  = 0x8
	opPing = 0x9
)

func closePayload(code int, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(code)), reason...)
}

func (p *wsPeer) send(frames ...[]byte) {
	p.t.Helper()
	if _, err := p.conn.Write(bytes.Join(frames, nil)); err != nil {
		p.t.Fatalf("write: %v", err)
	}
}

// read reads one server frame; it fails the test on a masked server frame.
func (p *wsPeer) read() (b0 byte, payload []byte, err error) {
	var hdr [2]byte
	if _, err := io.ReadFull(p.br, hdr[:]); err != nil {
		return 0, nil, err
	}
	if hdr[1]&0x80 != 0 {
		p.t.Fatal("server frame is masked")
	}
	n := uint64(hdr[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(p.br, b[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(p.br, b[:]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	payload = make([]byte, n)
	_, err = io.ReadFull(p.br, payload)
	return hdr[0], payload, err
}

// expectMessage reads one data message frame and checks it.
func (p *wsPeer) expectMessage(op byte, want []byte) {
	p.t.Helper()
	b0, payload, err := p.read()
	if err != nil {
		p.t.Fatalf("want a message, got %v", err)
	}
	if b0&0x0f != op || b0&fin == 0 || !bytes.Equal(payload, want) {
		p.t.Fatalf("got frame %#x %q, want opcode %#x %q", b0, payload, op, want)
	}
}

// expectClose reads the close frame (data frames before it fail the test),
// checks its code, then that the server closes the TCP connection. The
// client does not answer, so the server must close by itself.
func (p *wsPeer) expectClose(code int) string {
	p.t.Helper()
	b0, payload, err := p.read()
	if err != nil {
		p.t.Fatalf("want close %d, got %v", code, err)
	}
	if b0 != fin|opCls {
		p.t.Fatalf("want close %d, got frame %#x %q", code, b0, payload)
	}
	got := 0
	if len(payload) >= 2 {
		got = int(binary.BigEndian.Uint16(payload))
	}
	if got != code {
		p.t.Fatalf("closed with %d %q, want %d", got, payload[min(2, len(payload)):], code)
	}
	p.expectEOF()
	return string(payload[2:])
}

// expectEOF checks that the server ends the TCP connection within its
// close grace (2 s by default) after the closing handshake or a failure.
func (p *wsPeer) expectEOF() {
	p.t.Helper()
	_ = p.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := p.br.ReadByte()
	if err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		p.t.Fatalf("server did not close the connection: %v", err)
	}
}

func TestConformanceEmptyMessages(t *testing.T) {
	s := start(t, server.Options{})
	p := upgraded(t, s, nil)
	p.send(cframe(fin|opText, nil, true), cframe(fin|opBin, nil, true))
	p.expectMessage(opText, []byte{})
	p.expectMessage(opBin, []byte{})
	// A fragmented empty message: an empty first frame and an empty FIN.
	p.send(cframe(opText, nil, true), cframe(fin|opCont, nil, true))
	p.expectMessage(opText, []byte{})
}

func TestConformanceInvalidUTF8(t *testing.T) {
	s := start(t, server.Options{})
	cases := map[string][]byte{
		"overlong /":        {0xc0, 0xaf},
		"overlong 3-byte":   {0xe0, 0x80, 0xaf},
		"surrogate":         {0xed, 0xa0, 0x80},
		"0xFE":              {'a', 0xfe},
		"0xFF":              {0xff},
		"past U+10FFFF":     {0xf4, 0x90, 0x80, 0x80},
		"truncated at end":  {'o', 'k', 0xe2, 0x82},
		"lone continuation": {0x80},
	}
	for name, text := range cases {
		t.Run(name, func(t *testing.T) {
			p := upgraded(t, s, nil)
			p.send(cframe(fin|opText, text, true))
			p.expectClose(1007)
		})
	}
	t.Run("fails fast on the fragment", func(t *testing.T) {
		// The first fragment holds a byte that can never be UTF-8; the
		// rest of the message is never sent: the close must come anyway.
		p := upgraded(t, s, nil)
		p.send(cframe(opText, []byte("κόσμε\xf4\x90"), true))
		p.expectClose(1007)
	})
	t.Run("valid across fragments", func(t *testing.T) {
		p := upgraded(t, s, nil)
		euro := []byte("€") // e2 82 ac, split between frames
		p.send(cframe(opText, euro[:1], true), cframe(opCont, euro[1:2], true), cframe(fin|opCont, euro[2:], true))
		p.expectMessage(opText, euro)
	})
	t.Run("close reason", func(t *testing.T) {
		p := upgraded(t, s, nil)
		p.send(cframe(fin|opCls, closePayload(1000, "\xce\xba\xe1\xbd"), true))
		p.expectClose(1007)
	})
}

func TestConformanceControlFrames(t *testing.T) {
	s := start(t, server.Options{})
	t.Run("ping over 125 bytes", func(t *testing.T) {
		p := upgraded(t, s, nil)
		p.send(cframe(fin|opPing, bytes.Repeat([]byte{'x'}, 126), true))
		p.expectClose(1002)
	})
	t.Run("close over 125 bytes", func(t *testing.T) {
		p := upgraded(t, s, nil)
		p.send(cframe(fin|opCls, closePayload(1000, strings.Repeat("x", 124)), true))
		p.expectClose(1002)
	})
	t.Run("fragmented ping", func(t *testing.T) {
		p := upgraded(t, s, nil)
		p.send(cframe(opPing, []byte("x"), true))
		p.expectClose(1002)
	})
	t.Run("ping of 125 bytes is answered", func(t *testing.T) {
		p := upgraded(t, s, nil)
		body := bytes.Repeat([]byte{'y'}, 125)
		p.send(cframe(fin|opPing, body, true))
		p.expectMessage(0xA, body)
	})
	for _, code := range []int{0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000} {
		t.Run("close code "+strconv.Itoa(code), func(t *testing.T) {
			p := upgraded(t, s, nil)
			p.send(cframe(fin|opCls, closePayload(code, ""), true))
			p.expectClose(1002)
		})
	}
	for _, code := range []int{1000, 1001, 1003, 1007, 1011, 3000, 4999} {
		t.Run("close code "+strconv.Itoa(code)+" echoed", func(t *testing.T) {
			p := upgraded(t, s, nil)
			p.send(cframe(fin|opCls, closePayload(code, "bye"), true))
			p.expectClose(code)
		})
	}
	t.Run("close without a code", func(t *testing.T) {
		p := upgraded(t, s, nil)
		p.send(cframe(fin|opCls, nil, true))
		b0, payload, err := p.read()
		if err != nil || b0 != fin|opCls || len(payload) != 0 {
			t.Fatalf("got %#x %q %v, want an empty close", b0, payload, err)
		}
		p.expectEOF()
	})
	t.Run("close with a 1-byte payload", func(t *testing.T) {
		p := upgraded(t, s, nil)
		p.send(cframe(fin|opCls, []byte{0x03}, true))
		p.expectClose(1002)
	})
}

func TestConformanceFraming(t *testing.T) {
	s := start(t, server.Options{})
	for name, f := range map[string][]byte{
		"unmasked frame":              cframe(fin|opText, []byte("hi"), false),
		"RSV2 set":                    cframe(fin|0x20|opText, []byte("hi"), true),
		"RSV1 without deflate":        cframe(fin|rsv1|opText, []byte("hi"), true),
		"reserved opcode 3":           cframe(fin|0x3, nil, true),
		"reserved opcode 0xB":         cframe(fin|0xB, nil, true),
		"continuation with no start":  cframe(fin|opCont, []byte("x"), true),
		"length with the top bit set": {fin | opBin, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4},
	} {
		t.Run(name, func(t *testing.T) {
			p := upgraded(t, s, nil)
			p.send(f)
			p.expectClose(1002)
		})
	}
	t.Run("new message inside a fragmented one", func(t *testing.T) {
		p := upgraded(t, s, nil)
		p.send(cframe(opText, []byte("a"), true), cframe(fin|opText, []byte("b"), true))
		p.expectClose(1002)
	})
	t.Run("error right after a valid message", func(t *testing.T) {
		// One write: a valid message, then an unmasked frame. The echo owed
		// for the first comes before the close.
		p := upgraded(t, s, nil)
		p.send(cframe(fin|opText, []byte("valid"), true), cframe(fin|opText, []byte("bad"), false))
		p.expectMessage(opText, []byte("valid"))
		p.expectClose(1002)
	})
	t.Run("interleaved ping inside a fragmented message", func(t *testing.T) {
		p := upgraded(t, s, nil)
		p.send(cframe(opText, []byte("frag"), true), cframe(fin|opPing, []byte("p"), true), cframe(fin|opCont, []byte("ment"), true))
		p.expectMessage(0xA, []byte("p"))
		p.expectMessage(opText, []byte("fragment"))
	})
	t.Run("message over the limit", func(t *testing.T) {
		s := start(t, server.Options{EchoMaxMessageBytes: 1000})
		p := upgraded(t, s, nil)
		p.send(cframe(fin|opBin, make([]byte, 1001), true))
		p.expectClose(1009)
	})
}

func TestConformanceHandshake(t *testing.T) {
	s := start(t, server.Options{})
	for name, key := range map[string]string{
		"not base64": "not a websocket key!!!==",
		"15 bytes":   "AAAAAAAAAAAAAAAAAAAA",
		"17 bytes":   "AAAAAAAAAAAAAAAAAAAAAAA=",
		"missing":    "",
	} {
		t.Run("key "+name, func(t *testing.T) {
			p := dialRaw(t, s, "/echo", map[string]string{"Sec-WebSocket-Key": key})
			if p.resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("key %q: %s, want 400", key, p.resp.Status)
			}
		})
	}
	for _, v := range []string{"12", "8", "14", ""} {
		t.Run("version "+v, func(t *testing.T) {
			p := dialRaw(t, s, "/echo", map[string]string{"Sec-WebSocket-Version": v})
			if p.resp.StatusCode != http.StatusUpgradeRequired || p.resp.Header.Get("Sec-WebSocket-Version") != "13" {
				t.Fatalf("version %q: %s, Sec-WebSocket-Version %q; want 426 and 13", v, p.resp.Status, p.resp.Header.Get("Sec-WebSocket-Version"))
			}
		})
	}
	t.Run("accept key", func(t *testing.T) {
		p := upgraded(t, s, nil)
		// RFC 6455 section 1.3's example.
		if got := p.resp.Header.Get("Sec-WebSocket-Accept"); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
			t.Fatalf("Sec-WebSocket-Accept %q", got)
		}
	})
}

// deflateMsg is permessage-deflate's payload for text: deflated, flushed,
// the trailing 00 00 ff ff removed.
func deflateMsg(t *testing.T, text []byte) []byte {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestSpeed)
	_, _ = w.Write(text)
	_ = w.Flush()
	return bytes.TrimSuffix(b.Bytes(), []byte{0, 0, 0xff, 0xff})
}

func inflateMsg(t *testing.T, payload []byte) []byte {
	t.Helper()
	r := flate.NewReader(io.MultiReader(bytes.NewReader(payload), bytes.NewReader([]byte{0, 0, 0xff, 0xff, 1, 0, 0, 0xff, 0xff})))
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("inflate the server's reply: %v", err)
	}
	return out
}

func TestConformanceDeflate(t *testing.T) {
	s := start(t, server.Options{})
	offer := func(ext string) *wsPeer {
		return upgraded(t, s, map[string]string{"Sec-WebSocket-Extensions": ext})
	}
	t.Run("negotiated and echoed compressed", func(t *testing.T) {
		p := offer("permessage-deflate; client_max_window_bits")
		ext := p.resp.Header.Get("Sec-WebSocket-Extensions")
		if !strings.HasPrefix(ext, "permessage-deflate") || !strings.Contains(ext, "server_no_context_takeover") {
			t.Fatalf("extensions %q", ext)
		}
		msg := []byte(strings.Repeat("hello tickwire ", 20))
		p.send(cframe(fin|rsv1|opText, deflateMsg(t, msg), true))
		b0, payload, err := p.read()
		if err != nil || b0 != fin|rsv1|opText {
			t.Fatalf("reply %#x %v", b0, err)
		}
		if got := inflateMsg(t, payload); !bytes.Equal(got, msg) {
			t.Fatalf("echo %q", got)
		}
		// A fragmented compressed message: RSV1 on the first frame only.
		z := deflateMsg(t, msg)
		p.send(cframe(rsv1|opBin, z[:5], true), cframe(fin|opCont, z[5:], true))
		if b0, payload, err = p.read(); err != nil || b0 != fin|rsv1|opBin || !bytes.Equal(inflateMsg(t, payload), msg) {
			t.Fatalf("fragmented reply %#x %v", b0, err)
		}
	})
	t.Run("RSV1 on a continuation frame", func(t *testing.T) {
		p := offer("permessage-deflate")
		z := deflateMsg(t, []byte("hello"))
		p.send(cframe(rsv1|opText, z[:2], true), cframe(fin|rsv1|opCont, z[2:], true))
		p.expectClose(1002)
	})
	t.Run("RSV1 on a control frame", func(t *testing.T) {
		p := offer("permessage-deflate")
		p.send(cframe(fin|rsv1|opPing, nil, true))
		p.expectClose(1002)
	})
	t.Run("server_max_window_bits below 15 is declined", func(t *testing.T) {
		p := offer("permessage-deflate; server_max_window_bits=10")
		if ext := p.resp.Header.Get("Sec-WebSocket-Extensions"); ext != "" {
			t.Fatalf("offer of server_max_window_bits=10 answered %q: the server cannot honour it", ext)
		}
		// Without deflate, RSV1 is an error.
		p.send(cframe(fin|rsv1|opText, deflateMsg(t, []byte("x")), true))
		p.expectClose(1002)
	})
	t.Run("a later acceptable offer is taken", func(t *testing.T) {
		p := offer("permessage-deflate; server_max_window_bits=9, permessage-deflate; server_max_window_bits=15")
		if ext := p.resp.Header.Get("Sec-WebSocket-Extensions"); !strings.Contains(ext, "server_max_window_bits=15") {
			t.Fatalf("extensions %q, want the second offer with server_max_window_bits=15", ext)
		}
	})
	t.Run("malformed offer is declined", func(t *testing.T) {
		p := offer("permessage-deflate; server_no_context_takeover; server_no_context_takeover")
		if ext := p.resp.Header.Get("Sec-WebSocket-Extensions"); ext != "" {
			t.Fatalf("extensions %q for a repeated parameter", ext)
		}
	})
	t.Run("inflation bomb", func(t *testing.T) {
		s := start(t, server.Options{EchoMaxMessageBytes: 10000})
		p := upgraded(t, s, map[string]string{"Sec-WebSocket-Extensions": "permessage-deflate"})
		p.send(cframe(fin|rsv1|opBin, deflateMsg(t, make([]byte, 1<<20)), true))
		p.expectClose(1009)
	})
}

package wsframe

import (
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"strconv"
	"strings"
	"sync"
)

// permessage-deflate (RFC 7692), always without context takeover in both
// directions: each message is deflated and inflated on its own, so a
// connection keeps no 32 KiB window between messages (an idle connection
// costs nothing for it) and any pooled inflater serves any connection.

var errTooBig = errors.New("inflated message over the limit")

// deflateTail ends a message's deflate data: the empty stored block that
// RFC 7692 section 7.2.2 has the sender strip, then a final empty stored
// block so that the reader ends cleanly.
var deflateTail = []byte{0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff}

// twoPart reads a then b. It is an io.ByteReader, so flate reads it
// directly instead of wrapping it in a new bufio.Reader on every Reset.
type twoPart struct{ a, b []byte }

func (t *twoPart) Read(p []byte) (int, error) {
	if len(t.a) == 0 {
		t.a, t.b = t.b, nil
		if len(t.a) == 0 {
			return 0, io.EOF
		}
	}
	n := copy(p, t.a)
	t.a = t.a[n:]
	return n, nil
}

func (t *twoPart) ReadByte() (byte, error) {
	if len(t.a) == 0 {
		t.a, t.b = t.b, nil
		if len(t.a) == 0 {
			return 0, io.EOF
		}
	}
	c := t.a[0]
	t.a = t.a[1:]
	return c, nil
}

type inflater struct {
	r  io.ReadCloser
	in twoPart
}

var inflaters = sync.Pool{New: func() any {
	f := &inflater{}
	f.r = flate.NewReader(&f.in)
	return f
}}

// inflate appends the inflation of one message's payload to dst. Over
// limit bytes (when limit > 0) it stops with errTooBig, so a small
// compressed message cannot make the server hold a huge one.
func inflate(dst, payload []byte, limit int) ([]byte, error) {
	f := inflaters.Get().(*inflater)
	defer inflaters.Put(f)
	f.in = twoPart{a: payload, b: deflateTail}
	if err := f.r.(flate.Resetter).Reset(&f.in, nil); err != nil {
		return dst, err
	}
	for {
		if len(dst) == cap(dst) {
			dst = append(dst, 0)[:len(dst)]
		}
		n, err := f.r.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if limit > 0 && len(dst) > limit {
			return dst, errTooBig
		}
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return dst, err
		}
	}
}

type deflater struct {
	w   *flate.Writer
	out bytes.Buffer
}

var deflaters = sync.Pool{New: func() any {
	d := &deflater{}
	d.w, _ = flate.NewWriter(&d.out, flate.BestSpeed)
	return d
}}

// Deflate appends the permessage-deflate payload of message data to dst:
// deflated, flushed, with the trailing empty stored block stripped.
func Deflate(dst, data []byte) []byte {
	d := deflaters.Get().(*deflater)
	defer deflaters.Put(d)
	d.out.Reset()
	d.w.Reset(&d.out)
	_, _ = d.w.Write(data)
	_ = d.w.Flush()
	b := d.out.Bytes()
	b = bytes.TrimSuffix(b, deflateTail[:4])
	return append(dst, b...)
}

// NegotiateDeflate picks the first permessage-deflate offer in the
// Sec-WebSocket-Extensions values that the server can honour and returns
// the extension's response, or "" to decline. The server always asks for
// no context takeover both ways (RFC 7692 7.1.1.1 lets it add both
// parameters to any response). An offer is declined when it is malformed
// (an unknown or repeated parameter, a bad value) or when it limits the
// server's window below 15 bits: compress/flate cannot write a smaller
// window. client_max_window_bits needs no answer: the inflater reads any
// window.
func NegotiateDeflate(values []string) string {
	for _, v := range values {
		for _, offer := range strings.Split(v, ",") {
			params := strings.Split(offer, ";")
			if strings.TrimSpace(params[0]) != "permessage-deflate" {
				continue
			}
			if resp, ok := deflateResponse(params[1:]); ok {
				return resp
			}
		}
	}
	return ""
}

func deflateResponse(params []string) (string, bool) {
	seen := map[string]bool{}
	serverBits := ""
	for _, p := range params {
		name, value, hasValue := strings.Cut(strings.TrimSpace(p), "=")
		name = strings.TrimSpace(name)
		value = strings.Trim(strings.TrimSpace(value), `"`)
		if seen[name] {
			return "", false
		}
		seen[name] = true
		switch name {
		case "server_no_context_takeover", "client_no_context_takeover":
			if hasValue {
				return "", false
			}
		case "server_max_window_bits":
			if !hasValue || !windowBits(value) {
				return "", false
			}
			if value != "15" {
				return "", false // honouring it would need a smaller window
			}
			serverBits = "; server_max_window_bits=15"
		case "client_max_window_bits":
			if hasValue && !windowBits(value) {
				return "", false
			}
		default:
			return "", false
		}
	}
	return "permessage-deflate; server_no_context_takeover; client_no_context_takeover" + serverBits, true
}

func windowBits(v string) bool {
	n, err := strconv.Atoi(v)
	return err == nil && n >= 8 && n <= 15 && strconv.Itoa(n) == v
}

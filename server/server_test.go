package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/rs/zerolog"

	"github.com/tickwire/tickwire/channel"
	"github.com/tickwire/tickwire/client"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
)

func TestMain(m *testing.M) { servertest.VerifyTestMain(m) }

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func start(t *testing.T, opts server.Options) *server.Server {
	if opts.Logger.GetLevel() == zerolog.DebugLevel {
		opts.Logger = zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
	}
	return servertest.StartTestServer(t, opts)
}

// startHub is start with a channel hub for copts, returned beside the
// server for the tests that publish or read its stats.
func startHub(t *testing.T, opts server.Options, copts channel.Options) (*server.Server, *channel.Hub) {
	if opts.Logger.GetLevel() == zerolog.DebugLevel {
		opts.Logger = zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
	}
	return servertest.StartWithHub(t, opts, copts)
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHealthAndMetrics(t *testing.T) {
	s := start(t, server.Options{})
	if code, body := get(t, servertest.URL(s, false, "/healthz")); code != 200 || body != "ok" {
		t.Fatalf("/healthz = %d %q, want 200 ok", code, body)
	}
	code, body := get(t, servertest.URL(s, false, "/metrics"))
	if code != 200 || !strings.Contains(body, "tickwire_sessions") || !strings.Contains(body, "go_goroutines") {
		t.Fatalf("/metrics = %d, missing tickwire_sessions or go_goroutines:\n%.500s", code, body)
	}
}

func TestEchoTextAndBinary(t *testing.T) {
	s := start(t, server.Options{})
	for _, tc := range []struct {
		name         string
		subprotocols []string
		compression  websocket.CompressionMode
	}{
		{"no subprotocol", nil, websocket.CompressionDisabled},
		{"any subprotocol", []string{"chat", "superchat"}, websocket.CompressionDisabled},
		{"deflate", nil, websocket.CompressionContextTakeover},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := ctxT(t)
			c, resp, err := websocket.Dial(ctx, servertest.URL(s, true, "/echo"), &websocket.DialOptions{
				Subprotocols: tc.subprotocols, CompressionMode: tc.compression,
			})
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			defer c.CloseNow()
			c.SetReadLimit(1 << 20)
			if len(tc.subprotocols) > 0 && c.Subprotocol() != tc.subprotocols[0] {
				t.Errorf("subprotocol = %q, want %q", c.Subprotocol(), tc.subprotocols[0])
			}
			ext := resp.Header.Get("Sec-WebSocket-Extensions")
			if wantDeflate := tc.compression != websocket.CompressionDisabled; wantDeflate != strings.Contains(ext, "permessage-deflate") {
				t.Errorf("Sec-WebSocket-Extensions = %q, deflate wanted: %v", ext, wantDeflate)
			}
			img := make([]byte, 400*320*4) // a canvas's ImageData, as in the classic demo
			_, _ = rand.Read(img)
			for _, m := range []struct {
				typ  websocket.MessageType
				data []byte
			}{{websocket.MessageText, []byte("Rock it with HTML5 WebSocket")}, {websocket.MessageBinary, img}} {
				if err := c.Write(ctx, m.typ, m.data); err != nil {
					t.Fatalf("write: %v", err)
				}
				typ, got, err := c.Read(ctx)
				if err != nil {
					t.Fatalf("read: %v", err)
				}
				if typ != m.typ || !bytes.Equal(got, m.data) {
					t.Fatalf("echo of %v (%d bytes) came back as %v (%d bytes), not identical", m.typ, len(m.data), typ, len(got))
				}
			}
			c.Close(websocket.StatusNormalClosure, "")
		})
	}
}

func TestHandshakeRefusals(t *testing.T) {
	s := start(t, server.Options{Origins: []string{"https://game.example"}})
	for _, tc := range []struct {
		name       string
		path       string
		subproto   []string
		origin     string
		wantStatus int
		wantBody   string
	}{
		{"ws without subprotocol", "/ws", nil, "", 400, "tickwire.v1"},
		{"ws with foreign subprotocol", "/ws", []string{"chat"}, "", 400, "subprotocol"},
		{"origin not allowed", "/ws", []string{"tickwire.v1"}, "https://evil.example", 403, "not allowed"},
		{"echo origin not allowed", "/echo", nil, "https://evil.example", 403, "not allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.origin != "" {
				h.Set("Origin", tc.origin)
			}
			_, resp, err := websocket.Dial(ctxT(t), servertest.URL(s, true, tc.path), &websocket.DialOptions{Subprotocols: tc.subproto, HTTPHeader: h})
			if err == nil {
				t.Fatal("dial succeeded, want refusal")
			}
			if resp == nil {
				t.Fatalf("no HTTP response: %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantStatus || !strings.Contains(string(body), tc.wantBody) {
				t.Fatalf("got %d %q, want %d containing %q", resp.StatusCode, body, tc.wantStatus, tc.wantBody)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Errorf("Content-Type = %q, want text/plain", ct)
			}
		})
	}
	t.Run("allowed origin", func(t *testing.T) {
		h := http.Header{"Origin": {"https://game.example"}}
		c, _, err := websocket.Dial(ctxT(t), servertest.URL(s, true, "/ws"), &websocket.DialOptions{Subprotocols: []string{"tickwire.v1"}, HTTPHeader: h})
		if err != nil {
			t.Fatalf("dial with allowed origin: %v", err)
		}
		c.CloseNow()
	})
}

func TestSameHostOriginDefault(t *testing.T) {
	s := start(t, server.Options{})
	h := http.Header{"Origin": {"http://" + s.Addr()}}
	c, _, err := websocket.Dial(ctxT(t), servertest.URL(s, true, "/echo"), &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		t.Fatalf("same-host origin refused: %v", err)
	}
	c.CloseNow()
	h.Set("Origin", "http://other.example")
	if _, resp, err := websocket.Dial(ctxT(t), servertest.URL(s, true, "/echo"), &websocket.DialOptions{HTTPHeader: h}); err == nil || resp == nil || resp.StatusCode != 403 {
		t.Fatalf("cross-origin dial: err=%v, want HTTP 403", err)
	}
}

// dialGame opens /ws with coder/websocket and reads the Welcome.
func dialGame(t *testing.T, s *server.Server) *websocket.Conn {
	t.Helper()
	ctx := ctxT(t)
	c, _, err := websocket.Dial(ctx, servertest.URL(s, true, "/ws"), &websocket.DialOptions{Subprotocols: []string{protocol.Subprotocol}})
	if err != nil {
		t.Fatalf("dial /ws: %v", err)
	}
	t.Cleanup(func() { c.CloseNow() })
	if c.Subprotocol() != protocol.Subprotocol {
		t.Fatalf("subprotocol = %q", c.Subprotocol())
	}
	env := readEnvelope(t, c)
	if env.GetWelcome() == nil || env.GetWelcome().ProtocolVersion != 1 || env.GetWelcome().SessionId == "" {
		t.Fatalf("first message = %v, want Welcome", env)
	}
	return c
}

func readEnvelope(t *testing.T, c *websocket.Conn) *protocol.Envelope {
	t.Helper()
	typ, data, err := c.Read(ctxT(t))
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if typ != websocket.MessageBinary {
		t.Fatalf("got %v frame, want binary", typ)
	}
	env := new(protocol.Envelope)
	if err := protocol.Decode(data, 0, env); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return env
}

func writeEnvelope(t *testing.T, c *websocket.Conn, env *protocol.Envelope) {
	t.Helper()
	b, err := protocol.Append(nil, env)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Write(ctxT(t), websocket.MessageBinary, b); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// expectClose reads until the connection closes and checks code and reason.
func expectClose(t *testing.T, c *websocket.Conn, code websocket.StatusCode, reason string) {
	t.Helper()
	ctx := ctxT(t)
	for {
		_, _, err := c.Read(ctx)
		if err == nil {
			continue
		}
		var ce websocket.CloseError
		if !errors.As(err, &ce) {
			t.Fatalf("read error %v, want close %d", err, code)
		}
		if ce.Code != code || !strings.Contains(ce.Reason, reason) {
			t.Fatalf("closed with %d %q, want %d containing %q", ce.Code, ce.Reason, code, reason)
		}
		return
	}
}

func pingPong(t *testing.T, s *server.Server) {
	t.Helper()
	c := dialGame(t, s)
	writeEnvelope(t, c, &protocol.Envelope{Ref: 7, Msg: &tickwirev1.Envelope_Ping{Ping: &tickwirev1.Ping{ClientTimeUnixNano: 42}}})
	env := readEnvelope(t, c)
	if env.Ref != 7 || env.GetPong().GetClientTimeUnixNano() != 42 || env.GetPong().GetServerTimeUnixNano() == 0 {
		t.Fatalf("reply = %v, want Pong ref 7 echoing 42", env)
	}
}

func TestGamePingPong(t *testing.T) {
	pingPong(t, start(t, server.Options{}))
}

func TestBadInputCloseCodes(t *testing.T) {
	s := start(t, server.Options{MaxMessageBytes: 1024})
	bystander := dialGame(t, s)
	unknownOneof := []byte{0xfa, 0x05, 0x00} // field 95, length 0: a message this server does not know
	for _, tc := range []struct {
		name   string
		typ    websocket.MessageType
		data   []byte
		code   websocket.StatusCode
		reason string
	}{
		{"truncated varint", websocket.MessageBinary, []byte{0x08, 0xff}, 1002, "undecodable"},
		{"garbage", websocket.MessageBinary, []byte("\xff\xff\xff\xff"), 1002, "undecodable"},
		{"unknown oneof", websocket.MessageBinary, unknownOneof, 1002, "no known message"},
		{"server message from client", websocket.MessageBinary, nil, 0, ""},
		{"text frame", websocket.MessageText, []byte("hello"), 1003, "text frames"},
		{"oversize", websocket.MessageBinary, make([]byte, 2048), 1009, "limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialGame(t, s)
			if tc.code == 0 { // not a close: a typed error and the session lives on
				writeEnvelope(t, c, &protocol.Envelope{Ref: 3, Msg: &tickwirev1.Envelope_Welcome{Welcome: &tickwirev1.Welcome{}}})
				env := readEnvelope(t, c)
				if env.Ref != 3 || env.GetError().GetCode() != protocol.CodeBadRequest {
					t.Fatalf("reply = %v, want BAD_REQUEST error", env)
				}
				return
			}
			if err := c.Write(ctxT(t), tc.typ, tc.data); err != nil {
				t.Fatalf("write: %v", err)
			}
			expectClose(t, c, tc.code, tc.reason)
		})
		// Everyone else is still served.
		writeEnvelope(t, bystander, &protocol.Envelope{Ref: 9, Msg: &tickwirev1.Envelope_Ping{Ping: &tickwirev1.Ping{}}})
		if env := readEnvelope(t, bystander); env.GetPong() == nil {
			t.Fatalf("bystander got %v after %s, want Pong", env, tc.name)
		}
	}
}

func TestUnsupportedVersion(t *testing.T) {
	s := start(t, server.Options{})
	c := dialGame(t, s)
	writeEnvelope(t, c, &protocol.Envelope{Msg: &tickwirev1.Envelope_Hello{Hello: &tickwirev1.Hello{ProtocolVersion: 9}}})
	expectClose(t, c, 4003, "unsupported protocol version")
}

func TestRateLimitAndFlood(t *testing.T) {
	s := start(t, server.Options{MessagesPerSecond: 10, MessageBurst: 5, FloodFactor: 3})
	c := dialGame(t, s)
	ping, _ := protocol.Append(nil, &protocol.Envelope{Msg: &tickwirev1.Envelope_Ping{Ping: &tickwirev1.Ping{}}})
	ctx := ctxT(t)
	var pongs int
	var limited bool
	for i := 0; i < 100; i++ {
		if err := c.Write(ctx, websocket.MessageBinary, ping); err != nil {
			break // closed for flooding
		}
	}
	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			if code := websocket.CloseStatus(err); code != 4008 {
				t.Fatalf("closed with %v (%v), want 4008 input flood", code, err)
			}
			break
		}
		env := new(protocol.Envelope)
		if err := protocol.Decode(data, 0, env); err != nil {
			t.Fatal(err)
		}
		switch {
		case env.GetPong() != nil:
			pongs++
		case env.GetError().GetCode() == protocol.CodeRateLimited:
			limited = true
		}
	}
	if pongs < 5 || pongs > 10 || !limited {
		t.Fatalf("pongs = %d (want the burst of 5, plus at most a few refills), rate-limited error seen: %v", pongs, limited)
	}
}

func TestIdleTimeout(t *testing.T) {
	s := start(t, server.Options{PingInterval: 50 * time.Millisecond, IdleTimeout: 300 * time.Millisecond, CloseGrace: 100 * time.Millisecond})
	// A raw peer (conformance_test.go) that reads everything and answers
	// nothing, not even pings.
	p := upgraded(t, s, nil)
	var pings int
	var lastB0 byte
	var last []byte
	for {
		b0, payload, err := p.read()
		if err != nil {
			break
		}
		if b0&0x0f == opPing {
			pings++
		}
		lastB0, last = b0, payload
	}
	if pings == 0 || lastB0 != fin|opCls || len(last) < 2 || int(last[0])<<8|int(last[1]) != 4002 || !strings.Contains(string(last[2:]), "keepalive") {
		t.Fatalf("got %d pings and last frame %#x %q, want pings then close 4002 keepalive timeout", pings, lastB0, last)
	}
}

func TestKeepaliveKeepsResponsivePeer(t *testing.T) {
	s := start(t, server.Options{PingInterval: 30 * time.Millisecond, IdleTimeout: 200 * time.Millisecond})
	c, _, err := websocket.Dial(ctxT(t), servertest.URL(s, true, "/echo"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	// CloseRead answers pings (and nothing else) in the background; its
	// context ends if the connection closes.
	alive := c.CloseRead(context.Background())
	// Let three idle timeouts pass: only pongs keep the session open.
	select {
	case <-alive.Done():
		t.Fatal("the server closed a peer that answers its pings")
	case <-time.After(600 * time.Millisecond):
	}
	if n := metricValue(t, s, "tickwire_idle_timeouts_total"); n != 0 {
		t.Fatalf("idle timeouts = %v, want 0", n)
	}
	if n := metricValue(t, s, "tickwire_sessions", "endpoint", "echo"); n != 1 {
		t.Fatalf("echo sessions = %v, want 1", n)
	}
}

func TestSlowConsumerClosed(t *testing.T) {
	s := start(t, server.Options{WriteHighWater: 16 << 10, OutboxMaxBytes: 64 << 10, MaxMessageBytes: 1 << 20})
	c, _, err := websocket.Dial(ctxT(t), servertest.URL(s, true, "/echo"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	msg := make([]byte, 256<<10)
	ctx := ctxT(t)
	// Write without reading: echoes pile up until the outbox overflows and
	// the server closes the connection, which ends the writes. (No short
	// write deadline: coder/websocket closes the connection when one
	// expires, which would end the test the wrong way on a slow machine.)
	for i := 0; i < 400; i++ {
		if err := c.Write(ctx, websocket.MessageBinary, msg); err != nil {
			break
		}
	}
	servertest.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
		if metricValue(t, s, "tickwire_slow_consumers_total") < 1 {
			return errors.New("no slow consumer closed yet")
		}
		return nil
	})
}

func TestGracefulShutdownSends1001(t *testing.T) {
	s, err := server.New(server.Options{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	var conns []*websocket.Conn
	for _, path := range []string{"/echo", "/ws", "/ws"} {
		var opts websocket.DialOptions
		if path == "/ws" {
			opts.Subprotocols = []string{protocol.Subprotocol}
		}
		c, _, err := websocket.Dial(ctxT(t), "ws://"+s.Addr()+path, &opts)
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		conns = append(conns, c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Shutdown(ctx) }()
	for _, c := range conns {
		expectClose(t, c, 1001, "shutting down")
	}
	if err := <-done; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if _, err := http.Get("http://" + s.Addr() + "/healthz"); err == nil {
		t.Fatal("server still accepts connections after Shutdown")
	}
}

func TestGoClientAgainstServer(t *testing.T) {
	s := start(t, server.Options{})
	ctx := ctxT(t)
	c, err := client.Dial(ctx, servertest.URL(s, true, "/ws"), client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	env, err := c.Recv(ctx)
	if err != nil || env.GetWelcome() == nil {
		t.Fatalf("first = %v, %v; want Welcome", env, err)
	}
	rtt, err := c.Ping(ctx)
	if err != nil || rtt <= 0 {
		t.Fatalf("Ping = %v, %v", rtt, err)
	}
	_, err = c.Request(ctx, &protocol.Envelope{Msg: &tickwirev1.Envelope_JoinRoom{JoinRoom: &tickwirev1.JoinRoom{RoomId: "nope"}}})
	var pe *protocol.Error
	if !errors.As(err, &pe) || pe.Code != protocol.CodeRoomNotFound {
		t.Fatalf("join unknown room: %v, want ROOM_NOT_FOUND", err)
	}
	if err := c.SendText("hi"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Done():
	case <-ctx.Done():
		t.Fatal("not closed after a text frame")
	}
	var ce *client.CloseError
	if !errors.As(c.Err(), &ce) || ce.Code != 1003 {
		t.Fatalf("Err = %v, want close 1003", c.Err())
	}
}

func TestSingleSessionReplacesOlder(t *testing.T) {
	auth := func(token string) (string, error) {
		if token == "tok-alice" {
			return "alice", nil
		}
		return "", errors.New("unknown token")
	}
	s := start(t, server.Options{SingleSession: true, Authenticate: auth})
	dial := func() *websocket.Conn {
		c, _, err := websocket.Dial(ctxT(t), servertest.URL(s, true, "/ws?token=tok-alice"), &websocket.DialOptions{Subprotocols: []string{protocol.Subprotocol}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.CloseNow() })
		if env := readEnvelope(t, c); env.GetWelcome().GetPlayerId() != "alice" {
			t.Fatalf("welcome = %v, want alice", env)
		}
		return c
	}
	first := dial()
	second := dial()
	expectClose(t, first, 4004, "session replaced")
	// The newer session is served.
	writeEnvelope(t, second, &protocol.Envelope{Ref: 5, Msg: &tickwirev1.Envelope_Ping{Ping: &tickwirev1.Ping{}}})
	if env := readEnvelope(t, second); env.GetPong() == nil {
		t.Fatalf("newer session got %v, want Pong", env)
	}
	// A bad token is refused before the upgrade.
	if _, resp, err := websocket.Dial(ctxT(t), servertest.URL(s, true, "/ws?token=nope"), &websocket.DialOptions{Subprotocols: []string{protocol.Subprotocol}}); err == nil || resp == nil || resp.StatusCode != 401 {
		t.Fatalf("bad token: %v, want HTTP 401", err)
	}
}

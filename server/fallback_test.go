package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/tickwire/tickwire/client"
	"github.com/tickwire/tickwire/gateway"
	testingv1 "github.com/tickwire/tickwire/proto/tickwire/testing/v1"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/tick"
)

// counter is a test game whose state counts its ticks.
type counter struct{}

func (counter) Init(*tick.Room[*testingv1.Leaf]) error                            { return nil }
func (counter) Join(*tick.Room[*testingv1.Leaf], tick.PlayerID) error             { return nil }
func (counter) Leave(*tick.Room[*testingv1.Leaf], tick.PlayerID)                  {}
func (counter) Input(*tick.Room[*testingv1.Leaf], tick.PlayerID, *testingv1.Leaf) {}
func (counter) Tick(r *tick.Room[*testingv1.Leaf], _ time.Duration)               { r.State().X++ }

// sseEvent is one event of a fallback stream; a comment has kind ":".
type sseEvent struct {
	kind string // "message" (an Envelope), "open", "close", or ":" (a comment)
	data string
}

// fallbackConn is an independent client of the HTTP fallback, built on
// net/http alone: a GET reading the event stream, POSTs sending Envelopes.
type fallbackConn struct {
	t      *testing.T
	base   string // http://addr
	hc     *http.Client
	origin string
	sid    string
	open   map[string]any // the open event's JSON
	resp   *http.Response
	events chan sseEvent
	done   chan error // the reader's end: nil at EOF
}

// openFallback opens a stream (query is appended to the URL) and reads its
// open event.
func openFallback(t *testing.T, s *server.Server, query, origin string) *fallbackConn {
	t.Helper()
	c, status, body := tryOpenFallback(t, s, query, origin)
	if c == nil {
		t.Fatalf("open stream: %d %s", status, body)
	}
	return c
}

func tryOpenFallback(t *testing.T, s *server.Server, query, origin string) (*fallbackConn, int, string) {
	t.Helper()
	return tryOpenFallbackWith(t, s, http.DefaultClient, query, origin)
}

func tryOpenFallbackWith(t *testing.T, s *server.Server, hc *http.Client, query, origin string) (*fallbackConn, int, string) {
	t.Helper()
	base := servertest.URL(s, false, "")
	req, err := http.NewRequestWithContext(ctxT(t), "GET", base+server.PathFallbackStream+"?subprotocol="+protocol.Subprotocol+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		return nil, resp.StatusCode, strings.TrimSpace(string(b))
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type %q", ct)
	}
	c := &fallbackConn{t: t, base: base, hc: hc, origin: origin, resp: resp, events: make(chan sseEvent, 1024), done: make(chan error, 1)}
	go c.read()
	t.Cleanup(func() {
		_ = resp.Body.Close()
		<-c.done
	})
	ev := c.next()
	if ev.kind != "open" {
		t.Fatalf("first event %+v, want open", ev)
	}
	if err := json.Unmarshal([]byte(ev.data), &c.open); err != nil {
		t.Fatalf("open event %q: %v", ev.data, err)
	}
	c.sid, _ = c.open["sid"].(string)
	return c, 200, ""
}

// read parses the event stream until it ends.
func (c *fallbackConn) read() {
	br := bufio.NewReader(c.resp.Body)
	ev := sseEvent{kind: "message"}
	var data []string
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = nil
			}
			c.done <- err
			close(c.events)
			return
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if data != nil {
				ev.data = strings.Join(data, "\n")
				c.events <- ev
			}
			ev, data = sseEvent{kind: "message"}, nil
		case strings.HasPrefix(line, ":"):
			c.events <- sseEvent{kind: ":", data: strings.TrimSpace(line[1:])}
		case strings.HasPrefix(line, "event: "):
			ev.kind = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			data = append(data, line[len("data: "):])
		}
	}
}

// next returns the next event; at the end of the stream it returns kind "".
func (c *fallbackConn) next() sseEvent {
	c.t.Helper()
	select {
	case ev, ok := <-c.events:
		if !ok {
			return sseEvent{}
		}
		return ev
	case <-time.After(10 * time.Second):
		c.t.Fatal("no event within 10s")
		return sseEvent{}
	}
}

// recv returns the next Envelope, skipping comments.
func (c *fallbackConn) recv() *protocol.Envelope {
	c.t.Helper()
	for {
		ev := c.next()
		switch ev.kind {
		case ":":
			continue
		case "message":
			b, err := base64.StdEncoding.DecodeString(ev.data)
			if err != nil {
				c.t.Fatalf("event data %q: %v", ev.data, err)
			}
			env := new(protocol.Envelope)
			if err := protocol.Decode(b, 0, env); err != nil {
				c.t.Fatalf("decode: %v", err)
			}
			return env
		default:
			c.t.Fatalf("event %+v, want an Envelope", ev)
			return nil
		}
	}
}

// recvUntil returns the first Envelope for which ok is true.
func (c *fallbackConn) recvUntil(ok func(*protocol.Envelope) bool) *protocol.Envelope {
	c.t.Helper()
	for {
		if env := c.recv(); ok(env) {
			return env
		}
	}
}

// expectClose reads until the close event, checks it, and checks that the
// server then ends the stream.
func (c *fallbackConn) expectClose(code int, reason string) {
	c.t.Helper()
	for {
		ev := c.next()
		if ev.kind == "" {
			c.t.Fatalf("stream ended without a close event, want %d", code)
		}
		if ev.kind != "close" {
			continue
		}
		got, why, _ := strings.Cut(ev.data, " ")
		if got != strconv.Itoa(code) || !strings.Contains(why, reason) {
			c.t.Fatalf("close %q, want %d %q", ev.data, code, reason)
		}
		break
	}
	for ev := c.next(); ev.kind != ""; ev = c.next() {
	}
	if err := <-c.done; err != nil {
		c.t.Fatalf("stream ended with %v, want EOF", err)
	}
	c.done <- nil // for the cleanup
}

// frame length-prefixes encoded envelopes.
func frame(t *testing.T, envs ...*protocol.Envelope) []byte {
	t.Helper()
	var out []byte
	for _, env := range envs {
		b, err := protocol.Encode(env)
		if err != nil {
			t.Fatal(err)
		}
		out = binary.AppendUvarint(out, uint64(len(b.B)))
		out = append(out, b.B...)
		b.Release()
	}
	return out
}

// post sends body for sid and returns the status and the reason.
func (c *fallbackConn) post(sid string, body []byte, header ...string) (int, string) {
	c.t.Helper()
	req, err := http.NewRequestWithContext(ctxT(c.t), "POST", c.base+server.PathFallbackSend+"?sid="+url.QueryEscape(sid), bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	if c.origin != "" {
		req.Header.Set("Origin", c.origin)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// send posts envelopes and wants 204.
func (c *fallbackConn) send(envs ...*protocol.Envelope) {
	c.t.Helper()
	if status, reason := c.post(c.sid, frame(c.t, envs...)); status != http.StatusNoContent {
		c.t.Fatalf("POST: %d %s", status, reason)
	}
}

func startCounterServer(t *testing.T, opts server.Options) *server.Server {
	t.Helper()
	reg := tick.NewRegistry()
	tick.RegisterIn(reg, tick.GameInfo{Name: "counter", TickHz: 50, MaxPlayers: 8}, func() tick.Game[*testingv1.Leaf, *testingv1.Leaf] { return counter{} })
	rooms := startRooms(t, reg)
	opts.Logger = zerolog.Nop()
	opts.Rooms = &gateway.TickRooms{Rooms: rooms, OpenJoin: true}
	return servertest.StartTestServer(t, opts, func(srv *server.Server) {
		srv.OnShutdown(rooms.Close)
	})
}

// TestFallbackSession drives a whole session over the HTTP fallback with
// net/http: Welcome, Hello, Ping, a room with state frames and inputs,
// errors, and the POST refusals.
func TestFallbackSession(t *testing.T) {
	s := startCounterServer(t, server.Options{})
	c := openFallback(t, s, "", "")
	if len(c.sid) < 40 || c.open["max_message_bytes"] != float64(protocol.DefaultMaxMessageBytes) || c.open["ping_ms"] != 15000.0 {
		t.Fatalf("open event %v", c.open)
	}
	w := c.recv().GetWelcome()
	if w == nil || w.ProtocolVersion != protocol.Version || !strings.HasPrefix(w.PlayerId, "anon-") {
		t.Fatalf("first envelope: %v, want a Welcome", w)
	}
	if got := metricValue(t, s, "tickwire_sessions", "endpoint", "sse"); got != 1 {
		t.Errorf("sse sessions = %v, want 1", got)
	}

	// Hello and Ping in one POST: answered in order.
	c.send(&protocol.Envelope{Ref: 1, Msg: &tickwirev1.Envelope_Hello{Hello: &tickwirev1.Hello{ProtocolVersion: protocol.Version}}},
		&protocol.Envelope{Ref: 2, Msg: &tickwirev1.Envelope_Ping{Ping: &tickwirev1.Ping{ClientTimeUnixNano: 7}}})
	if env := c.recv(); env.Ref != 1 || env.GetWelcome().GetSessionId() != w.SessionId {
		t.Fatalf("Hello answered by %v", env)
	}
	if env := c.recv(); env.Ref != 2 || env.GetPong().GetClientTimeUnixNano() != 7 {
		t.Fatalf("Ping answered by %v", env)
	}

	// A room: Joined, a snapshot, then deltas that rebuild the state.
	c.send(&protocol.Envelope{Ref: 3, Msg: &tickwirev1.Envelope_JoinRoom{JoinRoom: &tickwirev1.JoinRoom{Game: "counter"}}})
	joined := c.recvUntil(func(e *protocol.Envelope) bool { return e.GetJoined() != nil || e.GetError() != nil })
	if joined.Ref != 3 || joined.GetJoined() == nil {
		t.Fatalf("JoinRoom answered by %v", joined)
	}
	replica := client.NewReplica[*testingv1.Leaf](joined.GetJoined().RoomId)
	var frames, snapshots int
	for frames < 10 {
		st := c.recv().GetState()
		if st == nil {
			continue
		}
		if _, err := replica.Apply(st); err != nil {
			t.Fatalf("apply: %v", err)
		}
		frames++
		if st.GetSnapshot() != nil {
			snapshots++
		}
	}
	if snapshots != 1 || replica.State.GetX() < 9 {
		t.Fatalf("%d frames, %d snapshots, x = %v", frames, snapshots, replica.State.GetX())
	}
	// An input for a room the session is not in: a typed error with its ref.
	c.send(&protocol.Envelope{Ref: 4, Msg: &tickwirev1.Envelope_Input{Input: &tickwirev1.Input{RoomId: "nope", Seq: 1}}})
	if e := c.recvUntil(func(e *protocol.Envelope) bool { return e.Ref == 4 }); e.GetError().GetCode() != protocol.CodeNotInRoom {
		t.Fatalf("input to another room: %v", e)
	}
	// An empty POST is a keepalive.
	if status, _ := c.post(c.sid, nil); status != http.StatusNoContent {
		t.Fatalf("empty POST: %d", status)
	}

	// Refusals that leave the session alone.
	for _, tc := range []struct {
		name   string
		sid    string
		header []string
		status int
		reason string
	}{
		{"unknown sid", "AAAA" + c.sid[4:], nil, 404, "unknown or ended session"},
		{"no sid", "", nil, 404, "unknown or ended session"},
		{"another origin", c.sid, []string{"Origin", "https://evil.example"}, 403, "origin does not match"},
		{"another token", c.sid, []string{"Authorization", "Bearer someone-else"}, 403, "token does not match"},
	} {
		if status, reason := c.post(tc.sid, frame(t, &protocol.Envelope{Msg: &tickwirev1.Envelope_Ping{Ping: &tickwirev1.Ping{}}}), tc.header...); status != tc.status || !strings.Contains(reason, tc.reason) {
			t.Errorf("%s: %d %q, want %d %q", tc.name, status, reason, tc.status, tc.reason)
		}
	}
	c.send(&protocol.Envelope{Ref: 5, Msg: &tickwirev1.Envelope_Ping{Ping: &tickwirev1.Ping{}}})
	if e := c.recvUntil(func(e *protocol.Envelope) bool { return e.Ref == 5 }); e.GetPong() == nil {
		t.Fatalf("ping after the refusals: %v", e)
	}

	// A malformed body: 400, and the session closes with 1002 as /ws would.
	if status, reason := c.post(c.sid, []byte{0x05, 0x01}); status != http.StatusBadRequest || !strings.Contains(reason, "malformed body") {
		t.Fatalf("malformed body: %d %q", status, reason)
	}
	c.expectClose(1002, "undecodable frame")
	if status, _ := c.post(c.sid, nil); status != http.StatusNotFound {
		t.Fatalf("POST to a closed session: %d, want 404", status)
	}
	servertest.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if got := metricValue(t, s, "tickwire_sessions", "endpoint", "sse"); got != 0 {
			return fmt.Errorf("sse sessions = %v", got)
		}
		return nil
	})
}

// TestFallbackCloseCodes: bad messages close a fallback session with the
// codes /ws uses, delivered as a close event with the reason.
func TestFallbackCloseCodes(t *testing.T) {
	s := startCounterServer(t, server.Options{})
	for _, tc := range []struct {
		name   string
		body   func() []byte
		status int
		code   int
		reason string
	}{
		{"oversize message", func() []byte {
			big := make([]byte, protocol.DefaultMaxMessageBytes+1)
			return append(binary.AppendUvarint(nil, uint64(len(big))), big...)
		}, 413, 1009, "message too big"},
		{"oversize body", func() []byte { return make([]byte, 5*protocol.DefaultMaxMessageBytes) }, 413, 1009, "message too big"},
		{"undecodable envelope", func() []byte { return []byte{3, 0xff, 0xff, 0xff} }, 400, 1002, "undecodable frame"},
		{"unsupported version", func() []byte {
			return frame(t, &protocol.Envelope{Msg: &tickwirev1.Envelope_Hello{Hello: &tickwirev1.Hello{ProtocolVersion: 99}}})
		}, 410, 4003, "unsupported protocol version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := openFallback(t, s, "", "")
			c.recv() // Welcome
			if status, reason := c.post(c.sid, tc.body()); status != tc.status {
				t.Errorf("POST: %d %q, want %d", status, reason, tc.status)
			}
			c.expectClose(tc.code, tc.reason)
		})
	}
}

// TestFallbackRefusals: the stream's handshake applies /ws's policies.
func TestFallbackRefusals(t *testing.T) {
	s := startCounterServer(t, server.Options{
		Origins:      []string{"https://game.example"},
		Authenticate: func(tok string) (string, error) { return "", errors.New("nobody") },
	})
	for _, tc := range []struct {
		name, query, origin string
		status              int
		reason              string
	}{
		{"origin not allowed", "", "https://evil.example", 403, `origin "https://evil.example" is not allowed`},
		{"bad token", "&token=forged", "https://game.example", 401, "bad token: nobody"},
	} {
		if c, status, reason := tryOpenFallback(t, s, tc.query, tc.origin); c != nil || status != tc.status || reason != tc.reason {
			t.Errorf("%s: %d %q, want %d %q", tc.name, status, reason, tc.status, tc.reason)
		}
	}
	resp, err := http.Get(servertest.URL(s, false, server.PathFallbackStream))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(b), "subprotocol tickwire.v1 required") {
		t.Errorf("no subprotocol: %d %q", resp.StatusCode, b)
	}
	// An allowed origin may read the stream and POST across origins.
	c := openFallback(t, s, "", "https://game.example")
	if got := c.resp.Header.Get("Access-Control-Allow-Origin"); got != "https://game.example" {
		t.Errorf("Access-Control-Allow-Origin %q", got)
	}
	c.recv()
	c.send(&protocol.Envelope{Ref: 1, Msg: &tickwirev1.Envelope_Ping{Ping: &tickwirev1.Ping{}}})
	if env := c.recv(); env.GetPong() == nil {
		t.Fatalf("ping: %v", env)
	}
}

// TestFallbackKeepalive: the server pings a quiet fallback client with a
// comment line; one that answers (an empty POST) stays, one that does not
// is closed with 4002.
func TestFallbackKeepalive(t *testing.T) {
	s := startCounterServer(t, server.Options{PingInterval: 50 * time.Millisecond, IdleTimeout: 300 * time.Millisecond})
	answering, silent := openFallback(t, s, "", ""), openFallback(t, s, "", "")
	answering.recv()
	// The server's HTTP keep-alive limit is the idle timeout, 300 ms here: a
	// POST on a reused connection could race its close. Fresh ones do not.
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	answering.hc = &http.Client{Transport: tr}
	start := time.Now()
	pings := 0
	for time.Since(start) < 600*time.Millisecond {
		ev := answering.next()
		if ev.kind == ":" && ev.data == "ping" {
			pings++
			if status, _ := answering.post(answering.sid, nil); status != http.StatusNoContent {
				t.Fatalf("pong: %d", status)
			}
		}
	}
	if pings < 2 {
		t.Fatalf("%d pings in 600ms", pings)
	}
	silent.expectClose(4002, "keepalive timeout")
	answering.send(&protocol.Envelope{Ref: 9, Msg: &tickwirev1.Envelope_Ping{Ping: &tickwirev1.Ping{}}})
	if env := answering.recvUntil(func(e *protocol.Envelope) bool { return e.Ref == 9 }); env.GetPong() == nil {
		t.Fatalf("answering client after the idle timeout: %v", env)
	}
}

// TestFallbackShutdown: Shutdown closes fallback sessions with 1001 and
// waits for them.
func TestFallbackShutdown(t *testing.T) {
	s := startCounterServer(t, server.Options{})
	c := openFallback(t, s, "", "")
	c.recv()
	done := make(chan error, 1)
	go func() { done <- s.Shutdown(context.Background()) }()
	c.expectClose(1001, "server shutting down")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestFallbackSlowReader: the session's flow control holds over the
// stream too: a client that stops reading while its room floods gets no
// backlog (deltas are dropped), and one that never reads again is closed
// as a slow consumer.
func TestFallbackSlowReader(t *testing.T) {
	reg := tick.NewRegistry()
	tick.RegisterIn(reg, tick.GameInfo{Name: "flood", TickHz: 60, MaxPlayers: 4}, func() tick.Game[*testingv1.Leaf, *testingv1.Leaf] { return flood{} })
	rooms := startRooms(t, reg)
	s := servertest.StartTestServer(t, server.Options{WriteHighWater: 32 << 10, StallTimeout: 500 * time.Millisecond, Logger: zerolog.Nop(), Rooms: &gateway.TickRooms{Rooms: rooms, OpenJoin: true}})
	dialer := &net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		_ = c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 8<<10) })
		return serr
	}}
	hc := &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}
	defer hc.CloseIdleConnections()
	req, _ := http.NewRequestWithContext(ctxT(t), "GET", servertest.URL(s, false, server.PathFallbackStream+"?subprotocol="+protocol.Subprotocol), nil)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	var sid string
	for sid == "" {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if rest, ok := strings.CutPrefix(line, `data: {"sid":"`); ok {
			sid, _, _ = strings.Cut(rest, `"`)
		}
	}
	c := &fallbackConn{t: t, base: servertest.URL(s, false, ""), hc: http.DefaultClient}
	c.post(sid, frame(t, &protocol.Envelope{Ref: 1, Msg: &tickwirev1.Envelope_JoinRoom{JoinRoom: &tickwirev1.JoinRoom{Game: "flood"}}}))
	// Never read again: deltas are dropped, then the stalled stream is closed.
	servertest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		if metricValue(t, s, "tickwire_dropped_deltas_total") == 0 || metricValue(t, s, "tickwire_slow_consumers_total") == 0 {
			return errors.New("no dropped deltas or slow-consumer close yet")
		}
		if got := metricValue(t, s, "tickwire_sessions", "endpoint", "sse"); got != 0 {
			return fmt.Errorf("sse sessions = %v", got)
		}
		return nil
	})
}

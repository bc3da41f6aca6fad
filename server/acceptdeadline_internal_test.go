package server

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/tickwire/tickwire/server/internal/wsframe"
)

// nbio arms an accepted connection's read deadline after handing it to a
// poller, so it can land after the upgrade cleared it. The test plays
// nbio's late arming on an upgraded /echo session and keeps the peer
// busy past the deadline: the session's sweeps clear it, and the
// connection stays open (without them nbio closes it at the deadline).
func TestLateAcceptDeadlineDoesNotCloseASession(t *testing.T) {
	const idle = 3 * time.Second
	s, err := New(Options{Addr: "127.0.0.1:0", Logger: zerolog.Nop(), PingInterval: time.Second, IdleTimeout: idle})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	})

	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	key := make([]byte, 16)
	_, _ = rand.Read(key)
	_, err = io.WriteString(c, "GET /echo HTTP/1.1\r\nHost: "+s.Addr()+"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: "+base64.StdEncoding.EncodeToString(key)+"\r\nSec-WebSocket-Version: 13\r\n\r\n")
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	res, err := http.ReadResponse(br, nil)
	if err != nil || res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", res, err)
	}

	deadline := time.Now().Add(5 * time.Second)
	var sess *session
	for sess == nil {
		for _, ss := range s.snapshotSessions() {
			sess = ss
		}
		if sess == nil {
			if time.Now().After(deadline) {
				t.Fatal("no session")
			}
			time.Sleep(time.Millisecond)
		}
	}
	if sess.nbc == nil {
		t.Fatal("the session has no nbio connection")
	}
	armed := time.Now()
	_ = sess.nbc.SetReadDeadline(armed.Add(idle)) // what nbio's accept path does, late

	// Echo a message every 250 ms until past the deadline.
	end := time.Now().Add(idle + time.Second)
	for i := 0; time.Now().Before(end); i++ {
		msg := []byte{byte(i)}
		frame := []byte{0x82, 0x80 | byte(len(msg)), 1, 2, 3, 4}
		for j, b := range msg {
			frame = append(frame, b^[]byte{1, 2, 3, 4}[j%4])
		}
		if _, err := c.Write(frame); err != nil {
			t.Fatalf("write at %d: %v", i, err)
		}
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		head := make([]byte, 2)
		if _, err := io.ReadFull(br, head); err != nil {
			t.Fatalf("echo %d, %.1f s after a %v deadline was armed: %v", i, time.Since(armed).Seconds(), idle, err)
		}
		if wsframe.Opcode(head[0]&0x0f) == wsframe.OpPing {
			_, _ = io.ReadFull(br, make([]byte, head[1]&0x7f))
			i--
			continue
		}
		got := make([]byte, head[1]&0x7f)
		if _, err := io.ReadFull(br, got); err != nil || len(got) != 1 || got[0] != byte(i) {
			t.Fatalf("echo %d: %v %v", i, got, err)
		}
		time.Sleep(250 * time.Millisecond) // the peer's pace, not a synchronisation
	}
}

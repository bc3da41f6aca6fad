package server_test

import (
	"bytes"
	"fmt"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
)

// BenchmarkIdleSessionMemory measures the heap and stacks an idle /ws
// session costs on each transport: n sessions are opened (each past its
// Welcome) over raw TCP and left idle. Client and server share the process,
// so the figure includes the client's side of each TCP connection (a
// net.Conn, a few hundred bytes, the same for both transports).
func BenchmarkIdleSessionMemory(b *testing.B) {
	const n = 2000
	for _, tc := range []struct {
		name, request string
		welcome       []byte // what ends the handshake and the Welcome
	}{
		{"websocket", "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: " + protocol.Subprotocol + "\r\n\r\n", []byte{0x82}},
		{"fallback", "GET " + server.PathFallbackStream + "?subprotocol=" + protocol.Subprotocol + " HTTP/1.1\r\nHost: x\r\n\r\n", []byte("\n\ndata: ")},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s := servertest.StartTestServer(b, server.Options{Logger: zerolog.Nop()})
			buf := make([]byte, 4096)
			for b.Loop() {
				before := memInUse()
				conns := make([]net.Conn, 0, n)
				for range n {
					c, err := net.Dial("tcp", s.Addr())
					if err != nil {
						b.Fatal(err)
					}
					conns = append(conns, c)
					if _, err := c.Write([]byte(tc.request)); err != nil {
						b.Fatal(err)
					}
					_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
					var got []byte
					for !bytes.Contains(got, tc.welcome) {
						k, err := c.Read(buf)
						if err != nil {
							b.Fatalf("session %d: %v after %q", len(conns), err, got)
						}
						got = append(got, buf[:k]...)
					}
				}
				after := memInUse()
				b.ReportMetric(float64(after-before)/n, "bytes/session")
				for _, c := range conns {
					_ = c.Close()
				}
				servertest.CheckFor(b, 10*time.Second, 10*time.Millisecond, func() error {
					if open := openSessions(b, s); open != 0 {
						return fmt.Errorf("%v sessions still open", open)
					}
					return nil
				})
			}
		})
	}
}

// openSessions reads the server's open sessions from its metrics.
func openSessions(tb testing.TB, s *server.Server) float64 {
	mfs, err := s.Registry().Gather()
	if err != nil {
		tb.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() == "tickwire_sessions" {
			for _, m := range mf.GetMetric() {
				sum += m.GetGauge().GetValue()
			}
		}
	}
	return sum
}

// memInUse is the heap in use plus goroutine stacks, after a GC.
func memInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc + m.StackInuse
}

//go:build !race

// Without -race, as tls_test.go (nbio's TLS path).

package server_test

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/server"
)

// Over TLS the guard sees the decrypted bytes: a head over the limit gets
// its 431 inside the TLS stream, and a connection that never finishes its
// TLS handshake is closed at HeaderTimeout.
func TestHTTPLimitsTLS(t *testing.T) {
	cert, pool := testCert(t)
	const timeout = 500 * time.Millisecond
	s := start(t, server.Options{TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}, MaxHeaderBytes: 64 << 10, HeaderTimeout: timeout})

	t.Run("a head over the limit", func(t *testing.T) {
		conn, err := tls.Dial("tcp", s.Addr(), &tls.Config{RootCAs: pool})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		go func() {
			_, _ = io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: "+strings.Repeat("a", 1<<20)+"\r\n\r\n")
		}()
		line, err := bufio.NewReader(conn).ReadString('\n')
		if got := strings.TrimSpace(line); got != "HTTP/1.1 431 Request Header Fields Too Large" {
			t.Fatalf("got %q (%v), want 431", got, err)
		}
	})

	t.Run("a TLS handshake that never ends", func(t *testing.T) {
		conn, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		begin := time.Now()
		// The first bytes of a ClientHello's record header, then nothing.
		if _, err := conn.Write([]byte{0x16, 0x03, 0x01}); err != nil {
			t.Fatal(err)
		}
		_, err = conn.Read(make([]byte, 1))
		took := time.Since(begin)
		if errors.Is(err, os.ErrDeadlineExceeded) || took > timeout+2*time.Second {
			t.Fatalf("still open after %v", took)
		}
		if took < timeout {
			t.Fatalf("closed after %v, before HeaderTimeout (%v): %v", took, timeout, err)
		}
	})
}

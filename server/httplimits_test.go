package server_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/server"
)

// rawHTTP writes req to a new connection and returns the status line the
// server answered, or "" when it closed the connection without answering.
func rawHTTP(t *testing.T, s *server.Server, req string) string {
	t.Helper()
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	go func() { _, _ = io.Copy(conn, strings.NewReader(req)) }() // the server may stop reading
	line, err := bufio.NewReader(conn).ReadString('\n')
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("the server neither answered nor closed the connection")
	}
	return strings.TrimSpace(line)
}

func TestHTTPLimits(t *testing.T) {
	s := start(t, server.Options{MaxHeaderBytes: 64 << 10, MaxBodyBytes: 64 << 10})
	t.Run("a header under the limit", func(t *testing.T) {
		req := "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + strings.Repeat("a", 32<<10) + "\r\n\r\n"
		if got := rawHTTP(t, s, req); got != "HTTP/1.1 200 OK" {
			t.Fatalf("got %q", got)
		}
	})
	t.Run("a header over the limit", func(t *testing.T) {
		req := "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + strings.Repeat("a", 1<<20) + "\r\n\r\n"
		if got := rawHTTP(t, s, req); strings.Contains(got, " 200 ") {
			t.Fatalf("a 1 MiB header was served: %q", got)
		}
	})
	t.Run("many header lines", func(t *testing.T) {
		req := "GET /healthz HTTP/1.1\r\nHost: x\r\n" + strings.Repeat("X-A: b\r\n", 20000) + "\r\n"
		if got := rawHTTP(t, s, req); got != "HTTP/1.1 431 Request Header Fields Too Large" {
			t.Fatalf("20,000 header lines (160 KB) got %q, want 431", got)
		}
	})
	t.Run("a body over the limit", func(t *testing.T) {
		body := strings.Repeat("x", 4<<20)
		req := "POST /publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4194304\r\n\r\n" + body
		if got := rawHTTP(t, s, req); got != "" && !strings.HasPrefix(got, "HTTP/1.1 4") {
			t.Fatalf("a 4 MiB body got %q", got)
		}
	})
	// The server goes on serving.
	if code, _ := get(t, "http://"+s.Addr()+"/healthz"); code != http.StatusOK {
		t.Fatalf("healthz after the abuse: %d", code)
	}
}

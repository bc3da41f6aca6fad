package server_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tickwire/tickwire/server"
)

// rawHTTP writes req to a new connection and returns the status line the
// server answered, or "" when it closed the connection without answering.
func rawHTTP(t *testing.T, s *server.Server, req string) string {
	t.Helper()
	line, _ := rawHTTPFrom(t, s.Addr(), strings.NewReader(req))
	return line
}

// rawHTTPFrom streams req to a new connection to addr (the server may stop
// reading it long before its end) and returns the status line the server
// answered ("" when it closed the connection without one) and how long
// the answer took from the first byte written.
func rawHTTPFrom(t testing.TB, addr string, req io.Reader) (string, time.Duration) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	begin := time.Now()
	var wg sync.WaitGroup
	wg.Go(func() { _, _ = io.Copy(conn, req) })
	defer func() {
		conn.Close() // ends the copy
		wg.Wait()
	}()
	line, err := bufio.NewReader(conn).ReadString('\n')
	took := time.Since(begin)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("the server neither answered nor closed the connection")
	}
	return strings.TrimSpace(line), took
}

// repeat is an io.Reader of n copies of one byte: a body that is never
// held in memory by the client.
type repeat struct {
	b byte
	n int64
}

func (r *repeat) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	k := min(int64(len(p)), r.n)
	for i := range p[:k] {
		p[i] = r.b
	}
	r.n -= k
	return int(k), nil
}

// chunks is an io.Reader of a chunked body of n bytes in 32 KiB chunks,
// the terminating chunk included.
func chunks(n int64) io.Reader {
	const size = 32 << 10
	var rs []io.Reader
	header := fmt.Sprintf("%x\r\n", size)
	for ; n >= size; n -= size {
		rs = append(rs, strings.NewReader(header), &repeat{b: 'x', n: size}, strings.NewReader("\r\n"))
	}
	if n > 0 {
		rs = append(rs, strings.NewReader(fmt.Sprintf("%x\r\n", n)), &repeat{b: 'x', n: n}, strings.NewReader("\r\n"))
	}
	return io.MultiReader(append(rs, strings.NewReader("0\r\n\r\n"))...)
}

// heapPeak samples the heap in use until stop is called and returns the
// largest sample above the heap at the start.
func heapPeak() (stop func() uint64) {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > base && ms.HeapInuse-base > peak.Load() {
				peak.Store(ms.HeapInuse - base)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak.Load()
	}
}

// TestHTTPLimits sends each oversized or malformed request of the abuse
// table (docs/limits.md) to a server with the default limits: each gets
// its status, written before the close, within a bounded time, and no
// body is held in memory.
func TestHTTPLimits(t *testing.T) {
	s := start(t, server.Options{})
	const mb = 1 << 20
	head := func(target string, extra ...string) string {
		return "POST " + target + " HTTP/1.1\r\nHost: x\r\n" + strings.Join(extra, "")
	}
	cases := []struct {
		name string
		req  func() io.Reader
		want string
		heap bool // measure the heap's growth
	}{
		{"a 32 KiB header", func() io.Reader {
			return strings.NewReader("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + strings.Repeat("a", 32<<10) + "\r\n\r\n")
		}, "HTTP/1.1 200 OK", false},
		{"a 1 MB header", func() io.Reader {
			return io.MultiReader(strings.NewReader("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: "), &repeat{'a', mb}, strings.NewReader("\r\n\r\n"))
		}, "HTTP/1.1 431 Request Header Fields Too Large", false},
		{"an 8 MB header", func() io.Reader {
			return io.MultiReader(strings.NewReader("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: "), &repeat{'a', 8 * mb}, strings.NewReader("\r\n\r\n"))
		}, "HTTP/1.1 431 Request Header Fields Too Large", true},
		{"a 100 KB request line", func() io.Reader {
			return io.MultiReader(strings.NewReader("GET /healthz?pad="), &repeat{'a', 100 << 10}, strings.NewReader(" HTTP/1.1\r\nHost: x\r\n\r\n"))
		}, "HTTP/1.1 414 Request URI Too Long", false},
		{"10,000 header lines", func() io.Reader {
			return strings.NewReader("GET /healthz HTTP/1.1\r\nHost: x\r\n" + strings.Repeat("X-A: b\r\n", 10000) + "\r\n")
		}, "HTTP/1.1 431 Request Header Fields Too Large", false},
		{"a 50 MB body with Content-Length", func() io.Reader {
			return io.MultiReader(strings.NewReader(head("/ws/send?sid=x", "Content-Length: 52428800\r\n\r\n")), &repeat{'x', 50 * mb})
		}, "HTTP/1.1 413 Request Entity Too Large", true},
		{"a 50 MB chunked body", func() io.Reader {
			return io.MultiReader(strings.NewReader(head("/ws/send?sid=x", "Transfer-Encoding: chunked\r\n\r\n")), chunks(50*mb))
		}, "HTTP/1.1 413 Request Entity Too Large", true},
		{"one chunk declared 50 MB", func() io.Reader {
			return io.MultiReader(strings.NewReader(head("/publish", "Transfer-Encoding: chunked\r\n\r\n3200000\r\n")), &repeat{'x', 50 * mb})
		}, "HTTP/1.1 413 Request Entity Too Large", true},
		{"an invalid chunk size", func() io.Reader {
			return strings.NewReader(head("/publish", "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"))
		}, "HTTP/1.1 400 Bad Request", false},
		{"a chunk size past 63 bits", func() io.Reader {
			return strings.NewReader(head("/publish", "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\nhello\r\n"))
		}, "HTTP/1.1 400 Bad Request", false},
		{"a bad chunk terminator", func() io.Reader {
			return strings.NewReader(head("/publish", "Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n"))
		}, "HTTP/1.1 400 Bad Request", false},
		{"a malformed request line", func() io.Reader {
			return strings.NewReader("GET\x01 / HTTP/1.1\r\nHost: x\r\n\r\n")
		}, "HTTP/1.1 400 Bad Request", false},
		{"a bad Content-Length", func() io.Reader {
			return strings.NewReader(head("/publish", "Content-Length: -5\r\n\r\n"))
		}, "HTTP/1.1 400 Bad Request", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var peak func() uint64
			if c.heap {
				peak = heapPeak()
			}
			got, took := rawHTTPFrom(t, s.Addr(), c.req())
			if got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
			if took > 5*time.Second {
				t.Errorf("answered after %v, want within 5s", took)
			}
			grew := ""
			if peak != nil {
				// Buffering the request would grow the heap by its size
				// (8 or 50 MB); the guard holds one read at most.
				p := peak()
				if p > 8*mb {
					t.Errorf("the heap grew by %.1f MB while the request arrived", float64(p)/mb)
				}
				grew = fmt.Sprintf(", heap in use at most %.2f MB above the start", float64(p)/mb)
			}
			t.Logf("%s: %s in %v%s", c.name, got, took.Round(time.Millisecond), grew)
		})
	}
	// The server goes on serving.
	if code, _ := get(t, "http://"+s.Addr()+"/healthz"); code != http.StatusOK {
		t.Fatalf("healthz after the abuse: %d", code)
	}
}

// A small limit set refuses requests right past each limit and serves
// those right under it, on one keep-alive connection for the ones served.
func TestHTTPLimitsEdges(t *testing.T) {
	s := start(t, server.Options{MaxHeaderBytes: 64 << 10, MaxBodyBytes: 64 << 10, MaxRequestURIBytes: 1 << 10, MaxHeaderLines: 20})
	t.Run("a header over the limit", func(t *testing.T) {
		req := "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + strings.Repeat("a", 1<<20) + "\r\n\r\n"
		if got := rawHTTP(t, s, req); got != "HTTP/1.1 431 Request Header Fields Too Large" {
			t.Fatalf("a 1 MiB header got %q", got)
		}
	})
	t.Run("many header lines", func(t *testing.T) {
		req := "GET /healthz HTTP/1.1\r\nHost: x\r\n" + strings.Repeat("X-A: b\r\n", 20) + "\r\n"
		if got := rawHTTP(t, s, req); got != "HTTP/1.1 431 Request Header Fields Too Large" {
			t.Fatalf("21 header lines got %q, want 431", got)
		}
	})
	t.Run("a target over the limit", func(t *testing.T) {
		req := "GET /healthz?" + strings.Repeat("a", 1<<10) + " HTTP/1.1\r\nHost: x\r\n\r\n"
		if got := rawHTTP(t, s, req); got != "HTTP/1.1 414 Request URI Too Long" {
			t.Fatalf("got %q, want 414", got)
		}
	})
	t.Run("a body over the limit", func(t *testing.T) {
		req := "POST /publish HTTP/1.1\r\nHost: x\r\nContent-Length: 65537\r\n\r\n" + strings.Repeat("x", 65537)
		if got := rawHTTP(t, s, req); got != "HTTP/1.1 413 Request Entity Too Large" {
			t.Fatalf("got %q, want 413", got)
		}
	})
	t.Run("a chunked body over the limit in small chunks", func(t *testing.T) {
		// Each chunk is small enough for nbio's parser to pass on: the
		// parsed size refuses it.
		var b strings.Builder
		b.WriteString("POST /publish HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
		for range 40 {
			b.WriteString("800\r\n" + strings.Repeat("x", 0x800) + "\r\n")
		}
		b.WriteString("0\r\n\r\n")
		if got := rawHTTP(t, s, b.String()); got != "HTTP/1.1 413 Request Entity Too Large" {
			t.Fatalf("got %q, want 413", got)
		}
	})
	t.Run("requests right under the limits", func(t *testing.T) {
		conn, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		br := bufio.NewReader(conn)
		reqs := []string{
			"GET /healthz?" + strings.Repeat("a", 1000) + " HTTP/1.1\r\nHost: x\r\n" + strings.Repeat("X-A: b\r\n", 19) + "\r\n",
			"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + strings.Repeat("a", 60<<10) + "\r\n\r\n",
			"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 65536\r\n\r\n" + strings.Repeat("x", 65536),
		}
		for i, req := range reqs {
			if _, err := io.WriteString(conn, req); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			// POST /healthz is not a route (405): not refused by a limit.
			if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusMethodNotAllowed {
				t.Fatalf("request %d: %s", i, resp.Status)
			}
		}
	})
	if code, _ := get(t, "http://"+s.Addr()+"/healthz"); code != http.StatusOK {
		t.Fatalf("healthz after the abuse: %d", code)
	}
}

// TestHeaderTimeout: a head trickling in a byte at a time gets 408 once
// HeaderTimeout has passed since its first byte, also on a keep-alive
// connection's second request; a quick request on that connection first
// is served.
func TestHeaderTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	s := start(t, server.Options{HeaderTimeout: timeout})
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(conn)
	if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("first request: %v %v", resp, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	// Idle for longer than the timeout: the head's clock starts with its
	// first byte, not with the previous response.
	time.Sleep(timeout + 100*time.Millisecond)
	begin := time.Now()
	answered := make(chan *http.Response, 1)
	go func() {
		resp, _ := http.ReadResponse(br, nil)
		answered <- resp
	}()
	req := "GET /healthz HTTP/1.1\r\nHost: x\r\n"
	var got *http.Response
trickle:
	for i := 0; time.Since(begin) < timeout+3*time.Second; i++ {
		if _, err := conn.Write([]byte{req[i%len(req)]}); err != nil {
			break // closed after the answer
		}
		select {
		case got = <-answered:
			break trickle
		case <-time.After(20 * time.Millisecond):
		}
	}
	if got == nil {
		got = <-answered
	}
	took := time.Since(begin)
	if got == nil || got.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("a trickling head got %v, want 408", got)
	}
	if took < timeout || took > timeout+2*time.Second {
		t.Fatalf("408 after %v, want about %v", took, timeout)
	}
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coder/websocket"

	"github.com/tickwire/tickwire/internal/browsertest"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
)

func TestMain(m *testing.M) { servertest.VerifyTestMain(m) }

// syncBuffer is a log sink safe for the server's goroutines and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startDemo runs the demo in-process on a free port until the test ends.
func startDemo(t *testing.T, args ...string) *server.Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *server.Server, 1)
	done := make(chan error, 1)
	logs := &syncBuffer{}
	go func() {
		done <- run(ctx, append([]string{"-addr", "127.0.0.1:0", "-log-format", "json", "-data-dir", t.TempDir()}, args...), logs, ready)
	}()
	var srv *server.Server
	select {
	case srv = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("demo exited: %v\n%s", err, logs)
	case <-time.After(20 * time.Second):
		cancel()
		t.Fatal("demo did not start")
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("demo shutdown: %v\n%s", err, logs)
		}
	})
	return srv
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestDemoServesEveryEndpoint(t *testing.T) {
	srv := startDemo(t)
	base := "http://" + srv.Addr()
	for _, tc := range []struct{ path, want string }{
		{"/healthz", "ok"},
		{"/metrics", "tickwire_sessions"},
		{"/", `href="/examples/echo/"`},
		{"/", `href="/examples/crossword/"`},
		{"/examples/echo/", "new WebSocket"},
		{"/debug/ticks", `"jitter_ms"`},
		{"/sdk/tickwire.js", "export"},
		{"/sdk/example/minimal.html", "tickwire.js"},
	} {
		if code, body := httpGet(t, base+tc.path); code != 200 || !strings.Contains(body, tc.want) {
			t.Errorf("GET %s = %d, body lacks %q", tc.path, code, tc.want)
		}
	}
	if code, _ := httpGet(t, base+"/no-such-page"); code != 404 {
		t.Errorf("GET /no-such-page = %d, want 404", code)
	}
}

func TestFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-log-format", "xml"},
		{"-tls-cert", "only-cert.pem"},
		{"-log-level", "loud"},
		{"stray"},
	} {
		err := run(context.Background(), args, io.Discard, nil)
		if err == nil {
			t.Errorf("run(%q) = nil, want an error", args)
		}
	}
}

func TestOriginsFlag(t *testing.T) {
	srv := startDemo(t, "-origins", "https://game.example, https://other.example")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for origin, want := range map[string]int{"https://game.example": 101, "https://evil.example": 403} {
		c, resp, err := websocket.Dial(ctx, "ws://"+srv.Addr()+"/echo", &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {origin}}})
		if c != nil {
			c.CloseNow()
		}
		if resp == nil || resp.StatusCode != want {
			t.Errorf("origin %s: %v %v, want HTTP %d", origin, resp, err, want)
		}
	}
}

func TestEchoPageInChromium(t *testing.T) {
	srv := startDemo(t)
	ctx := browsertest.New(t)
	if err := chromedp.Do(ctx, chromedp.Navigate("http://"+srv.Addr()+"/examples/echo/")); err != nil {
		t.Fatal(err)
	}
	click := func(id string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#"+id))); err != nil {
			t.Fatalf("click #%s: %v", id, err)
		}
	}
	click("connect")
	browsertest.WaitFor(t, ctx, 10*time.Second, `document.getElementById("state").textContent === "OPEN"`)
	click("sendText")
	browsertest.WaitFor(t, ctx, 10*time.Second, `window.echoStats.textEchoes === 1`)
	click("sendBinary")
	browsertest.WaitFor(t, ctx, 10*time.Second, `window.echoStats.binaryEchoes === 1`)
	log, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS("#log")))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CONNECTED", "RECEIVED TEXT: Rock it with HTML5 WebSocket", "RECEIVED BINARY: 512000 bytes, identical"} {
		if !strings.Contains(log, want) {
			t.Errorf("page log lacks %q:\n%s", want, log)
		}
	}
	mismatches, err := chromedp.Run(ctx, chromedp.Evaluate[int]("window.echoStats.mismatches"))
	if err != nil || mismatches != 0 {
		t.Fatalf("binary mismatches = %d (%v)", mismatches, err)
	}
	click("disconnect")
	browsertest.WaitFor(t, ctx, 10*time.Second, `document.getElementById("log").textContent.includes("DISCONNECTED code=1000")`)
}

// TestSIGTERM builds the real binary, connects a client, sends SIGTERM and
// expects close 1001 for the client and exit status 0 for the process.
func TestSIGTERM(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "demo")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-log-format", "json", "-data-dir", t.TempDir())
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	url := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var line struct {
				URL string `json:"url"`
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.URL != "" {
				url <- line.URL
			}
		}
	}()
	var base string
	select {
	case base = <-url:
	case <-time.After(20 * time.Second):
		t.Fatal("demo did not log its URL")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	wsURL := "ws" + strings.TrimPrefix(strings.TrimSuffix(base, "/"), "http") + "/ws"
	c, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{Subprotocols: []string{"tickwire.v1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if _, _, err := c.Read(ctx); err != nil { // the Welcome
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Read(ctx)
	var ce websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.StatusGoingAway {
		t.Fatalf("after SIGTERM read = %v, want close 1001", err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("demo exit: %v, want status 0", err)
	}
}

package ticker_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/rs/zerolog"

	"github.com/tickwire/tickwire/client"
	"github.com/tickwire/tickwire/examples/ticker"
	"github.com/tickwire/tickwire/internal/browsertest"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/web"
)

func TestMain(m *testing.M) { servertest.VerifyTestMain(m) }

func TestPageServesItsFiles(t *testing.T) {
	h := ticker.Page()
	for _, tc := range []struct{ path, ctype, want string }{
		{ticker.Path, "text/html; charset=utf-8", `<script type="module" src="page.js">`},
		{ticker.Path + "page.js", "text/javascript; charset=utf-8", `from "/sdk/tickwire.js"`},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", tc.path+"?name=ann", nil))
		body, _ := io.ReadAll(rec.Body)
		if rec.Code != 200 || rec.Header().Get("Content-Type") != tc.ctype || !strings.Contains(string(body), tc.want) {
			t.Errorf("GET %s = %d %q, body lacks %q", tc.path, rec.Code, rec.Header().Get("Content-Type"), tc.want)
		}
	}
	for _, p := range []string{ticker.Path + "ticker.go", ticker.Path + "page.html", "/elsewhere/page.js"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
		if rec.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, rec.Code)
		}
	}
}

// startTicker serves the ticker page, the SDK and /publish, and runs a
// Publisher posting an update every 50 ms until the test ends.
func startTicker(t *testing.T) *server.Server {
	t.Helper()
	const secret = "ticker-test-secret"
	s := servertest.StartTestServer(t, server.Options{PublishSecret: secret, Logger: zerolog.Nop()}, func(srv *server.Server) {
		srv.Handle("GET "+ticker.Path, ticker.Page())
		srv.Handle("GET "+web.Prefix, web.Handler())
	})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	p := &ticker.Publisher{URL: servertest.URL(s, false, ""), Secret: secret, Interval: 50 * time.Millisecond, Seed: 7}
	wg.Go(func() { _ = p.Run(ctx) })
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	return s
}

// TestPublisherPostsUpdates: the publisher's updates reach a Go subscriber
// of the feed as JSON.
func TestPublisherPostsUpdates(t *testing.T) {
	s := startTicker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, servertest.URL(s, true, "/ws"), client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if _, err := c.Request(ctx, &protocol.Envelope{Msg: &tickwirev1.Envelope_Subscribe{Subscribe: &tickwirev1.Subscribe{Channel: ticker.ScoresChannel}}}); err != nil {
		t.Fatal(err)
	}
	for n := 0; n < 5; {
		env, err := c.Recv(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if m := env.GetChannelMessage(); m != nil {
			if !strings.Contains(string(m.Data), `"match":{"id":"m`) || m.From != "" {
				t.Fatalf("update = %q from %q", m.Data, m.From)
			}
			n++
		}
	}
}

// TestTickerPageInChromium: the page shows the publisher's live updates
// over WebSocket, lists the chat's members (a Go client among them), and
// chat flows both ways; no page errors.
func TestTickerPageInChromium(t *testing.T) {
	s := startTicker(t)
	ctx := browsertest.New(t)
	var mu sync.Mutex
	var problems []string
	if err := chromedp.Listen(ctx, func(ev any) {
		if p := browsertest.Problem(ev); p != "" {
			mu.Lock()
			problems = append(problems, p)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	// A Go client in the chat: the page must list it and hear it.
	cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	gopher, err := client.Dial(cctx, servertest.URL(s, true, "/ws"), client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer gopher.Close(context.Background())
	if _, err := gopher.Request(cctx, &protocol.Envelope{Msg: &tickwirev1.Envelope_Subscribe{Subscribe: &tickwirev1.Subscribe{Channel: ticker.ChatChannel, Name: "gopher"}}}); err != nil {
		t.Fatal(err)
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(servertest.URL(s, false, ticker.Path+"?name=ann"))); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, 15*time.Second, `window.ticker && window.ticker.status === "live" && window.ticker.transport === "websocket"`)
	before := eval[float64](t, ctx, `window.ticker.updates`)

	browsertest.WaitFor(t, ctx, 15*time.Second, fmt.Sprintf(`window.ticker.updates >= %v + 5 && document.querySelectorAll("#board tr").length > 0`, before))
	browsertest.WaitFor(t, ctx, 10*time.Second, `JSON.stringify(window.ticker.members) === JSON.stringify(["ann", "gopher"])`)

	// The page chats; the Go client hears it from ann's player.
	eval[bool](t, ctx, `document.querySelector("#text").value = "hello from chromium"; document.querySelector("#send").requestSubmit(); true`)
	for {
		env, err := gopher.Recv(cctx)
		if err != nil {
			t.Fatalf("gopher waiting for the page's chat: %v", err)
		}
		if m := env.GetChannelMessage(); m != nil && m.Channel == ticker.ChatChannel {
			if string(m.Data) != "hello from chromium" || m.From == "" {
				t.Fatalf("chat = %q from %q", m.Data, m.From)
			}
			break
		}
	}
	// The Go client chats; the page shows it under its name.
	if _, err := gopher.Request(cctx, &protocol.Envelope{Msg: &tickwirev1.Envelope_Publish{Publish: &tickwirev1.Publish{Channel: ticker.ChatChannel, Data: []byte("hi ann")}}}); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, 10*time.Second, `window.ticker.chat.some(m => m.name === "gopher" && m.text === "hi ann") && document.querySelector("#chat").textContent.includes("gopher: hi ann")`)
	// The Go client leaves; the page's member list follows.
	_ = gopher.Close(cctx)
	browsertest.WaitFor(t, ctx, 10*time.Second, `JSON.stringify(window.ticker.members) === JSON.stringify(["ann"])`)

	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 {
		t.Fatalf("page problems: %v", problems)
	}
}

func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(tctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

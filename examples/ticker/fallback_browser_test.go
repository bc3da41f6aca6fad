package ticker_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tickwire/tickwire/client"
	"github.com/tickwire/tickwire/examples/ticker"
	"github.com/tickwire/tickwire/internal/browsertest"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/server/servertest"
)

// TestTickerPageWithWebSocketsBlocked: behind a proxy that refuses
// WebSockets the ticker page falls back to HTTP (Server-Sent Events down,
// POSTs up) and still shows the publisher's live updates and chats both
// ways; once the proxy lets WebSockets through the page moves back to one
// and the updates go on.
func TestTickerPageWithWebSocketsBlocked(t *testing.T) {
	s := startTicker(t)
	proxy, base := servertest.StartBlockingProxy(t, s)
	proxy.Block(true)
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
	cctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	gopher, err := client.Dial(cctx, servertest.URL(s, true, "/ws"), client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer gopher.Close(context.Background())
	if _, err := gopher.Request(cctx, &protocol.Envelope{Msg: &tickwirev1.Envelope_Subscribe{Subscribe: &tickwirev1.Subscribe{Channel: ticker.ChatChannel, Name: "gopher"}}}); err != nil {
		t.Fatal(err)
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(base+ticker.Path+"?name=bea")); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, 15*time.Second, `window.ticker && window.ticker.status === "live" && window.ticker.transport === "fallback"`)
	before := eval[float64](t, ctx, `window.ticker.updates`)
	browsertest.WaitFor(t, ctx, 15*time.Second, fmt.Sprintf(`window.ticker.updates >= %v + 5 && document.querySelectorAll("#board tr").length > 0`, before))
	browsertest.WaitFor(t, ctx, 10*time.Second, `JSON.stringify(window.ticker.members) === JSON.stringify(["bea", "gopher"])`)

	// Chat over the fallback, both ways.
	eval[bool](t, ctx, `document.querySelector("#text").value = "hello through the proxy"; document.querySelector("#send").requestSubmit(); true`)
	for {
		env, err := gopher.Recv(cctx)
		if err != nil {
			t.Fatalf("gopher waiting for the page's chat: %v", err)
		}
		if m := env.GetChannelMessage(); m != nil && m.Channel == ticker.ChatChannel {
			if string(m.Data) != "hello through the proxy" {
				t.Fatalf("chat = %q", m.Data)
			}
			break
		}
	}
	if _, err := gopher.Request(cctx, &protocol.Envelope{Msg: &tickwirev1.Envelope_Publish{Publish: &tickwirev1.Publish{Channel: ticker.ChatChannel, Data: []byte("hi bea")}}}); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, 10*time.Second, `window.ticker.chat.some(m => m.name === "gopher" && m.text === "hi bea")`)

	// WebSockets work again: the page moves back (the SDK retries in the
	// background with backoff from 3 s) and the updates go on.
	proxy.Block(false)
	browsertest.WaitFor(t, ctx, 40*time.Second, `window.ticker.status === "live" && window.ticker.transport === "websocket"`)
	before = eval[float64](t, ctx, `window.ticker.updates`)
	browsertest.WaitFor(t, ctx, 15*time.Second, fmt.Sprintf(`window.ticker.updates >= %v + 5`, before))
	browsertest.WaitFor(t, ctx, 10*time.Second, `JSON.stringify(window.ticker.members) === JSON.stringify(["bea", "gopher"])`)

	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		if !strings.Contains(p, "WebSocket") && !strings.Contains(p, "ws://") {
			t.Errorf("page problem: %s", p)
		}
	}
}

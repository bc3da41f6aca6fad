package web

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tickwire/tickwire/internal/browsertest"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
)

// wsRefused reports whether a page error is the proxy refusing a
// WebSocket, which is expected while it blocks them.
func wsRefused(e string) bool {
	return strings.Contains(e, "WebSocket") || strings.Contains(e, "ws://")
}

// TestFallbackInChromium: with WebSockets blocked (by a proxy that refuses
// the upgrade: Chromium's DevTools request blocking does not apply to
// WebSockets) the SDK falls back to
// the HTTP transport and the page plays on (joins a room, gets state, its
// inputs are acknowledged, pings answered); once WebSockets work again the
// session moves back to one, as the same player in the same seat.
func TestFallbackInChromium(t *testing.T) {
	srv := startLobbyArena(t)
	proxy, base := servertest.StartBlockingProxy(t, srv)
	proxy.Block(true)
	ctx := browsertest.New(t)
	pageErrors := listenPage(t, ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/test/sdk.html")); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, 10*time.Second, `window.tw !== undefined`)

	first := eval[map[string]any](t, ctx, `(async () => {
		const lobby = new tw.Lobby();
		await lobby.guest("fay");
		const c = await tw.connect("/ws", { getToken: () => lobby.token, upgrade: { initialDelayMs: 200, maxDelayMs: 400 } });
		const t = (window.t = { c, events: [] });
		c.on("transport", (k) => t.events.push("transport " + k));
		c.on("reconnect", (w) => t.events.push("reconnect " + w.playerId));
		c.on("disconnect", (e) => t.events.push("disconnect " + e.code));
		c.on("close", (e) => t.events.push("close " + e.code));
		const room = (t.room = await c.join({ game: "arena", create: true }, { state: examples.arena.StateSchema, input: examples.arena.InputSchema }));
		room.on("rejoined", (j) => t.events.push("rejoined " + j.roomId));
		room.on("left", (l) => t.events.push("left " + l.reason));
		await new Promise((r) => room.once("state", r));
		const rtt = await c.ping();
		return { transport: c.transport, player: c.playerId, room: room.id, seq: room.sendInput({ dx: 1, dy: 0 }), rtt };
	})()`)
	if first["transport"] != "fallback" || first["seq"] != 1.0 {
		t.Fatalf("with WebSockets blocked: %v", first)
	}
	me := first["player"].(string)
	// The input went up in a POST and its acknowledgement came down the stream.
	browsertest.WaitFor(t, ctx, 10*time.Second, fmt.Sprintf(`t.room.lastInputSeq === 1 && t.room.inputLatency.count === 1 && t.room.state.players[%q] !== undefined`, me))
	frames := eval[float64](t, ctx, `t.room.replica.deltas`)
	// Deltas keep coming while the player moves (each poll steers; a
	// player that stopped at a wall would change nothing, and send nothing).
	browsertest.WaitFor(t, ctx, 10*time.Second, fmt.Sprintf(`(t.room.sendInput({ dx: t.room.lastSentSeq %% 2 ? -1 : 1, dy: 1 }), t.room.replica.deltas > %v + 10)`, frames))
	// A dropped fallback connection reconnects over the fallback (the
	// WebSocket is still blocked) and rejoins the seat.
	eval[bool](t, ctx, `(t.c.drop(), true)`)
	browsertest.WaitFor(t, ctx, 10*time.Second, `t.events.includes("reconnect `+me+`") && t.events.some((e) => e.startsWith("rejoined")) && t.room.replica.isReady`)
	if got := eval[map[string]any](t, ctx, `({ transport: t.c.transport, events: t.events.join(", ") })`); got["transport"] != "fallback" ||
		got["events"] != "disconnect 4000, reconnect "+me+", rejoined "+first["room"].(string) {
		t.Fatalf("after a drop on the fallback: %v", got)
	}
	eval[bool](t, ctx, `(t.events = [], true)`)
	// Still blocked: the background retries fail and the session stays on the fallback.
	browsertest.WaitFor(t, ctx, 10*time.Second, `t.c.transport === "fallback" && t.c.status === "open"`)

	proxy.Block(false)
	browsertest.WaitFor(t, ctx, 15*time.Second, `t.c.transport === "websocket" && t.events.some((e) => e.startsWith("rejoined")) && t.room.replica.isReady`)
	after := eval[map[string]any](t, ctx, fmt.Sprintf(`(() => ({ player: t.c.playerId, room: t.room.id, status: t.c.status,
		seated: t.room.state.players[%q] !== undefined, events: t.events.join(", "), seq: t.room.sendInput({ dx: 0, dy: 1 }) }))()`, me))
	if after["player"] != me || after["room"] != first["room"] || after["status"] != "open" || after["seated"] != true || after["seq"] != 1.0 {
		t.Fatalf("after the move to a WebSocket: %v (before: %v)", after, first)
	}
	if want := "transport websocket, reconnect " + me + ", rejoined " + first["room"].(string); after["events"] != want {
		t.Errorf("events %q, want %q", after["events"], want)
	}
	browsertest.WaitFor(t, ctx, 10*time.Second, `t.room.lastInputSeq === 1 && t.room.inputLatency.count >= 2`)
	// The fallback session ended on the server: one WebSocket session remains.
	servertest.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
		if sse, ws := sessions(t, srv, "sse"), sessions(t, srv, "ws"); sse != 0 || ws != 1 {
			return fmt.Errorf("sessions: %v on the fallback, %v on /ws", sse, ws)
		}
		return nil
	})
	t.Logf("over the fallback: RTT %.1f ms", first["rtt"])
	for _, e := range pageErrors() {
		if !wsRefused(e) {
			t.Errorf("page error: %s", e)
		} else {
			t.Logf("expected while blocked: %s", e)
		}
	}

	t.Run("fallback only: close codes and a clean close", func(t *testing.T) {
		seen := len(pageErrors())
		got := eval[map[string]any](t, ctx, `(async () => {
			const c = await tw.connect("/ws", { transport: "fallback", pingIntervalMs: 0 });
			const closed = new Promise((r) => c.once("close", r));
			const transport = c.transport;
			c.send({ msg: { case: "hello", value: { protocolVersion: 99 } } });
			const e = await closed;
			const c2 = await tw.connect("/ws", { transport: "fallback" });
			const lobby = await c2.lobby({ op: { case: "listGames", value: {} } });
			const clean = await c2.close();
			return { transport, code: e.code, reason: e.reason, status: c.status, games: lobby.games.length > 0, clean: clean.code, c2: c2.status };
		})()`)
		if got["transport"] != "fallback" || got["code"] != 4003.0 || !strings.Contains(got["reason"].(string), "unsupported protocol version") ||
			got["status"] != "closed" || got["games"] != true || got["clean"] != 1000.0 || got["c2"] != "closed" {
			t.Errorf("got %v", got)
		}
		for _, e := range pageErrors()[seen:] {
			if !strings.Contains(e, "HTTP 410") { // the POST that closed the session answers 410
				t.Errorf("page error: %s", e)
			}
		}
	})
}

// sessions reads the server's open sessions of an endpoint from its metrics.
func sessions(t *testing.T, srv *server.Server, endpoint string) float64 {
	t.Helper()
	mfs, err := srv.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "tickwire_sessions" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "endpoint" && l.GetValue() == endpoint {
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	return 0
}

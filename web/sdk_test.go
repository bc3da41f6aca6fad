package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/prometheus/client_golang/prometheus"

	_ "github.com/tickwire/tickwire/examples/arena" // registers the arena game
	"github.com/tickwire/tickwire/gateway"
	"github.com/tickwire/tickwire/internal/browsertest"
	"github.com/tickwire/tickwire/lobby"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/tick"
)

// sdkPage exposes the SDK to tests as window.tw and the example games'
// schemas as window.examples (tw is set last: tests wait for it).
const sdkPage = `<!doctype html><meta charset="utf-8"><title>sdk</title><link rel="icon" href="data:,">
<script type="module">import * as tw from "/sdk/tickwire.js"; import * as examples from "/sdk/examples.js";
window.examples = examples; window.tw = tw;</script>`

// startOpenArena starts a bare Tickwire server hosting the arena with
// open joins (no lobby: every session is an anonymous player) and the SDK
// under /sdk/; extra mounts a test's own pages.
func startOpenArena(t *testing.T, extra ...func(*server.Server)) *server.Server {
	t.Helper()
	rooms, err := tick.NewRooms(tick.Options{Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	return servertest.StartTestServer(t, server.Options{Rooms: &gateway.TickRooms{Rooms: rooms, OpenJoin: true}}, func(srv *server.Server) {
		srv.OnShutdown(rooms.Close)
		srv.Handle("GET "+Prefix, Handler())
		for _, f := range extra {
			f(srv)
		}
	})
}

// startLobbyArena starts a server set up as the demo is: the arena behind
// the embedded lobby (guest tokens, seats, reconnection), the SDK under
// /sdk/, and a page exposing the SDK as window.tw.
func startLobbyArena(t *testing.T) *server.Server {
	t.Helper()
	var lob *lobby.Lobby
	rooms, err := tick.NewRooms(tick.Options{
		Registerer: prometheus.NewRegistry(),
		OnUnseat:   func(room string, p tick.PlayerID) { _ = lob.Release(string(p), room) },
	})
	if err != nil {
		t.Fatal(err)
	}
	lob, err = lobby.New(lobby.Options{Rooms: rooms, Node: "test", Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	opts := server.Options{Rooms: &gateway.TickRooms{Rooms: rooms, Lobby: lob}, Lobby: gateway.Lobby(lob), Authenticate: lob.Authenticate}
	return servertest.StartTestServer(t, opts, func(srv *server.Server) {
		srv.OnShutdown(lob.Close)
		srv.OnShutdown(rooms.Close)
		srv.Handle("GET "+Prefix, Handler())
		srv.Handle("GET /test/sdk.html", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, sdkPage)
		}))
	})
}

// eval runs a JavaScript expression (awaiting a promise) and decodes its result.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// checkMinimalPage loads the minimal page from srv and checks that it
// draws this player's bumper, measures RTT, steers with the keyboard and
// measures input-to-state latency.
func checkMinimalPage(t *testing.T, ctx context.Context, srv *server.Server, pageErrors func() []string) {
	if err := chromedp.Do(ctx, chromedp.Navigate(servertest.URL(srv, false, "/sdk/example/minimal.html"))); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, 10*time.Second, `(() => { const v = window.tickwireExample;
		return v !== undefined && v.self !== null && v.draws > 3 && v.client.rtt.count > 0; })()`)
	// The pixel under this player's bumper has the page's yellow.
	rgba := eval[[]int](t, ctx, `(() => { const s = window.tickwireExample.self;
		return Array.from(document.getElementById("arena").getContext("2d").getImageData(Math.round(s.x), Math.round(s.y), 1, 1).data); })()`)
	if !slices.Equal(rgba, []int{0xf5, 0xb9, 0x42, 0xff}) {
		t.Errorf("pixel under this player's bumper = %v, want the page's yellow", rgba)
	}
	// A key press steers: two inputs (down, up), each acknowledged, with a latency.
	if err := chromedp.Do(ctx, chromedp.KeyEvent("d")); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, 10*time.Second, `(() => { const r = window.tickwireExample.room;
		return r.lastSentSeq === 2 && r.lastInputSeq === 2 && r.inputLatency.count === 2; })()`)
	stats := eval[map[string]float64](t, ctx, `(() => { const v = window.tickwireExample;
		return { rtt: v.client.rtt.last, inputToState: v.room.inputLatency.last, offset: v.client.clockOffsetMs }; })()`)
	// Loopback and one machine: RTT and input-to-state (at most a 50 ms
	// tick plus scheduling) well under a second, clocks agree.
	if stats["rtt"] <= 0 || stats["rtt"] > 1000 || stats["inputToState"] <= 0 || stats["inputToState"] > 1000 || stats["offset"] > 1000 || stats["offset"] < -1000 {
		t.Errorf("measurements out of range: %v", stats)
	}
	t.Logf("RTT %.2f ms, input-to-state %.2f ms, clock offset %.2f ms", stats["rtt"], stats["inputToState"], stats["offset"])
	if errs := pageErrors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}
}

func TestSDKInChromium(t *testing.T) {
	open, lob := startOpenArena(t), startLobbyArena(t)
	ctx := browsertest.New(t)
	pageErrors := listenPage(t, ctx)

	t.Run("minimal page, open joins", func(t *testing.T) { checkMinimalPage(t, ctx, open, pageErrors) })
	t.Run("minimal page, lobby", func(t *testing.T) {
		checkMinimalPage(t, ctx, lob, pageErrors)
		// The page's session is a lobby guest: after a drop it comes back as
		// the same player (the Welcome's token) to the same room and draws on.
		before := eval[map[string]any](t, ctx, `(() => { const v = window.tickwireExample;
			v.client.drop(); return { player: v.client.playerId, room: v.room.id }; })()`)
		browsertest.WaitFor(t, ctx, 10*time.Second, `(() => { const v = window.tickwireExample;
			return v.client.status === "open" && v.room.replica.isReady && v.room.replica.snapshots === 2; })()`)
		after := eval[map[string]any](t, ctx, `(() => { const v = window.tickwireExample;
			return { player: v.client.playerId, room: v.room.id, draws: v.draws }; })()`)
		if !strings.HasPrefix(before["player"].(string), "p-") || after["player"] != before["player"] || after["room"] != before["room"] {
			t.Errorf("before the drop %v, after %v", before, after)
		}
		browsertest.WaitFor(t, ctx, 10*time.Second, fmt.Sprintf(`window.tickwireExample.draws > %v + 3`, after["draws"]))
		if errs := pageErrors(); len(errs) > 0 {
			t.Errorf("page errors: %v", errs)
		}
	})

	if err := chromedp.Do(ctx, chromedp.Navigate(servertest.URL(lob, false, "/test/sdk.html"))); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, 10*time.Second, `window.tw !== undefined`)

	t.Run("lobby over HTTP and WebSocket, join with a seat", func(t *testing.T) {
		got := eval[map[string]any](t, ctx, `(async () => {
			const lobby = new tw.Lobby();
			const guest = await lobby.guest("ann");
			const games = (await lobby.games()).filter((g) => g.name === "arena");
			const ticket = await lobby.createTicket({ game: "arena", skill: 1500, region: "test" });
			const searching = (await lobby.ticket(ticket)).status;
			const cancelled = (await lobby.cancelTicket(ticket)).status;
			const created = await lobby.createRoom({ game: "arena", private: true, max_players: 4 });
			let refused;
			try { await lobby.join({ join_code: "NOPE00" }); } catch (e) { refused = { name: e.name, status: e.status, code: e.code }; }

			const c = await tw.connect("/ws", { getToken: () => lobby.token, pingIntervalMs: 0 });
			const room = await c.join({ roomId: created.room_id, seat: created.seat }, { state: examples.arena.StateSchema });
			await new Promise((r) => room.once("state", r));
			const ws = await c.lobby({ op: { case: "listRooms", value: { game: "arena" } } });
			let wsRefused;
			try { await c.lobby({ op: { case: "join", value: { joinCode: "NOPE00" } } }); } catch (e) { wsRefused = e.codeName; }
			const result = {
				player: guest.player_id === c.playerId, games, joinCode: created.join_code.length, refused, searching, cancelled,
				seated: room.state.players[c.playerId] !== undefined, wsRooms: Array.isArray(ws.rooms), wsRefused,
			};
			await c.close();
			return result;
		})()`)
		want := `{"cancelled":"cancelled","games":[{"max_players":50,"min_players":1,"name":"arena","tick_hz":20}],"joinCode":6,"player":true,` +
			`"refused":{"code":"room_not_found","name":"LobbyError","status":404},"searching":"searching","seated":true,"wsRefused":"room_not_found","wsRooms":true}`
		if b, _ := json.Marshal(got); string(b) != want {
			t.Errorf("got  %s\nwant %s", b, want)
		}
		for _, e := range pageErrors() {
			if !strings.Contains(e, "HTTP 404 for http://"+lob.Addr()+"/lobby/join") {
				t.Errorf("page error: %s", e)
			}
		}
	})

	t.Run("prediction and interpolation helpers", func(t *testing.T) {
		got := eval[string](t, ctx, `(() => {
			const out = [];
			const p = new tw.Predictor({ apply: (s, dx) => { s.x += dx; } });
			const auth = { x: 0 };
			p.input(1, 5); // before any authoritative state: kept, nothing to predict on
			out.push(p.state === undefined, p.reconcile(auth, 0).x, auth.x);
			p.input(2, 2); p.input(3, 3);
			out.push(p.state.x, p.pending);
			out.push(p.reconcile({ x: 1 }, 1).x, p.pending); // input 1 acknowledged: 1 + 2 + 3
			out.push(p.reconcile({ x: 10 }, 3).x, p.pending);
			p.input(4, 1); p.reset();
			out.push(p.pending, p.state === undefined);

			const i = new tw.Interpolator({ delay: 50, lerp: tw.lerpNumber });
			out.push(i.sample(0) === undefined);
			i.push(0, 0); i.push(100, 10); i.push(50, 99); // an older sample is dropped
			out.push(i.sample(100), i.sample(40), i.sample(400), i.size);
			const r = tw.lerpRecord({ a: { x: 0 }, b: { x: 0 } }, { a: { x: 10 }, c: { x: 4 } }, 0.5,
				(a, b, t) => ({ x: tw.lerpNumber(a.x, b.x, t) }));
			out.push(JSON.stringify(r));
			return out.join(" ");
		})()`)
		if want := `true 5 0 10 3 6 2 10 0 0 true true 5 0 10 2 {"a":{"x":5},"c":{"x":4}}`; got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	})

	// The next subtests check the page's errors afresh.
	seen := len(pageErrors())
	newErrors := func() []string { return pageErrors()[seen:] }

	t.Run("reconnect resumes the player", func(t *testing.T) {
		first := eval[map[string]any](t, ctx, `(async () => {
			const lobby = new tw.Lobby();
			await lobby.guest("alice");
			const c = await tw.connect("/ws", { getToken: () => lobby.token, reconnect: { initialDelayMs: 50 } });
			const room = await c.join({ game: "arena", create: true }, { state: examples.arena.StateSchema, input: examples.arena.InputSchema });
			const t = (window.t = { c, room, events: [] });
			c.on("disconnect", (e) => t.events.push("disconnect " + e.code));
			c.on("reconnect", (w) => t.events.push("reconnect " + w.playerId));
			c.on("close", (e) => t.events.push("close " + e.code));
			room.on("rejoined", (j) => t.events.push("rejoined " + j.roomId));
			room.on("left", (l) => t.events.push("left " + l.reason));
			await new Promise((r) => room.once("state", r));
			return { player: c.playerId, session: c.sessionId, room: room.id, seq: room.sendInput({ dx: 0, dy: 0 }) };
		})()`)
		if first["seq"] != 1.0 {
			t.Fatalf("first connect: %v", first)
		}
		me := first["player"].(string)
		browsertest.WaitFor(t, ctx, 10*time.Second, fmt.Sprintf(`t.room.lastInputSeq === 1 && t.room.state.players[%q] !== undefined`, me))
		before := eval[map[string]float64](t, ctx, fmt.Sprintf(`(() => { const p = t.room.state.players[%q]; return { x: p.x, y: p.y }; })()`, me))

		eval[bool](t, ctx, `(t.c.drop(), true)`)
		browsertest.WaitFor(t, ctx, 10*time.Second, fmt.Sprintf(`t.events.some((e) => e.startsWith("rejoined")) && t.room.replica.isReady && t.room.state.players[%q] !== undefined`, me))
		after := eval[map[string]any](t, ctx, fmt.Sprintf(`(() => { const p = t.room.state.players[%q];
			return { player: t.c.playerId, session: t.c.sessionId, room: t.room.id, status: t.c.status, x: p.x, y: p.y,
				sent: t.room.lastSentSeq, events: t.events.join(", ") }; })()`, me))
		if after["player"] != me || after["room"] != first["room"] || after["status"] != "open" || after["session"] == first["session"] {
			t.Fatalf("after the reconnect: %v (before: %v)", after, first)
		}
		if after["events"] != "disconnect 4000, reconnect "+me+", rejoined "+first["room"].(string) {
			t.Errorf("events = %q", after["events"])
		}
		// The seat waited: the bumper stood where it was (a new seat would
		// spawn elsewhere), and input seqs start again at 1.
		if after["x"] != before["x"] || after["y"] != before["y"] || after["sent"] != 0.0 {
			t.Errorf("the player did not resume: before %v, after %v", before, after)
		}
		if seq := eval[int](t, ctx, `t.room.sendInput({ dx: 1, dy: 0 })`); seq != 1 {
			t.Errorf("first input after the rejoin has seq %d, want 1", seq)
		}
		browsertest.WaitFor(t, ctx, 10*time.Second, `t.room.lastInputSeq === 1 && t.room.inputLatency.count === 2`)
		if errs := newErrors(); len(errs) > 0 {
			t.Errorf("page errors: %v", errs)
		}
	})

	t.Run("a refusing close is not retried; a clean close", func(t *testing.T) {
		// A text frame is against the protocol: the server closes with 1003,
		// which reconnecting cannot cure.
		got := eval[map[string]any](t, ctx, `(async () => {
			const closed = new Promise((r) => t.c.once("close", r));
			t.c["ws"].send("text");
			const e = await closed;
			await new Promise((r) => setTimeout(r, 300)); // no reconnect attempt follows
			const c2 = await tw.connect("/ws");
			const clean = await c2.close();
			return { code: e.code, status: t.c.status, events: t.events.join(", "), roomClosed: t.room.closed,
				c2: c2.status, clean: clean.code, sendAfterClose: c2.send({ msg: { case: "ping", value: {} } }) };
		})()`)
		if got["code"] != 1003.0 || got["status"] != "closed" || got["c2"] != "closed" || got["clean"] != 1000.0 || got["roomClosed"] != true || got["sendAfterClose"] != false {
			t.Fatalf("got %v", got)
		}
		if ev := got["events"].(string); strings.Count(ev, "disconnect") != 1 || !strings.HasSuffix(ev, ", close 1003") || !strings.Contains(ev, ", left connection closed: 1003") {
			t.Errorf("events = %q", ev)
		}
		if errs := newErrors(); len(errs) > 0 {
			t.Errorf("page errors: %v", errs)
		}
	})

	// Last: the browser reports the refused handshake as a page error.
	t.Run("a refused connect rejects", func(t *testing.T) {
		msg := eval[string](t, ctx, `tw.connect("/ws", { token: "forged" }).then(() => "connected", (e) => e.name + ": " + e.message)`)
		if !strings.HasPrefix(msg, "TickwireError: connect ws://") {
			t.Errorf("connect with a forged token: %s", msg)
		}
	})
}

func TestHandler(t *testing.T) {
	srv := startOpenArena(t)
	get := func(path string, header ...string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", servertest.URL(srv, false, path), nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		return res
	}
	res := get(SDKPath)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/javascript; charset=utf-8" ||
		res.Header.Get("Cache-Control") != "no-cache" || res.ContentLength != int64(len(assets["tickwire.js"].body)) {
		t.Errorf("GET %s: %d %v", SDKPath, res.StatusCode, res.Header)
	}
	if res := get(SDKPath, "If-None-Match", res.Header.Get("ETag")); res.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation: %d, want 304", res.StatusCode)
	}
	if res := get(SDKPath + "?v=" + Version()); res.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Errorf("versioned GET: Cache-Control %q", res.Header.Get("Cache-Control"))
	}
	if res := get(SDKPath + "?v=old"); res.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("GET of another version: Cache-Control %q", res.Header.Get("Cache-Control"))
	}
	if res := get(Prefix + "tickwire.js.map"); res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json" {
		t.Errorf("source map: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if res := get(ExamplesPath); res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Errorf("GET %s: %d %q", ExamplesPath, res.StatusCode, res.Header.Get("Content-Type"))
	}
	if res := get(Prefix + "examples.js.map"); res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json" {
		t.Errorf("examples' source map: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if res := get(Prefix + "example/minimal.html"); res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("minimal page: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	for _, p := range []string{Prefix, Prefix + "nope.js", Prefix + "../web.go", Prefix + "dist/tickwire.js"} {
		if res := get(p); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, res.StatusCode)
		}
	}
}

package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/tickwire/tickwire/examples/shooter"
	"github.com/tickwire/tickwire/internal/browsertest"
	shooterv1 "github.com/tickwire/tickwire/proto/tickwire/shooter/v1"
	"github.com/tickwire/tickwire/tick"
)

var updateScreenshot = flag.Bool("update-screenshot", false, "TestShooterInChromium writes the README's screenshot, docs/shooter.png")

// quietShooter is the shooter without bots (shooter.Config.MinCombatants
// < 0), registered for this test binary only: in its rooms a hit can only
// come from the other tab, so the test's assertions are exact. The page
// plays it with ?game=shooter-nobots; the rules are the shooter's.
const quietShooter = "shooter-nobots"

func init() {
	tick.Register(tick.GameInfo{Name: quietShooter, TickHz: shooter.TickHz, MinPlayers: 1, MaxPlayers: shooter.MaxPlayers, ReconnectGrace: shooter.ReconnectGrace},
		func() tick.Game[*shooterv1.State, *shooterv1.Input] {
			return shooter.NewWith(shooter.Config{MinCombatants: -1})
		})
}

// tab is a browsertest.Tab with this test's page actions.
type tab struct{ *browsertest.Tab }

func newTab(t *testing.T, browser context.Context, name string, own bool) *tab {
	t.Helper()
	b := &tab{browsertest.NewTab(t, browser, name, own)}
	b.State = `JSON.stringify({ error: window.shooter?.error, banner: window.shooter?.banner, stats: window.shooter?.stats,
				view: window.shooter?.snapshot?.().players, focus: document.hasFocus(), visibility: document.visibilityState,
				overlay: document.getElementById("overlay")?.textContent, rooms: window.roomBrowser?.error })`
	return b
}

func eval[T any](b *tab, expr string) T { return browsertest.Eval[T](b.Tab, expr) }

// key presses (down) or releases a key as a keyboard would.
func (b *tab) key(r rune, down bool) {
	b.T.Helper()
	want := kb.KeyUp
	if down {
		want = kb.KeyDown
	}
	for _, ev := range kb.Encode(r) {
		if ev.Type == want {
			if _, err := chromedp.Call(b.Ctx, input.DispatchKeyEvent, *ev); err != nil {
				b.T.Fatalf("%s: key %q: %v", b.Name, r, err)
			}
		}
	}
}

func (b *tab) mouse(typ input.DispatchMouseEventType, x, y float64) {
	b.T.Helper()
	opts := []chromedp.MouseOption{chromedp.ButtonNone}
	if typ != input.DispatchMouseEventTypeMouseMoved {
		opts = []chromedp.MouseOption{chromedp.ButtonLeft, chromedp.ClickCount(1)}
	}
	if err := chromedp.Do(b.Ctx, chromedp.MouseEvent(typ, x, y, opts...)); err != nil {
		b.T.Fatalf("%s: mouse %s: %v", b.Name, typ, err)
	}
}

// The JSON-safe summary the page's window.shooter.snapshot() returns.
type (
	fighterView struct {
		X  float64 `json:"x"`
		Y  float64 `json:"y"`
		VX float64 `json:"vx"`
		VY float64 `json:"vy"`
		HP int     `json:"hp"`
	}
	shotView struct {
		Owner string `json:"owner"`
	}
	rectView struct {
		X0 float64 `json:"x0"`
		Y0 float64 `json:"y0"`
		X1 float64 `json:"x1"`
		Y1 float64 `json:"y1"`
	}
	shooterView struct {
		Tick        int64                  `json:"tick"`
		Players     map[string]fighterView `json:"players"`
		Projectiles []shotView             `json:"projectiles"`
		Obstacles   []rectView             `json:"obstacles"`
	}
	spot struct{ X, Y float64 }
)

func (b *tab) view() shooterView { return eval[shooterView](b, "window.shooter.snapshot()") }

// meetingSpots picks two spots 400 units apart on a horizontal line, with
// the strip between them and 150 units above them clear of obstacles (a
// clear line of fire, and room for a move up), as near to a and b as it
// can: the slower of the two walks as little as possible.
func meetingSpots(obstacles []rectView, a, b spot) (spot, spot) {
	const r, margin, half, above = 20.0, 12.0, 200.0, 150.0
	var best [2]spot
	bestCost := math.Inf(1)
	for cy := 200.0; cy <= 2800; cy += 50 {
	cells:
		for cx := 300.0; cx <= 2700; cx += 50 {
			x0, x1, y0, y1 := cx-half-r-margin, cx+half+r+margin, cy-above-r-margin, cy+r+margin
			for _, o := range obstacles {
				if o.X0 < x1 && o.X1 > x0 && o.Y0 < y1 && o.Y1 > y0 {
					continue cells
				}
			}
			left, right := spot{cx - half, cy}, spot{cx + half, cy}
			for _, p := range [][2]spot{{left, right}, {right, left}} {
				if c := max(math.Hypot(a.X-p[0].X, a.Y-p[0].Y), math.Hypot(b.X-p[1].X, b.Y-p[1].Y)); c < bestCost {
					best, bestCost = p, c
				}
			}
		}
	}
	return best[0], best[1]
}

// TestShooterInChromium plays the shooter's page in real headless
// Chromium: two tabs in separate browser contexts (two guests) in one room
// see each other move and agree on a hit; a dropped connection resumes the
// same player in the same room where it stood; the room browser lists a
// new room and its join link gets a third guest into it. No page may throw,
// log an error or fail a request.
func TestShooterInChromium(t *testing.T) {
	start := time.Now()
	step := func(format string, args ...any) {
		t.Logf("%5.1fs  %s", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}
	srv := startDemo(t)
	base := "http://" + srv.Addr()
	browser := browsertest.New(t)
	ann := newTab(t, browser, "ann", true)
	bob := newTab(t, browser, "bob", true)
	step("Chromium and the demo started")

	// Ann creates a room; Bob joins it by id.
	ann.Navigate(base + "/examples/shooter/?game=" + quietShooter + "&create=1")
	ann.WaitFor(15*time.Second, "ann joins", `window.shooter?.ready === true && window.shooter.stats.draws > 0`)
	roomID := eval[string](ann, "window.shooter.roomId")
	annID := eval[string](ann, "window.shooter.playerId")
	bob.Navigate(base + "/examples/shooter/?game=" + quietShooter + "&room=" + roomID)
	bob.WaitFor(15*time.Second, "bob joins", `window.shooter?.ready === true && window.shooter.stats.draws > 0`)
	bobID := eval[string](bob, "window.shooter.playerId")
	if got := eval[string](bob, "window.shooter.roomId"); got != roomID || bobID == annID || bobID == "" {
		t.Fatalf("bob is %q in room %q; want another player than ann (%q) in %q", bobID, got, annID, roomID)
	}
	if got := eval[string](ann, "location.search"); got != "?game="+quietShooter+"&room="+roomID {
		t.Errorf("ann's address after joining: %q, want the room's invite link", got)
	}
	step("ann (%s) created room %s, bob (%s) joined it", annID, roomID, bobID)

	// Both walk (the page's autopilot, around the obstacles) to two spots
	// 400 units apart with a clear line between them.
	av, bv := ann.view(), bob.view()
	pa, pb := meetingSpots(av.Obstacles, spot{av.Players[annID].X, av.Players[annID].Y}, spot{bv.Players[bobID].X, bv.Players[bobID].Y})
	eval[bool](ann, fmt.Sprintf("window.shooter.goTo(%g, %g), true", pa.X, pa.Y))
	eval[bool](bob, fmt.Sprintf("window.shooter.goTo(%g, %g), true", pb.X, pb.Y))
	arrived := func(id string, p spot) string {
		return fmt.Sprintf(`(() => { const p = window.shooter.state().players[%q]; return p !== undefined && Math.hypot(p.x - %g, p.y - %g) < 1; })()`, id, p.X, p.Y)
	}
	ann.WaitFor(25*time.Second, "ann reaches her spot", arrived(annID, pa))
	bob.WaitFor(25*time.Second, "bob reaches his spot", arrived(bobID, pb))
	eval[bool](ann, "window.shooter.stop(), true")
	eval[bool](bob, "window.shooter.stop(), true")
	// Where each one actually came to rest (on a loaded machine the
	// autopilot may stop a few units past its spot): once both stand
	// still, the other tab must show exactly that.
	still := func(id string) string {
		return fmt.Sprintf(`(() => { const p = window.shooter.state().players[%q]; return p !== undefined && p.vx === 0 && p.vy === 0; })()`, id)
	}
	ann.WaitFor(10*time.Second, "ann stands still", still(annID))
	bob.WaitFor(10*time.Second, "bob stands still", still(bobID))
	pa = spot{ann.view().Players[annID].X, ann.view().Players[annID].Y}
	pb = spot{bob.view().Players[bobID].X, bob.view().Players[bobID].Y}
	ann.WaitFor(10*time.Second, "ann sees bob there", arrived(bobID, pb))
	bob.WaitFor(10*time.Second, "bob sees ann there", arrived(annID, pa))
	step("they met at (%.0f, %.0f) and (%.0f, %.0f)", pa.X, pa.Y, pb.X, pb.Y)

	// A move in Ann's tab (W held) shows up in Bob's: Ann goes up.
	ann.key('w', true)
	bob.WaitFor(10*time.Second, "bob sees ann move up",
		fmt.Sprintf(`(() => { const p = window.shooter.state().players[%q]; return p.y < %g && Math.abs(p.x - %g) < 1; })()`, annID, pa.Y-40, pa.X))
	ann.key('w', false)
	ann.WaitFor(5*time.Second, "ann's own tab moved her up", fmt.Sprintf(`window.shooter.me().y < %g`, pa.Y-40))
	bob.WaitFor(5*time.Second, "bob sees ann stop", fmt.Sprintf(`window.shooter.state().players[%q].vy === 0`, annID))
	annAt := bob.view().Players[annID]
	step("bob saw ann move up from y=%.0f to y=%.1f", pa.Y, annAt.Y)

	// A hit in Ann's tab (mouse on Bob, button held) changes Bob's health
	// in both tabs.
	target := eval[spot](ann, fmt.Sprintf(`(() => { const p = window.shooter.state().players[%q]; const s = window.shooter.toScreen(p.x, p.y); return { X: s.x, Y: s.y }; })()`, bobID))
	if target.X < 0 || target.X > 960 || target.Y < 0 || target.Y > 600 {
		t.Fatalf("bob is drawn off ann's screen, at %v", target)
	}
	ann.mouse(input.DispatchMouseEventTypeMouseMoved, target.X, target.Y)
	ann.mouse(input.DispatchMouseEventTypeMousePressed, target.X, target.Y)
	sawShot := false
	deadline := time.Now().Add(10 * time.Second)
	for eval[int](ann, fmt.Sprintf(`window.shooter.state().players[%q].hp`, bobID)) >= 100 {
		for _, p := range bob.view().Projectiles {
			sawShot = sawShot || p.Owner == annID
		}
		if time.Now().After(deadline) {
			t.Fatalf("ann fired at bob for 10 s without a hit (page errors %v %v)", ann.PageErrors(), bob.PageErrors())
		}
		time.Sleep(20 * time.Millisecond) // the polling interval
	}
	dir := browsertest.ArtifactDir(t)
	ann.Screenshot(filepath.Join(dir, "ann.png"))
	bob.Screenshot(filepath.Join(dir, "bob.png"))
	ann.mouse(input.DispatchMouseEventTypeMouseReleased, target.X, target.Y)
	for _, p := range bob.view().Projectiles {
		sawShot = sawShot || p.Owner == annID
	}
	if !sawShot {
		t.Errorf("bob's tab never showed one of ann's projectiles")
	}
	// Once the server has applied an input with the trigger released and
	// the last shots have landed, both tabs agree on Bob's health.
	released := eval[int](ann, "window.shooter.room.lastSentSeq")
	ann.WaitFor(10*time.Second, "ann's last shots land", fmt.Sprintf(`window.shooter.room.lastInputSeq > %d && Object.keys(window.shooter.state().projectiles).length === 0`, released))
	var hpAnn, hpBob int
	for deadline = time.Now().Add(10 * time.Second); ; {
		hpAnn = eval[int](ann, fmt.Sprintf(`window.shooter.state().players[%q].hp`, bobID))
		hpBob = eval[int](bob, fmt.Sprintf(`window.shooter.state().players[%q].hp`, bobID))
		if hpAnn == hpBob && hpBob < 100 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("bob's hp: %d in ann's tab, %d in his own", hpAnn, hpBob)
		}
		time.Sleep(20 * time.Millisecond) // the polling interval
	}
	if hpBob > 0 {
		bob.WaitFor(5*time.Second, "bob's overlay shows his hp", fmt.Sprintf(`document.getElementById("overlay").textContent.includes("hp %d ")`, hpBob))
	}
	step("ann hit bob: his hp is %d in both tabs; screenshots in %s", hpBob, dir)

	// Key 2 switches Ann to the cannon, and she finishes Bob off: he sees
	// himself dead and waiting to respawn, both scoreboards count the kill.
	ann.key('2', true)
	ann.key('2', false)
	bob.WaitFor(5*time.Second, "bob sees ann switch to the cannon", fmt.Sprintf(`window.shooter.state().players[%q].weapon === 2`, annID))
	if hpBob > 0 {
		ann.mouse(input.DispatchMouseEventTypeMousePressed, target.X, target.Y)
		bob.WaitFor(10*time.Second, "ann kills bob", fmt.Sprintf(`window.shooter.state().players[%q].hp === 0`, bobID))
		ann.mouse(input.DispatchMouseEventTypeMouseReleased, target.X, target.Y)
	}
	bob.WaitFor(5*time.Second, "bob's page says he will respawn", `window.shooter.banner.includes("respawning in")`)
	scored := fmt.Sprintf(`(() => { const sb = window.shooter.state().scoreboard;
		return sb.some((s) => s.playerId === %q && s.kills === 1) && sb.some((s) => s.playerId === %q && s.deaths === 1); })()`, annID, bobID)
	ann.WaitFor(5*time.Second, "ann's scoreboard counts the kill", scored)
	bob.WaitFor(5*time.Second, "bob's scoreboard counts the kill", scored)
	step("ann switched to the cannon and killed bob; both scoreboards say so")

	// Reconnect: Ann's connection drops; the SDK reconnects, rejoins, and
	// she is the same player in the same room, where she stood.
	session := eval[string](ann, "window.shooter.client.sessionId")
	before := ann.view().Players[annID]
	eval[bool](ann, "window.shooter.drop(), true")
	ann.WaitFor(15*time.Second, "ann rejoins", `window.shooter.stats.disconnects >= 1 && window.shooter.stats.rejoins >= 1 && window.shooter.me() !== null && window.shooter.banner === ""`)
	if got := eval[[]string](ann, "[window.shooter.client.playerId, window.shooter.room.id, window.shooter.client.sessionId]"); got[0] != annID || got[1] != roomID || got[2] == session {
		t.Fatalf("after the drop ann is %q in %q, session %q (was %q); want the same player and room in a new session", got[0], got[1], got[2], session)
	}
	after := ann.view().Players[annID]
	if math.Hypot(after.X-before.X, after.Y-before.Y) > 0.01 {
		t.Fatalf("ann was at (%g, %g) and rejoined at (%g, %g)", before.X, before.Y, after.X, after.Y)
	}
	k, sign := 'd', 1.0 // towards bob: the strip between them is clear
	if pb.X < pa.X {
		k, sign = 'a', -1
	}
	ann.key(k, true)
	bob.WaitFor(10*time.Second, "bob sees ann move on from where she was",
		fmt.Sprintf(`(() => { const p = window.shooter.state().players[%q]; return %g * (p.x - %g) > 30 && Math.abs(p.y - %g) < 1; })()`, annID, sign, before.X, before.Y))
	ann.key(k, false)
	step("ann's connection dropped; she rejoined as %s in %s at (%.1f, %.1f) and moved on", annID, roomID, after.X, after.Y)

	// The room browser (a third guest, reached from the landing page) lists
	// a new shooter room, with bots, and its join link takes it there.
	bob.Navigate(base + "/examples/shooter/?create=1")
	bob.WaitFor(15*time.Second, "bob joins a new room", `window.shooter?.ready === true && window.shooter.stats.draws > 0`)
	room2 := eval[string](bob, "window.shooter.roomId")
	if room2 == roomID {
		t.Fatalf("?create=1 joined the old room %s", room2)
	}
	rooms := newTab(t, browser, "rooms", false)
	rooms.Navigate(base + "/")
	if err := chromedp.Do(rooms.Ctx, chromedp.Click(chromedp.CSS(`a[href="/examples/rooms/"]`))); err != nil {
		t.Fatalf("the landing page's link to the room browser: %v", err)
	}
	link := fmt.Sprintf(`#rooms td[data-room=%q] a`, room2)
	rooms.WaitFor(15*time.Second, "the room browser lists the room", fmt.Sprintf(`document.querySelector(%q) !== null`, link))
	if got := eval[[]string](rooms, fmt.Sprintf(`[document.querySelector(%q).getAttribute("href"), window.roomBrowser.games.map((g) => g.name).join(",")]`, link)); got[0] != "/examples/shooter/?room="+room2 || !strings.Contains(got[1], "shooter") {
		t.Errorf("room browser: join link %q, games %q", got[0], got[1])
	}
	if err := chromedp.Do(rooms.Ctx, chromedp.Click(chromedp.CSS(link))); err != nil {
		t.Fatal(err)
	}
	rooms.WaitFor(15*time.Second, "the join link joins the room", fmt.Sprintf(`window.shooter?.ready === true && window.shooter.roomId === %q`, room2))
	if id := eval[string](rooms, "window.shooter.playerId"); id == bobID || id == annID {
		t.Errorf("the room browser's tab plays as %s, another tab's player", id)
	}
	bob.WaitFor(10*time.Second, "bots in bob's new room", `window.shooter.stats.frames > 0 && window.shooter.state().scoreboard.some((s) => s.bot)`)
	rooms.WaitFor(5*time.Second, "the overlay is up to date", `!document.getElementById("overlay").textContent.includes("tick 0 ")`)
	rooms.Screenshot(filepath.Join(dir, "rooms-join.png"))
	step("the room browser listed %s and its link joined it", room2)

	// The room browser's forms: the third guest creates a private room (its
	// join code on the overlay, the room not in the list), and Ann joins it
	// by that code.
	rooms.Navigate(base + "/examples/rooms/")
	rooms.WaitFor(10*time.Second, "the room browser offers the shooter", `document.querySelector('#createGame option[value="shooter"]') !== null`)
	if err := chromedp.Do(rooms.Ctx, chromedp.Click(chromedp.CSS("#private")), chromedp.Click(chromedp.CSS("#create button"))); err != nil {
		t.Fatal(err)
	}
	rooms.WaitFor(15*time.Second, "a private room", `window.shooter?.ready === true && window.shooter.joinCode !== "" && location.search.startsWith("?code=")`)
	code := eval[string](rooms, "window.shooter.joinCode")
	room3 := eval[string](rooms, "window.shooter.roomId")
	rooms.WaitFor(5*time.Second, "the overlay shows the join code", fmt.Sprintf(`document.getElementById("overlay").textContent.includes("join code %s")`, code))
	ann.Navigate(base + "/examples/rooms/")
	ann.WaitFor(10*time.Second, "ann's room browser lists the rooms", fmt.Sprintf(`window.roomBrowser?.rooms.some((r) => r.id === %q) === true`, room2))
	if eval[bool](ann, fmt.Sprintf(`window.roomBrowser.rooms.some((r) => r.id === %q)`, room3)) {
		t.Errorf("the room browser lists the private room %s", room3)
	}
	if err := chromedp.Do(ann.Ctx, chromedp.SendKeys(chromedp.CSS("#code"), strings.ToLower(code)), chromedp.Click(chromedp.CSS("#joinCode button"))); err != nil {
		t.Fatal(err)
	}
	ann.WaitFor(15*time.Second, "ann joins by code", fmt.Sprintf(`window.shooter?.ready === true && window.shooter.roomId === %q`, room3))
	step("the third guest created private room %s (code %s); ann joined it by code", room3, code)

	if *updateScreenshot {
		// The README's screenshot: Bob walks towards the nearest bot until
		// two are well on screen, then fires at the nearest.
		bob.WaitFor(60*time.Second, "two bots on bob's screen", `(() => {
			const sh = window.shooter, st = sh.state(), me = sh.me();
			const bots = Object.values(st.players).filter((p) => p.bot && p.hp > 0)
				.sort((a, b) => Math.hypot(a.x - me.x, a.y - me.y) - Math.hypot(b.x - me.x, b.y - me.y));
			const onScreen = bots.filter((p) => { const s = sh.toScreen(p.x, p.y); return s.x > 180 && s.x < 780 && s.y > 130 && s.y < 500; });
			if (onScreen.length >= 2) { sh.stop(); return true; }
			if (bots.length > 0) { const b = bots[0], d = Math.hypot(b.x - me.x, b.y - me.y); if (d > 300) sh.goTo(b.x + (me.x - b.x) * 250 / d, b.y + (me.y - b.y) * 250 / d); else sh.stop(); }
			return false; })()`)
		target := eval[spot](bob, `(() => { const st = window.shooter.state(), me = window.shooter.me();
			const bots = Object.values(st.players).filter((p) => p.bot && p.hp > 0).sort((a, b) => Math.hypot(a.x - me.x, a.y - me.y) - Math.hypot(b.x - me.x, b.y - me.y));
			const s = window.shooter.toScreen(bots[0].x, bots[0].y); return { X: s.x, Y: s.y }; })()`)
		bob.mouse(input.DispatchMouseEventTypeMouseMoved, target.X, target.Y)
		bob.mouse(input.DispatchMouseEventTypeMousePressed, target.X, target.Y)
		bob.WaitFor(10*time.Second, "shots in the air", `Object.keys(window.shooter.state().projectiles).length >= 4`)
		bob.Screenshot(filepath.Join("..", "..", "docs", "shooter.png"))
		bob.mouse(input.DispatchMouseEventTypeMouseReleased, target.X, target.Y)
	}

	for _, b := range []*tab{ann, bob, rooms} {
		if errs := b.PageErrors(); len(errs) > 0 {
			t.Errorf("%s: page errors: %v", b.Name, errs)
		}
		t.Logf("%s: %s", b.Name, eval[string](b, "JSON.stringify(window.shooter.stats)"))
	}
	step("done")
}

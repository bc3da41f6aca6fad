// The crossword page in real headless Chromium: two guests play it against
// a real server with the crossword world.
package crossword_test

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/rs/zerolog"

	"github.com/tickwire/tickwire"
	"github.com/tickwire/tickwire/examples/crossword"
	"github.com/tickwire/tickwire/examples/crossword/dict"
	"github.com/tickwire/tickwire/internal/browsertest"
	"github.com/tickwire/tickwire/tick"
)

var updateScreenshot = flag.Bool("update-screenshot", false, "TestCrosswordInChromium writes the README's screenshot, docs/crossword.png")

// startWorld serves the crossword as the demo does: the game registered
// with a data directory, its world room opened by NewNode (a singleton
// game) and adopted by the lobby, the page and the SDK mounted. It returns the server's base URL.
func startWorld(t *testing.T) string {
	t.Helper()
	reg := tick.NewRegistry()
	metrics := tickwire.NewMetrics()
	if err := crossword.Register(reg, crossword.Config{DataDir: t.TempDir(), Registerer: metrics}); err != nil {
		t.Fatal(err)
	}
	log := zerolog.Nop()
	node, err := tickwire.NewNode(context.Background(), tickwire.Options{Addr: "127.0.0.1:0", Logger: &log, Games: reg, Metrics: metrics, Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	node.Handle("GET "+crossword.Path, crossword.Page())
	if err := node.Start(); err != nil {
		_ = node.Shutdown(context.Background())
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := node.Shutdown(ctx); err != nil {
			t.Errorf("node.Shutdown: %v", err)
		}
	})
	if _, err := node.Singleton(crossword.Name); err != nil { // NewNode opened the world
		t.Fatal(err)
	}
	return node.URL()
}

// tab is a browsertest.Tab with this test's page actions.
type tab struct{ *browsertest.Tab }

func newTab(t *testing.T, browser context.Context, name string) *tab {
	t.Helper()
	b := &tab{browsertest.NewTab(t, browser, name, true)}
	b.State = `JSON.stringify({ error: window.crossword?.error, message: window.crossword?.message,
				banner: window.crossword?.banner, me: window.crossword?.me?.(), topics: window.crossword?.topics?.(), stats: window.crossword?.stats })`
	return b
}

func eval[T any](b *tab, expr string) T { return browsertest.Eval[T](b.Tab, expr) }

// typeKeys presses and releases each key of s as a keyboard would (kb.Enter, kb.Tab, kb.Escape are keys too).
func (b *tab) typeKeys(s string) {
	b.T.Helper()
	if err := chromedp.Do(b.Ctx, chromedp.KeyEvent(s)); err != nil {
		b.T.Fatalf("%s: keys %q: %v", b.Name, s, err)
	}
}

// mouse sends one mouse event at (x, y), CSS px; held says the left button is down (for moves).
func (b *tab) mouse(typ input.DispatchMouseEventType, x, y float64, held bool) {
	b.T.Helper()
	opt := func(p *input.DispatchMouseEventParams) {
		if typ != input.DispatchMouseEventTypeMouseMoved || held {
			p.Button, p.Buttons = input.MouseButtonLeft, 1
		}
		if typ != input.DispatchMouseEventTypeMouseMoved {
			p.ClickCount = 1
		}
	}
	if err := chromedp.Do(b.Ctx, chromedp.MouseEvent(typ, x, y, opt)); err != nil {
		b.T.Fatalf("%s: mouse %s: %v", b.Name, typ, err)
	}
}

// clickCell clicks the centre of board cell (x, y).
func (b *tab) clickCell(x, y int) {
	b.T.Helper()
	p := eval[point](b, fmt.Sprintf("window.crossword.toScreen(%d, %d)", x, y))
	b.mouse(input.DispatchMouseEventTypeMousePressed, p.X, p.Y, true)
	b.mouse(input.DispatchMouseEventTypeMouseReleased, p.X, p.Y, true)
}

// dragToCell drags a free tile with letter from the rack onto cell (x, y).
func (b *tab) dragToCell(letter byte, x, y int) {
	b.T.Helper()
	from := eval[point](b, fmt.Sprintf(`(() => { const r = document.querySelector('#rack .tile[data-letter=%q]:not(.used)').getBoundingClientRect();
		return { x: r.left + r.width / 2, y: r.top + r.height / 2 }; })()`, string(letter)))
	to := eval[point](b, fmt.Sprintf("window.crossword.toScreen(%d, %d)", x, y))
	b.mouse(input.DispatchMouseEventTypeMouseMoved, from.X, from.Y, false)
	b.mouse(input.DispatchMouseEventTypeMousePressed, from.X, from.Y, true)
	for i := 1; i <= 8; i++ {
		f := float64(i) / 8
		b.mouse(input.DispatchMouseEventTypeMouseMoved, from.X+(to.X-from.X)*f, from.Y+(to.Y-from.Y)*f, true)
	}
	b.mouse(input.DispatchMouseEventTypeMouseReleased, to.X, to.Y, true)
}

type (
	point  struct{ X, Y float64 }
	box    struct{ X, Y, W, H float64 }
	view   struct{ X, Y, W, H int }
	player struct {
		Number      int    `json:"number"`
		Rack        string `json:"rack"`
		Score       int    `json:"score"`
		Lives       int    `json:"lives"`
		Words       int    `json:"words"`
		Refusals    int    `json:"refusals"`
		LastRefusal string `json:"lastRefusal"`
		View        view   `json:"view"`
	}
)

func (b *tab) me() player { return eval[player](b, "window.crossword.me()") }

// spellings returns every arrangement of 1 to len(rack) of rack's tiles,
// each tile used at most once, without repeats, shortest first.
func spellings(rack string) []string {
	seen := map[string]bool{}
	var out []string
	used := make([]bool, len(rack))
	var grow func(prefix []byte)
	grow = func(prefix []byte) {
		if len(prefix) > 0 && !seen[string(prefix)] {
			seen[string(prefix)] = true
			out = append(out, string(prefix))
		}
		for i := range rack {
			if !used[i] {
				used[i] = true
				grow(append(prefix, rack[i]))
				used[i] = false
			}
		}
	}
	grow(nil)
	slices.SortStableFunc(out, func(a, b string) int { return len(a) - len(b) })
	return out
}

// bestWord returns the dictionary word made of a spelling s from rack as
// word(s), preferring a main word closest to want letters; "" for none.
func bestWord(rack string, want int, word func(s string) string) (w, s string) {
	d := dict.English()
	best := -1
	for _, sp := range spellings(rack) {
		cand := word(sp)
		if !d.Has(cand) || !presentable(cand) {
			continue
		}
		score := 100 - abs(len(cand)-want)
		if score > best {
			best, w, s = score, cand, sp
		}
	}
	return w, s
}

func abs(n int) int { return max(n, -n) }

// presentable keeps words that read as slurs or worse off the screenshots
// (the README shows one): the dictionary is a general English word list.
func presentable(w string) bool {
	for _, bad := range []string{"fag", "nig", "spic", "kike", "dyke", "homo", "rape", "cunt", "slut", "whore", "retard", "tard", "gook", "coon"} {
		if strings.Contains(w, bad) {
			return false
		}
	}
	return true
}

// TestCrosswordInChromium plays the crossword's page in real headless
// Chromium: two guests, each in a browser context of its own, in the one
// world. Ann lays the first word over the centre with the keyboard and it
// appears in Bob's tab; Bob drags tiles from his rack to cross it and it
// appears in Ann's; a play that touches nothing is refused with its reason
// and changes nothing. Then Bob jumps far away on the overview map: his
// page drops the chunks around the centre (the server unsubscribed them),
// so Ann's next word does not reach it, though his overview counts its
// tiles; when he looks back (the home button), the word is there. After a
// dropped connection his page rejoins as the same player and gets its
// board back. The arrow keys pan, the wheel zooms, a swap of two chosen
// tiles costs a life. No page may throw, log an error or fail a request.
func TestCrosswordInChromium(t *testing.T) {
	start := time.Now()
	step := func(format string, args ...any) {
		t.Logf("%5.1fs  %s", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}
	base := startWorld(t)
	browser := browsertest.New(t)
	ann := newTab(t, browser, "ann")
	bob := newTab(t, browser, "bob")
	step("Chromium and the crossword world started")

	ann.Navigate(base + crossword.Path)
	bob.Navigate(base + crossword.Path)
	const ready = `window.crossword?.ready === true && window.crossword.stats.draws > 0 && window.crossword.sentView() !== null`
	ann.WaitFor(15*time.Second, "ann joins", ready)
	bob.WaitFor(15*time.Second, "bob joins", ready)
	ids := []string{eval[string](ann, "window.crossword.playerId"), eval[string](bob, "window.crossword.playerId")}
	worlds := []string{eval[string](ann, "window.crossword.roomId"), eval[string](bob, "window.crossword.roomId")}
	if ids[0] == ids[1] || worlds[0] != worlds[1] {
		t.Fatalf("players %v in rooms %v: want two guests in one world", ids, worlds)
	}
	const c = crossword.Centre
	centreChunk := crossword.ChunkTopic(c/crossword.ChunkSize, c/crossword.ChunkSize)
	for _, b := range []*tab{ann, bob} {
		// An empty board has no chunk topics (the first word makes them).
		if topics := eval[[]string](b, "window.crossword.topics()"); slices.Contains(topics, centreChunk) || !slices.Contains(topics, "overview") || !slices.Contains(topics, "me:"+eval[string](b, "window.crossword.playerId")) {
			t.Fatalf("%s's topics %v: want the overview and its own, no chunk of the empty board", b.Name, topics)
		}
	}
	step("ann (%s) and bob (%s) are in world %s", ids[0], ids[1], worlds[0])

	// Ann's first word covers the centre, across; she clicks its first cell
	// and types it, then Enter plays it.
	a := ann.me()
	w1, _ := bestWord(a.Rack, 5, func(s string) string { return s })
	for tries := 0; w1 == ""; tries++ {
		if tries == 3 {
			t.Fatalf("no word in ann's racks (last %q)", a.Rack)
		}
		eval[int](ann, `window.crossword.swap("")`)
		ann.WaitFor(10*time.Second, "ann swaps her rack", fmt.Sprintf(`!window.crossword.busy() && window.crossword.me().rack !== %q`, a.Rack))
		a = ann.me()
		w1, _ = bestWord(a.Rack, 5, func(s string) string { return s })
	}
	x0 := c - len(w1)/2
	ann.clickCell(x0, c)
	ann.WaitFor(5*time.Second, "ann's cursor", fmt.Sprintf(`JSON.stringify(window.crossword.cursor()) === '{"x":%d,"y":%d,"dir":"across"}'`, x0, c))
	ann.typeKeys(w1)
	if got := eval[int](ann, "window.crossword.pending().length"); got != len(w1) {
		t.Fatalf("ann typed %q; %d tiles pending (message %q)", w1, got, eval[string](ann, "window.crossword.message"))
	}
	ann.typeKeys(kb.Enter)
	ann.WaitFor(10*time.Second, "ann's word is accepted", `window.crossword.me().words === 1 && window.crossword.pending().length === 0`)
	tilesAre := func(word string, x, y, dx, dy int) string {
		return fmt.Sprintf(`(() => { const w = %q; for (let i = 0; i < w.length; i++) if (window.crossword.tileAt(%d + %d * i, %d + %d * i) !== w[i]) return false; return true; })()`, word, x, dx, y, dy)
	}
	bob.WaitFor(10*time.Second, "bob sees ann's word", tilesAre(w1, x0, c, 1, 0))
	ann.WaitFor(5*time.Second, "ann's page says what it scored", `window.crossword.message.startsWith("+")`)
	step("ann played %q at (%d, %d) across from rack %q; bob's page shows it", w1, x0, c, a.Rack)

	// Bob, a newcomer, may build on Ann's tiles: a word down that ends on
	// one of her letters, his tiles dragged from the rack onto the board,
	// then the Play button.
	bRack := bob.me().Rack
	var w2, s2 string
	kb2 := -1
	for k := range len(w1) {
		if w, s := bestWord(bRack, 4, func(s string) string { return s + w1[k:k+1] }); w != "" && (w2 == "" || abs(len(w)-4) < abs(len(w2)-4)) {
			w2, s2, kb2 = w, s, k
		}
	}
	if w2 == "" {
		t.Fatalf("no word in bob's rack %q ends with a letter of %q", bRack, w1)
	}
	xb, yb := x0+kb2, c-len(s2)
	for i := range len(s2) {
		bob.dragToCell(s2[i], xb, yb+i)
	}
	if got := eval[[]map[string]any](bob, "window.crossword.pending()"); len(got) != len(s2) {
		t.Fatalf("bob dragged %q; pending %v (message %q)", s2, got, eval[string](bob, "window.crossword.message"))
	}
	if err := chromedp.Do(bob.Ctx, chromedp.Click(chromedp.CSS("#submit"))); err != nil {
		t.Fatal(err)
	}
	bob.WaitFor(10*time.Second, "bob's word is accepted", `window.crossword.me().words === 1`)
	ann.WaitFor(10*time.Second, "ann sees bob's word", tilesAre(w2, xb, yb, 0, 1))
	step("bob dragged %q onto (%d, %d) down, making %q; ann's page shows it", s2, xb, yb, w2)

	// A play that touches no tile is refused with its reason; nothing changes.
	far := [2]int{c + 6, c - 6}
	ann.WaitFor(5*time.Second, "ann's rack", `window.crossword.me().rack.length > 0`)
	letter := eval[string](ann, "window.crossword.me().rack[0]")
	if msg := eval[string](ann, fmt.Sprintf("window.crossword.place(%d, %d, %q)", far[0], far[1], letter)); msg != "" {
		t.Fatalf("ann cannot place %q at %v: %s", letter, far, msg)
	}
	eval[int](ann, "window.crossword.submit()")
	ann.WaitFor(10*time.Second, "ann's lone tile is refused", `window.crossword.refusals.length === 1 && !window.crossword.busy()`)
	reason := eval[string](ann, "window.crossword.refusals[0]")
	if shown := eval[string](ann, `document.getElementById("message").textContent`); !strings.Contains(shown, reason) || reason == "" {
		t.Errorf("ann's page shows %q for the refusal %q", shown, reason)
	}
	ann.typeKeys(kb.Escape)
	ann.WaitFor(5*time.Second, "ann's refused tile is cleared", `window.crossword.pending().length === 0`)
	if got := eval[string](bob, fmt.Sprintf("window.crossword.tileAt(%d, %d)", far[0], far[1])); got != "" {
		t.Errorf("the refused tile shows in bob's tab as %q", got)
	}
	step("ann's lone tile at %v was refused: %q", far, reason)

	// Bob jumps far away with a click near the overview map's top-right
	// corner: his page sends a View, the server moves his chunk topics, and
	// his page drops the replicas of the chunks at the centre.
	bob.WaitFor(5*time.Second, "bob's rack", `window.crossword.me().rack.length > 0`)
	m := eval[box](bob, `(() => { const r = document.getElementById("map").getBoundingClientRect(); return { X: r.left, Y: r.top, W: r.width, H: r.height }; })()`)
	bob.mouse(input.DispatchMouseEventTypeMousePressed, m.X+m.W-6, m.Y+6, true)
	bob.mouse(input.DispatchMouseEventTypeMouseReleased, m.X+m.W-6, m.Y+6, true)
	bob.WaitFor(5*time.Second, "bob's camera jumps", fmt.Sprintf(`window.crossword.camera().x > %d && window.crossword.camera().y < %d`, c+500, c-500))
	away := int(eval[float64](bob, "window.crossword.camera().x"))
	bob.WaitFor(10*time.Second, "bob's view moves away", fmt.Sprintf(`window.crossword.me().view.x > %d && !window.crossword.topics().some((t) => t === %q)`, away-200, centreChunk))
	topics := eval[[]string](bob, "window.crossword.topics()")
	for _, tp := range topics {
		var cx, cy int
		if _, err := fmt.Sscanf(tp, "c:%d,%d", &cx, &cy); err == nil && cx*crossword.ChunkSize < away-200 {
			t.Fatalf("bob looks at x=%d but still has chunk topic %s (topics %v)", away, tp, topics)
		}
	}
	framesBefore := eval[map[string]int](bob, "window.crossword.stats.topicFrames")
	totalBefore := eval[int](bob, "window.crossword.overview().totalTiles")
	step("bob clicked the map and looks at %v: his topics are %v", eval[map[string]float64](bob, "window.crossword.camera()"), topics)

	// Ann's second word goes down from one of her own letters (not in
	// Bob's column, and below the row where his tiles end).
	a = ann.me()
	var w3, s3 string
	ka := -1
	for k := range len(w1) {
		if k == kb2 {
			continue
		}
		if w, s := bestWord(a.Rack, 4, func(s string) string { return w1[k:k+1] + s }); w != "" && (w3 == "" || abs(len(w)-4) < abs(len(w3)-4)) {
			w3, s3, ka = w, s, k
		}
	}
	if w3 == "" {
		t.Fatalf("no word in ann's rack %q starts with a letter of %q outside column %d", a.Rack, w1, kb2)
	}
	xa := x0 + ka
	ann.clickCell(xa, c+1)
	ann.typeKeys(kb.Tab)
	ann.WaitFor(5*time.Second, "ann's cursor points down", fmt.Sprintf(`JSON.stringify(window.crossword.cursor()) === '{"x":%d,"y":%d,"dir":"down"}'`, xa, c+1))
	ann.typeKeys(s3 + kb.Enter)
	ann.WaitFor(10*time.Second, "ann's second word is accepted", `window.crossword.me().words === 2`)
	ann.WaitFor(5*time.Second, "ann's page shows her second word", tilesAre(w3, xa, c, 0, 1))
	// The play reached Bob's overview (published about once a second) but
	// not his board: no frame of the centre's chunks came since he left.
	bob.WaitFor(10*time.Second, "bob's overview counts ann's new tiles", fmt.Sprintf(`window.crossword.overview().totalTiles >= %d`, totalBefore+len(s3)))
	if got := eval[string](bob, fmt.Sprintf("window.crossword.tileAt(%d, %d)", xa, c+1)); got != "" {
		t.Errorf("bob looks away yet his page has %q at (%d, %d)", got, xa, c+1)
	}
	framesAfter := eval[map[string]int](bob, "window.crossword.stats.topicFrames")
	for tp, n := range framesAfter {
		if strings.HasPrefix(tp, "c:") && n != framesBefore[tp] && !slices.Contains(eval[[]string](bob, "window.crossword.topics()"), tp) {
			t.Errorf("bob got %d frames of %s while not subscribed to it", n-framesBefore[tp], tp)
		}
	}
	if n := framesAfter[centreChunk]; n != framesBefore[centreChunk] {
		t.Errorf("bob got %d frames of %s while looking away", n-framesBefore[centreChunk], centreChunk)
	}
	step("ann played %q down from (%d, %d) while bob looked away; it did not reach him", w3, xa, c)

	// Bob's home button takes him back to the centre: the chunks come back
	// as snapshots, with Ann's word.
	if err := chromedp.Do(bob.Ctx, chromedp.Click(chromedp.CSS("#home"))); err != nil {
		t.Fatal(err)
	}
	bob.WaitFor(10*time.Second, "bob looks back and sees ann's second word", tilesAre(w3, xa, c, 0, 1)+" && "+tilesAre(w1, x0, c, 1, 0)+" && "+tilesAre(w2, xb, yb, 0, 1))
	step("bob looked back: his page shows all three words")

	// The arrow keys pan, the wheel zooms.
	cam := eval[map[string]float64](bob, "window.crossword.camera()")
	bob.typeKeys(kb.ArrowRight + kb.ArrowRight)
	bob.WaitFor(5*time.Second, "the arrow keys pan", fmt.Sprintf(`window.crossword.camera().x === %g`, cam["x"]+8))
	if err := chromedp.Do(bob.Ctx, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseWheel, 480, 300, func(p *input.DispatchMouseEventParams) {
		p.DeltaX, p.DeltaY = 0.01, -240 // Chromium wants both, and cdproto omits zeros
	})); err != nil {
		t.Fatal(err)
	}
	bob.WaitFor(5*time.Second, "the wheel zooms in", fmt.Sprintf(`window.crossword.camera().z > %g`, cam["z"]))

	// A dropped connection: the SDK reconnects and rejoins the world as the
	// same player, and the topics come back as fresh snapshots.
	session := eval[string](bob, "window.crossword.client.sessionId")
	eval[bool](bob, "window.crossword.drop(), true")
	bob.WaitFor(15*time.Second, "bob rejoins", `window.crossword.stats.rejoins === 1 && window.crossword.banner === "" && window.crossword.me() !== null`)
	bob.WaitFor(10*time.Second, "bob's board is back", tilesAre(w3, xa, c, 0, 1)+" && "+tilesAre(w2, xb, yb, 0, 1))
	if got := eval[[]string](bob, "[window.crossword.client.playerId, window.crossword.client.sessionId]"); got[0] != ids[1] || got[1] == session {
		t.Errorf("after the drop bob is %q in session %q (was %q in %q)", got[0], got[1], ids[1], session)
	}
	step("bob's connection dropped; he rejoined as the same player and his board came back")

	// A swap: Bob clicks two rack tiles to choose them, then Swap 2; it
	// costs a life.
	lives := bob.me().Lives
	for i := range 2 {
		p := eval[point](bob, fmt.Sprintf(`(() => { const r = document.querySelectorAll("#rack .tile")[%d].getBoundingClientRect(); return { X: r.left + r.width / 2, Y: r.top + r.height / 2 }; })()`, i))
		bob.mouse(input.DispatchMouseEventTypeMousePressed, p.X, p.Y, true)
		bob.mouse(input.DispatchMouseEventTypeMouseReleased, p.X, p.Y, true)
	}
	bob.WaitFor(5*time.Second, "two tiles chosen", `document.querySelectorAll("#rack .tile.selected").length === 2 && document.getElementById("swap").textContent === "Swap 2"`)
	if err := chromedp.Do(bob.Ctx, chromedp.Click(chromedp.CSS("#swap"))); err != nil {
		t.Fatal(err)
	}
	bob.WaitFor(10*time.Second, "bob's swap costs a life", fmt.Sprintf(`window.crossword.me().lives === %d && window.crossword.message.startsWith("Swapped") && !window.crossword.busy()`, lives-1))
	step("bob swapped two tiles for a life: %s", eval[string](bob, "window.crossword.message"))

	// Both pages agree on the leaderboard: the two players, with their scores.
	scores := fmt.Sprintf(`(() => { const lb = window.crossword.leaderboard(); return lb.length === 2 && lb.find((e) => e.playerId === %q)?.score === %d && lb.find((e) => e.playerId === %q)?.score === %d; })()`,
		ids[0], ann.me().Score, ids[1], bob.me().Score)
	ann.WaitFor(10*time.Second, "ann's leaderboard", scores)
	bob.WaitFor(10*time.Second, "bob's leaderboard", scores)

	dir := browsertest.ArtifactDir(t)
	ann.Screenshot(filepath.Join(dir, "ann.png"))
	bob.Screenshot(filepath.Join(dir, "bob.png"))
	if *updateScreenshot {
		// The README's screenshot: a few more words each, then Bob's tab,
		// where Ann's recent tiles are ringed and his own are gold.
		for i := range 6 {
			playSomewhere(t, []*tab{ann, bob}[i%2])
		}
		// Bob's camera on the middle of the words, a little zoomed out.
		var x0, y0, x1, y1 = c, c, c, c
		for _, tv := range eval[[]point](bob, "window.crossword.tiles().map((t) => ({ X: t.x, Y: t.y }))") {
			x0, y0, x1, y1 = min(x0, int(tv.X)), min(y0, int(tv.Y)), max(x1, int(tv.X)), max(y1, int(tv.Y))
		}
		eval[bool](bob, fmt.Sprintf("window.crossword.zoomTo(26), window.crossword.panTo(%g, %g), true", float64(x0+x1+1)/2, float64(y0+y1+1)/2+2))
		bob.WaitFor(10*time.Second, "bob's leaderboard is up to date", fmt.Sprintf(`(() => { const lb = window.crossword.leaderboard();
			return lb.find((e) => e.playerId === %q)?.score === %d && lb.find((e) => e.playerId === %q)?.score === %d; })()`, ids[0], ann.me().Score, ids[1], bob.me().Score))
		bob.WaitFor(5*time.Second, "the server has bob's new view", `(() => { const c = window.crossword, v = JSON.stringify(c.wantedView()); return JSON.stringify(c.sentView()) === v && JSON.stringify(c.me().view) === v; })()`)
		bob.clickCell(x1+2, y0+1)
		bob.WaitFor(5*time.Second, "bob's cursor", `window.crossword.cursor() !== null`)
		bob.Screenshot(filepath.Join("..", "..", "docs", "crossword.png"))
	}
	for _, b := range []*tab{ann, bob} {
		if errs := b.PageErrors(); len(errs) > 0 {
			t.Errorf("%s: page errors: %v", b.Name, errs)
		}
		t.Logf("%s: %s", b.Name, eval[string](b, "JSON.stringify(window.crossword.stats)"))
	}
	step("done; screenshots in %s", dir)
}

// playSomewhere plays the longest word b's rack makes through one of its
// player's tiles that forms no other word (every new tile's sides clear,
// the cells before and after the word empty), through the page's hook.
func playSomewhere(t *testing.T, b *tab) {
	t.Helper()
	type tileView struct {
		X, Y   int
		Letter string
		Player int
	}
	me := b.me()
	board := map[[2]int]byte{}
	var anchors [][2]int
	for _, tv := range eval[[]tileView](b, "window.crossword.tiles()") {
		board[[2]int{tv.X, tv.Y}] = tv.Letter[0]
		if tv.Player == me.Number {
			anchors = append(anchors, [2]int{tv.X, tv.Y})
		}
	}
	slices.SortFunc(anchors, func(a, b [2]int) int { return cmpInts(a[1], b[1], a[0], b[0]) })
	empty := func(x, y int) bool { _, ok := board[[2]int{x, y}]; return !ok }
	d := dict.English()
	var best struct {
		word  string
		x, y  int
		dx    int
		dy    int
		skip  int
		found bool
	}
	for _, sp := range spellings(me.Rack) {
		if len(sp) > 5 || (best.found && len(sp)+1 <= len(best.word)) {
			continue
		}
		for _, a := range anchors {
			for _, dir := range [][2]int{{1, 0}, {0, 1}} {
				dx, dy := dir[0], dir[1]
				for j := 0; j <= len(sp); j++ {
					word := sp[:j] + string(board[a]) + sp[j:]
					x, y := a[0]-j*dx, a[1]-j*dy // the word's first cell
					ok := empty(x-dx, y-dy) && empty(x+len(word)*dx, y+len(word)*dy)
					for i := 0; ok && i < len(word); i++ {
						cx, cy := x+i*dx, y+i*dy
						if i != j {
							ok = empty(cx, cy) && empty(cx+dy, cy+dx) && empty(cx-dy, cy-dx)
						}
					}
					if ok && d.Has(word) && presentable(word) {
						best.word, best.x, best.y, best.dx, best.dy, best.skip, best.found = word, x, y, dx, dy, j, true
					}
				}
			}
		}
	}
	if !best.found {
		t.Logf("%s: no word for rack %q", b.Name, me.Rack)
		return
	}
	for i := range len(best.word) {
		if i == best.skip {
			continue
		}
		if msg := eval[string](b, fmt.Sprintf("window.crossword.place(%d, %d, %q)", best.x+i*best.dx, best.y+i*best.dy, best.word[i:i+1])); msg != "" {
			t.Fatalf("%s: place %q: %s", b.Name, best.word, msg)
		}
	}
	eval[int](b, "window.crossword.submit()") // held back until the cooldown since the last play ends
	b.WaitFor(10*time.Second, "the play is answered", `!window.crossword.busy()`)
	t.Logf("%s played %q at (%d, %d): %s", b.Name, best.word, best.x, best.y, eval[string](b, "window.crossword.message"))
	eval[bool](b, "window.crossword.clear(), true")
}

func cmpInts(pairs ...int) int {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i] != pairs[i+1] {
			return pairs[i] - pairs[i+1]
		}
	}
	return 0
}

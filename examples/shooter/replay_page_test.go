package shooter

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/rs/zerolog"

	"github.com/tickwire/tickwire"
	"github.com/tickwire/tickwire/internal/browsertest"
	shooterv1 "github.com/tickwire/tickwire/proto/tickwire/shooter/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/tick"
)

// startNode serves the shooter's page with its replay route on a Node of
// games (nil: the default registry, where the shooter registers itself).
func startNode(t *testing.T, games *tick.Registry) *tickwire.Node {
	t.Helper()
	log := zerolog.Nop()
	node, err := tickwire.NewNode(context.Background(), tickwire.Options{Addr: "127.0.0.1:0", Logger: &log, Name: "test", Games: games})
	if err != nil {
		t.Fatal(err)
	}
	node.Handle("GET "+Path, PageWith(PageOptions{Rooms: node.Rooms()}))
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
	return node
}

func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// TestReplayRoute asks a running room (bots only: they play without
// anyone) for its last second: the frames rebuild its state.
func TestReplayRoute(t *testing.T) {
	node := startNode(t, nil)
	h, err := node.Rooms().Create(context.Background(), Name, tick.RoomOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// A room without humans has no bots either: seat one through a peer.
	if err := h.Join(context.Background(), "watcher", nopPeer{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	var frames []byte
	for time.Now().Before(deadline) {
		code, b := get(t, node.URL()+ReplayPath+"?room="+h.ID()+"&seconds=1")
		if code != http.StatusOK {
			t.Fatalf("GET %s = %d %s", ReplayPath, code, b)
		}
		if frames = b; countFrames(t, b) >= 2*TickHz {
			break
		}
		time.Sleep(50 * time.Millisecond) // poll until the room has run for 2 s
	}
	replica := protocol.NewReplica[*shooterv1.State](h.ID())
	n := 0
	for len(frames) > 0 {
		size := binary.BigEndian.Uint32(frames)
		f, err := protocol.DecodeStateFrame(frames[4:4+size], 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := replica.Apply(f); err != nil {
			t.Fatalf("frame %d: %v", n, err)
		}
		frames, n = frames[4+size:], n+1
	}
	if len(replica.State.Players) != MinCombatants || replica.State.Players["watcher"] == nil {
		t.Fatalf("replayed state has players %v, want the watcher and its bots", replica.State.Players)
	}
	for _, tc := range []struct {
		query string
		code  int
	}{
		{"?room=nosuchroom", http.StatusNotFound},
		{"?room=" + h.ID() + "&seconds=99", http.StatusBadRequest},
		{"?room=" + h.ID() + "&seconds=x", http.StatusBadRequest},
	} {
		if code, b := get(t, node.URL()+ReplayPath+tc.query); code != tc.code {
			t.Errorf("GET %s%s = %d %s, want %d", ReplayPath, tc.query, code, b, tc.code)
		}
	}
	if code, _ := get(t, node.URL()+Path); code != http.StatusOK {
		t.Errorf("the page itself: %d", code)
	}
}

func countFrames(t *testing.T, b []byte) int {
	n := 0
	for len(b) >= 4 {
		b = b[4+binary.BigEndian.Uint32(b):]
		n++
	}
	return n
}

type nopPeer struct{}

func (nopPeer) SendState([]byte, uint64, bool, string) bool { return true }
func (nopPeer) Send(*protocol.Envelope)                     {}

type replayView struct {
	Active    bool `json:"active"`
	Done      int  `json:"done"`
	Frames    int  `json:"frames"`
	Applied   int  `json:"applied"`
	FirstTick int  `json:"firstTick"`
	LastTick  int  `json:"lastTick"`
	Tick      int  `json:"tick"`
	LiveTick  int  `json:"liveTick"`
	Draws     int  `json:"draws"`
}

// TestReplayButtonInChromium plays the page in headless Chromium for a few
// seconds, clicks "replay last 10 s", and watches the page draw the room's
// past tick by tick (its own fighter and the bots as they were), then
// return to the live game.
func TestReplayButtonInChromium(t *testing.T) {
	node := startNode(t, nil)
	browser := browsertest.New(t)
	tab := browsertest.NewTab(t, browser, "ann", false)
	tab.State = `JSON.stringify({ error: window.shooter?.error, banner: window.shooter?.banner, replay: window.shooter?.replay, tick: window.shooter?.room?.tick })`
	tab.Navigate(node.URL() + Path + "?create=1")
	tab.WaitFor(15*time.Second, "ann joins", `window.shooter?.ready === true && window.shooter.stats.draws > 0`)
	joined := browsertest.Eval[int](tab, "window.shooter.room.tick")
	tab.WaitFor(20*time.Second, "4 s of play", fmt.Sprintf("window.shooter.room.tick >= %d", joined+4*TickHz))

	if err := chromedp.Do(tab.Ctx, chromedp.Click(chromedp.CSS("#replay"))); err != nil {
		t.Fatalf("click the replay button: %v", err)
	}
	tab.WaitFor(5*time.Second, "the replay starts", `window.shooter.replay.active === true`)
	r := browsertest.Eval[replayView](tab, "window.shooter.replay")
	if r.FirstTick > joined || r.FirstTick > r.LiveTick-4*TickHz || r.LastTick < r.LiveTick-TickHz || r.Frames < 4*TickHz {
		t.Fatalf("replay %+v: want the frames since ann joined (tick %d), up to the click", r, joined)
	}
	// Halfway through, the page draws the past: ann's fighter as it was.
	tab.WaitFor(10*time.Second, "the replay plays", fmt.Sprintf(`window.shooter.replay.tick >= %d && window.shooter.replay.draws > 30`, r.FirstTick+2*TickHz))
	tab.Screenshot(filepath.Join(browsertest.ArtifactDir(t), "replay.png"))
	past := browsertest.Eval[int](tab, "window.shooter.replay.tick")
	live := browsertest.Eval[int](tab, "window.shooter.room.tick")
	if live-past < 2*TickHz {
		t.Fatalf("replaying tick %d while the room is at %d: not the past", past, live)
	}
	if !browsertest.Eval[bool](tab, `window.shooter.replayState().players[window.shooter.playerId] !== undefined && Object.keys(window.shooter.replayState().players).length === `+fmt.Sprint(MinCombatants)) {
		t.Fatal("the replayed state lacks ann or the bots")
	}
	tab.WaitFor(15*time.Second, "the replay ends", `window.shooter.replay.done === 1 && window.shooter.replay.active === false`)
	r = browsertest.Eval[replayView](tab, "window.shooter.replay")
	if r.Applied != r.Frames {
		t.Fatalf("replay %+v: applied %d of %d frames", r, r.Applied, r.Frames)
	}
	if browsertest.Eval[bool](tab, `document.getElementById("replay").disabled`) {
		t.Error("the replay button stays disabled after the replay")
	}
	if errs := tab.PageErrors(); len(errs) > 0 {
		t.Fatalf("page problems: %q", errs)
	}
}

// TestSpectatorPageInChromium plays the committed match to the page as a
// spectator (tick.RegisterReplay, what tickwire replay -serve serves): the
// page joins game "replay", is not in the state, and draws the whole world
// as the recording goes on.
func TestSpectatorPageInChromium(t *testing.T) {
	log, err := os.ReadFile(matchLog)
	if err != nil {
		t.Fatal(err)
	}
	games := tick.DefaultRegistry().Clone()
	ctl := tick.NewReplayControl(1)
	if _, err := tick.RegisterReplay(games, "replay", tick.DefaultRegistry(), log, ctl, tick.ReplayOptions{}); err != nil {
		t.Fatal(err)
	}
	node := startNode(t, games)
	browser := browsertest.New(t)
	tab := browsertest.NewTab(t, browser, "spectator", false)
	tab.State = `JSON.stringify({ error: window.shooter?.error, banner: window.shooter?.banner, spectating: window.shooter?.spectating, stats: window.shooter?.stats })`
	tab.Navigate(node.URL() + Path + "?game=replay")
	tab.WaitFor(15*time.Second, "the spectator sees the match", `window.shooter?.spectating === true && window.shooter.stats.draws > 30`)
	if n := browsertest.Eval[int](tab, "Object.keys(window.shooter.state().players).length"); n != MinCombatants {
		t.Fatalf("the spectator sees %d fighters, want the recording's %d", n, MinCombatants)
	}
	if ctl.Tick() == 0 {
		t.Fatal("the replay did not move")
	}
	if errs := tab.PageErrors(); len(errs) > 0 {
		t.Fatalf("page problems: %q", errs)
	}
}

package admin_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tickwire/tickwire/admin"
	"github.com/tickwire/tickwire/internal/browsertest"
)

// The /monitor page in headless Chromium: it logs in with ?token=, lists
// a live room, shows the room's state changing as a player moves, and its
// Kick button reaches the player's Go client as Left with the reason.
//
// TICKWIRE_ADMIN_SCREENSHOT=FILE also runs a few more rooms for a while
// and writes the page's screenshot there (docs/admin-monitor.png).
func TestAdminMonitorPage(t *testing.T) {
	shot := os.Getenv("TICKWIRE_ADMIN_SCREENSHOT")
	e := startEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	ann := e.newPlayer(ctx, "ann", "")
	bob := e.newPlayer(ctx, "bob", ann.room)
	stop := make(chan struct{})
	done := make(chan struct{})
	var others []*player
	if shot != "" {
		for i := range 3 {
			p := e.newPlayer(ctx, "p"+strconv.Itoa(i), "")
			others = append(others, p, e.newPlayer(ctx, "q"+strconv.Itoa(i), p.room))
		}
	}
	go func() { // the extra players move all along; ann moves when told
		defer close(done)
		tk := time.NewTicker(50 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
				for _, p := range others {
					_ = p.send(1)
				}
			}
		}
	}()
	defer func() { close(stop); <-done }()

	tab := browsertest.NewTab(t, browsertest.New(t), "monitor", false)
	tab.State = `JSON.stringify({overviews: monitor.overviews, rooms: monitor.rooms, selected: monitor.selected, tick: monitor.room && monitor.room.tick, errors: monitor.errors})`
	tab.Navigate(e.admin.URL() + "/monitor?token=" + testToken)
	row := `tr[data-room="` + ann.room + `"]`
	tab.WaitFor(10*time.Second, "the room listed", `document.querySelector('`+row+`') !== null && monitor.overviews > 0`)
	if err := chromedp.Do(tab.Ctx, chromedp.Click(chromedp.CSS(row))); err != nil {
		t.Fatal(err)
	}
	tab.WaitFor(10*time.Second, "the room's state shown", `monitor.room !== null && monitor.room.id === "`+ann.room+`" && monitor.room.player_list.length === 2`)

	// The state changes live: the tick count, then ann's position.
	first := browsertest.Eval[string](tab, `document.getElementById("state").textContent`)
	quoted, _ := json.Marshal(first)
	tab.WaitFor(5*time.Second, "the state changing", `document.getElementById("state").textContent !== `+string(quoted))
	ann.input(t, 5)
	tab.WaitFor(5*time.Second, "ann's move in the state", `monitor.room.state.players["`+ann.id+`"].x === 5 && document.getElementById("state").textContent.includes('"x": 5')`)
	tab.WaitFor(5*time.Second, "ann's input seq", `monitor.room.player_list[0].last_input_seq === 1`)
	tab.WaitFor(5*time.Second, "the charts drawn", `monitor.last.series.t.length > 2`)

	if shot != "" {
		time.Sleep(20 * time.Second) // the charts fill: a screenshot, not a synchronisation
		if err := os.MkdirAll(filepath.Dir(shot), 0o755); err != nil {
			t.Fatal(err)
		}
		tab.Screenshot(shot)
	}
	tab.Screenshot(filepath.Join(browsertest.ArtifactDir(t), "monitor.png"))

	if err := chromedp.Do(tab.Ctx, chromedp.Click(chromedp.CSS(`button[data-kick="`+bob.id+`"]`))); err != nil {
		t.Fatal(err)
	}
	l, err := bob.waitLeft(ctx)
	if err != nil || l.GetReason() != "kicked by an operator: kicked from the monitor" {
		t.Fatalf("bob's Left = %v, %v", l, err)
	}
	tab.WaitFor(5*time.Second, "bob gone from the page", `monitor.kicked.includes("`+bob.id+`") && monitor.room.player_list.length === 1`)
	if errs := tab.PageErrors(); len(errs) > 0 {
		t.Errorf("page errors: %q", errs)
	}
}

// In cluster mode the page lists the other nodes' rooms; a click opens
// one through this node, and Kick reaches that node's player.
func TestAdminMonitorPeers(t *testing.T) {
	other := startEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p := other.newPlayer(ctx, "ann", "")
	e := startEnv(t, func(o *admin.Options) {
		o.Peers = func() []admin.Peer { return []admin.Peer{{Name: "n2", URL: other.admin.URL()}} }
	})
	tab := browsertest.NewTab(t, browsertest.New(t), "monitor", false)
	tab.State = `JSON.stringify({overviews: monitor.overviews, selected: monitor.selected, node: monitor.selectedNode, room: monitor.room, errors: monitor.errors})`
	tab.Navigate(e.admin.URL() + "/monitor?token=" + testToken)
	row := `#peer-list tr[data-room="` + p.room + `"][data-node="n2"]`
	tab.WaitFor(10*time.Second, "the peer's room listed", `document.querySelector('`+row+`') !== null`)
	if err := chromedp.Do(tab.Ctx, chromedp.Click(chromedp.CSS(row))); err != nil {
		t.Fatal(err)
	}
	tab.WaitFor(10*time.Second, "the peer's room shown", `monitor.room !== null && monitor.room.id === "`+p.room+`" && document.getElementById("room-title").textContent.endsWith("on n2")`)
	first := browsertest.Eval[float64](tab, `monitor.room.tick`)
	tab.WaitFor(5*time.Second, "the peer's state changing", `monitor.room.tick > `+strconv.FormatFloat(first, 'f', -1, 64))
	if err := chromedp.Do(tab.Ctx, chromedp.Click(chromedp.CSS(`button[data-kick="`+p.id+`"]`))); err != nil {
		t.Fatal(err)
	}
	if l, err := p.waitLeft(ctx); err != nil || l.GetReason() != "kicked by an operator: kicked from the monitor" {
		t.Fatalf("Left = %v, %v", l, err)
	}
	if errs := tab.PageErrors(); len(errs) > 0 {
		t.Errorf("page errors: %q", errs)
	}
}

package tick_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tickwire/tickwire/tick"
)

func TestReconnectWithinGrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, tick.GameInfo{TickHz: 20, ReconnectGrace: time.Second}, tick.Options{})
		t0 := time.Now()
		h := e.create(tick.RoomOptions{})
		a := e.join(h, "a")
		e.join(h, "b")
		e.probe.take()

		at(t0, 1.5)
		h.Disconnect("a", a)
		at(t0, 10.5) // half a second later: a's seat waits
		if ev := e.probe.take(); slices.Contains(ev, "leave a") {
			t.Fatalf("a left within the grace: %q", ev)
		}
		if h.Players() != 2 || e.metric("tickwire_players_detached") != 1 {
			t.Fatalf("players %d, detached %v; want 2 and 1", h.Players(), e.metric("tickwire_players_detached"))
		}
		a.takeFrames()

		a2 := e.join(h, "a") // the same player on a new connection
		at(t0, 11.5)
		if ev := e.probe.take(); slices.Contains(ev, "join a") || slices.Contains(ev, "leave a") {
			t.Fatalf("the game saw the reconnect: %q", ev)
		}
		if got := kinds(a2.takeFrames()); len(got) == 0 || got[0] != "11:snapshot:0" {
			t.Fatalf("reconnected peer's frames = %q, want a snapshot first", got)
		}
		if f := a.takeFrames(); len(f) != 0 {
			t.Fatalf("the dropped peer still got frames: %q", kinds(f))
		}
		if e.metric("tickwire_players_detached") != 0 {
			t.Fatal("detached gauge not back to 0")
		}
		// A late Disconnect of the old connection changes nothing.
		h.Disconnect("a", a)
		at(t0, 40.5)
		if ev := e.probe.take(); slices.Contains(ev, "leave a") {
			t.Fatalf("stale Disconnect made a leave: %q", ev)
		}
	})
}

func TestGraceRunsOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, tick.GameInfo{TickHz: 20, ReconnectGrace: time.Second}, tick.Options{})
		t0 := time.Now()
		h := e.create(tick.RoomOptions{})
		a := e.join(h, "a")
		e.probe.take()
		at(t0, 1.5)
		h.Disconnect("a", a)
		at(t0, 22.5) // the first tick at least 1 s after the drop is tick 22
		if ev := e.probe.take(); !slices.Contains(ev, "leave a") {
			t.Fatalf("a did not leave after the grace: %q", ev)
		}
		if h.Players() != 0 || e.metric("tickwire_players_detached") != 0 {
			t.Fatalf("players %d, detached %v after the grace", h.Players(), e.metric("tickwire_players_detached"))
		}
	})
}

func TestDisconnectWithoutGraceLeaves(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, tick.GameInfo{TickHz: 20}, tick.Options{})
		t0 := time.Now()
		h := e.create(tick.RoomOptions{})
		a := e.join(h, "a")
		e.probe.take()
		h.Disconnect("a", a)
		at(t0, 1.5)
		if ev := e.probe.take(); !slices.Equal(ev, []string{"leave a", "tick 1"}) {
			t.Fatalf("events = %q, want a to leave at once", ev)
		}
	})
}

func TestOnUnseatHook(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var got []string
		var b *fakePeer
		leftFirst := false // b heard Left before its seat was released
		e := newEnv(t, tick.GameInfo{TickHz: 20, ReconnectGrace: time.Second}, tick.Options{OnUnseat: func(room string, p tick.PlayerID) {
			mu.Lock()
			got = append(got, string(p))
			if p == "b" && b.lastLeft() != nil {
				leftFirst = true
			}
			mu.Unlock()
		}})
		t0 := time.Now()
		h := e.create(tick.RoomOptions{})
		a := e.join(h, "a")
		mu.Lock()
		b = e.join(h, "b")
		mu.Unlock()
		e.join(h, "c")
		h.Disconnect("a", a) // within grace: not unseated yet
		h.Leave("b")
		at(t0, 1.5)
		mu.Lock()
		if !slices.Equal(got, []string{"b"}) {
			t.Errorf("after b left: unseated %q, want [b]", got)
		}
		if leftFirst || b.lastLeft() == nil {
			t.Errorf("b got Left before its seat was released (%v), or never (%v)", leftFirst, b.lastLeft())
		}
		mu.Unlock()
		at(t0, 22.5) // a's grace is over
		if err := h.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if !slices.Equal(got, []string{"b", "a", "c"}) {
			t.Errorf("unseated %q, want [b a c] (c when the room closed)", got)
		}
	})
}

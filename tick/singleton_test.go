package tick_test

import (
	"context"
	"errors"
	"testing"

	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/tick"
)

// TestSingletonInfo: a singleton game's code defaults to its name,
// upper-cased; a code is checked; a code without Singleton is refused.
func TestSingletonInfo(t *testing.T) {
	reg := tick.NewRegistry()
	tick.RegisterIn(reg, tick.GameInfo{Name: "big-world", Singleton: true}, newTestGame)
	tick.RegisterIn(reg, tick.GameInfo{Name: "coded", Singleton: true, SingletonCode: " the_one "}, newTestGame)
	if g, _ := reg.Lookup("big-world"); !g.Singleton || g.SingletonCode != "BIG-WORLD" {
		t.Errorf("big-world: %+v, want code BIG-WORLD", g)
	}
	if g, _ := reg.Lookup("coded"); g.SingletonCode != "THE_ONE" {
		t.Errorf("coded: code %q, want THE_ONE", g.SingletonCode)
	}
	mustPanic(t, "SingletonCode", func() {
		tick.RegisterIn(reg, tick.GameInfo{Name: "bad", Singleton: true, SingletonCode: "no spaces"}, newTestGame)
	})
	mustPanic(t, "without Singleton", func() {
		tick.RegisterIn(reg, tick.GameInfo{Name: "loose", SingletonCode: "LOOSE"}, newTestGame)
	})
}

// TestSingletonOneRoom: Rooms runs one room of a singleton game at a
// time; once it ends, another can start.
func TestSingletonOneRoom(t *testing.T) {
	e := newEnv(t, tick.GameInfo{Singleton: true}, tick.Options{})
	ctx := context.Background()
	h := e.create(tick.RoomOptions{})
	_, err := e.rooms.Create(ctx, "test", tick.RoomOptions{})
	if !errors.Is(err, tick.ErrSingletonRunning) || protocol.AsError(err).Code != protocol.CodeBadRequest {
		t.Fatalf("a second room: %v, want ErrSingletonRunning (BAD_REQUEST)", err)
	}
	if n := e.rooms.Len(); n != 1 {
		t.Fatalf("%d rooms run, want 1", n)
	}
	if err := h.Close(ctx); err != nil {
		t.Fatal(err)
	}
	<-h.Done()
	h2, err := e.rooms.Create(ctx, "test", tick.RoomOptions{})
	if err != nil {
		t.Fatalf("a room after the first ended: %v", err)
	}
	if h2.ID() == h.ID() {
		t.Errorf("the new room has the old one's id %s", h.ID())
	}
}

package lobby

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/tick"
)

// singletonNode is a lobby named node on its own rooms, with a singleton
// game "world" (code WORLD-1) and the ordinary "arena", over dir: two of
// them on one directory are two nodes of a cluster.
func singletonNode(t *testing.T, dir Directory, node string) (*tick.Rooms, *Lobby) {
	t.Helper()
	reg := tick.NewRegistry()
	tick.RegisterIn(reg, tick.GameInfo{Name: "world", TickHz: 1, MaxPlayers: 3, Singleton: true, SingletonCode: "world-1"}, func() tick.Game[state, state] { return tally{} })
	tick.RegisterIn(reg, tick.GameInfo{Name: "arena", TickHz: 1, MaxPlayers: 8}, func() tick.Game[state, state] { return tally{} })
	rooms, err := tick.NewRooms(tick.Options{Registry: reg, Clock: tick.SystemClock{}})
	if err != nil {
		t.Fatal(err)
	}
	l, err := New(Options{Rooms: rooms, Directory: dir, Node: node, Registerer: prometheus.NewRegistry(),
		NodeURL: func(n string) string { return "http://" + n + ".example" }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(context.Background()); err != nil {
			t.Errorf("close lobby: %v", err)
		}
		if err := rooms.Close(context.Background()); err != nil {
			t.Errorf("close rooms: %v", err)
		}
	})
	return rooms, l
}

func guestOf(t *testing.T, l *Lobby, name string) string {
	t.Helper()
	g, err := l.CreateGuest(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return g.PlayerID
}

// TestSingletonRoom: the first node to open a singleton game runs its one
// room; quick-join and its code find it from every node, the second node
// is told it runs elsewhere, no way of asking makes a second room, and
// once it ends another node can open it.
func TestSingletonRoom(t *testing.T) {
	ctx := context.Background()
	dir := NewMemDirectory()
	roomsA, a := singletonNode(t, dir, "a")
	roomsB, b := singletonNode(t, dir, "b")

	if _, err := b.QuickJoin(ctx, guestOf(t, b, "early"), "world"); !errors.Is(err, ErrRoomNotFound) {
		t.Fatalf("quick-join before the room opened: %v, want ErrRoomNotFound (never a new room)", err)
	}
	h, err := a.OpenSingleton(ctx, "world")
	if err != nil {
		t.Fatal(err)
	}
	if again, err := a.OpenSingleton(ctx, "world"); err != nil || again != h {
		t.Fatalf("opening it again on its node: %v, %v; want the same room", again, err)
	}
	if _, err := b.OpenSingleton(ctx, "world"); !errors.Is(err, ErrSingletonElsewhere) {
		t.Fatalf("the second node opens it: %v, want ErrSingletonElsewhere", err)
	}
	if n := roomsB.Len(); n != 0 {
		t.Fatalf("the second node runs %d rooms", n)
	}
	if _, err := a.OpenSingleton(ctx, "arena"); !errors.Is(err, ErrBadRequest) {
		t.Errorf("opening a game that is not a singleton: %v, want ErrBadRequest", err)
	}

	// Quick-join on either node, or the code typed in lower case: the one room.
	g, err := a.QuickJoin(ctx, guestOf(t, a, "ann"), "world")
	if err != nil || g.RoomId != h.ID() || g.Url != "" {
		t.Fatalf("quick-join on its node: %v, %v; want room %s here", g, err, h.ID())
	}
	g, err = b.QuickJoin(ctx, guestOf(t, b, "bob"), "world")
	if err != nil || g.RoomId != h.ID() || g.Url != "http://a.example" {
		t.Fatalf("quick-join on the other node: %v, %v; want room %s on a", g, err, h.ID())
	}
	g, err = b.Join(ctx, guestOf(t, b, "cat"), &tickwirev1.LobbyJoin{JoinCode: " world-1 "})
	if err != nil || g.RoomId != h.ID() {
		t.Fatalf("join by code: %v, %v; want room %s", g, err, h.ID())
	}
	// Full (MaxPlayers 3): no overflow room.
	if _, err := a.QuickJoin(ctx, guestOf(t, a, "dan"), "world"); !errors.Is(err, ErrRoomFull) {
		t.Errorf("quick-join of the full room: %v, want ErrRoomFull", err)
	}
	listed, err := b.ListRooms(ctx, "world")
	if err != nil || len(listed) != 1 || listed[0].Id != h.ID() {
		t.Errorf("listing: %v, %v; want the one room", listed, err)
	}

	// No other way makes a room of it.
	eve := guestOf(t, a, "eve")
	if _, err := a.CreateRoom(ctx, eve, &tickwirev1.CreateRoom{Game: "world"}); !errors.Is(err, ErrBadRequest) {
		t.Errorf("CreateRoom: %v, want ErrBadRequest", err)
	}
	if _, err := a.CreateTicket(ctx, eve, &tickwirev1.CreateTicket{Game: "world"}); !errors.Is(err, ErrBadRequest) {
		t.Errorf("CreateTicket: %v, want ErrBadRequest", err)
	}
	if _, err := a.HostMatch(ctx, "world", []string{eve}); !errors.Is(err, ErrBadRequest) {
		t.Errorf("HostMatch: %v, want ErrBadRequest", err)
	}
	if n := roomsA.Len() + roomsB.Len(); n != 1 {
		t.Errorf("%d rooms run, want the one", n)
	}

	// It ends: the directory forgets it, and the other node can open it.
	if err := h.Close(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		h2, err := b.OpenSingleton(ctx, "world")
		if err == nil {
			if h2 == h || roomsB.Len() != 1 {
				t.Fatalf("after the end: room %s, %d rooms on b", h2.ID(), roomsB.Len())
			}
			break
		}
		if !errors.Is(err, ErrSingletonElsewhere) || time.Now().After(deadline) {
			t.Fatalf("opening it on b after it ended on a: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

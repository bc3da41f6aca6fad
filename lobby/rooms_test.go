package lobby

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tickwire/tickwire/tick"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
)

// TestAdopt: a room the program started itself is listed, joinable by id
// and code, never closed for idling, and forgotten when it ends.
func TestAdopt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		e := newEnv(t, Options{})
		h, err := e.rooms.Create(ctx, "arena", tick.RoomOptions{MaxPlayers: 2})
		if err != nil {
			t.Fatal(err)
		}
		rec, err := e.l.Adopt(ctx, h, false)
		if err != nil || rec.ID != h.ID() || rec.Managed || len(rec.JoinCode) != JoinCodeLen || rec.MaxPlayers != 2 {
			t.Fatalf("adopt: %+v, %v", rec, err)
		}
		list, err := e.l.ListRooms(ctx, "arena")
		if err != nil || len(list) != 1 || list[0].Id != h.ID() {
			t.Fatalf("list: %+v, %v", list, err)
		}
		ps := e.guests(3)
		if _, err := e.l.Join(ctx, ps[0], &tickwirev1.LobbyJoin{RoomId: h.ID()}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.l.Join(ctx, ps[1], &tickwirev1.LobbyJoin{JoinCode: rec.JoinCode}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.l.Join(ctx, ps[2], &tickwirev1.LobbyJoin{RoomId: h.ID()}); !errors.Is(err, ErrRoomFull) {
			t.Fatalf("third player in a room of 2: %v", err)
		}
		time.Sleep(time.Hour) // seats lapse; an adopted room stays
		synctest.Wait()
		if _, err := e.l.dir.Room(ctx, h.ID()); err != nil {
			t.Fatalf("adopted room closed when idle: %v", err)
		}
		if err := h.Close(ctx); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if _, err := e.l.dir.Room(ctx, h.ID()); !errors.Is(err, ErrRoomNotFound) {
			t.Fatalf("ended room still known: %v", err)
		}
	})
}

// TestJoinCodesUnique: many live rooms, all codes distinct and resolvable.
func TestJoinCodesUnique(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	seen := map[string]string{}
	for i, p := range e.guests(200) {
		g, err := e.l.CreateRoom(ctx, p, &tickwirev1.CreateRoom{Game: "arena", Private: i%2 == 0})
		if err != nil {
			t.Fatal(err)
		}
		if other, dup := seen[g.JoinCode]; dup {
			t.Fatalf("code %s for rooms %s and %s", g.JoinCode, other, g.RoomId)
		}
		seen[g.JoinCode] = g.RoomId
	}
	for code, room := range seen {
		r, err := e.l.dir.RoomByCode(ctx, code)
		if err != nil || r.ID != room {
			t.Fatal(fmt.Sprint(r, err))
		}
	}
}

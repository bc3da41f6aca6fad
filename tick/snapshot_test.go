package tick_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"google.golang.org/protobuf/proto"

	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	"github.com/tickwire/tickwire/tick"
)

// restoreGame counts Restore calls and what it saw.
type restoreGame struct {
	testGame
	restored *int
	sawWidth *float32
}

var _ tick.Restorer[*arenav1.State] = (*restoreGame)(nil)

func (g *restoreGame) Restore(r *tick.Room[*arenav1.State]) error {
	*g.restored++
	*g.sawWidth = r.State().Width
	return nil
}

func TestSnapshotsAndRestore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var snaps []tick.RoomSnapshot
		var restored int
		var sawWidth float32
		e := newEnvWith(t, tick.GameInfo{Name: "snap", TickHz: 10, SnapshotEvery: time.Second}, tick.Options{OnSnapshot: func(s tick.RoomSnapshot) {
			mu.Lock()
			snaps = append(snaps, s)
			mu.Unlock()
		}}, func(pr *probe) tick.Game[*arenav1.State, *arenav1.Input] {
			return &restoreGame{testGame: testGame{probe: pr}, restored: &restored, sawWidth: &sawWidth}
		})
		rooms := e.rooms
		h, err := rooms.Create(context.Background(), "snap", tick.RoomOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Join(context.Background(), "a", newFakePeer(t)); err != nil {
			t.Fatal(err)
		}
		payload, _ := proto.Marshal(&arenav1.Input{Dx: 7})
		if err := h.Input("a", 1, payload); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2500 * time.Millisecond) // fake time: 25 ticks
		synctest.Wait()
		mu.Lock()
		got := append([]tick.RoomSnapshot(nil), snaps...)
		mu.Unlock()
		// Ticks at 0.1 s … 2.5 s: snapshots at the first tick, then every second.
		if len(got) != 3 {
			t.Fatalf("%d snapshots in 2.5 s at one per second", len(got))
		}
		last := got[len(got)-1]
		if last.RoomID != h.ID() || last.Game != "snap" || len(last.Players) != 1 || last.Players[0] != "a" {
			t.Errorf("snapshot = %+v", last)
		}
		var st arenav1.State
		if err := proto.Unmarshal(last.State, &st); err != nil || st.Players["a"].GetX() != 7 || st.Width != 100 {
			t.Fatalf("snapshot state = %v (%v)", &st, err)
		}

		// Restore it as the same room id elsewhere (here: after closing it).
		if _, err := rooms.Create(context.Background(), "snap", tick.RoomOptions{ID: h.ID()}); !errors.Is(err, tick.ErrRoomExists) {
			t.Errorf("create with a taken id: %v", err)
		}
		if err := h.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		st.Width = 42
		b, _ := proto.Marshal(&st)
		h2, err := rooms.Create(context.Background(), "snap", tick.RoomOptions{ID: h.ID(), Restore: b})
		if err != nil {
			t.Fatal(err)
		}
		if h2.ID() != h.ID() || restored != 1 || sawWidth != 42 {
			t.Errorf("restored room %s (want %s), Restore ran %d times and saw width %v", h2.ID(), h.ID(), restored, sawWidth)
		}
		if _, err := rooms.Create(context.Background(), "snap", tick.RoomOptions{Restore: []byte{0xff}}); err == nil {
			t.Errorf("a snapshot that does not decode was restored")
		}
	})
}

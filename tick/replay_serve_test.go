package tick_test

import (
	"bytes"
	"context"
	"testing"
	"testing/synctest"
	"time"

	"google.golang.org/protobuf/proto"

	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	"github.com/tickwire/tickwire/tick"
)

// TestRegisterReplayServesSpectators plays a recording to a spectator
// seated in a room of the replay's game: at speed 1 it sees recorded tick
// n at its room's tick n, faster at speed 2, and a seek backwards shows
// the state after the tick sought.
func TestRegisterReplayServesSpectators(t *testing.T) {
	log := recordWalkers(t, tick.RecordOptions{})
	games := walkersRegistry(tick.GameInfo{TickHz: 20})
	want := map[uint64]*arenav1.State{}
	if _, err := tick.Replay(games, bytes.NewReader(log), tick.ReplayOptions{OnTick: func(n uint64, s proto.Message) {
		want[n] = proto.Clone(s).(*arenav1.State)
	}}); err != nil {
		t.Fatal(err)
	}
	reg := tick.NewRegistry()
	ctl := tick.NewReplayControl(1)
	if _, err := tick.RegisterReplay(reg, "replay", games, log, ctl, tick.ReplayOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := tick.RegisterReplay(reg, "replay", games, log, ctl, tick.ReplayOptions{}); err == nil {
		t.Fatal("a second registration under the same name worked")
	}
	if ctl.Ticks() != 40 {
		t.Fatalf("Ticks() = %d, want 40", ctl.Ticks())
	}
	synctest.Test(t, func(t *testing.T) {
		rooms, err := tick.NewRooms(tick.Options{Registry: reg, Clock: tick.SystemClock{}, AlignTicks: true})
		if err != nil {
			t.Fatal(err)
		}
		defer rooms.Close(context.Background())
		t0 := time.Now()
		h, err := rooms.Create(context.Background(), "replay", tick.RoomOptions{})
		if err != nil {
			t.Fatal(err)
		}
		spectator := newFakePeer(t)
		if err := h.Join(context.Background(), "watcher", spectator); err != nil {
			t.Fatal(err)
		}
		if err := h.Input("watcher", 1, inputBytes(t, 3, 3)); err != nil { // ignored
			t.Fatal(err)
		}
		sees := func(n uint64) {
			t.Helper()
			if got := ctl.Tick(); got != n {
				t.Fatalf("showing tick %d, want %d", got, n)
			}
			if got := spectator.clientState(); !proto.Equal(got, want[n]) {
				t.Fatalf("at tick %d the spectator sees %v, the recording has %v", n, got, want[n])
			}
		}
		at(t0, 10.5)
		sees(10)
		ctl.SetSpeed(2)
		at(t0, 15.5)
		sees(20)
		ctl.Seek(3)
		at(t0, 16.5)
		sees(3)
		ctl.SetSpeed(64)
		at(t0, 18.5)
		sees(40) // the end: it stays there
	})
}

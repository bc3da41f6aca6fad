package tick_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/tick"
)

// TestPanicEndsOnlyItsRoom makes the game panic in each of its methods, in
// one room (the one at 10 Hz), while a healthy room of the same game runs
// beside it.
func TestPanicEndsOnlyItsRoom(t *testing.T) {
	broken := func(r *tick.Room[*arenav1.State]) bool { return r.Info().TickHz == 10 }
	for _, method := range []string{"Init", "Join", "Leave", "Input", "Tick", "View", "FillView"} {
		t.Run(method, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var e *env
				if method == "View" || method == "FillView" {
					e = newViewEnv(t, method)
				} else {
					e = newEnv(t, tick.GameInfo{TickHz: 20}, tick.Options{})
				}
				pr := e.probe
				pr.onInit = func(r *tick.Room[*arenav1.State]) error {
					if method == "Init" && broken(r) {
						panic("init broke")
					}
					return nil
				}
				pr.onJoin = func(r *tick.Room[*arenav1.State], p tick.PlayerID) error {
					if method == "Join" && broken(r) && p == "boom" {
						panic("join broke")
					}
					return nil
				}
				pr.onLeft = func(r *tick.Room[*arenav1.State], p tick.PlayerID) {
					if method == "Leave" && broken(r) {
						panic("leave broke")
					}
				}
				pr.onIn = func(r *tick.Room[*arenav1.State], p tick.PlayerID, in *arenav1.Input) {
					if method == "Input" && broken(r) {
						panic("input broke")
					}
				}
				pr.onTick = func(r *tick.Room[*arenav1.State]) {
					if method == "Tick" && broken(r) && r.Tick() == 2 {
						panic("tick broke")
					}
				}

				t0 := time.Now()
				healthy := e.create(tick.RoomOptions{TickHz: 20})
				z := e.join(healthy, "z")

				if method == "Init" {
					_, err := e.rooms.Create(context.Background(), "test", tick.RoomOptions{TickHz: 10})
					if !errors.Is(err, tick.ErrRoomFailed) {
						t.Fatalf("Create with a panicking Init = %v, want ErrRoomFailed", err)
					}
				} else {
					h := e.create(tick.RoomOptions{TickHz: 10})
					a, b := e.join(h, "a"), e.join(h, "b")
					at(t0, 1.5)
					switch method {
					case "Join":
						if err := h.Join(context.Background(), "boom", newFakePeer(t)); !errors.Is(err, tick.ErrRoomFailed) {
							t.Errorf("join into a panic = %v, want ErrRoomFailed", err)
						}
					case "Leave":
						h.Leave("b")
					case "Input":
						if err := e.input(h, "a", 1, 1); err != nil {
							t.Fatal(err)
						}
					}
					at(t0, 4.5)
					select {
					case <-h.Done():
					default:
						t.Fatal("the broken room is still running")
					}
					if err := h.Err(); !errors.Is(err, tick.ErrRoomFailed) {
						t.Errorf("Err = %v, want ErrRoomFailed", err)
					}
					for name, p := range map[string]*fakePeer{"a": a, "b": b} {
						if name == "b" && method == "Leave" {
							continue // b had left already
						}
						l := p.lastLeft()
						if l.GetCode() != protocol.CodeRoomFailed || !strings.Contains(l.GetReason(), method) {
							t.Errorf("%s's Left = %v, want ROOM_FAILED naming %s", name, l, method)
						}
					}
					if _, err := e.rooms.Get(h.ID()); !errors.Is(err, tick.ErrRoomNotFound) {
						t.Errorf("Get of the failed room = %v", err)
					}
				}

				// One stack in the log, for the one failure.
				logs := e.logs.String()
				if n := strings.Count(logs, `"stack"`); n != 1 {
					t.Errorf("%d stacks logged, want 1:\n%s", n, logs)
				}
				if !strings.Contains(logs, `"component":"tick"`) || !strings.Contains(logs, `"method":"`+method+`"`) {
					t.Errorf("log entry lacks component or method:\n%s", logs)
				}
				if got := e.metric("tickwire_rooms_failed_total"); got != 1 {
					t.Errorf("failed rooms metric = %v", got)
				}

				// The healthy room goes on.
				z.takeFrames()
				if err := e.input(healthy, "z", 1, 3); err != nil {
					t.Fatal(err)
				}
				at(t0, 10.5)
				if healthy.Err() != nil || len(z.takeFrames()) == 0 {
					t.Errorf("the healthy room stopped: %v", healthy.Err())
				}
				if e.rooms.Len() != 1 {
					t.Errorf("%d rooms running, want 1", e.rooms.Len())
				}
			})
		})
	}
}

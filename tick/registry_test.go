package tick_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/types/known/wrapperspb"

	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	"github.com/tickwire/tickwire/tick"
)

func newTestGame() tick.Game[*arenav1.State, *arenav1.Input] { return &testGame{probe: &probe{}} }

func mustPanic(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		v := recover()
		if v == nil {
			t.Errorf("no panic, want one mentioning %q", want)
			return
		}
		if s, _ := v.(string); !strings.Contains(s, want) {
			t.Errorf("panic %v, want one mentioning %q", v, want)
		}
	}()
	f()
}

func TestRegistry(t *testing.T) {
	reg := tick.NewRegistry()
	tick.RegisterIn(reg, tick.GameInfo{Name: "zeta"}, newTestGame)
	tick.RegisterIn(reg, tick.GameInfo{Name: "alpha", TickHz: 60, MinPlayers: 2, MaxPlayers: 8}, newTestGame)

	mustPanic(t, "registered twice", func() { tick.RegisterIn(reg, tick.GameInfo{Name: "zeta"}, newTestGame) })
	mustPanic(t, "TickHz", func() { tick.RegisterIn(reg, tick.GameInfo{Name: "fast", TickHz: 500}, newTestGame) })
	mustPanic(t, "Name", func() { tick.RegisterIn(reg, tick.GameInfo{Name: "Bad Name"}, newTestGame) })
	mustPanic(t, "MaxPlayers", func() { tick.RegisterIn(reg, tick.GameInfo{Name: "odd", MinPlayers: 5, MaxPlayers: 2}, newTestGame) })
	mustPanic(t, "nil factory", func() { tick.RegisterIn[*arenav1.State, *arenav1.Input](reg, tick.GameInfo{Name: "nil"}, nil) })

	games := reg.Games()
	if len(games) != 2 || games[0].Name != "alpha" || games[1].Name != "zeta" {
		t.Fatalf("Games = %+v", games)
	}
	want := tick.GameInfo{Name: "zeta", TickHz: tick.DefaultTickHz, MinPlayers: 1, MaxPlayers: tick.DefaultMaxPlayers,
		StateType: "tickwire.arena.v1.State", InputType: "tickwire.arena.v1.Input"}
	if got, ok := reg.Lookup("zeta"); !ok || got != want {
		t.Errorf("Lookup(zeta) = %+v, want %+v", got, want)
	}
	if _, ok := reg.Lookup("nope"); ok {
		t.Errorf("Lookup of an unknown game succeeded")
	}
}

// counter is the smallest game: wrappers for state and input.
type counter struct{}

func (counter) Init(*tick.Room[*wrapperspb.Int64Value]) error                { return nil }
func (counter) Join(*tick.Room[*wrapperspb.Int64Value], tick.PlayerID) error { return nil }
func (counter) Leave(*tick.Room[*wrapperspb.Int64Value], tick.PlayerID)      {}
func (counter) Tick(*tick.Room[*wrapperspb.Int64Value], time.Duration)       {}
func (counter) Input(r *tick.Room[*wrapperspb.Int64Value], _ tick.PlayerID, in *wrapperspb.Int64Value) {
	r.State().Value += in.Value
}

func TestRoomsOptionsAndLimits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg := tick.NewRegistry()
		tick.RegisterIn(reg, tick.GameInfo{Name: "counter"}, func() tick.Game[*wrapperspb.Int64Value, *wrapperspb.Int64Value] { return counter{} })

		if _, err := tick.NewRooms(tick.Options{InputsPerTick: -1, InboxSize: -2}); err == nil || !strings.Contains(err.Error(), "InputsPerTick") || !strings.Contains(err.Error(), "InboxSize") {
			t.Errorf("invalid options: err = %v, want both fields named", err)
		}
		prom := prometheus.NewRegistry()
		rooms, err := tick.NewRooms(tick.Options{Registry: reg, Registerer: prom, MaxRooms: 2, NodeID: "n1", Clock: tick.SystemClock{}})
		if err != nil {
			t.Fatal(err)
		}
		defer rooms.Close(context.Background())
		if _, err := tick.NewRooms(tick.Options{Registry: reg, Registerer: prom}); err == nil {
			t.Errorf("a second Rooms registered the same metrics on one registry")
		}
		ctx := context.Background()
		if _, err := rooms.Create(ctx, "chess", tick.RoomOptions{}); !errors.Is(err, tick.ErrGameNotFound) {
			t.Errorf("unknown game: %v", err)
		}
		if _, err := rooms.Create(ctx, "counter", tick.RoomOptions{MaxPlayers: 1000}); err == nil {
			t.Errorf("MaxPlayers above the game's accepted")
		}
		h, err := rooms.Create(ctx, "counter", tick.RoomOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(h.ID()) != 8 || h.Game() != "counter" || h.Info().Node != "n1" {
			t.Errorf("room %q info %+v", h.ID(), h.Info())
		}
		if got, err := rooms.Get(h.ID()); err != nil || got != h {
			t.Errorf("Get = %v, %v", got, err)
		}
		if _, err := rooms.Create(ctx, "counter", tick.RoomOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := rooms.Create(ctx, "counter", tick.RoomOptions{}); !errors.Is(err, tick.ErrTooManyRooms) {
			t.Errorf("third room of two allowed: %v", err)
		}
		if games := rooms.Games(); len(games) != 1 || games[0].StateType != "google.protobuf.Int64Value" {
			t.Errorf("Games = %+v", games)
		}
	})
}

func TestRegistryClone(t *testing.T) {
	reg := tick.NewRegistry()
	tick.RegisterIn(reg, tick.GameInfo{Name: "one"}, func() tick.Game[*arenav1.State, *arenav1.Input] { return &testGame{probe: &probe{}} })
	c := reg.Clone()
	tick.RegisterIn(c, tick.GameInfo{Name: "two"}, func() tick.Game[*arenav1.State, *arenav1.Input] { return &testGame{probe: &probe{}} })
	if _, ok := c.Lookup("one"); !ok {
		t.Errorf("the clone lacks the original's game")
	}
	if _, ok := reg.Lookup("two"); ok {
		t.Errorf("registering in the clone changed the original")
	}
}

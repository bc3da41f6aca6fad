package arena_test

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/examples/arena"
	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	"github.com/tickwire/tickwire/tick"
)

func newArena(t *testing.T, seed uint64, players ...tick.PlayerID) *tick.Harness[*arenav1.State, *arenav1.Input] {
	t.Helper()
	info, _ := tick.DefaultRegistry().Lookup(arena.Name)
	h, err := tick.NewHarness(info, arena.New(), seed)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range players {
		if err := h.Join(p); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

func place(h *tick.Harness[*arenav1.State, *arenav1.Input], p string, x, y float32) *arenav1.Player {
	pl := h.State().Players[p]
	pl.X, pl.Y = x, y
	return pl
}

func steer(t *testing.T, h *tick.Harness[*arenav1.State, *arenav1.Input], p tick.PlayerID, dx, dy float32) {
	t.Helper()
	if err := h.Input(p, &arenav1.Input{Dx: dx, Dy: dy}); err != nil {
		t.Fatal(err)
	}
}

func tickOnce(t *testing.T, h *tick.Harness[*arenav1.State, *arenav1.Input]) {
	t.Helper()
	if err := h.Tick(); err != nil {
		t.Fatal(err)
	}
}

func near(a, b float32) bool { return math.Abs(float64(a-b)) < 1e-3 }

func TestRegistered(t *testing.T) {
	info, ok := tick.DefaultRegistry().Lookup("arena")
	if !ok {
		t.Fatal("arena is not registered")
	}
	want := tick.GameInfo{Name: "arena", TickHz: 20, MinPlayers: 1, MaxPlayers: 50, ReconnectGrace: 10 * time.Second, SnapshotEvery: 2 * time.Second,
		StateType: "tickwire.arena.v1.State", InputType: "tickwire.arena.v1.Input"}
	if info != want {
		t.Errorf("info = %+v, want %+v", info, want)
	}
}

func TestJoinSpawnsInsideAtFullHP(t *testing.T) {
	h := newArena(t, 1, "a", "b", "c")
	s := h.State()
	if s.Width != arena.Width || s.Height != arena.Height || len(s.Players) != 3 {
		t.Fatalf("state = %v", s)
	}
	for id, pl := range s.Players {
		if pl.Hp != arena.MaxHP || pl.X < arena.Radius || pl.X > arena.Width-arena.Radius || pl.Y < arena.Radius || pl.Y > arena.Height-arena.Radius {
			t.Errorf("%s spawned as %v", id, pl)
		}
	}
	if err := h.Leave("b"); err != nil {
		t.Fatal(err)
	}
	if _, ok := h.State().Players["b"]; ok || len(h.State().Players) != 2 {
		t.Errorf("b still in the state after leaving")
	}
}

func TestSteering(t *testing.T) {
	h := newArena(t, 1, "a")
	pl := place(h, "a", 400, 300)
	steer(t, h, "a", 1, 0)
	tickOnce(t, h)
	// 180 units/s for 50 ms.
	if !near(pl.X, 409) || !near(pl.Y, 300) || !near(pl.Vx, 180) || pl.Vy != 0 {
		t.Errorf("after one tick right: %v", pl)
	}
	steer(t, h, "a", 3, 4) // longer than 1: cut to (0.6, 0.8)
	tickOnce(t, h)
	if !near(pl.Vx, 108) || !near(pl.Vy, 144) {
		t.Errorf("velocity %v,%v, want 108,144", pl.Vx, pl.Vy)
	}
	steer(t, h, "a", float32(math.NaN()), 1) // nonsense stops the player
	tickOnce(t, h)
	before := proto.Clone(pl)
	tickOnce(t, h)
	if pl.Vx != 0 || pl.Vy != 0 || !proto.Equal(before, pl) {
		t.Errorf("a NaN input did not stop the player: %v", pl)
	}
}

func TestWallsStopPlayers(t *testing.T) {
	h := newArena(t, 1, "a")
	pl := place(h, "a", arena.Width-arena.Radius-1, 300)
	steer(t, h, "a", 1, 0)
	tickOnce(t, h)
	tickOnce(t, h)
	if pl.X != arena.Width-arena.Radius || pl.Vx != 0 || pl.Hp != arena.MaxHP {
		t.Errorf("walking into the wall: %v", pl)
	}
}

func TestRammingHurtsTheRammed(t *testing.T) {
	h := newArena(t, 1, "a", "b")
	a := place(h, "a", 300, 300)
	b := place(h, "b", 340, 300)
	steer(t, h, "a", 1, 0)
	tickOnce(t, h) // a moves to 309: 31 apart, overlapping
	if a.Hp != arena.MaxHP || b.Hp != arena.MaxHP-arena.RamHP {
		t.Errorf("after the ram: a %d hp, b %d hp", a.Hp, b.Hp)
	}
	if d := math.Hypot(float64(b.X-a.X), float64(b.Y-a.Y)); d < 2*arena.Radius-1e-3 {
		t.Errorf("still overlapping: %v apart", d)
	}
	tickOnce(t, h)
	if b.X <= 340 || b.Vx <= 0 {
		t.Errorf("b was not knocked away: %v", b)
	}
}

func TestKnockOutRespawnsAndScores(t *testing.T) {
	h := newArena(t, 1, "a", "b")
	a := place(h, "a", 300, 300)
	b := place(h, "b", 340, 300)
	b.Hp = arena.RamHP
	steer(t, h, "a", 1, 0)
	tickOnce(t, h)
	if b.Hp != arena.MaxHP || a.Score != 1 || b.Score != 0 {
		t.Errorf("after the knock-out: a %v, b %v", a, b)
	}
	if near(b.X, 340) && near(b.Y, 300) {
		t.Errorf("b respawned where it fell")
	}
}

// TestRandomPlayStaysInBoundsAndReplays plays random inputs: the rules'
// invariants hold every tick, and the same seed and inputs replay exactly.
func TestRandomPlayStaysInBoundsAndReplays(t *testing.T) {
	play := func(seed uint64) *arenav1.State {
		players := []tick.PlayerID{"a", "b", "c", "d", "e", "f", "g", "h"}
		h := newArena(t, seed, players...)
		rng := rand.New(rand.NewPCG(seed, 7))
		for range 400 {
			for _, p := range players {
				if rng.IntN(4) == 0 {
					steer(t, h, p, float32(rng.NormFloat64()), float32(rng.NormFloat64()))
				}
			}
			tickOnce(t, h)
			for id, pl := range h.State().Players {
				if pl.X < arena.Radius || pl.X > arena.Width-arena.Radius || pl.Y < arena.Radius || pl.Y > arena.Height-arena.Radius || pl.Hp <= 0 || pl.Hp > arena.MaxHP {
					t.Fatalf("tick %d: %s is %v", h.Room().Tick(), id, pl)
				}
			}
		}
		return h.State()
	}
	first, again, other := play(42), play(42), play(43)
	if !proto.Equal(first, again) {
		t.Errorf("the same seed and inputs did not replay")
	}
	if proto.Equal(first, other) {
		t.Errorf("different seeds played the same game")
	}
	var hits uint32
	for _, pl := range first.Players {
		hits += pl.Score
	}
	t.Logf("knock-outs in 400 ticks of 8 random players: %d", hits)
}

package shooter

import (
	"math"
	"testing"

	shooterv1 "github.com/tickwire/tickwire/proto/tickwire/shooter/v1"
	"github.com/tickwire/tickwire/tick"
)

type harness = tick.Harness[*shooterv1.State, *shooterv1.Input]

// noBots is the Config of rule tests: no bots to get in the way.
var noBots = Config{MinCombatants: -1}

// newRoom runs a shooter room of cfg at hz (0: the registered rate) in a
// harness and seats players.
func newRoom(t testing.TB, cfg Config, hz int, seed uint64, players ...tick.PlayerID) (*harness, *Shooter) {
	t.Helper()
	info, ok := tick.DefaultRegistry().Lookup(Name)
	if !ok {
		t.Fatal("shooter is not registered")
	}
	if hz != 0 {
		info.TickHz = hz
	}
	g := NewWith(cfg)
	h, err := tick.NewHarness(info, tick.Game[*shooterv1.State, *shooterv1.Input](g), seed)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range players {
		if err := h.Join(p); err != nil {
			t.Fatal(err)
		}
	}
	return h, g
}

// place puts p's fighter at (x, y), at rest.
func place(h *harness, p string, x, y float32) *shooterv1.Player {
	pl := h.State().Players[p]
	pl.X, pl.Y, pl.Vx, pl.Vy = x, y, 0, 0
	return pl
}

func input(t testing.TB, h *harness, p tick.PlayerID, in *shooterv1.Input) {
	t.Helper()
	if err := h.Input(p, in); err != nil {
		t.Fatal(err)
	}
}

func run(t testing.TB, h *harness, n int) {
	t.Helper()
	if err := h.Run(n); err != nil {
		t.Fatal(err)
	}
}

func dist(a, b *shooterv1.Player) float64 {
	return math.Hypot(float64(a.X-b.X), float64(a.Y-b.Y))
}

// checkInvariants fails t if the room breaks a rule that must hold after
// every tick.
func checkInvariants(t testing.TB, h *harness, g *Shooter) {
	t.Helper()
	s := h.State()
	tk := h.Room().Tick()
	if len(s.Players) != len(g.fighters) || len(s.Projectiles) != len(g.shots) {
		t.Fatalf("tick %d: %d players for %d fighters, %d projectiles for %d shots", tk, len(s.Players), len(g.fighters), len(s.Projectiles), len(g.shots))
	}
	for id, pl := range s.Players {
		x, y := float64(pl.X), float64(pl.Y)
		switch {
		case pl.Hp < 0 || pl.Hp > MaxHP:
			t.Fatalf("tick %d: %s has %d hp", tk, id, pl.Hp)
		case !finite(x) || !finite(y) || x < Radius || x > Width-Radius || y < Radius || y > Height-Radius:
			t.Fatalf("tick %d: %s outside the world at %v,%v", tk, id, x, y)
		case (pl.Hp == 0) != (pl.RespawnTick != 0):
			t.Fatalf("tick %d: %s has %d hp and respawns at %d", tk, id, pl.Hp, pl.RespawnTick)
		case pl.Hp == 0 && (pl.RespawnTick <= tk || pl.RespawnTick > tk+g.respawnTicks):
			t.Fatalf("tick %d: %s respawns at %d", tk, id, pl.RespawnTick)
		case float64(pl.Vx*pl.Vx+pl.Vy*pl.Vy) > MaxSpeed*MaxSpeed*(1+1e-6):
			t.Fatalf("tick %d: %s moves at %v,%v", tk, id, pl.Vx, pl.Vy)
		}
		for i := range obstacles {
			if d := clearOf(&obstacles[i], x, y); d < Radius-1e-3 {
				t.Fatalf("tick %d: %s at %v,%v is %v into obstacle %d", tk, id, x, y, Radius-d, i)
			}
		}
	}
	for _, p := range g.shots {
		if s.Projectiles[p.id] != p.msg || !insideWorld(p.x, p.y) {
			t.Fatalf("tick %d: shot %d at %v,%v is not in the state", tk, p.id, p.x, p.y)
		}
	}
	for i := 1; i < len(s.Scoreboard); i++ {
		a, b := s.Scoreboard[i-1], s.Scoreboard[i]
		if a.Kills < b.Kills || (a.Kills == b.Kills && a.Deaths > b.Deaths) {
			t.Fatalf("tick %d: scoreboard out of order: %v", tk, s.Scoreboard)
		}
	}
}

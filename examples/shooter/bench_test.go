package shooter

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	shooterv1 "github.com/tickwire/tickwire/proto/tickwire/shooter/v1"
	"github.com/tickwire/tickwire/tick"
)

const (
	benchHumans = 50
	benchBots   = 10
)

// busyInput is a human's input in the benchmarks: running about, aiming
// anywhere, trigger held.
func busyInput(rng *rand.Rand) (moveX, moveY, aim float32) {
	return float32(rng.IntN(3) - 1), float32(rng.IntN(3) - 1), float32(rng.Float64() * 2 * math.Pi)
}

// BenchmarkGameTick measures the game's own Tick with 50 humans and 10
// bots all fighting (projectiles in the air), without the room's view
// diffing and encoding: the humans are fed to the game directly, not
// seated in the harness, so the room has no views to build.
func BenchmarkGameTick(b *testing.B) {
	h, g := newRoom(b, Config{MinCombatants: benchHumans + benchBots}, 0, 1)
	r := h.Room()
	for i := range benchHumans {
		g.add(r, fmt.Sprintf("p%d", i), nil)
		g.humans++
	}
	g.balanceBots(r)
	rng := rand.New(rand.NewPCG(1, 2))
	step := func() {
		for _, c := range g.fighters[:benchHumans] {
			mx, my, aim := busyInput(rng)
			g.takeInput(c, mx, my, aim, true, 0)
		}
		if err := h.Tick(); err != nil {
			b.Fatal(err)
		}
	}
	for range 5 * TickHz {
		step()
	}
	b.ReportAllocs()
	for b.Loop() {
		step()
	}
	b.ReportMetric(float64(len(g.shots)), "projectiles")
	b.ReportMetric(float64(len(g.fighters)), "fighters")
}

// timedGame times the game's Tick and FillView inside a full room tick.
type timedGame struct {
	*Shooter
	tick, fill time.Duration
}

func (g *timedGame) Tick(r *tick.Room[*shooterv1.State], dt time.Duration) {
	t0 := time.Now()
	g.Shooter.Tick(r, dt)
	g.tick += time.Since(t0)
}

func (g *timedGame) FillView(r *tick.Room[*shooterv1.State], key string, dst *shooterv1.State) {
	t0 := time.Now()
	g.Shooter.FillView(r, key, dst)
	g.fill += time.Since(t0)
}

// BenchmarkRoomTick measures a whole room tick as the server runs it: 50
// seated players sending an input each, 10 bots, then every view filled,
// diffed against what its players hold and encoded. game-µs and
// fillview-µs are the game's shares of it.
func BenchmarkRoomTick(b *testing.B) {
	info, _ := tick.DefaultRegistry().Lookup(Name)
	g := &timedGame{Shooter: NewWith(Config{MinCombatants: benchHumans + benchBots})}
	h, err := tick.NewHarness(info, tick.Game[*shooterv1.State, *shooterv1.Input](g), 1)
	if err != nil {
		b.Fatal(err)
	}
	var ids []tick.PlayerID
	for i := range benchHumans {
		ids = append(ids, tick.PlayerID(fmt.Sprintf("p%d", i)))
		if err := h.Join(ids[i]); err != nil {
			b.Fatal(err)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	in := &shooterv1.Input{Fire: true}
	step := func() {
		for _, p := range ids {
			in.MoveX, in.MoveY, in.Aim = busyInput(rng)
			if err := h.Input(p, in); err != nil {
				b.Fatal(err)
			}
		}
		if err := h.Tick(); err != nil {
			b.Fatal(err)
		}
	}
	for range 5 * TickHz {
		step()
	}
	g.tick, g.fill = 0, 0
	b.ReportAllocs()
	for b.Loop() {
		step()
	}
	n := float64(b.N)
	b.ReportMetric(float64(g.tick.Microseconds())/n, "game-µs/op")
	b.ReportMetric(float64(g.fill.Microseconds())/n, "fillview-µs/op")
	b.ReportMetric(float64(len(g.views)), "views")
	b.ReportMetric(float64(len(g.shots)), "projectiles")
}

// BenchmarkFillView builds the busiest view of a room of 50 players and
// 10 bots fighting.
func BenchmarkFillView(b *testing.B) {
	h, g := newRoom(b, Config{MinCombatants: benchHumans + benchBots}, 0, 1)
	for i := range benchHumans {
		if err := h.Join(tick.PlayerID(fmt.Sprintf("p%d", i))); err != nil {
			b.Fatal(err)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5 * TickHz {
		for _, c := range g.fighters {
			if c.bot == nil {
				mx, my, aim := busyInput(rng)
				g.takeInput(c, mx, my, aim, true, 0)
			}
		}
		run(b, h, 1)
	}
	key, most := "", -1
	dst := &shooterv1.State{}
	for _, k := range cellKeys {
		g.FillView(h.Room(), k, dst)
		if n := len(dst.Players) + len(dst.Projectiles); n > most {
			key, most = k, n
		}
	}
	g.FillView(h.Room(), key, dst)
	b.ReportAllocs()
	for b.Loop() {
		dst.Reset()
		g.FillView(h.Room(), key, dst)
	}
	b.ReportMetric(float64(len(dst.Players)), "players")
	b.ReportMetric(float64(len(dst.Projectiles)), "projectiles")
}

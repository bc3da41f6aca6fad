package shooter

import (
	"crypto/sha256"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"google.golang.org/protobuf/proto"

	shooterv1 "github.com/tickwire/tickwire/proto/tickwire/shooter/v1"
	"github.com/tickwire/tickwire/tick"
)

// randomInput is what a careless or hostile client might send: mostly
// plausible play, sometimes garbage.
func randomInput(rng *rand.Rand) *shooterv1.Input {
	in := &shooterv1.Input{
		MoveX: float32(rng.IntN(3) - 1), MoveY: float32(rng.IntN(3) - 1),
		Aim: float32(rng.Float64() * 2 * math.Pi), Fire: rng.IntN(3) > 0,
	}
	switch rng.IntN(40) {
	case 0:
		in.MoveX = float32(math.NaN())
	case 1:
		in.MoveY = float32(math.Inf(-1))
	case 2:
		in.Aim = float32(math.Inf(1))
	case 3:
		in.MoveX, in.MoveY = float32(rng.NormFloat64()*1e6), float32(rng.NormFloat64()*1e6)
	case 4:
		in.Weapon = shooterv1.Weapon(rng.IntN(5))
	case 5:
		in.Aim = float32(rng.NormFloat64() * 1e9)
	}
	return in
}

// simulate plays a room for ticks with humans coming and going at random
// and sending random inputs, checking the invariants after every tick. It
// returns a digest of the states the room went through, the final state
// and the stats.
func simulate(t *testing.T, seed uint64, ticks int) ([32]byte, *shooterv1.State, Stats) {
	h, g := newRoom(t, Config{}, 0, seed, "p0")
	rng := rand.New(rand.NewPCG(seed, 99))
	humans := []tick.PlayerID{"p0"}
	next := 1
	digest := sha256.New()
	for range ticks {
		switch n := rng.IntN(200); {
		case n == 0 && len(humans) < 12:
			p := tick.PlayerID(fmt.Sprintf("p%d", next))
			next++
			if err := h.Join(p); err != nil {
				t.Fatal(err)
			}
			humans = append(humans, p)
		case n == 1 && len(humans) > 1:
			i := rng.IntN(len(humans))
			if err := h.Leave(humans[i]); err != nil {
				t.Fatal(err)
			}
			humans = append(humans[:i], humans[i+1:]...)
		}
		for _, p := range humans {
			for range rng.IntN(3) {
				in := randomInput(rng)
				if me, o := h.State().Players[string(p)], g.fighters[rng.IntN(len(g.fighters))]; rng.IntN(2) == 0 {
					in.Aim = float32(math.Atan2(float64(o.pl.Y-me.Y), float64(o.pl.X-me.X))) // aim at someone
				}
				input(t, h, p, in)
			}
		}
		run(t, h, 1) // the harness also builds, diffs and encodes every view
		checkInvariants(t, h, g)
		if h.Room().Tick()%61 == 0 {
			checkViews(t, h, g, humans)
			b, err := proto.MarshalOptions{Deterministic: true}.Marshal(h.State())
			if err != nil {
				t.Fatal(err)
			}
			digest.Write(b)
		}
	}
	return [32]byte(digest.Sum(nil)), h.State(), g.Stats()
}

// checkViews fails t unless each player's view holds itself and only
// what lies in the view's area.
func checkViews(t *testing.T, h *harness, g *Shooter, humans []tick.PlayerID) {
	t.Helper()
	for _, p := range humans {
		v := fill(h, g, g.View(h.Room(), p))
		if v.Players[string(p)] == nil {
			t.Fatalf("tick %d: %s is not in its own view %v", h.Room().Tick(), p, v.View)
		}
		for id, pl := range v.Players {
			if pl.X < v.View.X0 || pl.X > v.View.X1 || pl.Y < v.View.Y0 || pl.Y > v.View.Y1 {
				t.Fatalf("tick %d: %s's view %v holds %s at %v,%v", h.Room().Tick(), p, v.View, id, pl.X, pl.Y)
			}
		}
	}
}

// TestRandomPlayKeepsInvariantsAndReplays: a long random game with garbage
// input never panics and keeps every invariant, and the same seed replays
// it exactly.
func TestRandomPlayKeepsInvariantsAndReplays(t *testing.T) {
	ticks := 120 * TickHz // two minutes
	if testing.Short() {
		ticks = 20 * TickHz
	}
	digest, first, stats := simulate(t, 42, ticks)
	again, _, _ := simulate(t, 42, ticks)
	other, _, _ := simulate(t, 43, ticks)
	if digest != again {
		t.Errorf("the same seed and inputs did not replay")
	}
	if digest == other {
		t.Errorf("different seeds played the same game")
	}
	if stats.NonFinite == 0 || stats.MoveClamped == 0 || stats.BadWeapon == 0 || stats.FireTooFast == 0 {
		t.Errorf("garbage not counted: stats %+v", stats)
	}
	var kills uint32
	for _, pl := range first.Players {
		kills += pl.Kills
	}
	t.Logf("%d ticks: %d fighters at the end, %d kills among them, scoreboard %v, stats %+v", ticks, len(first.Players), kills, first.Scoreboard, stats)
}

package shooter

import (
	"math"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	shooterv1 "github.com/tickwire/tickwire/proto/tickwire/shooter/v1"
)

var (
	blaster = shooterv1.Weapon_WEAPON_BLASTER
	cannon  = shooterv1.Weapon_WEAPON_CANNON
)

// shotTicks runs n ticks and returns the ticks at which g fired.
func shotTicks(t *testing.T, h *harness, g *Shooter, n int) []uint64 {
	t.Helper()
	var at []uint64
	for range n {
		before := g.nextShot
		run(t, h, 1)
		for range g.nextShot - before {
			at = append(at, h.Room().Tick())
		}
	}
	return at
}

// TestHeldTriggerFiresAtTheWeaponsRate: a held trigger fires exactly once
// per cooldown, for each weapon and tick rate.
func TestHeldTriggerFiresAtTheWeaponsRate(t *testing.T) {
	for _, tc := range []struct {
		w    shooterv1.Weapon
		hz   int
		want int // shots in 2 s
	}{
		{blaster, 60, 14}, {cannon, 60, 3}, {blaster, 20, 14},
		{blaster, 30, 12}, // 150 ms is 4.5 periods: a shot every 5 ticks
	} {
		h, g := newRoom(t, noBots, tc.hz, 1, "a")
		place(h, "a", 100, 200)
		input(t, h, "a", &shooterv1.Input{Fire: true, Weapon: tc.w, Aim: math.Pi / 2}) // south, open for 1800 units
		at := shotTicks(t, h, g, 2*tc.hz)
		spec, _ := Spec(tc.w)
		if len(at) != tc.want {
			t.Errorf("%v at %d Hz: %d shots in 2 s, want %d (at ticks %v)", tc.w, tc.hz, len(at), tc.want, at)
		}
		for i := 1; i < len(at); i++ {
			if gap := g.gameTime(at[i]) - g.gameTime(at[i-1]); gap < spec.Cooldown {
				t.Errorf("%v at %d Hz: shots %v apart", tc.w, tc.hz, gap)
			}
		}
		if g.Stats().FireTooFast != 0 {
			t.Errorf("holding the trigger counted as firing too fast: %+v", g.Stats())
		}
	}
}

// TestFiringTooFastIsIgnoredAndCounted: a client hammering the trigger,
// several pulls a tick, gets no more shots than holding it would, and every
// pull that did not fire is counted.
func TestFiringTooFastIsIgnoredAndCounted(t *testing.T) {
	h, g := newRoom(t, noBots, 0, 1, "a")
	place(h, "a", 100, 200)
	pulls := 0
	var shots []uint64
	for range 60 {
		for range 4 {
			input(t, h, "a", &shooterv1.Input{Fire: true, Aim: math.Pi / 2})
			input(t, h, "a", &shooterv1.Input{Fire: false, Aim: math.Pi / 2})
			pulls++
		}
		shots = append(shots, shotTicks(t, h, g, 1)...)
	}
	if len(shots) != 7 { // ticks 1, 10, 19, ... 55: one per 150 ms
		t.Errorf("%d shots in 1 s of hammering (%v), want 7", len(shots), shots)
	}
	if got := g.Stats().FireTooFast; got != uint64(pulls-len(shots)) {
		t.Errorf("FireTooFast = %d, want %d", got, pulls-len(shots))
	}
}

// TestCooldownsArePerWeapon: switching weapons does not reset a cooldown.
func TestCooldownsArePerWeapon(t *testing.T) {
	h, g := newRoom(t, noBots, 0, 1, "a")
	place(h, "a", 100, 200)
	fire := func(w shooterv1.Weapon) int {
		input(t, h, "a", &shooterv1.Input{Fire: true, Weapon: w, Aim: math.Pi / 2})
		input(t, h, "a", &shooterv1.Input{Fire: false, Aim: math.Pi / 2})
		return len(shotTicks(t, h, g, 1))
	}
	if n := fire(blaster); n != 1 {
		t.Fatalf("blaster: %d shots", n)
	}
	if n := fire(cannon); n != 1 {
		t.Fatalf("cannon after blaster: %d shots", n)
	}
	if n := fire(blaster); n != 0 {
		t.Fatalf("blaster again 2 ticks later: %d shots", n)
	}
	if n := fire(cannon); n != 0 {
		t.Fatalf("cannon again 2 ticks later: %d shots", n)
	}
	input(t, h, "a", &shooterv1.Input{Weapon: shooterv1.Weapon(7)})
	run(t, h, 1)
	if pl := h.State().Players["a"]; pl.Weapon != cannon || g.Stats().BadWeapon != 1 || g.Stats().FireTooFast != 2 {
		t.Errorf("after an unknown weapon: %v, stats %+v", pl, g.Stats())
	}
}

func TestProjectileHitsAndDamages(t *testing.T) {
	h, g := newRoom(t, noBots, 0, 1, "a", "b")
	a, b := place(h, "a", 300, 200), place(h, "b", 700, 200)
	input(t, h, "a", &shooterv1.Input{Fire: true})
	input(t, h, "a", &shooterv1.Input{})
	run(t, h, 1)
	if len(h.State().Projectiles) != 1 {
		t.Fatalf("projectiles after firing: %v", h.State().Projectiles)
	}
	for id, p := range h.State().Projectiles {
		want := &shooterv1.Projectile{Owner: "a", Weapon: blaster, X: 300, Y: 200, Vx: 1500, Vy: 0, Tick: 1}
		if id != 1 || !proto.Equal(p, want) {
			t.Errorf("projectile %d = %v, want %v", id, p, want)
		}
	}
	// It flies 25 units a tick from tick 2 on and hits once within
	// Radius+4 of b's centre: 376 units, during its 16th move, at tick 17.
	run(t, h, 15)
	if b.Hp != MaxHP || len(g.shots) != 1 || g.shots[0].x != 300+15*25 {
		t.Fatalf("tick 15: b %v, shots %d", b, len(g.shots))
	}
	run(t, h, 1)
	if b.Hp != MaxHP-12 || a.Hp != MaxHP || len(h.State().Projectiles) != 0 || len(g.shots) != 0 {
		t.Errorf("after the hit: a %v, b %v, projectiles %v", a, b, h.State().Projectiles)
	}
}

func TestObstaclesStopProjectiles(t *testing.T) {
	h, _ := newRoom(t, noBots, 0, 1, "a", "b")
	place(h, "a", 1200, 1500)
	b := place(h, "b", 1800, 1500) // behind the centre block
	input(t, h, "a", &shooterv1.Input{Fire: true, Weapon: cannon})
	input(t, h, "a", &shooterv1.Input{})
	run(t, h, 12) // 150 units at 15 a tick from tick 2: gone at the block's face
	if b.Hp != MaxHP || len(h.State().Projectiles) != 0 {
		t.Errorf("through the block: b %v, projectiles %v", b, h.State().Projectiles)
	}
}

func TestProjectilesRunOutOfRange(t *testing.T) {
	h, _ := newRoom(t, noBots, 0, 1, "a")
	place(h, "a", 100, 200)
	input(t, h, "a", &shooterv1.Input{Fire: true})
	input(t, h, "a", &shooterv1.Input{})
	run(t, h, 44) // fired at tick 1; 1100 units take 44 ticks
	if len(h.State().Projectiles) != 1 {
		t.Fatalf("gone before its range")
	}
	run(t, h, 1)
	if len(h.State().Projectiles) != 0 {
		t.Fatalf("still flying after its range")
	}
}

// TestDeathRespawnAndScore: a kill scores, the dead stay dead for
// RespawnDelay (at any tick rate), cannot move or shoot, then come back at
// full hp somewhere free.
func TestDeathRespawnAndScore(t *testing.T) {
	for _, hz := range []int{60, 20} {
		h, g := newRoom(t, noBots, hz, 1, "a", "b")
		a, b := place(h, "a", 300, 200), place(h, "b", 500, 200)
		b.Hp = 12
		input(t, h, "a", &shooterv1.Input{Fire: true})
		input(t, h, "a", &shooterv1.Input{})
		for b.Hp > 0 {
			run(t, h, 1)
			if h.Room().Tick() > uint64(hz) {
				t.Fatalf("%d Hz: b was not hit: %v", hz, b)
			}
		}
		died := h.Room().Tick()
		wantRespawn := died + uint64(3*hz)
		if b.Deaths != 1 || a.Kills != 1 || a.Deaths != 0 || b.RespawnTick != wantRespawn || b.Vx != 0 || b.Vy != 0 {
			t.Fatalf("%d Hz after the kill: a %v, b %v, want respawn at %d", hz, a, b, wantRespawn)
		}
		board := h.State().Scoreboard
		if len(board) != 2 || board[0].PlayerId != "a" || board[0].Kills != 1 || board[1].PlayerId != "b" || board[1].Deaths != 1 {
			t.Errorf("%d Hz: scoreboard %v", hz, board)
		}
		// The dead neither move nor shoot.
		input(t, h, "b", &shooterv1.Input{MoveX: 1, Fire: true, Aim: math.Pi})
		x, y := b.X, b.Y
		run(t, h, int(wantRespawn-died-1))
		if b.X != x || b.Y != y || b.Hp != 0 || len(h.State().Projectiles) != 0 || g.nextShot != 1 {
			t.Fatalf("%d Hz: the dead moved or shot: %v", hz, b)
		}
		run(t, h, 1)
		if b.Hp != MaxHP || b.RespawnTick != 0 || dist(a, b) < 400 {
			t.Errorf("%d Hz: respawned as %v, %v from a", hz, b, dist(a, b))
		}
		for i := range obstacles {
			if clearOf(&obstacles[i], float64(b.X), float64(b.Y)) < Radius {
				t.Errorf("%d Hz: respawned in obstacle %d", hz, i)
			}
		}
	}
}

// TestKillByAPlayerWhoLeft: a shot still flying when its shooter leaves
// still hurts, but scores for nobody.
func TestKillByAPlayerWhoLeft(t *testing.T) {
	h, _ := newRoom(t, noBots, 0, 1, "a", "b", "c")
	place(h, "a", 300, 200)
	b := place(h, "b", 700, 200)
	c := place(h, "c", 300, 2800)
	b.Hp = 1
	input(t, h, "a", &shooterv1.Input{Fire: true})
	input(t, h, "a", &shooterv1.Input{})
	run(t, h, 2)
	if err := h.Leave("a"); err != nil {
		t.Fatal(err)
	}
	run(t, h, 20)
	if b.Hp != 0 || b.Deaths != 1 || c.Kills != 0 || b.Kills != 0 {
		t.Errorf("b %v, c %v", b, c)
	}
	if board := h.State().Scoreboard; len(board) != 2 || board[0].PlayerId != "c" || board[1].PlayerId != "b" {
		t.Errorf("scoreboard %v", board)
	}
}

// TestScoreboardKeepsTheBest: at most ScoreboardSize lines, best first,
// ties broken by deaths then id.
func TestScoreboardKeepsTheBest(t *testing.T) {
	h, g := newRoom(t, noBots, 0, 1, "a", "b", "c", "d", "e", "f", "g")
	kills := map[string]uint32{"a": 1, "b": 3, "c": 3, "d": 0, "e": 5, "f": 1, "g": 2}
	for id, k := range kills {
		h.State().Players[id].Kills = k
	}
	h.State().Players["c"].Deaths = 1
	h.State().Players["a"].Deaths = 2
	g.scoreDirty = true
	run(t, h, 1)
	var got []string
	for _, l := range h.State().Scoreboard {
		got = append(got, l.PlayerId)
	}
	if want := []string{"e", "b", "c", "g", "f"}; !slices.Equal(got, want) {
		t.Errorf("scoreboard %v, want %v", got, want)
	}
}

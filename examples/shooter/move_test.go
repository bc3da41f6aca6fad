package shooter

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	shooterv1 "github.com/tickwire/tickwire/proto/tickwire/shooter/v1"
	"github.com/tickwire/tickwire/tick"
)

func TestRegistered(t *testing.T) {
	info, ok := tick.DefaultRegistry().Lookup(Name)
	if !ok {
		t.Fatal("shooter is not registered")
	}
	want := tick.GameInfo{Name: "shooter", TickHz: 60, MinPlayers: 1, MaxPlayers: 50, ReconnectGrace: 10 * time.Second,
		Version: "1", Record: tick.RecordOptions{Ring: 12 * time.Second},
		StateType: "tickwire.shooter.v1.State", InputType: "tickwire.shooter.v1.Input"}
	if info != want {
		t.Errorf("info = %+v, want %+v", info, want)
	}
}

func TestSlowTickRatesAreRefused(t *testing.T) {
	info, _ := tick.DefaultRegistry().Lookup(Name)
	info.TickHz = MinTickHz - 1
	if _, err := tick.NewHarness(info, tick.Game[*shooterv1.State, *shooterv1.Input](New()), 1); err == nil {
		t.Errorf("a room at %d Hz started", info.TickHz)
	}
	// The thinnest obstacle is 60 units: a step must not jump it.
	for _, o := range obstacles {
		if thin := min(o.x1-o.x0, o.y1-o.y0) + 2*Radius; MaxSpeed/MinTickHz >= thin/2 {
			t.Errorf("a %v-unit step at %d Hz can jump an obstacle %v thick", MaxSpeed/MinTickHz, MinTickHz, thin)
		}
	}
}

// TestObstacleLayout checks what one-pass collision resolution relies on:
// obstacles are at least 2·Radius apart and from the walls.
func TestObstacleLayout(t *testing.T) {
	gap := func(a0, a1, b0, b1 float64) float64 { return max(b0-a1, a0-b1, 0) }
	for i, a := range obstacles {
		if a.x0 >= a.x1 || a.y0 >= a.y1 || a.x0 < 2*Radius || a.y0 < 2*Radius || a.x1 > Width-2*Radius || a.y1 > Height-2*Radius {
			t.Errorf("obstacle %d %v is malformed or within 2·Radius of a wall", i, a)
		}
		for j, b := range obstacles[i+1:] {
			if d := math.Hypot(gap(a.x0, a.x1, b.x0, b.x1), gap(a.y0, a.y1, b.y0, b.y1)); d < 2*Radius {
				t.Errorf("obstacles %d and %d are %v apart", i, i+1+j, d)
			}
		}
	}
}

func TestMove(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	h := math.Sqrt(0.5)
	for _, tc := range []struct {
		x, y   float32
		mx, my float64
	}{
		{0, 0, 0, 0},
		{0.3, -0.4, float64(float32(0.3)), float64(float32(-0.4))},
		{1, 0, 1, 0},
		{1, 1, h, h},
		{-5, -5, -h, -h},
		{1e30, 0, 1, 0},
		{-math.MaxFloat32, 0.5, -2 / math.Sqrt(5), 1 / math.Sqrt(5)},
		{nan, 1, 0, 0},
		{1, inf, 0, 0},
		{-inf, -inf, 0, 0},
	} {
		mx, my := Move(tc.x, tc.y)
		if math.Abs(mx-tc.mx) > 1e-12 || math.Abs(my-tc.my) > 1e-12 {
			t.Errorf("Move(%v, %v) = %v, %v, want %v, %v", tc.x, tc.y, mx, my, tc.mx, tc.my)
		}
		if l := math.Hypot(mx, my); l > 1+1e-15 {
			t.Errorf("Move(%v, %v) has length %v", tc.x, tc.y, l)
		}
	}
}

// TestSpeedLimit throws absurd and hostile inputs at a player, several a
// tick: it never moves faster than MaxSpeed, and the nonsense is counted.
func TestSpeedLimit(t *testing.T) {
	for _, hz := range []int{60, 30, 120} {
		h, g := newRoom(t, noBots, hz, 1, "a")
		pl := place(h, "a", 300, 1500)
		absurd := []*shooterv1.Input{
			{MoveX: 1e30, MoveY: 1e30},
			{MoveX: math.MaxFloat32, MoveY: -math.MaxFloat32},
			{MoveX: float32(math.Inf(1))},
			{MoveX: float32(math.NaN()), MoveY: 1},
			{MoveX: 1, MoveY: 1, Aim: float32(math.NaN())},
			{MoveX: 0.9, MoveY: 0.9},
			{MoveX: -3, MoveY: 0.1},
		}
		limit := MaxSpeed/float64(hz) + 1e-3
		for i := range 3 * hz {
			for k := range 8 { // the framework's cap of inputs per tick
				input(t, h, "a", absurd[(i+k)%len(absurd)])
			}
			x, y := pl.X, pl.Y
			run(t, h, 1)
			if d := math.Hypot(float64(pl.X-x), float64(pl.Y-y)); d > limit {
				t.Fatalf("%d Hz, tick %d: moved %v, more than %v", hz, i, d, limit)
			}
			if v := math.Hypot(float64(pl.Vx), float64(pl.Vy)); v > MaxSpeed+1e-3 {
				t.Fatalf("%d Hz, tick %d: velocity %v", hz, i, v)
			}
		}
		st := g.Stats()
		if st.NonFinite == 0 || st.MoveClamped == 0 {
			t.Errorf("%d Hz: stats %+v: nonsense not counted", hz, st)
		}
	}
}

// TestSpeedIsPerSecond: a second of full-speed movement covers MaxSpeed
// units at any tick rate.
func TestSpeedIsPerSecond(t *testing.T) {
	for _, hz := range []int{20, 60, 120} {
		h, _ := newRoom(t, noBots, hz, 1, "a")
		pl := place(h, "a", 300, 1500)
		input(t, h, "a", &shooterv1.Input{MoveX: 1})
		run(t, h, hz)
		if math.Abs(float64(pl.X)-(300+MaxSpeed)) > 1e-2 || pl.Y != 1500 || pl.Vx != MaxSpeed {
			t.Errorf("%d Hz: after 1 s at full speed: %v", hz, pl)
		}
	}
}

func TestWallsAndObstaclesStopPlayers(t *testing.T) {
	h, _ := newRoom(t, noBots, 0, 1, "a")
	pl := place(h, "a", Width-Radius-2, 100)
	input(t, h, "a", &shooterv1.Input{MoveX: 1})
	run(t, h, 10)
	if pl.X != Width-Radius || pl.Y != 100 {
		t.Errorf("walking into the east wall: %v", pl)
	}
	input(t, h, "a", &shooterv1.Input{MoveY: -1, MoveX: 1})
	run(t, h, 60)
	if pl.X != Width-Radius || pl.Y != Radius {
		t.Errorf("walking into the north-east corner: %v", pl)
	}

	// The centre block spans x 1350-1650, y 1400-1600. Walking east into
	// its west face stops at 1350-Radius; walking diagonally slides along
	// it at the speed of the y component.
	place(h, "a", 1300, 1500)
	input(t, h, "a", &shooterv1.Input{MoveX: 1})
	run(t, h, 30)
	if pl.X != 1350-Radius || pl.Y != 1500 {
		t.Errorf("walking into the block: %v", pl)
	}
	input(t, h, "a", &shooterv1.Input{MoveX: 1, MoveY: 1})
	run(t, h, 6)
	wantY := 1500 + 6*MaxSpeed*math.Sqrt(0.5)/TickHz
	if pl.X != 1350-Radius || math.Abs(float64(pl.Y)-wantY) > 1e-3 {
		t.Errorf("sliding along the block: %v, want y %v", pl, wantY)
	}
	// Around the corner it rounds the edge and gets past.
	run(t, h, 120)
	if pl.X <= 1350 || pl.Y <= 1600+Radius-1 {
		t.Errorf("did not get round the corner: %v", pl)
	}
}

func TestPushOutOfObstacle(t *testing.T) {
	o := &obstacles[0] // 1350..1650 × 1400..1600
	for _, tc := range []struct{ x, y, wx, wy float64 }{
		{1340, 1500, 1330, 1500}, // overlapping the west face
		{1360, 1500, 1330, 1500}, // centre inside, nearest the west side
		{1640, 1450, 1670, 1450}, // nearest the east side
		{1500, 1405, 1500, 1380}, // nearest the top
		{1500, 1599, 1500, 1620}, // nearest the bottom
		{1340, 1390, 1350 - Radius/math.Sqrt2, 1400 - Radius/math.Sqrt2}, // off a corner
		{1300, 1500, 1300, 1500}, // clear
	} {
		x, y := pushOut(o, tc.x, tc.y)
		if math.Abs(x-tc.wx) > 1e-9 || math.Abs(y-tc.wy) > 1e-9 {
			t.Errorf("pushOut(%v, %v) = %v, %v, want %v, %v", tc.x, tc.y, x, y, tc.wx, tc.wy)
		}
	}
}

// TestPlayersDoNotOverlap: two players running into each other stop
// touching, not overlapping.
func TestPlayersDoNotOverlap(t *testing.T) {
	h, _ := newRoom(t, noBots, 0, 1, "a", "b")
	a, b := place(h, "a", 300, 300), place(h, "b", 400, 300)
	input(t, h, "a", &shooterv1.Input{MoveX: 1})
	input(t, h, "b", &shooterv1.Input{MoveX: -1})
	for range 60 {
		run(t, h, 1)
		if d := dist(a, b); d < 2*Radius-1e-3 {
			t.Fatalf("overlapping: %v apart", d)
		}
	}
	if math.Abs(float64(a.X+b.X)/2-350) > 1e-3 {
		t.Errorf("a head-on push should be symmetric: %v, %v", a, b)
	}
}

// TestStepPredictsTheServer replays a player's inputs with Step, as a
// client predicts, and gets the server's positions bit for bit, walls and
// obstacles included.
func TestStepPredictsTheServer(t *testing.T) {
	for _, hz := range []int{60, 20} {
		h, _ := newRoom(t, noBots, hz, 1, "a")
		pl := place(h, "a", 1300, 1380) // near the centre block's corner
		rng := rand.New(rand.NewPCG(1, 2))
		x, y := pl.X, pl.Y
		for i := range 2000 {
			in := &shooterv1.Input{MoveX: float32(rng.NormFloat64()), MoveY: float32(rng.NormFloat64())}
			if i%7 == 0 {
				in.MoveX, in.MoveY = 1, 1
			}
			input(t, h, "a", in)
			run(t, h, 1)
			x, y, _, _ = Step(x, y, in.MoveX, in.MoveY, hz)
			if x != pl.X || y != pl.Y {
				t.Fatalf("%d Hz, tick %d: predicted %v,%v, server %v,%v", hz, i, x, y, pl.X, pl.Y)
			}
		}
	}
}

// Package rules is the arena's game logic with no runtime attached: the
// moves, bounces, rams and respawns of one room over a
// tickwire.arena.v1.State, drawing randomness from the *rand.Rand it is
// handed. The native game (package arena, on tick.Room) and the WebAssembly
// guest (examples/arena/wasm, on wasmgame/guest) both run it, so the two
// produce identical states for the same seed and inputs.
package rules

import (
	"math"
	"math/rand/v2"
	"slices"
	"time"

	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
)

// ReconnectGrace is how long a dropped player's bumper waits for them, and
// how long a restored room keeps the bumpers of players who have not joined
// again.
const ReconnectGrace = 10 * time.Second

// The rules, in world units and seconds.
const (
	Width  = 800
	Height = 600
	Radius = 16 // every bumper is a circle of this radius

	Speed    = 180 // units/s at full steer
	MaxHP    = 100
	RamSpeed = 90  // approach speed above which a hit does damage
	RamHP    = 20  // hp a rammed player loses
	WallHP   = 5   // hp lost when knocked into a wall
	Knock    = 300 // knock-back speed a collision gives both players
	// KnockDecay is the fraction of knock-back speed kept after one second.
	KnockDecay = 0.01
)

// Arena is one room's logic and what it remembers beyond the state. It is
// not safe for concurrent use: its room's goroutine (or the guest) owns it.
type Arena struct {
	ids    []string          // seated players, sorted: every loop is in this order, so a room replays exactly
	pilots map[string]*pilot // what the game remembers per player beyond the state
	// awaited are the players of a restored room who have not joined
	// again, with the time they have left to; their bumpers stand still.
	awaited map[string]time.Duration
}

// pilot is the per-player memory that clients do not need to see.
type pilot struct {
	steerX, steerY float64 // the last input, length <= 1
	knockX, knockY float64 // knock-back velocity, decaying
	lastHitBy      string  // who gets the score if this player goes down
}

// New returns the logic of one new room.
func New() *Arena { return &Arena{pilots: map[string]*pilot{}} }

// Init sets up an empty arena in s.
func (a *Arena) Init(s *arenav1.State) {
	s.Width, s.Height = Width, Height
	s.Players = map[string]*arenav1.Player{}
}

// Restore takes over s, restored from a snapshot: its players' bumpers are
// in the state but none is seated. Each keeps his place, hp and score for
// ReconnectGrace; one who does not join again by then is removed.
func (a *Arena) Restore(s *arenav1.State) {
	if s.Players == nil {
		s.Players = map[string]*arenav1.Player{}
	}
	a.awaited = make(map[string]time.Duration, len(s.Players))
	for id, pl := range s.Players {
		pl.Vx, pl.Vy = 0, 0
		a.awaited[id] = ReconnectGrace
	}
}

// Join spawns id at a free spot with full hp, or, in a restored room, puts
// him back where the snapshot left him.
func (a *Arena) Join(s *arenav1.State, rng *rand.Rand, id string) {
	a.pilots[id] = &pilot{}
	i, _ := slices.BinarySearch(a.ids, id)
	a.ids = slices.Insert(a.ids, i, id)
	if _, ok := s.Players[id]; ok && a.awaited != nil {
		if _, ok := a.awaited[id]; ok {
			delete(a.awaited, id)
			return
		}
	}
	pl := &arenav1.Player{Hp: MaxHP}
	s.Players[id] = pl
	a.spawn(s, rng, id, pl)
}

// Leave removes id from the arena.
func (a *Arena) Leave(s *arenav1.State, id string) {
	delete(a.pilots, id)
	delete(s.Players, id)
	if i, ok := slices.BinarySearch(a.ids, id); ok {
		a.ids = slices.Delete(a.ids, i, i+1)
	}
}

// Input sets id's steering until its next input. Lengths over 1 are cut to
// 1; non-finite values stop the player.
func (a *Arena) Input(id string, in *arenav1.Input) {
	pi := a.pilots[id]
	if pi == nil {
		return
	}
	x, y := float64(in.Dx), float64(in.Dy)
	if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
		x, y = 0, 0
	}
	if l := math.Hypot(x, y); l > 1 {
		x, y = x/l, y/l
	}
	pi.steerX, pi.steerY = x, y
}

// Tick moves every player by dt, bounces them off the walls and each
// other, and respawns the knocked out.
func (a *Arena) Tick(s *arenav1.State, rng *rand.Rand, dt time.Duration) {
	sec := dt.Seconds()
	players := s.Players
	for id, left := range a.awaited {
		if left -= dt; left > 0 {
			a.awaited[id] = left
			continue
		}
		delete(a.awaited, id)
		if _, seated := a.pilots[id]; !seated {
			delete(players, id)
		}
	}
	keep := math.Pow(KnockDecay, sec)
	for _, id := range a.ids {
		pl, pi := players[id], a.pilots[id]
		vx := pi.steerX*Speed + pi.knockX
		vy := pi.steerY*Speed + pi.knockY
		pi.knockX, pi.knockY = settle(pi.knockX*keep), settle(pi.knockY*keep)
		x := float64(pl.X) + vx*sec
		y := float64(pl.Y) + vy*sec
		x, vx, pi.knockX = wall(pl, x, vx, pi.knockX, Width)
		y, vy, pi.knockY = wall(pl, y, vy, pi.knockY, Height)
		pl.X, pl.Y = float32(x), float32(y)
		pl.Vx, pl.Vy = float32(vx), float32(vy)
	}
	for i, idA := range a.ids {
		for _, idB := range a.ids[i+1:] {
			a.collide(idA, idB, players[idA], players[idB])
		}
	}
	for _, id := range a.ids {
		if pl := players[id]; pl.Hp <= 0 {
			if by := players[a.pilots[id].lastHitBy]; by != nil {
				by.Score++
			}
			pl.Hp = MaxHP
			a.spawn(s, rng, id, pl)
		}
	}
}

// wall keeps one coordinate inside [Radius, size-Radius]. Hitting the wall
// stops the move into it and reverses the knock-back; being knocked into it
// hurts.
func wall(pl *arenav1.Player, pos, v, knock float64, size float64) (float64, float64, float64) {
	lo, hi := float64(Radius), size-Radius
	if pos >= lo && pos <= hi {
		return pos, v, knock
	}
	if math.Abs(knock) > RamSpeed {
		pl.Hp -= WallHP
	}
	return min(max(pos, lo), hi), 0, -knock / 2
}

// collide separates two overlapping players and knocks them apart. Each
// loses RamHP if the other one came at it faster than RamSpeed.
func (a *Arena) collide(idA, idB string, pa, pb *arenav1.Player) {
	dx, dy := float64(pb.X-pa.X), float64(pb.Y-pa.Y)
	dist := math.Hypot(dx, dy)
	if dist >= 2*Radius {
		return
	}
	nx, ny := 1.0, 0.0 // from a to b; any direction for a perfect overlap
	if dist > 0 {
		nx, ny = dx/dist, dy/dist
	}
	push := (2*Radius - dist) / 2
	pa.X, pa.Y = float32(float64(pa.X)-nx*push), float32(float64(pa.Y)-ny*push)
	pb.X, pb.Y = float32(float64(pb.X)+nx*push), float32(float64(pb.Y)+ny*push)
	clampInside(pa)
	clampInside(pb)

	approachA := float64(pa.Vx)*nx + float64(pa.Vy)*ny  // a's speed towards b
	approachB := -float64(pb.Vx)*nx - float64(pb.Vy)*ny // b's speed towards a
	if approachA > RamSpeed {
		pb.Hp -= RamHP
		a.pilots[idB].lastHitBy = idA
	}
	if approachB > RamSpeed {
		pa.Hp -= RamHP
		a.pilots[idA].lastHitBy = idB
	}
	pilA, pilB := a.pilots[idA], a.pilots[idB]
	pilA.knockX, pilA.knockY = -nx*Knock, -ny*Knock
	pilB.knockX, pilB.knockY = nx*Knock, ny*Knock
}

// spawn puts pl at a random spot clear of everyone else (the best of a few
// tries when the arena is crowded) and at rest.
func (a *Arena) spawn(s *arenav1.State, rng *rand.Rand, id string, pl *arenav1.Player) {
	players := s.Players
	var bestX, bestY, bestGap float64
	for try := range 16 {
		x := Radius + rng.Float64()*(Width-2*Radius)
		y := Radius + rng.Float64()*(Height-2*Radius)
		gap := math.Inf(1)
		for _, other := range a.ids {
			if o := players[other]; other != id && o != nil {
				gap = min(gap, math.Hypot(float64(o.X)-x, float64(o.Y)-y))
			}
		}
		if try == 0 || gap > bestGap {
			bestX, bestY, bestGap = x, y, gap
		}
		if gap > 4*Radius {
			break
		}
	}
	pl.X, pl.Y, pl.Vx, pl.Vy = float32(bestX), float32(bestY), 0, 0
	pi := a.pilots[id]
	pi.knockX, pi.knockY, pi.lastHitBy = 0, 0, ""
}

func clampInside(pl *arenav1.Player) {
	pl.X = min(max(pl.X, Radius), Width-Radius)
	pl.Y = min(max(pl.Y, Radius), Height-Radius)
}

// settle zeroes knock-back too small to matter, so a resting player's
// state stops changing (and costs nothing on the wire).
func settle(v float64) float64 {
	if math.Abs(v) < 1 {
		return 0
	}
	return v
}

// Package arena is Tickwire's first game: round bumpers steer around a
// walled arena, bounce off the walls and each other, and lose hit points
// when they are rammed. A player knocked down to 0 hp respawns elsewhere
// and the one who rammed it scores.
//
// Importing the package registers the game as "arena" (20 Hz, up to 50
// players). Its state and input are tickwire.arena.v1.State and Input.
package arena

import (
	"math"
	"slices"
	"time"

	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	"github.com/tickwire/tickwire/tick"
)

// The arena's registration.
const (
	Name       = "arena"
	TickHz     = 20
	MaxPlayers = 50
	// ReconnectGrace is how long a dropped player's bumper waits for them.
	ReconnectGrace = 10 * time.Second
	// SnapshotEvery is how often a room's state is saved for recovery in
	// a cluster (tick.GameInfo.SnapshotEvery): a room restored on another
	// node after its node died goes back at most this far.
	SnapshotEvery = 2 * time.Second
)

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

func init() {
	tick.Register(tick.GameInfo{Name: Name, TickHz: TickHz, MinPlayers: 1, MaxPlayers: MaxPlayers, ReconnectGrace: ReconnectGrace, SnapshotEvery: SnapshotEvery}, New)
}

// New returns the Game of one new arena room.
func New() tick.Game[*arenav1.State, *arenav1.Input] {
	return &Arena{pilots: map[string]*pilot{}}
}

// Arena is one room's game. Its methods run on the room's goroutine.
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

var (
	_ tick.Game[*arenav1.State, *arenav1.Input] = (*Arena)(nil)
	_ tick.Restorer[*arenav1.State]             = (*Arena)(nil)
)

// Init sets up an empty arena.
func (a *Arena) Init(r *tick.Room[*arenav1.State]) error {
	s := r.State()
	s.Width, s.Height = Width, Height
	s.Players = map[string]*arenav1.Player{}
	return nil
}

// Restore takes over a room restored from a snapshot (cluster recovery):
// its players' bumpers are in the state but none is seated. Each keeps
// his place, hp and score for ReconnectGrace; one who does not join again
// by then is removed.
func (a *Arena) Restore(r *tick.Room[*arenav1.State]) error {
	s := r.State()
	if s.Players == nil {
		s.Players = map[string]*arenav1.Player{}
	}
	a.awaited = make(map[string]time.Duration, len(s.Players))
	for id, pl := range s.Players {
		pl.Vx, pl.Vy = 0, 0
		a.awaited[id] = ReconnectGrace
	}
	return nil
}

// Join spawns p at a free spot with full hp, or, in a restored room, puts
// him back where the snapshot left him.
func (a *Arena) Join(r *tick.Room[*arenav1.State], p tick.PlayerID) error {
	id := string(p)
	a.pilots[id] = &pilot{}
	i, _ := slices.BinarySearch(a.ids, id)
	a.ids = slices.Insert(a.ids, i, id)
	if _, ok := r.State().Players[id]; ok && a.awaited != nil {
		if _, ok := a.awaited[id]; ok {
			delete(a.awaited, id)
			return nil
		}
	}
	pl := &arenav1.Player{Hp: MaxHP}
	r.State().Players[id] = pl
	a.spawn(r, id, pl)
	return nil
}

// Leave removes p from the arena.
func (a *Arena) Leave(r *tick.Room[*arenav1.State], p tick.PlayerID) {
	id := string(p)
	delete(a.pilots, id)
	delete(r.State().Players, id)
	if i, ok := slices.BinarySearch(a.ids, id); ok {
		a.ids = slices.Delete(a.ids, i, i+1)
	}
}

// Input sets p's steering until its next input. Lengths over 1 are cut to
// 1; non-finite values stop the player.
func (a *Arena) Input(r *tick.Room[*arenav1.State], p tick.PlayerID, in *arenav1.Input) {
	pi := a.pilots[string(p)]
	x, y := float64(in.Dx), float64(in.Dy)
	if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
		x, y = 0, 0
	}
	if l := math.Hypot(x, y); l > 1 {
		x, y = x/l, y/l
	}
	pi.steerX, pi.steerY = x, y
}

// Tick moves every player, bounces them off the walls and each other, and
// respawns the knocked out.
func (a *Arena) Tick(r *tick.Room[*arenav1.State], dt time.Duration) {
	sec := dt.Seconds()
	players := r.State().Players
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
		x, vx, pi.knockX = a.wall(pl, x, vx, pi.knockX, Width)
		y, vy, pi.knockY = a.wall(pl, y, vy, pi.knockY, Height)
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
			a.spawn(r, id, pl)
		}
	}
}

// wall keeps one coordinate inside [Radius, size-Radius]. Hitting the wall
// stops the move into it and reverses the knock-back; being knocked into it
// hurts.
func (a *Arena) wall(pl *arenav1.Player, pos, v, knock float64, size float64) (float64, float64, float64) {
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
func (a *Arena) spawn(r *tick.Room[*arenav1.State], id string, pl *arenav1.Player) {
	players := r.State().Players
	rng := r.Rand()
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

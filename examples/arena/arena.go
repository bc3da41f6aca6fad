// Package arena is Tickwire's first game: round bumpers steer around a
// walled arena, bounce off the walls and each other, and lose hit points
// when they are rammed. A player knocked down to 0 hp respawns elsewhere
// and the one who rammed it scores.
//
// Importing the package registers the game as "arena" (20 Hz, up to 50
// players). Its state and input are tickwire.arena.v1.State and Input.
package arena

import (
	"time"

	"github.com/tickwire/tickwire/examples/arena/rules"
	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	"github.com/tickwire/tickwire/tick"
)

// The arena's registration.
const (
	Name       = "arena"
	TickHz     = 20
	MaxPlayers = 50
	// ReconnectGrace is how long a dropped player's bumper waits for them.
	ReconnectGrace = rules.ReconnectGrace
	// SnapshotEvery is how often a room's state is saved for recovery in
	// a cluster (tick.GameInfo.SnapshotEvery): a room restored on another
	// node after its node died goes back at most this far.
	SnapshotEvery = 2 * time.Second
)

// The rules, in world units and seconds (see package rules).
const (
	Width  = rules.Width
	Height = rules.Height
	Radius = rules.Radius

	Speed      = rules.Speed
	MaxHP      = rules.MaxHP
	RamSpeed   = rules.RamSpeed
	RamHP      = rules.RamHP
	WallHP     = rules.WallHP
	Knock      = rules.Knock
	KnockDecay = rules.KnockDecay
)

func init() {
	tick.Register(tick.GameInfo{Name: Name, TickHz: TickHz, MinPlayers: 1, MaxPlayers: MaxPlayers, ReconnectGrace: ReconnectGrace, SnapshotEvery: SnapshotEvery}, New)
}

// New returns the Game of one new arena room.
func New() tick.Game[*arenav1.State, *arenav1.Input] {
	return &Arena{rules: rules.New()}
}

// Arena is one room's game: package rules on a tick.Room. Its methods run
// on the room's goroutine.
type Arena struct {
	rules *rules.Arena
}

var (
	_ tick.Game[*arenav1.State, *arenav1.Input] = (*Arena)(nil)
	_ tick.Restorer[*arenav1.State]             = (*Arena)(nil)
)

// Init sets up an empty arena.
func (a *Arena) Init(r *tick.Room[*arenav1.State]) error {
	a.rules.Init(r.State())
	return nil
}

// Restore takes over a room restored from a snapshot (cluster recovery):
// its players' bumpers are in the state but none is seated. Each keeps
// his place, hp and score for ReconnectGrace; one who does not join again
// by then is removed.
func (a *Arena) Restore(r *tick.Room[*arenav1.State]) error {
	a.rules.Restore(r.State())
	return nil
}

// Join spawns p at a free spot with full hp, or, in a restored room, puts
// him back where the snapshot left him.
func (a *Arena) Join(r *tick.Room[*arenav1.State], p tick.PlayerID) error {
	a.rules.Join(r.State(), r.Rand(), string(p))
	return nil
}

// Leave removes p from the arena.
func (a *Arena) Leave(r *tick.Room[*arenav1.State], p tick.PlayerID) {
	a.rules.Leave(r.State(), string(p))
}

// Input sets p's steering until its next input. Lengths over 1 are cut to
// 1; non-finite values stop the player.
func (a *Arena) Input(_ *tick.Room[*arenav1.State], p tick.PlayerID, in *arenav1.Input) {
	a.rules.Input(string(p), in)
}

// Tick moves every player, bounces them off the walls and each other, and
// respawns the knocked out.
func (a *Arena) Tick(r *tick.Room[*arenav1.State], dt time.Duration) {
	a.rules.Tick(r.State(), r.Rand(), dt)
}

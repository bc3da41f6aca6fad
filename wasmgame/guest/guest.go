//go:build wasip1

package guest

import (
	"iter"
	"math/rand/v2"
	"slices"
	"time"
	"unsafe"

	"google.golang.org/protobuf/proto"
)

// Game is the logic of one room, as tick.Game is for a native game: the
// same five calls with the same meaning, on the guest's Room. Player ids
// are strings (tick.PlayerID's value). The guest is one room, and the host
// makes one call at a time, so a Game needs no locks; none of its methods
// may keep r, the state or an input after it returns.
//
// A panic in any method ends the room with ROOM_FAILED, as in a native
// game; so does a call that runs past the host's CallTimeout, or memory
// growth past its MemoryLimitPages.
type Game[S, I proto.Message] interface {
	// Init runs once, with r.State() empty: set up the initial state. An
	// error fails the room's creation.
	Init(r *Room[S]) error
	// Join seats player p; an error refuses the seat, and its message
	// reaches the client (as GAME_REFUSED).
	Join(r *Room[S], p string) error
	// Leave runs after p has left.
	Leave(r *Room[S], p string)
	// Input applies one input of p. The host hands a tick's inputs over in
	// one batch, at the start of that tick, in arrival order, before Tick.
	// in is reused after Input returns.
	Input(r *Room[S], p string, in I)
	// Tick advances the game by dt, the room's tick period, by mutating
	// r.State(). The host then takes the state (when it changed) and
	// diffs and broadcasts it as for any game.
	Tick(r *Room[S], dt time.Duration)
}

// Restorer is an optional capability of a Game whose rooms can be restored
// from a snapshot (tick.Restorer): Restore runs after Init once r.State()
// holds the restored state.
type Restorer[S proto.Message] interface {
	Restore(r *Room[S]) error
}

// Room is a game's handle on its room, the guest's counterpart of
// tick.Room.
type Room[S proto.Message] struct {
	state   S
	rng     *rand.Rand
	tick    uint64
	now     time.Time
	period  time.Duration
	players []string
	seated  map[string]bool
}

// State returns the room's state message. The game mutates it in place.
func (r *Room[S]) State() S { return r.state }

// Rand returns the room's random source: each draw comes from the host's
// tick.Room.Rand, seeded from the room's seed, so a guest replays exactly
// as a native game drawing from tick.Room.Rand the same way.
func (r *Room[S]) Rand() *rand.Rand { return r.rng }

// Tick returns the number of the tick being run, counting from 1 (in Init,
// Join and Leave: the last tick run).
func (r *Room[S]) Tick() uint64 { return r.tick }

// Now returns the scheduled time of the current tick (outside a tick, the
// time of the call), as tick.Room.Now.
func (r *Room[S]) Now() time.Time { return r.now }

// Period returns the room's fixed tick period.
func (r *Room[S]) Period() time.Duration { return r.period }

// Players yields the seated players in join order.
func (r *Room[S]) Players() iter.Seq[string] { return slices.Values(r.players) }

// NumPlayers returns the number of seated players.
func (r *Room[S]) NumPlayers() int { return len(r.players) }

// Seated reports whether p is seated.
func (r *Room[S]) Seated(p string) bool { return r.seated[p] }

// End ends the room, as tick.Room.End: at the end of the current tick, or
// right after the current call outside a tick.
func (r *Room[S]) End(reason string) { hostEnd(unsafe.StringData(reason), uint32(len(reason))) }

// Kick removes p once the current call returns, as tick.Room.Kick.
func (r *Room[S]) Kick(p, reason string) {
	hostKick(unsafe.StringData(p), uint32(len(p)), unsafe.StringData(reason), uint32(len(reason)))
}

// Refuse tells p that the game refused an input, as tick.Room.Refuse with
// code a tickwire.v1.ErrorCode value (INPUT_REFUSED is typical). Inputs
// reach the guest in a batch at the tick, so the Error carries no
// input_seq.
func (r *Room[S]) Refuse(p string, code int32, reason string) {
	hostRefuse(unsafe.StringData(p), uint32(len(p)), code, unsafe.StringData(reason), uint32(len(reason)))
}

// Log levels for Log, zerolog's numbers.
const (
	LevelDebug int32 = 0
	LevelInfo  int32 = 1
	LevelWarn  int32 = 2
	LevelError int32 = 3
)

// Log writes msg to the room's log at level. The host keeps a few lines a
// second per room and drops the rest.
func (r *Room[S]) Log(level int32, msg string) {
	hostLog(level, unsafe.StringData(msg), uint32(len(msg)))
}

func (r *Room[S]) seat(p string) {
	r.players = append(r.players, p)
	r.seated[p] = true
}

func (r *Room[S]) unseat(p string) {
	if i := slices.Index(r.players, p); i >= 0 {
		r.players = slices.Delete(r.players, i, i+1)
	}
	delete(r.seated, p)
}

// hostSource is the room's seeded source on the host.
type hostSource struct{}

func (hostSource) Uint64() uint64 { return hostRand() }

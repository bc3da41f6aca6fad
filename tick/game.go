package tick

import (
	"iter"
	"math/rand/v2"
	"time"

	"github.com/rs/zerolog"
	"google.golang.org/protobuf/proto"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
)

// PlayerID identifies a player across sessions, as the lobby issued it.
type PlayerID string

// Game is the logic of one room of a game: a value made by the factory given
// to Register for every new room. S is the game's state message, which the
// framework diffs after every tick and sends to the players; I is its input
// message, decoded from the clients' Input payloads before it reaches the
// room.
//
// Every method runs on the room's goroutine, one at a time, so a Game needs
// no locks for itself or r.State(). None may block, start work that outlives
// it, or keep r, the state or an input after it returns. A panic in any of
// them ends this room only: its players are told ROOM_FAILED and the stack is
// logged once.
type Game[S, I proto.Message] interface {
	// Init runs once before the first tick, with r.State() empty: set up the
	// initial state. An error (or panic) fails Rooms.Create.
	Init(r *Room[S]) error
	// Join seats player p. It runs between ticks, before p is in
	// r.Players(); an error refuses the seat and reaches the client (return
	// a *protocol.Error to choose its code; anything else is sent as
	// GAME_REFUSED). This is where custom join checks go.
	Join(r *Room[S], p PlayerID) error
	// Leave runs after p has left, was kicked, or its seat was given up; p
	// is no longer in r.Players(). It is not called when the room itself
	// ends (see Closer).
	Leave(r *Room[S], p PlayerID)
	// Input applies one input of p. Inputs run at the start of a tick, in
	// arrival order, before Tick; at most Options.InputsPerTick per player
	// per tick. in is recycled after Input returns.
	Input(r *Room[S], p PlayerID, in I)
	// Tick advances the game by dt, the room's fixed tick period, by
	// mutating r.State(). Afterwards the framework diffs the state and
	// broadcasts the changes.
	Tick(r *Room[S], dt time.Duration)
}

// Base gives a Game no-op Init, Join and Leave: embed it and write only
// Input and Tick, and whichever of the three the game needs.
//
//	type Game struct{ tick.Base[*mypb.State] }
type Base[S proto.Message] struct{}

// Init does nothing: the state starts empty.
func (Base[S]) Init(*Room[S]) error { return nil }

// Join accepts every player.
func (Base[S]) Join(*Room[S], PlayerID) error { return nil }

// Leave does nothing.
func (Base[S]) Leave(*Room[S], PlayerID) {}

// Viewer is an optional capability of a Game: interest management. Without
// it every player sees the whole state. With it, after each tick the room
// asks View for every player's view key; players with the same key share one
// view, which FillView computes once and which is diffed and encoded once
// for all of them. A player whose key changes gets a snapshot of the new
// view. Both methods run on the room's goroutine after Tick, under the same
// rules as Game's methods.
//
// Guard an implementation with var _ tick.Viewer[*mypb.State] = (*MyGame)(nil).
type Viewer[S proto.Message] interface {
	// View returns the key of p's view, e.g. "3,4" for a map region. Keep
	// the number of distinct keys small: each costs a diff and an encode.
	View(r *Room[S], p PlayerID) string
	// FillView writes what players of view key see into dst, an empty state
	// message owned by the room (typically a subset of r.State()). dst must
	// not share mutable sub-messages with r.State().
	FillView(r *Room[S], key string, dst S)
}

// Topics is an optional capability of a Game: interest management by
// subscription, for worlds too big to send whole and too shared for one view
// per player (a huge board in chunks, an overview map, a leaderboard, a
// player's private rack). Each player subscribes to any number of topics;
// each topic's state is filled, diffed and encoded once per tick for all its
// subscribers, and its frames carry the topic's name (StateFrame.topic), so a
// client keeps one replica per topic. A player who gains a topic gets its
// snapshot; one who loses it gets a frame with StateFrame.unsubscribed set.
// A game has either Topics or Viewer, not both: Rooms.Create refuses a
// game that implements both.
//
// All three methods run on the room's goroutine after Tick, under the same
// rules as Game's methods. Guard an implementation with
// var _ tick.Topics[*mypb.State] = (*MyGame)(nil).
type Topics[S proto.Message] interface {
	// Topics appends the topics p receives to dst and returns it (the room
	// reuses dst). Scrolling a view is a change of the topics returned here.
	Topics(r *Room[S], p PlayerID, dst []string) []string
	// TopicVersion returns a number that changes whenever topic's state
	// changes. The room refills and diffs a topic only when its version
	// moved since the last tick it did, so unchanged topics cost nothing.
	TopicVersion(r *Room[S], topic string) uint64
	// FillTopic writes the state of topic into dst, an empty state message
	// owned by the room. dst must not share mutable sub-messages with
	// r.State().
	FillTopic(r *Room[S], topic string, dst S)
}

// Restorer is an optional capability of a Game whose rooms can be restored
// from a snapshot (GameInfo.SnapshotEvery, RoomOptions.Restore): Restore
// runs after Init, once r.State() holds the restored state, to rebuild what
// the game keeps outside its state. Players are not seated yet; they join
// again.
type Restorer[S proto.Message] interface {
	Restore(r *Room[S]) error
}

// Closer is an optional capability of a Game: Close runs on the room's
// goroutine when the room ends for any reason (closed, shut down, ended by
// the game, even after a panic) to release what the game holds. Its players
// are already told the room ended.
type Closer[S proto.Message] interface {
	Close(r *Room[S])
}

// Room is a game's handle on its room, passed to every Game method. It is
// only valid on the room's goroutine, during the call it was passed to.
type Room[S proto.Message] struct {
	rm    *room
	state S
}

// ID returns the room's id.
func (r *Room[S]) ID() string { return r.rm.id }

// Info returns the game's registration, with the room's own tick rate and
// player limit.
func (r *Room[S]) Info() GameInfo { return r.rm.gameInfo() }

// State returns the room's state message. The game mutates it in place; the
// framework reads it after each tick.
func (r *Room[S]) State() S { return r.state }

// Tick returns the number of the tick being run, counting from 1. Outside
// Tick and Input (in Init, Join, Leave) it is the number of the last tick
// run. Skipped deadlines (see Options.MaxCatchUp) do not count.
func (r *Room[S]) Tick() uint64 { return r.rm.ticks }

// Now returns the scheduled time of the current tick (its deadline, not the
// moment it happened to start), so game time advances in exact steps of the
// period. Outside a tick it is the time the call was made.
func (r *Room[S]) Now() time.Time { return r.rm.now }

// Period returns the room's fixed tick period.
func (r *Room[S]) Period() time.Duration { return r.rm.period }

// Players yields the seated players in join order.
func (r *Room[S]) Players() iter.Seq[PlayerID] {
	return func(yield func(PlayerID) bool) {
		for _, s := range r.rm.order {
			if !yield(s.id) {
				return
			}
		}
	}
}

// NumPlayers returns the number of seated players.
func (r *Room[S]) NumPlayers() int { return len(r.rm.order) }

// Seated reports whether p is seated in the room.
func (r *Room[S]) Seated(p PlayerID) bool { return r.rm.slotOf(p) != nil }

// Kick removes p once the current method returns: p is told Left with code
// GAME_REFUSED and reason, and the game's Leave runs for p.
func (r *Room[S]) Kick(p PlayerID, reason string) { r.rm.kick(p, reason) }

// End ends the room: at the end of the current tick, whose state is still
// broadcast, or right after the current method when called from Init, Join
// or Leave. Every player is told Left with reason.
func (r *Room[S]) End(reason string) { r.rm.end(reason) }

// Rand returns the room's random source, seeded from RoomOptions.Seed, so a
// game that draws only from it replays identically for the same seed and
// inputs.
func (r *Room[S]) Rand() *rand.Rand { return r.rm.rng }

// Logger returns the room's logger (component "tick", with room and game).
func (r *Room[S]) Logger() *zerolog.Logger { return &r.rm.log }

// Refuse tells player p that the game refused an input (or a request made
// through one) as against its rules: p gets an Error with code (typically
// protocol.CodeInputRefused) and reason, naming the room
// and, when called from Input, the input's seq. It does not block; a game
// should refuse without changing anything.
func (r *Room[S]) Refuse(p PlayerID, code tickwirev1.ErrorCode, reason string) {
	r.rm.refuse(p, code, reason)
}

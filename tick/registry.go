package tick

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"
)

// Tick rates a game may choose.
const (
	MinTickHz     = 1
	MaxTickHz     = 120
	DefaultTickHz = 20
)

// DefaultMaxPlayers is GameInfo.MaxPlayers when a game leaves it zero.
const DefaultMaxPlayers = 64

// GameInfo describes a game to the registry, the lobby and clients.
type GameInfo struct {
	// Name is the registry key, e.g. "arena": lower-case letters, digits,
	// '-' and '_'.
	Name string
	// TickHz is the tick rate, MinTickHz..MaxTickHz; 0 means DefaultTickHz.
	// RoomOptions.TickHz may override it per room.
	TickHz int
	// MinPlayers is the smallest party matchmaking forms; 0 means 1.
	MinPlayers int
	// MaxPlayers is the most seats a room has; 0 means DefaultMaxPlayers.
	MaxPlayers int
	// ReconnectGrace is how long a player whose connection dropped keeps
	// the seat: reconnecting within it (Handle.Join with a new Peer)
	// resumes the same player with a fresh snapshot, and the game sees
	// nothing; after it the game's Leave runs. 0 means no grace: a drop
	// is a leave.
	ReconnectGrace time.Duration
	// SnapshotEvery, when set, makes rooms of the game recoverable: at this
	// interval each room hands its encoded state to Options.OnSnapshot, and
	// RoomOptions.Restore can start a room from it on another node. 0: no
	// snapshots.
	SnapshotEvery time.Duration
	// Version is the game's own version (a release number, a commit),
	// written into room logs: Replay refuses a log recorded with another
	// version unless told to ignore it. Empty: unversioned.
	Version string
	// Record turns on the recording of the game's rooms for Replay
	// (docs/replay.md). The zero value records nothing.
	Record RecordOptions
	// Singleton makes the game one persistent room, a world rather than a
	// match (docs/writing-a-game.md, "Singleton rooms"): exactly one room
	// of it runs per node, or per cluster in cluster mode; tickwire.NewNode
	// opens it when the node starts; the lobby lists it, never closes it
	// for being idle, and joins players to it by quick-join or by
	// SingletonCode, but creates no other room of the game (Rooms.Create
	// refuses a second one with ErrSingletonRunning). false: rooms come
	// and go as players ask.
	Singleton bool
	// SingletonCode is the singleton room's join code, the stable name it
	// is known by: 1-64 of [A-Z0-9_-] (typed codes are upper-cased). The
	// codes are unique across a cluster's directory, which is what keeps
	// the room to one node. Empty: the game's Name upper-cased. Only with
	// Singleton.
	SingletonCode string
	// StateType and InputType are the full protobuf names of the game's
	// state and input messages. Register fills them in.
	StateType, InputType string
}

var (
	gameNameRE      = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	singletonCodeRE = regexp.MustCompile(`^[A-Z0-9][A-Z0-9_-]{0,63}$`)
)

// normalize fills in defaults and returns every problem found.
func (g GameInfo) normalize() (GameInfo, error) {
	var errs []string
	if !gameNameRE.MatchString(g.Name) {
		errs = append(errs, fmt.Sprintf("Name %q: want 1-64 of [a-z0-9_-]", g.Name))
	}
	if g.TickHz == 0 {
		g.TickHz = DefaultTickHz
	}
	if g.TickHz < MinTickHz || g.TickHz > MaxTickHz {
		errs = append(errs, fmt.Sprintf("TickHz %d: want %d..%d", g.TickHz, MinTickHz, MaxTickHz))
	}
	if g.MinPlayers == 0 {
		g.MinPlayers = 1
	}
	if g.MaxPlayers == 0 {
		g.MaxPlayers = DefaultMaxPlayers
	}
	if g.ReconnectGrace < 0 {
		errs = append(errs, fmt.Sprintf("ReconnectGrace %v: must not be negative", g.ReconnectGrace))
	}
	if g.MinPlayers < 1 || g.MaxPlayers < g.MinPlayers {
		errs = append(errs, fmt.Sprintf("MinPlayers %d, MaxPlayers %d: want 1 <= MinPlayers <= MaxPlayers", g.MinPlayers, g.MaxPlayers))
	}
	switch {
	case g.Singleton:
		g.SingletonCode = strings.ToUpper(strings.TrimSpace(cmp.Or(g.SingletonCode, g.Name)))
		if !singletonCodeRE.MatchString(g.SingletonCode) {
			errs = append(errs, fmt.Sprintf("SingletonCode %q: want 1-64 of [A-Z0-9_-]", g.SingletonCode))
		}
	case g.SingletonCode != "":
		errs = append(errs, fmt.Sprintf("SingletonCode %q without Singleton", g.SingletonCode))
	}
	errs = append(errs, g.Record.validate()...)
	if len(errs) > 0 {
		return g, fmt.Errorf("game %q: %s", g.Name, strings.Join(errs, "; "))
	}
	return g, nil
}

// Registry maps game names to games. Most programs use the default one,
// which games fill from their init functions with Register; tests make
// their own with NewRegistry. It is safe for concurrent use.
type Registry struct {
	mu    sync.RWMutex
	games map[string]definition
}

// NewRegistry returns an empty Registry.
func NewRegistry() *Registry { return &Registry{games: map[string]definition{}} }

// defaultRegistry is the process's one piece of global mutable state: the
// games linked into the binary, registered from their init functions.
var defaultRegistry = NewRegistry()

// DefaultRegistry returns the registry Register adds to, which Rooms use
// when Options.Registry is nil.
func DefaultRegistry() *Registry { return defaultRegistry }

// Register adds a game to the default registry; call it from the game
// package's init function. newGame makes the Game of one new room. It
// panics when info is invalid or the name is taken, like http.Handle.
//
//	func init() {
//		tick.Register(tick.GameInfo{Name: "arena", TickHz: 20, MaxPlayers: 50}, New)
//	}
//
//	func New() tick.Game[*arenav1.State, *arenav1.Input] { return &Arena{} }
func Register[S, I proto.Message](info GameInfo, newGame func() Game[S, I]) {
	RegisterIn(defaultRegistry, info, newGame)
}

// RegisterIn is Register for the registry reg.
func RegisterIn[S, I proto.Message](reg *Registry, info GameInfo, newGame func() Game[S, I]) {
	if newGame == nil {
		panic("tick: Register " + info.Name + ": nil factory")
	}
	var s S
	var in I
	if any(s) == nil || any(in) == nil {
		panic("tick: Register " + info.Name + ": state and input must be generated message pointer types")
	}
	info.StateType = string(s.ProtoReflect().Descriptor().FullName())
	info.InputType = string(in.ProtoReflect().Descriptor().FullName())
	info, err := info.normalize()
	if err != nil {
		panic("tick: Register: " + err.Error())
	}
	reg.mu.Lock()
	defer reg.mu.Unlock()
	if _, dup := reg.games[info.Name]; dup {
		panic("tick: Register: game " + info.Name + " registered twice")
	}
	reg.games[info.Name] = &gameDef[S, I]{info: info, newGame: newGame}
}

// Clone returns a new Registry with r's games: a program adds games
// configured at run time (a data directory, say) to a clone of the default
// registry, so running it twice in one process (tests) registers nothing
// twice.
func (r *Registry) Clone() *Registry {
	r.mu.RLock()
	defer r.mu.RUnlock()
	c := NewRegistry()
	for name, def := range r.games {
		c.games[name] = def
	}
	return c
}

// Lookup returns the registration of the game called name.
func (r *Registry) Lookup(name string) (GameInfo, bool) {
	d, ok := r.lookup(name)
	if !ok {
		return GameInfo{}, false
	}
	return d.gameInfo(), true
}

// Games returns every registered game, sorted by name.
func (r *Registry) Games() []GameInfo {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]GameInfo, 0, len(r.games))
	for _, d := range r.games {
		out = append(out, d.gameInfo())
	}
	slices.SortFunc(out, func(a, b GameInfo) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func (r *Registry) lookup(name string) (definition, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	d, ok := r.games[name]
	return d, ok
}

// definition is a registered game with its types erased, so the runtime
// outside gameRunner is not generic.
type definition interface {
	gameInfo() GameInfo
	newRunner(rm *room) runner
}

type gameDef[S, I proto.Message] struct {
	info    GameInfo
	newGame func() Game[S, I]
}

func (d *gameDef[S, I]) gameInfo() GameInfo { return d.info }

func (d *gameDef[S, I]) newRunner(rm *room) runner {
	g := d.newGame()
	gr := &gameRunner[S, I]{game: g, room: Room[S]{rm: rm, state: newMessage[S]()}}
	gr.viewer, _ = g.(Viewer[S])
	gr.topics, _ = g.(Topics[S])
	gr.closer, _ = g.(Closer[S])
	gr.restorer, _ = g.(Restorer[S])
	return gr
}

// runner is a room's Game with its types erased. The room calls it on its
// own goroutine and recovers panics around every call.
type runner interface {
	init() error
	restore() error
	join(p PlayerID) error
	leave(p PlayerID)
	input(p PlayerID, in proto.Message)
	tick(dt time.Duration)
	close()
	state() proto.Message
	newState() proto.Message
	newInput() proto.Message
	hasViews() bool
	view(p PlayerID) string
	fillView(key string, dst proto.Message)
	hasTopics() bool
	topicsOf(p PlayerID, dst []string) []string
	topicVersion(topic string) uint64
	fillTopic(topic string, dst proto.Message)
}

type gameRunner[S, I proto.Message] struct {
	game     Game[S, I]
	room     Room[S]
	viewer   Viewer[S]
	topics   Topics[S]
	closer   Closer[S]
	restorer Restorer[S]
}

func (g *gameRunner[S, I]) init() error {
	if g.viewer != nil && g.topics != nil {
		return fmt.Errorf("game %T implements both tick.Viewer and tick.Topics: a game has one kind of interest management", g.game)
	}
	return g.game.Init(&g.room)
}

func (g *gameRunner[S, I]) join(p PlayerID) error              { return g.game.Join(&g.room, p) }
func (g *gameRunner[S, I]) leave(p PlayerID)                   { g.game.Leave(&g.room, p) }
func (g *gameRunner[S, I]) input(p PlayerID, in proto.Message) { g.game.Input(&g.room, p, in.(I)) }
func (g *gameRunner[S, I]) tick(dt time.Duration)              { g.game.Tick(&g.room, dt) }
func (g *gameRunner[S, I]) state() proto.Message               { return g.room.state }
func (g *gameRunner[S, I]) newState() proto.Message            { return newMessage[S]() }
func (g *gameRunner[S, I]) newInput() proto.Message            { return newMessage[I]() }
func (g *gameRunner[S, I]) hasViews() bool                     { return g.viewer != nil && g.topics == nil }
func (g *gameRunner[S, I]) hasTopics() bool                    { return g.topics != nil }
func (g *gameRunner[S, I]) topicVersion(t string) uint64       { return g.topics.TopicVersion(&g.room, t) }

func (g *gameRunner[S, I]) topicsOf(p PlayerID, dst []string) []string {
	return g.topics.Topics(&g.room, p, dst)
}

func (g *gameRunner[S, I]) fillTopic(t string, dst proto.Message) {
	g.topics.FillTopic(&g.room, t, dst.(S))
}
func (g *gameRunner[S, I]) view(p PlayerID) string { return g.viewer.View(&g.room, p) }

func (g *gameRunner[S, I]) fillView(key string, dst proto.Message) {
	g.viewer.FillView(&g.room, key, dst.(S))
}

func (g *gameRunner[S, I]) restore() error {
	if g.restorer == nil {
		return nil
	}
	return g.restorer.Restore(&g.room)
}

func (g *gameRunner[S, I]) close() {
	if g.closer != nil {
		g.closer.Close(&g.room)
	}
}

// newMessage returns a new empty message of type M, a generated message
// pointer type (whose nil value still reports its type).
func newMessage[M proto.Message]() M {
	var zero M
	return zero.ProtoReflect().New().Interface().(M)
}

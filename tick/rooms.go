package tick

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	mathrand "math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/tickwire/tickwire/protocol"
)

// Options configure Rooms. The zero value works; each default is on its
// field.
type Options struct {
	// Logger gets one entry per room failure and lifecycle event, with
	// component "tick". Zero: no logging.
	Logger zerolog.Logger
	// Clock schedules the ticks. Nil: SystemClock, or the precise clock
	// when PreciseTimers is set. Tests inside testing/synctest bubbles pass
	// SystemClock{}.
	Clock Clock
	// PreciseTimers makes the Rooms wake rooms with their own timer
	// goroutines (one per P) that sleep the last 2 ms before each deadline
	// in the kernel, because Go's timers can fire up to 1 ms late while the
	// process is idle. It cuts tick jitter (p99 about 0.4 ms instead of 1.2
	// ms with few rooms) at a CPU cost that grows with the number of rooms;
	// see doc.go. Not with Clock.
	PreciseTimers bool
	// Registerer gets the Prometheus metrics. Nil: metrics are kept but not
	// registered anywhere.
	Registerer prometheus.Registerer
	// Registry is where Create finds games. Nil: DefaultRegistry().
	Registry *Registry
	// NodeID names this process in metrics and RoomInfo, for clusters.
	// Empty: no node label.
	NodeID string
	// AlignTicks makes each room's first deadline its creation time plus
	// one period. By default the first deadline is also offset by a random
	// fraction of the period (drawn from the room's seed), so that rooms
	// created together do not all tick at the same instant: measured with
	// 1,000 rooms at 20 Hz on 2 cores, tick start jitter p99 was 4.9 ms
	// aligned and 1.3 ms staggered (BENCHMARKS.md). Tests that step a fake
	// clock by whole periods set it.
	AlignTicks bool
	// OnUnseat, when set, is told each time a player loses a seat for good:
	// left, kicked, reconnection grace over, or the room ended. The lobby
	// uses it to free the player. It runs on the room's goroutine and must
	// not block.
	OnUnseat func(roomID string, player PlayerID)
	// OnSnapshot, when set, receives the state of every room whose game
	// sets GameInfo.SnapshotEvery, at that interval (cluster mode saves it
	// for room recovery). It runs on the room's goroutine and must not
	// block: hand the snapshot off.
	OnSnapshot func(RoomSnapshot)
	// RecordSink is where rooms of games whose GameInfo.Record sets
	// NodeSink are recorded (tickwire.NewNode sets it to the cluster's
	// JetStream stream in cluster mode). Nil: those games record to their
	// Record.Dir, or not at all.
	RecordSink RecordSink
	// MaxRooms caps the rooms running at once. 0: 10,000.
	MaxRooms int
	// InputsPerTick caps one player's inputs applied per tick; excess inputs
	// are refused with ErrInputRateLimited. 0: 8.
	InputsPerTick int
	// InboxSize bounds each room's inbox of inputs waiting for the next
	// tick. 0: MaxPlayers × InputsPerTick, at least 64 and at most 4096.
	InboxSize int
	// MaxCatchUp is how many already-missed ticks a late room runs back to
	// back before it skips deadlines (see doc.go). 0: 3; negative: never
	// catch up, always skip to the latest deadline.
	MaxCatchUp int
}

func (o Options) normalize() (Options, error) {
	var errs []string
	if o.Registry == nil {
		o.Registry = DefaultRegistry()
	}
	if o.MaxRooms == 0 {
		o.MaxRooms = 10_000
	}
	if o.InputsPerTick == 0 {
		o.InputsPerTick = 8
	}
	if o.MaxCatchUp == 0 {
		o.MaxCatchUp = 3
	} else if o.MaxCatchUp < 0 {
		o.MaxCatchUp = 0
	}
	if o.MaxRooms < 0 {
		errs = append(errs, fmt.Sprintf("MaxRooms %d: want >= 0", o.MaxRooms))
	}
	if o.InputsPerTick < 0 || o.InputsPerTick > 1024 {
		errs = append(errs, fmt.Sprintf("InputsPerTick %d: want 0..1024", o.InputsPerTick))
	}
	if o.InboxSize < 0 || o.InboxSize > 1<<16 {
		errs = append(errs, fmt.Sprintf("InboxSize %d: want 0..65536", o.InboxSize))
	}
	if o.PreciseTimers && o.Clock != nil {
		errs = append(errs, "PreciseTimers with a Clock: choose one")
	}
	if len(errs) > 0 {
		return o, fmt.Errorf("tick options: %s", strings.Join(errs, "; "))
	}
	return o, nil
}

// RoomOptions configure one room. The zero value takes the game's settings.
type RoomOptions struct {
	// MaxPlayers lowers the game's MaxPlayers for this room. 0: the game's.
	MaxPlayers int
	// TickHz overrides the game's tick rate, MinTickHz..MaxTickHz. 0: the
	// game's.
	TickHz int
	// Seed seeds Room.Rand. 0: a random seed.
	Seed uint64
	// ID gives the room this id instead of a fresh one (a room restored on
	// another node keeps its id); Create fails with ErrRoomExists when a
	// room of this process has it.
	ID string
	// Restore starts the room from a state snapshot (RoomSnapshot.State):
	// after Init, the state is replaced by it, then the game's Restorer
	// runs, if it has one. A snapshot that does not decode fails Create.
	Restore []byte
}

// RoomSnapshot is a room's state as Options.OnSnapshot receives it, every
// GameInfo.SnapshotEvery: enough to restore the room elsewhere with
// RoomOptions{ID: RoomID, Restore: State}.
type RoomSnapshot struct {
	RoomID, Game string
	Tick         uint64
	// State is the state message, deterministically encoded; it belongs to
	// the receiver.
	State []byte
	// Players are the seated players, in join order.
	Players []PlayerID
}

// Rooms owns every room of a process and their goroutines (one per room,
// see doc.go for why). Its methods are safe for concurrent use.
type Rooms struct {
	opts  Options
	log   zerolog.Logger
	m     *metrics
	stats tickStats

	mu     sync.Mutex
	rooms  map[string]*Handle
	closed bool
	wg     sync.WaitGroup // one per room goroutine

	precise   *preciseClock  // the default clock, nil when Options.Clock is set
	clockWG   sync.WaitGroup // its waker goroutine
	stopClock sync.Once
}

// NewRooms returns an empty Rooms. It fails if opts are invalid or the
// metrics cannot be registered on opts.Registerer.
func NewRooms(opts Options) (*Rooms, error) {
	opts, err := opts.normalize()
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(opts.Registerer, opts.NodeID)
	if err != nil {
		return nil, fmt.Errorf("tick metrics: %w", err)
	}
	rs := &Rooms{
		opts:  opts,
		log:   opts.Logger.With().Str("component", "tick").Logger(),
		m:     m,
		rooms: map[string]*Handle{},
	}
	switch {
	case opts.PreciseTimers:
		rs.precise = newPreciseClock(runtime.GOMAXPROCS(0))
		rs.opts.Clock = rs.precise
		rs.precise.start(&rs.clockWG)
	case opts.Clock == nil:
		rs.opts.Clock = SystemClock{}
	}
	if opts.RecordSink == nil {
		for _, g := range opts.Registry.Games() {
			if g.Record.NodeSink && g.Record.Dir == "" {
				rs.log.Warn().Str("game", g.Name).Msg("game records into the node's sink (Record.NodeSink), and this node has none: its rooms run unrecorded")
			}
		}
	}
	return rs, nil
}

// Games returns the games rooms can be created for, sorted by name.
func (rs *Rooms) Games() []GameInfo { return rs.opts.Registry.Games() }

// Create starts a room of game and returns once the game's Init has run on
// the room's goroutine. It fails with ErrGameNotFound, ErrTooManyRooms,
// ErrClosed, ErrSingletonRunning, an invalid opts, Init's error, or ctx's
// error (the room is then stopped).
func (rs *Rooms) Create(ctx context.Context, game string, opts RoomOptions) (*Handle, error) {
	def, ok := rs.opts.Registry.lookup(game)
	if !ok {
		return nil, fmt.Errorf("create room of %q: %w", game, ErrGameNotFound)
	}
	info := def.gameInfo()
	info.Record = info.Record.withNodeSink(rs.opts.RecordSink)
	if opts.TickHz != 0 {
		if opts.TickHz < MinTickHz || opts.TickHz > MaxTickHz {
			return nil, fmt.Errorf("create room of %q: TickHz %d: want %d..%d", game, opts.TickHz, MinTickHz, MaxTickHz)
		}
		info.TickHz = opts.TickHz
	}
	if opts.MaxPlayers != 0 {
		if opts.MaxPlayers < 1 || opts.MaxPlayers > info.MaxPlayers {
			return nil, fmt.Errorf("create room of %q: MaxPlayers %d: want 1..%d", game, opts.MaxPlayers, info.MaxPlayers)
		}
		info.MaxPlayers = opts.MaxPlayers
	}
	if opts.Seed == 0 {
		opts.Seed = mathrand.Uint64()
	}

	rs.mu.Lock()
	if rs.closed {
		rs.mu.Unlock()
		return nil, ErrClosed
	}
	if len(rs.rooms) >= rs.opts.MaxRooms {
		rs.mu.Unlock()
		return nil, ErrTooManyRooms
	}
	if info.Singleton {
		if running := rs.runningLocked(game); running != "" {
			rs.mu.Unlock()
			return nil, fmt.Errorf("create room of %q: room %s: %w", game, running, ErrSingletonRunning)
		}
	}
	id := opts.ID
	if id != "" && rs.rooms[id] != nil {
		rs.mu.Unlock()
		return nil, fmt.Errorf("create room %s: %w", id, ErrRoomExists)
	}
	for id == "" || rs.rooms[id] != nil {
		id = newRoomID()
	}
	rm := rs.newRoom(id, def, info, opts.Seed)
	rm.restore = opts.Restore
	rm.startRing()
	rs.rooms[id] = rm.handle
	initDone := make(chan error, 1)
	rs.wg.Go(func() { rm.run(initDone) })
	rs.mu.Unlock()

	select {
	case err := <-initDone:
		if err != nil {
			return nil, fmt.Errorf("create room of %q: %w", game, err)
		}
		rs.log.Debug().Str("room", id).Str("game", game).Msg("room created")
		return rm.handle, nil
	case <-ctx.Done():
		rm.requestStop(endCause{code: protocol.CodeUnspecified, reason: reasonClosed})
		return nil, fmt.Errorf("create room of %q: %w", game, ctx.Err())
	}
}

func (rs *Rooms) newRoom(id string, def definition, info GameInfo, seed uint64) *room {
	inputCap := rs.opts.InputsPerTick
	inbox := rs.opts.InboxSize
	if inbox == 0 {
		inbox = min(max(info.MaxPlayers*inputCap, 64), 4096)
	}
	rm := &room{
		id:         id,
		node:       rs.opts.NodeID,
		info:       info,
		period:     time.Second / time.Duration(info.TickHz),
		maxCatchUp: int64(rs.opts.MaxCatchUp),
		inputCap:   int32(inputCap),
		clock:      rs.opts.Clock,
		log:        rs.log.With().Str("room", id).Str("game", info.Name).Logger(),
		m:          rs.m.forGame(info.Name),
		stats:      &rs.stats,
		forget:     rs.forget,
		onUnseat:   rs.opts.OnUnseat,
		onSnapshot: rs.opts.OnSnapshot,
		align:      rs.opts.AlignTicks,
		created:    rs.opts.Clock.Now(),
		inbox:      make(chan inboxItem, inbox),
		wake:       make(chan struct{}, 1),
		seats:      map[PlayerID]*slot{},
		stop:       make(chan struct{}),
		done:       make(chan struct{}),
		rng:        mathrand.New(mathrand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		seed:       seed,
	}
	rm.handle = &Handle{rm: rm}
	rm.game = def.newRunner(rm)
	rm.inputPool.New = func() any { return rm.game.newInput() }
	rm.bc.init(id, rm.game.newState(), rm.game.hasViews(), rm.game.hasTopics())
	return rm
}

// ErrSingletonRunning is Create's error for a second room of a singleton
// game (GameInfo.Singleton) while its room runs in this Rooms: a
// *protocol.Error (BAD_REQUEST), like the runtime's other errors.
var ErrSingletonRunning = &protocol.Error{Code: protocol.CodeBadRequest, Msg: "the game has one room, running already: join it"}

// runningLocked returns the id of a room of game that has not ended, or
// "". The caller holds rs.mu.
func (rs *Rooms) runningLocked(game string) string {
	for id, h := range rs.rooms {
		if h.rm.info.Name == game && !h.rm.ended.Load() {
			return id
		}
	}
	return ""
}

// forget removes rm once its goroutine ends. Called on rm's goroutine.
func (rs *Rooms) forget(rm *room) {
	rs.mu.Lock()
	if rs.rooms[rm.id] == rm.handle {
		delete(rs.rooms, rm.id)
	}
	rs.mu.Unlock()
}

// Get returns the running room with id, or ErrRoomNotFound.
func (rs *Rooms) Get(id string) (*Handle, error) {
	rs.mu.Lock()
	h := rs.rooms[id]
	rs.mu.Unlock()
	if h == nil || h.rm.ended.Load() {
		return nil, fmt.Errorf("room %q: %w", id, ErrRoomNotFound)
	}
	return h, nil
}

// List returns the running rooms of game (of every game when game is
// empty), sorted by id.
func (rs *Rooms) List(game string) []RoomInfo {
	rs.mu.Lock()
	out := make([]RoomInfo, 0, len(rs.rooms))
	for _, h := range rs.rooms {
		if game == "" || h.rm.info.Name == game {
			out = append(out, h.Info())
		}
	}
	rs.mu.Unlock()
	slices.SortFunc(out, func(a, b RoomInfo) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Len returns the number of rooms running.
func (rs *Rooms) Len() int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return len(rs.rooms)
}

// TickStats returns statistics of every tick run since the previous call.
// It is meant for one reader, such as the bench harness.
func (rs *Rooms) TickStats() TickStats { return rs.stats.take() }

// Close stops every room (their players are told Left with SHUTTING_DOWN)
// and waits for every room goroutine to end, or for ctx. Create fails with
// ErrClosed afterwards. Close may be called more than once.
func (rs *Rooms) Close(ctx context.Context) error {
	rs.mu.Lock()
	rs.closed = true
	handles := make([]*Handle, 0, len(rs.rooms))
	for _, h := range rs.rooms {
		handles = append(handles, h)
	}
	rs.mu.Unlock()
	for _, h := range handles {
		h.rm.requestStop(endCause{code: protocol.CodeShuttingDown, reason: reasonShutdown})
	}
	waited := make(chan struct{})
	go func() { // ends when the rooms do, even if ctx does first
		rs.wg.Wait()
		if rs.precise != nil {
			rs.stopClock.Do(func() { close(rs.precise.stop) })
			rs.clockWG.Wait()
		}
		close(waited)
	}()
	select {
	case <-waited:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("close rooms: %w", ctx.Err())
	}
}

var roomIDEncoding = base32.NewEncoding("abcdefghijkmnpqrstuvwxyz23456789").WithPadding(base32.NoPadding)

// newRoomID returns 8 random characters (40 bits), easy to read aloud.
func newRoomID() string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return roomIDEncoding.EncodeToString(b[:])
}

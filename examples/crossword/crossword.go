// Package crossword is Tickwire's massively multiplayer online crossword,
// after Scrabb.ly: everyone plays at once on one enormous shared board
// (16,384 × 16,384 cells, stored sparsely in 16 × 16 chunks), laying words
// from a rack of seven tiles; a tile once played stays forever. Each player
// receives only the chunks in view, a coarse overview of the world, the
// leaderboard and its own rack, through topics (tick.Topics), so players
// looking at the same chunks share encoded updates.
//
// # Nothing acknowledged is lost
//
// The world survives restarts and crashes (kill -9, power loss) in
// Config.DataDir: a snapshot every Config.SnapshotEvery, and between
// snapshots a journal (journal.go) of every tick that changed the world,
// one record per tick (its plays, swaps, joins, views, lives, with the
// players' whole states and the new tiles), length-prefixed and CRC-32C
// checked. At start the snapshot is loaded and the journal's records after
// it replayed; after each snapshot the journal is cut to the records the
// snapshot lacks.
//
// A play is acknowledged to its player by its own state: the "me:" topic
// showing Player.words one higher (with last_play and the new rack). The
// game shows nothing of a tick's changes, to anyone, before the journal
// has fsynced that tick's record: the room applies a play to its state at
// once (the next plays are checked against it), seals the tick's changes
// into a record at the end of Tick and hands it to the journal's writer
// goroutine, which appends and fsyncs whatever records are waiting (one
// fsync per batch: at least one per tick that changed something) and
// says how far it got; the topics (the player's own, the chunks', the
// overview's and the leaderboard's) take a record's changes at the first
// tick after its fsync. The room never waits for the disk. Every play
// acknowledged this way is in the world after a crash; a play whose
// acknowledgement had not arrived may or may not be. The cost is latency:
// a play shows one tick (100 ms) after it was applied, plus the fsync if
// it is slower than a tick.
//
// last_input_seq is not an acknowledgement of a play: the room moves it
// as soon as it applies an input, before the record is synced. It says an
// input was taken into account (a refused one is answered with
// INPUT_REFUSED naming its seq); a client that wants to know that a play
// will survive a crash waits for its state to show it.
//
// When the disk falls behind (64 records waiting in the writer's channel,
// or 128 handed over and not yet synced), the room holds the next record
// back, merging each tick's changes into it, refuses new plays and swaps
// as too_fast ("the world is busy saving") and takes no snapshot, until
// the writer catches up. A failed write or fsync is logged and retried a
// second later, rewriting the whole journal; nothing is acknowledged
// meanwhile.
//
// There is one world per process, or per cluster: Register registers the
// game as "crossword" (10 Hz, up to 20,000 players), a singleton game
// (tick.GameInfo.Singleton) whose room tickwire.NewNode opens at start.
// Its state and input are tickwire.crossword.v1.State and Input; the README's
// "Crossword" section has the rules.
package crossword

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tickwire/tickwire/examples/crossword/dict"
	crosswordv1 "github.com/tickwire/tickwire/proto/tickwire/crossword/v1"
	"github.com/tickwire/tickwire/tick"
)

// The crossword's registration.
const (
	Name       = "crossword"
	TickHz     = 10
	MaxPlayers = 20_000
	// ReconnectGrace is how long a dropped player keeps its seat.
	ReconnectGrace = 30 * time.Second
)

// Config configures the game. The zero value is an in-memory world with the
// default rules.
type Config struct {
	// DataDir is where the world is kept: DataDir/crossword.snapshot,
	// DataDir/crossword.journal (what changed since the snapshot), and
	// DataDir/crossword.lock while a room has the world open. Empty: the
	// world lives in memory only, and every change is shown at once.
	// DefaultDataDir is the demo's.
	DataDir string
	// SnapshotEvery is the shortest time between two snapshots of a
	// changed world. 0: 30 s.
	SnapshotEvery time.Duration
	// Registerer gets the game's metrics (refusals by reason, plays,
	// swaps, snapshots). Nil: they are kept but not registered.
	Registerer prometheus.Registerer
	// Dict is the dictionary. Nil: dict.English().
	Dict *dict.Dict
	// LifeRegen is how long a lost life takes to come back. 0:
	// DefaultLifeRegen.
	LifeRegen time.Duration
	// ActionCooldown is the shortest time between two plays or swaps of
	// one player. 0: DefaultActionCooldown; negative: none (tests).
	ActionCooldown time.Duration
}

// DefaultSnapshotEvery is Config.SnapshotEvery's default.
const DefaultSnapshotEvery = 30 * time.Second

// SnapshotFile is the snapshot's file name inside Config.DataDir.
const SnapshotFile = "crossword.snapshot"

func (c Config) normalize() (Config, error) {
	var errs []string
	if c.SnapshotEvery == 0 {
		c.SnapshotEvery = DefaultSnapshotEvery
	}
	if c.LifeRegen == 0 {
		c.LifeRegen = DefaultLifeRegen
	}
	switch {
	case c.ActionCooldown == 0:
		c.ActionCooldown = DefaultActionCooldown
	case c.ActionCooldown < 0:
		c.ActionCooldown = 0
	}
	if c.SnapshotEvery < 0 {
		errs = append(errs, fmt.Sprintf("SnapshotEvery %v: must not be negative", c.SnapshotEvery))
	}
	if c.LifeRegen < 0 {
		errs = append(errs, fmt.Sprintf("LifeRegen %v: must not be negative", c.LifeRegen))
	}
	if c.Dict == nil {
		c.Dict = dict.English()
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("crossword config: %s", strings.Join(errs, "; "))
	}
	return c, nil
}

// DefaultDataDir returns the demo's data directory:
// os.UserCacheDir()/tickwire/crossword.
func DefaultDataDir() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("crossword data dir: %w", err)
	}
	return filepath.Join(dir, "tickwire", "crossword"), nil
}

// Info is the game's registration: a singleton game (one world, opened
// by tickwire.NewNode at start) known by the join code WorldCode.
func Info() tick.GameInfo {
	return tick.GameInfo{Name: Name, TickHz: TickHz, MinPlayers: 1, MaxPlayers: MaxPlayers, ReconnectGrace: ReconnectGrace,
		Singleton: true, SingletonCode: WorldCode}
}

// Register adds the crossword to reg (tick.DefaultRegistry() in the demo)
// with cfg. Unlike the other examples it is not registered on import,
// since it needs its data directory and metrics registry. It fails on an
// invalid cfg or metrics that cannot be registered, and panics, like
// tick.Register, when reg already has a "crossword".
func Register(reg *tick.Registry, cfg Config) error {
	cfg, err := cfg.normalize()
	if err != nil {
		return err
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return fmt.Errorf("crossword metrics: %w", err)
	}
	tick.RegisterIn(reg, Info(), func() tick.Game[*crosswordv1.State, *crosswordv1.Input] {
		return newGame(cfg, m)
	})
	return nil
}

// New returns the Game of one world with cfg, e.g. for tick.NewHarness in
// tests and benchmarks. Its metrics are registered nowhere.
func New(cfg Config) (*Game, error) {
	cfg, err := cfg.normalize()
	if err != nil {
		return nil, err
	}
	m, _ := newMetrics(nil)
	return newGame(cfg, m), nil
}

func newGame(cfg Config, m *metrics) *Game {
	return &Game{
		cfg:       cfg,
		m:         m,
		check:     checker{dict: cfg.Dict},
		players:   map[string]*player{},
		chunkVer:  map[string]uint64{},
		pubChunks: map[uint32]*crosswordv1.Chunk{},
		changes:   changes{players: map[string]struct{}{}, chunks: map[uint32]*crosswordv1.Chunk{}},
		clock:     1, // 1 is the version of what never changed
	}
}

// ErrWorldOpen is returned by Init when another room (of this process or
// another) has the data directory's world open.
var ErrWorldOpen = errors.New("the crossword world is already open")

// Game is the one world's game. Its methods run on the room's goroutine,
// except the snapshot writer's, which only sees copies (see snapshot.go).
type Game struct {
	cfg   Config
	m     *metrics
	check checker

	players map[string]*player // everyone who ever joined, by id
	online  int

	// Topic versions: each change takes the next value of clock.
	clock    uint64
	chunkVer map[string]uint64 // by chunk topic name; absent: 1
	// newChunks lists the chunks that got their first tile, newest last,
	// numbered by chunkGen: a player's topics (only non-empty chunks) are
	// rebuilt when one of them is in its view.
	newChunks   []newChunk
	chunkGen    uint64
	overviewVer uint64
	leaderVer   uint64
	// overviewDirty and leaderDirty say the overview or the leaderboard's
	// inputs changed since their last version; housekeeping publishes them
	// at most every OverviewEvery.
	overviewDirty bool
	leaderDirty   bool
	lastHouse     time.Time
	totalTiles    uint64 // in the state (the rules' "is the board empty")

	// The published world (durable.go): what the topics show.
	pubChunks map[uint32]*crosswordv1.Chunk // the chunks as of the last synced record
	pubTiles  uint64

	// Durability (durable.go). Without a DataDir, journal is nil and
	// each tick's record is published at once.
	changes  changes   // since the last seal
	held     *record   // sealed but not yet handed to the journal writer
	unsynced []*record // handed over, not yet synced, in sequence
	lastSeq  uint64    // the sequence of the last record handed over
	journal  *journal
	handoff  chan<- *record // journal.ch (tests hold records back here)
	saver    *saver         // nil without a DataDir
}

// newChunk is a chunk that got its first tile, at generation gen.
type newChunk struct {
	gen    uint64
	cx, cy int
}

// maxNewChunks bounds Game.newChunks; a player further behind rebuilds its
// topics anyway.
const maxNewChunks = 256

// player is what the game keeps of a player beyond its state message.
type player struct {
	id     string
	st     *crosswordv1.Player // in the state's players map
	topics []string            // the topics it receives, rebuilt on a change of view
	// topicsGen is the chunkGen its topics were built at.
	topicsGen uint64
	version   uint64 // of its "me:" topic
	// pub is its state as of the last synced record, what its "me:"
	// topic shows (nil until its first record is synced); never changed
	// once published.
	pub    *crosswordv1.Player
	online bool
	region int64 // overview region of its view's centre while online, -1 otherwise

	actedTick  uint64    // the tick of its last play or swap, accepted or not
	lastSubmit uint64    // hash of its last play or swap
	submitAt   time.Time // when it was made
}

var (
	_ tick.Game[*crosswordv1.State, *crosswordv1.Input] = (*Game)(nil)
	_ tick.Topics[*crosswordv1.State]                   = (*Game)(nil)
	_ tick.Closer[*crosswordv1.State]                   = (*Game)(nil)
)

// Init sets up the world: loads the snapshot in Config.DataDir when there is
// one and replays the journal's records after it, or starts an empty board.
// A snapshot or journal that cannot be read (corrupt, of another format,
// records missing) fails Init with an error naming the file; it is never
// replaced. A torn last journal record, which a crash while appending
// leaves, is cut off with a log line. Another room holding the world fails
// Init with ErrWorldOpen.
func (g *Game) Init(r *tick.Room[*crosswordv1.State]) error {
	s := r.State()
	s.Chunks = map[uint32]*crosswordv1.Chunk{}
	s.Players = map[string]*crosswordv1.Player{}
	s.Overview = &crosswordv1.Overview{RegionSize: RegionSize, RegionsPerSide: RegionsPerSide, Tiles: map[uint32]uint32{}, Viewers: map[uint32]uint32{}}
	s.NextNumber = 1
	if g.cfg.DataDir != "" {
		if err := g.open(r); err != nil {
			return err
		}
	}
	s.Rules = newRules(g.cfg)
	g.lastHouse = r.Now()
	g.publishOverview(s)
	g.publishLeaderboard(s)
	return nil
}

// open takes the data directory, loads the world from its snapshot and
// journal, and starts their writers.
func (g *Game) open(r *tick.Room[*crosswordv1.State]) error {
	s := r.State()
	log := *r.Logger()
	sv, loaded, seq, err := openSaver(g.cfg.DataDir, g.cfg.SnapshotEvery, g.m, log)
	if err != nil {
		return err
	}
	jr, entries, err := openJournal(g.cfg.DataDir, seq, g.m, log)
	if err != nil {
		sv.abandon()
		return err
	}
	world, err := g.replay(loaded, entries, jr.path)
	if err != nil {
		sv.abandon()
		return err
	}
	g.saver = sv
	if world != nil {
		if err := g.restore(s, world); err != nil {
			g.saver = nil
			sv.abandon()
			if len(entries) > 0 {
				return fmt.Errorf("crossword: snapshot %s and journal %s: %w (the files are left as they are)", sv.path, jr.path, err)
			}
			return fmt.Errorf("crossword: snapshot %s: %w (the file is left as it is: move it away to start an empty world)", sv.path, err)
		}
		// Replayed records go into the next snapshot, which compacts
		// the journal.
		sv.dirty = len(entries) > 0
		r.Logger().Info().Str("file", sv.path).Int("journal_records", len(entries)).Int("chunks", len(s.Chunks)).Int("players", len(s.Players)).Uint64("tiles", g.totalTiles).Msg("crossword world loaded")
	}
	g.lastSeq = seq
	if len(entries) > 0 {
		g.lastSeq = entries[len(entries)-1].seq
	}
	if err := jr.begin(); err != nil {
		g.saver = nil
		sv.abandon()
		return err
	}
	g.journal, g.handoff = jr, jr.ch
	sv.written = jr.compact
	sv.last = r.Now()
	sv.start()
	return nil
}

// Join seats p: a newcomer gets a number, a full rack and lives, looking at
// the centre; a returning player finds everything as it left it.
func (g *Game) Join(r *tick.Room[*crosswordv1.State], p tick.PlayerID) error {
	s := r.State()
	id := string(p)
	pl := g.players[id]
	if pl == nil {
		st := &crosswordv1.Player{
			Number: s.NextNumber,
			Lives:  MaxLives,
			View:   &crosswordv1.View{X: Centre - DefaultView/2, Y: Centre - DefaultView/2, W: DefaultView, H: DefaultView},
		}
		s.NextNumber++
		rack := make([]byte, 0, RackSize)
		for range RackSize {
			rack = append(rack, draw(r.Rand().IntN))
		}
		st.Rack = string(rack)
		s.Players[id] = st
		pl = &player{id: id, st: st, region: -1}
		g.players[id] = pl
		g.leaderDirty = true
	}
	if !pl.online {
		g.online++
	}
	pl.online = true
	pl.st.Online = true
	g.regen(pl, r.Now())
	g.setView(s, pl, pl.st.View)
	g.touch(pl)
	g.overviewDirty = true
	return nil
}

// Leave marks p offline; its tiles, score and rack stay.
func (g *Game) Leave(r *tick.Room[*crosswordv1.State], p tick.PlayerID) {
	pl := g.players[string(p)]
	if pl == nil || !pl.online {
		return
	}
	pl.online = false
	pl.st.Online = false
	g.online--
	g.moveViewer(r.State(), pl, -1)
	g.touch(pl)
	g.overviewDirty = true
	g.leaderDirty = true
}

// Input applies one action of p: a view, a play or a swap.
func (g *Game) Input(r *tick.Room[*crosswordv1.State], p tick.PlayerID, in *crosswordv1.Input) {
	pl := g.players[string(p)]
	if pl == nil {
		return
	}
	switch a := in.Action.(type) {
	case *crosswordv1.Input_View:
		g.setView(r.State(), pl, a.View)
	case *crosswordv1.Input_Play:
		g.play(r, pl, a.Play)
	case *crosswordv1.Input_Swap:
		g.swap(r, pl, a.Swap)
	}
}

// Tick gives back lives, seals the tick's changes into a journal record
// (durable.go), publishes the records the journal has synced, publishes
// the overview and leaderboard at most every OverviewEvery, and hands the
// snapshot writer a copy of a changed world at most every
// Config.SnapshotEvery.
func (g *Game) Tick(r *tick.Room[*crosswordv1.State], dt time.Duration) {
	now := r.Now()
	s := r.State()
	house := now.Sub(g.lastHouse) >= OverviewEvery
	if house {
		g.lastHouse = now
		for _, pl := range g.players {
			if pl.online && pl.st.Lives < MaxLives && g.regen(pl, now) {
				g.touch(pl)
			}
		}
	}
	g.seal(s)
	g.publishSynced(s)
	if house {
		if g.overviewDirty {
			g.publishOverview(s)
		}
		if g.leaderDirty {
			g.publishLeaderboard(s)
		}
	}
	// A snapshot holds exactly the records handed over: none while one
	// is held back.
	if g.saver != nil && g.held == nil {
		g.saver.maybeSave(s, g.lastSeq, now, false)
	}
}

// Close hands the last changes to the journal, writes a last snapshot and
// waits for both, then lets go of the data directory. It blocks for as
// long as those writes take: the world must be on disk before the process
// goes.
func (g *Game) Close(r *tick.Room[*crosswordv1.State]) {
	if g.saver == nil {
		return
	}
	s := r.State()
	g.seal(s)
	if g.held != nil {
		g.held.seq = g.lastSeq + 1
		g.handoff <- g.held // the writer drains its channel whatever the disk does
		g.lastSeq, g.held = g.held.seq, nil
	}
	g.saver.maybeSave(s, g.lastSeq, r.Now(), true)
	g.saver.stop() // the snapshot on disk asks the journal to compact
	g.journal.stop()
	g.publishSynced(s) // the room's last state holds what is on disk
	g.saver.abandon()
	g.saver, g.journal = nil, nil
}

// touch notes that pl's state changed: the tick's record takes it, and
// its topic moves once that is synced.
func (g *Game) touch(pl *player) { g.changedPlayer(pl) }

// regen gives pl the lives that came back by now, and reports whether any
// did.
func (g *Game) regen(pl *player, now time.Time) bool {
	st := pl.st
	changed := false
	nowMs := now.UnixMilli()
	for st.Lives < MaxLives && st.NextLifeUnixMs != 0 && st.NextLifeUnixMs <= nowMs {
		st.Lives++
		changed = true
		if st.Lives < MaxLives {
			st.NextLifeUnixMs += g.cfg.LifeRegen.Milliseconds()
		} else {
			st.NextLifeUnixMs = 0
		}
	}
	return changed
}

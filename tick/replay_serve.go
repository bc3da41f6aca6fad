package tick

import (
	"bytes"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"
)

// ReplayControl steers the rooms of a game registered with RegisterReplay:
// how fast they play the recording, and where they seek to. Its methods
// are safe for concurrent use (an HTTP handler calls them; the rooms read
// them at their ticks).
type ReplayControl struct {
	speed    atomic.Uint64 // math.Float64bits
	seekGen  atomic.Uint64
	seekTick atomic.Uint64
	tick     atomic.Uint64
	ticks    uint64 // set by RegisterReplay
}

// NewReplayControl returns a control playing at speed (1: real time).
func NewReplayControl(speed float64) *ReplayControl {
	c := &ReplayControl{}
	c.SetSpeed(speed)
	return c
}

// SetSpeed sets how many recorded ticks a room plays per tick of its own:
// 1 is real time, 0.5 half speed, 4 four times; 0 pauses. Negative values
// and NaN count as 0; it is capped at 64.
func (c *ReplayControl) SetSpeed(x float64) {
	if !(x > 0) {
		x = 0
	}
	c.speed.Store(math.Float64bits(min(x, 64)))
}

// Speed returns the speed SetSpeed set.
func (c *ReplayControl) Speed() float64 { return math.Float64frombits(c.speed.Load()) }

// Seek makes every room of the replay jump to the state after tick t (0:
// the start, before the first tick): forward by replaying the ticks in
// between, backward by replaying from the start, at up to 120 recorded
// ticks per tick of the room (at 60 Hz, 2 minutes of recording a second).
func (c *ReplayControl) Seek(t uint64) {
	c.seekTick.Store(t)
	c.seekGen.Add(1)
}

// Tick returns the recorded tick last shown by a room of the replay.
func (c *ReplayControl) Tick() uint64 { return c.tick.Load() }

// Ticks returns the number of ticks in the recording.
func (c *ReplayControl) Ticks() uint64 { return c.ticks }

// RegisterReplay registers in reg a game called name whose rooms play the
// recording log of a game of games to spectators: players who join a room
// of it (through the lobby and /ws, like any game) receive the recorded
// room's state, tick after tick, at ctl's speed, and what they send is
// ignored. Its state and input types are the recorded game's, so the
// game's own page can show it (the shooter's: ?game=NAME). It first
// replays the whole log once to check it (the result is returned) and
// fails when the log cannot be replayed or the name is taken.
func RegisterReplay(reg *Registry, name string, games *Registry, log []byte, ctl *ReplayControl, opts ReplayOptions) (*ReplayResult, error) {
	check := opts
	check.OnTick = nil
	res, err := Replay(games, bytes.NewReader(log), check)
	if err != nil {
		return res, err
	}
	src, _ := games.lookup(res.Header.Game)
	srcInfo := src.gameInfo()
	srcInfo.TickHz, srcInfo.MaxPlayers, srcInfo.Record = res.Header.TickHz, res.Header.MaxPlayers, RecordOptions{}
	info, err := GameInfo{Name: name, TickHz: res.Header.TickHz, StateType: srcInfo.StateType, InputType: srcInfo.InputType}.normalize()
	if err != nil {
		return res, err
	}
	ctl.ticks = res.Ticks
	reg.mu.Lock()
	defer reg.mu.Unlock()
	if _, dup := reg.games[name]; dup {
		return res, fmt.Errorf("register replay: game %s registered already", name)
	}
	reg.games[name] = &replayDef{info: info, src: src, srcInfo: srcInfo, h: res.Header, log: log, ctl: ctl, opts: opts}
	return res, nil
}

// replayDef is the registration of a replay's game.
type replayDef struct {
	info    GameInfo
	src     definition
	srcInfo GameInfo
	h       LogHeader
	log     []byte
	ctl     *ReplayControl
	opts    ReplayOptions
}

func (d *replayDef) gameInfo() GameInfo { return d.info }

func (d *replayDef) newRunner(rm *room) runner {
	proto := d.src.newRunner(&room{})
	return &replayRunner{d: d, st: proto.newState(), proto: proto}
}

// replayRunner is a spectator room's game: it steps a replayer of its own
// and copies the replayed state into the room's. It runs on the room's
// goroutine, like any game.
type replayRunner struct {
	d       *replayDef
	st      proto.Message // the spectator room's state
	proto   runner        // for the message types
	rp      *replayer
	lr      *logReader
	res     ReplayResult
	done    bool
	acc     float64
	seekGen uint64
	seeking bool // a seek is under way, to seekTo
	seekTo  uint64
}

// seekStepsPerTick bounds the recorded ticks a seek replays per tick of a
// spectator room.
const seekStepsPerTick = 120

// restart makes a fresh replayer at the start of the log.
func (r *replayRunner) restart() error {
	d := r.d
	r.rp = newReplayer(d.src, d.srcInfo, d.h, d.opts)
	if err := r.rp.init(); err != nil {
		return err
	}
	r.lr = newLogReader(bytes.NewReader(d.log))
	if _, err := r.lr.header(); err != nil {
		return err
	}
	r.res, r.done, r.acc = ReplayResult{}, false, 0
	return nil
}

func (r *replayRunner) step() error {
	done, err := r.rp.next(r.lr, &r.res)
	r.done = done
	if err == nil && r.d.opts.OnTick != nil && !done {
		r.d.opts.OnTick(r.rp.rm.ticks, r.rp.rm.game.state())
	}
	return err
}

func (r *replayRunner) init() error {
	r.seekGen = r.d.ctl.seekGen.Load()
	if err := r.restart(); err != nil {
		return err
	}
	r.show()
	return nil
}

func (r *replayRunner) show() {
	proto.Reset(r.st)
	proto.Merge(r.st, r.rp.rm.game.state())
	r.d.ctl.tick.Store(r.rp.rm.ticks)
}

func (r *replayRunner) tick(time.Duration) {
	ctl := r.d.ctl
	var err error
	if g := ctl.seekGen.Load(); g != r.seekGen {
		r.seekGen = g
		r.seeking, r.seekTo = true, ctl.seekTick.Load()
		if r.seekTo < r.rp.rm.ticks {
			err = r.restart()
		}
	}
	if r.seeking {
		// At most seekStepsPerTick recorded ticks per tick of the room,
		// so that a long seek keeps the room's goroutine responsive.
		for n := 0; err == nil && !r.done && r.rp.rm.ticks < r.seekTo && n < seekStepsPerTick; n++ {
			err = r.step()
		}
		r.seeking = err == nil && !r.done && r.rp.rm.ticks < r.seekTo
	} else {
		r.acc += ctl.Speed()
		for err == nil && r.acc >= 1 && !r.done {
			err = r.step()
			r.acc--
		}
		if r.done {
			r.acc = 0
		}
	}
	if err != nil {
		panic(fmt.Sprintf("replay: %v", err)) // the room's guard ends this room and logs it
	}
	r.show()
}

func (r *replayRunner) restore() error                             { return nil }
func (r *replayRunner) join(PlayerID) error                        { return nil }
func (r *replayRunner) leave(PlayerID)                             {}
func (r *replayRunner) input(PlayerID, proto.Message)              {}
func (r *replayRunner) close()                                     { r.rp.rm.callClose() }
func (r *replayRunner) state() proto.Message                       { return r.st }
func (r *replayRunner) newState() proto.Message                    { return r.proto.newState() }
func (r *replayRunner) newInput() proto.Message                    { return r.proto.newInput() }
func (r *replayRunner) hasViews() bool                             { return false }
func (r *replayRunner) view(PlayerID) string                       { return "" }
func (r *replayRunner) fillView(string, proto.Message)             {}
func (r *replayRunner) hasTopics() bool                            { return false }
func (r *replayRunner) topicsOf(_ PlayerID, dst []string) []string { return dst }
func (r *replayRunner) topicVersion(string) uint64                 { return 0 }
func (r *replayRunner) fillTopic(string, proto.Message)            {}

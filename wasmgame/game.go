package wasmgame

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/tick"
	"github.com/tickwire/tickwire/wasmgame/internal/abi"
)

// Plugin is a WASM game as the registry knows it: the Module new rooms
// start on, replaceable while rooms run. It is safe for concurrent use.
type Plugin struct {
	cur atomic.Pointer[Module]
}

// NewPlugin returns a Plugin whose rooms start on m.
func NewPlugin(m *Module) *Plugin {
	p := &Plugin{}
	p.cur.Store(m)
	return p
}

// Module returns the module new rooms start on (nil after Close).
func (p *Plugin) Module() *Module { return p.cur.Load() }

// Reload makes m the module new rooms start on, and closes the previous
// one: its rooms finish on it, and it is released after the last ends.
func (p *Plugin) Reload(m *Module) {
	if old := p.cur.Swap(m); old != nil && old != m {
		old.Close()
	}
}

// Close stops the plugin from starting rooms and closes its module (which
// its running rooms keep until they end).
func (p *Plugin) Close() {
	if old := p.cur.Swap(nil); old != nil {
		old.Close()
	}
}

// Register adds the game of p to reg under info, with S and I the game's
// state and input messages, which the guest must use too. It panics as
// tick.RegisterIn does (a bad info, a name taken).
func Register[S, I proto.Message](reg *tick.Registry, info tick.GameInfo, p *Plugin) {
	tick.RegisterIn(reg, info, func() tick.Game[S, I] { return New[S, I](p) })
}

// New returns the tick.Game of one room of p: its Init starts an instance
// of p's current module, and its Close (tick.Closer) ends it. Register
// uses it; tests give it to tick.NewHarness.
func New[S, I proto.Message](p *Plugin) tick.Game[S, I] {
	return &game[S, I]{plugin: p}
}

// game adapts one room's guest instance to tick.Game. Its methods run on
// the room's goroutine. Inputs are batched: Input only encodes, and the
// batch goes to the guest with the tick (one call into the guest per tick
// rather than one per input), or before a Join or Leave so the order of
// events is kept.
type game[S, I proto.Message] struct {
	plugin *Plugin
	in     *instance
	batch  []byte
}

var (
	_ tick.Game[proto.Message, proto.Message] = (*game[proto.Message, proto.Message])(nil)
	_ tick.Restorer[proto.Message]            = (*game[proto.Message, proto.Message])(nil)
	_ tick.Closer[proto.Message]              = (*game[proto.Message, proto.Message])(nil)
)

var deterministic = proto.MarshalOptions{Deterministic: true}

// Init starts the room's instance on the plugin's current module and runs
// the guest's Init.
func (g *game[S, I]) Init(r *tick.Room[S]) error {
	for {
		m := g.plugin.Module()
		if m == nil {
			return ErrModuleClosed
		}
		in, err := newInstance(m, r)
		if errors.Is(err, ErrModuleClosed) && g.plugin.Module() != m {
			continue // reloaded meanwhile: start on the new module
		}
		if err != nil {
			return err
		}
		g.in = in
		break
	}
	res, err := g.in.call(r, exInit, g.in.m.opts.StartTimeout, uint64(r.Period()), uint64(r.Now().UnixNano()))
	if err == nil {
		err = errors.Join(g.apply(r, exInit, res))
	}
	if err != nil {
		g.in.close()
		g.in = nil
		return err
	}
	return nil
}

// Restore hands the guest the state restored from a snapshot. It runs
// inside the room's start, so on an error (the room does not start) it
// ends the instance itself.
func (g *game[S, I]) Restore(r *tick.Room[S]) error {
	err := g.restore(r)
	if err != nil {
		g.in.close()
		g.in = nil
	}
	return err
}

func (g *game[S, I]) restore(r *tick.Room[S]) error {
	b, err := deterministic.Marshal(r.State())
	if err != nil {
		return fmt.Errorf("encode restored state: %w", err)
	}
	if err := g.in.write(r, b); err != nil {
		return err
	}
	res, err := g.in.call(r, exRestore, g.in.m.opts.StartTimeout, uint64(len(b)))
	if err != nil {
		return err
	}
	return errors.Join(g.apply(r, exRestore, res))
}

// Join runs the guest's Join for p; its error refuses the seat.
func (g *game[S, I]) Join(r *tick.Room[S], p tick.PlayerID) error {
	g.flush(r)
	res := g.player(r, exJoin, p)
	return g.take(r, exJoin, res)
}

// Leave runs the guest's Leave for p.
func (g *game[S, I]) Leave(r *tick.Room[S], p tick.PlayerID) {
	g.flush(r)
	res := g.player(r, exLeave, p)
	must(g.take(r, exLeave, res))
}

// Input adds in to the batch the next tick (or Join, or Leave) hands over.
func (g *game[S, I]) Input(_ *tick.Room[S], p tick.PlayerID, in I) {
	g.batch = binary.LittleEndian.AppendUint32(g.batch, uint32(len(p)))
	g.batch = append(g.batch, p...)
	at := len(g.batch)
	g.batch = append(g.batch, 0, 0, 0, 0)
	b, err := proto.MarshalOptions{}.MarshalAppend(g.batch, in)
	must(err)
	binary.LittleEndian.PutUint32(b[at:], uint32(len(b)-at-abi.LenSize))
	g.batch = b
}

// Tick hands the guest the tick's inputs and runs its Tick, then takes the
// state if it changed.
func (g *game[S, I]) Tick(r *tick.Room[S], _ time.Duration) {
	must(g.in.write(r, g.batch))
	res, err := g.in.call(r, exTick, g.in.m.opts.CallTimeout, r.Tick(), uint64(r.Now().UnixNano()), uint64(len(g.batch)))
	g.batch = g.batch[:0]
	must(err)
	must(g.take(r, exTick, res))
}

// Close ends the room's instance.
func (g *game[S, I]) Close(*tick.Room[S]) {
	if g.in != nil {
		g.in.close()
		g.in = nil
	}
}

// flush hands over the inputs batched so far.
func (g *game[S, I]) flush(r *tick.Room[S]) {
	if len(g.batch) == 0 {
		return
	}
	must(g.in.write(r, g.batch))
	res, err := g.in.call(r, exInputs, g.in.m.opts.CallTimeout, uint64(len(g.batch)))
	g.batch = g.batch[:0]
	must(err)
	must(g.take(r, exInputs, res))
}

// player calls e, Join or Leave, for p.
func (g *game[S, I]) player(r *tick.Room[S], e export, p tick.PlayerID) uint64 {
	must(g.in.write(r, []byte(p)))
	res, err := g.in.call(r, e, g.in.m.opts.CallTimeout, uint64(len(p)), uint64(r.Now().UnixNano()))
	must(err)
	return res
}

// take applies the result of a call (see apply) and returns the game's
// own error; a failure panics, which ends the room with ROOM_FAILED.
func (g *game[S, I]) take(r *tick.Room[S], e export, res uint64) error {
	gameErr, failure := g.apply(r, e, res)
	must(failure)
	return gameErr
}

// apply applies the result of a call: the guest's new state replaces
// r.State() when it changed. It returns the game's own error (Init, Join,
// Restore) or the failure that ends the room.
func (g *game[S, I]) apply(r *tick.Room[S], e export, res uint64) (gameErr, failure error) {
	b, changed, gameErr, failure := g.in.result(r, e, res)
	if gameErr != nil || failure != nil || !changed {
		return gameErr, failure
	}
	st := r.State()
	proto.Reset(st)
	if err := proto.Unmarshal(b, st); err != nil {
		g.in.broken = &CallError{Export: exportNames[e], Err: fmt.Errorf("%w: decode the guest's state: %v", ErrGuestExit, err)}
		return nil, g.in.broken
	}
	return nil, nil
}

// must panics with err: inside a tick.Game method that fails the room
// alone, with err logged once.
func must(err error) {
	if err != nil {
		panic(err)
	}
}

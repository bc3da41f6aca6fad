//go:build wasip1

package guest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"time"
	"unsafe"

	"google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/wasmgame/internal/abi"
)

// runner is the served Game with its types erased, so the exports below
// are not generic.
type runner interface {
	init(period time.Duration, now time.Time) error
	restore(state []byte) error
	join(p string, now time.Time) error
	leave(p string, now time.Time)
	inputs(batch []byte) error
	tick(n uint64, now time.Time, batch []byte) error
	state() proto.Message
}

// The guest instance is one room, and its exports are package functions,
// so what they serve lives in package variables: the one place this
// package keeps global state, owned by the host's one call at a time.
var (
	served runner
	inBuf  []byte    // host → guest bytes (ExportBuffer)
	out    [2][]byte // the state encoding returned last (out[cur]) and the next one
	cur    int
	sent   bool   // out[cur] holds a state the host has
	errMsg []byte // the last ResultError or ResultPanic message
)

var deterministic = proto.MarshalOptions{Deterministic: true}

// Serve makes g the game of this guest. Call it once, from an init
// function of the main package.
func Serve[S, I proto.Message](g Game[S, I]) {
	if served != nil {
		panic("guest: Serve called twice")
	}
	var zs S
	var zi I
	gr := &gameRunner[S, I]{game: g, in: zi.ProtoReflect().New().Interface().(I)}
	gr.room = Room[S]{state: zs.ProtoReflect().New().Interface().(S), rng: rand.New(hostSource{}), seated: map[string]bool{}}
	gr.restorer, _ = g.(Restorer[S])
	served = gr
}

type gameRunner[S, I proto.Message] struct {
	game     Game[S, I]
	restorer Restorer[S]
	room     Room[S]
	in       I
}

func (g *gameRunner[S, I]) state() proto.Message { return g.room.state }

func (g *gameRunner[S, I]) init(period time.Duration, now time.Time) error {
	g.room.period, g.room.now = period, now
	return g.game.Init(&g.room)
}

func (g *gameRunner[S, I]) restore(state []byte) error {
	proto.Reset(g.room.state)
	if err := proto.Unmarshal(state, g.room.state); err != nil {
		return fmt.Errorf("restore state: %w", err)
	}
	if g.restorer == nil {
		return nil
	}
	return g.restorer.Restore(&g.room)
}

func (g *gameRunner[S, I]) join(p string, now time.Time) error {
	g.room.now = now
	if err := g.game.Join(&g.room, p); err != nil {
		return err
	}
	g.room.seat(p)
	return nil
}

func (g *gameRunner[S, I]) leave(p string, now time.Time) {
	g.room.now = now
	g.room.unseat(p)
	g.game.Leave(&g.room, p)
}

func (g *gameRunner[S, I]) inputs(batch []byte) error {
	for len(batch) > 0 {
		p, rest, ok := field(batch)
		if !ok {
			return errors.New("input batch: truncated player id")
		}
		in, rest, ok := field(rest)
		if !ok {
			return errors.New("input batch: truncated input")
		}
		batch = rest
		if !g.room.seated[string(p)] {
			continue // left before its input's turn came
		}
		proto.Reset(g.in)
		if err := proto.Unmarshal(in, g.in); err != nil {
			return fmt.Errorf("input of %s: %w", p, err)
		}
		g.game.Input(&g.room, string(p), g.in)
	}
	return nil
}

func (g *gameRunner[S, I]) tick(n uint64, now time.Time, batch []byte) error {
	g.room.tick, g.room.now = n, now
	if err := g.inputs(batch); err != nil {
		return err
	}
	g.game.Tick(&g.room, g.room.period)
	return nil
}

// field splits one length-prefixed field off b.
func field(b []byte) (f, rest []byte, ok bool) {
	if len(b) < abi.LenSize {
		return nil, nil, false
	}
	n := binary.LittleEndian.Uint32(b)
	b = b[abi.LenSize:]
	if uint64(n) > uint64(len(b)) {
		return nil, nil, false
	}
	return b[:n], b[n:], true
}

// guestPanic is a panic or a broken exchange with the host: the room fails.
type guestPanic struct{ msg string }

// call runs f, a game method, and returns what the host gets back: the
// state when it changed, or why there is none.
func call(f func() error) (res uint64) {
	if served == nil {
		errMsg = append(errMsg[:0], "guest: no game: the main package's init must call guest.Serve"...)
		return abi.ResultPanic
	}
	defer func() {
		if v := recover(); v != nil {
			errMsg = fmt.Appendf(errMsg[:0], "panic: %v\n%s", v, debug.Stack())
			res = abi.ResultPanic
		}
	}()
	if err := f(); err != nil {
		var gp guestPanic
		if errors.As(err, &gp) {
			errMsg = append(errMsg[:0], gp.msg...)
			return abi.ResultPanic
		}
		errMsg = append(errMsg[:0], err.Error()...)
		return abi.ResultError
	}
	next := 1 - cur
	b, err := deterministic.MarshalAppend(out[next][:0], served.state())
	if err != nil {
		errMsg = fmt.Appendf(errMsg[:0], "encode state: %v", err)
		return abi.ResultPanic
	}
	out[next] = b
	if sent && bytes.Equal(b, out[cur]) {
		return abi.ResultUnchanged
	}
	cur, sent = next, true
	return uint64(uintptr(unsafe.Pointer(unsafe.SliceData(b))))<<32 | uint64(len(b))
}

func (e guestPanic) Error() string { return e.msg }

// hostBytes returns the first n bytes the host wrote into the buffer.
func hostBytes(n uint32) ([]byte, error) {
	if uint64(n) > uint64(len(inBuf)) {
		return nil, guestPanic{fmt.Sprintf("guest: the host passed %d bytes in a buffer of %d", n, len(inBuf))}
	}
	return inBuf[:n], nil
}

//go:wasmexport tickwire_abi_v1
func abiV1() {}

//go:wasmexport tickwire_buffer
func buffer(size uint32) uint32 {
	if uint64(size) > uint64(cap(inBuf)) {
		inBuf = make([]byte, size)
	}
	inBuf = inBuf[:cap(inBuf)]
	if len(inBuf) == 0 {
		return 0
	}
	return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(inBuf))))
}

//go:wasmexport tickwire_error
func lastError() uint64 {
	if len(errMsg) == 0 {
		return 0
	}
	return uint64(uintptr(unsafe.Pointer(unsafe.SliceData(errMsg))))<<32 | uint64(len(errMsg))
}

//go:wasmexport tickwire_init
func initGame(periodNanos, nowUnixNano int64) uint64 {
	return call(func() error {
		return served.init(time.Duration(periodNanos), time.Unix(0, nowUnixNano))
	})
}

//go:wasmexport tickwire_restore
func restoreGame(n uint32) uint64 {
	return call(func() error {
		b, err := hostBytes(n)
		if err != nil {
			return err
		}
		sent = false // the host replaced its state: send ours whole
		return served.restore(b)
	})
}

//go:wasmexport tickwire_join
func join(n uint32, nowUnixNano int64) uint64 {
	return call(func() error {
		b, err := hostBytes(n)
		if err != nil {
			return err
		}
		return served.join(string(b), time.Unix(0, nowUnixNano))
	})
}

//go:wasmexport tickwire_leave
func leave(n uint32, nowUnixNano int64) uint64 {
	return call(func() error {
		b, err := hostBytes(n)
		if err != nil {
			return err
		}
		served.leave(string(b), time.Unix(0, nowUnixNano))
		return nil
	})
}

//go:wasmexport tickwire_inputs
func inputs(n uint32) uint64 {
	return call(func() error {
		b, err := hostBytes(n)
		if err != nil {
			return err
		}
		if err := served.inputs(b); err != nil {
			return guestPanic{err.Error()}
		}
		return nil
	})
}

//go:wasmexport tickwire_tick
func tick(n uint64, nowUnixNano int64, batch uint32) uint64 {
	return call(func() error {
		b, err := hostBytes(batch)
		if err != nil {
			return err
		}
		if err := served.tick(n, time.Unix(0, nowUnixNano), b); err != nil {
			return guestPanic{err.Error()}
		}
		return nil
	})
}

package wasmgame

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/tick"
	"github.com/tickwire/tickwire/wasmgame/internal/abi"
)

// hostRoom is what the host functions need of the room a call is for:
// *tick.Room[S] of any S.
type hostRoom interface {
	Rand() *rand.Rand
	End(reason string)
	Kick(p tick.PlayerID, reason string)
	Refuse(p tick.PlayerID, code tickwirev1.ErrorCode, reason string)
	Logger() *zerolog.Logger
}

// export indexes instance.fns.
type export int

const (
	exBuffer export = iota
	exInit
	exRestore
	exJoin
	exLeave
	exInputs
	exTick
	exError
	numExports
)

var exportNames = [numExports]string{abi.ExportBuffer, abi.ExportInit, abi.ExportRestore, abi.ExportJoin, abi.ExportLeave, abi.ExportInputs, abi.ExportTick, abi.ExportError}

// instance is one room's instance of a Module. Only the room's goroutine
// uses it, one call at a time; memorySize is also read by Module.
type instance struct {
	m     *Module
	mod   api.Module
	mem   api.Memory
	fns   [numExports]api.Function
	stack [4]uint64
	base  context.Context // carries the instance to the host functions

	room           hostRoom // the room of the call under way, for the host functions
	bufPtr, bufCap uint32   // the guest's input buffer (abi.ExportBuffer)
	broken         error    // the failure that stopped the guest
	stderr         head
	logs           logLimit
	memorySize     atomic.Uint32
}

type instanceKey struct{}

// instanceOf returns the instance a host function was called for.
func instanceOf(ctx context.Context) *instance {
	in, _ := ctx.Value(instanceKey{}).(*instance)
	if in == nil || in.room == nil {
		panic("wasmgame: host function called outside a room's call")
	}
	return in
}

// newInstance starts a room's instance of m: the guest runtime's
// initialisation runs under Options.StartTimeout.
func newInstance(m *Module, room hostRoom) (*instance, error) {
	in := &instance{m: m}
	in.stderr.max = 4096
	if !m.acquire(in) {
		return nil, ErrModuleClosed
	}
	in.base = context.WithValue(context.Background(), instanceKey{}, in)
	ctx, cancel := context.WithTimeout(in.base, m.opts.StartTimeout)
	defer cancel()
	cfg := wazero.NewModuleConfig().WithName("").WithStartFunctions("_initialize").WithStderr(&in.stderr)
	if m.opts.FS != nil {
		cfg = cfg.WithFSConfig(wazero.NewFSConfig().WithFSMount(m.opts.FS, "/"))
	}
	in.room = room
	mod, err := m.rt.InstantiateModule(ctx, m.compiled, cfg)
	in.room = nil
	if err != nil {
		m.forget(in)
		return nil, in.callError("_initialize", err)
	}
	in.mod, in.mem = mod, mod.Memory()
	for i, name := range exportNames {
		in.fns[i] = mod.ExportedFunction(name)
	}
	in.memorySize.Store(in.mem.Size())
	return in, nil
}

// call calls export e for room with args under timeout and returns its
// result.
func (in *instance) call(room hostRoom, e export, timeout time.Duration, args ...uint64) (uint64, error) {
	if in.broken != nil {
		return 0, in.broken
	}
	in.room = room
	in.stderr.reset()
	ctx, cancel := context.WithTimeout(in.base, timeout)
	copy(in.stack[:], args)
	err := in.fns[e].CallWithStack(ctx, in.stack[:])
	cancel()
	in.room = nil
	in.memorySize.Store(in.mem.Size())
	if err != nil {
		in.broken = in.callError(exportNames[e], err)
		return 0, in.broken
	}
	return in.stack[0], nil
}

// callError explains a failed call.
func (in *instance) callError(name string, err error) *CallError {
	var exit *sys.ExitError
	var kind error
	switch {
	case errors.As(err, &exit) && (exit.ExitCode() == sys.ExitCodeDeadlineExceeded || exit.ExitCode() == sys.ExitCodeContextCanceled):
		kind = ErrCallTimeout
	case strings.Contains(in.stderr.String(), "out of memory"):
		kind = errors.Join(ErrMemoryLimit, err)
	default:
		kind = errors.Join(ErrGuestExit, err)
	}
	return &CallError{Export: name, Err: kind, Stderr: in.stderr.String()}
}

// result turns a call's result into the guest's new state (nil when it
// did not change), the game's own error (Init, Join, Restore), or a
// failure that ends the room. state aliases guest memory until the next
// call.
func (in *instance) result(room hostRoom, e export, res uint64) (state []byte, changed bool, gameErr, failure error) {
	switch res {
	case abi.ResultUnchanged:
		return nil, false, nil, nil
	case abi.ResultError, abi.ResultPanic:
		msg, err := in.message(room)
		if err != nil {
			return nil, false, nil, err
		}
		if res == abi.ResultError {
			return nil, false, errors.New(msg), nil
		}
		in.broken = &CallError{Export: exportNames[e], Err: fmt.Errorf("%w: %s", ErrGuestPanic, msg), Stderr: in.stderr.String()}
		return nil, false, nil, in.broken
	}
	b, ok := in.mem.Read(uint32(res>>32), uint32(res))
	if !ok {
		in.broken = &CallError{Export: exportNames[e], Err: fmt.Errorf("%w: state at %#x is outside guest memory", ErrGuestExit, res)}
		return nil, false, nil, in.broken
	}
	return b, true, nil, nil
}

// message returns the guest's last error message.
func (in *instance) message(room hostRoom) (string, error) {
	res, err := in.call(room, exError, in.m.opts.CallTimeout)
	if err != nil {
		return "", err
	}
	b, ok := in.mem.Read(uint32(res>>32), uint32(res))
	if !ok {
		in.broken = &CallError{Export: abi.ExportError, Err: fmt.Errorf("%w: message outside guest memory", ErrGuestExit)}
		return "", in.broken
	}
	return string(b), nil
}

// write puts b in the guest's input buffer, growing it when too small.
func (in *instance) write(room hostRoom, b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if uint64(len(b)) > uint64(in.bufCap) {
		size := max(uint32(len(b)), 2*in.bufCap, 4096)
		ptr, err := in.call(room, exBuffer, in.m.opts.CallTimeout, uint64(size))
		if err != nil {
			return err
		}
		in.bufPtr, in.bufCap = uint32(ptr), size
	}
	if !in.mem.Write(in.bufPtr, b) {
		in.broken = &CallError{Export: abi.ExportBuffer, Err: fmt.Errorf("%w: buffer at %#x is outside guest memory", ErrGuestExit, in.bufPtr)}
		return in.broken
	}
	return nil
}

// close ends the instance and the room's hold on its module.
func (in *instance) close() {
	_ = in.mod.Close(context.Background())
	in.m.forget(in)
}

// head keeps the first max bytes the guest writes to stderr during one
// call: a Go runtime's crash starts with why it died ("fatal error: out of
// memory", "panic: ...") before its goroutine dump.
type head struct {
	max int
	b   []byte
}

func (h *head) Write(p []byte) (int, error) {
	if room := h.max - len(h.b); room > 0 {
		h.b = append(h.b, p[:min(len(p), room)]...)
	}
	return len(p), nil
}

func (h *head) reset() { h.b = h.b[:0] }

func (h *head) String() string { return strings.TrimSpace(string(h.b)) }

// logLimit lets a guest log logLinesPerSecond lines a second and counts
// the rest.
type logLimit struct {
	window  time.Time
	lines   int
	dropped int
}

const logLinesPerSecond = 10

func (l *logLimit) allow(now time.Time, log *zerolog.Logger) bool {
	if now.Sub(l.window) >= time.Second {
		if l.dropped > 0 {
			log.Warn().Int("dropped", l.dropped).Msg("guest logged too much; lines dropped")
		}
		l.window, l.lines, l.dropped = now, 0, 0
	}
	if l.lines >= logLinesPerSecond {
		l.dropped++
		return false
	}
	l.lines++
	return true
}

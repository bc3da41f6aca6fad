package wasmgame

import (
	"context"
	"errors"
	"time"

	"github.com/rs/zerolog"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/tick"
	"github.com/tickwire/tickwire/wasmgame/internal/abi"
)

// maxHostString caps the strings a guest hands the host functions (a
// reason, a log line): longer ones are cut.
const maxHostString = 1024

var errOutOfBounds = errors.New("wasmgame: guest passed a string outside its memory")

// guestString reads the string at ptr, n of the guest's memory, cut to
// maxHostString. A string outside its memory panics, which fails the call.
func guestString(mod api.Module, ptr, n uint64) string {
	b, ok := mod.Memory().Read(uint32(ptr), min(uint32(n), maxHostString))
	if !ok {
		panic(errOutOfBounds)
	}
	return string(b)
}

// instantiateHost defines the host functions of abi.HostModule in rt.
func instantiateHost(ctx context.Context, rt wazero.Runtime) error {
	i32, i64 := api.ValueTypeI32, api.ValueTypeI64
	b := rt.NewHostModuleBuilder(abi.HostModule)
	b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, _ api.Module, stack []uint64) {
		stack[0] = instanceOf(ctx).room.Rand().Uint64()
	}), nil, []api.ValueType{i64}).Export(abi.HostRand)
	b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
		instanceOf(ctx).room.End(guestString(mod, stack[0], stack[1]))
	}), []api.ValueType{i32, i32}, nil).Export(abi.HostEnd)
	b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
		in := instanceOf(ctx)
		in.room.Kick(tick.PlayerID(guestString(mod, stack[0], stack[1])), guestString(mod, stack[2], stack[3]))
	}), []api.ValueType{i32, i32, i32, i32}, nil).Export(abi.HostKick)
	b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
		in := instanceOf(ctx)
		code := tickwirev1.ErrorCode(api.DecodeI32(stack[2]))
		in.room.Refuse(tick.PlayerID(guestString(mod, stack[0], stack[1])), code, guestString(mod, stack[3], stack[4]))
	}), []api.ValueType{i32, i32, i32, i32, i32}, nil).Export(abi.HostRefuse)
	b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
		in := instanceOf(ctx)
		log := in.room.Logger()
		if !in.logs.allow(time.Now(), log) {
			return
		}
		level := zerolog.Level(api.DecodeI32(stack[0]))
		if level < zerolog.DebugLevel || level > zerolog.ErrorLevel {
			level = zerolog.InfoLevel
		}
		log.WithLevel(level).Str("from", "guest").Msg(guestString(mod, stack[1], stack[2]))
	}), []api.ValueType{i32, i32, i32}, nil).Export(abi.HostLog)
	_, err := b.Instantiate(ctx)
	return err
}

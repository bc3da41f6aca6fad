//go:build wasip1

// Command wasm is the arena as a WebAssembly guest: the rules of package
// rules on wasmgame/guest's Room instead of tick.Room, so a room of it
// hosted by wasmgame plays exactly as a native arena room with the same
// seed and inputs. Build it as a WASI reactor:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o arena.wasm ./examples/arena/wasm
package main

import (
	"time"

	"github.com/tickwire/tickwire/examples/arena/rules"
	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	"github.com/tickwire/tickwire/wasmgame/guest"
)

func init() { guest.Serve[*arenav1.State, *arenav1.Input](&arena{rules: rules.New()}) }

// main never runs: a reactor's host calls its exports after init.
func main() {}

// arena is the guest's one room.
type arena struct {
	rules *rules.Arena
}

var (
	_ guest.Game[*arenav1.State, *arenav1.Input] = (*arena)(nil)
	_ guest.Restorer[*arenav1.State]             = (*arena)(nil)
)

func (a *arena) Init(r *guest.Room[*arenav1.State]) error {
	a.rules.Init(r.State())
	return nil
}

func (a *arena) Restore(r *guest.Room[*arenav1.State]) error {
	a.rules.Restore(r.State())
	return nil
}

func (a *arena) Join(r *guest.Room[*arenav1.State], p string) error {
	a.rules.Join(r.State(), r.Rand(), p)
	return nil
}

func (a *arena) Leave(r *guest.Room[*arenav1.State], p string) {
	a.rules.Leave(r.State(), p)
}

func (a *arena) Input(_ *guest.Room[*arenav1.State], p string, in *arenav1.Input) {
	a.rules.Input(p, in)
}

func (a *arena) Tick(r *guest.Room[*arenav1.State], dt time.Duration) {
	a.rules.Tick(r.State(), r.Rand(), dt)
}

//go:build wasip1

// Command probe is the test guest of wasmgame's tests: a game whose inputs
// make it misbehave on purpose. Its state is the arena's message:
// Width is the guest's version (-ldflags "-X main.version=N"), Height counts
// its ticks, and each player's X sums the inputs' Dx. An input with Dy set
// is a command, by Dx: 1 loop forever, 2 allocate without end, 3 read
// /hello.txt (and end the room with what happened), 4 panic.
package main

import (
	"os"
	"strconv"
	"time"

	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	"github.com/tickwire/tickwire/wasmgame/guest"
)

var version = "1"

func init() { guest.Serve[*arenav1.State, *arenav1.Input](&probe{}) }

func main() {}

type probe struct {
	hog [][]byte
}

func (g *probe) Init(r *guest.Room[*arenav1.State]) error {
	v, _ := strconv.Atoi(version)
	r.State().Width = float32(v)
	r.State().Players = map[string]*arenav1.Player{}
	return nil
}

func (g *probe) Join(r *guest.Room[*arenav1.State], p string) error {
	if p == "refused" {
		return errRefused{}
	}
	r.State().Players[p] = &arenav1.Player{Hp: 100}
	return nil
}

type errRefused struct{}

func (errRefused) Error() string { return "probe refuses this player" }

func (g *probe) Leave(r *guest.Room[*arenav1.State], p string) {
	delete(r.State().Players, p)
}

func (g *probe) Input(r *guest.Room[*arenav1.State], p string, in *arenav1.Input) {
	if in.Dy == 0 {
		r.State().Players[p].X += in.Dx
		return
	}
	switch in.Dx {
	case 1:
		for { //lint:ignore SA5002 looping forever is this command
		}
	case 2:
		for { //lint:ignore SA5002 looping forever is this command
			g.hog = append(g.hog, make([]byte, 1<<20))
		}
	case 3:
		b, err := os.ReadFile("/hello.txt")
		if err != nil {
			r.End("read failed: " + err.Error())
			return
		}
		r.End("read: " + string(b))
	case 4:
		panic("probe panics")
	}
}

func (g *probe) Tick(r *guest.Room[*arenav1.State], _ time.Duration) {
	r.State().Height++
}

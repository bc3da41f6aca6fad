package wasmgame_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/examples/arena"
	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	"github.com/tickwire/tickwire/tick"
	"github.com/tickwire/tickwire/wasmgame"
)

// script is a play of an arena room: who joins and leaves when, and every
// input, drawn from its own seed so both runs of a test get the same.
type script struct {
	rng     *rand.Rand
	players []tick.PlayerID
	seated  map[tick.PlayerID]bool
}

func newScript(seed uint64, players int) *script {
	s := &script{rng: rand.New(rand.NewPCG(seed, 7)), seated: map[tick.PlayerID]bool{}}
	for i := range players {
		s.players = append(s.players, tick.PlayerID(fmt.Sprintf("p%02d", i)))
	}
	return s
}

// step is one tick's events: a join or a leave now and then, and inputs
// (steering of any length, now and then not a number).
type step struct {
	join, leave tick.PlayerID
	inputs      []stepInput
}

type stepInput struct {
	p  tick.PlayerID
	in *arenav1.Input
}

func (s *script) next(n int) step {
	var st step
	p := s.players[s.rng.IntN(len(s.players))]
	switch {
	case n < len(s.players): // everyone joins first
		p = s.players[n]
		st.join = p
		s.seated[p] = true
	case s.rng.IntN(40) == 0:
		if s.seated[p] {
			st.leave = p
		} else {
			st.join = p
		}
		s.seated[p] = !s.seated[p]
	}
	for _, q := range s.players {
		if !s.seated[q] || q == st.join || s.rng.IntN(3) == 0 {
			continue
		}
		in := &arenav1.Input{Dx: float32(s.rng.NormFloat64()), Dy: float32(s.rng.NormFloat64())}
		if s.rng.IntN(200) == 0 {
			in.Dx = float32(math.NaN())
		}
		st.inputs = append(st.inputs, stepInput{q, in})
	}
	return st
}

func (st step) play(t *testing.T, h *arenaHarness) {
	t.Helper()
	if st.join != "" {
		if err := h.Join(st.join); err != nil {
			t.Fatal(err)
		}
	}
	if st.leave != "" {
		if err := h.Leave(st.leave); err != nil {
			t.Fatal(err)
		}
	}
	for _, in := range st.inputs {
		if err := h.Input(in.p, in.in); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Tick(); err != nil {
		t.Fatal(err)
	}
}

// TestArenaWASMMatchesNative plays the same script, seed and inputs in a
// native arena room and in one of the arena built for WebAssembly
// (examples/arena/wasm, on the same rules), and requires the same state
// after every tick, on the server and in a client's replica: the guest
// draws the room's random sequence through the host, so even respawns
// land on the same spots.
func TestArenaWASMMatchesNative(t *testing.T) {
	plugin := wasmgame.NewPlugin(load(t, guests.arena, wasmgame.Options{}))
	info, _ := tick.DefaultRegistry().Lookup(arena.Name)
	scores := 0
	for _, seed := range []uint64{1, 42} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			native, err := tick.NewHarness(info, arena.New(), seed)
			if err != nil {
				t.Fatal(err)
			}
			wasm, _ := harness(t, info, plugin, seed)
			sn, sw := newScript(seed, 24), newScript(seed, 24)
			rams := 0
			for n := range 1200 {
				sn.next(n).play(t, native)
				sw.next(n).play(t, wasm)
				if !proto.Equal(native.State(), wasm.State()) {
					t.Fatalf("tick %d: states differ\nnative: %v\nwasm:   %v", n+1, native.State(), wasm.State())
				}
				for _, pl := range native.State().Players {
					if pl.Hp < arena.MaxHP {
						rams++
					}
				}
			}
			for _, p := range sn.players {
				c := wasm.Client(p)
				if c == nil || !sn.seated[p] {
					continue
				}
				if c.Err() != nil || !proto.Equal(c.State(), native.State()) {
					t.Errorf("%s's replica of the wasm room (err %v) differs from the native state", p, c.Err())
				}
			}
			if rams == 0 {
				t.Error("nobody was rammed: the script never exercised collisions")
			}
			for _, pl := range native.State().Players {
				scores += int(pl.Score)
			}
		})
	}
	if scores == 0 {
		t.Error("nobody scored: the scripts never exercised respawns")
	}
}

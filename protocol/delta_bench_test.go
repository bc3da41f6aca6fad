package protocol

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"google.golang.org/protobuf/proto"

	testingv1 "github.com/tickwire/tickwire/proto/tickwire/testing/v1"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
)

const benchPlayers = 100

// benchArena returns an arena of benchPlayers players at random places.
func benchArena() *testingv1.Arena {
	r := rand.New(rand.NewPCG(1, 2))
	a := &testingv1.Arena{Tick: 1000, Players: make(map[string]*testingv1.Player, benchPlayers)}
	for i := range benchPlayers {
		a.Players[fmt.Sprintf("player-%03d", i)] = &testingv1.Player{
			X: r.Float32() * 1000, Y: r.Float32() * 1000,
			Vx: r.Float32() - 0.5, Vy: r.Float32() - 0.5,
			Hp: 100, Score: uint32(r.IntN(50)), Name: fmt.Sprintf("Player %d", i),
		}
	}
	return a
}

// benchStep moves n players one tick (dt = 50ms) and advances the tick.
func benchStep(a *testingv1.Arena, n int) {
	a.Tick++
	moved := 0
	for i := range benchPlayers {
		if moved == n {
			break
		}
		p := a.Players[fmt.Sprintf("player-%03d", i)]
		p.X += p.Vx * 0.05
		p.Y += p.Vy * 0.05
		moved++
	}
}

// benchPair returns two consecutive ticks of an arena where moved players
// moved, the typical input of a room's diff.
func benchPair(moved int) (prev, next *testingv1.Arena) {
	prev = benchArena()
	next = proto.Clone(prev).(*testingv1.Arena)
	benchStep(next, moved)
	return prev, next
}

var benchCases = []struct {
	name  string
	moved int
}{
	{"AllMoved", benchPlayers},
	{"OneMoved", 1},
	{"Unchanged", -1},
}

func benchDeltaBytes(b *testing.B, d *tickwirev1.Delta) {
	n := 0
	if d != nil {
		n = proto.Size(d)
	}
	b.ReportMetric(float64(n), "delta-bytes/op")
}

func BenchmarkDiff(b *testing.B) {
	for _, c := range benchCases {
		b.Run(c.name, func(b *testing.B) {
			prev, next := benchPair(max(c.moved, 0))
			if c.moved < 0 {
				next = proto.Clone(prev).(*testingv1.Arena)
			}
			var d *tickwirev1.Delta
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if d, err = Diff(prev, next); err != nil {
					b.Fatal(err)
				}
			}
			benchDeltaBytes(b, d)
			b.ReportMetric(float64(proto.Size(next)), "snapshot-bytes")
		})
	}
}

func BenchmarkTrackerUpdate(b *testing.B) {
	for _, c := range benchCases {
		b.Run(c.name, func(b *testing.B) {
			// Alternate between two states so every Update sees the same
			// change (prev→next, then next→prev).
			prev, next := benchPair(max(c.moved, 0))
			states := [2]*testingv1.Arena{next, prev}
			if c.moved < 0 {
				states[0] = prev
			}
			tr := NewTracker(&testingv1.Arena{})
			if _, err := tr.Update(prev); err != nil {
				b.Fatal(err)
			}
			var d *tickwirev1.Delta
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if d, err = tr.Update(states[i&1]); err != nil {
					b.Fatal(err)
				}
				i++
			}
			benchDeltaBytes(b, d)
		})
	}
}

func BenchmarkApplyDelta(b *testing.B) {
	for _, c := range benchCases[:2] {
		b.Run(c.name, func(b *testing.B) {
			prev, next := benchPair(c.moved)
			d, err := Diff(prev, next)
			if err != nil {
				b.Fatal(err)
			}
			// Applying a delta again to its result redoes the same work
			// (decode, merge) and leaves the same state.
			state := proto.Clone(prev).(*testingv1.Arena)
			b.ReportAllocs()
			for b.Loop() {
				if err := ApplyDelta(state, d); err != nil {
					b.Fatal(err)
				}
			}
			benchDeltaBytes(b, d)
		})
	}
}

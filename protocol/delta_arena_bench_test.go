package protocol

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"google.golang.org/protobuf/proto"

	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
)

// The arena benchmark measures what a room of the arena example sends per
// tick when every player moves: the delta (B/frame) and the whole state
// frame one receiver gets (frame-B: the Envelope with the room id, tick,
// server time and its appended last_input_seq), and what encoding it costs
// the room's Tracker. Player ids are 14 characters, as the lobby makes them.

// arenaBenchState returns an arena of n players at random places, moving.
func arenaBenchState(n int) *arenav1.State {
	r := rand.New(rand.NewPCG(3, 4))
	s := &arenav1.State{Width: 1600, Height: 1200, Players: make(map[string]*arenav1.Player, n)}
	for i := range n {
		s.Players[fmt.Sprintf("p-%012d", i)] = &arenav1.Player{
			X: r.Float32() * 1600, Y: r.Float32() * 1200,
			Vx: r.Float32()*200 - 100, Vy: r.Float32()*200 - 100,
			Hp: 100, Score: uint32(r.IntN(5)),
		}
	}
	return s
}

// arenaBenchMove moves every player one 50 ms tick, steering it a little so
// that its velocity changes too.
func arenaBenchMove(s *arenav1.State, tick int) {
	for _, p := range s.Players {
		p.Vx += float32(tick%7) - 3
		p.Vy += float32(tick%5) - 2
		p.X += p.Vx * 0.05
		p.Y += p.Vy * 0.05
	}
}

// arenaBenchFrame returns the size of the Envelope a receiver gets for d.
func arenaBenchFrame(b *testing.B, d *tickwirev1.Delta, tick uint64) int {
	env := &tickwirev1.Envelope{Msg: &tickwirev1.Envelope_State{State: &tickwirev1.StateFrame{
		RoomId: "r-7QH2WKX4", Tick: tick, ServerTimeUnixNano: 1_797_000_000_000_000_000 + int64(tick)*50_000_000,
		Body: &tickwirev1.StateFrame_Delta{Delta: d},
	}}}
	buf, err := proto.MarshalOptions{Deterministic: true}.Marshal(env)
	if err != nil {
		b.Fatal(err)
	}
	return len(AppendLastInputSeq(buf, 100+tick))
}

func BenchmarkArenaTick(b *testing.B) {
	for _, n := range []int{10, 100} {
		b.Run(fmt.Sprintf("players=%d", n), func(b *testing.B) {
			// Precompute a cycle of states so that the loop measures the
			// Tracker only; every step moves every player.
			const cycle = 64
			states := make([]*arenav1.State, cycle)
			s := arenaBenchState(n)
			for i := range states {
				arenaBenchMove(s, i)
				states[i] = proto.Clone(s).(*arenav1.State)
			}
			tr := NewTracker(&arenav1.State{})
			if _, err := tr.Update(states[cycle-1]); err != nil {
				b.Fatal(err)
			}
			var d *tickwirev1.Delta
			bytes, frames := 0, 0
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if d, err = tr.Update(states[i%cycle]); err != nil {
					b.Fatal(err)
				}
				if i < cycle {
					bytes += proto.Size(d)
					frames += arenaBenchFrame(b, d, uint64(1000+i))
				}
				i++
			}
			k := min(i, cycle)
			b.ReportMetric(float64(bytes)/float64(k), "B/frame")
			b.ReportMetric(float64(frames)/float64(k), "frame-B")
			b.ReportMetric(float64(frames)/float64(k)*20, "frame-B/s@20Hz")
		})
	}
}

// BenchmarkArenaApply measures a receiver applying the arena's deltas where
// every player moves (what each client, and the bench's verifying
// generator, pays per frame).
func BenchmarkArenaApply(b *testing.B) {
	for _, n := range []int{10, 100} {
		b.Run(fmt.Sprintf("players=%d", n), func(b *testing.B) {
			prev := arenaBenchState(n)
			next := proto.Clone(prev).(*arenav1.State)
			arenaBenchMove(next, 1)
			d, err := Diff(prev, next)
			if err != nil {
				b.Fatal(err)
			}
			// Applying a delta again to its result redoes the same work.
			state := proto.Clone(prev).(*arenav1.State)
			b.ReportAllocs()
			for b.Loop() {
				if err := ApplyDelta(state, d); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(proto.Size(d)), "B/frame")
		})
	}
}

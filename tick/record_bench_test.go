package tick

import (
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/rs/zerolog"

	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
)

// benchRecorder is a recorder writing to io.Discard with players seated.
func benchRecorder(b *testing.B, opts RecordOptions, players int) (*recorder, []*slot) {
	b.Helper()
	opts.Writer = io.Discard
	info := GameInfo{Name: "bench", TickHz: 20}
	rc, err := newRecorder(opts, info, "bench", time.Now(), zerolog.Nop(), &arenav1.State{})
	if err != nil {
		b.Fatal(err)
	}
	slots := make([]*slot, players)
	for i := range slots {
		p := PlayerID(fmt.Sprintf("player-%02d", i))
		rc.join(p, time.Now(), nil)
		slots[i] = &slot{id: p, rec: rc.index(p)}
	}
	return rc, slots
}

// BenchmarkRecordInput is the cost of recording one applied input (its
// re-encoding into the tick's record), on the room's goroutine.
func BenchmarkRecordInput(b *testing.B) {
	rc, slots := benchRecorder(b, RecordOptions{}, 1)
	in := &arenav1.Input{Dx: 0.7, Dy: -0.3}
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		rc.input(slots[0], uint64(n), in)
		if n++; n%64 == 0 {
			rc.inputs, rc.nInputs = rc.inputs[:0], 0
		}
	}
}

// arenaState is an arena state of n players.
func arenaState(n int) *arenav1.State {
	s := &arenav1.State{Width: 1000, Height: 1000, Players: map[string]*arenav1.Player{}}
	for i := range n {
		s.Players[fmt.Sprintf("player-%02d", i)] = &arenav1.Player{X: float32(i), Y: float32(2 * i), Hp: 100}
	}
	return s
}

// BenchmarkRecordTick is the cost of recording one tick of a 50-player
// arena, each player moving, with the defaults: the tick record, the
// state's hash every tick, the state (as a delta) once a second of ticks,
// the writer's flush once a second. Inputs are BenchmarkRecordInput's.
func BenchmarkRecordTick(b *testing.B) {
	for _, hashEvery := range []int{1, 20} {
		b.Run(fmt.Sprintf("hash-every=%d", hashEvery), func(b *testing.B) {
			rc, _ := benchRecorder(b, RecordOptions{HashEvery: hashEvery}, 50)
			state := arenaState(50)
			before := rc.written
			t := uint64(0)
			b.ReportAllocs()
			for b.Loop() {
				t++
				for _, p := range state.Players {
					p.X++
				}
				rc.tick(t, t, state, true)
			}
			b.ReportMetric(float64(rc.written-before)/float64(t), "log-B/tick")
		})
	}
}

// BenchmarkRecordRing is the cost per tick of the replay ring
// (RecordOptions.Ring) of a 50-player arena, each player moving: a diff of
// the whole state, its encoding, a snapshot once a second.
func BenchmarkRecordRing(b *testing.B) {
	fr := newFrameRing("bench", &arenav1.State{}, 10*time.Second, 20)
	state := arenaState(50)
	now := time.Now()
	t := uint64(0)
	b.ReportAllocs()
	for b.Loop() {
		t++
		for _, p := range state.Players {
			p.X++
		}
		if err := fr.add(t, now, state); err != nil {
			b.Fatal(err)
		}
	}
}

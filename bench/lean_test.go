package main

import (
	"fmt"
	"io"
	"math"
	"testing"

	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
)

// arenaFrame is a tick's delta of a room of n moving players, as the
// server writes it to one receiver (with its last_input_seq appended).
func arenaFrame(tb testing.TB, n int, tick, seq uint64) []byte {
	tb.Helper()
	delta, err := protocol.Diff(arenaState(n, 0), arenaState(n, 1))
	if err != nil {
		tb.Fatal(err)
	}
	env := &protocol.Envelope{Msg: &tickwirev1.Envelope_State{State: &tickwirev1.StateFrame{
		RoomId: "abcd2345", Tick: tick, ServerTimeUnixNano: 1 << 60,
		Body: &tickwirev1.StateFrame_Delta{Delta: delta},
	}}}
	b, err := protocol.Append(nil, env)
	if err != nil {
		tb.Fatal(err)
	}
	return protocol.AppendLastInputSeq(b, seq)
}

// arenaState is a room of n players, every one of them moved step times.
func arenaState(n, step int) *arenav1.State {
	st := &arenav1.State{Players: map[string]*arenav1.Player{}}
	for i := range n {
		a := float64(i)
		st.Players[fmt.Sprintf("g-%010d", i)] = &arenav1.Player{
			X: float32(400 + 300*math.Cos(a) + float64(step)), Y: float32(300 + 200*math.Sin(a) - float64(step)), Vx: 1, Vy: 2, Hp: 100,
		}
	}
	return st
}

// testPlayer is player 0 of a run of the arena that is not connected:
// enough for the frame handlers.
func testPlayer(tb testing.TB, args ...string) *player {
	tb.Helper()
	cfg, err := parseFlags(append([]string{"-clients", "10", "-rooms", "1"}, args...), io.Discard)
	if err != nil {
		tb.Fatal(err)
	}
	r := newRun(cfg, &serverTarget{})
	r.winFrom.Store(0)
	p := r.players[0]
	p.track = inputTrack{Base: 0, Period: 1}
	return p
}

// TestLeanFrameAllocs: a lean client handles a state frame, acknowledging
// the input it covers, without allocating.
func TestLeanFrameAllocs(t *testing.T) {
	p := testPlayer(t)
	c := &leanConn{}
	frames := make([][]byte, 200)
	for i := range frames {
		frames[i] = arenaFrame(t, 10, uint64(i+1), uint64(i+1))
	}
	i := 0
	allocs := testing.AllocsPerRun(len(frames)-1, func() {
		p.track.NoteSent(uint64(i+1), 0)
		p.onWire(c, frames[i])
		i++
	})
	if allocs != 0 {
		t.Errorf("%v allocations per frame, want 0", allocs)
	}
	if got := p.r.acked.Load(); got != int64(i) {
		t.Errorf("acked %d inputs, want %d", got, i)
	}
	if got := p.framesIn.Load(); got != int64(i) {
		t.Errorf("framesIn %d, want %d", got, i)
	}
	if errs := p.r.errs.Snapshot(); len(errs) != 0 {
		t.Errorf("errors %v", errs)
	}
	p.onWire(c, frames[0]) // an older tick
	if n := p.r.errs.Snapshot()["state frame: tick went back"]; n != 1 {
		t.Errorf("an older frame counted %d times, want once", n)
	}
	if got, want := p.bytesIn.Load(), int64((i+1)*wireSize(len(frames[0]), false)); got < want-int64(i*2) || got > want+int64(i*2) {
		t.Errorf("bytesIn %d, want about %d", got, want)
	}
}

// BenchmarkArenaFrame is what the load generator spends on one arena
// state frame (10 moving players): the lean client's scan against the
// full client's decode (what -verify and the bench before lean clients
// did), and the full decode applied to a replica (-verify).
func BenchmarkArenaFrame(b *testing.B) {
	frame := arenaFrame(b, 10, 1, 1)
	b.Run("lean", func(b *testing.B) {
		p := testPlayer(b)
		c := &leanConn{}
		b.ReportAllocs()
		for b.Loop() {
			p.onWire(c, frame)
		}
	})
	b.Run("decode", func(b *testing.B) {
		p := testPlayer(b)
		b.ReportAllocs()
		for b.Loop() {
			env := new(protocol.Envelope)
			if err := protocol.Decode(frame, 0, env); err != nil {
				b.Fatal(err)
			}
			p.onEnvelope(env)
		}
	})
	b.Run("verify", func(b *testing.B) {
		p := testPlayer(b, "-verify")
		snap := &protocol.Envelope{Msg: &tickwirev1.Envelope_State{State: &tickwirev1.StateFrame{
			RoomId: "abcd2345", Body: &tickwirev1.StateFrame_Snapshot{Snapshot: mustMarshal(arenaState(10, 0))},
		}}}
		p.onEnvelope(snap)
		b.ReportAllocs()
		for b.Loop() {
			env := new(protocol.Envelope)
			if err := protocol.Decode(frame, 0, env); err != nil {
				b.Fatal(err)
			}
			p.onEnvelope(env)
		}
		if v := p.r.scn.(*arenaScenario).verify.report(); v.ReplicaErrors != 0 || v.Deltas == 0 {
			b.Fatalf("verify: %+v", v)
		}
	})
}

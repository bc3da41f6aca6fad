package tick

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	"github.com/tickwire/tickwire/protocol"
)

// moverGame is the benchmarks' workload: every tick each player moves a
// little, so every tick has a small delta to diff, encode and send.
type moverGame struct{}

func (moverGame) Init(r *Room[*arenav1.State]) error {
	r.State().Width, r.State().Height = 800, 600
	r.State().Players = map[string]*arenav1.Player{}
	return nil
}

func (moverGame) Join(r *Room[*arenav1.State], p PlayerID) error {
	r.State().Players[string(p)] = &arenav1.Player{Hp: 100}
	return nil
}

func (moverGame) Leave(r *Room[*arenav1.State], p PlayerID) { delete(r.State().Players, string(p)) }

func (moverGame) Input(r *Room[*arenav1.State], p PlayerID, in *arenav1.Input) {}

func (moverGame) Tick(r *Room[*arenav1.State], dt time.Duration) {
	for _, pl := range r.State().Players {
		pl.X += 1
	}
}

// nopPeer is a session that takes every frame and keeps none.
type nopPeer struct{ frames int }

func (p *nopPeer) SendState([]byte, uint64, bool, string) bool { p.frames++; return true }
func (p *nopPeer) Send(*protocol.Envelope)                     {}

func newBenchRooms(tb testing.TB, hz int) *Rooms { return newBenchRoomsTimers(tb, hz, false) }

// newBenchRoomsTimers is newBenchRooms with or without PreciseTimers.
func newBenchRoomsTimers(tb testing.TB, hz int, precise bool) *Rooms {
	tb.Helper()
	reg := NewRegistry()
	RegisterIn(reg, GameInfo{Name: "mover", TickHz: hz, MaxPlayers: 10_000}, func() Game[*arenav1.State, *arenav1.Input] { return moverGame{} })
	rooms, err := NewRooms(Options{Registry: reg, MaxRooms: 20_000, PreciseTimers: precise})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := rooms.Close(context.Background()); err != nil {
			tb.Error(err)
		}
	})
	return rooms
}

// detachedRoom builds a room whose goroutine is the caller's: for
// benchmarks of one tick's parts, and for the sharded scheduler below.
func detachedRoom(tb testing.TB, rooms *Rooms, players int) *room {
	tb.Helper()
	def, _ := rooms.opts.Registry.lookup("mover")
	rm := rooms.newRoom(newRoomID(), def, def.gameInfo(), 1)
	if err := rm.callInit(); err != nil {
		tb.Fatal(err)
	}
	for i := range players {
		if err := rm.join(PlayerID(fmt.Sprint("p", i)), &nopPeer{}); err != nil {
			tb.Fatal(err)
		}
	}
	rm.start = rm.clock.Now()
	rm.next = 1
	return rm
}

// watchedRoom is a detached room with 10 players and n receivers: the
// state stays the same size whatever n is.
func watchedRoom(tb testing.TB, n int) *room {
	rm := detachedRoom(tb, newBenchRooms(tb, 20), 10)
	for i := range n - 10 {
		rm.order = append(rm.order, &slot{id: PlayerID(fmt.Sprint("watcher", i)), peer: &nopPeer{}, needSnap: true})
	}
	return rm
}

// broadcastOnce is one tick's state change and broadcast to the seated
// receivers, the tick's cost per receiver.
func broadcastOnce(rm *room, now time.Time) {
	rm.ticks++
	rm.game.state().(*arenav1.State).Players["p0"].X++
	rm.broadcast(now)
}

// BenchmarkBroadcast sends one tick's delta to N receivers of one view:
// allocs/op must not grow with N (the frame is encoded once).
func BenchmarkBroadcast(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprint("receivers=", n), func(b *testing.B) {
			rm := watchedRoom(b, n)
			now := time.Now()
			broadcastOnce(rm, now) // the joiners' snapshots
			b.ReportAllocs()
			for b.Loop() {
				broadcastOnce(rm, now)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/receiver")
		})
	}
}

// TestBroadcastAllocationsDoNotGrowWithReceivers: zero allocations per
// receiver; the diff and the one encode cost the same for 1 or 1,000.
func TestBroadcastAllocationsDoNotGrowWithReceivers(t *testing.T) {
	allocs := func(n int) float64 {
		rm := watchedRoom(t, n)
		now := time.Now()
		broadcastOnce(rm, now)
		return testing.AllocsPerRun(50, func() { broadcastOnce(rm, now) })
	}
	if few, many := allocs(10), allocs(1000); many != few {
		t.Errorf("allocations per tick: %v for 10 receivers, %v for 1000", few, many)
	}
}

// cpuTime returns the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measure runs the rooms of rs in wall time, one period per b.Loop
// iteration after one second of warm-up, and reports tick jitter and CPU.
func measure(b *testing.B, rs *Rooms, hz int) {
	period := time.Second / time.Duration(hz)
	time.Sleep(time.Second)
	rs.TickStats()
	cpu0, wall0 := cpuTime(), time.Now()
	for b.Loop() {
		time.Sleep(period) // the workload is wall time itself
	}
	cpu, wall := cpuTime()-cpu0, time.Since(wall0)
	st := rs.TickStats()
	b.ReportMetric(float64(st.JitterP50.Microseconds()), "jitter-p50-µs")
	b.ReportMetric(float64(st.JitterP99.Microseconds()), "jitter-p99-µs")
	b.ReportMetric(float64(st.JitterMax.Microseconds()), "jitter-max-µs")
	b.ReportMetric(float64(st.DurationP99.Microseconds()), "tick-p99-µs")
	b.ReportMetric(100*cpu.Seconds()/wall.Seconds(), "cpu-%")
	b.ReportMetric(float64(st.Ticks)/wall.Seconds(), "ticks/s")
	b.ReportMetric(float64(st.Skipped), "skipped")
}

// BenchmarkTickJitter runs 1,000 rooms of two players each, one goroutine
// per room, at 20 and 60 Hz, with Go's timers and with PreciseTimers.
func BenchmarkTickJitter(b *testing.B) {
	for _, hz := range []int{20, 60} {
		for _, precise := range []bool{false, true} {
			timers := map[bool]string{false: "go-timers", true: "precise"}[precise]
			b.Run(fmt.Sprintf("%s/hz=%d/rooms=1000", timers, hz), func(b *testing.B) {
				rs := newBenchRoomsTimers(b, hz, precise)
				startRooms(b, rs, 1000, 2)
				measure(b, rs, hz)
			})
		}
	}
}

// startRooms creates n rooms with players nop peers each.
func startRooms(b *testing.B, rs *Rooms, n, players int) {
	ctx := context.Background()
	for range n {
		h, err := rs.Create(ctx, "mover", RoomOptions{})
		if err != nil {
			b.Fatal(err)
		}
		for i := range players {
			if err := h.Join(ctx, PlayerID(fmt.Sprint("p", i)), &nopPeer{}); err != nil {
				b.Fatal(err)
			}
		}
	}
}

package wasmgame_test

import (
	"fmt"
	"math"
	"runtime"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/examples/arena"
	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	"github.com/tickwire/tickwire/tick"
	"github.com/tickwire/tickwire/wasmgame"
)

// The benchmarks compare the native arena with the arena guest in rooms
// of benchPlayers players, each steering anew every tick, through
// tick.Harness: inputs, the game's tick, then the framework's diff and
// encode, as in a running room (no network).
const benchPlayers = 20

// arenaRoom is one benchmark room and its players.
type arenaRoom struct {
	h       *arenaHarness
	players []tick.PlayerID
	in      arenav1.Input
}

func newArenaRoom(b *testing.B, g func() tick.Game[*arenav1.State, *arenav1.Input], seed uint64) *arenaRoom {
	b.Helper()
	info, _ := tick.DefaultRegistry().Lookup(arena.Name)
	h, err := tick.NewHarness(info, g(), seed)
	if err != nil {
		b.Fatal(err)
	}
	r := &arenaRoom{h: h}
	for i := range benchPlayers {
		p := tick.PlayerID(fmt.Sprintf("p%02d", i))
		if err := h.Join(p); err != nil {
			b.Fatal(err)
		}
		r.players = append(r.players, p)
	}
	return r
}

// tick sends every player's input and runs one tick.
func (r *arenaRoom) tick(b *testing.B, n int) {
	for i, p := range r.players {
		a := float64(n)/40 + float64(i)
		r.in.Dx, r.in.Dy = float32(math.Cos(a)), float32(math.Sin(a))
		if err := r.h.Input(p, &r.in); err != nil {
			b.Fatal(err)
		}
	}
	if err := r.h.Tick(); err != nil {
		b.Fatal(err)
	}
}

// games returns the native and the wasm arena's factories; the wasm one's
// rooms are closed when the benchmark ends.
func games(b *testing.B) (native, wasm func() tick.Game[*arenav1.State, *arenav1.Input], m *wasmgame.Module) {
	m = load(b, guests.arena, wasmgame.Options{})
	p := wasmgame.NewPlugin(m)
	wasm = func() tick.Game[*arenav1.State, *arenav1.Input] {
		g := wasmgame.New[*arenav1.State, *arenav1.Input](p)
		b.Cleanup(func() {
			if c, ok := g.(tick.Closer[*arenav1.State]); ok {
				c.Close(nil)
			}
		})
		return g
	}
	return arena.New, wasm, m
}

func benchArenaTick(b *testing.B, wasm bool) {
	native, wasmGame, m := games(b)
	g := native
	if wasm {
		g = wasmGame
	}
	r := newArenaRoom(b, g, 1)
	b.ReportAllocs()
	cpu0 := cpuTime()
	n := 0
	for b.Loop() {
		r.tick(b, n)
		n++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*benchPlayers), "ns/player")
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(n*benchPlayers), "cpu-ns/player")
	if wasm {
		b.ReportMetric(float64(m.MemoryBytes()), "guest-bytes/room")
	}
}

// BenchmarkNativeArenaTick is one tick of a native arena room of 20
// players.
func BenchmarkNativeArenaTick(b *testing.B) { benchArenaTick(b, false) }

// BenchmarkWASMArenaTick is one tick of the arena guest's room of 20
// players.
func BenchmarkWASMArenaTick(b *testing.B) { benchArenaTick(b, true) }

// BenchmarkWASMArenaTickNoDeadlines is BenchmarkWASMArenaTick with
// wazero's termination checks off (no CallTimeout): what the deadline
// costs.
func BenchmarkWASMArenaTickNoDeadlines(b *testing.B) {
	m := load(b, guests.arena, wasmgame.WithoutDeadlines(wasmgame.Options{}))
	p := wasmgame.NewPlugin(m)
	r := newArenaRoom(b, func() tick.Game[*arenav1.State, *arenav1.Input] {
		g := wasmgame.New[*arenav1.State, *arenav1.Input](p)
		b.Cleanup(func() { g.(tick.Closer[*arenav1.State]).Close(nil) })
		return g
	}, 1)
	b.ReportAllocs()
	cpu0 := cpuTime()
	n := 0
	for b.Loop() {
		r.tick(b, n)
		n++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*benchPlayers), "ns/player")
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(n*benchPlayers), "cpu-ns/player")
}

// BenchmarkWASMProbeTick is BenchmarkWASMArenaTick with the probe guest
// (testdata/probe): the same players, inputs and state message, but a
// trivial Tick, so what it costs is the guest SDK's round trip: the call,
// decoding the inputs and encoding the state in the guest, decoding it on
// the host.
func BenchmarkWASMProbeTick(b *testing.B) {
	p := wasmgame.NewPlugin(load(b, guests.probeV1, wasmgame.Options{}))
	r := newArenaRoom(b, func() tick.Game[*arenav1.State, *arenav1.Input] {
		g := wasmgame.New[*arenav1.State, *arenav1.Input](p)
		b.Cleanup(func() { g.(tick.Closer[*arenav1.State]).Close(nil) })
		return g
	}, 1)
	b.ReportAllocs()
	cpu0 := cpuTime()
	n := 0
	for b.Loop() {
		r.tick(b, n)
		n++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*benchPlayers), "ns/player")
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(n*benchPlayers), "cpu-ns/player")
}

// BenchmarkHostStateDecode is the host's share of the boundary per tick
// of a 20-player arena: encoding the inputs into the batch and decoding the
// guest's state into the room's.
func BenchmarkHostStateDecode(b *testing.B) {
	r := newArenaRoom(b, arena.New, 1)
	r.tick(b, 0)
	state, err := proto.MarshalOptions{Deterministic: true}.Marshal(r.h.State())
	if err != nil {
		b.Fatal(err)
	}
	dst := &arenav1.State{}
	in := &arenav1.Input{Dx: 0.5, Dy: -0.5}
	var batch []byte
	b.ReportAllocs()
	for b.Loop() {
		batch = batch[:0]
		for range benchPlayers {
			batch, _ = proto.MarshalOptions{}.MarshalAppend(batch, in)
		}
		proto.Reset(dst)
		if err := proto.Unmarshal(state, dst); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(state)), "state-bytes")
}

// BenchmarkArena1000Players ticks 50 rooms of 20 players, native and wasm
// in one run: ns and CPU (user+system, GC included) per player per tick,
// the share of one core 1,000 players take at 20 Hz, and the memory a room
// holds: the Go heap it adds (both) and its guest's linear memory (wasm,
// part of that heap).
func BenchmarkArena1000Players(b *testing.B) {
	const rooms = 50
	for _, kind := range []string{"native", "wasm"} {
		b.Run(kind, func(b *testing.B) {
			native, wasm, m := games(b)
			g := native
			if kind == "wasm" {
				g = wasm
			}
			heap0 := heapInUse()
			rs := make([]*arenaRoom, rooms)
			for i := range rs {
				rs[i] = newArenaRoom(b, g, uint64(i+1))
			}
			heap := heapInUse() - heap0
			b.ReportAllocs()
			cpu0 := cpuTime()
			n := 0
			for b.Loop() {
				for _, r := range rs {
					r.tick(b, n)
				}
				n++
			}
			cpu := cpuTime() - cpu0
			perPlayer := float64(b.Elapsed().Nanoseconds()) / float64(n*rooms*benchPlayers)
			b.ReportMetric(perPlayer, "ns/player")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(n*rooms*benchPlayers), "cpu-ns/player")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(n)*arena.TickHz/1e9*100, "core-%@20Hz")
			b.ReportMetric(float64(heap)/rooms, "heap-bytes/room")
			if kind == "wasm" {
				b.ReportMetric(float64(m.MemoryBytes())/rooms, "guest-bytes/room")
			}
		})
	}
}

func heapInUse() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapInuse)
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

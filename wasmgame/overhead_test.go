package wasmgame_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/examples/arena"
	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/tick"
	"github.com/tickwire/tickwire/wasmgame"
)

var overhead = flag.Duration("overhead", 0, "run TestArenaOverhead1000Players for this long per kind (0: skip it)")

// discard is a connection that takes every frame and keeps nothing, so a
// measurement sees the room's cost alone.
type discard struct{}

func (discard) SendState([]byte, uint64, bool, string) bool { return true }
func (discard) Send(*protocol.Envelope)                     {}

// TestArenaOverhead1000Players runs 1,000 arena players (50 rooms of 20,
// each player steering anew every tick) on real 20 Hz ticks, first native,
// then the arena guest, in one process, and reports CPU per player, tick
// durations and memory per room. It is a measurement, not a check: run it
// with -overhead=10s (docs/wasm.md has the figures).
func TestArenaOverhead1000Players(t *testing.T) {
	if *overhead <= 0 {
		t.Skip("a measurement: run with -overhead=10s")
	}
	const rooms, players = 50, 20
	info := tick.GameInfo{Name: arena.Name, TickHz: arena.TickHz, MaxPlayers: arena.MaxPlayers}
	for _, kind := range []string{"native", "wasm"} {
		reg := tick.NewRegistry()
		var m *wasmgame.Module
		if kind == "native" {
			tick.RegisterIn(reg, info, arena.New)
		} else {
			m = load(t, guests.arena, wasmgame.Options{CallTimeout: 5 * time.Second})
			wasmgame.Register[*arenav1.State, *arenav1.Input](reg, info, wasmgame.NewPlugin(m))
		}
		rs, err := tick.NewRooms(tick.Options{Registry: reg})
		if err != nil {
			t.Fatal(err)
		}
		heap0 := heapInUse()
		ctx := context.Background()
		hs := make([]*tick.Handle, rooms)
		for i := range hs {
			if hs[i], err = rs.Create(ctx, arena.Name, tick.RoomOptions{Seed: uint64(i + 1)}); err != nil {
				t.Fatal(err)
			}
			for p := range players {
				if err := hs[i].Join(ctx, tick.PlayerID(fmt.Sprintf("p%02d", p)), discard{}); err != nil {
					t.Fatal(err)
				}
			}
		}
		heap := heapInUse() - heap0

		// The players: every 50 ms each sends one input.
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			tk := time.NewTicker(time.Second / arena.TickHz)
			defer tk.Stop()
			var in arenav1.Input
			for n := uint64(1); ; n++ {
				select {
				case <-stop:
					return
				case <-tk.C:
				}
				for i, h := range hs {
					for p := range players {
						a := float64(n)/40 + float64(i*players+p)
						in.Dx, in.Dy = float32(math.Cos(a)), float32(math.Sin(a))
						b, _ := proto.Marshal(&in)
						_ = h.Input(tick.PlayerID(fmt.Sprintf("p%02d", p)), n, b)
					}
				}
			}
		})
		time.Sleep(time.Second) // warm up
		warm := rs.TickStats()
		t.Logf("%s: warm-up ticks %d, max %v, failed rooms so far %d", kind, warm.Ticks, warm.DurationMax, 50-rs.Len())
		cpu0, wall0 := cpuTime(), time.Now()
		time.Sleep(*overhead)
		cpu, wall := cpuTime()-cpu0, time.Since(wall0)
		st := rs.TickStats()
		close(stop)
		wg.Wait()
		guest := 0.0
		if m != nil {
			guest = float64(m.MemoryBytes()) / rooms
		}
		if err := rs.Close(ctx); err != nil {
			t.Fatal(err)
		}
		failed := 0
		for _, h := range hs {
			if err := h.Err(); errors.Is(err, tick.ErrRoomFailed) {
				if failed == 0 {
					t.Logf("%s: first room failure: %.600s", kind, err)
				}
				failed++
			}
		}
		line := fmt.Sprintf("%-6s %d players: CPU %.1f%% of a core, %.2f µs/player/tick run, ticks run %d of %d due, tick p50 %v p99 %v max %v, overruns %d, heap %.0f KiB/room, guest memory %.0f KiB/room, failed rooms %d",
			kind, rooms*players, 100*cpu.Seconds()/wall.Seconds(),
			float64(cpu.Microseconds())/float64(max(st.Ticks, 1)*players),
			st.Ticks, int(wall.Seconds()*arena.TickHz*rooms), st.DurationP50, st.DurationP99, st.DurationMax, st.Overruns, float64(heap)/rooms/1024, guest/1024, failed)
		t.Log(line)
		fmt.Println(line)
		if failed > 0 {
			t.Errorf("%s: %d rooms failed", kind, failed)
		}
	}
}

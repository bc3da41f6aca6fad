package tick_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rs/zerolog"

	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	"github.com/tickwire/tickwire/tick"
)

// Inspect reads the state and the players on the room's goroutine after a
// tick: the copy reflects the inputs applied, belongs to the caller, and
// the last input seq is the one the room applied.
func TestInspect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, tick.GameInfo{}, tick.Options{})
		t0 := time.Now()
		h := e.create(tick.RoomOptions{})
		e.join(h, "a")
		e.join(h, "b")
		if err := e.input(h, "a", 7, 3); err != nil {
			t.Fatal(err)
		}
		at(t0, 0.5)
		v, err := h.Inspect(context.Background()) // answered at the end of tick 1
		if err != nil {
			t.Fatal(err)
		}
		if v.Tick != 1 || v.Info.ID != h.ID() || v.Info.Players != 2 {
			t.Errorf("view = tick %d, info %+v; want tick 1, 2 players", v.Tick, v.Info)
		}
		st, ok := v.State.(*arenav1.State)
		if !ok || st.GetPlayers()["a"].GetX() != 3 {
			t.Fatalf("state = %v, want a at x=3", v.State)
		}
		want := []tick.PlayerView{{ID: "a", LastInputSeq: 7}, {ID: "b"}}
		if !slices.Equal(v.Players, want) {
			t.Errorf("players = %+v, want %+v", v.Players, want)
		}
		st.Players["a"].X = 99 // the caller's copy
		at(t0, 2.5)
		if x := e.probe.lastState().GetPlayers()["a"].GetX(); x != 3 {
			t.Errorf("room's x = %g after the caller changed its copy", x)
		}

		s := h.Stats()
		if s.Ticks != 2 || s.Inputs != 1 || s.Duration.Total() != 2 || s.Jitter.Total() != 2 {
			t.Errorf("stats = ticks %d inputs %d durations %d jitters %d; want 2, 1, 2, 2", s.Ticks, s.Inputs, s.Duration.Total(), s.Jitter.Total())
		}
	})
}

// Kick unseats the player between ticks: its peer gets Left with the
// operator's reason, the game's Leave runs, the seat is released (a Join
// again succeeds) and kicking a player not seated is ErrNotInRoom.
func TestKick(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var unseated []string
		e := newEnv(t, tick.GameInfo{MaxPlayers: 1}, tick.Options{OnUnseat: func(_ string, p tick.PlayerID) { unseated = append(unseated, string(p)) }})
		h := e.create(tick.RoomOptions{})
		a := e.join(h, "a")
		e.probe.take()
		if err := h.Kick(context.Background(), "a", "spamming"); err != nil {
			t.Fatal(err)
		}
		if l := a.lastLeft(); l == nil || l.GetReason() != "kicked by an operator: spamming" {
			t.Errorf("kicked player's Left = %v", l)
		}
		if ev := e.probe.take(); !slices.Contains(ev, "leave a") {
			t.Errorf("events = %q: the game's Leave did not run", ev)
		}
		if !slices.Equal(unseated, []string{"a"}) {
			t.Errorf("unseated = %q", unseated)
		}
		if h.Players() != 0 {
			t.Errorf("players = %d after the kick", h.Players())
		}
		e.join(h, "b") // MaxPlayers 1: the seat is free again
		if err := h.Kick(context.Background(), "a", ""); !errors.Is(err, tick.ErrNotInRoom) {
			t.Errorf("kick of a player not seated = %v, want ErrNotInRoom", err)
		}
	})
}

// Inspect and Kick on a room that ended, or with a context that ends
// first, fail without waiting for a tick that never comes.
func TestInspectEndedRoom(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, tick.GameInfo{TickHz: 1}, tick.Options{})
		h := e.create(tick.RoomOptions{})
		e.join(h, "a")
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if _, err := h.Inspect(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("inspect before the 1 Hz tick with a 100 ms deadline = %v", err)
		}
		if err := h.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Inspect(context.Background()); !errors.Is(err, tick.ErrRoomNotFound) {
			t.Errorf("inspect of an ended room = %v, want ErrRoomNotFound", err)
		}
		if err := h.Kick(context.Background(), "a", ""); !errors.Is(err, tick.ErrRoomNotFound) || !strings.Contains(err.Error(), h.ID()) {
			t.Errorf("kick in an ended room = %v, want ErrRoomNotFound naming the room", err)
		}
	})
}

// A Histogram's quantiles land within a bucket (an eighth) of the value,
// and Sub gives the window between two readings.
func TestInspectHistogram(t *testing.T) {
	var h tick.Histogram
	if h.Quantile(0.5) != 0 || h.Max() != 0 {
		t.Fatal("empty histogram has a quantile")
	}
	s := statsAfter(t, []time.Duration{time.Millisecond, 2 * time.Millisecond, 3 * time.Millisecond})
	earlier := s
	s = statsAfter(t, []time.Duration{time.Millisecond, 2 * time.Millisecond, 3 * time.Millisecond, 40 * time.Millisecond, 40 * time.Millisecond})
	w := s.Sub(&earlier)
	if w.Total() != 2 {
		t.Fatalf("window holds %d durations, want 2", w.Total())
	}
	for _, q := range []float64{0.5, 0.99} {
		if got := w.Quantile(q); got < 35*time.Millisecond || got > 45*time.Millisecond {
			t.Errorf("window quantile %g = %v, want about 40ms", q, got)
		}
	}
	if got := earlier.Quantile(0.5); got < 1750*time.Microsecond || got > 2250*time.Microsecond {
		t.Errorf("median = %v, want about 2ms", got)
	}
	if m := s.Max(); m < 40*time.Millisecond || m > 50*time.Millisecond {
		t.Errorf("max = %v, want just above 40ms", m)
	}
}

// statsAfter runs a room whose ticks take the given durations (by fake
// time) and returns its duration histogram.
func statsAfter(t *testing.T, ds []time.Duration) tick.Histogram {
	var out tick.Histogram
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, tick.GameInfo{TickHz: 10}, tick.Options{MaxCatchUp: -1})
		i := 0
		e.probe.onTick = func(*tick.Room[*arenav1.State]) {
			if i < len(ds) {
				time.Sleep(ds[i])
			}
			i++
		}
		t0 := time.Now()
		h := e.create(tick.RoomOptions{})
		at(t0, float64(4*len(ds)+1)) // 2 periods of 50 ms per 10 Hz tick
		out = h.Stats().Duration
		if got := out.Total(); got < uint64(len(ds)) {
			t.Fatalf("%d ticks counted, want at least %d", got, len(ds))
		}
		out = onlyFirst(out, ds)
	})
	return out
}

// onlyFirst drops the ticks after the timed ones, which take no fake time
// (bucket 1 holds [0, 1µs)).
func onlyFirst(h tick.Histogram, ds []time.Duration) tick.Histogram {
	h.Counts[1] = 0
	if h.Total() != uint64(len(ds)) {
		panic("ticks of the test game took time they were not given")
	}
	return h
}

// A recorded room replays without divergence across an operator's kick:
// the kick is in the log as a leave the game did not cause.
func TestKickRecorded(t *testing.T) {
	dir := t.TempDir()
	info := tick.GameInfo{TickHz: 20, Version: "1.0", Record: tick.RecordOptions{Dir: dir}}
	synctest.Test(t, func(t *testing.T) {
		rooms, err := tick.NewRooms(tick.Options{Registry: walkersRegistry(info), Clock: tick.SystemClock{}})
		if err != nil {
			t.Fatal(err)
		}
		h, err := rooms.Create(context.Background(), "walkers", tick.RoomOptions{Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []tick.PlayerID{"a", "b"} {
			if err := h.Join(context.Background(), p, newFakePeer(t)); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 20 {
			for _, p := range []tick.PlayerID{"a", "b"} {
				if err := h.Input(p, uint64(i+1), inputBytes(t, 2, 1)); err != nil && !errors.Is(err, tick.ErrNotInRoom) {
					t.Fatal(err)
				}
			}
			if i == 8 {
				if err := h.Kick(context.Background(), "b", "test"); err != nil {
					t.Fatal(err)
				}
			}
			time.Sleep(50 * time.Millisecond)
			synctest.Wait()
		}
		if err := rooms.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	files, _ := filepath.Glob(filepath.Join(dir, "walkers-*"+tick.LogExt))
	if len(files) != 1 {
		t.Fatalf("logs: %q", files)
	}
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := tick.Replay(walkersRegistry(info), f, tick.ReplayOptions{Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	if res.Divergence != nil || res.Leaves != 1 || res.Ticks < 15 {
		t.Fatalf("replay: divergence %v, %d leaves, %d ticks; want none, 1, at least 15", res.Divergence, res.Leaves, res.Ticks)
	}
}

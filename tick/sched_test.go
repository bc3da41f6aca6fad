package tick_test

import (
	"context"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	"github.com/tickwire/tickwire/tick"
)

// offsets returns each time as a multiple of period after t0.
func offsets(t0 time.Time, times []time.Time, period time.Duration) []float64 {
	var out []float64
	for _, tm := range times {
		out = append(out, float64(tm.Sub(t0))/float64(period))
	}
	return out
}

func TestTicksRunOnAbsoluteDeadlines(t *testing.T) {
	for _, hz := range []int{20, 60, 120} {
		synctest.Test(t, func(t *testing.T) {
			e := newEnv(t, tick.GameInfo{TickHz: hz}, tick.Options{})
			p := time.Second / time.Duration(hz)
			var started []time.Time
			e.probe.onTick = func(r *tick.Room[*arenav1.State]) {
				started = append(started, time.Now())
				time.Sleep(p / 3) // work that a sleeping scheduler would add to the period
			}
			t0 := time.Now()
			e.create(tick.RoomOptions{})
			time.Sleep(10*time.Second + p/2)
			synctest.Wait()
			nows := e.probe.tickTimes()
			if len(nows) != 10*hz {
				t.Fatalf("%d Hz: %d ticks in 10s, want %d", hz, len(nows), 10*hz)
			}
			for i, now := range nows {
				// Exact: n·1s/hz, computed without accumulating rounding.
				want := t0.Add(time.Duration(i+1) * time.Second / time.Duration(hz))
				if !now.Equal(want) || !started[i].Equal(want) {
					t.Fatalf("%d Hz: tick %d at %v (started %v), want %v", hz, i+1, now.Sub(t0), started[i].Sub(t0), want.Sub(t0))
				}
			}
			if st := e.rooms.TickStats(); st.Overruns != 0 || st.Skipped != 0 || st.JitterMax != 0 {
				t.Errorf("%d Hz: stats %+v, want no overrun, skip or jitter", hz, st)
			}
		})
	}
}

func TestOverrunCatchesUpThenSkips(t *testing.T) {
	for _, tc := range []struct {
		name       string
		maxCatchUp int
		want       []float64 // Room.Now of each tick, in periods after t0
		skipped    uint64
	}{
		// Tick 2 (deadline 2p) runs until 7.5p: deadlines 3p..7p are due.
		// Three catch up; 3p, the oldest, is skipped.
		{"default", 0, []float64{1, 2, 4, 5, 6, 7, 8, 9}, 1},
		{"one", 1, []float64{1, 2, 6, 7, 8, 9}, 3},
		// Never catch up: straight to the latest deadline.
		{"none", -1, []float64{1, 2, 7, 8, 9}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t, tick.GameInfo{TickHz: 20}, tick.Options{MaxCatchUp: tc.maxCatchUp})
				e.probe.onTick = func(r *tick.Room[*arenav1.State]) {
					if r.Tick() == 2 {
						time.Sleep(5*period + period/2)
					}
				}
				t0 := time.Now()
				e.create(tick.RoomOptions{})
				at(t0, 9.5)
				if got := offsets(t0, e.probe.tickTimes(), period); !slices.Equal(got, tc.want) {
					t.Errorf("ticks at %v periods, want %v", got, tc.want)
				}
				st := e.rooms.TickStats()
				if st.Overruns != 1 || st.Skipped != tc.skipped {
					t.Errorf("overruns %d, skipped %d; want 1, %d", st.Overruns, st.Skipped, tc.skipped)
				}
				if e.metric("tickwire_tick_overruns_total") != 1 || e.metric("tickwire_ticks_skipped_total") != float64(tc.skipped) {
					t.Errorf("metrics: overruns %v, skipped %v", e.metric("tickwire_tick_overruns_total"), e.metric("tickwire_ticks_skipped_total"))
				}
				// The first late tick started at 7.5p, late by 7.5p minus its deadline.
				if want := 7.5*float64(period) - float64(period)*tc.want[2]; st.JitterMax != time.Duration(want) {
					t.Errorf("max jitter %v, want %v", st.JitterMax, time.Duration(want))
				}
			})
		})
	}
}

func TestTickRateIsPerRoom(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, tick.GameInfo{TickHz: 20}, tick.Options{})
		t0 := time.Now()
		h := e.create(tick.RoomOptions{TickHz: 4})
		if h.GameInfo().TickHz != 4 || h.Info().TickHz != 4 {
			t.Errorf("room info %+v", h.Info())
		}
		time.Sleep(time.Second + period)
		synctest.Wait()
		if got := offsets(t0, e.probe.tickTimes(), 250*time.Millisecond); !slices.Equal(got, []float64{1, 2, 3, 4}) {
			t.Errorf("4 Hz ticks at %v quarter seconds", got)
		}
		for _, hz := range []int{-1, 121} {
			if _, err := e.rooms.Create(context.Background(), "test", tick.RoomOptions{TickHz: hz}); err == nil {
				t.Errorf("TickHz %d accepted", hz)
			}
		}
	})
}

func TestTickStatsPercentiles(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, tick.GameInfo{TickHz: 20}, tick.Options{})
		e.probe.onTick = func(r *tick.Room[*arenav1.State]) {
			d := time.Millisecond
			if r.Tick()%100 == 0 {
				d = 20 * time.Millisecond
			}
			time.Sleep(d)
		}
		t0 := time.Now()
		e.create(tick.RoomOptions{})
		at(t0, 1000.5)
		st := e.rooms.TickStats()
		if st.Ticks != 1000 || st.JitterP99 != 0 {
			t.Errorf("stats %+v", st)
		}
		// 1ms ± 1/16 for the median, 20ms is 1% (the p99 may fall either side).
		if st.DurationP50 < 937*time.Microsecond || st.DurationP50 > 1063*time.Microsecond || st.DurationMax != 20*time.Millisecond {
			t.Errorf("durations p50 %v max %v", st.DurationP50, st.DurationMax)
		}
		if again := e.rooms.TickStats(); again.Ticks != 0 {
			t.Errorf("TickStats did not reset: %+v", again)
		}
	})
}

package tick

import (
	"sync"
	"testing"
	"time"
)

// TestPreciseClock runs on real time: the precise clock exists because of
// how the runtime sleeps, which a fake clock cannot show.
func TestPreciseClock(t *testing.T) {
	c := newPreciseClock(2)
	var wg sync.WaitGroup
	c.start(&wg)
	defer func() {
		close(c.stop)
		wg.Wait()
	}()

	start := time.Now()
	delays := []time.Duration{3 * time.Millisecond, time.Millisecond, 2 * time.Millisecond}
	timers := make([]Timer, len(delays))
	for i, d := range delays {
		timers[i] = c.NewTimer(d)
	}
	stopped := c.NewTimer(2 * time.Millisecond)
	stopped.Stop()
	reset := c.NewTimer(time.Millisecond)
	reset.Reset(4 * time.Millisecond)

	for i, tm := range timers {
		at := <-tm.C()
		if early := delays[i] - at.Sub(start); early > 0 {
			t.Errorf("timer %d fired %v early", i, early)
		}
	}
	if at := <-reset.C(); at.Sub(start) < 4*time.Millisecond {
		t.Errorf("a reset timer fired at %v, before its new deadline", at.Sub(start))
	}
	select {
	case <-stopped.C():
		t.Errorf("a stopped timer fired")
	default:
	}
}

func TestPreciseTimersRunRooms(t *testing.T) {
	rs := newBenchRoomsTimers(t, 120, true)
	h, err := rs.Create(t.Context(), "mover", RoomOptions{})
	if err != nil {
		t.Fatal(err)
	}
	frames := make(chan struct{}, 1)
	if err := h.Join(t.Context(), "a", &signalPeer{c: frames}); err != nil {
		t.Fatal(err)
	}
	for range 25 { // 0.2 s of ticks: the player moves every tick
		<-frames
	}
	// Signals may be dropped, so at least 25 ticks sent frames; a tick is
	// counted after its frames go out, so at least 24 are counted.
	// Real time on a shared machine: stalls may skip ticks, so only count.
	if st := rs.TickStats(); st.Ticks < 24 {
		t.Errorf("stats %+v", st)
	}
}

// signalPeer reports every frame on c, dropping signals nobody waits for.
type signalPeer struct {
	nopPeer
	c chan struct{}
}

func (p *signalPeer) SendState([]byte, uint64, bool, string) bool {
	select {
	case p.c <- struct{}{}:
	default:
	}
	return true
}

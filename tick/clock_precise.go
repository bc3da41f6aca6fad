package tick

import (
	"container/heap"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// preciseClock is the Clock of Rooms with Options.PreciseTimers. Go's timers are only
// millisecond-accurate on Linux while the process is idle (the runtime waits
// in epoll_wait, whose timeout is in whole milliseconds; golang/go#53824),
// which alone puts the p99 tick jitter of a lightly loaded server near 1 ms.
// preciseClock keeps the rooms' timers in heaps served by waker goroutines
// (one per P): each sleeps on an ordinary Go timer until about 2 ms before the
// earliest deadline, then blocks its thread in nanosleep for the rest, which
// the kernel honours to within its timer slack (~50 µs), and fires every
// timer that is due. Deadlines are rounded up to a 200 µs grid so that
// thousands of rooms share wake-ups. It is owned by its Rooms: NewRooms starts
// its wakers on a wait group and they return when Rooms.Close closes stop.
//
// It must not be used inside a testing/synctest bubble (nanosleep is real
// time); tests pass SystemClock.
type preciseClock struct {
	wakers []*waker
	next   atomic.Uint32 // round robin over wakers
	stop   chan struct{}
}

// waker is one shard of a preciseClock: one goroutine and the heap of the
// timers assigned to it. One waker per P keeps a single goroutine from
// becoming the bottleneck of thousands of rooms.
type waker struct {
	base time.Time // monotonic origin of when

	mu     sync.Mutex
	timers preciseHeap // guarded by mu

	kick chan struct{} // a new earliest deadline; cap 1
	stop chan struct{}
}

// preciseQuantum is the grid that timers are rounded up to, so that rooms
// whose deadlines are close share one wake-up: with thousands of rooms the
// waker wakes at most 1/preciseQuantum times a second, not once per room.
// It adds up to this much jitter.
const preciseQuantum = 200 * time.Microsecond

// preciseLead is how long before a deadline the waker stops trusting Go's
// timer and sleeps in the kernel instead: Go's wake-up may be up to 1 ms
// late, so 2 ms leaves room to spare.
const preciseLead = 2 * time.Millisecond

func newPreciseClock(shards int) *preciseClock {
	c := &preciseClock{stop: make(chan struct{})}
	base := time.Now()
	for range max(shards, 1) {
		c.wakers = append(c.wakers, &waker{base: base, kick: make(chan struct{}, 1), stop: c.stop})
	}
	return c
}

// Now returns time.Now(). Any goroutine.
func (c *preciseClock) Now() time.Time { return time.Now() }

// NewTimer returns a timer served by one of the wakers. Any goroutine.
func (c *preciseClock) NewTimer(d time.Duration) Timer {
	w := c.wakers[int(c.next.Add(1))%len(c.wakers)]
	t := &preciseTimer{clock: w, c: make(chan time.Time, 1), index: -1}
	t.Reset(d)
	return t
}

// start runs every waker goroutine on wg; they return once stop is closed.
func (c *preciseClock) start(wg *sync.WaitGroup) {
	for _, w := range c.wakers {
		wg.Go(w.run)
	}
}

func (c *waker) since() time.Duration { return time.Since(c.base) }

// run is the waker goroutine.
func (c *waker) run() {
	coarse := time.NewTimer(time.Hour)
	defer coarse.Stop()
	for {
		c.mu.Lock()
		armed := len(c.timers) > 0
		var wait time.Duration
		if armed {
			wait = c.timers[0].when - c.since()
		}
		c.mu.Unlock()
		if !armed || wait > preciseLead {
			if armed {
				coarse.Reset(wait - preciseLead)
			}
			select {
			case <-c.stop:
				return
			case <-c.kick:
			case <-coarse.C:
			}
			coarse.Stop()
			continue
		}
		if wait > 0 {
			// New timers are at least a tick period away (or due at once,
			// which kick reports on the next pass), so nothing earlier can
			// arrive during this short sleep.
			nanosleep(wait)
		}
		if c.fire() {
			// Let the rooms just woken run before this goroutine blocks its
			// thread in nanosleep again: a P held by a thread in a syscall
			// is only handed off when sysmon notices, up to 10 ms later.
			runtime.Gosched()
		}
	}
}

// fire sends the current time to every timer that is due and reports
// whether there was one.
func (c *waker) fire() bool {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	elapsed := now.Sub(c.base)
	fired := false
	for len(c.timers) > 0 && c.timers[0].when <= elapsed {
		t := heap.Pop(&c.timers).(*preciseTimer)
		select {
		case t.c <- now:
		default: // a firing is pending already
		}
		fired = true
	}
	return fired
}

// preciseTimer is one room's timer in its preciseClock.
type preciseTimer struct {
	clock *waker
	c     chan time.Time
	when  time.Duration // since clock.base; guarded by clock.mu
	index int           // in clock.timers, -1 when not armed; guarded by clock.mu
}

func (t *preciseTimer) C() <-chan time.Time { return t.c }

func (t *preciseTimer) Reset(d time.Duration) {
	c := t.clock
	c.mu.Lock()
	t.drain()
	t.when = (c.since() + d + preciseQuantum - 1) / preciseQuantum * preciseQuantum
	if t.index >= 0 {
		heap.Fix(&c.timers, t.index)
	} else {
		heap.Push(&c.timers, t)
	}
	earliest := c.timers[0] == t
	c.mu.Unlock()
	if earliest {
		select {
		case c.kick <- struct{}{}:
		default:
		}
	}
}

func (t *preciseTimer) Stop() {
	c := t.clock
	c.mu.Lock()
	if t.index >= 0 {
		heap.Remove(&c.timers, t.index)
	}
	t.drain()
	c.mu.Unlock()
}

// drain discards a pending firing (Go 1.23 timer semantics). Under clock.mu.
func (t *preciseTimer) drain() {
	select {
	case <-t.c:
	default:
	}
}

type preciseHeap []*preciseTimer

func (h preciseHeap) Len() int           { return len(h) }
func (h preciseHeap) Less(i, j int) bool { return h[i].when < h[j].when }
func (h preciseHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *preciseHeap) Push(x any) {
	t := x.(*preciseTimer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *preciseHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	t.index = -1
	*h = old[:len(old)-1]
	return t
}

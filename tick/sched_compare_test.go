package tick

import (
	"container/heap"
	"fmt"
	"runtime"
	"sync"
	"testing"
)

// This file holds the alternative the scheduler was measured against (see
// doc.go): a sharded pool, GOMAXPROCS worker goroutines that each own a
// heap of rooms ordered by next deadline and sleep on one timer until the
// earliest. It runs the very same tick code (room.runDue) as the
// production goroutine-per-room scheduler; only the driver differs. It
// handles no control requests, so its rooms are seated before it starts.

type roomHeap []*room

func (h roomHeap) Len() int { return len(h) }
func (h roomHeap) Less(i, j int) bool {
	return h[i].deadline(h[i].next).Before(h[j].deadline(h[j].next))
}
func (h roomHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *roomHeap) Push(x any)   { *h = append(*h, x.(*room)) }
func (h *roomHeap) Pop() any {
	old := *h
	rm := old[len(old)-1]
	*h = old[:len(old)-1]
	return rm
}

type shardedScheduler struct {
	stop chan struct{}
	wg   sync.WaitGroup
}

// startSharded hands rooms to GOMAXPROCS workers, round robin.
func startSharded(rooms []*room) *shardedScheduler {
	s := &shardedScheduler{stop: make(chan struct{})}
	n := runtime.GOMAXPROCS(0)
	for w := range n {
		var h roomHeap
		for i := w; i < len(rooms); i += n {
			h = append(h, rooms[i])
		}
		heap.Init(&h)
		s.wg.Go(func() { s.work(h, rooms[0].clock) })
	}
	return s
}

func (s *shardedScheduler) work(h roomHeap, clock Clock) {
	timer := clock.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-timer.C():
		}
		for {
			rm := h[0]
			if wait := rm.deadline(rm.next).Sub(clock.Now()); wait > 0 {
				timer.Reset(wait)
				break
			}
			rm.runDue()
			heap.Fix(&h, 0)
		}
	}
}

func (s *shardedScheduler) close() {
	close(s.stop)
	s.wg.Wait()
}

// BenchmarkScheduler compares the two schedulers at 20 Hz with 10, 1,000
// and 10,000 rooms of one moving player each. Run it alone, with
// -benchtime=3s; it reports tick start jitter and process CPU.
func BenchmarkScheduler(b *testing.B) {
	const hz = 20
	clocks := []struct {
		name    string
		precise bool
	}{{"go-timers", false}, {"precise", true}}
	for _, n := range []int{10, 1000, 10_000} {
		for _, c := range clocks {
			b.Run(fmt.Sprintf("goroutine-per-room/%s/rooms=%d", c.name, n), func(b *testing.B) {
				rs := newBenchRoomsTimers(b, hz, c.precise)
				startRooms(b, rs, n, 1)
				measure(b, rs, hz)
			})
			b.Run(fmt.Sprintf("sharded-pool/%s/rooms=%d", c.name, n), func(b *testing.B) {
				rs := newBenchRoomsTimers(b, hz, c.precise)
				rooms := make([]*room, n)
				for i := range rooms {
					rooms[i] = detachedRoom(b, rs, 1)
				}
				s := startSharded(rooms)
				defer s.close()
				measure(b, rs, hz)
			})
		}
	}
}

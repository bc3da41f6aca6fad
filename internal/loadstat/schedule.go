package loadstat

import (
	"container/heap"
	"context"
	"time"
)

// job is one client's periodic send: its n-th occurrence is due at
// base + n·period (absolute deadlines, so nothing drifts).
type job struct {
	due    int64
	base   int64
	period int64
	n      uint64
	live   func() bool
	fire   func(n uint64, due, now int64)
}

// jobHeap orders jobs by due time.
type jobHeap []*job

func (h jobHeap) Len() int           { return len(h) }
func (h jobHeap) Less(i, j int) bool { return h[i].due < h[j].due }
func (h jobHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *jobHeap) Push(x any)        { *h = append(*h, x.(*job)) }
func (h *jobHeap) Pop() any {
	old := *h
	j := old[len(old)-1]
	*h = old[:len(old)-1]
	return j
}

// Schedule is the open-loop sender of a share of the clients, run by one
// goroutine (Loop): it sleeps until the earliest deadline, fires everything
// due, and sleeps again. A few Schedules serve ten thousand clients; none
// has a goroutine of its own. When it falls behind (a GC pause, a busy
// core) it fires the overdue occurrences back to back: their latency still
// counts from their due time, which is what corrects for coordinated
// omission. Add every job before Loop; Loop is not safe for concurrent use.
type Schedule struct {
	clk    Clock
	jobs   jobHeap
	stopAt int64 // nothing due at or after this fires
}

// NewSchedule returns an empty Schedule on clk whose jobs end at stopAt
// (run clock).
func NewSchedule(clk Clock, stopAt int64) *Schedule {
	return &Schedule{clk: clk, stopAt: stopAt}
}

// Add schedules fire(n, due, now) at base + n·period for n = 0, 1, …,
// until stopAt or until live reports false (the job is then dropped).
func (s *Schedule) Add(base, period int64, live func() bool, fire func(n uint64, due, now int64)) {
	s.jobs = append(s.jobs, &job{due: base, base: base, period: period, live: live, fire: fire})
}

// Loop runs until every job is past stopAt or dropped, or ctx ends.
func (s *Schedule) Loop(ctx context.Context) {
	heap.Init(&s.jobs)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for len(s.jobs) > 0 {
		j := s.jobs[0]
		if j.due >= s.stopAt || !j.live() {
			heap.Pop(&s.jobs)
			continue
		}
		now := s.clk.Now()
		if j.due > now {
			timer.Reset(time.Duration(j.due - now))
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
			continue
		}
		if ctx.Err() != nil {
			return
		}
		j.fire(j.n, j.due, now)
		j.n++
		j.due = j.base + int64(j.n)*j.period
		heap.Fix(&s.jobs, 0)
	}
}

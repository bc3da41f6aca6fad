package loadstat

import (
	"context"
	"sync"
	"time"
)

// dialers is how many connections may be opening at once: enough to keep
// the ramp rate when a join waits for the room's next tick, and a bounded
// number of goroutines however many clients there are.
func dialers(ramp float64, clients int) int {
	return min(max(int(ramp/10), 8), 256, clients)
}

// Ramp hands client indices 0 to n-1 to connect at rate a second, on a
// bounded number of dialer goroutines it owns, and returns when every
// connect returned. When ctx ends first, the indices from the first not
// handed out on go to missed, once, and Ramp returns after the running
// connects.
func Ramp(ctx context.Context, n int, rate float64, connect func(i int), missed func(from int)) {
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range dialers(rate, n) {
		wg.Go(func() {
			for i := range jobs {
				connect(i)
			}
		})
	}
	defer wg.Wait()
	defer close(jobs)
	start := time.Now()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	next := 0
	for next < n {
		allowed := min(int(time.Since(start).Seconds()*rate)+1, n)
		for ; next < allowed; next++ {
			select {
			case jobs <- next:
			case <-ctx.Done():
				missed(next)
				return
			}
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			missed(next)
			return
		}
	}
}

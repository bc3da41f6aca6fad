package server

import (
	"runtime"
	"sync"

	"github.com/lesismal/nbio/logging"
)

// workerPool runs nbio's handler jobs (each connection's queue of messages
// and HTTP requests; nbio keeps them in order per connection) on a fixed
// set of long-lived goroutines. nbio's default pool starts a goroutine per
// job, whose stack then grows anew on every message: decoding an Envelope
// and dispatching it needs more than a fresh goroutine's 8 KB. A worker's
// stack stays grown. When every worker is busy and the queue is full, a
// job gets a goroutine of its own, so a poller never waits and a handler
// that blocks (a slow HTTP request) cannot stall the others.
type workerPool struct {
	jobs chan func()
	quit chan struct{}
	wg   sync.WaitGroup
}

func newWorkerPool(workers, queue int) *workerPool {
	p := &workerPool{jobs: make(chan func(), queue), quit: make(chan struct{})}
	for range workers {
		p.wg.Go(p.work)
	}
	return p
}

// Go runs f on a worker, or on a goroutine of its own when all are busy.
func (p *workerPool) Go(f func()) {
	select {
	case p.jobs <- f:
	default:
		p.wg.Go(func() { run(f) })
	}
}

func (p *workerPool) work() {
	for {
		select {
		case f := <-p.jobs:
			run(f)
		case <-p.quit:
			for { // what the pollers queued before they stopped
				select {
				case f := <-p.jobs:
					run(f)
				default:
					return
				}
			}
		}
	}
}

// Stop ends the workers once the queue is empty and waits for every job.
// Call it after the engine stopped: Go must not be called afterwards.
func (p *workerPool) Stop() {
	close(p.quit)
	p.wg.Wait()
}

// run runs one job; a panic is logged like nbio's own pool does and does
// not kill the worker.
func run(f func()) {
	defer func() {
		if err := recover(); err != nil {
			const size = 64 << 10
			buf := make([]byte, size)
			buf = buf[:runtime.Stack(buf, false)]
			logging.Error("tickwire: handler panicked: %v\n%s", err, buf)
		}
	}()
	f()
}

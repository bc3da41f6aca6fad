package cluster

import (
	"context"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"
)

// mirror keeps a live copy of a bucket's keys in memory: one goroutine
// reads a KV watch (an ordered JetStream consumer, which nats.go recreates
// after a server loss) and hands each change to apply. Readers that must
// see their own writes wait until the mirror has passed the stream
// sequence of their last commit.
type mirror struct {
	name  string
	log   zerolog.Logger
	kv    jetstream.KeyValue
	apply func(key string, e entry)
	// filter is the watched key pattern (">": every key).
	filter string
	// stall, when > 0, restarts a watch that delivered nothing for that
	// long: for buckets written on a known beat (the registry), silence
	// means the watch is broken, not that nothing happened.
	stall time.Duration

	mu    sync.Mutex
	seq   uint64 // highest revision applied
	ready bool   // the initial values have been applied
	wake  chan struct{}
}

func newMirror(name string, log zerolog.Logger, kv jetstream.KeyValue, filter string, apply func(string, entry)) *mirror {
	return &mirror{name: name, log: log, kv: kv, filter: filter, apply: apply, wake: make(chan struct{})}
}

// run is the mirror's goroutine; it returns when ctx ends.
func (m *mirror) run(ctx context.Context) {
	var resume uint64
	for ctx.Err() == nil {
		opts := []jetstream.WatchOpt{}
		if resume > 0 {
			opts = append(opts, jetstream.ResumeFromRevision(resume+1))
		}
		w, err := m.kv.Watch(ctx, m.filter, opts...)
		if err != nil {
			m.log.Warn().Err(err).Str("bucket", m.name).Msg("watch failed; retrying")
			if !sleepCtx(ctx, time.Second) {
				return
			}
			continue
		}
		if resume > 0 {
			m.markReady() // resuming: nothing initial to wait for
		}
		var stalled <-chan time.Time
		var timer *time.Timer
		if m.stall > 0 {
			timer = time.NewTimer(m.stall)
			stalled = timer.C
		}
	watch:
		for {
			var e jetstream.KeyValueEntry
			var ok bool
			select {
			case <-ctx.Done():
				_ = w.Stop()
				return
			case <-stalled:
				m.log.Warn().Str("bucket", m.name).Dur("silent", m.stall).Msg("watch stalled; restarting it")
				break watch
			case e, ok = <-w.Updates():
			}
			if !ok {
				break // the watcher ended: start another where this one stopped
			}
			if timer != nil {
				timer.Reset(m.stall)
			}
			if e == nil {
				m.markReady()
				continue
			}
			m.apply(e.Key(), entry{Value: e.Value(), Rev: e.Revision(), OK: e.Operation() == jetstream.KeyValuePut, Time: e.Created()})
			resume = max(resume, e.Revision())
			m.advance(e.Revision())
		}
		if timer != nil {
			timer.Stop()
		}
		_ = w.Stop()
	}
}

func (m *mirror) markReady() {
	m.mu.Lock()
	if !m.ready {
		m.ready = true
		close(m.wake)
		m.wake = make(chan struct{})
	}
	m.mu.Unlock()
}

func (m *mirror) advance(rev uint64) {
	m.mu.Lock()
	if rev > m.seq {
		m.seq = rev
	}
	close(m.wake)
	m.wake = make(chan struct{})
	m.mu.Unlock()
}

// changed returns a channel closed at the mirror's next change.
func (m *mirror) changed() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.wake
}

// waitFor waits until the mirror is loaded and has applied revision seq,
// for at most patience or ctx. It reports whether it got there; a caller
// that did not reads a slightly stale copy.
func (m *mirror) waitFor(ctx context.Context, seq uint64, patience time.Duration) bool {
	timer := time.NewTimer(patience)
	defer timer.Stop()
	for {
		m.mu.Lock()
		done, wake := m.ready && m.seq >= seq, m.wake
		m.mu.Unlock()
		if done {
			return true
		}
		select {
		case <-wake:
		case <-timer.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

// sleepCtx waits d or until ctx ends, and reports whether ctx is still
// alive.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

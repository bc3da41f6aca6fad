package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tickwire/tickwire/client"
)

// Dial and join bounds per client.
const (
	dialTimeout = 10 * time.Second
	joinTimeout = 15 * time.Second
)

// dialers is how many connections may be opening at once: enough to keep
// the ramp rate when a join waits for the room's next tick, and a bounded
// number of goroutines however many clients there are.
func dialers(ramp float64, clients int) int {
	return min(max(int(ramp/10), 8), 256, clients)
}

// connectAll opens and seats every player at cfg.ramp connections per
// second. A player that fails is marked failed; connectAll returns when
// every player is live or failed, or ctx ends.
func (r *run) connectAll(ctx context.Context) {
	jobs := make(chan *player)
	var wg sync.WaitGroup
	for range dialers(r.cfg.ramp, len(r.players)) {
		wg.Go(func() {
			for p := range jobs {
				r.connect(ctx, p)
			}
		})
	}
	defer wg.Wait()
	defer close(jobs)
	start := time.Now()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	next := 0
	for next < len(r.players) {
		allowed := min(int(time.Since(start).Seconds()*r.cfg.ramp)+1, len(r.players))
		for ; next < allowed; next++ {
			select {
			case jobs <- r.players[next]:
			case <-ctx.Done():
				r.failRest(next, "not connected: "+context.Cause(ctx).Error())
				return
			}
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			r.failRest(next, "not connected: "+context.Cause(ctx).Error())
			return
		}
	}
}

// failRest marks the players from index i on failed.
func (r *run) failRest(i int, reason string) {
	for _, p := range r.players[i:] {
		p.fail(reason)
	}
}

// connect dials p, seats it and makes it live, or marks it failed.
func (r *run) connect(ctx context.Context, p *player) {
	if ctx.Err() != nil {
		p.fail("not connected: " + context.Cause(ctx).Error())
		return
	}
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	var err error
	if raw, ok := r.scn.(rawScenario); ok {
		err = raw.dial(dctx, r, p)
	} else if r.isLean() {
		err = dialLean(dctx, r, p)
	} else {
		var c *client.Conn
		c, err = client.Dial(dctx, r.srv.wsURLFor(p.idx, r.scn.rooms()), client.Options{
			Engine:      r.eng,
			OnEnvelope:  p.onEnvelope,
			DialTimeout: dialTimeout,
		})
		if err == nil {
			p.conn, p.link = c, c
		}
	}
	cancel()
	if err != nil {
		p.fail(failureReason("dial", err))
		return
	}
	jctx, cancel := context.WithTimeout(ctx, joinTimeout)
	defer cancel()
	if err := r.scn.join(jctx, r, p); err != nil {
		if errors.Is(err, errHzMismatch) {
			r.abort(err)
		}
		p.fail(failureReason("join", err))
		return
	}
	// Live, unless it failed meanwhile (the connection dropped while
	// joining): fail clears live after it records the failure, so one of
	// the two orders always ends not live.
	p.live.Store(true)
	if p.failed() {
		p.live.Store(false)
	}
}

// failureReason shortens err to a reason that groups well in the report:
// the same cause on many clients must read the same.
func failureReason(step string, err error) string {
	var ce *client.CloseError
	var he *client.HandshakeError
	switch {
	case errors.As(err, &he):
		return fmt.Sprintf("%s: handshake refused: HTTP %d", step, he.Status)
	case errors.As(err, &ce):
		return fmt.Sprintf("%s: closed %d %s", step, ce.Code, ce.Reason)
	case errors.Is(err, context.DeadlineExceeded):
		return step + ": timed out"
	}
	return step + ": " + truncate(err.Error(), 100)
}

// checkConnections marks failed every live player whose connection ended.
func (r *run) checkConnections() {
	for _, p := range r.players {
		if !p.live.Load() { // live is stored after conn: reading conn is safe
			continue
		}
		if err := p.link.Err(); err != nil {
			p.fail(failureReason("connection", err))
		}
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

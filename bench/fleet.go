package main

import (
	"context"
	"errors"
	"time"

	"github.com/tickwire/tickwire/client"
	"github.com/tickwire/tickwire/internal/loadstat"
)

// Dial and join bounds per client.
const (
	dialTimeout = 10 * time.Second
	joinTimeout = 15 * time.Second
)

// connectAll opens and seats every player at cfg.ramp connections per
// second. A player that fails is marked failed; connectAll returns when
// every player is live or failed, or ctx ends.
func (r *run) connectAll(ctx context.Context) {
	loadstat.Ramp(ctx, len(r.players), r.cfg.ramp, func(i int) { r.connect(ctx, r.players[i]) }, func(i int) {
		r.failRest(i, "not connected: "+context.Cause(ctx).Error())
	})
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

// failureReason shortens err to a reason that groups well in the report
// (loadstat.FailureReason).
func failureReason(step string, err error) string { return loadstat.FailureReason(step, err) }

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

func truncate(s string, n int) string { return loadstat.Truncate(s, n) }

package main

import (
	"context"
	"fmt"
	"time"
)

// directoryLoad is the directory scenario's players: each session
// quick-joins on a random node (a new room when none has a free place),
// redeems the seat on the room's node as a /ws join would, keeps the
// place for Hold and releases it as the server does when a player
// leaves. The rooms' janitors close rooms idle for IdleRoomTTL.
type directoryLoad struct {
	f    *fleet
	hold time.Duration
	w    *window

	create, reserve, redeem, release *opStats
}

func newDirectoryLoad(f *fleet, cfg Config, w *window) *directoryLoad {
	return &directoryLoad{f: f, hold: cfg.Hold, w: w,
		create: newOpStats(), reserve: newOpStats(), redeem: newOpStats(), release: newOpStats()}
}

func (d *directoryLoad) session(ctx context.Context) {
	a := d.f.pick()
	g, err := a.lobby.CreateGuest(ctx, "")
	if err != nil {
		d.reserve.record(d.w, 0, err)
		return
	}
	t0 := time.Now()
	grant, err := a.lobby.QuickJoin(ctx, g.PlayerID, gameRoom)
	if ctx.Err() != nil {
		return
	}
	if err != nil {
		d.reserve.record(d.w, 0, fmt.Errorf("quick-join: %w", err))
		return
	}
	if grant.JoinCode != "" { // only a created room's grant carries the code
		d.create.record(d.w, time.Since(t0), nil)
	} else {
		d.reserve.record(d.w, time.Since(t0), nil)
	}
	b := d.f.nodeOf(grant.Url, a)
	if b == nil {
		d.redeem.record(d.w, 0, fmt.Errorf("grant names an unknown node URL %q", grant.Url))
		return
	}
	t1 := time.Now()
	if _, err := b.lobby.RedeemSeat(grant.Seat, g.PlayerID, grant.RoomId); err != nil {
		d.redeem.record(d.w, 0, fmt.Errorf("redeem: %w", err))
		return
	}
	d.redeem.record(d.w, time.Since(t1), nil)
	if !sleepFor(ctx, d.hold) {
		return // the run ends; closing the nodes removes their rooms
	}
	t2 := time.Now()
	err = b.lobby.Release(g.PlayerID, grant.RoomId)
	d.release.record(d.w, time.Since(t2), err)
}

func (d *directoryLoad) stop() {}

func (d *directoryLoad) report(r *Report, secs float64) float64 {
	var batches float64
	for name, o := range map[string]*opStats{"create": d.create, "reserve": d.reserve, "redeem": d.redeem, "release": d.release} {
		r.Ops[name] = o.report(secs)
		batches += r.Ops[name].PerSec
	}
	r.BatchesPerSec = batches
	return batches
}

// sleepFor waits d or until ctx ends, and reports whether ctx is alive.
func sleepFor(ctx context.Context, d time.Duration) bool { return sleepUntil(ctx, time.Now().Add(d)) }

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tickwire/tickwire/lobby"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
)

// matchLoad is the matchmaker scenario's players: each queues a ticket on
// a random node (all of one skill, so any RoomSize of them match), waits
// until the tickets bucket shows it matched, and gives the place up at
// once (the room's node releases it). The wait is timed from a watch of
// the bucket, as the matchmaker's mirror sees it, not by polling, which
// would add reads of its own.
type matchLoad struct {
	f *fleet
	w *window

	submit, matched, release *opStats
	expired                  atomic.Int64

	mu      sync.Mutex
	waiting map[string]chan lobby.Ticket // by ticket id
	early   map[string]lobby.Ticket      // finished before their session listened

	cancel context.CancelFunc
	done   chan struct{}
}

func newMatchLoad(ctx context.Context, f *fleet, js jetstream.JetStream, cfg Config, w *window) (*matchLoad, error) {
	kv, err := js.KeyValue(ctx, "tickwire_sim_tickets")
	if err != nil {
		return nil, fmt.Errorf("tickets bucket: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	watch, err := kv.Watch(ctx, "ticket.>", jetstream.UpdatesOnly())
	if err != nil {
		cancel()
		return nil, fmt.Errorf("watch tickets: %w", err)
	}
	m := &matchLoad{f: f, w: w, submit: newOpStats(), matched: newOpStats(), release: newOpStats(),
		waiting: map[string]chan lobby.Ticket{}, early: map[string]lobby.Ticket{}, cancel: cancel, done: make(chan struct{})}
	go m.watch(ctx, watch) // owned: stop cancels it and waits for done
	return m, nil
}

// watch hands every finished ticket to its session.
func (m *matchLoad) watch(ctx context.Context, w jetstream.KeyWatcher) {
	defer close(m.done)
	defer func() { _ = w.Stop() }()
	for {
		var e jetstream.KeyValueEntry
		select {
		case <-ctx.Done():
			return
		case e = <-w.Updates():
		}
		if e == nil || e.Operation() != jetstream.KeyValuePut {
			continue
		}
		var t lobby.Ticket
		if json.Unmarshal(e.Value(), &t) != nil || t.Status == lobby.StatusSearching {
			continue
		}
		m.mu.Lock()
		if ch, ok := m.waiting[t.ID]; ok {
			delete(m.waiting, t.ID)
			ch <- t // buffered: never blocks
		} else {
			m.early[t.ID] = t
		}
		m.mu.Unlock()
	}
}

func (m *matchLoad) session(ctx context.Context) {
	a := m.f.pick()
	g, err := a.lobby.CreateGuest(ctx, "")
	if err != nil {
		m.submit.record(m.w, 0, err)
		return
	}
	t0 := time.Now()
	id, err := a.lobby.CreateTicket(ctx, g.PlayerID, &tickwirev1.CreateTicket{Game: gameSquad, Skill: 1000})
	if ctx.Err() != nil {
		return
	}
	m.submit.record(m.w, time.Since(t0), err)
	if err != nil {
		return
	}
	ch := make(chan lobby.Ticket, 1)
	m.mu.Lock()
	if t, ok := m.early[id]; ok {
		delete(m.early, id)
		ch <- t
	} else {
		m.waiting[id] = ch
	}
	m.mu.Unlock()
	var t lobby.Ticket
	select {
	case t = <-ch:
	case <-ctx.Done():
		m.mu.Lock()
		delete(m.waiting, id)
		m.mu.Unlock()
		return
	}
	if t.Status != lobby.StatusMatched {
		if m.w.inside(time.Now()) {
			m.expired.Add(1)
		}
		return
	}
	m.matched.record(m.w, time.Since(t0), nil)
	host := m.f.byName[t.Node]
	if host == nil {
		m.release.record(m.w, 0, fmt.Errorf("matched on unknown node %q", t.Node))
		return
	}
	t1 := time.Now()
	err = host.lobby.Release(g.PlayerID, t.Room)
	m.release.record(m.w, time.Since(t1), err)
}

func (m *matchLoad) stop() {
	m.cancel()
	<-m.done
}

func (m *matchLoad) report(r *Report, secs float64) float64 {
	for name, o := range map[string]*opStats{"submit": m.submit, "matched": m.matched, "release": m.release} {
		r.Ops[name] = o.report(secs)
	}
	r.Expired = m.expired.Load()
	r.BatchesPerSec = r.Ops["submit"].PerSec + r.Ops["release"].PerSec
	return r.Ops["matched"].PerSec
}

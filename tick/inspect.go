package tick

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/protocol"
)

// This file is the operator's side of a room (the admin API and its
// /monitor page): counters read without resetting anything, and calls run
// on the room's goroutine between two ticks, so that what they read or do
// never races the game.

// RoomView is a room as an operator inspects it, read on the room's own
// goroutine right after a tick.
type RoomView struct {
	Info RoomInfo
	// Tick is the number of ticks run.
	Tick uint64
	// State is a copy of the game's state message after that tick; it
	// belongs to the caller.
	State proto.Message
	// Players are the seated players, in join order.
	Players []PlayerView
}

// PlayerView is one seated player of a RoomView.
type PlayerView struct {
	ID PlayerID
	// LastInputSeq is the highest input seq the room applied for the
	// player (since the player's current connection joined).
	LastInputSeq uint64
	// Detached says the player's connection dropped and the seat waits
	// for a reconnection (GameInfo.ReconnectGrace).
	Detached bool
	// RTT is the round-trip time the player's peer measured, when the
	// peer implements PeerRTT and has measured one; 0 otherwise.
	RTT time.Duration
}

// PeerRTT is an optional capability of a Peer: the round-trip time to its
// client, as the connection measured it (0 when not known). Inspect
// reports it per player.
type PeerRTT interface {
	RTT() time.Duration
}

// reasonKicked prefixes the reason a player kicked by Handle.Kick is told.
const reasonKicked = "kicked by an operator"

// roomProbe is a room's counters for Handle.Stats and its queue of calls
// for Inspect and Kick. The room's goroutine writes the counters (atomics,
// so any goroutine may read them) and runs the calls at the end of each
// tick.
type roomProbe struct {
	ticks, overruns, skipped, inputs atomic.Uint64
	duration, jitter                 probeHist
	lastNext                         uint64 // the room's goroutine only

	pending atomic.Bool // calls is not empty
	mu      sync.Mutex
	calls   []*probeCall
}

// probeCall is one function to run on the room's goroutine.
type probeCall struct {
	fn func(rm *room)
	// taken: 0 pending, 1 run by the room, 2 abandoned by the caller.
	taken atomic.Int32
	done  chan struct{}
}

// ticked records one tick that took d, started jitter late and took
// inputs inputs from the inbox, then runs the calls queued since the last
// tick. The room calls it at the end of every tick, on its goroutine.
func (p *roomProbe) ticked(rm *room, d, jitter time.Duration, inputs int) {
	p.ticks.Add(1)
	if d > rm.period {
		p.overruns.Add(1)
	}
	// rm.next is one past the deadline just run: a jump is a skip.
	if p.lastNext != 0 && rm.next > p.lastNext+1 {
		p.skipped.Add(rm.next - p.lastNext - 1)
	}
	p.lastNext = rm.next
	p.inputs.Add(uint64(inputs))
	p.duration.observe(d)
	p.jitter.observe(jitter)
	if !p.pending.Load() {
		return
	}
	p.mu.Lock()
	calls := p.calls
	p.calls = nil
	p.pending.Store(false)
	p.mu.Unlock()
	for _, c := range calls {
		if c.taken.CompareAndSwap(0, 1) {
			c.fn(rm)
			close(c.done)
		}
	}
}

// onRoom runs fn on the room's goroutine at the end of its next tick and
// waits for it. It fails with ErrRoomNotFound when the room ends first,
// or with ctx's error (fn then never runs).
func (h *Handle) onRoom(ctx context.Context, fn func(rm *room)) error {
	rm := h.rm
	if rm.ended.Load() {
		return ErrRoomNotFound
	}
	c := &probeCall{fn: fn, done: make(chan struct{})}
	p := &rm.probe
	p.mu.Lock()
	p.calls = append(p.calls, c)
	p.pending.Store(true)
	p.mu.Unlock()
	select {
	case <-c.done:
		return nil
	case <-rm.done:
		if !c.taken.CompareAndSwap(0, 2) {
			<-c.done // it ran in the last tick
			return nil
		}
		return ErrRoomNotFound
	case <-ctx.Done():
		if c.taken.CompareAndSwap(0, 2) {
			return ctx.Err()
		}
		<-c.done // the room is running it
		return nil
	}
}

// Stats returns the room's counters since it started. It reads atomics
// and never waits for the room.
func (h *Handle) Stats() RoomStats {
	p := &h.rm.probe
	return RoomStats{
		Ticks:    p.ticks.Load(),
		Overruns: p.overruns.Load(),
		Skipped:  p.skipped.Load(),
		Inputs:   p.inputs.Load(),
		Duration: p.duration.load(),
		Jitter:   p.jitter.load(),
	}
}

// Inspect returns the room's state and players as they are at the end of
// its next tick, read on the room's goroutine (so it waits up to one tick
// period). The state is cloned there, which costs what a snapshot of it
// costs: an admin page, not a hot path. Errors: ErrRoomNotFound (the room
// ended) or ctx's error.
func (h *Handle) Inspect(ctx context.Context) (RoomView, error) {
	var v RoomView
	err := h.onRoom(ctx, func(rm *room) {
		v.Tick = rm.ticks
		v.State = proto.Clone(rm.game.state())
		v.Players = make([]PlayerView, len(rm.order))
		for i, s := range rm.order {
			pv := PlayerView{ID: s.id, LastInputSeq: s.lastSeq, Detached: !s.detachedUntil.IsZero()}
			if r, ok := s.peer.(PeerRTT); ok {
				pv.RTT = r.RTT()
			}
			v.Players[i] = pv
		}
	})
	if err != nil {
		return RoomView{}, fmt.Errorf("inspect room %s: %w", h.rm.id, err)
	}
	v.Info = h.Info()
	return v, nil
}

// Kick unseats player at the end of the room's next tick, as the game's
// Room.Kick would: the player's connection is sent Left with the reason
// ("kicked by an operator: REASON"), the game's Leave runs and the seat is
// released (Options.OnUnseat, which frees the player in the lobby).
// Errors: ErrNotInRoom (player is not seated), ErrRoomNotFound (the room
// ended) or ctx's error (the player was not kicked).
func (h *Handle) Kick(ctx context.Context, player PlayerID, reason string) error {
	msg := reasonKicked
	if reason != "" {
		msg += ": " + reason
	}
	seated := false
	err := h.onRoom(ctx, func(rm *room) {
		s := rm.slotOf(player)
		if s == nil || rm.failure != nil {
			return
		}
		seated = true
		rm.now = rm.clock.Now() // as for any leave between ticks
		rm.recordLeave(s.id)    // a leave the game did not cause (record.go)
		rm.unseat(s, protocol.CodeUnspecified, msg)
		rm.callLeave(s.id)
	})
	switch {
	case err != nil:
		return fmt.Errorf("kick %s from room %s: %w", player, h.rm.id, err)
	case !seated:
		return fmt.Errorf("kick %s from room %s: %w", player, h.rm.id, ErrNotInRoom)
	}
	return nil
}

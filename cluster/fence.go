package cluster

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/tickwire/tickwire/lobby"
	"github.com/tickwire/tickwire/protocol"
)

// Fencing: a node cut off from NATS stops its recoverable rooms before
// another node can restore them, so that no room runs twice.
//
// The others take a node for dead when its registry key ages out: the
// stream expires it TTL after the write that made it, and that write
// happened after the node sent it. So the node keeps, on its own monotonic
// clock, the send time of its latest heartbeat that NATS acknowledged;
// once TTL − margin (margin = TTL/4: 1.25 s of the default 5 s) has passed
// since then without a newer ack, it fences itself. No clocks are
// compared: both ends of the interval are read on the node's clock, and
// the key cannot expire before sent + TTL on any clock that runs at the
// same rate. The margin covers closing the rooms and a late scheduler.
//
// Fenced, the node:
//   - closes every room whose game saves snapshots (another node may
//     restore those): its players get Left with CodeRoomElsewhere and
//     rejoin through another node (client.Rejoin); the directory keeps
//     the room's record and places, which the fenced node will not remove
//     or release;
//   - leaves rooms without snapshots running (no one else can run them;
//     the others remove their records once the node is taken for dead);
//   - issues no seats and takes no rooms: its directory and tickets fail
//     every call at once with CodeShuttingDown ("try another node")
//     instead of waiting out NATS; it hosts no matches, restores no rooms,
//     does not lead the matchmaker, and drops the snapshots it has not
//     written. Removals and releases its lobby asks for meanwhile are
//     deferred until it is back.
//
// The first heartbeat acknowledged afterwards re-registers the node (the
// others see it join again) and ends the fence. Each room it closed is
// then settled: if its record names another node, or is gone, it lives
// elsewhere (restored from its snapshot) and is left alone; if it still
// names this node (the partition was shorter than the TTL, so no one took
// it), the node hands it to another node from its snapshot, as a
// graceful shutdown does, or restores it here when no other node takes it.

// fenceMargin is how long before the TTL runs out, counted from the send
// time of the last acknowledged heartbeat, a node fences itself.
func fenceMargin(ttl time.Duration) time.Duration { return ttl / 4 }

// errFenced is what a fenced node's directory and tickets answer at once:
// SHUTTING_DOWN, try another node.
var errFenced = failf(lobby.ErrClosed, "this node is cut off from the cluster: try another node")

// fenceReason is the reason of the Left a fenced node's players get.
const fenceReason = "this node lost the cluster: rejoin the room through another node"

// fence is the node's fencing state: when its last acknowledged heartbeat
// was sent, and whether it is fenced.
type fence struct {
	limit time.Duration // TTL − margin

	mu     sync.Mutex
	acked  time.Time // send time of the latest acknowledged heartbeat (monotonic)
	fenced bool
	wake   chan struct{} // capacity 1: acked moved
}

func newFence(ttl time.Duration) *fence {
	return &fence{limit: ttl - fenceMargin(ttl), wake: make(chan struct{}, 1)}
}

// ack records that a heartbeat sent at sent was acknowledged.
func (f *fence) ack(sent time.Time) {
	f.mu.Lock()
	if sent.After(f.acked) {
		f.acked = sent
	}
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// isFenced reports whether the node is fenced now.
func (f *fence) isFenced() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fenced
}

// deadline is when the node fences itself unless a newer heartbeat is
// acknowledged first.
func (f *fence) deadline() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.acked.Add(f.limit)
}

// Fenced reports whether the node is fenced: cut off from NATS for longer
// than its heartbeats prove it alive, so that it has closed its
// recoverable rooms and issues no seats until NATS acknowledges a
// heartbeat again.
func (n *Node) Fenced() bool { return n.fence.isFenced() }

// runFence is the fence's goroutine (started by Start): it fences the node
// at the deadline, and ends the fence at the next acknowledged heartbeat.
func (n *Node) runFence() {
	f := n.fence
	timer := time.NewTimer(time.Until(f.deadline()))
	defer timer.Stop()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-f.wake:
		case <-timer.C:
		}
		now := time.Now()
		due := f.deadline()
		f.mu.Lock()
		was := f.fenced
		f.fenced = !now.Before(due)
		is := f.fenced
		f.mu.Unlock()
		switch {
		case is && !was:
			n.log.Error().Dur("since_ack", now.Sub(due.Add(-f.limit))).Msg("no heartbeat acknowledged within the TTL less the margin: fencing this node (closing its recoverable rooms)")
			n.fenceRooms()
		case !is && was:
			n.log.Warn().Msg("heartbeat acknowledged again: the node is back in the cluster")
			n.goOwned(n.settleFenced)
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		if !is {
			timer.Reset(time.Until(due))
		}
	}
}

// fenceRooms closes the node's recoverable rooms, keeping their records
// in the directory for whoever restores them.
func (n *Node) fenceRooms() {
	n.mu.Lock()
	h := n.host
	n.mu.Unlock()
	ctx, cancel := context.WithTimeout(n.ctx, 5*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	closed := 0
	for _, info := range h.Rooms.List("") {
		r, err := h.Rooms.Get(info.ID)
		if err != nil || r.GameInfo().SnapshotEvery <= 0 {
			continue
		}
		n.dir.hold(info.ID) // before it ends: the lobby's removal must not touch it
		closed++
		wg.Go(func() {
			if err := r.CloseWith(ctx, protocol.CodeRoomElsewhere, fenceReason); err != nil {
				n.log.Warn().Err(err).Str("room", info.ID).Msg("close a fenced room")
			}
		})
	}
	wg.Wait()
	n.log.Warn().Int("rooms", closed).Msg("fenced: recoverable rooms closed, their players sent elsewhere")
}

// settleFenced decides the fate of each room the fence closed (see the
// comment at the top of this file), once NATS answers again.
func (n *Node) settleFenced() {
	ctx, cancel := context.WithTimeout(n.ctx, 30*time.Second)
	n.dir.applyDeferred(ctx)
	cancel()
	for _, id := range n.dir.heldRooms() {
		if n.ctx.Err() != nil {
			return
		}
		ctx, cancel := context.WithTimeout(n.ctx, 30*time.Second)
		n.settleRoom(ctx, id)
		cancel()
	}
}

func (n *Node) settleRoom(ctx context.Context, id string) {
	if !n.claimRoom(id) {
		return
	}
	defer n.unclaimRoom(id)
	doc, _, ok, err := n.dir.readRoom(ctx, id)
	switch {
	case err != nil:
		// Still held: the next end of a fence settles it (NATS failing
		// this long fences the node again), or the others, once they
		// take the node for dead.
		n.log.Warn().Err(err).Str("room", id).Msg("settle a fenced room: read failed; it stays held")
		return
	case !ok || doc.Node != n.opts.Name:
		n.dir.unhold(id) // restored elsewhere, or gone: not ours
		n.log.Info().Str("room", id).Str("on", doc.Node).Msg("a fenced room lives elsewhere now")
		return
	}
	on, err := n.restoreElsewhere(ctx, id, n.opts.Name, nil)
	if err != nil && !errors.Is(err, errRoomMoved) {
		if err = n.restoreHere(id, n.opts.Name); err == nil {
			on = n.opts.Name
		}
	}
	if errors.Is(err, errFenced) {
		return // fenced again meanwhile: still held, settled next time
	}
	n.dir.unhold(id)
	if errors.Is(err, errRoomMoved) {
		n.log.Info().Str("room", id).Msg("a fenced room was taken by another node meanwhile")
		return
	}
	if err != nil {
		n.log.Warn().Err(err).Str("room", id).Msg("fenced room not restored: removing it")
		if rerr := n.dir.removeRoomOf(ctx, id, n.opts.Name); rerr != nil {
			n.log.Warn().Err(rerr).Str("room", id).Msg("remove a fenced room")
		}
		return
	}
	n.log.Info().Str("room", id).Str("on", on).Msg("fenced room restored from its snapshot")
}

package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/tickwire/tickwire/lobby"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/tick"
)

// Room recovery. A room whose game saves snapshots (snapshots.go) outlives
// its node:
//
//  1. The node dies: its registry key ages out and every node hears of it
//     (Node.nodeGone, or the heartbeat's orphan sweep as a backstop).
//  2. The node leading the matchmaker takes each of the dead node's rooms
//     that has a snapshot, picks the least-loaded live node that is not
//     draining, and asks it over NATS (tickwire.<cluster>.restore.<node>)
//     to restore the room. Other nodes leave such rooms to the leader (they
//     remove only rooms without a snapshot, as before, and, as a
//     backstop, any room of a node missing for three TTLs).
//  3. The chosen node starts the room from the snapshot under the same id
//     (tick.RoomOptions{ID, Restore}) and moves its directory record to
//     itself in one atomic batch that expects the record still on the dead
//     node (so two restorers cannot both win). The room keeps its join
//     code, and every player keeps his place, now a reservation on the new
//     node that lapses after the game's reconnection grace (10 s when it
//     has none): old seats name the dead node and are dead with it.
//  4. Players reconnect through any node's lobby: join{room_id} gives a
//     member a fresh seat, whose Grant names the new node's URL
//     (client.Rejoin does it all).
//
// A graceful shutdown (Node.Close) migrates the same way: the node writes
// its pending snapshots, then hands each room that has one to another
// node, with from = itself.

// restoreRequest asks a node to restore a room from its snapshot.
type restoreRequest struct {
	Room string `json:"room"`
	// From is the node the room's directory record must still name.
	From string `json:"from"`
}

type restoreReply struct {
	Error *wireError `json:"error,omitempty"`
}

// errRoomMoved: the room's record no longer names the node it was to be
// taken from (another node restored it, or it ended).
var errRoomMoved = errors.New("room record moved or gone")

// claimRoom marks room as being recovered by this node; false when it
// already is.
func (n *Node) claimRoom(room string) bool {
	n.recMu.Lock()
	defer n.recMu.Unlock()
	if n.recovering[room] {
		return false
	}
	n.recovering[room] = true
	return true
}

func (n *Node) unclaimRoom(room string) {
	n.recMu.Lock()
	delete(n.recovering, room)
	n.recMu.Unlock()
}

// recoverRoomsOf restores, elsewhere, every room of the dead node that has
// a snapshot, if this node leads the matchmaker; rooms it could not
// restore are removed. Other rooms are left to removeRoomsOf.
func (n *Node) recoverRoomsOf(node string) {
	if !n.Leader() || node == n.opts.Name {
		return
	}
	// A few at a time: a node's hundreds of rooms come back in seconds,
	// without a burst of hundreds of restores on the targets.
	sem := make(chan struct{}, recoverParallel)
	var wg sync.WaitGroup
	for _, id := range n.dir.RoomsOf(node) {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			n.recoverRoom(id, node)
		})
	}
	wg.Wait()
}

// recoverParallel is how many rooms a leader restores at once.
const recoverParallel = 8

// recoverRetry is the pause between two rounds of restore requests for one
// room.
const recoverRetry = 250 * time.Millisecond

// recoverRoom restores room (of node from) on the least-loaded live node,
// when it has a snapshot; it reports whether it had one.
func (n *Node) recoverRoom(id, from string) bool {
	if !n.claimRoom(id) {
		return true
	}
	defer n.unclaimRoom(id)
	ctx, cancel := context.WithTimeout(n.ctx, 30*time.Second)
	defer cancel()
	snap, ok, err := n.readSnapshot(ctx, id)
	if err != nil || !ok {
		return false
	}
	start := time.Now()
	on, err := n.restoreElsewhere(ctx, id, from, nil)
	for tries := 1; err != nil && !errors.Is(err, errRoomMoved) && ctx.Err() == nil && n.leader.Load(); tries++ {
		// A restore request that timed out was often a slow target, not a
		// dead one (a loaded machine: the bench's failover at 300 players
		// lost whole rooms to one 5 s timeout). The room's players wait for
		// it, so try again, until ctx ends: a target that did restore it
		// meanwhile makes the next round end with errRoomMoved.
		if tries == 1 || tries%20 == 0 { // every 5 s
			n.log.Info().Err(err).Str("room", id).Str("of", from).Int("tries", tries).Msg("room not recovered yet: trying again")
		}
		t := time.NewTimer(recoverRetry)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
		if ctx.Err() == nil {
			on, err = n.restoreElsewhere(ctx, id, from, nil)
		}
	}
	if err != nil {
		if errors.Is(err, errRoomMoved) {
			return true
		}
		if n.ctx.Err() != nil { // this node is closing: not its to remove
			return true
		}
		if !n.leader.Load() { // the next leader recovers it
			n.log.Info().Err(err).Str("room", id).Str("of", from).Msg("room not recovered: no longer leading")
			return true
		}
		n.log.Warn().Err(err).Str("room", id).Str("of", from).Msg("room not recovered: removing it")
		if rerr := n.dir.removeRoomOf(ctx, id, from); rerr != nil {
			n.log.Warn().Err(rerr).Str("room", id).Msg("remove unrecovered room")
		}
		return true
	}
	n.log.Warn().Str("room", id).Str("game", snap.Game).Str("of", from).Str("on", on).Uint64("tick", snap.Tick).
		Dur("took", time.Since(start)).Msg("recovered a room of a departed node")
	return true
}

// restoreElsewhere asks live nodes, least loaded first, to restore room
// from its snapshot, until one does; it returns that node. skip lists
// nodes not to ask.
func (n *Node) restoreElsewhere(ctx context.Context, room, from string, skip []string) (string, error) {
	nodes := slices.DeleteFunc(n.reg.list(), func(i NodeInfo) bool {
		return i.Draining || i.Name == from || slices.Contains(skip, i.Name)
	})
	slices.SortFunc(nodes, func(a, b NodeInfo) int {
		if a.lessLoaded(b) {
			return -1
		}
		return 1
	})
	if len(nodes) == 0 {
		return "", errors.New("no live node to restore the room on")
	}
	var last error
	for _, target := range nodes {
		rctx, cancel := context.WithTimeout(ctx, placeTimeout)
		msg, err := n.nc.RequestWithContext(rctx, n.subject+"restore."+enc(target.Name), mustJSON(restoreRequest{Room: room, From: from}))
		cancel()
		if err != nil {
			last = fmt.Errorf("restore request to %s: %w", target.Name, err)
			continue
		}
		var rep restoreReply
		if err := json.Unmarshal(msg.Data, &rep); err != nil {
			last = fmt.Errorf("restore reply from %s: %w", target.Name, err)
			continue
		}
		if rep.Error != nil {
			if rep.Error.Msg == errRoomMoved.Error() {
				return "", errRoomMoved
			}
			last = fmt.Errorf("node %s: %s", target.Name, rep.Error.Msg)
			continue
		}
		return target.Name, nil
	}
	return "", last
}

// serveRestore answers a request to restore a room here.
func (n *Node) serveRestore(msg *nats.Msg) {
	var req restoreRequest
	var rep restoreReply
	switch err := json.Unmarshal(msg.Data, &req); {
	case err != nil || req.Room == "" || req.From == "":
		rep.Error = &wireError{Code: int32(lobby.ErrBadRequest.Code), Msg: "undecodable restore request"}
	case n.draining.Load():
		rep.Error = &wireError{Code: int32(lobby.ErrClosed.Code), Msg: "node " + n.opts.Name + " is draining"}
	case n.fence.isFenced(): // fence.go
		rep.Error = &wireError{Code: int32(lobby.ErrClosed.Code), Msg: "node " + n.opts.Name + " is fenced"}
	default:
		n.goOwned(func() { // off the NATS callback goroutine: restoring reads and writes JetStream
			if err := n.restoreHere(req.Room, req.From); err != nil {
				text := err.Error()
				if errors.Is(err, errRoomMoved) {
					text = errRoomMoved.Error()
				}
				rep.Error = &wireError{Code: int32(protocol.AsError(err).Code), Msg: text}
			}
			if err := msg.Respond(mustJSON(rep)); err != nil {
				n.log.Warn().Err(err).Msg("answer a restore request")
			}
		})
		return
	}
	_ = msg.Respond(mustJSON(rep))
}

// restoreHere starts room from its snapshot on this node and moves its
// directory record here from node from.
func (n *Node) restoreHere(room, from string) error {
	ctx, cancel := context.WithTimeout(n.ctx, placeTimeout)
	defer cancel()
	n.mu.Lock()
	h := n.host
	n.mu.Unlock()
	snap, ok, err := n.readSnapshot(ctx, room)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("room %s has no snapshot", room)
	}
	doc, _, ok, err := n.dir.readRoom(ctx, room)
	if err != nil {
		return err
	}
	if !ok || doc.Node != from {
		return errRoomMoved
	}
	var info tick.GameInfo
	for _, g := range h.Rooms.Games() {
		if g.Name == snap.Game {
			info = g
		}
	}
	if info.Name == "" {
		return fmt.Errorf("room %s: game %q is not on node %s", room, snap.Game, n.opts.Name)
	}
	rh, err := h.Rooms.Create(ctx, snap.Game, tick.RoomOptions{ID: room, Restore: snap.State, MaxPlayers: min(doc.MaxPlayers, info.MaxPlayers)})
	if err != nil {
		return fmt.Errorf("restore room %s: %w", room, err)
	}
	grace := info.ReconnectGrace
	if grace <= 0 {
		grace = 10 * time.Second
	}
	if err := n.dir.moveRoom(ctx, room, from, n.opts.Name, time.Now().Add(grace)); err != nil {
		if cerr := rh.Close(context.WithoutCancel(ctx)); cerr != nil {
			n.log.Warn().Err(cerr).Str("room", room).Msg("close a room restored in vain")
		}
		return err
	}
	n.goOwned(func() { // forget the room in the directory when it ends, as the lobby does for its own
		select {
		case <-rh.Done():
			ctx, cancel := context.WithTimeout(context.WithoutCancel(n.ctx), 30*time.Second)
			defer cancel()
			if err := n.dir.removeRoomOf(ctx, room, n.opts.Name); err != nil {
				n.log.Warn().Err(err).Str("room", room).Msg("forget an ended restored room")
			}
		case <-n.ctx.Done():
		}
	})
	return nil
}

// migrateRooms hands each of this node's rooms that has a snapshot to
// another node (graceful shutdown) and returns the ids it could not.
//
// Rooms go recoverParallel at a time, as a dead node's do: no player hears
// of the drain before every room was handed over (the rooms end after
// this), so one room after the other kept them all waiting for the sum
// (0.7 s for 10 rooms in the bench's failover at 300 players).
func (n *Node) migrateRooms(ctx context.Context) (migrated int, left []string) {
	var mu sync.Mutex
	sem := make(chan struct{}, recoverParallel)
	var wg sync.WaitGroup
	for _, id := range n.dir.RoomsOf(n.opts.Name) {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			on, err := "", error(nil)
			if _, ok, rerr := n.readSnapshot(ctx, id); rerr != nil || !ok {
				err = errNoSnapshot
			} else if on, err = n.restoreElsewhere(ctx, id, n.opts.Name, nil); err != nil {
				n.log.Warn().Err(err).Str("room", id).Msg("room not migrated")
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				left = append(left, id)
				return
			}
			migrated++
			n.log.Info().Str("room", id).Str("to", on).Msg("room migrated")
			n.closeMoved(ctx, id, on)
		})
	}
	wg.Wait()
	return migrated, left
}

// movedReason is the reason of the Left a draining node's players get when
// their room was restored on another node.
const movedReason = "the room moved to another node: rejoin it there"

// closeMoved ends the local run of room id once another node runs it from
// its snapshot, with room_elsewhere for its players: they rejoin as soon
// as their own room is handed over, not when the drain ends (with 10 rooms
// of 100 players on a draining node, the last players heard of it only
// once every room had migrated: drain p99 1.3–1.9 s). The room's end
// releases no place: the record names the other node.
func (n *Node) closeMoved(ctx context.Context, id, on string) {
	n.mu.Lock()
	h := n.host
	n.mu.Unlock()
	if h.Rooms == nil {
		return
	}
	r, err := h.Rooms.Get(id)
	if err != nil {
		return // it ended meanwhile
	}
	if err := r.CloseWith(ctx, protocol.CodeRoomElsewhere, movedReason); err != nil {
		n.log.Warn().Err(err).Str("room", id).Str("to", on).Msg("close a migrated room")
	}
}

// errNoSnapshot: a room to migrate has no snapshot to restore it from.
var errNoSnapshot = errors.New("no snapshot")

// moveRoom gives room, recorded on node from, to node to: the record and
// every place in it name the new node, and each place becomes a
// reservation until expires (the players' old seats named the old node).
// It fails with errRoomMoved unless the record names from.
func (d *Directory) moveRoom(ctx context.Context, id, from, to string, expires time.Time) error {
	return d.st.update(ctx, func() ([]op, error) {
		doc, rev, ok, err := d.readRoom(ctx, id)
		if err != nil {
			return nil, err
		}
		if !ok || doc.Node != from {
			return nil, errRoomMoved
		}
		doc.Node = to
		var ops []op
		for _, p := range slices.Sorted(maps.Keys(doc.Places)) {
			cur, srev, held, err := d.readSeat(ctx, p)
			if err != nil {
				return nil, err
			}
			if !held || cur.Room != id {
				delete(doc.Places, p) // the player moved on meanwhile
				continue
			}
			s := lobby.SeatRecord{Room: id, Player: p, Node: to, Expires: expires}
			doc.Places[p] = s
			ops = append(ops, seatPut(s, srev))
		}
		if len(doc.Places) == 0 && doc.IdleSince.IsZero() {
			doc.IdleSince = time.Now()
		}
		return append(ops, doc.put(rev)), nil
	})
}

// removeRoomOf removes room id if its record still names node.
func (d *Directory) removeRoomOf(ctx context.Context, id, node string) error {
	key := keyRoom + enc(id)
	return d.st.update(ctx, func() ([]op, error) {
		e, err := d.st.get(ctx, key)
		if err != nil || !e.OK {
			return nil, err
		}
		doc, ok := d.decodeRoom(key, id, e)
		if !ok {
			return []op{del(key, e.Rev)}, nil
		}
		if doc.Node != node {
			return nil, nil
		}
		return d.removeOps(ctx, doc, e.Rev)
	})
}

// ownsRoom reports whether the mirror does not give room to another node.
func (d *Directory) ownsRoom(room string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	doc, ok := d.rooms[room]
	return !ok || doc.Node == d.node
}

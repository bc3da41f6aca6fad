package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/tickwire/tickwire/tick"
)

// Room snapshots for recovery. A game that sets tick.GameInfo.SnapshotEvery
// hands its room's state to tick.Options.OnSnapshot (Node.SaveSnapshot) on
// the room's goroutine; SaveSnapshot keeps the latest per room and wakes
// the node's saver goroutine, which writes it to the snapshots bucket
// (tickwire_<cluster>_snapshots, key room.<id>, one revision per key),
// each with a JetStream message TTL so snapshots of rooms that ended age
// out. When the room's node dies, the cluster restores the room from it
// (recover.go).

// snapshotDoc is a room snapshot as stored.
type snapshotDoc struct {
	V    int    `json:"v"`
	Room string `json:"room"`
	Game string `json:"game"`
	Node string `json:"node"`
	Tick uint64 `json:"tick"`
	// Players were seated when the snapshot was taken; the directory's
	// places are what recovery goes by.
	Players []string  `json:"players,omitempty"`
	State   []byte    `json:"state"`
	Saved   time.Time `json:"saved"`
}

const snapshotVersion = 1

// SnapshotStats counts what the node's saver did.
type SnapshotStats struct {
	// Saved snapshots were written to JetStream.
	Saved uint64
	// Superseded snapshots were replaced by a newer one of their room
	// before the saver got to them (a slow NATS; only the latest counts).
	Superseded uint64
	// Failed writes, and snapshots Refused for being over
	// Options.MaxSnapshotBytes.
	Failed, Refused uint64
}

// saver owns the pending snapshots and the goroutine that writes them.
type saver struct {
	st    *store
	node  string
	ttl   time.Duration
	limit int
	log   zerolog.Logger
	owns  func(room string) bool // false: the directory gives the room to another node

	mu      sync.Mutex
	pending map[string]tick.RoomSnapshot // the latest per room, at most one each
	stopped bool
	wake    chan struct{} // capacity 1
	writeMu sync.Mutex    // one writer at a time: the goroutine or flush

	saved, superseded, failed, refused atomic.Uint64
	lastWarn                           atomic.Int64 // unix nanos: warnings at most once per 10 s
}

func newSaver(st *store, node string, ttl time.Duration, limit int, log zerolog.Logger) *saver {
	return &saver{st: st, node: node, ttl: ttl, limit: limit, log: log, owns: func(string) bool { return true },
		pending: map[string]tick.RoomSnapshot{}, wake: make(chan struct{}, 1)}
}

// SaveSnapshot is tick.Options.OnSnapshot for a cluster node: it keeps s
// as its room's latest snapshot and returns at once; the node's saver
// writes it to JetStream. Snapshots over Options.MaxSnapshotBytes are
// refused (counted and logged). Without a cluster node, leave OnSnapshot
// nil.
func (n *Node) SaveSnapshot(s tick.RoomSnapshot) { n.saver.offer(s) }

// SnapshotStats reports what the node's saver did.
func (n *Node) SnapshotStats() SnapshotStats {
	s := n.saver
	return SnapshotStats{Saved: s.saved.Load(), Superseded: s.superseded.Load(), Failed: s.failed.Load(), Refused: s.refused.Load()}
}

func (s *saver) offer(snap tick.RoomSnapshot) {
	if len(snap.State) > s.limit {
		s.refused.Add(1)
		s.warn(fmt.Errorf("%d bytes, the limit is %d", len(snap.State), s.limit), snap.RoomID, "room snapshot too large: not saved")
		return
	}
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return
	}
	if _, ok := s.pending[snap.RoomID]; ok {
		s.superseded.Add(1)
	}
	s.pending[snap.RoomID] = snap
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *saver) warn(err error, room, msg string) {
	now := time.Now().UnixNano()
	last := s.lastWarn.Load()
	if now-last < int64(10*time.Second) || !s.lastWarn.CompareAndSwap(last, now) {
		return
	}
	s.log.Warn().Err(err).Str("room", room).Msg(msg)
}

// run writes pending snapshots until ctx ends.
func (s *saver) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		}
		s.writePending(ctx)
	}
}

// writePending writes and clears the pending snapshots.
func (s *saver) writePending(ctx context.Context) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.mu.Lock()
	batch := s.pending
	s.pending = make(map[string]tick.RoomSnapshot, len(batch))
	s.mu.Unlock()
	for _, snap := range batch {
		if ctx.Err() != nil {
			return
		}
		if !s.owns(snap.RoomID) {
			continue // the room moved (this node was taken for dead): not ours to save
		}
		if err := s.write(ctx, snap); err != nil {
			s.failed.Add(1)
			s.warn(err, snap.RoomID, "save room snapshot")
			continue
		}
		s.saved.Add(1)
	}
}

// write stores one snapshot, unconditionally (only the room's node writes
// its key), expiring after the TTL unless rewritten.
func (s *saver) write(ctx context.Context, snap tick.RoomSnapshot) error {
	players := make([]string, len(snap.Players))
	for i, p := range snap.Players {
		players[i] = string(p)
	}
	doc := snapshotDoc{V: snapshotVersion, Room: snap.RoomID, Game: snap.Game, Node: s.node, Tick: snap.Tick, Players: players, State: snap.State, Saved: time.Now()}
	m := nats.NewMsg(s.st.prefix + keyRoom + enc(snap.RoomID))
	m.Data = mustJSON(doc)
	m.Header.Set(hdrTTL, strconv.Itoa(max(int(s.ttl/time.Second), 1))+"s")
	actx, cancel := context.WithTimeout(ctx, attemptTimeout)
	defer cancel()
	_, err := s.st.js.PublishMsg(actx, m, jetstream.WithRetryAttempts(0))
	return err
}

// stop refuses further snapshots and writes what is pending (graceful
// shutdown: the rooms migrate from these).
func (s *saver) stop(ctx context.Context) {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
	s.writePending(ctx)
}

// readSnapshot returns room's last snapshot, if there is a good one.
func (n *Node) readSnapshot(ctx context.Context, room string) (snapshotDoc, bool, error) {
	key := keyRoom + enc(room)
	e, err := n.snaps.get(ctx, key)
	if err != nil || !e.OK {
		return snapshotDoc{}, false, err
	}
	var doc snapshotDoc
	if err := json.Unmarshal(e.Value, &doc); err != nil || doc.V != snapshotVersion || doc.Room != room || doc.Game == "" {
		n.dir.malformed(n.snaps.name+"/"+key, e.Rev, "room snapshot")
		return snapshotDoc{}, false, nil
	}
	return doc, true, nil
}

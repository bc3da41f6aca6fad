package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// NodeInfo is one node as the registry shows it: who it is, where clients
// reach it and how loaded it is. Each node writes its own every
// heartbeat.
type NodeInfo struct {
	Name string `json:"name"`
	// URL is the node's public base URL (http(s)://host:port): clients
	// open /ws there for a seat in one of its rooms.
	URL string `json:"url"`
	// Instance tells two processes using one name apart.
	Instance string `json:"instance"`
	Rooms    int    `json:"rooms"`
	Players  int    `json:"players"`
	// CPU is the process's CPU use in percent of one core since the
	// previous heartbeat.
	CPU float64 `json:"cpu"`
	// Draining nodes take no new matches (graceful shutdown).
	Draining bool      `json:"draining,omitempty"`
	Started  time.Time `json:"started"`
	// Beat is when the node wrote this entry (its clock).
	Beat time.Time `json:"beat"`
}

// load orders nodes for placement: fewer rooms, then fewer players, then
// less CPU, then the name.
func (n NodeInfo) lessLoaded(o NodeInfo) bool {
	switch {
	case n.Rooms != o.Rooms:
		return n.Rooms < o.Rooms
	case n.Players != o.Players:
		return n.Players < o.Players
	case n.CPU != o.CPU:
		return n.CPU < o.CPU
	}
	return n.Name < o.Name
}

// registry is the live view of the cluster's nodes: a mirror of the nodes
// bucket, whose keys age out HeartbeatTTL after their last write (the
// bucket's MaxAge). A node is alive while its entry exists and was seen
// within the TTL on this node's clock; when it goes, gone is told once.
type registry struct {
	self   string // this node
	st     *store
	ttl    time.Duration
	log    zerolog.Logger
	mirror *mirror

	beatMu sync.Mutex // one beat at a time: the heartbeat's, Start's or Close's
	rev    uint64     // revision of this node's last heartbeat (0: read first)

	mu    sync.Mutex
	nodes map[string]seenNode
	gone  func(name string) // called on the mirror's goroutine or the checker's
	wake  chan struct{}     // closed on every membership change
}

type seenNode struct {
	info NodeInfo
	seen time.Time // local clock
}

const keyNode = "node."

func newRegistry(st *store, self string, ttl time.Duration, log zerolog.Logger) *registry {
	r := &registry{self: self, st: st, ttl: ttl, log: log, nodes: map[string]seenNode{}, gone: func(string) {}, wake: make(chan struct{})}
	r.mirror = newMirror(st.name, log, st.kv, ">", r.applyEntry)
	r.mirror.stall = ttl // this node alone writes every third of it
	return r
}

func (r *registry) applyEntry(key string, e entry) {
	rest, ok := strings.CutPrefix(key, keyNode)
	if !ok {
		return
	}
	name, ok := dec(rest)
	if !ok {
		r.log.Warn().Str("key", key).Msg("malformed registry key skipped")
		return
	}
	if !e.OK {
		r.drop(name, "left or stopped heartbeating")
		return
	}
	var info NodeInfo
	if err := json.Unmarshal(e.Value, &info); err != nil || info.Name != name {
		r.log.Warn().Str("key", key).Uint64("revision", e.Rev).Msg("malformed registry entry skipped")
		return
	}
	r.mu.Lock()
	_, known := r.nodes[name]
	r.nodes[name] = seenNode{info: info, seen: time.Now()}
	if !known {
		r.changedLocked()
	}
	r.mu.Unlock()
	if !known {
		r.log.Info().Str("node", name).Str("url", info.URL).Msg("node joined")
	}
}

func (r *registry) changedLocked() {
	close(r.wake)
	r.wake = make(chan struct{})
}

// drop forgets a node and tells gone, once.
func (r *registry) drop(name, why string) {
	r.mu.Lock()
	_, known := r.nodes[name]
	delete(r.nodes, name)
	if known {
		r.changedLocked()
	}
	gone := r.gone
	r.mu.Unlock()
	if known {
		r.log.Warn().Str("node", name).Str("why", why).Msg("node gone")
		gone(name)
	}
}

// expire drops nodes not seen within the TTL (on this clock): a backstop
// for a missed delete marker. A node counts as silent only while this
// node's watch is seen delivering: its own beats, which go through the
// same watch, must have arrived for more than a TTL after the other's last
// one. A stalled watch (its consumer on a NATS server that stopped) stops
// both, so it judges no one: comparing each with now alone dropped a live
// node whose last beat happened to precede this node's own by a fraction
// of the beat interval (CI: a NATS server stopped under play).
func (r *registry) expire(now time.Time) {
	r.mu.Lock()
	me, ok := r.nodes[r.self]
	if !ok || now.Sub(me.seen) > r.ttl {
		r.mu.Unlock()
		return
	}
	var stale []string
	for name, n := range r.nodes {
		if now.Sub(n.seen) > r.ttl && me.seen.Sub(n.seen) > r.ttl {
			stale = append(stale, name)
		}
	}
	r.mu.Unlock()
	for _, name := range stale {
		r.drop(name, "no heartbeat within the TTL")
	}
}

// current reports whether this node's own latest heartbeats show in the
// view: the view can be trusted to say who is missing.
func (r *registry) current(now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	me, ok := r.nodes[r.self]
	return ok && now.Sub(me.seen) <= r.ttl
}

// alive reports whether node is in the view.
func (r *registry) alive(node string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.nodes[node]
	return ok
}

// list returns the live nodes, sorted by name.
func (r *registry) list() []NodeInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]NodeInfo, 0, len(r.nodes))
	for _, name := range slices.Sorted(maps.Keys(r.nodes)) {
		out = append(out, r.nodes[name].info)
	}
	return out
}

// get returns node's entry.
func (r *registry) get(node string) (NodeInfo, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n, ok := r.nodes[node]
	return n.info, ok
}

// changed returns a channel closed at the next membership change.
func (r *registry) changed() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.wake
}

// beat writes info as node's entry and returns when it sent the write
// that NATS acknowledged: the key cannot age out before that time plus
// the TTL (fence.go). A beat is one write expecting the revision of the
// last one; when that conflicts (the key aged out, or another process
// wrote it) or on the first beat, it reads the key first. The first beat
// of a process must find the name free or its own (ErrNameTaken
// otherwise).
func (r *registry) beat(ctx context.Context, info NodeInfo, first bool) (time.Time, error) {
	key := keyNode + enc(info.Name)
	r.beatMu.Lock()
	defer r.beatMu.Unlock()
	if !first && r.rev > 0 {
		sent := time.Now()
		info.Beat = sent
		rev, err := r.st.commit(ctx, put(key, mustJSON(info), r.rev))
		if err == nil {
			r.rev = rev
			return sent, nil
		}
		if !errors.Is(err, errConflict) {
			return time.Time{}, err
		}
	}
	for {
		cur, err := r.st.get(ctx, key)
		if err != nil {
			return time.Time{}, err
		}
		if cur.OK {
			var other NodeInfo
			if json.Unmarshal(cur.Value, &other) == nil && other.Instance != info.Instance && other.Name == info.Name {
				if first {
					return time.Time{}, ErrNameTaken
				}
				r.log.Error().Str("node", info.Name).Str("other", other.URL).Msg("another process heartbeats with this node's name")
			}
		}
		sent := time.Now()
		info.Beat = sent
		rev, err := r.st.commit(ctx, put(key, mustJSON(info), cur.Rev))
		if err == nil {
			r.rev = rev
			return sent, nil
		}
		// A conflict re-reads at once; a transient failure is retried for
		// the first beat (a stream leader being elected at start-up) and
		// left to the next beat otherwise.
		if ctx.Err() != nil || (!errors.Is(err, errConflict) && (!first || !sleepCtx(ctx, retryWait))) {
			return time.Time{}, err
		}
	}
}

// leave deletes node's entry (graceful shutdown): others see it go at
// once.
func (r *registry) leave(ctx context.Context, name, instance string) error {
	key := keyNode + enc(name)
	return r.st.update(ctx, func() ([]op, error) {
		cur, err := r.st.get(ctx, key)
		if err != nil || !cur.OK {
			return nil, err
		}
		var info NodeInfo
		if json.Unmarshal(cur.Value, &info) == nil && info.Instance != instance {
			return nil, nil // not ours any more
		}
		return []op{del(key, cur.Rev)}, nil
	})
}

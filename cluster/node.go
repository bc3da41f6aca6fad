// Package cluster is Tickwire's opt-in cluster mode: many nodes acting as
// one service over NATS JetStream. A Node registers itself and its load in
// a key-value bucket with a TTL heartbeat, serves the lobby a Directory
// and a Matchmaker that every node shares, hosts matches the cluster's
// matchmaker places on it, and removes the rooms of nodes that die.
package cluster

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/tickwire/tickwire/internal/owned"
	"github.com/tickwire/tickwire/lobby"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/tick"
)

// ErrNameTaken is Start's error when a live node of the cluster already
// uses this node's name.
var ErrNameTaken = errors.New("cluster: node name in use by a live node")

// Node is one Tickwire process in a cluster. New connects it to NATS and
// opens the cluster's buckets; the lobby is then built with
// LobbyOptions; Start puts the node to work; Close takes it out. It owns
// its goroutines (mirrors of the buckets, the heartbeat, the matchmaker
// lease) and stops them all in Close.
type Node struct {
	opts     Options
	log      zerolog.Logger
	nc       *nats.Conn
	subject  string // "tickwire.<cluster>."
	instance string

	dir    *Directory
	mm     *Matchmaker
	reg    *registry
	fence  *fence // fence.go
	leases *store
	snaps  *store // room snapshots (snapshots.go)
	saver  *saver
	replay *replaySink // room logs (replaylog.go)

	busOnce sync.Once
	bus     *ChannelBus // made by ChannelBus

	recMu      sync.Mutex
	recovering map[string]bool // rooms this node is recovering now

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	work   owned.Group // the node's goroutines; closed by Close

	mu       sync.Mutex
	host     Host
	url      string
	started  time.Time
	subs     []*nats.Subscription
	draining atomic.Bool
	leader   atomic.Bool

	leadMu    sync.Mutex
	leadUntil time.Time // end of the matchmaker lease's validity (lease.until)

	beatNow    chan struct{} // capacity 1: beat at once (NATS reconnected)
	beatMu     sync.Mutex
	beatCancel context.CancelFunc // of the heartbeat write in flight
}

// Host is what a node serves from: its lobby and its room runtime.
type Host struct {
	Lobby *lobby.Lobby
	Rooms *tick.Rooms
	// URL is the node's public URL when Options.PublicURL is empty: when
	// it is known only once the server listens (port 0).
	URL string
}

// New connects to NATS, creates or opens the cluster's buckets and starts
// mirroring them. The node is not registered (not placed matches, not
// listed) until Start. Call Close in any case.
func New(ctx context.Context, opts Options) (*Node, error) {
	opts, err := opts.normalize()
	if err != nil {
		return nil, err
	}
	n := &Node{
		opts:       opts,
		log:        opts.Logger.With().Str("component", "cluster").Str("node", opts.Name).Logger(),
		subject:    "tickwire." + opts.Cluster + ".",
		instance:   randomHex(8),
		recovering: map[string]bool{},
		fence:      newFence(opts.HeartbeatTTL),
		beatNow:    make(chan struct{}, 1),
	}
	if n.nc, err = n.connect(); err != nil {
		return nil, err
	}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	if err := n.open(ctx); err != nil {
		n.cancel()
		n.nc.Close()
		return nil, err
	}
	for _, m := range []*mirror{n.dir.mirror, n.mm.mirror, n.reg.mirror} {
		n.goOwned(func() { m.run(n.ctx) })
	}
	n.goOwned(func() { n.saver.run(n.ctx) })
	n.goOwned(func() { n.replay.run(n.ctx) })
	return n, nil
}

func (n *Node) connect() (*nats.Conn, error) {
	o := n.opts
	nopts := []nats.Option{
		nats.Name("tickwire " + o.Cluster + "/" + o.Name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			n.log.Warn().Err(err).Msg("NATS connection lost; reconnecting")
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			n.log.Info().Str("server", c.ConnectedUrlRedacted()).Msg("NATS reconnected")
			n.kickBeat()
		}),
	}
	switch {
	case o.Token != "":
		nopts = append(nopts, nats.Token(o.Token))
	case o.User != "" || o.Password != "":
		nopts = append(nopts, nats.UserInfo(o.User, o.Password))
	case o.CredsFile != "":
		nopts = append(nopts, nats.UserCredentials(o.CredsFile))
	case o.NKeyFile != "":
		opt, err := nats.NkeyOptionFromSeed(o.NKeyFile)
		if err != nil {
			return nil, fmt.Errorf("cluster: NKey seed %s: %w", o.NKeyFile, err)
		}
		nopts = append(nopts, opt)
	}
	nc, err := nats.Connect(o.NATS, nopts...)
	if err != nil {
		return nil, fmt.Errorf("cluster: connect to NATS %s: %w", o.NATS, err)
	}
	return nc, nil
}

// open creates or opens the five buckets and the replay stream.
func (n *Node) open(ctx context.Context) error {
	js, err := jetstream.New(n.nc)
	if err != nil {
		return err
	}
	replicas := n.opts.Replicas
	if replicas == 0 {
		replicas = 3
		if _, err := js.AccountInfo(ctx); err != nil {
			return fmt.Errorf("cluster: JetStream: %w", err)
		}
		if n.nc.ConnectedClusterName() == "" { // a lone server: nothing to replicate to
			replicas = 1
		}
	}
	name := func(what string) string { return "tickwire_" + n.opts.Cluster + "_" + what }
	ttl := n.opts.HeartbeatTTL
	stores := map[string]*store{}
	for _, c := range []storeConfig{
		{Bucket: name("directory"), Replicas: replicas},
		{Bucket: name("tickets"), Replicas: replicas},
		{Bucket: name("nodes"), Replicas: replicas, TTL: ttl, Memory: true},
		{Bucket: name("leases"), Replicas: replicas, TTL: ttl, Memory: true},
		{Bucket: name("snapshots"), Replicas: replicas, MaxBytes: n.opts.SnapshotBytes, MaxValue: int32(n.opts.MaxSnapshotBytes/3*4 + 4096)},
	} {
		s, err := n.openStoreWaiting(ctx, js, c)
		if err != nil {
			return fmt.Errorf("cluster: %w", err)
		}
		stores[c.Bucket] = s
	}
	n.reg = newRegistry(stores[name("nodes")], n.opts.Name, ttl, n.log)
	n.reg.gone = n.nodeGone
	n.dir = newDirectory(stores[name("directory")], n.opts.Name, n.log)
	n.dir.alive = n.reg.alive
	n.dir.fenced = n.fence.isFenced
	fenced := func() error {
		if n.fence.isFenced() {
			return errFenced
		}
		return nil
	}
	stores[name("directory")].down = fenced
	stores[name("tickets")].down = fenced
	n.mm = newMatchmaker(stores[name("tickets")], n.opts.TicketRetention, n.log)
	n.leases = stores[name("leases")]
	n.snaps = stores[name("snapshots")]
	n.saver = newSaver(n.snaps, n.opts.Name, max(time.Minute, 4*ttl), n.opts.MaxSnapshotBytes, n.log)
	// A fenced node writes no snapshots: the rooms may be restored
	// elsewhere, and an old snapshot must not replace the restorer's.
	n.saver.owns = func(room string) bool {
		return !n.fence.isFenced() && !n.dir.isHeld(room) && n.dir.ownsRoom(room)
	}
	return n.openReplay(ctx, replicas)
}

// startupPatience is how long a starting node waits for JetStream to take
// its buckets: a NATS cluster started moments before is still electing its
// leaders, and refuses or times out meanwhile.
const startupPatience = 30 * time.Second

// openStoreWaiting is openStore, retried (each attempt up to 5 s) until it
// works, ctx ends or startupPatience has passed.
func (n *Node) openStoreWaiting(ctx context.Context, js jetstream.JetStream, c storeConfig) (*store, error) {
	deadline := time.Now().Add(startupPatience)
	logged := false
	for {
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		s, err := openStore(actx, n.nc, js, c)
		cancel()
		if err == nil || ctx.Err() != nil || time.Now().After(deadline) {
			return s, err
		}
		if !logged {
			n.log.Warn().Err(err).Str("bucket", c.Bucket).Msg("waiting for JetStream")
			logged = true
		}
		t := time.NewTimer(500 * time.Millisecond)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, err
		}
	}
}

// goOwned starts fn on a goroutine Close waits for, unless closed.
func (n *Node) goOwned(fn func()) bool { return n.work.Go(fn) }

// Name is this node's name.
func (n *Node) Name() string { return n.opts.Name }

// Directory is the cluster's room directory, for lobby.Options.Directory.
func (n *Node) Directory() *Directory { return n.dir }

// Matchmaker is the cluster's matchmaker, for lobby.Options.Matchmaker.
func (n *Node) Matchmaker() *Matchmaker { return n.mm }

// LobbyOptions returns o with the cluster's settings: this node's name,
// the cluster's directory and matchmaker, the signing key shared by the
// cluster's nodes, and NodeURL from the registry.
func (n *Node) LobbyOptions(o lobby.Options) lobby.Options {
	o.Node = n.opts.Name
	o.Directory = n.dir
	o.Matchmaker = n.mm
	o.Secret = n.opts.lobbySecret()
	o.NodeURL = n.URLOf
	return o
}

// URLOf returns the public URL of node, or "" when it is not alive.
func (n *Node) URLOf(node string) string {
	info, _ := n.reg.get(node)
	return info.URL
}

// Nodes returns the live nodes of the cluster, sorted by name.
func (n *Node) Nodes() []NodeInfo { return n.reg.list() }

// Leader reports whether this node runs the cluster's matchmaker now.
// The flag is refreshed at each renewal, which a lost NATS may hold up
// past the lease's validity, so the validity's end is checked too.
func (n *Node) Leader() bool {
	if !n.leader.Load() || n.fence.isFenced() {
		return false
	}
	n.leadMu.Lock()
	defer n.leadMu.Unlock()
	return time.Now().Before(n.leadUntil)
}

// Start registers the node (it fails with ErrNameTaken if a live node has
// its name), answers host requests from the matchmaker with h.Lobby, and
// starts the heartbeat and the campaign for the matchmaker lease.
func (n *Node) Start(ctx context.Context, h Host) error {
	if h.Lobby == nil || h.Rooms == nil {
		return errors.New("cluster: Start needs a Lobby and Rooms")
	}
	url := cmp.Or(n.opts.PublicURL, h.URL)
	if err := checkURL(url); err != nil {
		return fmt.Errorf("cluster: public URL: %w", err)
	}
	n.mu.Lock()
	n.host, n.started, n.url = h, time.Now(), url
	n.mu.Unlock()
	sent, err := n.reg.beat(ctx, n.info(time.Now(), 0), true)
	if err != nil {
		return fmt.Errorf("cluster: register node %s: %w", n.opts.Name, err)
	}
	n.fence.ack(sent)
	for subj, handler := range map[string]nats.MsgHandler{
		n.subject + "host." + enc(n.opts.Name):    n.serveHost,
		n.subject + "unhost." + enc(n.opts.Name):  n.serveUnhost,
		n.subject + "restore." + enc(n.opts.Name): n.serveRestore,
	} {
		sub, err := n.nc.Subscribe(subj, handler)
		if err != nil {
			return fmt.Errorf("cluster: subscribe %s: %w", subj, err)
		}
		n.mu.Lock()
		n.subs = append(n.subs, sub)
		n.mu.Unlock()
	}
	n.goOwned(n.runHeartbeat)
	n.goOwned(n.runFence)
	n.goOwned(n.runLeader)
	n.log.Info().Str("url", url).Msg("node joined the cluster")
	return nil
}

// info is this node's registry entry now.
func (n *Node) info(now time.Time, cpu float64) NodeInfo {
	n.mu.Lock()
	h, started, url := n.host, n.started, n.url
	n.mu.Unlock()
	info := NodeInfo{Name: n.opts.Name, URL: url, Instance: n.instance, CPU: cpu, Draining: n.draining.Load(), Started: started, Beat: now}
	if h.Rooms != nil {
		for _, r := range h.Rooms.List("") {
			info.Rooms++
			info.Players += r.Players
		}
	}
	return info
}

// runHeartbeat writes the node's entry every third of the TTL (each
// acknowledged write moves the fence's deadline: fence.go), drops nodes
// this node has not heard from within the TTL, and removes rooms whose
// node has been missing from the registry for a TTL.
func (n *Node) runHeartbeat() {
	every := n.opts.HeartbeatTTL / 3
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	lastCPU, lastAt := cpuTime(), time.Now()
	missing := map[string]time.Time{}
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-ticker.C:
		case <-n.beatNow:
		}
		now := time.Now()
		cpu := cpuTime()
		pct := 100 * float64(cpu-lastCPU) / float64(max(now.Sub(lastAt), time.Millisecond))
		lastCPU, lastAt = cpu, now
		// A failed beat is tried again until the next one is due: after a
		// stream leader election the first write that lands moves the
		// fence's deadline (fence.go), not one a third of a TTL later.
		ctx, cancel := context.WithTimeout(n.ctx, every)
		n.beatUntilAcked(ctx, n.info(now, pct))
		cancel()
		n.reg.expire(now)
		n.sweepOrphans(now, missing)
	}
}

// beatUntilAcked writes info until NATS acknowledges it or ctx ends.
// A reconnection to NATS (kickBeat) cuts the write in flight short, which
// would otherwise wait out its timeout on the lost connection, and tries
// again at once: a node back from a partition re-registers within a
// round trip, before its key ages out if it can.
func (n *Node) beatUntilAcked(ctx context.Context, info NodeInfo) {
	for {
		actx, acancel := context.WithCancel(ctx)
		n.beatMu.Lock()
		n.beatCancel = acancel
		n.beatMu.Unlock()
		sent, err := n.reg.beat(actx, info, false)
		n.beatMu.Lock()
		n.beatCancel = nil
		n.beatMu.Unlock()
		acancel()
		if err == nil {
			n.fence.ack(sent)
			return
		}
		t := time.NewTimer(retryWait)
		select {
		case <-ctx.Done():
			t.Stop()
			if n.ctx.Err() == nil {
				n.log.Warn().Err(err).Msg("heartbeat failed")
			}
			return
		case <-n.beatNow:
		case <-t.C:
		}
		t.Stop()
	}
}

// kickBeat makes the heartbeat write at once (NATS reconnected).
func (n *Node) kickBeat() {
	n.beatMu.Lock()
	if n.beatCancel != nil {
		n.beatCancel()
	}
	n.beatMu.Unlock()
	select {
	case n.beatNow <- struct{}{}:
	default:
	}
}

// sweepOrphans removes the rooms of nodes that have been missing from the
// registry for a whole TTL (nodes that died while no one watched, or whose
// delete marker this node missed).
func (n *Node) sweepOrphans(now time.Time, missing map[string]time.Time) {
	if !n.reg.current(now) {
		clear(missing) // this node's view is behind: judge no one
		return
	}
	present := map[string]bool{}
	for _, node := range n.dir.nodes() {
		present[node] = true
		if node == n.opts.Name || n.reg.alive(node) {
			delete(missing, node)
			continue
		}
		n.recoverRoomsOf(node) // the leader restores rooms with snapshots at once
		since, ok := missing[node]
		if !ok {
			missing[node] = now
			continue
		}
		if gone := now.Sub(since); gone >= n.opts.HeartbeatTTL {
			// Rooms with snapshots are the leader's to restore; after three
			// TTLs without one, they go too.
			n.removeRoomsOf(node, gone >= 3*n.opts.HeartbeatTTL)
		}
	}
	for node := range missing {
		if !present[node] {
			delete(missing, node)
		}
	}
}

// nodeGone is the registry's news that node left or stopped beating: its
// channel members leave, the leader recovers its rooms that have
// snapshots, and the others are removed.
func (n *Node) nodeGone(node string) {
	if node == n.opts.Name {
		return
	}
	n.goOwned(func() {
		if n.bus != nil {
			n.bus.nodeGone(node)
		}
		n.recoverRoomsOf(node)
		n.removeRoomsOf(node, false)
	})
}

// removeRoomsOf removes the rooms of a dead node from the directory, and
// with them its players' places: they may join or queue again at once.
// Rooms with a snapshot are left for the leader to recover, unless force.
func (n *Node) removeRoomsOf(node string, force bool) {
	ids := n.dir.RoomsOf(node)
	if len(ids) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(n.ctx, 30*time.Second)
	defer cancel()
	removed := 0
	for _, id := range ids {
		if !force {
			if _, ok, err := n.readSnapshot(ctx, id); err != nil || ok {
				continue
			}
		}
		if !n.claimRoom(id) {
			continue
		}
		err := n.dir.removeRoomOf(ctx, id, node)
		n.unclaimRoom(id)
		if err != nil {
			n.log.Warn().Err(err).Str("room", id).Str("of", node).Msg("remove room of a dead node")
			continue
		}
		removed++
	}
	if removed > 0 {
		n.log.Warn().Str("of", node).Int("rooms", removed).Msg("removed the rooms of a dead node")
	}
}

// runLeader campaigns for the matchmaker lease and, while it holds it,
// runs the cluster's matchmaker.
func (n *Node) runLeader() {
	ttl := n.opts.HeartbeatTTL
	l := newLease(n.leases, "matchmaker", leaseHolder{Node: n.opts.Name, Instance: n.instance}, ttl)
	timer := time.NewTimer(0)
	defer timer.Stop()
	var nextStep time.Time
	pl := n.placement()
	for {
		now := time.Now()
		if !now.Before(nextStep) {
			ctx, cancel := context.WithTimeout(n.ctx, ttl/3)
			// A fenced node renews nothing it could act on: it does not lead.
			held := l.step(ctx, now) && !n.fence.isFenced()
			cancel()
			n.leadMu.Lock()
			n.leadUntil = l.until()
			n.leadMu.Unlock()
			if held != n.leader.Load() {
				n.leader.Store(held)
				if held {
					n.log.Info().Msg("leading the cluster's matchmaker")
				} else {
					n.log.Info().Str("leader", l.observed).Msg("no longer leading the matchmaker")
				}
			}
			nextStep = now.Add(ttl / 3)
		}
		next := nextStep
		var changed <-chan struct{}
		if l.valid(now) && !n.draining.Load() && !n.fence.isFenced() {
			changed = n.mm.mirror.changed()
			if due := n.mm.pass(n.ctx, pl, now); !due.IsZero() && due.Before(next) {
				next = due
			}
		}
		timer.Reset(max(time.Until(next), 0))
		select {
		case <-n.ctx.Done():
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			l.release(ctx)
			cancel()
			n.leader.Store(false)
			return
		case <-changed:
		case <-n.reg.changed():
		case <-timer.C:
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

func (n *Node) placement() placement {
	n.mu.Lock()
	h := n.host
	n.mu.Unlock()
	return placement{
		lobby: h.Lobby,
		games: h.Rooms.Games,
		nodes: n.reg.list,
		host: func(ctx context.Context, node, game string, players []string) (lobby.HostedMatch, error) {
			return requestHost(ctx, n.nc, n.subject+"host."+enc(node), game, players)
		},
		unhost: func(ctx context.Context, node, room string) {
			ctx, cancel := context.WithTimeout(ctx, placeTimeout)
			defer cancel()
			if _, err := n.nc.RequestWithContext(ctx, n.subject+"unhost."+enc(node), []byte(room)); err != nil {
				n.log.Warn().Err(err).Str("room", room).Str("on", node).Msg("undo a match")
			}
		},
	}
}

// serveHost answers a matchmaker's request to host a match here.
func (n *Node) serveHost(msg *nats.Msg) {
	var req hostRequest
	var rep hostReply
	n.mu.Lock()
	h := n.host
	n.mu.Unlock()
	switch err := json.Unmarshal(msg.Data, &req); {
	case err != nil:
		rep.Error = &wireError{Code: int32(lobby.ErrBadRequest.Code), Msg: "undecodable host request"}
	case n.draining.Load():
		rep.Error = &wireError{Code: int32(lobby.ErrClosed.Code), Msg: "node " + n.opts.Name + " is draining"}
	case n.fence.isFenced():
		rep.Error = &wireError{Code: int32(lobby.ErrClosed.Code), Msg: "node " + n.opts.Name + " is fenced"}
	default:
		ctx, cancel := context.WithTimeout(n.ctx, placeTimeout)
		m, err := h.Lobby.HostMatch(ctx, req.Game, req.Players)
		cancel()
		if err != nil {
			pe := protocol.AsError(err)
			rep.Error = &wireError{Code: int32(pe.Code), Msg: pe.Msg}
		} else {
			rep.Match = &m
		}
	}
	if err := msg.Respond(mustJSON(rep)); err != nil {
		n.log.Warn().Err(err).Msg("answer a host request")
	}
}

// serveUnhost closes a room this node hosted for a match that was undone.
func (n *Node) serveUnhost(msg *nats.Msg) {
	n.mu.Lock()
	h := n.host
	n.mu.Unlock()
	if r, err := h.Rooms.Get(string(msg.Data)); err == nil {
		ctx, cancel := context.WithTimeout(n.ctx, placeTimeout)
		if err := r.Close(ctx); err != nil {
			n.log.Warn().Err(err).Str("room", r.ID()).Msg("close an undone match's room")
		}
		cancel()
	}
	_ = msg.Respond(nil)
}

// Close takes the node out of the cluster: it stops taking matches, hands
// the matchmaker lease over, migrates its rooms that have snapshots to
// other nodes (recover.go; their players rejoin there), removes its other
// rooms from the directory (their players can find new ones at once),
// deletes its registry entry and
// disconnects, waiting for its goroutines or for ctx. Close the lobby and
// the rooms after it. Close may be called more than once.
func (n *Node) Close(ctx context.Context) error {
	if n.work.Closed() {
		return nil
	}
	n.draining.Store(true)
	n.mu.Lock()
	subs, started := n.subs, !n.started.IsZero()
	n.subs = nil
	n.mu.Unlock()
	// A fenced node cannot reach NATS: it closed its recoverable rooms
	// already, and the others restore them once its key ages out.
	if started && !n.fence.isFenced() {
		if _, err := n.reg.beat(ctx, n.info(time.Now(), 0), false); err != nil {
			n.log.Warn().Err(err).Msg("announce draining")
		}
		// Migrate the rooms that can be: their latest snapshots are
		// written, then other nodes restore them.
		n.saver.stop(ctx)
		if moved, left := n.migrateRooms(ctx); moved > 0 {
			n.log.Info().Int("migrated", moved).Int("removed", len(left)).Msg("rooms handed to other nodes")
		}
	}
	n.work.Close()
	n.cancel() // the leader loop releases the lease as it ends
	done := make(chan struct{})
	go func() { // ends when the node's goroutines do, even if ctx ends first
		n.work.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("close node: %w", ctx.Err())
	}
	for _, s := range subs {
		_ = s.Unsubscribe()
	}
	if started {
		for _, id := range n.dir.RoomsOf(n.opts.Name) {
			if rerr := n.dir.removeRoomOf(ctx, id, n.opts.Name); rerr != nil {
				n.log.Warn().Err(rerr).Str("room", id).Msg("remove own room")
			}
		}
		if lerr := n.reg.leave(ctx, n.opts.Name, n.instance); lerr != nil {
			n.log.Warn().Err(lerr).Msg("leave the registry")
		}
	}
	n.nc.Close()
	n.log.Info().Msg("node left the cluster")
	return err
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

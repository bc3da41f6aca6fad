package tickwire

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"

	"github.com/tickwire/tickwire/admin"
	"github.com/tickwire/tickwire/channel"
	"github.com/tickwire/tickwire/cluster"
	"github.com/tickwire/tickwire/gateway"
	"github.com/tickwire/tickwire/internal/owned"
	"github.com/tickwire/tickwire/lobby"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/tick"
	"github.com/tickwire/tickwire/web"
)

// ErrStarted is returned by Node.Start and Node.Go once the Node serves.
var ErrStarted = errors.New("tickwire: node already started")

// ShutdownTimeout bounds Node.Run's graceful shutdown once its context ends.
const ShutdownTimeout = 10 * time.Second

// Node is one Tickwire process: its server, room runtime, lobby, channels
// and, in cluster mode, its cluster membership. NewNode builds it without
// listening; Start listens; Shutdown stops everything in one written-down
// order; Run does all three around a context. A Node owns the goroutines
// it starts (its parts' and the tasks given to Go) and waits for every one
// of them in Shutdown.
type Node struct {
	log     zerolog.Logger
	srv     *server.Server
	hub     *channel.Hub
	rooms   *tick.Rooms
	lobby   *lobby.Lobby
	cluster *cluster.Node
	metrics *prometheus.Registry

	// The admin listener, with Options.AdminAddr: built by NewNode,
	// listening from Start, shut down last.
	admin     *admin.Admin
	adminAddr string
	adminSrv  *admin.Server
	drain     chan struct{} // closed by Drain: Run shuts down
	drainOnce sync.Once

	// ctx is cancelled at the start of Shutdown: it stops the tasks.
	ctx    context.Context
	cancel context.CancelFunc
	tasks  owned.Group // closed by Shutdown: a Start racing it starts none

	// singletons are the singleton games' rooms as NewNode opened them
	// (Node.Singleton); written by NewNode only.
	singletons map[string]singletonRoom

	mu      sync.Mutex
	started bool
	pending []func(context.Context) // tasks given to Go before Start
}

// NewNode builds a Node from opts: the composition root, where the
// channel hub, the room runtime, the lobby and the server are made and
// wired together (the server, the edge, sees the others only through the
// interfaces of server.Options), and, with opts.Cluster, the cluster membership
// (ctx bounds connecting to NATS and registering the node). Nothing
// listens until Start; a Node that is never started must still be Shut
// down to stop its parts. NewNode also opens the room of every singleton
// game registered (tick.GameInfo.Singleton; in a cluster, on the first
// node to claim its code): one that does not open is logged, named, and
// reported by Singleton, and the Node serves its other games.
func NewNode(ctx context.Context, opts Options) (*Node, error) {
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("tickwire: %w", err)
	}
	n := &Node{metrics: opts.Metrics, drain: make(chan struct{})}
	if opts.Logger != nil {
		n.log = *opts.Logger
	} else {
		n.log, _ = NewLogger(opts.LogLevel, opts.LogFormat, opts.LogOutput) // validated
	}
	// nbio has one process-wide logger; it is the Node's from now on.
	server.UseNBIOLogger(n.log)
	if n.metrics == nil {
		n.metrics = NewMetrics()
	}
	var closers []func(context.Context) error // undone in reverse on a failed NewNode
	fail := func(err error) (*Node, error) {
		for i := len(closers) - 1; i >= 0; i-- {
			_ = closers[i](context.Background())
		}
		return nil, err
	}

	if opts.Cluster == nil {
		copts, err := opts.flags.options(cmp.Or(opts.Addr, opts.Server.Addr, DefaultAddr), cmp.Or(opts.TLSCertFile, opts.Server.TLSCertFile) != "" || opts.Server.TLSConfig != nil)
		if err != nil {
			return nil, fmt.Errorf("tickwire: %w", err)
		}
		opts.Cluster = copts
	}
	if opts.Cluster != nil {
		copts := *opts.Cluster
		copts.Logger = n.log
		c, err := cluster.New(ctx, copts)
		if err != nil {
			return nil, fmt.Errorf("tickwire: join cluster: %w", err)
		}
		n.cluster = c
		closers = append(closers, c.Close)
	}

	// Channels first: the hub closes first too (see the shutdown order).
	chopts := opts.Channels
	chopts.Logger = n.log
	if chopts.Registerer == nil {
		chopts.Registerer = n.metrics
	}
	if n.cluster != nil {
		chopts.Bus = n.cluster.ChannelBus()
		chopts.Node = n.cluster.Name()
	}
	hub, err := channel.NewHub(chopts)
	if err != nil {
		return fail(fmt.Errorf("tickwire: %w", err))
	}
	n.hub = hub
	closers = append(closers, hub.Close)

	name := cmp.Or(opts.Name, "local")
	if n.cluster != nil {
		name = n.cluster.Name()
	}
	topts := opts.Rooms
	topts.Registry = cmp.Or(opts.Games, topts.Registry, tick.DefaultRegistry())
	topts.Logger = n.log
	topts.Registerer = n.metrics
	topts.NodeID = name
	topts.PreciseTimers = opts.PreciseTimers || topts.PreciseTimers
	// The unseat hook frees the player in the lobby. Rooms exist only once
	// the lobby does (it creates them), so n.lobby is set by then; the nil
	// check covers rooms a program creates on Rooms() itself first.
	userUnseat := topts.OnUnseat
	topts.OnUnseat = func(room string, p tick.PlayerID) {
		if l := n.lobbyOrNil(); l != nil {
			_ = l.Release(string(p), room)
		}
		if userUnseat != nil {
			userUnseat(room, p)
		}
	}
	if n.cluster != nil {
		userSnapshot := topts.OnSnapshot
		topts.OnSnapshot = func(s tick.RoomSnapshot) {
			n.cluster.SaveSnapshot(s)
			if userSnapshot != nil {
				userSnapshot(s)
			}
		}
		// Games recording with Record.NodeSink go to the cluster's replay
		// stream (docs/replay.md), unless the program named its own sink.
		if topts.RecordSink == nil {
			topts.RecordSink = n.cluster.ReplaySink()
		}
	}
	rooms, err := tick.NewRooms(topts)
	if err != nil {
		return fail(fmt.Errorf("tickwire: %w", err))
	}
	n.rooms = rooms
	closers = append(closers, rooms.Close)

	lopts := opts.Lobby
	lopts.Rooms = rooms
	lopts.Node = name
	lopts.Logger = n.log
	lopts.Registerer = n.metrics
	if n.cluster != nil {
		lopts = n.cluster.LobbyOptions(lopts)
	}
	lob, err := lobby.New(lopts)
	if err != nil {
		return fail(fmt.Errorf("tickwire: %w", err))
	}
	n.mu.Lock()
	n.lobby = lob
	n.mu.Unlock()
	closers = append(closers, lob.Close)
	if n.cluster != nil {
		if err := n.cluster.Start(ctx, cluster.Host{Lobby: lob, Rooms: rooms}); err != nil {
			return fail(fmt.Errorf("tickwire: start cluster node: %w", err))
		}
	}
	n.openSingletons(ctx)

	// The edge sees the parts through the interfaces of its options; the
	// lobby's tokens are its default identities, chosen here.
	sopts := opts.Server
	sopts.Addr = cmp.Or(opts.Addr, sopts.Addr, DefaultAddr)
	sopts.TLSCertFile = cmp.Or(opts.TLSCertFile, sopts.TLSCertFile)
	sopts.TLSKeyFile = cmp.Or(opts.TLSKeyFile, sopts.TLSKeyFile)
	if len(opts.Origins) > 0 {
		sopts.Origins = opts.Origins
	}
	sopts.PublishSecret = cmp.Or(opts.PublishSecret, sopts.PublishSecret)
	sopts.Logger = n.log
	sopts.Registry = n.metrics
	sopts.NoMetricsRoute = opts.AdminAddr != "" // the admin listener serves it
	sopts.Rooms = &gateway.TickRooms{Rooms: rooms, Lobby: lob}
	sopts.Lobby = gateway.Lobby(lob)
	sopts.Channels = gateway.Channels(hub)
	if sopts.Authenticate == nil {
		sopts.Authenticate = lob.Authenticate
	}
	srv, err := server.New(sopts)
	if err != nil {
		return fail(fmt.Errorf("tickwire: %w", err))
	}
	n.srv = srv

	// The shutdown order, in one place: the server stops accepting, then
	// runs these in turn — the hub closes (publishes racing the shutdown
	// fail with shutting_down instead of reaching half-closed sessions),
	// the node leaves the cluster (migrating rooms that have snapshots),
	// the lobby closes (no new seats or rooms), the ticks stop (players
	// get Left) — then it sends 1001 to every WebSocket and waits for its
	// writers (server.Server.Shutdown).
	srv.OnShutdown(hub.Close)
	if n.cluster != nil {
		srv.OnShutdown(n.cluster.Close)
	}
	srv.OnShutdown(lob.Close)
	srv.OnShutdown(rooms.Close)

	if opts.AdminAddr == "" {
		// The bench's contract: since the previous read, reset by each.
		srv.Handle("GET /debug/ticks", gateway.TickStatsHandler(rooms))
	} else {
		a, err := admin.New(admin.Options{
			Token:    opts.AdminToken,
			Rooms:    rooms,
			Metrics:  n.metrics,
			Sessions: serverSessions{srv},
			Node:     name,
			Logger:   n.log,
			Drain:    n.Drain,
			// Peers (cluster mode) needs each node's admin URL in the
			// cluster's registry (cluster.NodeInfo has its public URL only).
		})
		if err != nil {
			return fail(fmt.Errorf("tickwire: %w", err))
		}
		n.admin, n.adminAddr = a, opts.AdminAddr
	}
	if !opts.DisableSDK {
		srv.Handle("GET "+web.Prefix, web.Handler())
	}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	return n, nil
}

// singletonRoom is a singleton game's room as NewNode opened it, or why
// it did not.
type singletonRoom struct {
	h   *tick.Handle
	err error
}

// openSingletons opens the room of every singleton game registered
// (tick.GameInfo.Singleton) through the lobby, which adopts it under its
// code. A failure is logged once, naming the game, and kept for
// Node.Singleton; the node serves the other games all the same.
func (n *Node) openSingletons(ctx context.Context) {
	n.singletons = map[string]singletonRoom{}
	for _, g := range n.rooms.Games() {
		if !g.Singleton {
			continue
		}
		h, err := n.lobby.OpenSingleton(ctx, g.Name)
		n.singletons[g.Name] = singletonRoom{h, err}
		switch {
		case errors.Is(err, lobby.ErrSingletonElsewhere):
			n.log.Info().Str("game", g.Name).Err(err).Msg("the room of game " + g.Name + " runs on another node; its players are sent there")
		case err != nil:
			n.log.Error().Str("game", g.Name).Err(err).Msg("game " + g.Name + " not started: its singleton room did not open")
		}
	}
}

// ErrNotSingleton is Node.Singleton's answer for a game that is not a
// singleton game registered when the Node was made.
var ErrNotSingleton = errors.New("tickwire: not a singleton game of the node")

// Singleton returns the room of game, a singleton game
// (tick.GameInfo.Singleton), as NewNode opened it, or why it did not:
// lobby.ErrSingletonElsewhere when another node of the cluster runs it,
// the room's start error (a damaged world, say), or ErrNotSingleton. A
// room that has ended since shows it in its Handle's Done; NewNode does
// not reopen it (Lobby().OpenSingleton does). Singleton games registered
// after NewNode are not opened by it.
func (n *Node) Singleton(game string) (*tick.Handle, error) {
	s, ok := n.singletons[game]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNotSingleton, game)
	}
	return s.h, s.err
}

func (n *Node) lobbyOrNil() *lobby.Lobby {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.lobby
}

// Handle adds a route to the server, as http.ServeMux.Handle does
// ("GET /{$}" for a landing page, "GET /assets/" for a folder). Call it
// before Start. A catch-all for a site's files is "/", not "GET /": the
// latter conflicts with the method-less "/lobby/" (ServeMux's rule).
func (n *Node) Handle(pattern string, h http.Handler) { n.srv.Handle(pattern, h) }

// Go runs task on a goroutine the Node owns, from Start until Shutdown:
// its context ends when Shutdown begins, and Shutdown waits for it to
// return before the server stops. Call it before Start.
func (n *Node) Go(task func(ctx context.Context)) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.started {
		return ErrStarted
	}
	n.pending = append(n.pending, task)
	return nil
}

// Start listens on Options.Addr and serves, then starts the tasks given
// to Go. It logs one "ready" line carrying the URL it serves at (field
// "url").
func (n *Node) Start() error {
	n.mu.Lock()
	if n.started {
		n.mu.Unlock()
		return ErrStarted
	}
	n.started = true
	tasks := n.pending
	n.pending = nil
	n.mu.Unlock()
	if n.admin != nil {
		as, err := admin.Listen(n.adminAddr, n.admin)
		if err != nil {
			return fmt.Errorf("tickwire: %w", err)
		}
		n.mu.Lock()
		n.adminSrv = as
		n.mu.Unlock()
	}
	if err := n.srv.Start(); err != nil {
		return fmt.Errorf("tickwire: %w", err)
	}
	for _, task := range tasks {
		n.tasks.Go(func() { task(n.ctx) })
	}

	n.log.Info().Str("url", n.URL()).Str("version", Version).Msg("Tickwire ready")
	return nil
}

// Shutdown stops the Node gracefully: it ends the tasks' context and
// waits for them, then shuts the server down, which stops accepting,
// takes the node out of its cluster, closes the lobby, stops the ticks,
// sends 1001 to every WebSocket and waits for their writers. ctx bounds
// it (without a deadline: the server's ShutdownTimeout). It is safe to
// call more than once and on a Node never started.
func (n *Node) Shutdown(ctx context.Context) error {
	n.cancel()
	n.tasks.Close()
	n.tasks.Wait()
	err := n.srv.Shutdown(ctx)
	// The admin listener goes last: /metrics and /monitor stay up while
	// the node drains.
	n.mu.Lock()
	as := n.adminSrv
	n.mu.Unlock()
	switch {
	case as != nil:
		err = errors.Join(err, as.Shutdown(ctx))
	case n.admin != nil: // never started
		n.admin.Close()
	}
	return err
}

// Drain makes Run shut the Node down gracefully, as if its context had
// ended; the admin API's drain (POST /admin/api/drain) calls it. It
// returns at once; a Node not run by Run is drained by its Shutdown.
func (n *Node) Drain(context.Context) error {
	n.drainOnce.Do(func() { close(n.drain) })
	return nil
}

// AdminURL is the admin listener's base URL once started (http://ADDR),
// or "" without Options.AdminAddr.
func (n *Node) AdminURL() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.adminSrv == nil {
		return ""
	}
	return n.adminSrv.URL()
}

// Run starts the Node, serves until ctx ends, then shuts down within
// ShutdownTimeout. It returns the first error of Start or Shutdown.
func (n *Node) Run(ctx context.Context) error {
	if err := n.Start(); err != nil {
		_ = n.Shutdown(context.Background())
		return err
	}
	select {
	case <-ctx.Done():
	case <-n.drain:
		n.log.Info().Msg("drain requested")
	}
	n.log.Info().Msg("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	return n.Shutdown(sctx)
}

// Serve builds a Node from opts and runs it until ctx ends: the whole
// life of a game server in one call.
func Serve(ctx context.Context, opts Options) error {
	n, err := NewNode(ctx, opts)
	if err != nil {
		return err
	}
	return n.Run(ctx)
}

// NewMetrics returns a new Prometheus registry with the Go and process
// collectors: what a Node uses without Options.Metrics. Make one first to
// register a game's own metrics in it before NewNode.
func NewMetrics() *prometheus.Registry {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return r
}

// Addr is the address the Node listens on, once started (with port 0,
// the port chosen).
func (n *Node) Addr() string { return n.srv.Addr() }

// URL is the Node's base URL once started: http://ADDR or https://ADDR.
func (n *Node) URL() string {
	if n.srv.TLS() {
		return "https://" + n.srv.Addr()
	}
	return "http://" + n.srv.Addr()
}

// Server is the Node's server, the edge (its routes, TLS, sessions).
func (n *Node) Server() *server.Server { return n.srv }

// Rooms is the Node's room runtime.
func (n *Node) Rooms() *tick.Rooms { return n.rooms }

// Lobby is the Node's lobby.
func (n *Node) Lobby() *lobby.Lobby { return n.lobby }

// Cluster is the Node's cluster membership; nil without Options.Cluster.
func (n *Node) Cluster() *cluster.Node { return n.cluster }

// Channels is the Node's pub/sub hub.
func (n *Node) Channels() *channel.Hub { return n.hub }

// Metrics is the Prometheus registry the Node's parts register in and GET
// /metrics serves.
func (n *Node) Metrics() *prometheus.Registry { return n.metrics }

// Logger is the Node's logger.
func (n *Node) Logger() zerolog.Logger { return n.log }

// serverSessions lists the server's sessions for the admin API.
type serverSessions struct{ srv *server.Server }

func (l serverSessions) Sessions() []admin.SessionInfo {
	list := l.srv.Sessions()
	out := make([]admin.SessionInfo, len(list))
	for i, s := range list {
		out[i] = admin.SessionInfo{ID: s.ID, Player: s.Player, Endpoint: s.Endpoint, Remote: s.Remote, Opened: s.Opened, Rooms: s.Rooms}
	}
	return out
}

package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/tickwire/tickwire/cluster"
	"github.com/tickwire/tickwire/lobby"
	"github.com/tickwire/tickwire/tick"
)

// The simulated games. "room" is joined by quick-join (the directory
// scenario); "squad" is matched by tickets (the matchmaker scenario).
// Both tick at 1 Hz: the simulation measures the cluster's shared state,
// not the game loop, whose cost per player BENCHMARKS.md gives.
const (
	gameRoom  = "room"
	gameSquad = "squad"
)

// blob is the simulated game: its state is a fixed number of bytes, so a
// room's snapshot has the size the run asks for.
type blob struct{ size int }

type blobState = *wrapperspb.BytesValue

func (g blob) Init(r *tick.Room[blobState]) error {
	r.State().Value = make([]byte, g.size)
	return nil
}
func (blob) Join(*tick.Room[blobState], tick.PlayerID) error       { return nil }
func (blob) Leave(*tick.Room[blobState], tick.PlayerID)            {}
func (blob) Input(*tick.Room[blobState], tick.PlayerID, blobState) {}
func (blob) Tick(*tick.Room[blobState], time.Duration)             {}
func (blob) Restore(*tick.Room[blobState]) error                   { return nil }
func (g blob) registry(roomSize int, snapEvery time.Duration) *tick.Registry {
	reg := tick.NewRegistry()
	mk := func() tick.Game[blobState, blobState] { return g }
	tick.RegisterIn(reg, tick.GameInfo{Name: gameRoom, TickHz: 1, MinPlayers: 1, MaxPlayers: roomSize, SnapshotEvery: snapEvery}, mk)
	tick.RegisterIn(reg, tick.GameInfo{Name: gameSquad, TickHz: 1, MinPlayers: roomSize, MaxPlayers: roomSize, SnapshotEvery: snapEvery}, mk)
	return reg
}

var _ tick.Restorer[blobState] = blob{}

// simNode is one light Tickwire node: the real cluster.Node, room runtime
// and lobby, without an HTTP server or players' sessions.
type simNode struct {
	name  string
	url   string
	node  *cluster.Node
	rooms *tick.Rooms
	lobby *lobby.Lobby
}

// fleet is the simulated nodes, by name and by public URL.
type fleet struct {
	nodes  []*simNode
	byURL  map[string]*simNode
	byName map[string]*simNode
}

// fleetConfig is what every node of a fleet shares.
type fleetConfig struct {
	nats, token string
	nodes       int
	ttl         time.Duration
	roomSize    int
	snapBytes   int
	snapEvery   time.Duration
	idleRoomTTL time.Duration
	log         zerolog.Logger
}

// startFleet starts cfg.nodes nodes, a few at a time (each creates or
// opens the buckets on start), and closes those it started if one fails.
func startFleet(ctx context.Context, cfg fleetConfig) (*fleet, error) {
	f := &fleet{byURL: map[string]*simNode{}, byName: map[string]*simNode{}}
	secret := []byte(randomHex(16))
	reg := blob{size: cfg.snapBytes}.registry(cfg.roomSize, cfg.snapEvery)
	nodes := make([]*simNode, cfg.nodes)
	errs := make([]error, cfg.nodes)
	// The first node creates the buckets alone: many nodes creating the
	// same replicated streams at once time out while JetStream elects
	// their leaders. The others open them, a few at a time.
	nodes[0], errs[0] = startNode(ctx, cfg, reg, secret, 0)
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i := 1; i < cfg.nodes && errs[0] == nil; i++ {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			nodes[i], errs[i] = startNode(ctx, cfg, reg, secret, i)
		})
	}
	wg.Wait()
	for _, n := range nodes {
		if n != nil {
			f.nodes = append(f.nodes, n)
			f.byURL[n.url] = n
			f.byName[n.name] = n
		}
	}
	if err := errors.Join(errs...); err != nil {
		f.close()
		return nil, err
	}
	return f, nil
}

func startNode(ctx context.Context, cfg fleetConfig, reg *tick.Registry, secret []byte, i int) (*simNode, error) {
	n := &simNode{name: fmt.Sprintf("node%02d", i+1), url: fmt.Sprintf("http://127.0.0.1:%d", 20000+i)}
	log := cfg.log.With().Str("sim-node", n.name).Logger()
	var err error
	n.node, err = cluster.New(ctx, cluster.Options{NATS: cfg.nats, Token: cfg.token, Cluster: "sim", Name: n.name,
		PublicURL: n.url, Secret: secret, HeartbeatTTL: cfg.ttl, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", n.name, err)
	}
	n.rooms, err = tick.NewRooms(tick.Options{Registry: reg, NodeID: n.name, Logger: log,
		OnUnseat:   func(room string, p tick.PlayerID) { _ = n.lobby.Release(string(p), room) },
		OnSnapshot: n.node.SaveSnapshot})
	if err != nil {
		_ = n.node.Close(ctx)
		return nil, err
	}
	n.lobby, err = lobby.New(n.node.LobbyOptions(lobby.Options{Rooms: n.rooms, Logger: log, FillWait: -1,
		IdleRoomTTL: cfg.idleRoomTTL, MaxTickets: 1 << 20}))
	if err == nil {
		err = n.node.Start(ctx, cluster.Host{Lobby: n.lobby, Rooms: n.rooms})
	}
	if err != nil {
		n.close()
		return nil, fmt.Errorf("node %s: %w", n.name, err)
	}
	return n, nil
}

// close takes the node out as a graceful shutdown does: the cluster node
// first (it removes its rooms from the directory), then lobby and rooms.
func (n *simNode) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = n.node.Close(ctx)
	if n.lobby != nil {
		_ = n.lobby.Close(ctx)
	}
	_ = n.rooms.Close(ctx)
}

// close closes every node, several at a time.
func (f *fleet) close() {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, n := range f.nodes {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			n.close()
		})
	}
	wg.Wait()
}

// nodeOf returns the node a grant's URL names; "" is the asking node.
func (f *fleet) nodeOf(url string, asked *simNode) *simNode {
	if url == "" {
		return asked
	}
	return f.byURL[url]
}

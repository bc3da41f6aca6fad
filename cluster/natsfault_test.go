package cluster

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tickwire/tickwire/cluster/natstest"
	"github.com/tickwire/tickwire/server/servertest"
)

// clusterWatch samples the nodes of a test every 20 ms on its own
// goroutine (stopped by stop): the least slack any node's fence had left
// (its deadline less now: how close it came to fencing), whether any was
// ever fenced, and the fewest live nodes any node saw.
type clusterWatch struct {
	stopCh chan struct{}
	wg     sync.WaitGroup

	mu       sync.Mutex
	slack    time.Duration
	fenced   []string
	minNodes int
}

func watchCluster(nodes []*testNode) *clusterWatch {
	w := &clusterWatch{stopCh: make(chan struct{}), slack: time.Hour, minNodes: len(nodes)}
	w.wg.Go(func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-w.stopCh:
				return
			case <-tick.C:
			}
			w.mu.Lock()
			for _, tn := range nodes {
				w.slack = min(w.slack, time.Until(tn.node.fence.deadline()))
				if tn.node.Fenced() && !slices.Contains(w.fenced, tn.name) {
					w.fenced = append(w.fenced, tn.name)
				}
				w.minNodes = min(w.minNodes, len(tn.node.Nodes()))
			}
			w.mu.Unlock()
		}
	})
	return w
}

// stop ends the sampling and returns what it saw.
func (w *clusterWatch) stop() (slack time.Duration, fenced []string, minNodes int) {
	close(w.stopCh)
	w.wg.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.slack, w.fenced, w.minNodes
}

// lobbyRound creates a private room through from's lobby and joins it by
// its code through to's, retrying each call every 100 ms for up to
// within: it returns how long each took and how many attempts failed.
func lobbyRound(t *testing.T, from, to *testNode, within time.Duration) (create, join time.Duration, failed int) {
	t.Helper()
	a, b := from.guest("a"), to.guest("b")
	call := func(tn *testNode, g guest, path string, body map[string]any, out any) time.Duration {
		start := time.Now()
		for {
			if code := api(t, tn.url(), "POST", path, g.Token, body, out); code == 200 {
				return time.Since(start)
			}
			failed++
			if time.Since(start) > within {
				t.Fatalf("POST %s on %s failing for %v", path, tn.name, within)
			}
			time.Sleep(100 * time.Millisecond) // a pause between retries, not a synchronisation
		}
	}
	var g grantReply
	create = call(from, a, "/lobby/rooms", map[string]any{"game": "party", "private": true}, &g)
	var jg grantReply
	join = call(to, b, "/lobby/join", map[string]any{"join_code": g.JoinCode}, &jg)
	if jg.RoomID != g.RoomID {
		t.Fatalf("joined %s by code, want %s", jg.RoomID, g.RoomID)
	}
	return create, join, failed
}

// streamLeader returns the index of the NATS server leading stream.
func streamLeader(t *testing.T, c *natstest.Cluster, stream string) int {
	t.Helper()
	js, err := jetstream.New(c.Connect(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil || info.Cluster == nil {
		t.Fatalf("stream %s info: %v", stream, err)
	}
	for i := range c.Len() {
		if c.Server(i).Name() == info.Cluster.Leader {
			return i
		}
	}
	t.Fatalf("stream %s led by %q, not a server of the cluster", stream, info.Cluster.Leader)
	return -1
}

// TestNATSServerKilledUnderPlay is issue #17's NATS fault: of three NATS
// servers, the one leading the heartbeat stream stops while players play
// on every node. Rooms tick on with no run closed or restored (no node
// fenced or taken for dead); lobby calls succeed after bounded retries; a
// match is made; the test reports the longest gap between two ticks of a
// room and between two state frames a player got.
func TestNATSServerKilledUnderPlay(t *testing.T) {
	c := natstest.StartCluster(t, natstest.Options{})
	log := newTickLog()
	// The default TTL: a 2 s one is shorter than a stream leader election
	// takes here (about 2 s), and every node fences itself (see docs).
	const ttl = 5 * time.Second
	pns := startProxiedNodes(t, c, 3, log, ttl)
	var nodes []*testNode
	for _, pn := range pns {
		nodes = append(nodes, pn.testNode)
	}
	var players []*seated
	for i, tn := range nodes {
		players = append(players, seatIn(t, tn, fmt.Sprint("r", i), relayGame), seatIn(t, tn, fmt.Sprint("s", i), "stay"))
	}
	// Every player reads his frames on a goroutine the test owns.
	gaps := make([]time.Duration, len(players))
	frames := make([]int, len(players))
	readCtx, stopReading := context.WithCancel(context.Background())
	var readers sync.WaitGroup
	for i, p := range players {
		readers.Go(func() {
			last := time.Now()
			for {
				env, err := p.c.Recv(readCtx)
				if err != nil {
					return
				}
				if env.GetState() != nil {
					frames[i]++
					gaps[i] = max(gaps[i], time.Since(last))
					last = time.Now()
				}
			}
		})
	}
	watch := watchCluster(nodes)
	victim := streamLeader(t, c, "KV_tickwire_test_nodes")
	dirLeader := streamLeader(t, c, "KV_tickwire_test_directory")
	killed := time.Now()
	c.Shutdown(victim)

	create, join, failed := lobbyRound(t, nodes[0], nodes[2], 20*time.Second)
	ann, bob := nodes[0].guest("ann"), nodes[1].guest("bob")
	ta, tb := nodes[0].ticket(ann, "duel"), nodes[1].ticket(bob, "duel")
	va := nodes[0].waitMatched(ann, ta, 20*time.Second)
	vb := nodes[1].waitMatched(bob, tb, 5*time.Second)
	if va.RoomID == "" || va.RoomID != vb.RoomID {
		t.Fatalf("matched apart: %+v %+v", va, vb)
	}
	matched := time.Since(killed)
	// Play on for a TTL and a second after the kill at least: long
	// enough for the key of a node that stopped beating at the kill to
	// age out.
	servertest.CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error {
		if since := time.Since(killed); since < ttl+time.Second {
			return fmt.Errorf("%v since the kill", since)
		}
		return nil
	})
	slack, fenced, minNodes := watch.stop()
	limit := ttl - fenceMargin(ttl)
	stopReading()
	readers.Wait()

	if len(fenced) > 0 || minNodes != 3 {
		t.Fatalf("after the NATS server stopped: fenced %v, fewest live nodes seen %d", fenced, minNodes)
	}
	var tickGap, frameGap time.Duration
	for i, p := range players {
		runs := log.of(p.room)
		if len(runs) != 1 || !runs[0].last.After(killed.Add(ttl)) {
			t.Fatalf("room %s: runs %+v; want one, ticking on after the kill", p.room, runs)
		}
		tickGap = max(tickGap, runs[0].maxGap)
		if frames[i] == 0 {
			t.Fatalf("%s got no state frame", p.g.PlayerID)
		}
		frameGap = max(frameGap, gaps[i])
	}
	if tickGap > time.Second {
		t.Fatalf("a room did not tick for %v", tickGap)
	}
	t.Logf("stopped NATS server %d (leader of the heartbeat stream; the directory's was %d): "+
		"lobby create %v and join %v after it (%d failed attempts), match made %v after it; "+
		"longest gap between ticks %v, between a player's frames %v; longest heartbeat silence %v (a node fences at %v)",
		victim, dirLeader, create.Round(time.Millisecond), join.Round(time.Millisecond), failed, matched.Round(time.Millisecond),
		tickGap.Round(time.Millisecond), frameGap.Round(time.Millisecond), (limit - slack).Round(time.Millisecond), limit)
}

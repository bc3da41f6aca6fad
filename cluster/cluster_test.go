package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tickwire/tickwire/cluster/natstest"
	"github.com/tickwire/tickwire/lobby"
	"github.com/tickwire/tickwire/server/servertest"
)

// startNodes starts n Tickwire nodes on c and waits until each sees all.
func startNodes(t *testing.T, c *natstest.Cluster, n int, cfg nodeConfig) []*testNode {
	t.Helper()
	var nodes []*testNode
	for i := range n {
		nodes = append(nodes, startNode(t, c, fmt.Sprintf("node%d", i+1), cfg))
	}
	servertest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		for _, tn := range nodes {
			if got := len(tn.node.Nodes()); got != n {
				return fmt.Errorf("%s sees %d nodes", tn.name, got)
			}
		}
		return nil
	})
	return nodes
}

// leader waits for one node of nodes to lead the matchmaker.
func leader(t *testing.T, nodes []*testNode) *testNode {
	t.Helper()
	var out *testNode
	servertest.CheckFor(t, 15*time.Second, 20*time.Millisecond, func() error {
		out = nil
		for _, tn := range nodes {
			if tn.node.Leader() {
				if out != nil {
					return fmt.Errorf("two leaders: %s and %s", out.name, tn.name)
				}
				out = tn
			}
		}
		if out == nil {
			return errors.New("no leader")
		}
		return nil
	})
	return out
}

// TestMatchAcrossNodes: players queued through different nodes' lobbies
// are matched into one room, placed on a node; both connect there with
// their seats and play.
func TestMatchAcrossNodes(t *testing.T) {
	c := natstest.StartCluster(t, natstest.Options{})
	nodes := startNodes(t, c, 3, nodeConfig{})
	ann, bob := nodes[0].guest("ann"), nodes[1].guest("bob")
	ta, tb := nodes[0].ticket(ann, "duel"), nodes[1].ticket(bob, "duel")
	va := nodes[0].waitMatched(ann, ta, 15*time.Second)
	vb := nodes[1].waitMatched(bob, tb, 15*time.Second)
	if va.RoomID == "" || va.RoomID != vb.RoomID || va.Seat == vb.Seat {
		t.Fatalf("tickets matched apart: %+v %+v", va, vb)
	}
	// Each view's URL is where the room runs (empty: the asked node).
	host := func(viewer *testNode, v ticketReply) string {
		if v.URL == "" {
			return viewer.url()
		}
		return v.URL
	}
	if host(nodes[0], va) != host(nodes[1], vb) {
		t.Fatalf("ann is sent to %s, bob to %s", host(nodes[0], va), host(nodes[1], vb))
	}
	for _, p := range []struct {
		g guest
		v ticketReply
		n *testNode
	}{{ann, va, nodes[0]}, {bob, vb, nodes[1]}} {
		if _, err := play(t, host(p.n, p.v), p.g, p.v.RoomID, p.v.Seat); err != nil {
			t.Fatalf("%s joins at %s: %v", p.g.PlayerID, host(p.n, p.v), err)
		}
	}
	// A seat presented at a node that does not run the room is refused.
	for _, tn := range nodes {
		if tn.url() == host(nodes[0], va) {
			continue
		}
		if _, err := play(t, tn.url(), ann, va.RoomID, va.Seat); err == nil {
			t.Fatalf("a seat was accepted by %s, which does not run the room", tn.name)
		}
	}
}

// TestMatchPlacedOnLeastLoaded: with one node running rooms, a match goes
// to another node.
func TestMatchPlacedOnLeastLoaded(t *testing.T) {
	c := natstest.StartCluster(t, natstest.Options{})
	nodes := startNodes(t, c, 2, nodeConfig{})
	busy, idle := nodes[0], nodes[1]
	for i := range 3 {
		g := busy.guest(fmt.Sprint("busy", i))
		if code := api(t, busy.url(), "POST", "/lobby/rooms", g.Token, map[string]any{"game": "party"}, nil); code != 200 {
			t.Fatalf("create room: %d", code)
		}
	}
	servertest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		for _, n := range idle.node.Nodes() {
			if n.Name == busy.name && n.Rooms == 3 {
				return nil
			}
		}
		return fmt.Errorf("load not seen yet: %+v", idle.node.Nodes())
	})
	ann, bob := busy.guest("ann"), busy.guest("bob")
	ta, tb := busy.ticket(ann, "duel"), busy.ticket(bob, "duel")
	va := busy.waitMatched(ann, ta, 15*time.Second)
	busy.waitMatched(bob, tb, 15*time.Second)
	if va.URL != idle.url() {
		t.Fatalf("match placed at %q, want the idle node %s", va.URL, idle.url())
	}
}

// TestJoinCodeAcrossNodes: a private room made on one node is joined by
// its code on another, which sends the player to the room's node; a
// public room is listed on every node.
func TestJoinCodeAcrossNodes(t *testing.T) {
	c := natstest.StartCluster(t, natstest.Options{})
	nodes := startNodes(t, c, 3, nodeConfig{})
	ann := nodes[0].guest("ann")
	var g grantReply
	if code := api(t, nodes[0].url(), "POST", "/lobby/rooms", ann.Token, map[string]any{"game": "party", "private": true}, &g); code != 200 || g.JoinCode == "" {
		t.Fatalf("create room: %d %+v", code, g)
	}
	if _, err := play(t, nodes[0].url(), ann, g.RoomID, g.Seat); err != nil {
		t.Fatal(err)
	}
	bob := nodes[2].guest("bob")
	var jg grantReply
	if code := api(t, nodes[2].url(), "POST", "/lobby/join", bob.Token, map[string]any{"join_code": g.JoinCode}, &jg); code != 200 {
		t.Fatalf("join by code on node3: %d", code)
	}
	if jg.RoomID != g.RoomID || jg.URL != nodes[0].url() {
		t.Fatalf("grant %+v, want room %s at %s", jg, g.RoomID, nodes[0].url())
	}
	if _, err := play(t, jg.URL, bob, jg.RoomID, jg.Seat); err != nil {
		t.Fatal(err)
	}

	carl := nodes[1].guest("carl")
	var pub grantReply
	if code := api(t, nodes[1].url(), "POST", "/lobby/rooms", carl.Token, map[string]any{"game": "party"}, &pub); code != 200 {
		t.Fatalf("create public room: %d", code)
	}
	// Room lists read each node's mirror of the directory, which a KV
	// watch keeps current: the new room shows up on every node shortly.
	for _, tn := range nodes {
		servertest.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
			var list struct {
				Rooms []roomReply `json:"rooms"`
			}
			api(t, tn.url(), "GET", "/lobby/rooms?game=party", carl.Token, nil, &list)
			if len(list.Rooms) != 1 || list.Rooms[0].ID != pub.RoomID {
				return fmt.Errorf("%s lists %+v, want only %s", tn.name, list.Rooms, pub.RoomID)
			}
			return nil
		})
	}
}

// TestMatchmakerFailover: the node leading the matchmaker dies with a
// ticket pending; another node takes the lease over and matches that
// ticket with a new one.
func TestMatchmakerFailover(t *testing.T) {
	c := natstest.StartCluster(t, natstest.Options{})
	nodes := startNodes(t, c, 3, nodeConfig{})
	lead := leader(t, nodes)
	var others []*testNode
	for _, tn := range nodes {
		if tn != lead {
			others = append(others, tn)
		}
	}
	ann := others[0].guest("ann")
	ta := others[0].ticket(ann, "duel") // pending: no one to play with yet
	lead.kill()
	bob := others[1].guest("bob")
	tb := others[1].ticket(bob, "duel")
	va := others[0].waitMatched(ann, ta, 20*time.Second)
	vb := others[1].waitMatched(bob, tb, 5*time.Second)
	if va.RoomID != vb.RoomID {
		t.Fatalf("matched apart: %+v %+v", va, vb)
	}
	next := leader(t, others)
	t.Logf("%s took over from %s", next.name, lead.name)
	if va.URL == lead.url() || vb.URL == lead.url() {
		t.Fatal("the match was placed on the dead node")
	}
}

// TestNATSServerLoss: one NATS server of three stops; the cluster goes
// on: tickets match, join codes work.
func TestNATSServerLoss(t *testing.T) {
	c := natstest.StartCluster(t, natstest.Options{})
	nodes := startNodes(t, c, 3, nodeConfig{})
	c.Shutdown(0)
	ann, bob := nodes[0].guest("ann"), nodes[2].guest("bob")
	ta, tb := nodes[0].ticket(ann, "duel"), nodes[2].ticket(bob, "duel")
	va := nodes[0].waitMatched(ann, ta, 30*time.Second)
	vb := nodes[2].waitMatched(bob, tb, 30*time.Second)
	if va.RoomID != vb.RoomID {
		t.Fatalf("matched apart: %+v %+v", va, vb)
	}
	carl := nodes[1].guest("carl")
	var g grantReply
	if code := api(t, nodes[1].url(), "POST", "/lobby/rooms", carl.Token, map[string]any{"game": "party", "private": true}, &g); code != 200 {
		t.Fatalf("create room after losing a NATS server: %d", code)
	}
	dan := nodes[0].guest("dan")
	var jg grantReply
	if code := api(t, nodes[0].url(), "POST", "/lobby/join", dan.Token, map[string]any{"join_code": g.JoinCode}, &jg); code != 200 || jg.RoomID != g.RoomID {
		t.Fatalf("join by code after losing a NATS server: %d %+v", code, jg)
	}
	servertest.CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error {
		for _, tn := range nodes {
			if n := len(tn.node.Nodes()); n != 3 {
				return fmt.Errorf("%s sees %d nodes", tn.name, n)
			}
		}
		return nil
	})
}

// TestDeadNodeRoomsLeave: a node dies; within seconds its rooms leave
// every listing and the directory, and its players are free to play
// elsewhere.
func TestDeadNodeRoomsLeave(t *testing.T) {
	c := natstest.StartCluster(t, natstest.Options{})
	nodes := startNodes(t, c, 3, nodeConfig{})
	doomed, watcher := nodes[0], nodes[1]
	ann := doomed.guest("ann")
	var g grantReply
	if code := api(t, doomed.url(), "POST", "/lobby/rooms", ann.Token, map[string]any{"game": "party"}, &g); code != 200 {
		t.Fatalf("create room: %d", code)
	}
	ctx := context.Background()
	if _, err := watcher.node.Directory().Room(ctx, g.RoomID); err != nil {
		t.Fatal(err)
	}
	died := time.Now()
	doomed.kill()
	servertest.CheckFor(t, 15*time.Second, 50*time.Millisecond, func() error {
		if _, err := watcher.node.Directory().Room(ctx, g.RoomID); !errors.Is(err, lobby.ErrRoomNotFound) {
			return fmt.Errorf("room of the dead node still there (%v)", err)
		}
		return nil
	})
	t.Logf("the dead node's room left the directory %v after the kill (heartbeat TTL 2s)", time.Since(died).Round(100*time.Millisecond))
	servertest.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error { // lists read the node's mirror
		var list struct {
			Rooms []roomReply `json:"rooms"`
		}
		api(t, watcher.url(), "GET", "/lobby/rooms", ann.Token, nil, &list)
		if len(list.Rooms) != 0 {
			return fmt.Errorf("listing after the death: %+v", list.Rooms)
		}
		return nil
	})
	if names := nodeNames(watcher.node.Nodes()); slices.Contains(names, doomed.name) {
		t.Fatalf("registry still lists %s: %v", doomed.name, names)
	}
	// Ann's token is the cluster's: she goes on at another node.
	if code := api(t, watcher.url(), "POST", "/lobby/join", ann.Token, map[string]any{"game": "party", "quick": true}, &g); code != 200 {
		t.Fatalf("ann joins elsewhere: %d", code)
	}
}

func nodeNames(ns []NodeInfo) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.Name)
	}
	return out
}

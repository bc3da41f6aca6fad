package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tickwire/tickwire/cluster/natstest"
	"github.com/tickwire/tickwire/lobby"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/server/servertest"
)

// TestForeignClusterSeat: a seat signed by another cluster is never
// trusted: not with another secret, and not with the same secret under
// another cluster name (the lobby key is bound to the cluster's name).
func TestForeignClusterSeat(t *testing.T) {
	c := natstest.StartCluster(t, natstest.Options{})
	home := startNode(t, c, "home", nodeConfig{cluster: "home"})
	twin := startNode(t, c, "twin", nodeConfig{cluster: "twin"})                                                 // same secret, another cluster
	rogue := startNode(t, c, "rogue", nodeConfig{cluster: "home2", secret: []byte("another secret entirely!!")}) // another secret
	ctx := context.Background()
	for _, foreign := range []*testNode{twin, rogue} {
		g := foreign.guest("mallory")
		var grant grantReply
		if code := api(t, foreign.url(), "POST", "/lobby/rooms", g.Token, map[string]any{"game": "party"}, &grant); code != 200 {
			t.Fatalf("create room on %s: %d", foreign.name, code)
		}
		if _, err := home.lobby.VerifySeat(grant.Seat); !errors.Is(err, lobby.ErrSeatInvalid) || !strings.Contains(err.Error(), "signature") {
			t.Fatalf("home verifies %s's seat: %v, want a signature refusal", foreign.name, err)
		}
		if _, err := home.lobby.Authenticate(g.Token); !errors.Is(err, lobby.ErrUnauthenticated) {
			t.Fatalf("home authenticates %s's token: %v", foreign.name, err)
		}
		// Over the wire, with a home identity presenting the foreign seat.
		h := home.guest("eve")
		_, err := play(t, home.url(), h, grant.RoomID, grant.Seat)
		if pe := protocol.AsError(err); pe.Code != protocol.CodeSeatInvalid {
			t.Fatalf("home /ws with %s's seat: %v, want SEAT_INVALID", foreign.name, err)
		}
	}
	// Clusters sharing NATS do not see each other's rooms.
	if rooms, _ := home.node.Directory().Rooms(ctx, ""); len(rooms) != 0 {
		t.Fatalf("home lists foreign rooms: %+v", rooms)
	}
}

// TestMalformedEntries: garbage written into the cluster's buckets is
// logged and skipped; nodes go on serving, and a player whose place is
// garbage can still take one.
func TestMalformedEntries(t *testing.T) {
	c := natstest.StartCluster(t, natstest.Options{})
	nodes := startNodes(t, c, 2, nodeConfig{})
	ann := nodes[0].guest("ann")
	js, err := jetstream.New(c.Connect(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	garbage := map[string]map[string]string{
		"tickwire_test_directory": {
			keyRoom + enc("junk"):       "not json",
			keyRoom + enc("v9"):         `{"v":9,"ID":"v9"}`,
			keyRoom + "a=b":             "{}",
			keySeat + enc(ann.PlayerID): "{",
			keyCode + enc("ABCDEF"):     "junk",
		},
		"tickwire_test_nodes":   {keyNode + enc("ghost"): "nope", keyNode + "x/y": "{}"},
		"tickwire_test_tickets": {keyTicket + enc("t-bad"): "[]"},
	}
	for bucket, keys := range garbage {
		kv, err := js.KeyValue(ctx, bucket)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range keys {
			if _, err := kv.PutString(ctx, k, v); err != nil {
				t.Fatalf("put %s/%s: %v", bucket, k, err)
			}
		}
	}
	// Ann's place is garbage: she is free, and takes a real one.
	var g grantReply
	if code := api(t, nodes[1].url(), "POST", "/lobby/rooms", ann.Token, map[string]any{"game": "party"}, &g); code != 200 {
		t.Fatalf("create room over a malformed place: %d", code)
	}
	var list struct {
		Rooms []roomReply `json:"rooms"`
	}
	servertest.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
		api(t, nodes[0].url(), "GET", "/lobby/rooms", ann.Token, nil, &list)
		if len(list.Rooms) != 1 || list.Rooms[0].ID != g.RoomID {
			return fmt.Errorf("listing %+v", list.Rooms)
		}
		return nil
	})
	for _, tn := range nodes {
		if names := nodeNames(tn.node.Nodes()); len(names) != 2 {
			t.Fatalf("%s sees nodes %v", tn.name, names)
		}
	}
	// Matchmaking still works.
	bob, cid := nodes[0].guest("bob"), nodes[1].guest("cid")
	tb, tc := nodes[0].ticket(bob, "duel"), nodes[1].ticket(cid, "duel")
	nodes[0].waitMatched(bob, tb, 15*time.Second)
	nodes[1].waitMatched(cid, tc, 15*time.Second)
	// The bad ticket is not found, not a crash.
	var errBody struct {
		Error struct{ Code string } `json:"error"`
	}
	if code := api(t, nodes[0].url(), "GET", "/lobby/tickets/t-bad", bob.Token, nil, &errBody); code != 404 {
		t.Fatalf("GET a malformed ticket: %d %+v", code, errBody)
	}
}

// TestNodeRegistry: nodes publish their load; a second process with a
// live node's name is refused; a node that leaves gracefully is gone at
// once.
func TestNodeRegistry(t *testing.T) {
	c := natstest.StartCluster(t, natstest.Options{})
	nodes := startNodes(t, c, 2, nodeConfig{})
	ann := nodes[0].guest("ann")
	if code := api(t, nodes[0].url(), "POST", "/lobby/rooms", ann.Token, map[string]any{"game": "party"}, nil); code != 200 {
		t.Fatal(code)
	}
	servertest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		for _, n := range nodes[1].node.Nodes() {
			if n.Name == "node1" && n.Rooms == 1 && n.URL == nodes[0].url() && !n.Started.IsZero() {
				return nil
			}
		}
		return fmt.Errorf("node2 sees %+v", nodes[1].node.Nodes())
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dup, err := New(ctx, Options{NATS: c.URLs(), Token: c.Token, Cluster: "test", Name: "node1", Secret: testSecret, HeartbeatTTL: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer dup.Close(ctx)
	if err := dup.Start(ctx, Host{Lobby: nodes[1].lobby, Rooms: nodes[1].rooms, URL: "http://127.0.0.1:1"}); !errors.Is(err, ErrNameTaken) {
		t.Fatalf("Start with a live node's name: %v, want ErrNameTaken", err)
	}
	if err := nodes[0].node.Close(ctx); err != nil {
		t.Fatal(err)
	}
	servertest.CheckFor(t, time.Second, 10*time.Millisecond, func() error {
		if n := len(nodes[1].node.Nodes()); n != 1 {
			return fmt.Errorf("node2 sees %d nodes", n)
		}
		return nil
	})
}

// TestOptions: every problem is reported with its field.
func TestOptions(t *testing.T) {
	_, err := Options{Cluster: "a b", Name: "x y", PublicURL: "ftp://x", Secret: []byte("short"), Token: "t", CredsFile: "f", HeartbeatTTL: time.Millisecond}.normalize()
	for _, want := range []string{"NATS", "Cluster", "Name", "PublicURL", "Secret", "credentials", "HeartbeatTTL"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("error %v does not name %s", err, want)
		}
	}
	o, err := Options{NATS: "nats://x", Name: "n1", Secret: testSecret}.normalize()
	if err != nil || o.Cluster != "tickwire" || o.HeartbeatTTL != 5*time.Second {
		t.Fatalf("defaults: %+v, %v", o, err)
	}
}

package cluster

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/tickwire/tickwire/client"
	"github.com/tickwire/tickwire/cluster/natstest"
	"github.com/tickwire/tickwire/examples/crossword"
	"github.com/tickwire/tickwire/internal/browsertest"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/web"
)

// TestOneCrosswordWorldPerCluster: every node registers the crossword and
// opens the world at start, as the demo does; one node runs it (its join
// code is one of a kind in the directory), the others answer a /ws join
// with ROOM_ELSEWHERE naming that node, where the join works.
func TestOneCrosswordWorldPerCluster(t *testing.T) {
	c := natstest.StartCluster(t, natstest.Options{})
	var nodes []*testNode
	for _, name := range []string{"n1", "n2"} {
		reg := testRegistry()
		if err := crossword.Register(reg, crossword.Config{}); err != nil { // the world in memory
			t.Fatal(err)
		}
		nodes = append(nodes, startNode(t, c, name, nodeConfig{registry: reg}))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := crossword.OpenWorld(ctx, nodes[0].rooms, nodes[0].lobby); err != nil {
		t.Fatalf("the first node opens the world: %v", err)
	}
	if _, err := crossword.OpenWorld(ctx, nodes[1].rooms, nodes[1].lobby); !errors.Is(err, crossword.ErrWorldElsewhere) {
		t.Fatalf("the second node opens the world: %v, want ErrWorldElsewhere", err)
	}
	if n := len(nodes[1].rooms.List(crossword.Name)); n != 0 {
		t.Errorf("the second node still runs %d crossword rooms", n)
	}

	join := func(base string, g guest, req *tickwirev1.JoinRoom) (*tickwirev1.Envelope, error) {
		u, _ := url.Parse(base)
		conn, err := client.Dial(ctx, "ws://"+u.Host+"/ws?token="+url.QueryEscape(g.Token), client.Options{})
		if err != nil {
			return nil, err
		}
		t.Cleanup(func() { _ = conn.Close(context.Background()) })
		if _, err := conn.Recv(ctx); err != nil { // Welcome
			return nil, err
		}
		return conn.Request(ctx, &protocol.Envelope{Msg: &tickwirev1.Envelope_JoinRoom{JoinRoom: req}})
	}
	bob := nodes[1].guest("bob")
	_, err := join(nodes[1].url(), bob, &tickwirev1.JoinRoom{Game: crossword.Name})
	var pe *protocol.Error
	if !errors.As(err, &pe) || pe.Code != protocol.CodeRoomElsewhere || pe.URL != nodes[0].url() || pe.RoomID == "" {
		t.Fatalf("joining the world on the second node: %v, want ROOM_ELSEWHERE with %s", err, nodes[0].url())
	}
	// The token works cluster-wide: bob takes his place on the world's node.
	reply, err := join(pe.URL, bob, &tickwirev1.JoinRoom{RoomId: pe.RoomID})
	if err != nil {
		t.Fatal(err)
	}
	if reply.GetJoined().GetGame() != crossword.Name {
		t.Fatalf("joining the world on its node: %v", reply)
	}
}

// TestCrosswordPageFollowsTheWorld: a browser opening the crossword on the
// node that does not run the world is sent to the node that does, and
// plays there.
func TestCrosswordPageFollowsTheWorld(t *testing.T) {
	c := natstest.StartCluster(t, natstest.Options{})
	var nodes []*testNode
	for _, name := range []string{"w1", "w2"} {
		reg := testRegistry()
		if err := crossword.Register(reg, crossword.Config{}); err != nil {
			t.Fatal(err)
		}
		tn := startNode(t, c, name, nodeConfig{registry: reg})
		tn.srv.Handle("GET "+crossword.Path, crossword.Page())
		tn.srv.Handle("GET "+web.Prefix, web.Handler())
		nodes = append(nodes, tn)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := crossword.OpenWorld(ctx, nodes[0].rooms, nodes[0].lobby); err != nil {
		t.Fatal(err)
	}
	if _, err := crossword.OpenWorld(ctx, nodes[1].rooms, nodes[1].lobby); !errors.Is(err, crossword.ErrWorldElsewhere) {
		t.Fatalf("second node: %v", err)
	}
	tab := browsertest.NewTab(t, browsertest.New(t), "ann", false)
	tab.Navigate(nodes[1].url() + crossword.Path)
	tab.WaitFor(20*time.Second, "the page plays on the world's node", `location.origin === `+strconv.Quote(nodes[0].url())+` && !!window.crossword?.roomId`)
	if got := browsertest.Eval[string](tab, "window.crossword.roomId"); len(nodes[0].rooms.List(crossword.Name)) != 1 || got != nodes[0].rooms.List(crossword.Name)[0].ID {
		t.Errorf("the page joined room %q, want the world on the first node", got)
	}
	if errs := tab.PageErrors(); len(errs) != 0 {
		t.Errorf("page errors: %v", errs)
	}
}

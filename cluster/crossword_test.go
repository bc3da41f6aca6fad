package cluster

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/tickwire/tickwire/client"
	"github.com/tickwire/tickwire/cluster/natstest"
	"github.com/tickwire/tickwire/examples/crossword"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
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
	if !errors.As(err, &pe) || pe.Code != tickwirev1.ErrorCode_ERROR_CODE_ROOM_ELSEWHERE || pe.URL != nodes[0].url() || pe.RoomID == "" {
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

package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/tickwire/tickwire/cluster/natstest"
	"github.com/tickwire/tickwire/lobby"
	"github.com/tickwire/tickwire/lobby/dirtest"
)

// startDirectory opens a directory on bucket for node, with its mirror
// running until the test ends.
func startDirectory(t *testing.T, c *natstest.Cluster, bucket, node string) *Directory {
	t.Helper()
	d := newDirectory(testStore(t, c, bucket), node, zerolog.New(zerolog.NewTestWriter(t)))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { d.mirror.run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return d
}

// TestDirectoryConformance runs lobby's Directory suite on the NATS
// directory of a three-server cluster, each subtest on a fresh bucket.
func TestDirectoryConformance(t *testing.T) {
	c := natstest.StartCluster(t, natstest.Options{})
	var n atomic.Int64
	dirtest.Run(t, dirtest.Options{
		Node: "n1",
		New: func(t *testing.T) lobby.Directory {
			return startDirectory(t, c, fmt.Sprintf("conf%d", n.Add(1)), "n1")
		},
	})
}

// TestDirectoryAcrossNodes: two nodes' directories on one bucket see each
// other's rooms and share the invariants.
func TestDirectoryAcrossNodes(t *testing.T) {
	c := natstest.StartCluster(t, natstest.Options{})
	a := startDirectory(t, c, "shared", "a")
	b := startDirectory(t, c, "shared", "b")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	now := time.Now()
	room := lobby.RoomRecord{ID: "ra", Game: "g", Node: "a", MaxPlayers: 1, JoinCode: "QWERTY", Created: now, Managed: true}
	if err := a.AddRoom(ctx, room, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := b.RoomByCode(ctx, "QWERTY"); err != nil || got.Node != "a" {
		t.Fatalf("b.RoomByCode = %+v, %v", got, err)
	}
	if err := b.Reserve(ctx, lobby.SeatRecord{Room: "ra", Player: "p1", Node: "a", Nonce: "x", Expires: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	err := a.Reserve(ctx, lobby.SeatRecord{Room: "ra", Player: "p2", Node: "a", Nonce: "y", Expires: now.Add(time.Minute)})
	if !errorsIs(err, lobby.ErrRoomFull) {
		t.Fatalf("a.Reserve in a room b filled: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		rs, _ := b.Rooms(ctx, "g")
		if len(rs) == 1 && rs[0].Seats == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("b lists %+v", rs)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }

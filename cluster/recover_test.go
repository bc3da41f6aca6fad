package cluster

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/client"
	"github.com/tickwire/tickwire/cluster/natstest"
	"github.com/tickwire/tickwire/examples/arena"
	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/tick"
)

// arenaRegistry holds the test games and the arena, which saves snapshots.
func arenaRegistry() *tick.Registry {
	reg := testRegistry()
	tick.RegisterIn(reg, tick.GameInfo{Name: arena.Name, TickHz: arena.TickHz, MinPlayers: 1, MaxPlayers: arena.MaxPlayers,
		ReconnectGrace: arena.ReconnectGrace, SnapshotEvery: 200 * time.Millisecond}, arena.New)
	return reg
}

// pilot is a player of the arena test over our Go client.
type pilot struct {
	t       *testing.T
	g       guest
	c       *client.Conn
	room    string
	seq     uint64
	replica *client.Replica[*arenav1.State]
}

func (p *pilot) steer(dx, dy float32) {
	p.t.Helper()
	p.seq++
	payload, _ := proto.Marshal(&arenav1.Input{Dx: dx, Dy: dy})
	if err := p.c.Send(&protocol.Envelope{Msg: &tickwirev1.Envelope_Input{Input: &tickwirev1.Input{RoomId: p.room, Seq: p.seq, Payload: payload}}}); err != nil {
		p.t.Fatal(err)
	}
}

// until applies state frames until cond holds for the replica.
func (p *pilot) until(within time.Duration, cond func(*arenav1.State) error) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	var last error
	for {
		env, err := p.c.Recv(ctx)
		if err != nil {
			p.t.Fatalf("waiting for the arena state (last: %v): %v", last, err)
		}
		if f := env.GetState(); f != nil {
			if _, err := p.replica.Apply(f); err != nil {
				p.t.Fatal(err)
			}
			if p.replica.Ready() {
				if last = cond(p.replica.State); last == nil {
					return
				}
			}
		}
	}
}

// testEngine is one client engine for a test's connections: a private
// engine per failed dial is stopped at once, which can hang in nbio.
func testEngine(t *testing.T) *client.Engine {
	t.Helper()
	eng, err := client.NewEngine(1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Close)
	return eng
}

// TestRoomRecovery is the fault test: a Tickwire node is killed
// mid-game; its players, through our Go client, are back in play in the
// room restored on another node within 5 s, with the room's last snapshot
// (their bumpers where they stopped, not respawned), and play on.
func TestRoomRecovery(t *testing.T) {
	c := natstest.StartCluster(t, natstest.Options{})
	nodes := startNodes(t, c, 3, nodeConfig{registry: arenaRegistry()})
	lead := leader(t, nodes)
	var host *testNode
	for _, tn := range nodes {
		if tn != lead {
			host = tn
			break
		}
	}
	// Ann creates an arena room on the host node; Bob joins it by code
	// through another node's lobby and follows the grant's URL.
	ann, bob := host.guest("ann"), lead.guest("bob")
	var g grantReply
	if code := api(t, host.url(), "POST", "/lobby/rooms", ann.Token, map[string]any{"game": "arena"}, &g); code != 200 {
		t.Fatalf("create room: %d", code)
	}
	var gb grantReply
	if code := api(t, lead.url(), "POST", "/lobby/join", bob.Token, map[string]any{"join_code": g.JoinCode}, &gb); code != 200 || gb.URL != host.url() {
		t.Fatalf("bob joins by code on %s: %d, url %q", lead.name, code, gb.URL)
	}
	pa, pb := &pilot{t: t, g: ann, room: g.RoomID}, &pilot{t: t, g: bob, room: g.RoomID}
	var err error
	if pa.c, err = play(t, host.url(), ann, g.RoomID, g.Seat); err != nil {
		t.Fatal(err)
	}
	if pb.c, err = play(t, gb.URL, bob, g.RoomID, gb.Seat); err != nil {
		t.Fatal(err)
	}
	pa.replica, pb.replica = client.NewReplica[*arenav1.State](g.RoomID), client.NewReplica[*arenav1.State](g.RoomID)

	// Ann drives right, then stops; both bumpers come to rest.
	pa.steer(1, 0)
	pa.until(5*time.Second, func(s *arenav1.State) error {
		if a := s.Players[ann.PlayerID]; a == nil || a.Vx == 0 {
			return errors.New("ann not moving yet")
		}
		return nil
	})
	pa.steer(0, 0)
	var rest *arenav1.State
	pa.until(5*time.Second, func(s *arenav1.State) error {
		for id, p := range s.Players {
			if p.Vx != 0 || p.Vy != 0 {
				return fmt.Errorf("%s still moving", id)
			}
		}
		if len(s.Players) != 2 {
			return fmt.Errorf("%d players", len(s.Players))
		}
		rest = proto.Clone(s).(*arenav1.State)
		return nil
	})
	// Wait until a snapshot with the bumpers at rest is saved.
	servertest.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
		snap, ok, err := lead.node.readSnapshot(context.Background(), g.RoomID)
		if err != nil || !ok {
			return fmt.Errorf("no snapshot yet (%v)", err)
		}
		var st arenav1.State
		if err := proto.Unmarshal(snap.State, &st); err != nil {
			return err
		}
		if !proto.Equal(&st, rest) {
			return errors.New("the saved snapshot is older than the rest state")
		}
		return nil
	})

	killed := time.Now()
	host.kill()
	var live []string
	for _, tn := range nodes {
		if tn != host {
			live = append(live, tn.url())
		}
	}
	eng := testEngine(t)
	for _, p := range []*pilot{pa, pb} {
		ctx, cancel := context.WithDeadline(context.Background(), killed.Add(5*time.Second))
		conn, joined, err := client.Rejoin(ctx, live, p.g.Token, g.RoomID, 50*time.Millisecond, client.Options{Engine: eng})
		cancel()
		if err != nil {
			t.Fatalf("%s did not get back within 5 s of the kill: %v", p.g.PlayerID, err)
		}
		t.Cleanup(func() { _ = conn.Close(context.Background()) })
		if joined.GetJoined().GetRoomId() != g.RoomID {
			t.Fatalf("rejoined %+v", joined)
		}
		p.c, p.replica, p.seq = conn, client.NewReplica[*arenav1.State](g.RoomID), 0
		// The first state is the restored room's: the rest state, exactly.
		p.until(5*time.Second, func(s *arenav1.State) error {
			for id, want := range rest.Players {
				got := s.Players[id]
				if got == nil || got.X != want.X || got.Y != want.Y || got.Hp != want.Hp || got.Score != want.Score {
					return fmt.Errorf("player %s: %v, want %v", id, got, want)
				}
			}
			return nil
		})
	}
	t.Logf("both players back in the restored room %v after the kill (heartbeat TTL 2s)", time.Since(killed).Round(10*time.Millisecond))
	// Play goes on: Ann drives left from where she stopped.
	x0 := rest.Players[ann.PlayerID].X
	pa.steer(-1, 0)
	pa.until(5*time.Second, func(s *arenav1.State) error {
		if a := s.Players[ann.PlayerID]; a == nil || a.X >= x0-10 {
			return errors.New("ann has not moved left yet")
		}
		return nil
	})
	// The room is recorded on its new node with both players' places.
	rec, err := lead.node.Directory().Room(context.Background(), g.RoomID)
	if err != nil || rec.Node == host.name || rec.Seats != 2 || rec.JoinCode != g.JoinCode {
		t.Fatalf("directory record after recovery: %+v (%v)", rec, err)
	}
}

// TestDrainMigratesRooms: a node shutting down gracefully hands its room
// with a snapshot to another node; its players rejoin there.
func TestDrainMigratesRooms(t *testing.T) {
	c := natstest.StartCluster(t, natstest.Options{Servers: 1})
	nodes := startNodes(t, c, 2, nodeConfig{registry: arenaRegistry()})
	leaving, staying := nodes[0], nodes[1]
	ann := leaving.guest("ann")
	var g grantReply
	if code := api(t, leaving.url(), "POST", "/lobby/rooms", ann.Token, map[string]any{"game": "arena"}, &g); code != 200 {
		t.Fatalf("create room: %d", code)
	}
	pa := &pilot{t: t, g: ann, room: g.RoomID, replica: client.NewReplica[*arenav1.State](g.RoomID)}
	var err error
	if pa.c, err = play(t, leaving.url(), ann, g.RoomID, g.Seat); err != nil {
		t.Fatal(err)
	}
	pa.until(5*time.Second, func(s *arenav1.State) error {
		if s.Players[ann.PlayerID] == nil {
			return errors.New("ann not in the state")
		}
		return nil
	})
	servertest.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
		if _, ok, err := staying.node.readSnapshot(context.Background(), g.RoomID); err != nil || !ok {
			return fmt.Errorf("no snapshot yet (%v)", err)
		}
		return nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := leaving.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	rec, err := staying.node.Directory().Room(ctx, g.RoomID)
	if err != nil || rec.Node != staying.name {
		t.Fatalf("after the drain the room is %+v (%v)", rec, err)
	}
	conn, _, err := client.Rejoin(ctx, []string{staying.url()}, ann.Token, g.RoomID, 50*time.Millisecond, client.Options{Engine: testEngine(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	pa.c, pa.replica = conn, client.NewReplica[*arenav1.State](g.RoomID)
	pa.until(5*time.Second, func(s *arenav1.State) error {
		if s.Players[ann.PlayerID] == nil {
			return errors.New("ann not in the migrated room's state")
		}
		return nil
	})
}

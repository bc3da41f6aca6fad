package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/client"
	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/server/servertest"
)

// player is one Go client in the arena, with its replica of the state.
type player struct {
	c       *client.Conn
	id      string
	room    string
	replica *client.Replica[*arenav1.State]

	mu     sync.Mutex
	byTick map[uint64][]byte // the replica after each tick, deterministically encoded
	seqAt  map[uint64]uint64 // last processed input seq reported at each tick
	err    error
}

var deterministic = proto.MarshalOptions{Deterministic: true}

func joinArena(t *testing.T, ctx context.Context, eng *client.Engine, addr string) *player {
	t.Helper()
	c, err := client.Dial(ctx, "ws://"+addr+"/ws", client.Options{Engine: eng})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	welcome, err := c.Recv(ctx)
	if err != nil || welcome.GetWelcome() == nil {
		t.Fatalf("welcome: %v %v", welcome, err)
	}
	reply, err := c.Request(ctx, &protocol.Envelope{Msg: &tickwirev1.Envelope_JoinRoom{JoinRoom: &tickwirev1.JoinRoom{Game: "arena"}}})
	if err != nil {
		t.Fatalf("join arena: %v", err)
	}
	joined := reply.GetJoined()
	if joined == nil || joined.Game != "arena" || joined.TickHz != 20 || joined.StateType != "tickwire.arena.v1.State" {
		t.Fatalf("join reply = %v, want Joined arena at 20 Hz", reply)
	}
	p := &player{c: c, id: welcome.GetWelcome().PlayerId, room: joined.RoomId, replica: client.NewReplica[*arenav1.State](joined.RoomId),
		byTick: map[uint64][]byte{}, seqAt: map[uint64]uint64{}}
	go p.read(ctx)
	return p
}

// read applies every state frame to the replica until the connection ends.
func (p *player) read(ctx context.Context) {
	for {
		env, err := p.c.Recv(ctx)
		if err != nil {
			return
		}
		st := env.GetState()
		if st == nil {
			continue
		}
		p.mu.Lock()
		if _, err := p.replica.Apply(st); err != nil && p.err == nil {
			p.err = err
		}
		b, _ := deterministic.Marshal(p.replica.State)
		p.byTick[st.Tick] = b
		p.seqAt[st.Tick] = st.LastInputSeq
		p.mu.Unlock()
	}
}

func (p *player) snapshot() (map[uint64][]byte, map[uint64]uint64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps(p.byTick), maps(p.seqAt), p.err
}

func maps[K comparable, V any](m map[K]V) map[K]V {
	out := make(map[K]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (p *player) lastSeq() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.replica.LastInputSeq
}

func sendInput(t *testing.T, p *player, seq uint64, dx, dy float32) {
	t.Helper()
	payload, err := proto.Marshal(&arenav1.Input{Dx: dx, Dy: dy})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.c.Send(&protocol.Envelope{Msg: &tickwirev1.Envelope_Input{Input: &tickwirev1.Input{RoomId: p.room, Seq: seq, Payload: payload}}}); err != nil {
		t.Fatal(err)
	}
}

// TestArenaEndToEnd plays the arena over /ws with Go clients: their
// delta-built replicas agree with each other and with a snapshot of the
// server's state taken by a late joiner, and each client's last processed
// input seq reaches the last seq it sent.
func TestArenaEndToEnd(t *testing.T) {
	srv := startDemo(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	eng, err := client.NewEngine(1)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()

	var players []*player
	for range 3 {
		players = append(players, joinArena(t, ctx, eng, srv.Addr()))
	}
	for _, p := range players[1:] {
		if p.room != players[0].room {
			t.Fatalf("join-or-create put players in rooms %s and %s", players[0].room, p.room)
		}
	}
	const inputs = 30
	for seq := uint64(1); seq <= inputs; seq++ {
		for i, p := range players {
			sendInput(t, p, seq, float32(i)-1, 0.5)
		}
		if seq%5 == 0 {
			time.Sleep(50 * time.Millisecond) // pace like a real client: a few inputs per tick
		}
	}
	servertest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		for _, p := range players {
			if got := p.lastSeq(); got != inputs {
				return fmt.Errorf("player %s: last processed seq %d, want %d", p.id, got, inputs)
			}
		}
		return nil
	})

	// A late joiner's first frame is a snapshot: the server's own state.
	late := joinArena(t, ctx, eng, srv.Addr())
	var snapTick uint64
	var snap []byte
	servertest.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		byTick, _, err := late.snapshot()
		if err != nil {
			return err
		}
		for tk, b := range byTick {
			if snapTick == 0 || tk < snapTick {
				snapTick, snap = tk, b
			}
		}
		if snapTick == 0 {
			return errors.New("late joiner has no snapshot yet")
		}
		return nil
	})
	servertest.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		for _, p := range players {
			byTick, seqAt, err := p.snapshot()
			if err != nil {
				return err
			}
			got, ok := byTick[snapTick]
			if !ok {
				return fmt.Errorf("player %s has not reached tick %d", p.id, snapTick)
			}
			var want, have arenav1.State
			_ = proto.Unmarshal(snap, &want)
			_ = proto.Unmarshal(got, &have)
			if !proto.Equal(&want, &have) {
				t.Fatalf("player %s's delta-built state at tick %d differs from the server's snapshot:\n got %v\nwant %v", p.id, snapTick, &have, &want)
			}
			if len(want.Players) != 4 {
				t.Fatalf("snapshot has %d players, want 4", len(want.Players))
			}
			if seqAt[snapTick] != inputs {
				t.Fatalf("player %s at tick %d reports seq %d, want %d", p.id, snapTick, seqAt[snapTick], inputs)
			}
		}
		return nil
	})
	if late.replica.Snapshots == 0 {
		t.Fatal("late joiner applied no snapshot")
	}
}

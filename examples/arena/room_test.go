package arena_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/examples/arena"
	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/tick"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// client rebuilds the arena from the frames a room sends it.
type client struct {
	t       *testing.T
	mu      sync.Mutex
	state   *arenav1.State
	lastSeq uint64
	frames  int
}

func (c *client) SendState(frame []byte, seq uint64, snapshot bool, _ string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	var env protocol.Envelope
	if err := protocol.Decode(protocol.AppendLastInputSeq(append([]byte(nil), frame...), seq), 0, &env); err != nil {
		c.t.Errorf("decode: %v", err)
		return true
	}
	switch body := env.GetState().GetBody().(type) {
	case *tickwirev1.StateFrame_Snapshot:
		c.state = &arenav1.State{}
		if err := proto.Unmarshal(body.Snapshot, c.state); err != nil {
			c.t.Errorf("snapshot: %v", err)
		}
	case *tickwirev1.StateFrame_Delta:
		if err := protocol.ApplyDelta(c.state, body.Delta); err != nil {
			c.t.Errorf("delta: %v", err)
		}
	}
	c.lastSeq = env.GetState().GetLastInputSeq()
	c.frames++
	return true
}

func (c *client) Send(*protocol.Envelope) {}

func (c *client) view() (*arenav1.State, uint64, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return proto.CloneOf(c.state), c.lastSeq, c.frames
}

// TestArenaRoom plays the registered game through the room runtime: the
// clients' copies of the state follow the server's, and a player standing
// still costs no frames.
func TestArenaRoom(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rooms, err := tick.NewRooms(tick.Options{Clock: tick.SystemClock{}, AlignTicks: true})
		if err != nil {
			t.Fatal(err)
		}
		defer rooms.Close(context.Background())
		ctx := context.Background()
		room, err := rooms.Create(ctx, arena.Name, tick.RoomOptions{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		a, b := &client{t: t}, &client{t: t}
		if err := room.Join(ctx, "a", a); err != nil {
			t.Fatal(err)
		}
		if err := room.Join(ctx, "b", b); err != nil {
			t.Fatal(err)
		}
		payload, _ := proto.Marshal(&arenav1.Input{Dx: 1})
		if err := room.Input("a", 1, payload); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10*time.Second/arena.TickHz + time.Millisecond)
		synctest.Wait()
		sa, seq, _ := a.view()
		sb, _, _ := b.view()
		if seq != 1 || !proto.Equal(sa, sb) || sa.Players["a"].Vx == 0 {
			t.Errorf("a's view %v (seq %d), b's view %v", sa, seq, sb)
		}

		// Once a stops and the knock-backs settle, nothing changes: no
		// frames at all.
		payload, _ = proto.Marshal(&arenav1.Input{})
		if err := room.Input("a", 2, payload); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		_, _, before := b.view()
		time.Sleep(time.Second)
		synctest.Wait()
		if _, _, after := b.view(); after != before {
			t.Errorf("%d frames for a still arena", after-before)
		}
	})
}

package wasmgame_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/examples/arena"
	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/tick"
	"github.com/tickwire/tickwire/wasmgame"
)

// replicaPeer is a client that rebuilds the room's state from its frames.
type replicaPeer struct {
	mu      sync.Mutex
	replica *protocol.Replica[*arenav1.State]
	frames  int
}

func (p *replicaPeer) SendState(frame []byte, seq uint64, _ bool, _ string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if f, err := protocol.DecodeStateFrame(frame, seq); err == nil {
		if _, err := p.replica.Apply(f); err == nil {
			p.frames++
		}
	}
	return true
}

func (p *replicaPeer) Send(*protocol.Envelope) {}

func (p *replicaPeer) state() (*arenav1.State, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return proto.Clone(p.replica.State).(*arenav1.State), p.frames
}

// TestRestore starts a wasm arena room from a snapshot, as cluster
// recovery does: the guest's Restorer keeps a returning player where the
// snapshot left him, with his hp and score, instead of spawning him anew.
func TestRestore(t *testing.T) {
	reg := tick.NewRegistry()
	info := tick.GameInfo{Name: "arena-wasm", TickHz: arena.TickHz, MaxPlayers: arena.MaxPlayers}
	wasmgame.Register[*arenav1.State, *arenav1.Input](reg, info, wasmgame.NewPlugin(load(t, guests.arena, wasmgame.Options{})))
	rooms, err := tick.NewRooms(tick.Options{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer rooms.Close(context.Background())
	snap, err := proto.Marshal(&arenav1.State{Width: arena.Width, Height: arena.Height, Players: map[string]*arenav1.Player{
		"a": {X: 100, Y: 120, Hp: 40, Score: 3},
		"b": {X: 400, Y: 300, Hp: 90},
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	h, err := rooms.Create(ctx, info.Name, tick.RoomOptions{Restore: snap})
	if err != nil {
		t.Fatal(err)
	}
	p := &replicaPeer{replica: protocol.NewReplica[*arenav1.State](h.ID())}
	if err := h.Join(ctx, "a", p); err != nil {
		t.Fatal(err)
	}
	checkFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if _, n := p.state(); n == 0 {
			return errors.New("no frame yet")
		}
		return nil
	})
	s, _ := p.state()
	want := &arenav1.Player{X: 100, Y: 120, Hp: 40, Score: 3}
	if got := s.Players["a"]; !proto.Equal(got, want) {
		t.Errorf("a after the restore = %v, want %v, where the snapshot left him", got, want)
	}
	if s.Players["b"] == nil {
		t.Errorf("b's bumper is gone before his grace ran out: %v", s)
	}
}

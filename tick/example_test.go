package tick_test

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/tick"
)

// Tally is a complete game: every player's input adds to one shared number.
// Its state and input are protobuf messages (here the well-known Int64Value;
// a real game has its own .proto), so no method needs a cast.
type Tally struct{}

var _ tick.Game[*wrapperspb.Int64Value, *wrapperspb.Int64Value] = Tally{}

func (Tally) Init(r *tick.Room[*wrapperspb.Int64Value]) error { return nil }

func (Tally) Join(r *tick.Room[*wrapperspb.Int64Value], p tick.PlayerID) error {
	if p == "mallory" {
		return fmt.Errorf("%s may not play", p) // sent to the client as GAME_REFUSED
	}
	return nil
}

func (Tally) Leave(r *tick.Room[*wrapperspb.Int64Value], p tick.PlayerID) {}

func (Tally) Input(r *tick.Room[*wrapperspb.Int64Value], p tick.PlayerID, in *wrapperspb.Int64Value) {
	r.State().Value += max(-10, min(in.Value, 10)) // never trust a client
}

func (Tally) Tick(r *tick.Room[*wrapperspb.Int64Value], dt time.Duration) {}

// clientPeer stands in for a server session and a client: it rebuilds the
// room's state from each frame as a client would.
type clientPeer struct {
	replica *protocol.Replica[*wrapperspb.Int64Value]
	waitSeq uint64
	reached chan int64 // the value once waitSeq is acknowledged
}

func (c *clientPeer) SendState(frame []byte, lastInputSeq uint64, snapshot bool, _ string) bool {
	f, err := protocol.DecodeStateFrame(frame, lastInputSeq)
	if err == nil {
		_, err = c.replica.Apply(f)
	}
	if err != nil {
		panic(err)
	}
	if c.replica.LastInputSeq >= c.waitSeq {
		select {
		case c.reached <- c.replica.State.GetValue():
		default: // SendState must not block
		}
	}
	return true
}

func (c *clientPeer) Send(env *protocol.Envelope) {
	if j := env.GetJoined(); j != nil {
		fmt.Printf("joined %s as %s at %d Hz\n", j.GetGame(), j.GetPlayerId(), j.GetTickHz())
	}
}

func Example() {
	// A game package registers itself from init with tick.Register; this
	// example uses a registry of its own.
	games := tick.NewRegistry()
	tick.RegisterIn(games, tick.GameInfo{Name: "tally", TickHz: 20, MaxPlayers: 8},
		func() tick.Game[*wrapperspb.Int64Value, *wrapperspb.Int64Value] { return Tally{} })

	ctx := context.Background()
	rooms, err := tick.NewRooms(tick.Options{Registry: games})
	if err != nil {
		panic(err)
	}
	defer rooms.Close(ctx)
	room, err := rooms.Create(ctx, "tally", tick.RoomOptions{})
	if err != nil {
		panic(err)
	}

	ann := &clientPeer{replica: protocol.NewReplica[*wrapperspb.Int64Value](room.ID()), waitSeq: 3, reached: make(chan int64, 1)}
	if err := room.Join(ctx, "ann", ann); err != nil {
		panic(err)
	}
	fmt.Println(room.Join(ctx, "mallory", &clientPeer{replica: protocol.NewReplica[*wrapperspb.Int64Value](room.ID())}))

	for seq, add := range []int64{5, 7, 100} {
		payload, _ := proto.Marshal(wrapperspb.Int64(add))
		if err := room.Input("ann", uint64(seq+1), payload); err != nil {
			panic(err)
		}
	}
	fmt.Println("ann's client sees", <-ann.reached, "once input 3 is applied")
	// Output:
	// joined tally as ann at 20 Hz
	// game_refused: mallory may not play
	// ann's client sees 22 once input 3 is applied
}

// A game's unit test runs it in a Harness: no network, no clock, one tick
// per call, and each player's client replica to check what it sees.
func ExampleHarness() {
	h, err := tick.NewHarness(tick.GameInfo{Name: "tally"}, tick.Game[*wrapperspb.Int64Value, *wrapperspb.Int64Value](Tally{}), 1)
	if err != nil {
		panic(err)
	}
	if err := h.Join("ann"); err != nil {
		panic(err)
	}
	for _, add := range []int64{5, 7, 100} {
		_ = h.Input("ann", wrapperspb.Int64(add))
	}
	if err := h.Tick(); err != nil {
		panic(err)
	}
	ann := h.Client("ann")
	fmt.Println("ann sees", ann.State().GetValue(), "after input", ann.LastInputSeq())
	fmt.Println(h.Join("mallory"))
	// Output:
	// ann sees 22 after input 3
	// game_refused: mallory may not play
}

package tick_test

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
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

// clientPeer stands in for a server session and a client: it decodes each
// frame as a client would and keeps the state it rebuilds.
type clientPeer struct {
	state   *wrapperspb.Int64Value
	waitSeq uint64
	reached chan int64 // the value once waitSeq is acknowledged
}

func (c *clientPeer) SendState(frame []byte, lastInputSeq uint64, snapshot bool, _ string) bool {
	// frame is shared and reused by the room: copy it before appending the
	// receiver's seq, as a session does before queueing the write.
	wire := protocol.AppendLastInputSeq(append([]byte(nil), frame...), lastInputSeq)
	var env protocol.Envelope
	if err := protocol.Decode(wire, 0, &env); err != nil {
		panic(err)
	}
	switch body := env.GetState().GetBody().(type) {
	case *tickwirev1.StateFrame_Snapshot:
		c.state = &wrapperspb.Int64Value{}
		if err := proto.Unmarshal(body.Snapshot, c.state); err != nil {
			panic(err)
		}
	case *tickwirev1.StateFrame_Delta:
		if err := protocol.ApplyDelta(c.state, body.Delta); err != nil {
			panic(err)
		}
	}
	if env.GetState().GetLastInputSeq() >= c.waitSeq {
		select {
		case c.reached <- c.state.GetValue():
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

	ann := &clientPeer{waitSeq: 3, reached: make(chan int64, 1)}
	if err := room.Join(ctx, "ann", ann); err != nil {
		panic(err)
	}
	fmt.Println(room.Join(ctx, "mallory", &clientPeer{}))

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

package client_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/tickwire/tickwire"
	"github.com/tickwire/tickwire/client"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/tick"
)

// counter is the game the example plays: every input adds to one number.
type counter struct{}

type num = *wrapperspb.Int64Value

func (counter) Init(*tick.Room[num]) error                       { return nil }
func (counter) Join(*tick.Room[num], tick.PlayerID) error        { return nil }
func (counter) Leave(*tick.Room[num], tick.PlayerID)             {}
func (counter) Input(r *tick.Room[num], _ tick.PlayerID, in num) { r.State().Value += in.Value }
func (counter) Tick(*tick.Room[num], time.Duration)              {}

// A Go client plays a game: it dials /ws, is welcomed, joins a room of the
// game (the lobby quick-joins it), sends inputs numbered 1, 2, 3, and
// applies state frames to a replica until the room reports its last input
// processed (last_input_seq).
func Example() {
	games := tick.NewRegistry()
	tick.RegisterIn(games, tick.GameInfo{Name: "counter", TickHz: 30}, func() tick.Game[num, num] { return counter{} })
	node, err := tickwire.NewNode(context.Background(), tickwire.Options{Addr: "127.0.0.1:0", Games: games, LogOutput: io.Discard})
	if err != nil {
		panic(err)
	}
	if err := node.Start(); err != nil {
		panic(err)
	}
	defer node.Shutdown(context.Background())

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url := strings.Replace(node.URL(), "http", "ws", 1) + "/ws"
	c, err := client.Dial(ctx, url, client.Options{})
	if err != nil {
		panic(err)
	}
	defer c.Close(context.Background())
	welcome, err := c.Recv(ctx) // the server speaks first
	if err != nil {
		panic(err)
	}
	fmt.Println("welcome names the server version:", welcome.GetWelcome().GetServerVersion() == tickwire.Version)

	reply, err := c.Request(ctx, &protocol.Envelope{Msg: &tickwirev1.Envelope_JoinRoom{JoinRoom: &tickwirev1.JoinRoom{Game: "counter"}}})
	if err != nil {
		panic(err)
	}
	room := reply.GetJoined().GetRoomId()
	fmt.Println("joined", reply.GetJoined().GetGame())

	for seq, add := range []int64{2, 3, 5} {
		payload, _ := proto.Marshal(&wrapperspb.Int64Value{Value: add})
		in := &tickwirev1.Input{RoomId: room, Seq: uint64(seq + 1), Payload: payload}
		if err := c.Send(&protocol.Envelope{Msg: &tickwirev1.Envelope_Input{Input: in}}); err != nil {
			panic(err)
		}
	}
	replica := client.NewReplica[num](room)
	for replica.LastInputSeq < 3 {
		env, err := c.Recv(ctx)
		if err != nil {
			panic(err)
		}
		if st := env.GetState(); st != nil {
			if _, err := replica.Apply(st); err != nil {
				panic(err)
			}
		}
	}
	fmt.Println("input 3 acknowledged, value", replica.State.GetValue())
	// Output:
	// welcome names the server version: true
	// joined counter
	// input 3 acknowledged, value 10
}

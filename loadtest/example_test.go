package loadtest_test

import (
	"context"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire"
	"github.com/tickwire/tickwire/examples/arena" // registers the "arena" game
	"github.com/tickwire/tickwire/loadtest"
	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
)

// A bot for the arena: each player quick-joins an arena room and steers
// round a circle, turning towards the middle when it is near a wall. The
// harness sends its inputs 20 times a second, applies the room's state
// frames to its replica (state) and measures how long each input took to
// show in a frame.
func Example() {
	node, err := tickwire.NewNode(context.Background(), tickwire.Options{Addr: "127.0.0.1:0", LogOutput: io.Discard})
	if err != nil {
		panic(err)
	}
	if err := node.Start(); err != nil {
		panic(err)
	}
	defer node.Shutdown(context.Background())
	url := strings.Replace(node.URL(), "http", "ws", 1) + "/ws" // ws://127.0.0.1:PORT/ws

	bot := loadtest.Bot[*arenav1.State]{
		Game: arena.Name,
		Input: func(p *loadtest.Player, seq uint64, state *arenav1.State) proto.Message {
			angle := float64(seq+uint64(p.Index)) / 10
			in := &arenav1.Input{Dx: float32(math.Cos(angle)), Dy: float32(math.Sin(angle))}
			if me := state.GetPlayers()[p.ID()]; me != nil && (me.X < 100 || me.X > state.Width-100) {
				in.Dx = float32(math.Copysign(1, float64(state.Width/2-me.X)))
			}
			return in
		},
	}
	rep, err := loadtest.Run(context.Background(), loadtest.Config{
		URL:      url,
		Clients:  5,
		Duration: time.Second,
		Warmup:   500 * time.Millisecond,
		// Progress: os.Stderr, JSON: "loadtest.json", Plot: "loadtest.png",
	}, bot)
	if err != nil {
		panic(err)
	}
	fmt.Println("clients:", rep.Clients, "failed:", rep.Failed, "tick_hz:", rep.TickHz)
	fmt.Println("every input acknowledged:", rep.InputsSent > 0 && rep.InputsAcked == rep.InputsSent)
	fmt.Println("latency measured:", rep.LatencyMs.Count > 0 && rep.LatencyMs.P99 > 0)
	// Output:
	// clients: 5 failed: 0 tick_hz: 20
	// every input acknowledged: true
	// latency measured: true
}

package tickwire_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/tickwire/tickwire"
	"github.com/tickwire/tickwire/client"
	"github.com/tickwire/tickwire/lobby"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/tick"
)

// Counter is a complete game: every input adds to one shared number. A real
// game has its own .proto for its state and input; the well-known
// Int64Value keeps this example short.
type Counter struct{}

type num = *wrapperspb.Int64Value

func (Counter) Init(*tick.Room[num]) error                       { return nil }
func (Counter) Join(*tick.Room[num], tick.PlayerID) error        { return nil }
func (Counter) Leave(*tick.Room[num], tick.PlayerID)             {}
func (Counter) Input(r *tick.Room[num], _ tick.PlayerID, in num) { r.State().Value += in.Value }
func (Counter) Tick(*tick.Room[num], time.Duration)              {}

// A game's main function: serve the games registered in the default
// registry until SIGINT or SIGTERM, then shut down gracefully.
func ExampleServe() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := tickwire.Serve(ctx, tickwire.Options{Addr: "127.0.0.1:8080"}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// A Node built, given a page, started on a free port, and shut down.
func ExampleNewNode() {
	games := tick.NewRegistry() // most programs use the default registry and tick.Register
	tick.RegisterIn(games, tick.GameInfo{Name: "counter", TickHz: 20}, func() tick.Game[num, num] { return Counter{} })

	node, err := tickwire.NewNode(context.Background(), tickwire.Options{
		Addr:      "127.0.0.1:0", // a free port
		Games:     games,
		LogOutput: io.Discard,
	})
	if err != nil {
		panic(err)
	}
	node.Handle("GET /{$}", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "<!doctype html><title>counter</title>")
	}))
	if err := node.Start(); err != nil {
		panic(err)
	}
	defer node.Shutdown(context.Background())

	for _, path := range []string{"/healthz", "/", "/sdk/tickwire.js"} {
		resp, err := http.Get(node.URL() + path)
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if len(body) > 40 {
			body = []byte(resp.Header.Get("Content-Type"))
		}
		fmt.Printf("GET %s: %d %s\n", path, resp.StatusCode, body)
	}
	// Output:
	// GET /healthz: 200 ok
	// GET /: 200 <!doctype html><title>counter</title>
	// GET /sdk/tickwire.js: 200 text/javascript; charset=utf-8
}

// A background task the Node owns: it runs from Start, its context ends
// when Shutdown begins, and Shutdown waits for it.
func ExampleNode_Go() {
	node, err := tickwire.NewNode(context.Background(), tickwire.Options{Addr: "127.0.0.1:0", Games: tick.NewRegistry(), LogOutput: io.Discard})
	if err != nil {
		panic(err)
	}
	_ = node.Go(func(ctx context.Context) {
		fmt.Println("task started")
		<-ctx.Done()
		fmt.Println("task stopped")
	})
	if err := node.Start(); err != nil {
		panic(err)
	}
	_ = node.Shutdown(context.Background())
	fmt.Println("node stopped")
	// Output:
	// task started
	// task stopped
	// node stopped
}

// The lobby as a Node serves it at /lobby/: a guest lists the games,
// quick-joins one over HTTP and gets a seat, then presents the seat in a
// JoinRoom on /ws.
func ExampleNode_Lobby() {
	games := tick.NewRegistry()
	tick.RegisterIn(games, tick.GameInfo{Name: "counter", MaxPlayers: 4, TickHz: 10}, func() tick.Game[num, num] { return Counter{} })
	node, err := tickwire.NewNode(context.Background(), tickwire.Options{Addr: "127.0.0.1:0", Games: games, LogOutput: io.Discard})
	if err != nil {
		panic(err)
	}
	if err := node.Start(); err != nil {
		panic(err)
	}
	defer node.Shutdown(context.Background())

	call := func(method, path, token, body string, out any) {
		req, _ := http.NewRequest(method, node.URL()+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	var ann lobby.Guest
	call("POST", "/lobby/guest", "", `{"name":"ann"}`, &ann)
	var list struct {
		Games []struct {
			Name       string `json:"name"`
			MaxPlayers int    `json:"max_players"`
		} `json:"games"`
	}
	call("GET", "/lobby/games", ann.Token, "", &list)
	fmt.Printf("games: %+v\n", list.Games)
	var grant struct {
		RoomID string `json:"room_id"`
		Seat   string `json:"seat"`
	}
	call("POST", "/lobby/join", ann.Token, `{"game":"counter","quick":true}`, &grant)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws := strings.Replace(node.URL(), "http", "ws", 1) + "/ws"
	c, err := client.Dial(ctx, ws, client.Options{Header: http.Header{"Authorization": {"Bearer " + ann.Token}}})
	if err != nil {
		panic(err)
	}
	defer c.Close(context.Background())
	welcome, _ := c.Recv(ctx)
	fmt.Println("playing as ann:", welcome.GetWelcome().GetPlayerId() == ann.PlayerID)
	reply, err := c.Request(ctx, &protocol.Envelope{Msg: &tickwirev1.Envelope_JoinRoom{JoinRoom: &tickwirev1.JoinRoom{RoomId: grant.RoomID, Seat: grant.Seat}}})
	if err != nil {
		panic(err)
	}
	fmt.Println("seated in the granted room:", reply.GetJoined().GetRoomId() == grant.RoomID)
	// Output:
	// games: [{Name:counter MaxPlayers:4}]
	// playing as ann: true
	// seated in the granted room: true
}

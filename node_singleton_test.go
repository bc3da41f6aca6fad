package tickwire_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire"
	"github.com/tickwire/tickwire/client"
	"github.com/tickwire/tickwire/lobby"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/tick"
)

// broken is a game whose rooms cannot start, like a world whose snapshot
// is damaged.
type broken struct{ Counter }

var errBroken = errors.New("the world on disk is damaged")

func (broken) Init(*tick.Room[num]) error { return errBroken }

// TestNodeOpensSingletons: NewNode opens the room of each singleton game;
// one that fails is logged once, naming the game, and reported by
// Singleton while the node serves the rest; players reach the room by
// quick-join over /ws and over the lobby API, and by its code; no request
// makes a second room of it.
func TestNodeOpensSingletons(t *testing.T) {
	games := tick.NewRegistry()
	tick.RegisterIn(games, tick.GameInfo{Name: "world", TickHz: 10, Singleton: true, SingletonCode: "the-world"}, func() tick.Game[num, num] { return Counter{} })
	tick.RegisterIn(games, tick.GameInfo{Name: "ruin", TickHz: 10, Singleton: true}, func() tick.Game[num, num] { return broken{} })
	tick.RegisterIn(games, tick.GameInfo{Name: "counter", TickHz: 10}, func() tick.Game[num, num] { return Counter{} })
	logs := &strings.Builder{}
	lw := &lockedWriter{w: logs}
	node, err := tickwire.NewNode(context.Background(), tickwire.Options{Addr: "127.0.0.1:0", Games: games, LogFormat: "json", LogOutput: lw})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := node.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	world, err := node.Singleton("world")
	if err != nil || world == nil || world.Game() != "world" {
		t.Fatalf("Singleton(world) = %v, %v", world, err)
	}
	if _, err := node.Singleton("ruin"); !errors.Is(err, errBroken) {
		t.Errorf("Singleton(ruin) = %v, want its Init's error", err)
	}
	if _, err := node.Singleton("counter"); !errors.Is(err, tickwire.ErrNotSingleton) {
		t.Errorf("Singleton(counter) = %v, want ErrNotSingleton", err)
	}
	lw.mu.Lock()
	logged := logs.String()
	lw.mu.Unlock()
	if n := strings.Count(logged, "game ruin not started"); n != 1 || !strings.Contains(logged, errBroken.Error()) {
		t.Errorf("the failure is logged %d times, want once with its cause:\n%s", n, logged)
	}
	if err := node.Start(); err != nil {
		t.Fatal(err)
	}

	call := func(method, path, token, body string, out any) int {
		t.Helper()
		req, _ := http.NewRequest(method, node.URL()+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if out != nil && resp.StatusCode < 300 {
			if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
				t.Fatal(err)
			}
		}
		return resp.StatusCode
	}
	guest := func(name string) string {
		var g lobby.Guest
		if code := call("POST", "/lobby/guest", "", fmt.Sprintf(`{"name":%q}`, name), &g); code != 200 {
			t.Fatalf("POST /lobby/guest = %d", code)
		}
		return g.Token
	}
	var grant struct {
		RoomID string `json:"room_id"`
	}
	if code := call("POST", "/lobby/join", guest("ann"), `{"game":"world","quick":true}`, &grant); code != 200 || grant.RoomID != world.ID() {
		t.Errorf("quick-join: %d, room %q; want %s", code, grant.RoomID, world.ID())
	}
	grant.RoomID = ""
	if code := call("POST", "/lobby/join", guest("bob"), `{"join_code":"The-World"}`, &grant); code != 200 || grant.RoomID != world.ID() {
		t.Errorf("join by code: %d, room %q; want %s", code, grant.RoomID, world.ID())
	}
	if code := call("POST", "/lobby/rooms", guest("cat"), `{"game":"world"}`, nil); code != http.StatusBadRequest {
		t.Errorf("POST /lobby/rooms of the singleton = %d, want 400", code)
	}
	if code := call("POST", "/lobby/join", guest("dan"), `{"game":"ruin","quick":true}`, nil); code != http.StatusNotFound {
		t.Errorf("quick-join of the game that did not start = %d, want 404", code)
	}

	// /ws quick-join, as a page does.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, "ws"+strings.TrimPrefix(node.URL(), "http")+"/ws", client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if _, err := c.Recv(ctx); err != nil { // Welcome
		t.Fatal(err)
	}
	reply, err := c.Request(ctx, &protocol.Envelope{Msg: &tickwirev1.Envelope_JoinRoom{JoinRoom: &tickwirev1.JoinRoom{Game: "world"}}})
	if err != nil || reply.GetJoined().GetRoomId() != world.ID() {
		t.Fatalf("/ws quick-join: %v, %v; want room %s", reply, err, world.ID())
	}
	if n := len(node.Rooms().List("world")); n != 1 {
		t.Errorf("%d rooms of the singleton, want 1", n)
	}
	if n := node.Rooms().Len(); n != 1 {
		t.Errorf("%d rooms run, want the world only", n)
	}
}

package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tickwire/tickwire/client"
	"github.com/tickwire/tickwire/internal/wasmbuild"
	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/server/servertest"
)

// listedGame is a game of GET /lobby/games.
type listedGame struct {
	Name       string `json:"name"`
	MinPlayers int    `json:"min_players"`
	MaxPlayers int    `json:"max_players"`
	TickHz     int    `json:"tick_hz"`
}

// TestWasmDirFlag: with -wasm-dir holding the arena guest as arena.wasm,
// the demo starts at once, lists arena-wasm in /lobby/games once it has
// compiled, and a Go client plays a room of it over /ws.
func TestWasmDirFlag(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and compiles a WebAssembly guest")
	}
	dir := t.TempDir()
	if err := wasmbuild.Build(filepath.Join(dir, "arena.wasm"), wasmbuild.Arena, ""); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // the compilation cache, not the user's
	start := time.Now()
	srv := startDemo(t, "-wasm-dir", dir)
	t.Logf("the demo listened %v after start", time.Since(start))
	token := newGuest(t, srv, "wasm").Token
	servertest.CheckFor(t, 120*time.Second, 50*time.Millisecond, func() error {
		var out struct {
			Games []listedGame `json:"games"`
		}
		if code := api(t, srv, "GET", "/lobby/games", token, nil, &out); code != 200 {
			return fmt.Errorf("GET /lobby/games = %d", code)
		}
		if !slices.Contains(out.Games, listedGame{Name: "arena-wasm", MinPlayers: 1, MaxPlayers: 50, TickHz: 20}) {
			return fmt.Errorf("arena-wasm not listed yet: %+v", out.Games)
		}
		return nil
	})
	t.Logf("arena-wasm listed %v after start", time.Since(start))

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, "ws://"+srv.Addr()+"/ws", client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	welcome, err := c.Recv(ctx)
	if err != nil || welcome.GetWelcome() == nil {
		t.Fatalf("welcome: %v %v", welcome, err)
	}
	me := welcome.GetWelcome().PlayerId
	reply, err := c.Request(ctx, &protocol.Envelope{Msg: &tickwirev1.Envelope_JoinRoom{JoinRoom: &tickwirev1.JoinRoom{Game: "arena-wasm"}}})
	if err != nil || reply.GetJoined().GetStateType() != "tickwire.arena.v1.State" {
		t.Fatalf("join arena-wasm: %v %v", reply, err)
	}
	replica := client.NewReplica[*arenav1.State](reply.GetJoined().RoomId)
	for replica.State.GetPlayers()[me] == nil || replica.State.GetWidth() != 800 {
		env, err := c.Recv(ctx)
		if err != nil {
			t.Fatalf("no state with the player in it: %v (state %v)", err, replica.State)
		}
		if st := env.GetState(); st != nil {
			if _, err := replica.Apply(st); err != nil {
				t.Fatal(err)
			}
		}
	}
}

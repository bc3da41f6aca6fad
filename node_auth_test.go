package tickwire_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire"
	"github.com/tickwire/tickwire/client"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/tick"
)

// startNode starts a Node for opts on 127.0.0.1:0, shut down when the
// test ends.
func startNode(t *testing.T, opts tickwire.Options) *tickwire.Node {
	t.Helper()
	opts.Addr, opts.LogOutput, opts.Games = "127.0.0.1:0", io.Discard, tick.NewRegistry()
	node, err := tickwire.NewNode(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := node.Start(); err != nil {
		_ = node.Shutdown(context.Background())
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := node.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return node
}

// welcome opens /ws?token= on node and returns the player its Welcome
// names, or the dial's error.
func welcome(t *testing.T, node *tickwire.Node, token string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(node.URL(), "http") + "/ws?token=" + token
	c, err := client.Dial(ctx, url, client.Options{})
	if err != nil {
		return "", err
	}
	defer c.Close(context.Background())
	env, err := c.Recv(ctx)
	if err != nil {
		return "", err
	}
	if env.GetWelcome() == nil {
		t.Fatalf("first message %v, want a Welcome", env)
	}
	return env.GetWelcome().PlayerId, nil
}

// guestToken asks node's lobby for a guest over HTTP.
func guestToken(t *testing.T, node *tickwire.Node) (player, token string) {
	t.Helper()
	resp, err := http.Post(node.URL()+"/lobby/guest", "application/json", strings.NewReader(`{"name":"ann"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var g struct {
		PlayerID string `json:"player_id"`
		Token    string `json:"token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&g); err != nil || resp.StatusCode != 200 || g.Token == "" {
		t.Fatalf("POST /lobby/guest: %d %+v %v", resp.StatusCode, g, err)
	}
	return g.PlayerID, g.Token
}

// TestNodeAuthDefault: the composition root chooses the server's
// identities. Without Server.Authenticate a lobby token opens /ws as its
// player; with one, that function alone decides on /ws (a lobby token it
// does not know is refused), while the lobby's HTTP API keeps its own.
func TestNodeAuthDefault(t *testing.T) {
	plain := startNode(t, tickwire.Options{})
	player, token := guestToken(t, plain)
	if got, err := welcome(t, plain, token); err != nil || got != player {
		t.Fatalf("lobby token on /ws: player %q, %v; want %q", got, err, player)
	}

	custom := startNode(t, tickwire.Options{Server: server.Options{Authenticate: func(tok string) (string, error) {
		if tok == "let-me-in" {
			return "p-custom", nil
		}
		return "", errors.New("unknown token")
	}}})
	if got, err := welcome(t, custom, "let-me-in"); err != nil || got != "p-custom" {
		t.Fatalf("custom token on /ws: player %q, %v; want p-custom", got, err)
	}
	_, token = guestToken(t, custom) // the lobby's HTTP API still issues guests
	if got, err := welcome(t, custom, token); err == nil {
		t.Fatalf("a lobby token the custom Authenticate does not know opened /ws as %q", got)
	}
}

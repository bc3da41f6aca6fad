package tickwire_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire"
	"github.com/tickwire/tickwire/client"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/tick"
)

// With AdminAddr every admin route is on the admin listener only: the
// public port keeps /healthz, /metrics and /debug/ticks are 404 there and
// 200 (with the token) on the admin listener; the admin drain ends Run.
func TestNodeAdminListener(t *testing.T) {
	const token = "node-admin-token-0123456789"
	if _, err := tickwire.NewNode(context.Background(), tickwire.Options{AdminAddr: "127.0.0.1:0", LogOutput: io.Discard}); err == nil || !strings.Contains(err.Error(), "AdminToken") {
		t.Errorf("AdminAddr without a token: %v", err)
	}
	node, err := tickwire.NewNode(context.Background(), tickwire.Options{Addr: "127.0.0.1:0", AdminAddr: ":0", AdminToken: token, Games: tick.NewRegistry(), LogOutput: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- node.Run(context.Background()) }()
	servertest.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if node.AdminURL() == "" || strings.HasSuffix(node.Addr(), ":0") {
			return io.ErrNoProgress
		}
		return nil
	})
	if !strings.HasPrefix(node.AdminURL(), "http://127.0.0.1:") {
		t.Errorf("AdminURL = %s, want loopback", node.AdminURL())
	}
	get := func(url, tok string) int {
		req, _ := http.NewRequest("GET", url, nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for path, want := range map[string]int{"/healthz": 200, "/metrics": 404, "/debug/ticks": 404, "/monitor": 404} {
		if got := get(node.URL()+path, token); got != want {
			t.Errorf("public %s = %d, want %d", path, got, want)
		}
	}
	for path, want := range map[string]int{"/metrics": 200, "/debug/ticks?window=5s": 200, "/admin/api/rooms": 200, "/monitor": 200, "/debug/pprof/": 200} {
		if got := get(node.AdminURL()+path, token); got != want {
			t.Errorf("admin %s = %d, want %d", path, got, want)
		}
		if got := get(node.AdminURL()+path, ""); got != 401 {
			t.Errorf("admin %s without the token = %d, want 401", path, got)
		}
	}
	// The session list names an open /ws session's player.
	conn, err := client.Dial(context.Background(), "ws://"+node.Addr()+"/ws", client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	welcome, err := conn.Recv(context.Background())
	if err != nil || welcome.GetWelcome() == nil {
		t.Fatalf("welcome: %v, %v", welcome, err)
	}
	player := welcome.GetWelcome().GetPlayerId()
	sreq, _ := http.NewRequest("GET", node.AdminURL()+"/admin/api/sessions", nil)
	sreq.Header.Set("Authorization", "Bearer "+token)
	sresp, err := http.DefaultClient.Do(sreq)
	if err != nil {
		t.Fatal(err)
	}
	var sessions struct {
		List []struct {
			Player, Endpoint string
		} `json:"list"`
	}
	err = json.NewDecoder(sresp.Body).Decode(&sessions)
	sresp.Body.Close()
	if err != nil || len(sessions.List) != 1 || sessions.List[0].Player != player || sessions.List[0].Endpoint != "ws" {
		t.Errorf("sessions = %+v, %v; want one ws session of %s", sessions, err, player)
	}

	req, _ := http.NewRequest("POST", node.AdminURL()+"/admin/api/drain", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("drain = %v, %v", resp, err)
	}
	resp.Body.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("drain did not end Run")
	}
}

// Without AdminAddr the public port keeps /metrics and /debug/ticks.
func TestNodeWithoutAdmin(t *testing.T) {
	node, err := tickwire.NewNode(context.Background(), tickwire.Options{Addr: "127.0.0.1:0", Games: tick.NewRegistry(), LogOutput: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if err := node.Start(); err != nil {
		t.Fatal(err)
	}
	defer node.Shutdown(context.Background())
	for _, path := range []string{"/metrics", "/debug/ticks"} {
		resp, err := http.Get(node.URL() + path)
		if err != nil || resp.StatusCode != 200 {
			t.Errorf("public %s = %v, %v", path, resp.StatusCode, err)
		}
		resp.Body.Close()
	}
	if node.AdminURL() != "" {
		t.Errorf("AdminURL = %q without AdminAddr", node.AdminURL())
	}
}

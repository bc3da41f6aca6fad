package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/examples/crossword"
	"github.com/tickwire/tickwire/server"
)

// runDemoUntil runs the demo with args until stop is closed and returns
// its server (once listening), its logs and its exit error channel.
func runDemoUntil(t *testing.T, ctx context.Context, args ...string) (*server.Server, *syncBuffer, <-chan error) {
	t.Helper()
	ready := make(chan *server.Server, 1)
	done := make(chan error, 1)
	logs := &syncBuffer{}
	go func() {
		done <- run(ctx, append([]string{"-addr", "127.0.0.1:0", "-log-format", "json"}, args...), logs, ready)
	}()
	select {
	case srv := <-ready:
		return srv, logs, done
	case err := <-done:
		t.Fatalf("demo exited: %v\n%s", err, logs)
	case <-time.After(20 * time.Second):
		t.Fatal("demo did not start")
	}
	return nil, nil, nil
}

func crosswordRooms(t *testing.T, srv *server.Server) int {
	t.Helper()
	var out struct {
		Rooms []struct{ ID string } `json:"rooms"`
	}
	if code := api(t, srv, "GET", "/lobby/rooms?game=crossword", newGuest(t, srv, "reader").Token, nil, &out); code != 200 {
		t.Fatalf("GET /lobby/rooms = %d", code)
	}
	return len(out.Rooms)
}

// TestCrosswordWorldAndDamagedSnapshot runs the demo on a data directory:
// the world is listed and its page served; then a damaged snapshot stops
// the crossword, with a clear log line, but not the demo, and the file is
// left alone.
func TestCrosswordWorldAndDamagedSnapshot(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, crossword.SnapshotFile)

	ctx, cancel := context.WithCancel(context.Background())
	srv, logs, done := runDemoUntil(t, ctx, "-data-dir", dir)
	if n := crosswordRooms(t, srv); n != 1 {
		t.Errorf("%d crossword rooms listed, want the one world", n)
	}
	if code, body := httpGet(t, "http://"+srv.Addr()+crossword.Path); code != 200 || !strings.Contains(body, "<canvas") {
		t.Errorf("GET %s = %d", crossword.Path, code)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v\n%s", err, logs)
	}
	// (A world nobody played in is not written; the crossword package's
	// tests cover a played world surviving a restart.)

	damaged := []byte("TWCW\x00 this is not a crossword snapshot")
	if err := os.WriteFile(snap, damaged, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	srv, logs, done = runDemoUntil(t, ctx, "-data-dir", dir)
	if code, _ := httpGet(t, "http://"+srv.Addr()+"/healthz"); code != 200 {
		t.Errorf("the demo does not serve with a damaged world: /healthz %d", code)
	}
	if n := crosswordRooms(t, srv); n != 0 {
		t.Errorf("a damaged world was opened: %d rooms", n)
	}
	if l := logs.String(); !strings.Contains(l, "crossword not started") || !strings.Contains(l, crossword.SnapshotFile) {
		t.Errorf("the log does not say the crossword was not started and why:\n%s", l)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v\n%s", err, logs)
	}
	if after, _ := os.ReadFile(snap); string(after) != string(damaged) {
		t.Errorf("the damaged snapshot was replaced")
	}
}

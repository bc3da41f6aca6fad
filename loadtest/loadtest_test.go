package loadtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire"
	"github.com/tickwire/tickwire/examples/arena"
	"github.com/tickwire/tickwire/loadtest"
	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/server/servertest"
)

func TestMain(m *testing.M) { servertest.VerifyTestMain(m) }

// startNode serves the arena on a free loopback port until the test ends
// and returns its /ws URL.
func startNode(t *testing.T) string {
	t.Helper()
	node, err := tickwire.NewNode(context.Background(), tickwire.Options{Addr: "127.0.0.1:0", LogOutput: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if err := node.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := node.Shutdown(context.Background()); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return strings.Replace(node.URL(), "http", "ws", 1) + "/ws"
}

// TestRunArena runs six bots against a real node for 2 s: two rooms
// (the bots' own Join: the first two create, the others join them), every
// input acknowledged, the replicas fed, and the JSON report carries the
// bench's contract keys with what a remote run can measure.
func TestRunArena(t *testing.T) {
	url := startNode(t)
	dir := t.TempDir()
	// Room r's id, set by its creator (bot r) before it closes created[r].
	var roomIDs [2]string
	created := [2]chan struct{}{make(chan struct{}), make(chan struct{})}
	var frames atomic.Int64
	bot := loadtest.Bot[*arenav1.State]{
		Join: func(ctx context.Context, p *loadtest.Player) error {
			r := p.Index % 2
			if p.Index < 2 {
				defer close(created[r])
				j, err := p.JoinRoom(ctx, &tickwirev1.JoinRoom{Game: arena.Name, Create: true})
				if err == nil {
					roomIDs[r] = j.RoomId
				}
				return err
			}
			select {
			case <-created[r]:
			case <-ctx.Done():
				return ctx.Err()
			}
			_, err := p.JoinRoom(ctx, &tickwirev1.JoinRoom{RoomId: roomIDs[r]})
			return err
		},
		Input: func(p *loadtest.Player, seq uint64, _ *arenav1.State) proto.Message {
			return &arenav1.Input{Dx: 1, Dy: float32(seq%3) - 1}
		},
		Frame: func(p *loadtest.Player, state *arenav1.State, _ uint64) {
			if state.GetPlayers()[p.ID()] != nil {
				frames.Add(1)
			}
		},
	}
	var progress bytes.Buffer
	rep, err := loadtest.Run(context.Background(), loadtest.Config{
		URL: url, Name: "arena-bots", Clients: 6, Duration: 2 * time.Second, Warmup: 500 * time.Millisecond,
		Progress: &progress, JSON: filepath.Join(dir, "report.json"), Plot: filepath.Join(dir, "latency.png"),
	}, bot)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed != 0 || rep.Connected != 6 || rep.Rooms != 2 || rep.TickHz != arena.TickHz {
		t.Errorf("failed %d (%v), connected %d, rooms %d, tick_hz %d", rep.Failed, rep.Failures, rep.Connected, rep.Rooms, rep.TickHz)
	}
	// 6 bots × 20 inputs/s × 2 s, give or take the window's edges.
	if rep.InputsSent < 200 || rep.InputsAcked != rep.InputsSent || rep.InputsLost != 0 {
		t.Errorf("inputs sent %d, acked %d, lost %d", rep.InputsSent, rep.InputsAcked, rep.InputsLost)
	}
	if l := rep.LatencyMs; l.Count != int64(rep.InputsAcked) || l.P99 <= 0 || l.P50 > l.P99 || l.P99 > l.Max {
		t.Errorf("latency_ms = %+v for %d inputs acknowledged", l, rep.InputsAcked)
	}
	if rep.Snapshots < 6 || rep.Deltas == 0 || rep.ReplicaErrors != 0 || frames.Load() == 0 {
		t.Errorf("replicas: %d snapshots, %d deltas, %d errors; %d frames showed the bot", rep.Snapshots, rep.Deltas, rep.ReplicaErrors, frames.Load())
	}

	var got map[string]any
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"clients", "rooms", "tick_hz", "latency_ms", "tick_ms", "jitter_ms", "server_cpu_pct", "server_rss_mb", "bytes_per_client_s", "failed"} {
		if v, ok := got[k]; !ok || v == nil {
			t.Errorf("report.json: %s = %v (present %v); notes %q", k, v, ok, rep.Notes)
		}
	}
	lat, _ := got["latency_ms"].(map[string]any)
	for _, k := range []string{"p50", "p90", "p99", "p999", "max"} {
		if v, ok := lat[k].(float64); !ok || v <= 0 {
			t.Errorf("report.json: latency_ms.%s = %v", k, lat[k])
		}
	}
	if v, _ := got["bytes_per_client_s"].(float64); v <= 0 {
		t.Errorf("bytes_per_client_s = %v", v)
	}
	if !strings.Contains(progress.String(), "loadtest ") || !strings.Contains(progress.String(), " measure ") ||
		!strings.Contains(progress.String(), "input-to-state p50") {
		t.Errorf("progress lines:\n%s", progress.String())
	}
	png, err := os.ReadFile(filepath.Join(dir, "latency.png"))
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("latency.png: %d bytes, %v", len(png), err)
	}
}

// A game the server does not have: every bot fails to join, and Run says
// so with ErrNoClient and the reason.
func TestRunNoClient(t *testing.T) {
	url := startNode(t)
	_, err := loadtest.Run(context.Background(), loadtest.Config{URL: url, Clients: 2, Duration: time.Second}, loadtest.Bot[*arenav1.State]{
		Game:  "no-such-game",
		Input: func(*loadtest.Player, uint64, *arenav1.State) proto.Message { return nil },
	})
	if !errors.Is(err, loadtest.ErrNoClient) || !strings.Contains(err.Error(), "join") {
		t.Errorf("Run with an unknown game: %v", err)
	}
}

func TestConfigRefused(t *testing.T) {
	input := func(*loadtest.Player, uint64, *arenav1.State) proto.Message { return nil }
	for name, tc := range map[string]struct {
		cfg loadtest.Config
		bot loadtest.Bot[*arenav1.State]
	}{
		"http URL":   {loadtest.Config{URL: "http://127.0.0.1:1/ws"}, loadtest.Bot[*arenav1.State]{Game: "arena", Input: input}},
		"no input":   {loadtest.Config{URL: "ws://127.0.0.1:1/ws"}, loadtest.Bot[*arenav1.State]{Game: "arena"}},
		"no game":    {loadtest.Config{URL: "ws://127.0.0.1:1/ws"}, loadtest.Bot[*arenav1.State]{Input: input}},
		"negative":   {loadtest.Config{URL: "ws://127.0.0.1:1/ws", Clients: -1}, loadtest.Bot[*arenav1.State]{Game: "arena", Input: input}},
		"plot .jpeg": {loadtest.Config{URL: "ws://127.0.0.1:1/ws", Plot: "x.jpeg"}, loadtest.Bot[*arenav1.State]{Game: "arena", Input: input}},
	} {
		if _, err := loadtest.Run(context.Background(), tc.cfg, tc.bot); !errors.Is(err, loadtest.ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/server/servertest"
)

// TestMain doubles as the bench's server role: -server bench re-executes
// the running binary, which under go test is the test binary.
func TestMain(m *testing.M) {
	if os.Getenv(roleEnv) == roleServer {
		ctx, stop := signalContext()
		defer stop()
		os.Exit(serveMain(ctx, os.Args[1:], os.Stderr))
	}
	servertest.VerifyTestMain(m)
}

// runBench runs the bench's command with args plus -json and -quiet and
// returns the JSON as a generic map, as an outside check would read it.
func runBench(t *testing.T, args ...string) (map[string]any, string) {
	t.Helper()
	dir := t.TempDir()
	jsonPath := filepath.Join(dir, "out.json")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	args = append(args, "-json", jsonPath, "-quiet")
	if err := benchMain(ctx, args, &stdout, &stderr); err != nil {
		t.Fatalf("bench %v: %v\nstderr:\n%s", args, err, stderr.String())
	}
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("JSON: %v\n%s", err, b)
	}
	return out, stdout.String()
}

// num reads a number at a dotted path of the report, failing if it is
// missing or not a number.
func num(t *testing.T, m map[string]any, path string) float64 {
	t.Helper()
	var v any = m
	for _, k := range strings.Split(path, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s: %v is not an object", path, v)
		}
		if v, ok = obj[k]; !ok {
			t.Fatalf("report has no %s", path)
		}
	}
	f, ok := v.(float64)
	if !ok {
		t.Fatalf("%s = %v (%T), want a number", path, v, v)
	}
	return f
}

// contractKeys are the JSON keys of the bench JSON contract (docs/contracts.md).
var contractKeys = []string{
	"clients", "rooms", "tick_hz",
	"latency_ms.p50", "latency_ms.p90", "latency_ms.p99", "latency_ms.p999", "latency_ms.max",
	"tick_ms.p50", "tick_ms.p99", "jitter_ms.p99",
	"server_cpu_pct", "server_rss_mb", "bytes_per_client_s", "failed",
}

// TestArenaRun runs the arena for real against the demo in a child
// process: 20 clients in 2 rooms for 2 s. Every contract key is there with
// a sane value; no performance threshold.
func TestArenaRun(t *testing.T) {
	t.Parallel()
	plot := filepath.Join(t.TempDir(), "plot.svg")
	rep, summary := runBench(t, "-scenario", "arena", "-clients", "20", "-rooms", "2", "-hz", "20",
		"-duration", "2s", "-warmup", "500ms", "-grace", "1s", "-plot", plot)
	for _, k := range contractKeys {
		num(t, rep, k)
	}
	for k, want := range map[string]float64{"clients": 20, "rooms": 2, "tick_hz": 20, "failed": 0, "inputs_lost": 0, "connected": 20} {
		if got := num(t, rep, k); got != want {
			t.Errorf("%s = %v, want %v", k, got, want)
		}
	}
	period := 50.0
	prev := 0.0
	for _, q := range []string{"p50", "p90", "p99", "p999", "max"} {
		v := num(t, rep, "latency_ms."+q)
		if v < prev || v <= 0 || v > 20*period {
			t.Errorf("latency_ms.%s = %v: want increasing percentiles in (0, %v]", q, v, 20*period)
		}
		prev = v
	}
	// 20 clients × 20 inputs/s × 2 s, give or take the edges.
	if sent := num(t, rep, "inputs_sent"); sent < 760 || sent > 820 {
		t.Errorf("inputs_sent = %v, want about 800", sent)
	}
	if n := num(t, rep, "latency_ms.count"); n != num(t, rep, "inputs_acked") {
		t.Errorf("latency count %v != inputs_acked %v", n, num(t, rep, "inputs_acked"))
	}
	if v := num(t, rep, "tick_ms.p50"); v < 0 || v > period {
		t.Errorf("tick_ms.p50 = %v", v)
	}
	if v := num(t, rep, "jitter_ms.p99"); v < 0 || v > period {
		t.Errorf("jitter_ms.p99 = %v", v)
	}
	if v := num(t, rep, "server_cpu_pct"); v < 0 || v > 100*float64(runtime.NumCPU())+10 {
		t.Errorf("server_cpu_pct = %v", v)
	}
	if v := num(t, rep, "server_rss_mb"); v < 1 || v > 4096 {
		t.Errorf("server_rss_mb = %v", v)
	}
	// A frame per tick of two players' state, and 20 inputs a second.
	if v := num(t, rep, "bytes_per_client_s"); v < 500 || v > 1e6 {
		t.Errorf("bytes_per_client_s = %v", v)
	}
	if v := num(t, rep, "frames_per_client_s"); v < 15 || v > 25 {
		t.Errorf("frames_per_client_s = %v, want about 20", v)
	}
	if v := num(t, rep, "rtt_ms.count"); v < 20 {
		t.Errorf("rtt_ms.count = %v, want a ping per client per second", v)
	}
	if s, _ := rep["server"].(map[string]any); s["kind"] != kindDemo {
		t.Errorf("server = %v", rep["server"])
	}
	if !strings.Contains(summary, "input-to-state (CO-corrected)") {
		t.Errorf("summary:\n%s", summary)
	}
	if b, err := os.ReadFile(plot); err != nil || !bytes.Contains(b, []byte("<svg")) || !bytes.Contains(b, []byte("Input-to-state")) {
		t.Errorf("plot: %v", err)
	}
}

// TestBenchServerAt60Hz runs the bench's own server role with rooms at
// 60 Hz (-server bench), the rate the demo cannot create yet.
func TestBenchServerAt60Hz(t *testing.T) {
	t.Parallel()
	rep, _ := runBench(t, "-server", "bench", "-hz", "60", "-clients", "10", "-rooms", "1",
		"-duration", "1s", "-warmup", "300ms", "-input-hz", "60")
	if hz := num(t, rep, "tick_hz"); hz != 60 {
		t.Errorf("tick_hz = %v, want 60", hz)
	}
	if f := num(t, rep, "failed"); f != 0 {
		t.Errorf("failed = %v: %v", f, rep["failures"])
	}
	if v := num(t, rep, "latency_ms.p50"); v <= 0 || v > 1000.0/60*20 {
		t.Errorf("latency_ms.p50 = %v", v)
	}
}

// TestIdleAndExternalServer starts a bench server, loads it with idle
// clients through -addr (finding its pid from its port), then shows that
// an -hz the server does not run fails with a clear error.
func TestIdleAndExternalServer(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cfg, err := parseFlags([]string{"-server", "bench", "-hz", "30", "-quiet"}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := startServer(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := srv.stop(); err != nil {
			t.Error(err)
		}
	}()
	addr := strings.TrimSuffix(strings.TrimPrefix(srv.httpBase, "http://"), "/")

	rep, _ := runBench(t, "-addr", addr, "-scenario", "idle", "-clients", "50", "-duration", "1s", "-warmup", "0s")
	if f := num(t, rep, "failed"); f != 0 {
		t.Errorf("idle: failed = %v: %v", f, rep["failures"])
	}
	if s, _ := rep["server"].(map[string]any); s["kind"] != kindExternal || s["pid"] == nil {
		t.Errorf("server = %v, want external with the pid found from the port", rep["server"])
	}
	if v := num(t, rep, "server_rss_per_conn_kb"); v <= 0 {
		t.Errorf("server_rss_per_conn_kb = %v", v)
	}

	var stderr bytes.Buffer
	err = benchMain(ctx, []string{"-addr", addr, "-clients", "4", "-rooms", "2", "-hz", "20", "-duration", "1s", "-quiet"}, &stderr, &stderr)
	if !errors.Is(err, errHzMismatch) || !strings.Contains(err.Error(), "the server's rooms tick at 30 Hz but -hz is 20") {
		t.Errorf("-hz 20 against 30 Hz rooms: %v", err)
	}
}

// TestFloorRun runs the floor scenario for real against the bench's bare
// server in a child process: 20 clients in 2 groups for 2 s, with the
// arena's message sizes. The report has the same keys as the arena's.
func TestFloorRun(t *testing.T) {
	t.Parallel()
	rep, summary := runBench(t, "-scenario", "floor", "-clients", "20", "-rooms", "2", "-hz", "20",
		"-duration", "2s", "-warmup", "500ms", "-grace", "1s")
	for _, k := range append(contractKeys, "server_cpu_us_per_client_s", "rtt_ms.p50", "inputs_sent") {
		num(t, rep, k)
	}
	for k, want := range map[string]float64{"clients": 20, "rooms": 2, "tick_hz": 20, "failed": 0, "inputs_lost": 0, "connected": 20} {
		if got := num(t, rep, k); got != want {
			t.Errorf("%s = %v, want %v", k, got, want)
		}
	}
	if s, _ := rep["server"].(map[string]any); s["kind"] != kindFloor {
		t.Errorf("server = %v, want the floor's bare server", rep["server"])
	}
	wantIn, wantFrame := estimateArenaSizes(10)
	if got := num(t, rep, "input_msg_bytes"); got != float64(wantIn) {
		t.Errorf("input_msg_bytes = %v, want the arena input's %d", got, wantIn)
	}
	if got := num(t, rep, "state_msg_bytes"); got != float64(wantFrame) {
		t.Errorf("state_msg_bytes = %v, want the arena frame's %d", got, wantFrame)
	}
	checkSaneLoad(t, rep)
	if !strings.Contains(summary, "floor: 20 clients, 2 rooms") {
		t.Errorf("summary:\n%s", summary)
	}
}

// TestArenaWithFloor runs the arena and then, in the same invocation, the
// floor at its rates and measured message sizes (-floor): the report
// carries the floor's report and the ratio of server CPU per player.
func TestArenaWithFloor(t *testing.T) {
	t.Parallel()
	rep, summary := runBench(t, "-scenario", "arena", "-clients", "20", "-rooms", "2",
		"-duration", "2s", "-warmup", "500ms", "-grace", "1s", "-floor")
	floor, ok := rep["floor"].(map[string]any)
	if !ok {
		t.Fatalf("no floor report: %v", rep["floor"])
	}
	for _, k := range contractKeys {
		num(t, floor, k)
	}
	if s, _ := floor["server"].(map[string]any); s["kind"] != kindFloor {
		t.Errorf("floor.server = %v", floor["server"])
	}
	checkSaneLoad(t, floor)
	if f := num(t, floor, "failed"); f != 0 {
		t.Errorf("floor: failed = %v: %v", f, floor["failures"])
	}
	// The floor copies the arena's mean message sizes.
	for _, k := range []string{"input_msg_bytes", "state_msg_bytes"} {
		if a, f := num(t, rep, k), num(t, floor, k); f < a-1 || f > a+1 {
			t.Errorf("%s: arena %v, floor %v", k, a, f)
		}
	}
	a, f := num(t, rep, "server_cpu_us_per_client_s"), num(t, floor, "server_cpu_us_per_client_s")
	if r := num(t, rep, "server_cpu_vs_floor"); f <= 0 || r <= 0 || r < a/f-0.01 || r > a/f+0.01 {
		t.Errorf("server_cpu_vs_floor = %v, arena %v, floor %v µs/s", r, a, f)
	}
	if !strings.Contains(summary, "× the floor (target ≤ 1.2×)") || !strings.Contains(summary, "arena/floor") {
		t.Errorf("summary:\n%s", summary)
	}
}

// checkSaneLoad checks what every input-sending run of 20 clients at
// 20 Hz for 2 s must show, whatever the machine's speed.
func checkSaneLoad(t *testing.T, rep map[string]any) {
	t.Helper()
	prev := 0.0
	for _, q := range []string{"p50", "p90", "p99", "p999", "max"} {
		v := num(t, rep, "latency_ms."+q)
		if v < prev || v <= 0 || v > 1000 {
			t.Errorf("latency_ms.%s = %v: want increasing percentiles in (0, 1000]", q, v)
		}
		prev = v
	}
	if sent := num(t, rep, "inputs_sent"); sent < 760 || sent > 820 {
		t.Errorf("inputs_sent = %v, want about 800", sent)
	}
	if v := num(t, rep, "frames_per_client_s"); v < 15 || v > 25 {
		t.Errorf("frames_per_client_s = %v, want about 20", v)
	}
	if v := num(t, rep, "rtt_ms.count"); v < 20 {
		t.Errorf("rtt_ms.count = %v, want a ping per client per second", v)
	}
	if v := num(t, rep, "tick_ms.p50"); v < 0 || v > 50 {
		t.Errorf("tick_ms.p50 = %v", v)
	}
	if v := num(t, rep, "server_cpu_us_per_client_s"); v <= 0 {
		t.Errorf("server_cpu_us_per_client_s = %v", v)
	}
	if v := num(t, rep, "server_rss_mb"); v < 1 || v > 4096 {
		t.Errorf("server_rss_mb = %v", v)
	}
}

// TestCrosswordRun runs the crossword scenario for real against the demo
// in a child process (its world in a temporary -data-dir): 20 bots in the
// one world, panning and playing, for 3 s. Every contract key is there,
// some plays are accepted, and the inbound byte count agrees with the
// server's own count of what it wrote, topic frames and all
// (TestEnvelopeWireSize checks it to the byte).
func TestCrosswordRun(t *testing.T) {
	t.Parallel()
	rep, summary := runBench(t, "-scenario", "crossword", "-clients", "20", "-input-hz", "2", "-play-share", "0.5",
		"-duration", "3s", "-warmup", "2s", "-grace", "1s")
	for _, k := range append(contractKeys, "server_cpu_us_per_client_s", "server_bytes_out_per_client_s",
		"crossword.pans", "crossword.plays", "crossword.plays_accepted", "crossword.plays_refused",
		"crossword.swaps", "crossword.play_latency_ms.p99", "crossword.finder_ms.p99", "crossword.board_tiles") {
		num(t, rep, k)
	}
	for k, want := range map[string]float64{"clients": 20, "rooms": 1, "tick_hz": 10, "failed": 0, "inputs_lost": 0,
		"connected": 20, "server_rooms": 1, "crossword.replica_errors": 0, "crossword.world_players": 20} {
		if got := num(t, rep, k); got != want {
			t.Errorf("%s = %v, want %v", k, got, want)
		}
	}
	prev := 0.0
	for _, q := range []string{"p50", "p90", "p99", "p999", "max"} {
		v := num(t, rep, "latency_ms."+q)
		if v < prev || v <= 0 || v > 2000 {
			t.Errorf("latency_ms.%s = %v: want increasing percentiles in (0, 2000]", q, v)
		}
		prev = v
	}
	// 20 bots × 2 inputs/s × 3 s, give or take the edges; each a pan, a
	// play or a swap.
	sent := num(t, rep, "inputs_sent")
	if sent < 110 || sent > 130 {
		t.Errorf("inputs_sent = %v, want about 120", sent)
	}
	if n := num(t, rep, "crossword.pans") + num(t, rep, "crossword.plays") + num(t, rep, "crossword.swaps"); n != sent {
		t.Errorf("pans + plays + swaps = %v, inputs_sent %v", n, sent)
	}
	if n := num(t, rep, "crossword.plays_accepted"); n < 1 {
		t.Errorf("no play accepted: %v", rep["crossword"])
	}
	if a, r, p := num(t, rep, "crossword.plays_accepted"), num(t, rep, "crossword.plays_refused"), num(t, rep, "crossword.plays"); a+r != p {
		t.Errorf("plays: %v accepted + %v refused != %v sent", a, r, p)
	}
	if v := num(t, rep, "crossword.board_tiles"); v < 2 {
		t.Errorf("board_tiles = %v", v)
	}
	// Overview, leaderboard, own state and the non-empty chunks in view.
	if v := num(t, rep, "crossword.topics_per_bot"); v < 3 || v > 100 {
		t.Errorf("topics_per_bot = %v", v)
	}
	// The two counts are read a few milliseconds apart at each edge of the
	// window, and frames come in bursts at every tick: a tick's worth of
	// difference is 3% of 3 s.
	if in, srv := num(t, rep, "bytes_in_per_client_s"), num(t, rep, "server_bytes_out_per_client_s"); in <= 0 || in < srv*0.9 || in > srv*1.1 {
		t.Errorf("bytes_in_per_client_s %v, the server wrote %v per client per second", in, srv)
	}
	// Every input's seq comes back in a frame (frames only go out when
	// something changed: an empty board sends nothing on a pan).
	if v, hz := num(t, rep, "frames_per_client_s"), num(t, rep, "input_hz"); v < hz*0.9 {
		t.Errorf("frames_per_client_s = %v, want at least one frame per input (%v/s)", v, hz)
	}
	if v := num(t, rep, "tick_ms.p50"); v < 0 || v > 100 {
		t.Errorf("tick_ms.p50 = %v", v)
	}
	if !strings.Contains(summary, "crossword ") || !strings.Contains(summary, "accepted") {
		t.Errorf("summary:\n%s", summary)
	}
}

// TestCrosswordBenchServer runs the crossword against the bench's own
// server role (-server bench -crossword), the one that can write a server
// CPU profile.
func TestCrosswordBenchServer(t *testing.T) {
	t.Parallel()
	rep, _ := runBench(t, "-scenario", "crossword", "-server", "bench", "-clients", "5",
		"-duration", "1s", "-warmup", "1s")
	for k, want := range map[string]float64{"tick_hz": 10, "failed": 0, "connected": 5, "server_rooms": 1} {
		if got := num(t, rep, k); got != want {
			t.Errorf("%s = %v, want %v", k, got, want)
		}
	}
	if s, _ := rep["server"].(map[string]any); s["kind"] != kindBench {
		t.Errorf("server = %v", rep["server"])
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pinArgs are -server-cpus and -bench-cpus for two disjoint CPUs of this
// process, or nothing on a one-CPU machine.
func pinArgs() []string {
	if cpus := allowedCPUs(); len(cpus) >= 2 {
		return []string{"-server-cpus", cpus[:1].String(), "-bench-cpus", cpus[1:2].String()}
	}
	return nil
}

// TestArenaVerifyPinned runs the arena with -verify (full clients that
// apply every frame to a replica) and, where there are two CPUs, with the
// server and the bench pinned apart. Not parallel: -bench-cpus pins this
// whole test binary for the run (and puts it back).
func TestArenaVerifyPinned(t *testing.T) {
	pin := pinArgs()
	args := append([]string{"-scenario", "arena", "-clients", "20", "-rooms", "2",
		"-duration", "2s", "-warmup", "500ms", "-grace", "1s", "-verify"}, pin...)
	rep, summary := runBench(t, args...)
	checkSaneLoad(t, rep)
	if rep["client_mode"] != clientVerify {
		t.Errorf("client_mode = %v, want %s", rep["client_mode"], clientVerify)
	}
	if n := num(t, rep, "verify.frames"); n < 20*20*2 {
		t.Errorf("verify.frames = %v, want every frame of the run", n)
	}
	if num(t, rep, "verify.snapshots") < 20 || num(t, rep, "verify.deltas") < 20*20 {
		t.Errorf("verify = %v", rep["verify"])
	}
	for _, k := range []string{"verify.replica_errors", "verify.other_room", "verify.tick_regressions", "failed", "inputs_lost"} {
		if v := num(t, rep, k); v != 0 {
			t.Errorf("%s = %v", k, v)
		}
	}
	if v := num(t, rep, "players_per_server_core"); v <= 0 {
		t.Errorf("players_per_server_core = %v", v)
	}
	if pin != nil {
		if rep["server_cpus"] != pin[1] || rep["bench_cpus"] != pin[3] {
			t.Errorf("server_cpus %v bench_cpus %v, want %s and %s", rep["server_cpus"], rep["bench_cpus"], pin[1], pin[3])
		}
		if !strings.Contains(summary, "pinned: server on CPUs "+pin[1]) {
			t.Errorf("summary:\n%s", summary)
		}
		if got := allowedCPUs(); len(got) < 2 {
			t.Errorf("after the run this process may use CPUs %v: -bench-cpus was not undone", got)
		}
	}
}

// TestColyseusMode runs the colyseus mode for real: the Tickwire arena,
// its floor and the Colyseus peer (bench/testdata/colyseus, npm ci on
// the first run) at 20 players in 2 rooms for 3 s, pinned where there are
// two CPUs. It needs node and npm (scripts/test.sh installs them) and
// the npm registry for the first npm ci; it is skipped only without node
// or npm.
func TestColyseusMode(t *testing.T) {
	for _, c := range []string{"node", "npm"} {
		if _, err := exec.LookPath(c); err != nil {
			t.Skipf("no %s on PATH: the Colyseus peer needs Node.js", c)
		}
	}
	peer, err := filepath.Abs(filepath.Join("testdata", "colyseus"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "side.json")
	args := append([]string{"colyseus", "-clients", "20", "-rooms", "2", "-duration", "3s", "-warmup", "1s",
		"-peer", peer, "-json", out, "-quiet"}, pinArgs()...)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	if err := benchMain(ctx, args, &stdout, &stderr); err != nil {
		t.Fatalf("bench %v: %v\nstderr:\n%s", args, err, stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep map[string]any
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	for _, sys := range []string{sysTickwire, sysFloor, sysColyseus} {
		for _, k := range []string{"server_cpu_pct", "server_cpu_us_per_player_s", "state_bytes_per_player_s", "server_rss_mb", "server_rss_per_player_kb", "latency_p50_ms", "latency_p99_ms"} {
			if v := num(t, rep, "systems."+sys+".median."+k); v <= 0 {
				t.Errorf("%s %s = %v", sys, k, v)
			}
		}
		if v := num(t, rep, "systems."+sys+".median.players"); v != 20 {
			t.Errorf("%s players = %v, want 20", sys, v)
		}
		// Sane, not fast: a busy machine (the race detector, other
		// tests) can hold a Node event loop up for a second.
		if p99 := num(t, rep, "systems."+sys+".median.latency_p99_ms"); p99 > 5000 {
			t.Errorf("%s p99 = %v ms", sys, p99)
		}
	}
	for _, k := range []string{"ratios.tickwire_vs_colyseus.server_cpu_us_per_player_s", "ratios.tickwire_vs_floor.server_cpu_us_per_player_s",
		"ratios.tickwire_vs_colyseus.state_bytes_per_player_s"} {
		if v := num(t, rep, k); v <= 0 {
			t.Errorf("%s = %v", k, v)
		}
	}
	cr, _ := rep["colyseus_reports"].([]any)
	tr, _ := rep["tickwire_reports"].([]any)
	if len(cr) != 1 || len(tr) != 1 {
		t.Fatalf("%d colyseus and %d tickwire reports, want 1 each", len(cr), len(tr))
	}
	if pin := pinArgs(); pin != nil {
		if got := cr[0].(map[string]any)["pinned_server_cpus"]; got != pin[1] {
			t.Errorf("the Colyseus server pinned to %v, want %s", got, pin[1])
		}
		if got := tr[0].(map[string]any)["server_cpus"]; got != pin[1] {
			t.Errorf("the Tickwire server pinned to %v, want %s", got, pin[1])
		}
	}
	for _, want := range []string{"tickwire/colyseus", "tickwire/floor", "colyseus", "µs CPU/player/s"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, stdout.String())
		}
	}
}

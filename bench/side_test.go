package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// peerLine is the Colyseus peer's output line, as its run.sh printed it.
const peerLine = `{"clients":500,"rooms":50,"tick_hz":20,"latency_ms":{"p50":31.2,"p90":48.1,"p99":57.5,"max":80.2},"samples":149000,"failed":0,"server_rss_mb":94,"seconds":15,"rooms_actual":50,"sent":149000,"unacked":0,"input_hz_per_client":19.9,"server_cpu_pct":37.5,"server_bytes_out_per_client_s":5450,"loadgen_procs":1,"loadgen_loop_lag_p99_ms":12.5}`

func TestParseColyseusOutput(t *testing.T) {
	res, raw, err := parseColyseusOutput([]byte("npm WARN something\n" + peerLine + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if string(raw) != peerLine {
		t.Errorf("raw = %s", raw)
	}
	if res.Clients != 500 || *res.LatencyMs.P99 != 57.5 || *res.ServerCPUPct != 37.5 || *res.ServerRSSMB != 94 ||
		*res.ServerBytesOutPerClientS != 5450 || *res.InputHzPerClient != 19.9 || res.RoomsActual != 50 {
		t.Errorf("parsed %+v", res)
	}
	for _, tc := range []struct{ out, want string }{
		{"", "printed no JSON line"},
		{"server exited; see /tmp/x.log\n", "printed no JSON line"},
		{`{"clients":5,`, "the Colyseus peer's JSON"},
		{`{"clients":5,"latency_ms":{"p50":null,"p99":1},"server_cpu_pct":null,"server_rss_mb":3}`, "lacks latency_ms.p50/p99, server_cpu_pct"},
	} {
		if _, _, err := parseColyseusOutput([]byte(tc.out)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.out, err, tc.want)
		}
	}
}

func TestSideRows(t *testing.T) {
	res, _, err := parseColyseusOutput([]byte(peerLine))
	if err != nil {
		t.Fatal(err)
	}
	c := colyseusRow(res)
	check := func(what string, v *float64, want float64) {
		t.Helper()
		if v == nil || *v < want-0.01 || *v > want+0.01 {
			t.Errorf("%s = %v, want %v", what, fmtPtr(v, 3), want)
		}
	}
	check("colyseus cpu per player", c.ServerCPUUsPerPlayerS, 750)
	check("colyseus players per core", c.PlayersPerServerCore, 1333.333)
	check("colyseus RSS per player", c.ServerRSSPerPlayerKB, 192.512)
	check("colyseus bytes", c.StateBytesPerPlayerS, 5450)

	rep := syntheticReport()
	rep.Connected, rep.BytesInPerClientS = 500, 8400
	tw := benchRow(rep)
	if tw.Players != rep.Connected {
		t.Errorf("players %d, want %d", tw.Players, rep.Connected)
	}
	check("tickwire cpu per player", tw.ServerCPUUsPerPlayerS, *rep.ServerCPUPct/100*1e6/float64(rep.Connected))
	check("tickwire bytes", tw.StateBytesPerPlayerS, rep.BytesInPerClientS)
	check("tickwire p99", tw.LatencyP99Ms, rep.LatencyMs.P99)

	r := ratioRow(tw, c)
	check("ratio cpu", r["server_cpu_us_per_player_s"], *tw.ServerCPUUsPerPlayerS/750)
	if len(r) != len(c.fields()) {
		t.Errorf("ratios %v: want every figure's key", r)
	}
	if v := ratioRow(sideRow{}, c)["server_cpu_pct"]; v != nil {
		t.Errorf("ratio of a null = %v, want null", *v)
	}
}

func TestMedianRow(t *testing.T) {
	rows := []sideRow{
		{Players: 10, ServerCPUPct: ptr(30), LatencyP99Ms: ptr(50)},
		{Players: 10, ServerCPUPct: ptr(10)},
		{Players: 8, ServerCPUPct: ptr(20), LatencyP99Ms: ptr(60)},
	}
	m := medianRow(rows)
	if m.Players != 10 || *m.ServerCPUPct != 20 || *m.LatencyP99Ms != 55 || m.ServerRSSMB != nil {
		t.Errorf("median %+v", m)
	}
	if m := medianRow(nil); m.ServerCPUPct != nil {
		t.Errorf("median of none = %+v", m)
	}
}

// TestPrintSide: one row per system, the two ratio rows, and a dash for
// what a system did not measure.
func TestPrintSide(t *testing.T) {
	res, _, _ := parseColyseusOutput([]byte(peerLine))
	arena := syntheticReport()
	arena.Connected = 500
	tw := benchRow(arena)
	fl := tw
	fl.ServerCPUPct = ptr(*tw.ServerCPUPct / 2)
	fl.derive()
	rep := &SideReport{Clients: 500, Rooms: 50, TickHz: 20, InputHz: 20, DurationS: 15, RunCount: 1, ServerCPUs: "0", BenchCPUs: "1",
		Systems: map[string]*sideSystem{
			sysTickwire: {Runs: []sideRow{tw}}, sysFloor: {Runs: []sideRow{fl}}, sysColyseus: {Runs: []sideRow{colyseusRow(res)}},
		}}
	rep.summarize()
	var b bytes.Buffer
	printSide(&b, rep)
	out := b.String()
	for _, want := range []string{"servers on CPUs 0, load generators on 1", "tickwire", "floor", "colyseus", "tickwire/colyseus", "tickwire/floor", "µs CPU/player/s", "2.00"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if r := rep.Ratios[ratioVsFloor]["server_cpu_pct"]; r == nil || *r != 2 {
		t.Errorf("tickwire/floor CPU = %v, want 2", fmtPtr(r, 3))
	}
}

func TestSideFlags(t *testing.T) {
	sc, err := parseSideFlags([]string{"-clients", "20", "-rooms", "2", "-duration", "3s", "-runs", "2", "-peer", "p"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	c := sc.arena
	if c.scenario != "arena" || c.clients != 20 || c.rooms != 2 || c.hz != 20 || c.inputHz != 20 || c.duration.Seconds() != 3 || sc.runs != 2 || sc.peer != "p" || c.floor {
		t.Errorf("config %+v %+v", sc, c)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-hz", "60"}, "-hz 60: the Colyseus peer ticks at 20 Hz only"},
		{[]string{"-runs", "0"}, "-runs 0: want 1..50"},
		{[]string{"-peer-procs", "0"}, "-peer-procs 0: want 1..16"},
		{[]string{"-duration", "500ms"}, "-duration 500ms: want >= 1s"},
		{[]string{"-clients", "0"}, "-clients 0: want >= 1"},
		{[]string{"-server-cpus", "0", "-bench-cpus", "0"}, "overlap"},
		{[]string{"x"}, "unexpected arguments"},
	} {
		if _, err := parseSideFlags(tc.args, io.Discard); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.args, err, tc.want)
		}
	}
}

// TestPreparePeerCache: a peer prepared once is found again by its
// content, without npm; an edited peer is a different copy.
func TestPreparePeerCache(t *testing.T) {
	peer := writeFiles(t, map[string]string{"run.sh": "#!/bin/sh\n", "package-lock.json": "{}"})
	if err := os.MkdirAll(filepath.Join(peer, "node_modules", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(peer, "node_modules", "x", "y.js"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	files, err := peerFiles(peer)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(files, ",") != "package-lock.json,run.sh" {
		t.Errorf("files %v: want node_modules left out", files)
	}
	key, err := peerKey(peer, files)
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	ready := filepath.Join(cache, "tickwire-bench-colyseus-"+key)
	if err := os.MkdirAll(ready, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ready, peerReady), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := preparePeer(t.Context(), peer, cache, io.Discard)
	if err != nil || got != ready {
		t.Fatalf("prepare = %q, %v; want the cached %q", got, err, ready)
	}
	if err := os.WriteFile(filepath.Join(peer, "run.sh"), []byte("#!/bin/sh\necho changed\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if k2, _ := peerKey(peer, files); k2 == key {
		t.Error("an edited peer has the same key")
	}
	if _, err := preparePeer(t.Context(), writeFiles(t, map[string]string{"x.js": ""}), cache, io.Discard); err == nil || !strings.Contains(err.Error(), "want run.sh and package-lock.json") {
		t.Errorf("a directory that is no peer: %v", err)
	}
}

func TestPeerPid(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "server.log")
	if peerPid(log) != 0 {
		t.Error("pid from a missing log")
	}
	if err := os.WriteFile(log, []byte("colyseus arena listening on 127.0.0.1:40153 pid=8826 maxClients=10\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := peerPid(log); got != 8826 {
		t.Errorf("pid %d, want 8826", got)
	}
}

// TestDefaultPeer: the shared peer beside the repository when it is
// there, else the copy in bench/testdata.
func TestDefaultPeer(t *testing.T) {
	root := filepath.Join(t.TempDir(), "repo")
	if got, want := defaultPeer(root), filepath.Join(root, "bench", "testdata", "colyseus"); got != want {
		t.Errorf("without a shared peer: %s, want %s", got, want)
	}
	shared := filepath.Join(filepath.Dir(root), "shared", "peers", "colyseus")
	if err := os.MkdirAll(shared, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(shared, "run.sh"), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	if got := defaultPeer(root); got != shared {
		t.Errorf("with a shared peer: %s, want %s", got, shared)
	}
	if _, err := os.Stat(filepath.Join("testdata", "colyseus", "run.sh")); err != nil {
		t.Errorf("the in-tree copy of the peer: %v", err)
	}
}

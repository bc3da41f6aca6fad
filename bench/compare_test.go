package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Two small reports: b has higher latency, half the CPU per player, a null
// server CPU, a key a lacks, and a different client count.
const (
	compareA = `{
  "scenario": "arena", "clients": 1000, "rooms": 20, "tick_hz": 20, "input_hz": 20,
  "latency_ms": {"p50": 30, "p90": 45, "p99": 50, "p999": 60, "max": 80, "mean": 29.5, "count": 600000},
  "tick_ms": {"p50": 0.8, "p99": 4}, "jitter_ms": {"p99": 2},
  "server_cpu_pct": 66, "server_cpu_us_per_client_s": 660, "server_rss_mb": 40,
  "bytes_per_client_s": 41500, "failed": 0, "inputs_lost": 0,
  "server_counters": {"bytes_out_total": 1000},
  "latency_percentiles": [{"percentile": 50, "ms": 30}],
  "timeline": [{"t_s": 1, "clients": 1000}],
  "server": {"kind": "demo", "url": "http://127.0.0.1:1/", "pid": 42},
  "machine": {"cpus": 2}, "tickwire": {"commit": "abc1234"},
  "started": "2026-11-25T20:00:00Z", "command": "go run ./bench -clients 1000"
}`
	compareB = `{
  "scenario": "floor", "clients": 2000, "rooms": 20, "tick_hz": 20, "input_hz": 20,
  "latency_ms": {"p50": 30, "p90": 45, "p99": 75, "p999": 60, "max": 40, "mean": 29.5, "count": 1200000},
  "tick_ms": {"p50": 0.8, "p99": 4}, "jitter_ms": {"p99": 2},
  "server_cpu_pct": null, "server_cpu_us_per_client_s": 330, "server_rss_mb": 40,
  "bytes_per_client_s": 41500, "failed": 0, "inputs_lost": 3, "inputs_refused": 7,
  "server": {"kind": "floor"}, "started": "2026-11-25T20:01:00Z"
}`
)

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// squeeze collapses runs of spaces, so expected lines do not depend on
// column widths.
func squeeze(s string) string { return strings.Join(strings.Fields(s), " ") }

// TestCompare: every numeric key of both reports, in the order of a then
// the keys only b has, with b/a; arrays and the descriptive blocks are
// left out; differing load is noted.
func TestCompare(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.json": compareA, "b.json": compareB})
	var out, errOut bytes.Buffer
	err := benchMain(context.Background(), []string{"compare", filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")}, &out, &errOut)
	if err != nil {
		t.Fatalf("compare: %v\n%s", err, errOut.String())
	}
	var lines []string
	for _, l := range strings.Split(out.String(), "\n") {
		lines = append(lines, squeeze(l))
	}
	got := strings.Join(lines, "\n")
	want := []string{
		"a: " + filepath.Join(dir, "a.json") + ": arena, 1000 clients, 20 rooms, 20 Hz; server demo; started 2026-11-25T20:00:00Z; tickwire abc1234",
		"go run ./bench -clients 1000",
		"b: " + filepath.Join(dir, "b.json") + ": floor, 2000 clients, 20 rooms, 20 Hz; server floor; started 2026-11-25T20:01:00Z; tickwire —",
		"note: the runs differ: scenario arena vs floor; clients 1000 vs 2000",
		"key a b b/a",
		"clients 1000 2000 2.000",
		"latency_ms.p50 30 30 1.000",
		"latency_ms.p99 50 75 1.500 input-to-state p99 (ms)",
		"latency_ms.max 80 40 0.500",
		"latency_ms.count 600000 1200000 2.000",
		"tick_ms.p99 4 4 1.000",
		"jitter_ms.p99 2 2 1.000 tick start jitter p99 (ms)",
		"server_cpu_pct 66 null — server CPU (% of a core)",
		"server_cpu_us_per_client_s 660 330 0.500 server CPU per player (µs/s)",
		"server_rss_mb 40 40 1.000 server RSS (MB)",
		"bytes_per_client_s 41500 41500 1.000 bytes per client per s",
		"failed 0 0 = failed clients",
		"inputs_lost 0 3 —",
		"server_counters.bytes_out_total 1000 — —",
		"inputs_refused — 7 —",
	}
	prev := -1
	for _, w := range want {
		i := indexLine(lines, w)
		if i < 0 {
			t.Errorf("output lacks line %q", w)
			continue
		}
		if i < prev {
			t.Errorf("line %q out of order", w)
		}
		prev = i
	}
	for _, absent := range []string{"timeline", "latency_percentiles", "pid", "machine.cpus"} {
		if strings.Contains(got, absent) {
			t.Errorf("output has %q:\n%s", absent, got)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s", out.String())
	}
}

func indexLine(lines []string, want string) int {
	for i, l := range lines {
		if l == want {
			return i
		}
	}
	return -1
}

// TestCompareErrors: unreadable or mismatched input fails with a message
// that names the file and the problem.
func TestCompareErrors(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"a.json":      compareA,
		"b.json":      compareB,
		"broken.json": `{"scenario": "arena", "clients": 10,`,
		"other.json":  `{"name": "not a bench report", "clients": 3}`,
		"array.json":  `[1, 2, 3]`,
		"scalar.json": `{"scenario": "arena", "clients": 10, "latency_ms": {"p99": 1}, "server_cpu_pct": 1} 7`,
	})
	p := func(name string) string { return filepath.Join(dir, name) }
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{p("a.json")}, "want two report files"},
		{[]string{p("a.json"), p("missing.json")}, "read " + p("missing.json")},
		{[]string{p("broken.json"), p("a.json")}, p("broken.json") + ": invalid JSON"},
		{[]string{p("a.json"), p("other.json")}, p("other.json") + `: not a bench report: no "latency_ms.p99" key`},
		{[]string{p("array.json"), p("a.json")}, "not a bench report: the JSON is not an object"},
		{[]string{p("scalar.json"), p("a.json")}, "data after the report"},
		{[]string{"-strict", p("a.json"), p("b.json")}, "not at the same load (-strict): scenario arena vs floor; clients 1000 vs 2000"},
		{[]string{p("a.json"), p("b.json"), "-strict"}, "not at the same load (-strict)"},
		{[]string{p("a.json"), p("b.json"), "-nosuchflag"}, "flag provided but not defined: -nosuchflag"},
	} {
		var out, errOut bytes.Buffer
		err := benchMain(context.Background(), append([]string{"compare"}, tc.args...), &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("compare %v: error %v, want one containing %q", tc.args, err, tc.want)
		}
	}
}

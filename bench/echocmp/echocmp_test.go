package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/tickwire/tickwire/protocol"
)

func TestAppendProbe(t *testing.T) {
	const ts = 1_234_567_890_123
	minimal := len(appendProbe(nil, ts, 0))
	for _, size := range []int{0, minimal, minimal + 3, 32, 140, 141, 142, 143, 1000, 20000} {
		b := appendProbe(nil, ts, size)
		switch {
		case size < minimal+3 && len(b) != minimal:
			t.Errorf("size %d: got %d bytes, want the minimal %d", size, len(b), minimal)
		case size >= minimal+3 && (len(b) > size || len(b) < size-1):
			t.Errorf("size %d: got %d bytes", size, len(b))
		}
		var env protocol.Envelope
		if err := protocol.Decode(b, 0, &env); err != nil {
			t.Fatalf("size %d: decode: %v", size, err)
		}
		if got := env.GetPing().GetClientTimeUnixNano(); got != ts {
			t.Errorf("size %d: stamp %d, want %d", size, got, ts)
		}
	}
}

func TestRecorderLatency(t *testing.T) {
	r := newRecorder(1000)
	for i := range 1000 {
		r.samples[i] = int64(1000-i) * 1e6 // 1..1000 ms, unsorted
	}
	r.n.Store(1000)
	l := r.latency()
	if l.Count != 1000 || l.P50 != 500 || l.P99 != 990 || l.P999 != 999 || l.Max != 1000 {
		t.Errorf("latency = %+v", l)
	}
	if l := newRecorder(10).latency(); l.Count != 0 || l.P99 != 0 {
		t.Errorf("empty latency = %+v", l)
	}
}

func TestProcReaders(t *testing.T) {
	if _, err := cpuTicks(os.Getpid()); err != nil {
		t.Fatal(err)
	}
	if kb, err := rssKB(os.Getpid()); err != nil || kb <= 0 {
		t.Fatalf("rssKB = %d, %v", kb, err)
	}
	if busy, total, err := systemTicks(); err != nil || total <= 0 || busy > total {
		t.Fatalf("systemTicks = %d, %d, %v", busy, total, err)
	}
}

func TestChildCommands(t *testing.T) {
	var out bytes.Buffer
	in := strings.NewReader("stats\ngc\nbogus\nquit\nstats\n")
	if err := childCommands(in, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "STATS {") || lines[1] != "OK" || !strings.HasPrefix(lines[2], "ERR ") {
		t.Fatalf("replies %q", lines)
	}
}

func TestParseFlags(t *testing.T) {
	cfg, err := parseFlags([]string{"-servers", "coder,x", "-alt", "x=:tickwire-nonblocking/1", "-idle-conns", "10,20"})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.servers) != 2 || cfg.servers[1].Kind != "tickwire-nonblocking" || cfg.servers[1].Pollers != 1 || len(cfg.idleConns) != 2 {
		t.Fatalf("cfg = %+v", cfg)
	}
	for _, args := range [][]string{
		{"-servers", "nginx"},
		{"-scenarios", "soak"},
		{"-idle-conns", "0"},
		{"-alt", "y=/bin/x:nope"},
		{"-rate", "0"},
	} {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}

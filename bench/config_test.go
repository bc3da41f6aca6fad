package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// TestFlagErrors: every bad flag is refused with its name, all at once.
func TestFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"-clients", "0"}, []string{"-clients 0: want >= 1"}},
		{[]string{"-scenario", "crossword", "-hz", "20", "-rooms", "3", "-play-share", "2"}, []string{"-hz 20: the crossword world ticks at 10 Hz", "-rooms 3: the crossword has one world", "-play-share 2: want 0..1"}},
		{[]string{"-scenario", "chess"}, []string{`-scenario "chess": want one of arena, crossword, failover, floor, idle, soak`}},
		{[]string{"-clients", "2", "-rooms", "3"}, []string{"-rooms 3: more rooms than -clients 2"}},
		{[]string{"-scenario", "idle", "-floor"}, []string{"-floor: only with -scenario arena"}},
		{[]string{"-floor", "-find-capacity"}, []string{"-floor: not with -find-capacity"}},
		{[]string{"-floor", "-addr", "127.0.0.1:1"}, []string{"-floor: not with -addr"}},
		{[]string{"-scenario", "floor", "-server", "bench"}, []string{"-scenario floor runs its own bare server"}},
		{[]string{"-floor-frame-bytes", "3"}, []string{"-floor-frame-bytes 3: want 9..1048576"}},
		{[]string{"-clients", "1000", "-rooms", "2"}, []string{"500 players in a room, the arena seats at most 50"}},
		{[]string{"-hz", "60"}, []string{"-hz 60: the demo creates arena rooms at 20 Hz", "-server bench"}},
		{[]string{"-hz", "0", "-server", "bench"}, []string{"-hz 0: want 1..120"}},
		{[]string{"-duration", "0s", "-warmup", "-1s"}, []string{"-duration 0s: want > 0", "-warmup -1s: want >= 0"}},
		{[]string{"-ramp", "0", "-input-hz", "500"}, []string{"-ramp 0", "-input-hz 500"}},
		{[]string{"-addr", "localhost"}, []string{`-addr "localhost": want host:port`}},
		{[]string{"-addr", "ftp://x:1"}, []string{`scheme "ftp"`}},
		{[]string{"-addr", "127.0.0.1:1,localhost"}, []string{`-addr "localhost": want host:port`}},
		{[]string{"-addr", "127.0.0.1:1,127.0.0.1:2", "-scenario", "idle"}, []string{"only -scenario arena"}},
		{[]string{"-addr", "127.0.0.1:1", "-server", "bench"}, []string{"not with -addr"}},
		{[]string{"-server-pid", "42"}, []string{"-server-pid 42: only with -addr"}},
		{[]string{"-server", "nginx"}, []string{`-server "nginx": want demo or bench`}},
		{[]string{"-plot", "out.html"}, []string{`-plot "out.html": want a .png or .svg file`}},
		{[]string{"-find-capacity", "-capacity-factor", "1"}, []string{"-capacity-factor 1: want > 1"}},
		{[]string{"-find-capacity", "-capacity-max", "10"}, []string{"-capacity-max 10: below -clients 1000"}},
		{[]string{"-target-p99-ms", "-5"}, []string{"-target-p99-ms -5: want >= 0"}},
		{[]string{"-senders", "0", "-pollers", "99"}, []string{"-senders 0", "-pollers 99"}},
		{[]string{"-scenario", "soak", "-drop-pause", "9s", "-leave-every", "-1s", "-sample-every", "100ms"}, []string{"-drop-pause 9s: want 100ms..8s", "-leave-every -1s: want >= 0", "-sample-every 100ms: want >= 1s"}},
		{[]string{"-scenario", "soak", "-server", "bench"}, []string{"-server bench has no lobby"}},
		{[]string{"-scenario", "soak", "-warmup", "1s", "-plot", "x.png", "-find-capacity"}, []string{"-warmup: not with -scenario soak", "-plot: not with -scenario soak", "-find-capacity: not with -scenario soak"}},
		{[]string{"-scenario", "soak", "-clients", "1000", "-rooms", "10"}, []string{"100 players in a room, the arena seats at most 50"}},
		{[]string{"extra"}, []string{`unexpected arguments: ["extra"]`}},
		{[]string{"-nope"}, []string{"flag provided but not defined: -nope"}},
	} {
		_, err := parseFlags(tc.args, io.Discard)
		if err == nil {
			t.Errorf("%v: accepted", tc.args)
			continue
		}
		for _, w := range tc.want {
			if !contains(err.Error(), w) {
				t.Errorf("%v: error %q lacks %q", tc.args, err, w)
			}
		}
	}
}

func TestFlagDefaults(t *testing.T) {
	c, err := parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.scenario != "arena" || c.clients != 1000 || c.rooms != 20 || c.hz != 20 || c.inputHz != 20 {
		t.Errorf("defaults %+v", c)
	}
	if got := c.target(); got != 54500*time.Microsecond {
		t.Errorf("default target %v, want 0.99·50ms + 5ms = 54.5ms", got)
	}
	idle, err := parseFlags([]string{"-scenario", "idle", "-clients", "10000", "-rooms", "1"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if idle.pingIval != 10*time.Second {
		t.Errorf("idle ping interval %v, want 10s", idle.pingIval)
	}
	step := c.withClients(1500)
	if step.clients != 1500 || step.rooms != 30 {
		t.Errorf("capacity step of 1500 = %d clients in %d rooms, want 30 rooms of 50", step.clients, step.rooms)
	}
	if n := c.nextClients(1000); n != 1500 {
		t.Errorf("next step after 1000 = %d", n)
	}
}

func TestWSURLForSpreadsRoomsOverNodes(t *testing.T) {
	s := &serverTarget{wsURL: "ws://a/ws", wsURLs: []string{"ws://a/ws", "ws://b/ws", "ws://c/ws"}}
	// 4 rooms over 3 nodes: client i is in room slot i mod 4, on node slot mod 3.
	for idx, want := range []string{"ws://a/ws", "ws://b/ws", "ws://c/ws", "ws://a/ws", "ws://a/ws", "ws://b/ws"} {
		if got := s.wsURLFor(idx, 4); got != want {
			t.Errorf("client %d dials %s, want %s", idx, got, want)
		}
	}
	if got := (&serverTarget{wsURL: "ws://a/ws"}).wsURLFor(7, 4); got != "ws://a/ws" {
		t.Errorf("one node: client dials %s", got)
	}
}

package main

import (
	"strconv"
	"testing"
	"time"

	"github.com/tickwire/tickwire/examples/arena"
)

// TestFailover runs the failover scenario for real, once per mode: a
// three-server NATS cluster in this process, three demo nodes in child
// processes with a 2 s heartbeat TTL, 18 bots in 6 rooms (two rooms per
// node), node 0 killed (SIGKILL) or drained (SIGTERM) 3 s into an 8 s
// window. Every player of the victim's rooms comes back to his room on
// another node, after a time that is positive and bounded (a kill is
// noticed within the TTL; a drain hands the rooms over before it
// disconnects), every input the old node did not acknowledge is
// replayed and acknowledged on the new one, the state goes back at most
// one snapshot interval (a drain: plus the drain's length), and the other nodes' players keep their
// connections and their frames.
func TestFailover(t *testing.T) {
	for _, tc := range []struct {
		mode  string
		bound time.Duration // back in play, at most: generous on a shared 2-core machine
	}{
		{killModeKill, 3*2*time.Second + 4*time.Second}, // the TTL, a lease takeover, the restore, the rejoin
		{killModeDrain, 5 * time.Second},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			rep, summary := runBench(t, "-scenario", "failover", "-clients", "18", "-rooms", "6", "-nodes", "3",
				"-kill-at", "3s", "-duration", "8s", "-warmup", "1s", "-input-hz", "10", "-kill-mode", tc.mode,
				"-heartbeat-ttl", "2s", "-grace", "3s")
			fo := "failover."
			if v := num(t, rep, fo+"affected.players"); v != 6 {
				t.Errorf("affected players = %v, want the 6 of node 0's two rooms", v)
			}
			if back, n := num(t, rep, fo+"affected.back"), num(t, rep, fo+"affected.players"); back != n {
				t.Errorf("%v of %v affected players back", back, n)
			}
			if v := num(t, rep, fo+"affected.never_back"); v != 0 {
				t.Errorf("never_back = %v", v)
			}
			p50, mx := num(t, rep, fo+"affected.back_in_play_ms.p50"), num(t, rep, fo+"affected.back_in_play_ms.max")
			if p50 <= 0 || mx < p50 || mx > float64(tc.bound.Milliseconds()) {
				t.Errorf("back in play p50 %v max %v ms: want > 0 and at most %v", p50, mx, tc.bound)
			}
			if noticed := num(t, rep, fo+"affected.noticed_ms.max"); noticed < 0 || noticed > p50 {
				t.Errorf("noticed max %v ms, back p50 %v ms: the loss is noticed before the player is back", noticed, p50)
			}
			if c := num(t, rep, fo+"affected.back_in_play_ms.count"); c != 6 {
				t.Errorf("back_in_play count = %v", c)
			}
			replayed, acked := num(t, rep, fo+"affected.inputs_replayed"), num(t, rep, fo+"affected.inputs_replayed_acked")
			if unacked := num(t, rep, fo+"affected.inputs_unacked_at_loss"); replayed != unacked || acked != replayed {
				t.Errorf("inputs: %v unacknowledged at the loss, %v replayed, %v acknowledged: want all replayed and acknowledged", unacked, replayed, acked)
			}
			if v := num(t, rep, fo+"affected.inputs_lost"); v != 0 {
				t.Errorf("affected inputs_lost = %v", v)
			}
			if v := num(t, rep, fo+"affected.rooms_without_snapshot"); v != 0 {
				t.Errorf("rooms_without_snapshot = %v", v)
			}
			// A drain's rooms tick on while they are migrated from their
			// last periodic snapshot, so they go back that much further.
			tickNs := float64(time.Second / arena.TickHz)
			maxTicks := float64(arena.SnapshotEvery)/tickNs + 2
			if tc.mode == killModeDrain {
				maxTicks += num(t, rep, fo+"victim_exit_ms") * 1e6 / tickNs
			}
			if c, v := num(t, rep, fo+"affected.rollback_ticks.count"), num(t, rep, fo+"affected.rollback_ticks.max"); c != 6 || v > maxTicks {
				t.Errorf("rollback: %v players, max %v ticks: want 6, at most a snapshot interval (%v ticks)", c, v, maxTicks)
			}
			if v := num(t, rep, fo+"unaffected.players"); v != 12 {
				t.Errorf("unaffected players = %v, want 12", v)
			}
			if v := num(t, rep, fo+"unaffected.disconnected"); v != 0 {
				t.Errorf("unaffected disconnected = %v", v)
			}
			if v := num(t, rep, fo+"unaffected.frames_per_s_before"); v < arena.TickHz/2 {
				t.Errorf("unaffected frames/s before = %v, want about %d", v, arena.TickHz)
			}
			if v := num(t, rep, fo+"unaffected.frames_per_s_during"); v < arena.TickHz/2 {
				t.Errorf("unaffected frames/s during = %v, want about %d", v, arena.TickHz)
			}
			if v := num(t, rep, "failed"); v != 0 {
				t.Errorf("failed = %v (%v)", v, rep["failures"])
			}
			if v := num(t, rep, "inputs_lost"); v != 0 {
				t.Errorf("inputs_lost = %v", v)
			}
			num(t, rep, "latency_ms.p99")
			if testing.Verbose() {
				t.Log(summary)
			}
		})
	}
}

// TestFailoverLoad runs the scenario without a fault on one node and on
// two: the load block reports every node's players and CPU, and NATS's
// traffic and the buckets' writes, which a running cluster cannot have
// at zero (heartbeats, snapshots every 2 s).
func TestFailoverLoad(t *testing.T) {
	for _, nodes := range []string{"1", "2"} {
		t.Run("nodes="+nodes, func(t *testing.T) {
			rep, summary := runBench(t, "-scenario", "failover", "-kill-mode", "none", "-nodes", nodes,
				"-clients", "8", "-rooms", "4", "-duration", "4s", "-warmup", "1s", "-input-hz", "10", "-grace", "2s")
			l := "failover.load."
			if v := num(t, rep, l+"window_s"); v < 3 || v > 6 {
				t.Errorf("window %v s, want about 4", v)
			}
			n, _ := strconv.Atoi(nodes)
			list, _ := rep["failover"].(map[string]any)["load"].(map[string]any)["nodes"].([]any)
			if len(list) != n {
				t.Fatalf("%d nodes in the load block, want %d", len(list), n)
			}
			players := 0.0
			for _, e := range list {
				node := e.(map[string]any)
				players += node["players"].(float64)
				if node["cpu_pct"].(float64) <= 0 || node["cpu_us_per_player_s"].(float64) <= 0 {
					t.Errorf("node %v: no CPU measured: %v", node["name"], node)
				}
			}
			if players != 8 {
				t.Errorf("%v players over the nodes, want 8", players)
			}
			if v := num(t, rep, l+"nats_msgs_per_s"); v <= 0 {
				t.Errorf("nats_msgs_per_s = %v", v)
			}
			if v := num(t, rep, l+"nats_cpu_pct"); v <= 0 {
				t.Errorf("nats_cpu_pct = %v", v)
			}
			if v := num(t, rep, l+"bucket_writes_per_s.snapshots"); v <= 0 {
				t.Errorf("snapshot writes/s = %v: 4 rooms save every 2 s", v)
			}
			if v := num(t, rep, "failed"); v != 0 {
				t.Errorf("failed = %v (%v)", v, rep["failures"])
			}
			if testing.Verbose() {
				t.Log(summary)
			}
		})
	}
}

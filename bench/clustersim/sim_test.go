package main

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/tickwire/tickwire/server/servertest"
)

func TestMain(m *testing.M) {
	if n, ok := os.LookupEnv(childEnv); ok { // this test binary as the NATS child
		servers, _ := strconv.Atoi(n)
		os.Exit(runChild(max(servers, 1)))
	}
	servertest.VerifyTestMain(m) // goleak, minus nbio's package-level pools

}

// TestDirectoryScenario runs two light nodes on three NATS servers for a
// few seconds and checks that every figure the plan uses was measured.
func TestDirectoryScenario(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	rep, err := Run(ctx, Config{Scenario: scenarioDirectory, Nodes: 2, Rate: 10, Hold: 500 * time.Millisecond,
		HeartbeatTTL: 3 * time.Second, Warmup: time.Second, Duration: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", summary(rep))
	if rep.Started == 0 || rep.Dropped != 0 {
		t.Errorf("started %d, dropped %d: want some started, none dropped", rep.Started, rep.Dropped)
	}
	for _, k := range []string{"create", "reserve", "redeem", "release"} {
		if o := rep.Ops[k]; o.Errors != 0 {
			t.Errorf("%s: %d errors, last %q", k, o.Errors, o.LastError)
		}
	}
	if c := rep.Ops["create"].LatencyMs.Count + rep.Ops["reserve"].LatencyMs.Count; c == 0 {
		t.Error("no quick-join measured")
	}
	for _, k := range []string{"redeem", "release"} {
		if o := rep.Ops[k]; o.PerSec <= 0 || o.LatencyMs.P50 <= 0 || o.LatencyMs.P99 < o.LatencyMs.P50 {
			t.Errorf("%s: %+v: want a rate and p99 ≥ p50 > 0", k, o)
		}
	}
	checkCommon(t, rep)
	// Two nodes beat every second (TTL/3): about 2 writes/s.
	if hb := rep.NATS.StreamWritesPerSec["nodes"]; hb < 1 || hb > 4 {
		t.Errorf("heartbeat writes %.2f/s, want about 2", hb)
	}
	if rep.NATS.StreamWritesPerSec["directory"] < rep.BatchesPerSec {
		t.Errorf("directory stream took %.1f writes/s for %.1f batches/s: each batch writes at least one key",
			rep.NATS.StreamWritesPerSec["directory"], rep.BatchesPerSec)
	}
}

// TestMatchScenario matches tickets from three nodes into rooms of two.
func TestMatchScenario(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	rep, err := Run(ctx, Config{Scenario: scenarioMatch, Nodes: 3, Rate: 10, RoomSize: 2,
		HeartbeatTTL: 3 * time.Second, Warmup: time.Second, Duration: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", summary(rep))
	m := rep.Ops["matched"]
	if m.LatencyMs.Count == 0 || m.LatencyMs.P50 <= 0 || m.LatencyMs.P99 < m.LatencyMs.P50 {
		t.Errorf("matched: %+v: want matches with p99 ≥ p50 > 0", m)
	}
	if s := rep.Ops["submit"]; s.Errors != 0 || s.PerSec <= 0 {
		t.Errorf("submit: %+v", s)
	}
	if rep.NATS.StreamWritesPerSec["tickets"] <= 0 {
		t.Error("no ticket writes counted")
	}
	checkCommon(t, rep)
}

func checkCommon(t *testing.T, rep Report) {
	t.Helper()
	if rep.NATSServers != 3 || rep.WindowS < 2.5 {
		t.Errorf("servers %d, window %.2fs", rep.NATSServers, rep.WindowS)
	}
	if rep.NATS.CPUCores <= 0 || rep.NodesCPUCores <= 0 {
		t.Errorf("CPU: NATS %.3f, nodes %.3f cores: want both measured", rep.NATS.CPUCores, rep.NodesCPUCores)
	}
	if rep.NATS.InMsgsPerSec <= 0 || rep.NATS.ClientOutBytesPerSec <= 0 || rep.NATS.InBytesPerSec < rep.NATS.ClientInBytesPerSec {
		t.Errorf("NATS traffic: %+v", rep.NATS)
	}
	if rep.Node.DeliveredBytesPerSec <= 0 || rep.Node.MaxDeliveredBytesPerSec < rep.Node.DeliveredBytesPerSec {
		t.Errorf("per-node traffic: %+v", rep.Node)
	}
	if rep.PerBatch.NATSCPUus <= 0 || rep.PerBatch.Deliveries <= 0 || rep.PerBatch.NATSInBytes <= 0 {
		t.Errorf("per batch: %+v", rep.PerBatch)
	}
	if rep.NATS.StreamWritesPerSec["snapshots"] <= 0 {
		t.Error("no snapshot writes counted")
	}
}

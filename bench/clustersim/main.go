// Command clustersim runs many light Tickwire cluster nodes in one process
// against a real three-server NATS cluster (a child process) and measures
// what the cluster's shared state costs: the directory's atomic batches
// (quick-join, redeem, release, rooms created and closed) or the
// matchmaker's tickets, heartbeats and snapshots, as NATS traffic, CPU
// and latency per operation. docs/bench/scale.md has the commands and
// figures; docs/cluster.md's plan for 1,000,000 players is built on them.
//
//	go run ./bench/clustersim -scenario directory -nodes 5,10,20,40 -rate 100 -json out.json
//	go run ./bench/clustersim -scenario match -nodes 3,10 -rate 100,200,400
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"
)

func main() {
	if n, ok := os.LookupEnv(childEnv); ok {
		servers, _ := strconv.Atoi(n)
		os.Exit(runChild(max(servers, 1)))
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("clustersim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg Config
	fs.StringVar(&cfg.Scenario, "scenario", scenarioDirectory, "directory (quick-join, redeem, hold, release) or match (tickets on every node)")
	nodes := fs.String("nodes", "5", "light nodes per run, comma-separated for a sweep (5,10,20,40)")
	rates := fs.String("rate", "50", "offered sessions (directory) or tickets (match) per second, comma-separated for a sweep")
	fs.IntVar(&cfg.NATSServers, "nats-servers", 3, "NATS servers (JetStream cluster; buckets at 3 replicas, 1 for a single server)")
	fs.DurationVar(&cfg.Hold, "hold", 5*time.Second, "how long a player keeps his place (directory)")
	fs.IntVar(&cfg.MaxInflight, "max-inflight", 5000, "sessions or tickets in progress at most; arrivals past it are dropped and counted")
	fs.IntVar(&cfg.RoomSize, "room-size", 10, "players per room")
	fs.IntVar(&cfg.SnapshotBytes, "snapshot-bytes", 600, "each room's state, saved as its recovery snapshot")
	fs.DurationVar(&cfg.SnapshotEvery, "snapshot-every", 2*time.Second, "how often each room saves its snapshot")
	fs.DurationVar(&cfg.HeartbeatTTL, "heartbeat-ttl", 5*time.Second, "the nodes' heartbeat TTL (they beat every third of it)")
	fs.DurationVar(&cfg.IdleRoomTTL, "idle-room-ttl", 2*time.Second, "rooms without a place close after this")
	fs.DurationVar(&cfg.Warmup, "warmup", 3*time.Second, "load before the measured window")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "the measured window")
	jsonPath := fs.String("json", "", "write the reports (a JSON array) to this file")
	verbose := fs.Bool("v", false, "log the nodes' warnings")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	nodeList, err := ints(*nodes)
	if err != nil {
		fmt.Fprintf(stderr, "clustersim: -nodes: %v\n", err)
		return 2
	}
	rateList, err := floats(*rates)
	if err != nil {
		fmt.Fprintf(stderr, "clustersim: -rate: %v\n", err)
		return 2
	}
	cfg.Log = zerolog.Nop()
	if *verbose {
		cfg.Log = zerolog.New(zerolog.ConsoleWriter{Out: stderr}).Level(zerolog.WarnLevel).With().Timestamp().Logger()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var reports []Report
	for _, n := range nodeList {
		for _, r := range rateList {
			c := cfg
			c.Nodes, c.Rate = n, r
			rep, err := Run(ctx, c)
			if err != nil {
				fmt.Fprintf(stderr, "clustersim: %d nodes at %g/s: %v\n", n, r, err)
				return 1
			}
			reports = append(reports, rep)
			fmt.Fprintln(stdout, summary(rep))
		}
	}
	if *jsonPath != "" {
		b, _ := json.MarshalIndent(reports, "", "  ")
		if err := os.WriteFile(*jsonPath, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintf(stderr, "clustersim: %v\n", err)
			return 1
		}
	}
	return 0
}

// summary is one run on one line.
func summary(r Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s nodes=%d offered=%g/s started=%d dropped=%d batches=%.0f/s", r.Scenario, r.Nodes, r.OfferedRate, r.Started, r.Dropped, r.BatchesPerSec)
	for _, k := range []string{"create", "reserve", "redeem", "release", "submit", "matched"} {
		if o, ok := r.Ops[k]; ok {
			fmt.Fprintf(&b, " %s=%.0f/s p50=%.1fms p99=%.1fms err=%d", k, o.PerSec, o.LatencyMs.P50, o.LatencyMs.P99, o.Errors)
		}
	}
	fmt.Fprintf(&b, " | nats cpu=%.2f nodes cpu=%.2f | per batch: nats %.0fµs nodes %.0fµs in %.0fB out %.0fB deliveries %.1f (%.1f/node, %.0fB/node) | per node delivered %.0fB/s | writes/s %v | rooms=%d load=%.1f",
		r.NATS.CPUCores, r.NodesCPUCores, r.PerBatch.NATSCPUus, r.PerBatch.NodesCPUus, r.PerBatch.NATSInBytes, r.PerBatch.NATSOutBytes,
		r.PerBatch.Deliveries, r.PerBatch.DeliveriesPerNode, r.PerBatch.DeliveredBytesNode, r.Node.DeliveredBytesPerSec, r.NATS.StreamWritesPerSec, r.Rooms, r.LoadAvg)
	return b.String()
}

func ints(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q: want positive integers", s)
		}
		out = append(out, n)
	}
	return out, nil
}

func floats(s string) ([]float64, error) {
	var out []float64
	for f := range strings.SplitSeq(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("%q: want positive numbers", s)
		}
		out = append(out, v)
	}
	return out, nil
}

package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/tickwire/tickwire/internal/loadstat"
)

// Scenarios.
const (
	// scenarioDirectory: players quick-join rooms on random nodes, redeem
	// their seats on the room's node, hold them, and leave.
	scenarioDirectory = "directory"
	// scenarioMatch: players queue tickets on random nodes; the cluster's
	// matchmaker matches them into rooms of RoomSize; they leave at once.
	scenarioMatch = "match"
)

// Config is one simulation run.
type Config struct {
	Scenario    string
	Nodes       int
	NATSServers int
	// Rate is the offered arrivals per second: player sessions
	// (directory) or tickets (match), spread evenly over the nodes.
	Rate float64
	// Hold is how long a player keeps his seat (directory).
	Hold time.Duration
	// MaxInflight bounds the sessions or tickets in progress; arrivals
	// past it are counted as dropped (the offered rate is not met).
	MaxInflight int
	RoomSize    int
	// SnapshotBytes and SnapshotEvery: each room's recovery snapshot.
	SnapshotBytes int
	SnapshotEvery time.Duration
	HeartbeatTTL  time.Duration
	IdleRoomTTL   time.Duration
	Warmup        time.Duration
	Duration      time.Duration
	Log           zerolog.Logger
}

// Report is a run's result; docs/bench/scale.md explains each key.
type Report struct {
	Scenario    string  `json:"scenario"`
	Nodes       int     `json:"nodes"`
	NATSServers int     `json:"nats_servers"`
	OfferedRate float64 `json:"offered_per_s"`
	HoldS       float64 `json:"hold_s"`
	RoomSize    int     `json:"room_size"`
	SnapBytes   int     `json:"snapshot_bytes"`
	SnapEveryS  float64 `json:"snapshot_every_s"`
	HeartbeatS  float64 `json:"heartbeat_ttl_s"`
	WindowS     float64 `json:"window_s"`
	StartupS    float64 `json:"startup_s"`

	// Started and Dropped count arrivals in the window: dropped ones
	// found MaxInflight sessions in progress (saturation).
	Started int64 `json:"started"`
	Dropped int64 `json:"dropped"`
	// Ops: each lobby call the players made, by kind. Directory:
	// "create" (a quick-join that created the room), "reserve" (one that
	// took a place), "redeem", "release". Match: "submit", "matched"
	// (ticket to the matched status seen in the tickets bucket), "release".
	Ops map[string]OpReport `json:"ops"`
	// BatchesPerSec is the atomic batches the players' calls committed per
	// second (each call above is one, conflicts' retries aside); janitor
	// and matchmaker batches are in NATS.StreamWritesPerSec only.
	BatchesPerSec float64 `json:"batches_per_s"`
	// Rooms is the directory's rooms at the end of the window (node 1's
	// mirror), Expired the tickets that expired unmatched.
	Rooms   int   `json:"rooms"`
	Expired int64 `json:"expired"`

	NATS NATSReport  `json:"nats"`
	Node NodeTraffic `json:"per_node"`
	// NodesCPUCores is this process's CPU per second of the window: every
	// node, the drivers and the sampling.
	NodesCPUCores float64 `json:"nodes_cpu_cores"`
	// PerBatch divides the window's costs by BatchesPerSec (directory) or
	// by matched tickets per second (match): what extrapolates.
	PerBatch PerBatch `json:"per_batch"`
	// LoadAvg is the machine's 1-minute load average at the window's end
	// (/proc/loadavg): the machine is shared, so a figure taken beside
	// other work says so.
	LoadAvg float64 `json:"load_avg"`
}

// PerBatch is the cost of one player batch (or one matched ticket).
type PerBatch struct {
	NATSCPUus          float64 `json:"nats_cpu_us"`
	NodesCPUus         float64 `json:"nodes_cpu_us"`
	NATSInBytes        float64 `json:"nats_in_bytes"`
	NATSOutBytes       float64 `json:"nats_out_bytes"`
	Deliveries         float64 `json:"deliveries"`
	DeliveredBytes     float64 `json:"delivered_bytes"`
	StreamWrites       float64 `json:"stream_writes"`
	DeliveriesPerNode  float64 `json:"deliveries_per_node"`
	DeliveredBytesNode float64 `json:"delivered_bytes_per_node"`
}

func (c Config) normalize() (Config, error) {
	if c.Scenario == "" {
		c.Scenario = scenarioDirectory
	}
	if c.Scenario != scenarioDirectory && c.Scenario != scenarioMatch {
		return c, fmt.Errorf("scenario %q: want %s or %s", c.Scenario, scenarioDirectory, scenarioMatch)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	if c.Nodes <= 0 {
		c.Nodes = 3
	}
	if c.NATSServers <= 0 {
		c.NATSServers = 3
	}
	if c.Rate <= 0 {
		c.Rate = 50
	}
	if c.MaxInflight <= 0 {
		c.MaxInflight = 5000
	}
	if c.RoomSize <= 0 {
		c.RoomSize = 10
	}
	if c.SnapshotBytes <= 0 {
		c.SnapshotBytes = 600
	}
	def(&c.Hold, 5*time.Second)
	def(&c.SnapshotEvery, 2*time.Second)
	def(&c.HeartbeatTTL, 5*time.Second)
	def(&c.IdleRoomTTL, 2*time.Second)
	def(&c.Warmup, 3*time.Second)
	def(&c.Duration, 10*time.Second)
	return c, nil
}

// Run starts the NATS child and cfg.Nodes light nodes, offers the
// scenario's load for Warmup+Duration, measures the Duration window and
// stops everything.
func Run(ctx context.Context, cfg Config) (Report, error) {
	cfg, err := cfg.normalize()
	if err != nil {
		return Report{}, err
	}
	rep := Report{Scenario: cfg.Scenario, Nodes: cfg.Nodes, NATSServers: cfg.NATSServers, OfferedRate: cfg.Rate,
		HoldS: cfg.Hold.Seconds(), RoomSize: cfg.RoomSize, SnapBytes: cfg.SnapshotBytes,
		SnapEveryS: cfg.SnapshotEvery.Seconds(), HeartbeatS: cfg.HeartbeatTTL.Seconds(), Ops: map[string]OpReport{}}
	began := time.Now()
	np, err := startNATS(ctx, cfg.NATSServers)
	if err != nil {
		return rep, err
	}
	defer np.stop()
	f, err := startFleet(ctx, fleetConfig{nats: np.URLs, token: np.Token, nodes: cfg.Nodes, ttl: cfg.HeartbeatTTL,
		roomSize: cfg.RoomSize, snapBytes: cfg.SnapshotBytes, snapEvery: cfg.SnapshotEvery, idleRoomTTL: cfg.IdleRoomTTL, log: cfg.Log})
	if err != nil {
		return rep, err
	}
	defer f.close()
	obs, err := nats.Connect(np.URLs, nats.Token(np.Token), nats.Name("clustersim observer"))
	if err != nil {
		return rep, err
	}
	defer obs.Close()
	js, err := jetstream.New(obs)
	if err != nil {
		return rep, err
	}
	smp := &sampler{nats: np, js: js, hc: &http.Client{Timeout: 10 * time.Second}}
	rep.StartupS = loadstat.Round3(time.Since(began).Seconds())

	var w window
	start := time.Now().Add(cfg.Warmup)
	w.set(start, start.Add(cfg.Duration))
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	var load workload
	switch cfg.Scenario {
	case scenarioDirectory:
		load = newDirectoryLoad(f, cfg, &w)
	default:
		if load, err = newMatchLoad(runCtx, f, js, cfg, &w); err != nil {
			return rep, err
		}
	}
	arr := arrivals{rate: cfg.Rate, max: cfg.MaxInflight, w: &w}
	var drivers sync.WaitGroup
	drivers.Go(func() { arr.run(runCtx, start.Add(cfg.Duration), load.session) })

	var a, b sample
	if !sleepUntil(ctx, start) {
		return rep, ctx.Err()
	}
	if a, err = smp.take(ctx); err != nil {
		return rep, err
	}
	if !sleepUntil(ctx, start.Add(cfg.Duration)) {
		return rep, ctx.Err()
	}
	if b, err = smp.take(ctx); err != nil {
		return rep, err
	}
	rep.LoadAvg = loadAvg()
	if rooms, err := f.nodes[0].node.Directory().Rooms(ctx, ""); err == nil {
		rep.Rooms = len(rooms)
	}
	stopRun()
	drivers.Wait()
	load.stop()

	secs := b.at.Sub(a.at).Seconds()
	rep.WindowS = loadstat.Round3(secs)
	rep.Started, rep.Dropped = arr.started.Load(), arr.dropped.Load()
	rep.NATS, rep.Node = diffNATS(a, b)
	rep.NodesCPUCores = loadstat.Round3((b.selfCPU - a.selfCPU).Seconds() / secs)
	per := load.report(&rep, secs)
	rep.PerBatch = perBatch(rep, per, secs)
	return rep, nil
}

// perBatch divides the window's costs by n units per second.
func perBatch(r Report, n, secs float64) PerBatch {
	if n <= 0 {
		return PerBatch{}
	}
	var writes float64
	for _, v := range r.NATS.StreamWritesPerSec {
		writes += v
	}
	q := func(v float64) float64 { return loadstat.Round3(v / n) }
	_ = secs
	return PerBatch{
		NATSCPUus:          q(r.NATS.CPUCores * 1e6),
		NodesCPUus:         q(r.NodesCPUCores * 1e6),
		NATSInBytes:        q(r.NATS.InBytesPerSec),
		NATSOutBytes:       q(r.NATS.OutBytesPerSec),
		Deliveries:         q(r.NATS.ClientOutMsgsPerSec),
		DeliveredBytes:     q(r.NATS.ClientOutBytesPerSec),
		StreamWrites:       q(writes),
		DeliveriesPerNode:  q(r.Node.DeliveredMsgsPerSec),
		DeliveredBytesNode: q(r.Node.DeliveredBytesPerSec),
	}
}

// workload is a scenario's players.
type workload interface {
	// session is one arrival: a player's session or ticket. It returns
	// when done or when ctx ends.
	session(ctx context.Context)
	// stop ends what the workload runs besides sessions.
	stop()
	// report fills r's Ops and returns the units per second PerBatch
	// divides by.
	report(r *Report, secs float64) float64
}

// arrivals starts sessions open-loop at rate per second until until,
// each on its own goroutine, which it waits for.
type arrivals struct {
	rate             float64
	max              int
	w                *window
	started, dropped atomic.Int64
}

func (a *arrivals) run(ctx context.Context, until time.Time, session func(context.Context)) {
	var wg sync.WaitGroup
	defer wg.Wait()
	sem := make(chan struct{}, a.max)
	t0 := time.Now()
	for i := 0; ; i++ {
		due := t0.Add(time.Duration(float64(i) / a.rate * float64(time.Second)))
		if !due.Before(until) || !sleepUntil(ctx, due) {
			return
		}
		select {
		case sem <- struct{}{}:
			if a.w.inside(due) {
				a.started.Add(1)
			}
			wg.Go(func() {
				defer func() { <-sem }()
				session(ctx)
			})
		default:
			if a.w.inside(due) {
				a.dropped.Add(1)
			}
		}
	}
}

// sleepUntil waits until t or ctx's end and reports whether ctx is alive.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// pick returns a random node.
func (f *fleet) pick() *simNode { return f.nodes[rand.IntN(len(f.nodes))] }

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/url"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/tickwire/tickwire/examples/arena"
	"github.com/tickwire/tickwire/examples/crossword"
)

// Server kinds for -server.
const (
	serverDemo  = "demo"  // go build ./examples/demo, run it as a child
	serverBench = "bench" // this binary re-executed as a server hosting the arena at -hz
)

// config is the bench's command line. Its zero value is not useful: use
// parseFlags, which fills in the defaults documented on each flag.
type config struct {
	scenario string
	clients  int
	rooms    int
	hz       int
	duration time.Duration
	warmup   time.Duration
	ramp     float64 // connections per second
	inputHz  float64
	pingIval time.Duration
	grace    time.Duration

	addr      string // external server: host:port or http(s):// URL; empty starts a child
	serverPID int    // external server's pid, for CPU/RSS; 0 looks it up
	server    string // child kind: serverDemo or serverBench
	serverBin string // prebuilt demo binary; empty builds one

	jsonPath string
	plotPath string
	quiet    bool

	findCapacity bool
	targetP99    time.Duration // 0: 0.99·period + 5 ms
	capFactor    float64
	capAdd       int
	capMax       int
	capRetries   int

	pollers    int    // client engine pollers
	senders    int    // input scheduler goroutines
	cpuProfile string // the bench's own CPU profile
	srvProfile string // the -server bench child's CPU profile
	srvPollers int    // the -server bench child's nbio pollers
	srvPrecise bool   // the -server bench child's tick.Options.PreciseTimers

	playShare float64 // crossword: share of inputs that try to play

	floor           bool // after the run, the floor scenario at the same rates
	floorFrameBytes int  // the floor's state message size; 0: the arena's
	floorInputBytes int  // the floor's input message size; 0: the arena's

	verify bool // arena: full clients that apply every frame to a replica

	// The soak (-scenario soak): mean time between churn events of each
	// kind per bot (0: never), the longest pause of a dropped bot, the
	// sampling interval and the churn schedules' seed.
	leaveEvery     time.Duration
	reconnectEvery time.Duration
	dropEvery      time.Duration
	dropPause      time.Duration
	sampleEvery    time.Duration
	seed           uint64

	// The failover (-scenario failover): demo nodes in the cluster, when
	// into the window one is killed, how (kill or drain), which (0-based),
	// and the nodes' heartbeat TTL.
	nodes        int
	killAt       time.Duration
	killMode     string
	killNode     int
	heartbeatTTL time.Duration
	nodeLogs     string        // a directory for each node's whole log; empty: none
	rejoinRetry  time.Duration // client.Rejoin's retry; 0: its default
	// natsInProcess runs the NATS servers in this process (natstest.Start)
	// instead of child processes.
	natsInProcess bool

	serverCPUs cpuList // the child server's CPUs (-server-cpus); nil: any
	benchCPUs  cpuList // this process's CPUs (-bench-cpus); nil: any

	args []string // the command line, for the report
}

// enginePollers is the client engine's poller count. nbio's pollers block
// in epoll_wait holding their P until sysmon takes it back, which can take
// up to 10 ms on a quiet process; with a poller per P the schedulers'
// timers then fire that late (send lag p99 10.4 ms against 1.2 ms with one
// P left free, 100 clients at 60 Hz on 2 cores). So one P stays free.
func (c *config) enginePollers() int {
	if c.pollers > 0 {
		return c.pollers
	}
	return max(runtime.GOMAXPROCS(0)-1, 1)
}

// period is the tick period of the rooms asked for.
func (c *config) period() time.Duration { return time.Second / time.Duration(c.hz) }

// inputPeriod is the time between two inputs of one client.
func (c *config) inputPeriod() time.Duration {
	return time.Duration(float64(time.Second) / c.inputHz)
}

// target is the p99 input-to-state latency a capacity step must stay under.
func (c *config) target() time.Duration {
	if c.targetP99 > 0 {
		return c.targetP99
	}
	return floorP99(c.period()) + 5*time.Millisecond
}

// floorP99 is the p99 of the wait for the next tick alone: inputs arrive
// uniformly within a period, so 99% of them wait at most 0.99 of it.
func floorP99(period time.Duration) time.Duration { return period * 99 / 100 }

// perRoom is the number of players in the fullest room.
func (c *config) perRoom() int { return (c.clients + c.rooms - 1) / c.rooms }

// usage is printed before the flag list by -help.
const usage = `Usage: go run ./bench [flags]

Loads a Tickwire server with thousands of WebSocket clients and measures
input-to-state latency (coordinated-omission corrected), RTT, tick duration
and jitter, server CPU and RSS, and bytes per client. Without -addr it
builds the demo and runs it in a child process. See bench/README.md.

Flags:
`

// parseFlags parses args into a config and validates it; every problem is
// reported with its flag's name.
func parseFlags(args []string, out io.Writer) (*config, error) {
	c := &config{args: append([]string(nil), args...)}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprint(out, usage)
		fs.PrintDefaults()
	}
	fs.StringVar(&c.scenario, "scenario", "arena", "load to run: "+strings.Join(scenarioNames(), ", "))
	fs.IntVar(&c.clients, "clients", 1000, "WebSocket clients (each one player)")
	fs.IntVar(&c.rooms, "rooms", 20, "rooms (arena): the first client of each creates it, the others join by id")
	fs.IntVar(&c.hz, "hz", arena.TickHz, "tick rate of the rooms; the demo creates arena rooms at 20 Hz only (see -server)")
	fs.DurationVar(&c.duration, "duration", 30*time.Second, "measured window")
	fs.DurationVar(&c.warmup, "warmup", 5*time.Second, "inputs flow this long before the measured window")
	fs.Float64Var(&c.ramp, "ramp", 1000, "connections opened per second")
	fs.Float64Var(&c.inputHz, "input-hz", 20, "inputs per second per client (arena)")
	fs.DurationVar(&c.pingIval, "ping-interval", time.Second, "Ping envelope interval per client, for RTT (idle: 10s unless set)")
	fs.DurationVar(&c.grace, "grace", 2*time.Second, "after the window, how long inputs may still be acknowledged before they count as lost")
	fs.StringVar(&c.addr, "addr", "", "an already running server (host:port or http://host:port), or several nodes of a cluster, comma-separated (arena: room slot r on node r mod n); empty starts one in a child process")
	fs.IntVar(&c.serverPID, "server-pid", 0, "with -addr: the server's pid for CPU and RSS (0: find the process listening on the port)")
	fs.StringVar(&c.server, "server", serverDemo, "child server without -addr: demo (examples/demo) or bench (the same server packages, rooms created at -hz)")
	fs.StringVar(&c.serverBin, "server-bin", "", "prebuilt demo binary for -server demo (empty: go build ./examples/demo)")
	fs.StringVar(&c.jsonPath, "json", "", "write the report as JSON to this file")
	fs.StringVar(&c.plotPath, "plot", "", "write plots (latency histogram, latency and CPU over time, capacity) to this .png or .svg file")
	fs.BoolVar(&c.quiet, "quiet", false, "no progress lines on stderr")
	fs.BoolVar(&c.findCapacity, "find-capacity", false, "raise -clients step by step until p99 exceeds -target-p99-ms or ticks overrun")
	var targetMs float64
	fs.Float64Var(&targetMs, "target-p99-ms", 0, "capacity target for p99 input-to-state latency in ms (0: 0.99·period + 5 ms)")
	fs.Float64Var(&c.capFactor, "capacity-factor", 1.5, "capacity search: multiply clients by this each step")
	fs.IntVar(&c.capAdd, "capacity-add", 0, "capacity search: add this many clients each step instead of multiplying")
	fs.IntVar(&c.capMax, "capacity-max", 15000, "capacity search: stop at this many clients")
	fs.IntVar(&c.capRetries, "capacity-retries", 2, "capacity search: run a failing step again, up to this many times, when other processes used over 25% CPU during it")
	fs.IntVar(&c.pollers, "pollers", 0, "client engine poller goroutines (0: GOMAXPROCS-1, at least 1)")
	fs.IntVar(&c.senders, "senders", 2, "input scheduler goroutines")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write the bench's own CPU profile (the load generator, not the server) to this file")
	fs.StringVar(&c.srvProfile, "server-cpuprofile", "", "with -server bench or -scenario floor: write the server's CPU profile to this file (with -floor, the floor server's to NAME-floor.EXT)")
	fs.IntVar(&c.srvPollers, "server-pollers", 0, "with -server bench: the server's nbio pollers (0: server.DefaultPollers(), one per four cores)")
	fs.BoolVar(&c.srvPrecise, "server-precise-timers", false, "with -server bench: tick.Options.PreciseTimers (rooms woken by timer goroutines that sleep the last 2 ms in the kernel)")
	fs.Float64Var(&c.playShare, "play-share", 0.1, "crossword: share of a bot's inputs that try to play a word (the others pan its view)")
	fs.BoolVar(&c.floor, "floor", false, "after the run, run the floor scenario (a bare WebSocket server, no rooms, no protobuf) at the same clients and rates and report server CPU per player against it")
	fs.IntVar(&c.floorFrameBytes, "floor-frame-bytes", 0, "floor: state message size in bytes (0: with -floor the arena run's mean frame, else an arena delta of clients/rooms players)")
	fs.IntVar(&c.floorInputBytes, "floor-input-bytes", 0, "floor: input message size in bytes (0: with -floor the arena run's mean input, else an arena input's size)")
	fs.BoolVar(&c.verify, "verify", false, "arena: full clients that decode every state frame and apply it to a replica of the room (the lean default reads only each frame's tick and last_input_seq)")
	fs.DurationVar(&c.leaveEvery, "leave-every", 60*time.Second, "soak: mean time between a bot's leaving its room and joining another (0: never)")
	fs.DurationVar(&c.reconnectEvery, "reconnect-every", 90*time.Second, "soak: mean time between a bot's clean reconnects (close 1000, then back to its seat with its token; 0: never)")
	fs.DurationVar(&c.dropEvery, "drop-every", 120*time.Second, "soak: mean time between a bot's abrupt drops (TCP FIN or RST without a close frame, back to its seat after a pause; 0: never)")
	fs.DurationVar(&c.dropPause, "drop-pause", 3*time.Second, "soak: a dropped bot comes back after a pause of 100ms up to this, within the arena's reconnection grace")
	fs.DurationVar(&c.sampleEvery, "sample-every", 10*time.Second, "soak: sample the server (goroutines, sessions, RSS, tick p99) and the bots' inputs this often")
	fs.Uint64Var(&c.seed, "seed", 1, "soak: seed of the bots' churn schedules")
	fs.IntVar(&c.nodes, "nodes", 3, "failover: demo nodes in the cluster (child processes)")
	fs.DurationVar(&c.killAt, "kill-at", 20*time.Second, "failover: when into the measured window one node is killed or drained")
	fs.StringVar(&c.killMode, "kill-mode", killModeKill, "failover: kill (SIGKILL: the node dies), drain (SIGTERM: it migrates its rooms and leaves) or none (no fault: the cluster's load, CPU per player per node and NATS traffic, for comparing -nodes 1 with 3)")
	fs.IntVar(&c.killNode, "kill-node", 0, "failover: which node (0-based) is killed; node 0 starts first and normally leads the matchmaker")
	fs.DurationVar(&c.heartbeatTTL, "heartbeat-ttl", 2*time.Second, "failover: the nodes' -heartbeat-ttl (a node silent this long is dead)")
	fs.DurationVar(&c.rejoinRetry, "rejoin-retry", 0, "failover: the bots' client.Rejoin retry interval (0: client.Rejoin's default)")
	fs.StringVar(&c.nodeLogs, "node-logs", "", "failover: write each node's whole log (JSON lines) to DIR/nodeN.log")
	fs.BoolVar(&c.natsInProcess, "nats-in-process", false, "failover: run the 3 NATS servers inside the bench (natstest) instead of child processes; the bots' CPU then delays the cluster's heartbeats")
	var serverCPUs, benchCPUs string
	fs.StringVar(&serverCPUs, "server-cpus", "", "run the child server on these CPUs only (taskset list: 0 or 0,2-3); the report adds players_per_server_core")
	fs.StringVar(&benchCPUs, "bench-cpus", "", "run the load generator (this process) on these CPUs only; disjoint from -server-cpus")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	var cpuErrs []string
	var err error
	if c.serverCPUs, err = parseCPUList(serverCPUs); err != nil {
		cpuErrs = append(cpuErrs, "-server-cpus "+err.Error())
	}
	if c.benchCPUs, err = parseCPUList(benchCPUs); err != nil {
		cpuErrs = append(cpuErrs, "-bench-cpus "+err.Error())
	}
	if len(cpuErrs) > 0 {
		return nil, errors.New(strings.Join(cpuErrs, "; "))
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if c.scenario == "idle" && !set["ping-interval"] {
		c.pingIval = 10 * time.Second
	}
	if c.scenario == "crossword" { // the world's rate, one action a second, one world
		if !set["hz"] {
			c.hz = crossword.TickHz
		}
		if !set["input-hz"] {
			c.inputHz = 1
		}
		if !set["rooms"] {
			c.rooms = 1
		}
	}
	if !math.IsNaN(targetMs) && !math.IsInf(targetMs, 0) {
		c.targetP99 = time.Duration(targetMs * float64(time.Millisecond))
	}
	if targetMs < 0 || math.IsNaN(targetMs) || math.IsInf(targetMs, 0) {
		return nil, fmt.Errorf("-target-p99-ms %g: want >= 0", targetMs)
	}
	if err := c.validate(set); err != nil {
		return nil, err
	}
	return c, nil
}

// maxInputHz keeps a client under the server's default 200 messages/s per
// session with room for pings.
const maxInputHz = 150

// validate returns every problem with the config, each naming its flag.
func (c *config) validate(set map[string]bool) error {
	var errs []string
	bad := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	sc, ok := scenarios[c.scenario]
	switch {
	case !ok:
		bad("-scenario %q: want one of %s", c.scenario, strings.Join(scenarioNames(), ", "))
	case sc.unavailable != "":
		bad("-scenario %s: not available yet: %s", c.scenario, sc.unavailable)
	}
	if c.clients < 1 {
		bad("-clients %d: want >= 1", c.clients)
	}
	if c.rooms < 1 {
		bad("-rooms %d: want >= 1", c.rooms)
	} else if (c.scenario == "arena" || c.scenario == "floor" || c.scenario == "soak" || c.scenario == "failover") && c.clients >= 1 {
		if c.rooms > c.clients {
			bad("-rooms %d: more rooms than -clients %d", c.rooms, c.clients)
		} else if n := c.perRoom(); n > arena.MaxPlayers && c.scenario != "floor" {
			bad("-clients %d / -rooms %d: %d players in a room, the arena seats at most %d", c.clients, c.rooms, n, arena.MaxPlayers)
		}
	}
	if c.scenario == "crossword" {
		if c.rooms != 1 {
			bad("-rooms %d: the crossword has one world (-rooms 1)", c.rooms)
		}
		if c.hz != crossword.TickHz {
			bad("-hz %d: the crossword world ticks at %d Hz", c.hz, crossword.TickHz)
		}
	}
	if !(c.playShare >= 0 && c.playShare <= 1) {
		bad("-play-share %g: want 0..1", c.playShare)
	}
	if c.hz < 1 || c.hz > 120 {
		bad("-hz %d: want 1..120", c.hz)
	}
	if c.duration <= 0 {
		bad("-duration %v: want > 0", c.duration)
	}
	if c.warmup < 0 {
		bad("-warmup %v: want >= 0", c.warmup)
	}
	if !(c.ramp > 0) || math.IsInf(c.ramp, 0) {
		bad("-ramp %g: want > 0 connections per second", c.ramp)
	}
	if !(c.inputHz > 0) || c.inputHz > maxInputHz {
		bad("-input-hz %g: want > 0 and <= %d (the server allows 200 messages/s per session)", c.inputHz, maxInputHz)
	}
	if c.pingIval < 10*time.Millisecond {
		bad("-ping-interval %v: want >= 10ms", c.pingIval)
	}
	if c.grace < 0 {
		bad("-grace %v: want >= 0", c.grace)
	}
	if !slices.Contains([]string{serverDemo, serverBench}, c.server) {
		bad("-server %q: want demo or bench", c.server)
	}
	if c.addr != "" {
		for _, a := range strings.Split(c.addr, ",") {
			if _, _, err := splitAddr(a); err != nil {
				bad("-addr %q: %v", a, err)
			}
		}
		if strings.Contains(c.addr, ",") && c.scenario != "arena" {
			bad("-addr with several nodes: only -scenario arena spreads its rooms over them")
		}
		if set["server"] || set["server-bin"] {
			bad("-server and -server-bin start a child server: not with -addr")
		}
	} else if c.serverPID != 0 {
		bad("-server-pid %d: only with -addr", c.serverPID)
	}
	if c.addr == "" && c.server == serverDemo && c.hz != arena.TickHz && (c.scenario == "arena" || c.scenario == "soak" || c.scenario == "failover") {
		bad("-hz %d: the demo creates arena rooms at %d Hz and JoinRoom has no tick rate field yet; use -server bench to run the same server packages with rooms at -hz", c.hz, arena.TickHz)
	}
	if c.srvProfile != "" && (c.server != serverBench || c.addr != "") && (c.scenario != "floor" || c.addr != "") {
		bad("-server-cpuprofile: only with -server bench or -scenario floor (the demo has no profiling flag)")
	}
	if c.srvPollers != 0 && ((c.server != serverBench && c.scenario != "floor") || c.addr != "" || c.srvPollers < 0) {
		bad("-server-pollers %d: only with -server bench, and >= 1", c.srvPollers)
	}
	if c.srvPrecise && (c.server != serverBench || c.addr != "") {
		bad("-server-precise-timers: only with -server bench")
	}
	if c.floor {
		switch {
		case c.scenario != "arena":
			bad("-floor: only with -scenario arena (the floor copies the arena's rates)")
		case c.findCapacity:
			bad("-floor: not with -find-capacity")
		case c.addr != "":
			bad("-floor: not with -addr (the floor's bare server runs as a child process)")
		}
	}
	if c.floorFrameBytes != 0 && (c.floorFrameBytes < floorHead || c.floorFrameBytes > 1<<20) {
		bad("-floor-frame-bytes %d: want %d..%d", c.floorFrameBytes, floorHead, 1<<20)
	}
	if c.floorInputBytes != 0 && (c.floorInputBytes < floorHead || c.floorInputBytes > 64<<10) {
		bad("-floor-input-bytes %d: want %d..%d", c.floorInputBytes, floorHead, 64<<10)
	}
	if c.scenario == "floor" && c.addr == "" && (set["server"] || set["server-bin"] || c.srvPrecise) {
		bad("-scenario floor runs its own bare server (the bench's server role with -floor): -server, -server-bin and -server-precise-timers do not apply")
	}
	if c.serverBin != "" && c.server != serverDemo {
		bad("-server-bin is a demo binary: only with -server demo")
	}
	if c.plotPath != "" && !slices.Contains(plotFormats, strings.ToLower(filepath.Ext(c.plotPath))) {
		bad("-plot %q: want a .png or .svg file", c.plotPath)
	}
	if c.findCapacity {
		if c.capAdd < 0 {
			bad("-capacity-add %d: want >= 0", c.capAdd)
		}
		if c.capAdd == 0 && !(c.capFactor > 1) {
			bad("-capacity-factor %g: want > 1 (or set -capacity-add)", c.capFactor)
		}
		if c.capRetries < 0 {
			bad("-capacity-retries %d: want >= 0", c.capRetries)
		}
		if c.capMax < c.clients {
			bad("-capacity-max %d: below -clients %d", c.capMax, c.clients)
		}
	}
	c.validateCPUs(bad, allowedCPUs())
	if c.verify && c.scenario != "arena" {
		bad("-verify: only with -scenario arena (the crossword's bots always keep replicas)")
	}
	if c.scenario == "soak" {
		c.validateSoak(bad, set)
	}
	if c.scenario == "failover" {
		c.validateFailover(bad)
	}
	if c.pollers < 0 || c.pollers > 64 {
		bad("-pollers %d: want 0..64", c.pollers)
	}
	if c.senders < 1 || c.senders > 64 {
		bad("-senders %d: want 1..64", c.senders)
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// validateSoak checks the soak's flags.
func (c *config) validateSoak(bad func(string, ...any), set map[string]bool) {
	for _, f := range []struct {
		name string
		v    time.Duration
	}{{"-leave-every", c.leaveEvery}, {"-reconnect-every", c.reconnectEvery}, {"-drop-every", c.dropEvery}} {
		if f.v < 0 {
			bad("%s %v: want >= 0 (0: never)", f.name, f.v)
		}
	}
	if c.dropPause < soakMinPause || c.dropPause > arena.ReconnectGrace-2*time.Second {
		bad("-drop-pause %v: want %v..%v, within the arena's %v reconnection grace with room to dial and join", c.dropPause, soakMinPause, arena.ReconnectGrace-2*time.Second, arena.ReconnectGrace)
	}
	if c.sampleEvery < time.Second {
		bad("-sample-every %v: want >= 1s", c.sampleEvery)
	}
	if c.addr == "" && c.server != serverDemo {
		bad("-scenario soak: -server %s has no lobby, so a bot cannot come back as the same player: use the demo (the default) or -addr", c.server)
	}
	if c.findCapacity {
		bad("-find-capacity: not with -scenario soak")
	}
	if c.plotPath != "" {
		bad("-plot: not with -scenario soak (its series are in the JSON report's soak.samples)")
	}
	if set["warmup"] {
		bad("-warmup: not with -scenario soak (the soak samples from the end of the ramp)")
	}
}

// validateFailover checks the failover's flags.
func (c *config) validateFailover(bad func(string, ...any)) {
	if c.killMode != killModeKill && c.killMode != killModeDrain && c.killMode != killModeNone {
		bad("-kill-mode %q: want kill, drain or none", c.killMode)
	}
	if c.killMode == killModeNone {
		if c.nodes < 1 || c.nodes > 16 {
			bad("-nodes %d: want 1..16", c.nodes)
		}
	} else if c.nodes < 2 || c.nodes > 16 {
		bad("-nodes %d: want 2..16 (a room needs another node to go to)", c.nodes)
	}
	if c.killNode < 0 || c.killNode >= c.nodes {
		bad("-kill-node %d: want 0..%d", c.killNode, c.nodes-1)
	}
	if c.heartbeatTTL < 500*time.Millisecond || c.heartbeatTTL > time.Minute {
		bad("-heartbeat-ttl %v: want 500ms..1m", c.heartbeatTTL)
	}
	// A room is recoverable once it saved a snapshot.
	if minKill := arena.SnapshotEvery + time.Second; c.killMode == killModeNone {
		// no fault: -kill-at plays no part
	} else if c.killAt < minKill {
		bad("-kill-at %v: want >= %v, so that every room saved a snapshot (every %v) before it", c.killAt, minKill, arena.SnapshotEvery)
	} else if c.killAt >= c.duration {
		bad("-kill-at %v: want it within -duration %v", c.killAt, c.duration)
	} else if c.duration-c.killAt < failoverAfterKill {
		bad("-duration %v: want at least %v after -kill-at %v: players still out when the window ends count as never back", c.duration, failoverAfterKill, c.killAt)
	}
	if c.addr != "" {
		bad("-addr: not with -scenario failover (it starts its own cluster)")
	}
	if c.server != serverDemo {
		bad("-server %s: the failover runs demo nodes (cluster mode needs the lobby)", c.server)
	}
	if c.findCapacity || c.floor || c.verify || c.plotPath != "" {
		bad("-find-capacity, -floor, -verify and -plot: not with -scenario failover")
	}
}

// validateCPUs checks -server-cpus and -bench-cpus against each other
// and against the CPUs this process may use (allowed; nil: unknown).
func (c *config) validateCPUs(bad func(string, ...any), allowed cpuList) {
	for _, f := range []struct {
		name string
		l    cpuList
	}{{"-server-cpus", c.serverCPUs}, {"-bench-cpus", c.benchCPUs}} {
		for _, cpu := range f.l {
			if allowed != nil && !slices.Contains(allowed, cpu) {
				bad("%s %s: CPU %d is not available (this process may use %s)", f.name, f.l, cpu, allowed)
				break
			}
		}
	}
	if c.serverCPUs.overlaps(c.benchCPUs) {
		bad("-server-cpus %s and -bench-cpus %s overlap: give the server and the load generator disjoint CPUs", c.serverCPUs, c.benchCPUs)
	}
	if len(c.serverCPUs) > 0 && c.addr != "" {
		bad("-server-cpus: only for a child server, not with -addr")
	}
}

// splitAddr turns -addr into the server's HTTP base URL and its /ws URL.
func splitAddr(addr string) (httpBase, wsURL string, err error) {
	scheme := "http"
	host := addr
	if strings.Contains(addr, "://") {
		u, err := url.Parse(addr)
		if err != nil {
			return "", "", err
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			return "", "", fmt.Errorf("scheme %q: want http or https", u.Scheme)
		}
		scheme, host = u.Scheme, u.Host
	}
	if _, _, err := net.SplitHostPort(host); err != nil {
		return "", "", fmt.Errorf("want host:port: %w", err)
	}
	ws := "ws"
	if scheme == "https" {
		ws = "wss"
	}
	return scheme + "://" + host + "/", ws + "://" + host + "/ws", nil
}

// commandLine is the command as a user would type it again.
func (c *config) commandLine() string {
	parts := []string{"go run ./bench"}
	for _, a := range c.args {
		if strings.ContainsAny(a, " \t\"'") {
			a = fmt.Sprintf("%q", a)
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

// floorConfig is the config of the floor run that follows a -floor run:
// the same clients, groups, rates and phases, with the arena's measured
// message sizes (rep), against a bare server in a child process.
func (c *config) floorConfig(rep *Report) *config {
	d := *c
	d.scenario, d.floor = "floor", false
	d.jsonPath, d.plotPath, d.cpuProfile = "", "", ""
	if c.srvProfile != "" { // the floor server's profile beside the arena's
		ext := filepath.Ext(c.srvProfile)
		d.srvProfile = strings.TrimSuffix(c.srvProfile, ext) + "-floor" + ext
	}
	d.srvPrecise = false
	if d.floorInputBytes == 0 && rep.InputMsgBytes > 0 {
		d.floorInputBytes = int(math.Round(rep.InputMsgBytes))
	}
	if d.floorFrameBytes == 0 && rep.StateMsgBytes > 0 {
		d.floorFrameBytes = int(math.Round(rep.StateMsgBytes))
	}
	return &d
}

// withClients returns a copy of c for a capacity step of n clients, keeping
// the players per room of c.
func (c *config) withClients(n int) *config {
	d := *c
	d.clients = n
	if c.scenario == "arena" || c.scenario == "floor" {
		per := c.perRoom()
		d.rooms = (n + per - 1) / per
	}
	return &d
}

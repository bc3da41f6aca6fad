package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tickwire/tickwire/client"
)

// result is one case: one server, one scenario, one size.
type result struct {
	Scenario    string  `json:"scenario"`
	Server      string  `json:"server"`
	Kind        string  `json:"kind"`
	Round       int     `json:"round,omitempty"`
	Tries       int     `json:"tries,omitempty"`
	Path        string  `json:"path"`
	Conns       int     `json:"conns"`
	Opened      int     `json:"opened"`
	Failed      int     `json:"failed"`
	DialSeconds float64 `json:"dial_seconds"`
	Error       string  `json:"error,omitempty"`
	// BusyBeforePct is how busy other processes kept the machine just
	// before the case (% of one core; -1 when not sampled).
	BusyBeforePct float64       `json:"machine_busy_before_pct"`
	Idle          *idleResult   `json:"idle,omitempty"`
	Active        *activeResult `json:"active,omitempty"`
}

// idleResult is the memory held by idle connections. "Natural" figures
// are taken after the settle with no forced GC (what a running server
// costs, garbage and GC headroom included); the GC figures after
// runtime.GC + debug.FreeOSMemory in the server (what is live).
type idleResult struct {
	Welcomes          int64   `json:"welcomes"`
	RSSBaseKB         int64   `json:"rss_base_kb"`
	RSSKB             int64   `json:"rss_kb"`
	BytesPerConn      float64 `json:"bytes_per_conn"`
	RSSBaseGCKB       int64   `json:"rss_base_gc_kb"`
	RSSGCKB           int64   `json:"rss_gc_kb"`
	BytesPerConnGC    float64 `json:"bytes_per_conn_gc"`
	HeapBytesPerConn  float64 `json:"heap_inuse_bytes_per_conn"`
	StackBytesPerConn float64 `json:"stack_inuse_bytes_per_conn"`
	Goroutines        int     `json:"goroutines"`
	IdleCPUPct        float64 `json:"idle_server_cpu_pct"`
	Closed            int     `json:"closed_during_settle"`
}

// activeResult is one echo load window.
type activeResult struct {
	Rate       float64 `json:"rate_per_conn"`
	DurationS  float64 `json:"duration_s"`
	MsgSize    int     `json:"msg_size"`
	Sent       int64   `json:"sent"`
	Received   int64   `json:"received"`
	Lost       int64   `json:"lost"`
	SendErrors int64   `json:"send_errors"`
	Closed     int     `json:"closed"`
	CloseError string  `json:"close_error,omitempty"`
	MaxLagMs   float64 `json:"max_send_lag_ms"`
	LatencyMs  latency `json:"latency_ms"`
	CPU        cpuUse  `json:"cpu"`
	RSSKB      int64   `json:"server_rss_kb"`
}

// pathFor is the endpoint a server's connections open.
func pathFor(kind, tickwirePath string) string {
	if isTickwire(kind) {
		return tickwirePath
	}
	return "/echo"
}

// runIdle measures memory per idle connection: RSS with n connections
// open and settled, minus RSS before any, divided by n.
func runIdle(cfg *config, spec serverSpec, n int) (r result) {
	kind := spec.Label
	r = result{Scenario: "idle", Server: spec.Label, Kind: spec.Kind, Path: pathFor(spec.Kind, cfg.tickwireIdle), Conns: n}
	label := fmt.Sprintf("idle %s %d", kind, n)
	fmt.Fprintf(os.Stderr, "%s: starting\n", label)
	fail := func(err error) result {
		r.Error = err.Error()
		fmt.Fprintf(os.Stderr, "%s: FAILED: %v\n", label, err)
		return r
	}
	// With profiles asked for, sample every 512 bytes allocated rather
	// than every 512 KiB: per-connection objects are small.
	memRate := 0
	if cfg.profileDir != "" {
		memRate = 512
	}
	ch, err := startChild(spec, cfg.pollers, memRate, cfg.serverEnv)
	if err != nil {
		return fail(err)
	}
	defer ch.stop()
	pid := ch.pid()
	time.Sleep(time.Second)
	ir := &idleResult{}
	var err1, err2 error
	ir.RSSBaseKB, err1 = rssKB(pid)
	err2 = ch.gc()
	if err := errors.Join(err1, err2); err != nil {
		return fail(err)
	}
	ir.RSSBaseGCKB, err = rssKB(pid)
	if err != nil {
		return fail(err)
	}
	st0, err := ch.stats()
	if err != nil {
		return fail(err)
	}

	eng, err := client.NewEngine(cfg.clientPollers)
	if err != nil {
		return fail(err)
	}
	defer eng.Close()
	rec := newRecorder(0)
	d := dialFleet(eng, "ws://"+ch.addr+r.Path, n, cfg.dialConcurrency, cfg.dialLimit, rec, label)
	r.Opened, r.Failed, r.DialSeconds = len(d.conns), d.failed, d.took.Seconds()
	fmt.Fprintf(os.Stderr, "%s: %d open in %.1fs, %d failed\n", label, r.Opened, r.DialSeconds, r.Failed)
	if r.Failed > 0 {
		return fail(fmt.Errorf("%d of %d connections failed, first: %v", r.Failed, n, d.firstErr))
	}
	if r.Path == "/ws" {
		deadline := time.Now().Add(30 * time.Second)
		for rec.welcomes.Load() < int64(r.Opened) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if w := rec.welcomes.Load(); w < int64(r.Opened) {
			return fail(fmt.Errorf("only %d of %d sessions got a Welcome", w, r.Opened))
		}
	}
	ir.Welcomes = rec.welcomes.Load()

	meter := startCPUMeter(pid)
	time.Sleep(cfg.settle)
	use, err := meter.stop()
	if err != nil {
		return fail(err)
	}
	ir.IdleCPUPct = use.ServerPct
	if ir.RSSKB, err = rssKB(pid); err != nil {
		return fail(err)
	}
	if err := ch.gc(); err != nil {
		return fail(err)
	}
	if ir.RSSGCKB, err = rssKB(pid); err != nil {
		return fail(err)
	}
	st, err := ch.stats()
	if err != nil {
		return fail(err)
	}
	ir.Closed, _ = closedCount(d.conns)
	open := float64(r.Opened)
	ir.BytesPerConn = float64(ir.RSSKB-ir.RSSBaseKB) * 1024 / open
	ir.BytesPerConnGC = float64(ir.RSSGCKB-ir.RSSBaseGCKB) * 1024 / open
	ir.HeapBytesPerConn = (float64(st.HeapInuse) - float64(st0.HeapInuse)) / open
	ir.StackBytesPerConn = (float64(st.StackInuse) - float64(st0.StackInuse)) / open
	ir.Goroutines = st.Goroutines
	r.Idle = ir
	if cfg.profileDir != "" {
		f := filepath.Join(cfg.profileDir, fmt.Sprintf("heap-%s-%d.pprof", kind, n))
		if _, err := ch.do("heapprof " + f); err != nil {
			fmt.Fprintf(os.Stderr, "%s: heap profile: %v\n", label, err)
		}
	}
	fmt.Fprintf(os.Stderr, "%s: %.0f B/conn (%.0f after GC), idle CPU %.1f%%, %d closed\n",
		label, ir.BytesPerConn, ir.BytesPerConnGC, ir.IdleCPUPct, ir.Closed)
	if ir.Closed > 0 {
		r.Error = fmt.Sprintf("%d connections closed while idle", ir.Closed)
	}
	return r
}

// runActive measures an echo load: every connection sends cfg.rate probes
// a second; the server's CPU is measured over the window after warmup.
func runActive(cfg *config, spec serverSpec, round int) (r result) {
	kind := spec.Label
	r = result{Scenario: "active", Server: spec.Label, Kind: spec.Kind, Round: round, Path: pathFor(spec.Kind, cfg.activePath), Conns: cfg.activeConns}
	label := fmt.Sprintf("active %s %d", kind, cfg.activeConns)
	if cfg.rounds > 1 {
		label += fmt.Sprintf(" round %d", round)
	}
	fmt.Fprintf(os.Stderr, "%s: starting\n", label)
	fail := func(err error) result {
		r.Error = err.Error()
		fmt.Fprintf(os.Stderr, "%s: FAILED: %v\n", label, err)
		return r
	}
	ch, err := startChild(spec, cfg.pollers, 0, cfg.serverEnv)
	if err != nil {
		return fail(err)
	}
	defer ch.stop()
	pid := ch.pid()

	eng, err := client.NewEngine(cfg.clientPollers)
	if err != nil {
		return fail(err)
	}
	defer eng.Close()
	// Room for every probe of the window, plus slack for a fast clock.
	expected := float64(cfg.activeConns) * cfg.rate * cfg.duration.Seconds()
	rec := newRecorder(int(min(expected*1.1+1000, 50e6)))
	d := dialFleet(eng, "ws://"+ch.addr+r.Path, cfg.activeConns, cfg.dialConcurrency, cfg.dialLimit, rec, label)
	r.Opened, r.Failed, r.DialSeconds = len(d.conns), d.failed, d.took.Seconds()
	if r.Failed > 0 {
		return fail(fmt.Errorf("%d of %d connections failed, first: %v", r.Failed, cfg.activeConns, d.firstErr))
	}
	time.Sleep(time.Second)

	start := now() + int64(50*time.Millisecond)
	from := start + int64(cfg.warmup)
	to := from + int64(cfg.duration)
	rec.from.Store(from)
	rec.to.Store(to)
	var st sendStats
	done := make(chan struct{})
	go func() {
		defer close(done)
		runSenders(d.conns, cfg.rate, start, to, cfg.senders, cfg.msgSize, &st)
	}()
	stopProgress := progress(2*time.Second, func() string {
		return fmt.Sprintf("%s: sent %d, received %d", label, st.sent.Load(), rec.received.Load())
	})
	defer stopProgress()

	time.Sleep(time.Duration(from - now()))
	profile := ""
	if cfg.profileDir != "" {
		profile = filepath.Join(cfg.profileDir, fmt.Sprintf("cpu-%s-%d-r%d.pprof", kind, cfg.activeConns, round))
		if _, err := ch.do("cpuprof-start " + profile); err != nil {
			fmt.Fprintf(os.Stderr, "%s: CPU profile: %v\n", label, err)
			profile = ""
		}
	}
	meter := startCPUMeter(pid)
	time.Sleep(time.Duration(to - now()))
	use, err := meter.stop()
	if err != nil {
		return fail(err)
	}
	if profile != "" {
		_, _ = ch.do("cpuprof-stop")
	}
	ar := &activeResult{Rate: cfg.rate, DurationS: cfg.duration.Seconds(), MsgSize: len(appendProbe(nil, now(), cfg.msgSize)), CPU: use}
	ar.RSSKB, _ = rssKB(pid)
	<-done
	// Let the last replies arrive (bounded).
	for deadline := time.Now().Add(3 * time.Second); rec.received.Load() < st.sent.Load() && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	ar.Sent, ar.Received, ar.SendErrors = st.sent.Load(), rec.received.Load(), st.errors.Load()
	ar.Lost = ar.Sent - ar.Received
	ar.MaxLagMs = float64(st.maxLag.Load()) / 1e6
	ar.LatencyMs = rec.latency()
	var closeErr error
	ar.Closed, closeErr = closedCount(d.conns)
	if closeErr != nil {
		ar.CloseError = closeErr.Error()
	}
	r.Active = ar
	fmt.Fprintf(os.Stderr, "%s: p50 %.3f ms, p99 %.3f ms, max %.1f ms, server CPU %.1f%%, client %.1f%%, other %.1f%%, lost %d, closed %d\n",
		label, ar.LatencyMs.P50, ar.LatencyMs.P99, ar.LatencyMs.Max, use.ServerPct, use.ClientPct, use.OtherPct, ar.Lost, ar.Closed)
	if ar.Closed > 0 || ar.Lost > 0 {
		r.Error = fmt.Sprintf("%d messages lost, %d connections closed (%s)", ar.Lost, ar.Closed, ar.CloseError)
	}
	return r
}

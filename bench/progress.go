package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// timePoint is one second of the run, for the progress line and the
// latency-over-time plot.
type timePoint struct {
	T            float64 `json:"t_s"` // since the run started
	Phase        string  `json:"phase"`
	Live         int64   `json:"clients"`
	Failed       int     `json:"failed"`
	InputsPerS   float64 `json:"inputs_per_s"`
	LatencyP50   float64 `json:"latency_p50_ms"`
	LatencyP99   float64 `json:"latency_p99_ms"`
	LatencyMax   float64 `json:"latency_max_ms"`
	RTTP50       float64 `json:"rtt_p50_ms"`
	ServerCPUPct float64 `json:"server_cpu_pct"`
	ServerRSSMB  float64 `json:"server_rss_mb"`
	BenchCPUPct  float64 `json:"bench_cpu_pct"`
	// OtherCPUPct is what the rest of the machine used that second (other
	// processes, the kernel): on a shared machine, the noise to look at.
	OtherCPUPct float64 `json:"other_cpu_pct"`
}

// quietOtherPct is the CPU other processes may use in a second that still
// counts as quiet (/proc/stat's accounting is coarse: a few % is noise).
const quietOtherPct = 10

// progress samples the run every second until ctx ends: it notices
// dropped connections, appends to the timeline and prints a line on
// stderr (unless -quiet).
func (r *run) progress(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	pid := strconv.Itoa(r.srv.pid)
	prevSrv, _ := readCPU(pid)
	prevSelf, _ := readCPU("self")
	prevSys, _ := readSystemCPU()
	prevSent := r.sent.Load()
	prevAt := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		r.checkConnections()
		now := time.Now()
		secs := now.Sub(prevAt).Seconds()
		sent := r.sent.Load()
		lat := percentilesOf(r.latency.takeRecent())
		rtt := percentilesOf(r.rtt.takeRecent())
		pt := timePoint{
			T:          round3(float64(r.clk.now()) / 1e9),
			Phase:      r.phaseName(),
			InputsPerS: round3(float64(sent-prevSent) / secs),
			LatencyP50: lat.P50, LatencyP99: lat.P99, LatencyMax: lat.Max,
			RTTP50: rtt.P50,
		}
		for _, p := range r.players {
			switch {
			case p.live.Load():
				pt.Live++
			case p.failed():
				pt.Failed++
			}
		}
		if r.srv.pid != 0 {
			if s, err := readCPU(pid); err == nil {
				pt.ServerCPUPct = round3(cpuPercent(prevSrv, s))
				prevSrv = s
			}
			if rss, err := readRSS(pid); err == nil {
				pt.ServerRSSMB = round3(float64(rss) / (1 << 20))
			}
		}
		if s, err := readCPU("self"); err == nil {
			pt.BenchCPUPct = round3(cpuPercent(prevSelf, s))
			prevSelf = s
		}
		if s, err := readSystemCPU(); err == nil {
			pt.OtherCPUPct = round3(max(cpuPercent(prevSys, s)-pt.ServerCPUPct-pt.BenchCPUPct, 0))
			prevSys = s
		}
		if sec := r.latency.takeSecond(); sec.TotalCount() > 0 {
			r.windowSecs++
			if pt.OtherCPUPct < quietOtherPct {
				r.quietSecs++
				r.quietLatency.Merge(sec)
			}
		}
		prevSent, prevAt = sent, now
		r.timeline = append(r.timeline, pt)
		if !r.cfg.quiet {
			fmt.Fprintln(os.Stderr, progressLine(pt, r.cfg.clients, r.scn.sendsInputs(), r.srv.pid != 0))
		}
	}
}

// progressLine formats one second of the run.
func progressLine(pt timePoint, clients int, inputs, server bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "bench %6.1fs %-7s clients %d/%d", pt.T, pt.Phase, pt.Live, clients)
	if pt.Failed > 0 {
		fmt.Fprintf(&b, " failed %d", pt.Failed)
	}
	if inputs {
		fmt.Fprintf(&b, " | inputs %.0f/s | input-to-state p50 %.1f p99 %.1f max %.1f ms",
			pt.InputsPerS, pt.LatencyP50, pt.LatencyP99, pt.LatencyMax)
	}
	fmt.Fprintf(&b, " | rtt p50 %.2f ms", pt.RTTP50)
	if server {
		fmt.Fprintf(&b, " | server cpu %.0f%% rss %.0f MB", pt.ServerCPUPct, pt.ServerRSSMB)
	}
	fmt.Fprintf(&b, " | bench cpu %.0f%% | others %.0f%%", pt.BenchCPUPct, pt.OtherCPUPct)
	return b.String()
}

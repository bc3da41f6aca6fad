package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/tickwire/tickwire/internal/loadstat"
)

// timePoint is one second of the run, for the progress line and the
// latency-over-time plot (loadstat.TimePoint).
type timePoint = loadstat.TimePoint

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
		lat := percentilesOf(r.latency.TakeRecent())
		rtt := percentilesOf(r.rtt.TakeRecent())
		pt := timePoint{
			T:          round3(float64(r.clk.Now()) / 1e9),
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
		if sec := r.latency.TakeSecond(); sec.TotalCount() > 0 {
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
	return loadstat.ProgressLine("bench", pt, clients, loadstat.LineParts{Inputs: inputs, RTT: true, Server: server, Machine: true})
}

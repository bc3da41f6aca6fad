package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Report is the bench's JSON output. The keys clients, rooms, tick_hz,
// latency_ms (p50, p90, p99, p999, max), tick_ms (p50, p99), jitter_ms
// (p99), server_cpu_pct, server_rss_mb, bytes_per_client_s and failed are
// a contract (the bench JSON contract, docs/contracts.md); the rest may grow. A value that could
// not be measured (the CPU of a server on another machine) is null.
type Report struct {
	Scenario  string  `json:"scenario"`
	Clients   int     `json:"clients"`
	Rooms     int     `json:"rooms"`
	TickHz    int     `json:"tick_hz"`
	InputHz   float64 `json:"input_hz"`
	DurationS float64 `json:"duration_s"`
	WarmupS   float64 `json:"warmup_s"`

	// LatencyMs is input-to-state latency from each input's scheduled
	// send time (coordinated-omission corrected).
	LatencyMs Percentiles `json:"latency_ms"`
	// LatencyQuietMs is the same latency over the seconds of the window in
	// which other processes used under 10% CPU (QuietSeconds of
	// WindowSeconds): on a shared machine, what the server does when it is
	// not competing with strangers. Null when no second was quiet.
	LatencyQuietMs *Percentiles `json:"latency_quiet_ms"`
	QuietSeconds   int          `json:"quiet_seconds"`
	WindowSeconds  int          `json:"window_seconds"`
	// LatencyFloorP99Ms is 0.99·period: the p99 of waiting for the next
	// tick alone, the floor LatencyMs.P99 is compared with.
	LatencyFloorP99Ms float64 `json:"latency_floor_p99_ms"`
	// LatencyFromSendMs is the same latency from the actual send time: what
	// a harness without the correction would report.
	LatencyFromSendMs Percentiles `json:"latency_from_send_ms"`
	// SendLagMs is how late the bench's schedulers sent inputs.
	SendLagMs Percentiles `json:"send_lag_ms"`
	// LatencyPercentiles is the latency distribution at fixed percentiles.
	LatencyPercentiles []quantile  `json:"latency_percentiles,omitempty"`
	RTTMs              Percentiles `json:"rtt_ms"`

	TickMs      *msStats `json:"tick_ms"`
	JitterMs    *msStats `json:"jitter_ms"`
	Ticks       *uint64  `json:"ticks"`
	Overruns    *uint64  `json:"overruns"`
	Skipped     *uint64  `json:"skipped"`
	ServerRooms *int     `json:"server_rooms"`

	ServerCPUPct *float64 `json:"server_cpu_pct"`
	// ServerCPUUsPerClientS is server CPU time per client per second, in µs.
	ServerCPUUsPerClientS *float64 `json:"server_cpu_us_per_client_s"`
	// ServerCPUQuietPct and ServerCPUQuietUsPerClientS are the same over
	// the window's quiet seconds only (other processes under 10% CPU), as
	// LatencyQuietMs: null when no second was quiet.
	ServerCPUQuietPct          *float64 `json:"server_cpu_quiet_pct"`
	ServerCPUQuietUsPerClientS *float64 `json:"server_cpu_quiet_us_per_client_s"`
	ServerRSSMB                *float64 `json:"server_rss_mb"`
	ServerRSSBaseMB            *float64 `json:"server_rss_base_mb"`
	ServerRSSPerConnKB         *float64 `json:"server_rss_per_conn_kb"`
	// PlayersPerServerCore is connected players over the server's CPU in
	// cores (1e6 / server_cpu_us_per_client_s): how many players one core
	// of this server carries at this load. Meaningful with -server-cpus,
	// when the load generator does not compete for the server's cores.
	PlayersPerServerCore *float64 `json:"players_per_server_core"`
	BenchCPUPct          float64  `json:"bench_cpu_pct"`
	// BenchCPUUsPerClientS is the load generator's CPU per client per
	// second, in µs: what one simulated player costs the bench.
	BenchCPUUsPerClientS float64 `json:"bench_cpu_us_per_client_s"`
	// ServerCPUs and BenchCPUs are -server-cpus and -bench-cpus, when set.
	ServerCPUs string `json:"server_cpus,omitempty"`
	BenchCPUs  string `json:"bench_cpus,omitempty"`
	// ClientMode is how the arena's clients read frames: lean (tick and
	// last_input_seq only) or verify (full decode, applied to a replica).
	ClientMode string `json:"client_mode,omitempty"`
	// Verify is what -verify's replicas saw.
	Verify *verifyReport `json:"verify,omitempty"`
	// MachineBusyPct is the CPU every process used (% of one core, up to
	// 100 × CPUs); OtherCPUPct is what neither the server nor the bench
	// used: other processes and the kernel's own work on the machine.
	MachineBusyPct *float64 `json:"machine_busy_pct"`
	OtherCPUPct    *float64 `json:"other_cpu_pct"`

	// BytesPerClientS counts WebSocket message bytes (payload and frame
	// header, both directions) per connected client per second; inbound
	// sizes are re-measured from the decoded Envelopes.
	BytesPerClientS          float64  `json:"bytes_per_client_s"`
	BytesInPerClientS        float64  `json:"bytes_in_per_client_s"`
	BytesOutPerClientS       float64  `json:"bytes_out_per_client_s"`
	ServerBytesOutPerClientS *float64 `json:"server_bytes_out_per_client_s"`
	FramesPerClientS         float64  `json:"frames_per_client_s"`
	// InputMsgBytes and StateMsgBytes are the mean payload sizes of an
	// input and of a state message (Envelopes, or the floor's messages)
	// over the whole run: what a -floor run copies.
	InputMsgBytes float64 `json:"input_msg_bytes"`
	StateMsgBytes float64 `json:"state_msg_bytes"`

	Failed      int            `json:"failed"`
	Connected   int            `json:"connected"`
	Failures    map[string]int `json:"failures,omitempty"`
	InputsSent  uint64         `json:"inputs_sent"`
	InputsAcked uint64         `json:"inputs_acked"`
	InputsLost  uint64         `json:"inputs_lost"`
	// InputsRefused were answered with an Error (inbox full, too many
	// inputs in one tick); a later input's seq covers them, so they are
	// not lost but did not reach the game.
	InputsRefused int64 `json:"inputs_refused"`

	ServerErrors      map[string]int     `json:"server_errors,omitempty"`
	ServerCounters    map[string]float64 `json:"server_counters,omitempty"`
	ServerLogWarnings *int               `json:"server_log_warnings"`

	Interrupted bool     `json:"interrupted"`
	Notes       []string `json:"notes,omitempty"`

	Server   serverInfo      `json:"server"`
	Machine  machineInfo     `json:"machine"`
	Tickwire versionInfo     `json:"tickwire"`
	Command  string          `json:"command"`
	Started  string          `json:"started"`
	Timeline []timePoint     `json:"timeline"`
	Capacity *capacityReport `json:"capacity,omitempty"`

	// Crossword is the crossword scenario's account of its bots' actions.
	Crossword *crosswordReport `json:"crossword,omitempty"`
	// Soak is the soak scenario's samples over time and their summary.
	Soak *soakReport `json:"soak,omitempty"`
	// Failover is the failover scenario's account of the node's loss.
	Failover *failoverReport `json:"failover,omitempty"`

	// Floor is the -floor run: the floor scenario at this run's clients,
	// groups, rates and message sizes, against a bare WebSocket server.
	Floor *Report `json:"floor,omitempty"`
	// ServerCPUVsFloor is server CPU per player of this run over the
	// floor's (server_cpu_us_per_client_s, this / floor); the issue's
	// target is at most 1.2.
	ServerCPUVsFloor *float64 `json:"server_cpu_vs_floor,omitempty"`
	// ServerCPUVsFloorQuiet is the same ratio over both runs' quiet
	// seconds: on a shared machine, the figure less bent by strangers.
	ServerCPUVsFloorQuiet *float64 `json:"server_cpu_vs_floor_quiet,omitempty"`

	hist *hdrhistogram.Histogram // the latency histogram, for the plots
}

// quantile is one point of the latency distribution.
type quantile struct {
	Percentile float64 `json:"percentile"`
	Ms         float64 `json:"ms"`
}

// serverInfo says which server was measured.
type serverInfo struct {
	Kind string `json:"kind"` // demo, bench or external
	URL  string `json:"url"`
	PID  int    `json:"pid,omitempty"`
}

var reportQuantiles = []float64{0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 97.5, 99, 99.5, 99.9, 99.95, 99.99, 100}

// report turns a finished run into its Report.
func (r *run) report(out *outcome) *Report {
	cfg := r.cfg
	from, to := r.window()
	rep := &Report{
		Scenario:          cfg.scenario,
		Clients:           cfg.clients,
		Rooms:             r.scn.rooms(),
		TickHz:            int(r.tickHz.Load()),
		DurationS:         round3(time.Duration(to - from).Seconds()),
		WarmupS:           cfg.warmup.Seconds(),
		LatencyFloorP99Ms: round3(float64(floorP99(cfg.period())) / 1e6),
		Failed:            out.failed,
		Connected:         out.live,
		Interrupted:       out.interrupted,
		Notes:             out.notes,
		Server:            serverInfo{Kind: r.srv.kind, URL: r.srv.httpBase, PID: r.srv.pid},
		Started:           r.clk.Start.UTC().Format(time.RFC3339),
		Timeline:          r.timeline,
		ServerErrors:      r.errs.Snapshot(),
		Command:           cfg.commandLine(),
		ServerCPUs:        cfg.serverCPUs.String(),
		BenchCPUs:         cfg.benchCPUs.String(),
	}
	if len(out.failures) > 0 {
		rep.Failures = out.failures
	}
	if out.start == nil { // interrupted before the window
		rep.DurationS = 0
	}
	if rep.TickHz == 0 { // no room joined (idle): the rate asked for
		rep.TickHz = cfg.hz
	}
	if r.scn.sendsInputs() {
		rep.InputHz = cfg.inputHz
	}
	rep.hist = r.latency.Window()
	rep.LatencyMs = percentilesOf(rep.hist)
	rep.QuietSeconds, rep.WindowSeconds = r.quietSecs, r.windowSecs
	if r.quietLatency.TotalCount() > 0 {
		q := percentilesOf(r.quietLatency)
		rep.LatencyQuietMs = &q
	}
	rep.LatencyFromSendMs = percentilesOf(r.fromSend.Window())
	rep.SendLagMs = percentilesOf(r.sendLag.Window())
	rep.RTTMs = percentilesOf(r.rtt.Window())
	if rep.hist.TotalCount() > 0 {
		for _, q := range reportQuantiles {
			rep.LatencyPercentiles = append(rep.LatencyPercentiles, quantile{q, round3(float64(rep.hist.ValueAtQuantile(q)) / 1000)})
		}
	}
	var stateBytes, frames int64
	for _, p := range r.players {
		stateBytes += p.stateBytes.Load()
		frames += p.framesIn.Load()
	}
	if frames > 0 {
		rep.StateMsgBytes = round3(float64(stateBytes) / float64(frames))
	}
	if n := r.sent.Load(); n > 0 {
		rep.InputMsgBytes = round3(float64(r.inputBytes.Load()) / float64(n))
	}
	for _, p := range r.players {
		p.mu.Lock()
		sent, lost := p.track.Window(from, to)
		p.mu.Unlock()
		rep.InputsSent += sent
		rep.InputsLost += lost
		rep.InputsRefused += p.refused.Load()
	}
	rep.InputsAcked = rep.InputsSent - rep.InputsLost
	if out.start != nil && out.end != nil {
		r.reportServer(rep, out)
	}
	if lag := rep.SendLagMs.P99; lag > float64(cfg.inputPeriod())/2e6 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("the bench itself sent late (send lag p99 %.1f ms): the load generator was short of CPU, and the latency includes its delay", lag))
	}
	if rep.OtherCPUPct != nil && *rep.OtherCPUPct > 25 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("other processes used %.0f%% CPU during the window: the machine was shared", *rep.OtherCPUPct))
	}
	if rs, ok := r.scn.(reportingScenario); ok {
		rs.fillReport(r, rep)
	}
	if r.srv.child != nil {
		n := r.srv.child.logWarnings()
		rep.ServerLogWarnings = &n
	}
	return rep
}

// reportServer fills in what the window's two snapshots say.
func (r *run) reportServer(rep *Report, out *outcome) {
	a, b := out.start, out.end
	secs := time.Duration(b.at - a.at).Seconds()
	clients := float64(max(out.live, 1))
	perClientS := func(v float64) float64 { return round3(v / clients / secs) }
	rep.BytesInPerClientS = perClientS(float64(b.bytesIn - a.bytesIn))
	rep.BytesOutPerClientS = perClientS(float64(b.bytesOut - a.bytesOut))
	rep.BytesPerClientS = round3(rep.BytesInPerClientS + rep.BytesOutPerClientS)
	rep.FramesPerClientS = perClientS(float64(b.msgs - a.msgs))
	if a.srvCPUErr == nil && b.srvCPUErr == nil {
		pct := round3(cpuPercent(a.srvCPU, b.srvCPU))
		us := round3(pct / 100 * 1e6 / clients)
		rep.ServerCPUPct, rep.ServerCPUUsPerClientS = &pct, &us
		if pct > 0 {
			ppc := round3(float64(out.live) / (pct / 100))
			rep.PlayersPerServerCore = &ppc
		}
	} else {
		rep.Notes = append(rep.Notes, "server CPU and RSS not measured: "+firstErr(a.srvCPUErr, b.srvCPUErr).Error())
	}
	var quietCPU float64
	var quiet int
	for _, pt := range r.timeline {
		if pt.Phase == "measure" && pt.OtherCPUPct < quietOtherPct {
			quietCPU += pt.ServerCPUPct
			quiet++
		}
	}
	if quiet > 0 && rep.ServerCPUPct != nil {
		pct := round3(quietCPU / float64(quiet))
		us := round3(pct / 100 * 1e6 / clients)
		rep.ServerCPUQuietPct, rep.ServerCPUQuietUsPerClientS = &pct, &us
	}
	rep.BenchCPUPct = round3(cpuPercent(a.selfCPU, b.selfCPU))
	rep.BenchCPUUsPerClientS = round3(rep.BenchCPUPct / 100 * 1e6 / clients)
	if a.sysCPUErr == nil && b.sysCPUErr == nil {
		busy := round3(cpuPercent(a.sysCPU, b.sysCPU))
		rep.MachineBusyPct = &busy
		if rep.ServerCPUPct != nil {
			other := round3(max(busy-*rep.ServerCPUPct-rep.BenchCPUPct, 0))
			rep.OtherCPUPct = &other
		}
	}
	if b.rss > 0 {
		mb := round3(float64(b.rss) / (1 << 20))
		rep.ServerRSSMB = &mb
		if out.rssBase > 0 {
			base := round3(float64(out.rssBase) / (1 << 20))
			per := round3(float64(b.rss-out.rssBase) / 1024 / clients)
			rep.ServerRSSBaseMB, rep.ServerRSSPerConnKB = &base, &per
		}
	}
	if t := b.ticks; t != nil && a.ticksErr == nil {
		rep.TickMs, rep.JitterMs = &t.TickMs, &t.JitterMs
		rep.Ticks, rep.Overruns, rep.Skipped, rep.ServerRooms = &t.Ticks, &t.Overruns, &t.Skipped, &t.Rooms
	} else {
		rep.Notes = append(rep.Notes, "tick statistics unavailable (GET /debug/ticks): "+firstErr(a.ticksErr, b.ticksErr).Error())
	}
	if d := metricDelta(a.metrics, b.metrics); d != nil {
		rep.ServerCounters = d
		if v, ok := d["bytes_out_total"]; ok {
			bo := perClientS(v)
			rep.ServerBytesOutPerClientS = &bo
		}
	}
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return fmt.Errorf("unknown")
}

// writeJSON writes rep to path, indented.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// printSummary writes the human summary of one run.
func printSummary(w io.Writer, rep *Report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	f := func(v *float64, unit string) string {
		if v == nil {
			return "n/a"
		}
		return fmt.Sprintf("%.1f%s", *v, unit)
	}
	fmt.Fprintf(tw, "scenario\t%s: %d clients, %d rooms, %d Hz ticks, %g inputs/s per client, %.0fs window%s\n",
		rep.Scenario, rep.Clients, rep.Rooms, rep.TickHz, rep.InputHz, rep.DurationS, map[bool]string{true: " (INTERRUPTED)"}[rep.Interrupted])
	fmt.Fprintf(tw, "server\t%s %s\n", rep.Server.Kind, rep.Server.URL)
	if rep.LatencyMs.Count > 0 {
		l := rep.LatencyMs
		fmt.Fprintf(tw, "input-to-state (CO-corrected)\tp50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f ms  (tick-wait floor p99 %.2f ms, n=%d)\n",
			l.P50, l.P90, l.P99, l.P999, l.Max, rep.LatencyFloorP99Ms, l.Count)
		if q := rep.LatencyQuietMs; q != nil && rep.QuietSeconds < rep.WindowSeconds {
			fmt.Fprintf(tw, "  quiet seconds only\tp50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f ms  (%d of %d s in which other processes used < %d%% CPU)\n",
				q.P50, q.P90, q.P99, q.P999, q.Max, rep.QuietSeconds, rep.WindowSeconds, quietOtherPct)
		}
		s := rep.LatencyFromSendMs
		fmt.Fprintf(tw, "  from actual send\tp50 %.2f  p99 %.2f  max %.2f ms;  send lag p99 %.2f max %.2f ms\n",
			s.P50, s.P99, s.Max, rep.SendLagMs.P99, rep.SendLagMs.Max)
	}
	fmt.Fprintf(tw, "rtt (ping/pong)\tp50 %.2f  p99 %.2f  max %.2f ms\n", rep.RTTMs.P50, rep.RTTMs.P99, rep.RTTMs.Max)
	if rep.TickMs != nil {
		fmt.Fprintf(tw, "ticks\t%d in %d rooms; duration p50 %.2f p99 %.2f ms; start jitter p50 %.2f p99 %.2f max %.2f ms; overruns %d skipped %d\n",
			*rep.Ticks, *rep.ServerRooms, rep.TickMs.P50, rep.TickMs.P99, rep.JitterMs.P50, rep.JitterMs.P99, rep.JitterMs.Max, *rep.Overruns, *rep.Skipped)
	}
	fmt.Fprintf(tw, "server\tcpu %s (%s µs per client per s), rss %s", f(rep.ServerCPUPct, "%"), f(rep.ServerCPUUsPerClientS, ""), f(rep.ServerRSSMB, " MB"))
	if rep.ServerRSSPerConnKB != nil {
		fmt.Fprintf(tw, " (%.2f KB per connection over %.1f MB at start)", *rep.ServerRSSPerConnKB, *rep.ServerRSSBaseMB)
	}
	if rep.PlayersPerServerCore != nil {
		fmt.Fprintf(tw, "; %.0f players per server core", *rep.PlayersPerServerCore)
	}
	fmt.Fprintf(tw, "; bench cpu %.0f%% (%.0f µs per client per s", rep.BenchCPUPct, rep.BenchCPUUsPerClientS)
	if rep.ClientMode != "" {
		fmt.Fprintf(tw, ", %s clients", rep.ClientMode)
	}
	fmt.Fprint(tw, ")")
	if rep.ServerCPUs != "" || rep.BenchCPUs != "" {
		fmt.Fprintf(tw, "; pinned: server on CPUs %s, bench on %s", orAny(rep.ServerCPUs), orAny(rep.BenchCPUs))
	}
	if rep.OtherCPUPct != nil && rep.MachineBusyPct != nil {
		fmt.Fprintf(tw, "; everything else %.0f%% (machine busy %.0f%% of %d00%%)", *rep.OtherCPUPct, *rep.MachineBusyPct, rep.Machine.CPUs)
	}
	fmt.Fprintln(tw)
	fmt.Fprintf(tw, "traffic\t%.0f B/s per client (in %.0f, out %.0f), %.1f frames/s per client\n",
		rep.BytesPerClientS, rep.BytesInPerClientS, rep.BytesOutPerClientS, rep.FramesPerClientS)
	fmt.Fprintf(tw, "clients\t%d connected, %d failed; inputs %d sent, %d lost, %d refused\n", rep.Connected, rep.Failed, rep.InputsSent, rep.InputsLost, rep.InputsRefused)
	if rep.Crossword != nil {
		printCrossword(tw, rep.Crossword)
	}
	if rep.Soak != nil {
		printSoak(tw, rep.Soak)
	}
	if rep.Failover != nil {
		printFailover(tw, rep.Failover)
	}
	if v := rep.Verify; v != nil {
		fmt.Fprintf(tw, "verify\t%d frames applied (%d snapshots, %d deltas); %d replica errors, %d of another room, %d ticks back\n",
			v.Frames, v.Snapshots, v.Deltas, v.ReplicaErrors, v.OtherRoom, v.TickRegressions)
	}
	if len(rep.Failures) > 0 {
		fmt.Fprintf(tw, "failures\t%s\n", strings.Join(topFailures(rep.Failures, 5), "; "))
	}
	if len(rep.ServerErrors) > 0 {
		fmt.Fprintf(tw, "server errors\t%v\n", rep.ServerErrors)
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(tw, "note\t%s\n", n)
	}
	_ = tw.Flush()
}

// quietCPUSeconds is how many seconds of the window ServerCPUQuietPct
// averages.
func (rep *Report) quietCPUSeconds() int {
	n := 0
	for _, pt := range rep.Timeline {
		if pt.Phase == "measure" && pt.OtherCPUPct < quietOtherPct {
			n++
		}
	}
	return n
}

// orAny is a CPU list, or "any" for none.
func orAny(cpus string) string {
	if cpus == "" {
		return "any"
	}
	return cpus
}

package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"gonum.org/v1/plot"

	"github.com/tickwire/tickwire/internal/loadstat"
)

// Percentiles summarises a latency distribution in milliseconds (p50,
// p90, p99, p999, max, mean, count).
type Percentiles = loadstat.Percentiles

// MsStats are the server's tick statistics in milliseconds (p50, p99,
// max), from GET /debug/ticks.
type MsStats = loadstat.MsStats

// TimePoint is one second of a run: what the progress line prints.
type TimePoint = loadstat.TimePoint

// Report is a load test's JSON report. Its keys clients, rooms, tick_hz,
// latency_ms (p50, p90, p99, p999, max), tick_ms (p50, p99), jitter_ms
// (p99), server_cpu_pct, server_rss_mb, bytes_per_client_s and failed are
// the bench's contract keys, with the bench's meaning; a value the run
// could not measure (no /metrics, /debug/ticks on an admin port) is null.
type Report struct {
	Scenario  string  `json:"scenario"`
	Clients   int     `json:"clients"`
	Rooms     int     `json:"rooms"`
	TickHz    int     `json:"tick_hz"`
	InputHz   float64 `json:"input_hz"`
	DurationS float64 `json:"duration_s"`
	WarmupS   float64 `json:"warmup_s"`

	// LatencyMs is input-to-state latency from each input's scheduled
	// send time (coordinated-omission corrected), over the window.
	LatencyMs Percentiles `json:"latency_ms"`
	// LatencyFloorP99Ms is 0.99·tick period: the p99 of waiting for the
	// next tick alone, what LatencyMs.P99 compares with.
	LatencyFloorP99Ms float64 `json:"latency_floor_p99_ms"`
	// LatencyFromSendMs is the same latency from the actual send time.
	LatencyFromSendMs Percentiles `json:"latency_from_send_ms"`
	// SendLagMs is how late the harness sent inputs (its own CPU).
	SendLagMs Percentiles `json:"send_lag_ms"`

	TickMs   *MsStats `json:"tick_ms"`
	JitterMs *MsStats `json:"jitter_ms"`
	Ticks    *uint64  `json:"ticks"`
	Overruns *uint64  `json:"overruns"`

	// ServerCPUPct is the server process's CPU over the window (% of one
	// core), from /metrics' process_cpu_seconds_total; ServerRSSMB its
	// process_resident_memory_bytes at the window's end.
	ServerCPUPct *float64 `json:"server_cpu_pct"`
	ServerRSSMB  *float64 `json:"server_rss_mb"`

	// BytesPerClientS counts WebSocket message bytes (payload and frame
	// header, both directions) per connected client per second.
	BytesPerClientS    float64 `json:"bytes_per_client_s"`
	BytesInPerClientS  float64 `json:"bytes_in_per_client_s"`
	BytesOutPerClientS float64 `json:"bytes_out_per_client_s"`
	FramesPerClientS   float64 `json:"frames_per_client_s"`

	Failed    int            `json:"failed"`
	Connected int            `json:"connected"`
	Failures  map[string]int `json:"failures,omitempty"`
	// InputsSent are the inputs due in the window that went out;
	// InputsAcked of them a state frame acknowledged (last_input_seq),
	// InputsLost none did; InputsRefused the server answered with an
	// Error (inbox full, too many in one tick).
	InputsSent    uint64 `json:"inputs_sent"`
	InputsAcked   uint64 `json:"inputs_acked"`
	InputsLost    uint64 `json:"inputs_lost"`
	InputsRefused int64  `json:"inputs_refused"`
	// Snapshots and Deltas are the state frames the bots' replicas
	// applied; ReplicaErrors those that did not apply.
	Snapshots     int64 `json:"snapshots"`
	Deltas        int64 `json:"deltas"`
	ReplicaErrors int64 `json:"replica_errors"`

	ServerErrors map[string]int `json:"server_errors,omitempty"`
	Interrupted  bool           `json:"interrupted"`
	Notes        []string       `json:"notes,omitempty"`
	Server       ServerInfo     `json:"server"`
	Started      string         `json:"started"`
	Timeline     []TimePoint    `json:"timeline"`

	hist *hdrhistogram.Histogram // the window's latency, for the plot
}

// ServerInfo says which server was measured.
type ServerInfo struct {
	Kind       string `json:"kind"` // always external: the harness starts none
	URL        string `json:"url"`
	MetricsURL string `json:"metrics_url"`
}

// WriteJSON writes the report to path, indented.
func (rep *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// WritePlot draws the latency histogram and the latency over time into
// one image at path (.png or .svg).
func (rep *Report) WritePlot(path string) error {
	d := loadstat.PlotRun{
		Caption: fmt.Sprintf("%s: %d clients, %d rooms, %d Hz, %g inputs/s each, %.0f s — %s",
			rep.Scenario, rep.Clients, rep.Rooms, rep.TickHz, rep.InputHz, rep.DurationS, rep.Started),
		Latency: rep.LatencyMs, Hist: rep.hist, FloorP99Ms: rep.LatencyFloorP99Ms, Timeline: rep.Timeline,
	}
	var panels []*plot.Plot
	if rep.hist != nil && rep.hist.TotalCount() > 0 {
		panels = append(panels, loadstat.HistogramPlot(d))
		p, err := loadstat.LatencyOverTime(d)
		if err != nil {
			return err
		}
		panels = append(panels, p)
	}
	return loadstat.WritePanels(path, panels)
}

// outcome is what execute hands to the report.
type outcome struct {
	start, end  *snapshot
	live        int
	interrupted bool
	notes       []string
}

// snapshot is the counters at one edge of the window.
type snapshot struct {
	at                      int64
	srv                     serverSample
	srvErr                  error
	ticks                   *loadstat.TickReport
	ticksErr                error
	bytesIn, bytesOut, msgs int64
}

// take reads the server's counters and then the bots'.
func (c *core) take(ctx context.Context) snapshot {
	ctx = context.WithoutCancel(ctx) // an interrupted run still reads its end
	s := snapshot{at: c.clk.Now()}
	s.srv, s.srvErr = c.sampleServer(ctx)
	s.ticks, s.ticksErr = loadstat.FetchTicks(ctx, c.hc, c.cfg.MetricsURL)
	for _, p := range c.players {
		s.bytesIn += p.bytesIn.Load()
		s.bytesOut += p.bytesOut.Load()
		s.msgs += p.framesIn.Load()
	}
	return s
}

// processMetrics are the Prometheus process collector's metrics the
// report reads.
var processMetrics = []string{"process_cpu_seconds_total", "process_resident_memory_bytes"}

// serverSample is the server process's CPU and RSS at one moment.
type serverSample struct {
	at       time.Time
	cpuS     float64
	rssBytes float64
}

// sampleServer reads the server's process metrics from /metrics.
func (c *core) sampleServer(ctx context.Context) (serverSample, error) {
	body, err := loadstat.HTTPGet(ctx, c.hc, c.cfg.MetricsURL, "/metrics")
	if err != nil {
		return serverSample{}, err
	}
	m := loadstat.SumMetrics(string(body), processMetrics)
	cpu, ok1 := m["process_cpu_seconds_total"]
	rss, ok2 := m["process_resident_memory_bytes"]
	if !ok1 || !ok2 {
		return serverSample{}, fmt.Errorf("GET /metrics: no process_cpu_seconds_total or process_resident_memory_bytes")
	}
	return serverSample{at: time.Now(), cpuS: cpu, rssBytes: rss}, nil
}

// cpuPct is the CPU the server used between a and b, in % of one core.
func cpuPct(a, b serverSample) float64 {
	return loadstat.Round3((b.cpuS - a.cpuS) / b.at.Sub(a.at).Seconds() * 100)
}

// report turns a finished run into its Report.
func (c *core) report(out *outcome) *Report {
	from, to := c.window()
	round3 := loadstat.Round3
	rep := &Report{
		Scenario:          c.cfg.Name,
		Clients:           c.cfg.Clients,
		TickHz:            int(c.tickHz.Load()),
		InputHz:           c.cfg.InputHz,
		DurationS:         round3(time.Duration(to - from).Seconds()),
		WarmupS:           c.cfg.Warmup.Seconds(),
		Connected:         out.live,
		Interrupted:       out.interrupted,
		Notes:             out.notes,
		Server:            ServerInfo{Kind: "external", URL: c.cfg.URL, MetricsURL: c.cfg.MetricsURL},
		Started:           c.clk.Start.UTC().Format(time.RFC3339),
		Timeline:          c.timeline,
		ServerErrors:      c.errs.Snapshot(),
		Snapshots:         c.snapshots.Load(),
		Deltas:            c.deltas.Load(),
		ReplicaErrors:     c.replicaErrs.Load(),
		hist:              c.latency.Window(),
		LatencyFromSendMs: loadstat.PercentilesOf(c.fromSend.Window()),
		SendLagMs:         loadstat.PercentilesOf(c.sendLag.Window()),
	}
	c.roomsMu.Lock()
	rep.Rooms = len(c.rooms)
	c.roomsMu.Unlock()
	if len(rep.ServerErrors) == 0 {
		rep.ServerErrors = nil
	}
	if out.start == nil {
		rep.DurationS = 0
	}
	if rep.TickHz > 0 {
		rep.LatencyFloorP99Ms = round3(0.99 * 1000 / float64(rep.TickHz))
	}
	rep.LatencyMs = loadstat.PercentilesOf(rep.hist)
	if f := failureCounts(c.players); len(f) > 0 {
		rep.Failures = f
		for _, n := range f {
			rep.Failed += n
		}
	}
	for _, p := range c.players {
		p.mu.Lock()
		sent, lost := p.track.Window(from, to)
		p.mu.Unlock()
		rep.InputsSent += sent
		rep.InputsLost += lost
		rep.InputsRefused += p.refused.Load()
	}
	rep.InputsAcked = rep.InputsSent - rep.InputsLost
	if a, b := out.start, out.end; a != nil && b != nil {
		secs := time.Duration(b.at - a.at).Seconds()
		clients := float64(max(out.live, 1))
		perClientS := func(v int64) float64 { return round3(float64(v) / clients / secs) }
		rep.BytesInPerClientS = perClientS(b.bytesIn - a.bytesIn)
		rep.BytesOutPerClientS = perClientS(b.bytesOut - a.bytesOut)
		rep.BytesPerClientS = round3(rep.BytesInPerClientS + rep.BytesOutPerClientS)
		rep.FramesPerClientS = perClientS(b.msgs - a.msgs)
		if a.srvErr == nil && b.srvErr == nil {
			pct := cpuPct(a.srv, b.srv)
			mb := round3(b.srv.rssBytes / (1 << 20))
			rep.ServerCPUPct, rep.ServerRSSMB = &pct, &mb
		} else {
			rep.Notes = append(rep.Notes, "server CPU and RSS not measured: "+firstErr(a.srvErr, b.srvErr).Error())
		}
		if t := b.ticks; t != nil && a.ticksErr == nil {
			rep.TickMs, rep.JitterMs, rep.Ticks, rep.Overruns = &t.TickMs, &t.JitterMs, &t.Ticks, &t.Overruns
		} else {
			rep.Notes = append(rep.Notes, "tick statistics not measured (GET /debug/ticks): "+firstErr(a.ticksErr, b.ticksErr).Error())
		}
	}
	if lag := rep.SendLagMs.P99; lag > float64(c.cfg.inputPeriod())/2e6 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("the harness itself sent late (send lag p99 %.1f ms): it was short of CPU, and the latency includes its delay", lag))
	}
	return rep
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return fmt.Errorf("unknown")
}

package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// soakSample is the state of the server and of the bots at one moment of
// a soak. Server figures are null when the server does not expose them.
type soakSample struct {
	T     float64 `json:"t_s"`   // since the run started
	Phase string  `json:"phase"` // base (before any bot), soak, end (after every bot left)

	// From the server's GET /metrics: go_goroutines, tickwire_sessions
	// (open /ws and /echo WebSockets), tickwire_players (seated, detached
	// ones included), tickwire_players_detached, tickwire_rooms.
	Goroutines *float64 `json:"goroutines"`
	Sessions   *float64 `json:"sessions"`
	Players    *float64 `json:"players"`
	Detached   *float64 `json:"players_detached"`
	Rooms      *float64 `json:"rooms"`
	// From /proc: RSS now, CPU since the previous sample.
	RSSMB  *float64 `json:"rss_mb"`
	CPUPct *float64 `json:"server_cpu_pct"`
	// BenchCPUPct is the bench's own CPU since the previous sample, and
	// OtherCPUPct what the rest of the machine used (as the timeline's).
	BenchCPUPct *float64 `json:"bench_cpu_pct"`
	OtherCPUPct *float64 `json:"other_cpu_pct"`
	// From GET /debug/ticks: every room's ticks since the previous sample.
	TickP99Ms   *float64 `json:"tick_p99_ms"`
	TickMaxMs   *float64 `json:"tick_max_ms"`
	JitterP99Ms *float64 `json:"jitter_p99_ms"`
	Ticks       *uint64  `json:"ticks"`
	Overruns    *uint64  `json:"overruns"`
	Skipped     *uint64  `json:"skipped"`
	// LatencyP99Ms is input-to-state p99 of the inputs acknowledged since
	// the previous sample.
	LatencyP99Ms float64 `json:"latency_p99_ms"`

	// The bots: connected (an open connection) and seated now; inputs and
	// churn so far.
	Connected int   `json:"connected"`
	Seated    int   `json:"seated"`
	Sent      int64 `json:"sent"`
	Acked     int64 `json:"acked"`
	Lost      int64 `json:"lost"`
	InFlight  int64 `json:"in_flight_at_churn"`
	Refused   int64 `json:"refused"`
	Joins     int64 `json:"joins"`
	Leaves    int64 `json:"leaves"`
	Reconnect int64 `json:"reconnects"`
	Drops     int64 `json:"drops"`
	Unexpect  int64 `json:"unexpected_closes"`
}

// soakMetrics are the /metrics series a sample reads.
var soakMetrics = []string{"go_goroutines", "tickwire_sessions", "tickwire_players", "tickwire_players_detached", "tickwire_rooms"}

// soakSampler takes the samples of one soak; one goroutine at a time.
type soakSampler struct {
	s        *soakRun
	pid      string
	prevCPU  cpuSample
	prevAt   int64
	cpuOK    bool
	prevSelf cpuSample
	prevSys  cpuSample
	sysOK    bool
	lastRSS  int64
	// counters are the watched /metrics counters at the base sample (true)
	// and at the latest soak sample (false).
	counters map[bool]map[string]float64
}

func newSoakSampler(s *soakRun) *soakSampler {
	return &soakSampler{s: s, pid: strconv.Itoa(s.srv.pid), counters: map[bool]map[string]float64{}}
}

// loop samples every -sample-every from from until before to.
func (m *soakSampler) loop(ctx context.Context, from, to int64) {
	every := int64(m.s.cfg.sampleEvery)
	for t := from + every; t < to; t += every {
		if !m.s.sleepUntil(ctx, t) {
			return
		}
		m.take(ctx, "soak")
	}
}

// take reads one sample, appends it and prints it (unless -quiet).
func (m *soakSampler) take(ctx context.Context, phase string) soakSample {
	s := m.s
	now := s.clk.Now()
	pt := soakSample{T: round3(float64(now) / 1e9), Phase: phase}
	if s.srv.pid != 0 {
		if c, err := readCPU(m.pid); err == nil {
			if m.cpuOK && now > m.prevAt {
				pct := round3(cpuPercent(m.prevCPU, c))
				pt.CPUPct = &pct
			}
			m.prevCPU, m.prevAt, m.cpuOK = c, now, true
		}
		if rss, err := readRSS(m.pid); err == nil {
			mb := round3(float64(rss) / (1 << 20))
			pt.RSSMB, m.lastRSS = &mb, rss
		}
	}
	self, err1 := readCPU("self")
	sys, err2 := readSystemCPU()
	if err1 == nil && err2 == nil {
		if m.sysOK {
			bench := round3(cpuPercent(m.prevSelf, self))
			other := max(cpuPercent(m.prevSys, sys)-bench, 0)
			if pt.CPUPct != nil {
				other = max(other-*pt.CPUPct, 0)
			}
			other = round3(other)
			pt.BenchCPUPct, pt.OtherCPUPct = &bench, &other
		}
		m.prevSelf, m.prevSys, m.sysOK = self, sys, true
	}
	ctx = context.WithoutCancel(ctx)
	if body, err := httpGet(ctx, s.hc, s.srv.httpBase, "/metrics"); err == nil {
		if phase != "end" {
			m.counters[phase == "base"] = parseMetrics(string(body))
		}
		v := sumMetrics(string(body), soakMetrics)
		get := func(name string) *float64 {
			if x, ok := v[name]; ok {
				return &x
			}
			return nil
		}
		pt.Goroutines, pt.Sessions, pt.Players = get("go_goroutines"), get("tickwire_sessions"), get("tickwire_players")
		pt.Detached, pt.Rooms = get("tickwire_players_detached"), get("tickwire_rooms")
	}
	if t, err := fetchTicks(ctx, s.hc, s.srv.httpBase); err == nil && t.Ticks > 0 {
		p99, mx, j := t.TickMs.P99, t.TickMs.Max, t.JitterMs.P99
		pt.TickP99Ms, pt.TickMaxMs, pt.JitterP99Ms = &p99, &mx, &j
		pt.Ticks, pt.Overruns, pt.Skipped = &t.Ticks, &t.Overruns, &t.Skipped
	}
	pt.LatencyP99Ms = percentilesOf(s.latency.TakeRecent()).P99
	for _, b := range s.bots {
		c, seated := b.seated()
		if c {
			pt.Connected++
		}
		if seated {
			pt.Seated++
		}
	}
	pt.Sent, pt.Acked, pt.Lost, pt.InFlight, pt.Refused = s.sent.Load(), s.acked.Load(), s.lost.Load(), s.inFlight.Load(), s.refused.Load()
	pt.Joins, pt.Leaves, pt.Reconnect = s.joins.Load(), s.leaves.Load(), s.reconnects.Load()
	pt.Drops = s.dropsFIN.Load() + s.dropsRST.Load()
	for _, n := range s.unexpected.Snapshot() {
		pt.Unexpect += int64(n)
	}
	s.samples = append(s.samples, pt)
	if !s.cfg.quiet {
		fmt.Fprintln(s.log, soakLine(pt, s.cfg.clients))
	}
	return pt
}

// settle waits, after the bots left, until the server holds no session and
// no seated player (at most soakSettle), so that the end sample shows what
// stays behind rather than what is still closing.
func (m *soakSampler) settle(ctx context.Context) {
	deadline := time.Now().Add(soakSettle)
	for time.Now().Before(deadline) {
		body, err := httpGet(ctx, m.s.hc, m.s.srv.httpBase, "/metrics")
		if err != nil {
			return
		}
		v := sumMetrics(string(body), soakMetrics)
		if v["tickwire_sessions"] == 0 && v["tickwire_players"] == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// soakSettle bounds settle.
const soakSettle = 10 * time.Second

// soakLine formats one sample as a progress line.
func soakLine(pt soakSample, clients int) string {
	var b strings.Builder
	opt := func(v *float64, format string) string {
		if v == nil {
			return "n/a"
		}
		return fmt.Sprintf(format, *v)
	}
	fmt.Fprintf(&b, "soak %7.1fs %-5s bots %d/%d seated | server sessions %s goroutines %s rss %s MB cpu %s%% | tick p99 %s ms | input-to-state p99 %.1f ms | bench cpu %s%% others %s%%",
		pt.T, pt.Phase, pt.Seated, clients, opt(pt.Sessions, "%.0f"), opt(pt.Goroutines, "%.0f"), opt(pt.RSSMB, "%.1f"), opt(pt.CPUPct, "%.0f"),
		opt(pt.TickP99Ms, "%.2f"), pt.LatencyP99Ms, opt(pt.BenchCPUPct, "%.0f"), opt(pt.OtherCPUPct, "%.0f"))
	fmt.Fprintf(&b, " | inputs sent %d acked %d lost %d in flight at churn %d refused %d | joins %d leaves %d reconnects %d drops %d unexpected %d",
		pt.Sent, pt.Acked, pt.Lost, pt.InFlight, pt.Refused, pt.Joins, pt.Leaves, pt.Reconnect, pt.Drops, pt.Unexpect)
	return b.String()
}

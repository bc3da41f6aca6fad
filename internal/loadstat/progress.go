package loadstat

import (
	"fmt"
	"strings"
)

// TimePoint is one second of a run, for the progress line and the
// latency-over-time plot.
type TimePoint struct {
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

// LineParts says which parts a progress line shows.
type LineParts struct {
	Inputs  bool // inputs per second and input-to-state latency
	RTT     bool // ping round trips
	Server  bool // the server's CPU and RSS
	Machine bool // the load generator's CPU and the other processes'
}

// ProgressLine formats one second of a run of clients clients; prefix
// names the harness ("bench", "loadtest").
func ProgressLine(prefix string, pt TimePoint, clients int, parts LineParts) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %6.1fs %-7s clients %d/%d", prefix, pt.T, pt.Phase, pt.Live, clients)
	if pt.Failed > 0 {
		fmt.Fprintf(&b, " failed %d", pt.Failed)
	}
	if parts.Inputs {
		fmt.Fprintf(&b, " | inputs %.0f/s | input-to-state p50 %.1f p99 %.1f max %.1f ms",
			pt.InputsPerS, pt.LatencyP50, pt.LatencyP99, pt.LatencyMax)
	}
	if parts.RTT {
		fmt.Fprintf(&b, " | rtt p50 %.2f ms", pt.RTTP50)
	}
	if parts.Server {
		fmt.Fprintf(&b, " | server cpu %.0f%% rss %.0f MB", pt.ServerCPUPct, pt.ServerRSSMB)
	}
	if parts.Machine {
		fmt.Fprintf(&b, " | bench cpu %.0f%% | others %.0f%%", pt.BenchCPUPct, pt.OtherCPUPct)
	}
	return b.String()
}

package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
)

// machine describes where a run happened.
type machine struct {
	CPU       string `json:"cpu"`
	NumCPU    int    `json:"num_cpu"`
	MemTotal  string `json:"mem_total"`
	Kernel    string `json:"kernel"`
	GoVersion string `json:"go_version"`
	NBIO      string `json:"nbio"`
	Coder     string `json:"coder_websocket"`
	Gorilla   string `json:"gorilla_websocket"`
	LoadAvg   string `json:"loadavg_at_start"`
}

func (m machine) String() string {
	return fmt.Sprintf("%s, %d CPUs, %s, Linux %s, %s, nbio %s, coder/websocket %s, gorilla/websocket %s, loadavg %s",
		m.CPU, m.NumCPU, m.MemTotal, m.Kernel, m.GoVersion, m.NBIO, m.Coder, m.Gorilla, m.LoadAvg)
}

func describeMachine() machine {
	m := machine{NumCPU: runtime.NumCPU(), GoVersion: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				m.MemTotal = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		f := strings.Fields(string(b))
		if len(f) >= 3 {
			m.LoadAvg = strings.Join(f[:3], " ")
		}
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			switch d.Path {
			case "github.com/lesismal/nbio":
				m.NBIO = d.Version
			case "github.com/coder/websocket":
				m.Coder = d.Version
			case "github.com/gorilla/websocket":
				m.Gorilla = d.Version
			}
		}
	}
	return m
}

// printReport writes the results as Markdown tables (ready for
// BENCHMARKS.md).
func printReport(w io.Writer, cfg *config, rep *report) {
	fmt.Fprintf(w, "\nMachine: %s\n", rep.Machine)
	fmt.Fprintf(w, "Command: %s\n", rep.Command)
	var idle, active []result
	for _, r := range rep.Results {
		if r.Scenario == "idle" {
			idle = append(idle, r)
		} else {
			active = append(active, r)
		}
	}
	if len(idle) > 0 {
		fmt.Fprintf(w, "\nIdle connections (settle %v; per connection = ΔRSS / connections; heap and stack are Go runtime figures after a forced GC)\n\n", cfg.settle)
		fmt.Fprintln(w, "| server | path | conns | RSS base → with conns | per conn | per conn after GC | heap/conn | stack/conn | goroutines | idle CPU | note |")
		fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
		for _, r := range idle {
			if r.Idle == nil {
				fmt.Fprintf(w, "| %s | %s | %d | | | | | | | | %s |\n", r.Server, r.Path, r.Conns, r.Error)
				continue
			}
			i := r.Idle
			fmt.Fprintf(w, "| %s | %s | %d | %.1f → %.1f MB | %s | %s | %s | %s | %d | %.1f%% | %s |\n",
				r.Server, r.Path, r.Opened, mb(i.RSSBaseKB), mb(i.RSSKB), kb(i.BytesPerConn), kb(i.BytesPerConnGC),
				kb(i.HeapBytesPerConn), kb(i.StackBytesPerConn), i.Goroutines, i.IdleCPUPct, r.Error)
		}
	}
	if len(active) > 0 {
		fmt.Fprintf(w, "\nEcho load (%d connections × %g msg/s, %d-byte messages, %v window after %v warmup; RTT from the client; CPU in %% of one core)\n\n",
			cfg.activeConns, cfg.rate, len(appendProbe(nil, 1<<60, cfg.msgSize)), cfg.duration, cfg.warmup)
		fmt.Fprintln(w, "| server | round | path | messages | lost | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | server CPU | client CPU | other CPU | server RSS | note |")
		fmt.Fprintln(w, "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
		for _, r := range active {
			if r.Active == nil {
				fmt.Fprintf(w, "| %s | %d | %s | | | | | | | | | | | | %s |\n", r.Server, r.Round, r.Path, r.Error)
				continue
			}
			a := r.Active
			l := a.LatencyMs
			note := r.Error
			if r.Tries > 1 {
				note = strings.TrimSpace(fmt.Sprintf("try %d (earlier ones noisy) %s", r.Tries, note))
			}
			fmt.Fprintf(w, "| %s | %d | %s | %d | %d | %.3f | %.3f | %.3f | %.3f | %.1f | %.1f%% | %.1f%% | %.1f%% | %.1f MB | %s |\n",
				r.Server, r.Round, r.Path, l.Count, a.Lost, l.P50, l.P90, l.P99, l.P999, l.Max,
				a.CPU.ServerPct, a.CPU.ClientPct, a.CPU.OtherPct, mb(a.RSSKB), note)
		}
		if cfg.rounds > 1 {
			printMedians(w, cfg, active)
		}
	}
	fmt.Fprintln(w)
}

// printMedians summarises the rounds of the active scenario: per server,
// the median of each figure over the rounds that completed.
func printMedians(w io.Writer, cfg *config, active []result) {
	fmt.Fprintf(w, "\nMedians over %d rounds\n\n", cfg.rounds)
	fmt.Fprintln(w, "| server | rounds | p50 ms | p99 ms | max ms | server CPU | client CPU | other CPU |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, spec := range cfg.servers {
		var p50, p99, mx, srv, cli, oth []float64
		for _, r := range active {
			if r.Server != spec.Label || r.Active == nil {
				continue
			}
			a := r.Active
			p50 = append(p50, a.LatencyMs.P50)
			p99 = append(p99, a.LatencyMs.P99)
			mx = append(mx, a.LatencyMs.Max)
			srv = append(srv, a.CPU.ServerPct)
			cli = append(cli, a.CPU.ClientPct)
			oth = append(oth, a.CPU.OtherPct)
		}
		if len(srv) == 0 {
			continue
		}
		fmt.Fprintf(w, "| %s | %d | %.3f | %.3f | %.1f | %.1f%% | %.1f%% | %.1f%% |\n",
			spec.Label, len(srv), median(p50), median(p99), median(mx), median(srv), median(cli), median(oth))
	}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func mb(kib int64) float64 { return float64(kib) / 1024 }

func kb(bytes float64) string {
	if bytes < 1024 && bytes > -1024 {
		return fmt.Sprintf("%.0f B", bytes)
	}
	return fmt.Sprintf("%.1f KB", bytes/1024)
}

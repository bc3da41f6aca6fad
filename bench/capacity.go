package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"
)

// capacityReport is the table of a -find-capacity search.
type capacityReport struct {
	TargetP99Ms float64        `json:"target_p99_ms"`
	MaxClients  int            `json:"max_clients"` // the largest passing step; 0 if none passed
	Limit       string         `json:"limit"`       // why the search stopped
	Steps       []capacityStep `json:"steps"`
}

// capacityStep is one run of the search.
type capacityStep struct {
	Clients      int         `json:"clients"`
	Rooms        int         `json:"rooms"`
	LatencyMs    Percentiles `json:"latency_ms"`
	JitterP99Ms  *float64    `json:"jitter_p99_ms"`
	TickP99Ms    *float64    `json:"tick_p99_ms"`
	Overruns     *uint64     `json:"overruns"`
	Skipped      *uint64     `json:"skipped"`
	Failed       int         `json:"failed"`
	InputsLost   uint64      `json:"inputs_lost"`
	Refused      int64       `json:"inputs_refused"`
	ServerCPUPct *float64    `json:"server_cpu_pct"`
	ServerRSSMB  *float64    `json:"server_rss_mb"`
	BenchCPUPct  float64     `json:"bench_cpu_pct"`
	OtherCPUPct  *float64    `json:"other_cpu_pct"`
	Attempt      int         `json:"attempt"` // 1, or more when a shared machine spoiled earlier ones
	Pass         bool        `json:"pass"`
	Reason       string      `json:"reason,omitempty"` // why it failed
}

// judge decides whether a run passes the capacity target: p99 within the
// target, no tick overrun or skipped deadline, no failed client, no lost
// input.
func judge(rep *Report, target time.Duration) capacityStep {
	s := capacityStep{
		Clients: rep.Clients, Rooms: rep.Rooms, LatencyMs: rep.LatencyMs,
		Overruns: rep.Overruns, Skipped: rep.Skipped, Failed: rep.Failed, InputsLost: rep.InputsLost, Refused: rep.InputsRefused,
		ServerCPUPct: rep.ServerCPUPct, ServerRSSMB: rep.ServerRSSMB, BenchCPUPct: rep.BenchCPUPct,
		OtherCPUPct: rep.OtherCPUPct, Attempt: 1,
	}
	if rep.JitterMs != nil {
		s.JitterP99Ms, s.TickP99Ms = &rep.JitterMs.P99, &rep.TickMs.P99
	}
	var why []string
	targetMs := float64(target) / 1e6
	switch {
	case rep.LatencyMs.Count == 0:
		why = append(why, "no input was acknowledged")
	case rep.LatencyMs.P99 > targetMs:
		why = append(why, fmt.Sprintf("p99 %.2f ms > target %.2f ms", rep.LatencyMs.P99, targetMs))
	}
	if rep.Overruns != nil && *rep.Overruns > 0 {
		why = append(why, fmt.Sprintf("%d tick overruns", *rep.Overruns))
	}
	if rep.Skipped != nil && *rep.Skipped > 0 {
		why = append(why, fmt.Sprintf("%d ticks skipped", *rep.Skipped))
	}
	if rep.Failed > 0 {
		why = append(why, fmt.Sprintf("%d clients failed", rep.Failed))
	}
	if rep.InputsLost > 0 {
		why = append(why, fmt.Sprintf("%d inputs lost", rep.InputsLost))
	}
	if rep.InputsRefused > 0 {
		why = append(why, fmt.Sprintf("%d inputs refused", rep.InputsRefused))
	}
	if rep.Interrupted {
		why = append(why, "interrupted")
	}
	s.Pass = len(why) == 0
	s.Reason = strings.Join(why, "; ")
	return s
}

// sharedOtherPct is the CPU other processes may use during a capacity step
// before a failure of that step is blamed on them and the step is run again.
const sharedOtherPct = 25

// sharedSpoiled reports whether other processes used enough CPU during
// rep's window to explain its failure.
func sharedSpoiled(rep *Report) bool {
	return rep.OtherCPUPct != nil && *rep.OtherCPUPct > sharedOtherPct
}

// fdReserve is the file descriptors kept free of clients (stdio, the
// HTTP client, the child's pipes, the engine's epoll).
const fdReserve = 64

// nextClients is the client count of the step after n.
func (c *config) nextClients(n int) int {
	if c.capAdd > 0 {
		return n + c.capAdd
	}
	return max(int(math.Ceil(float64(n)*c.capFactor)), n+1)
}

// findCapacity runs steps of growing client counts (each against a fresh
// child server, unless -addr) until one fails the target, and returns the
// report of the largest passing step with the table of every step.
func findCapacity(ctx context.Context, cfg *config, build *serverBuild, log io.Writer) (*Report, error) {
	target := cfg.target()
	capRep := &capacityReport{TargetP99Ms: round3(float64(target) / 1e6)}
	var best, last *Report
	limit := uint64(raiseFDLimit())
	stepNo := 0
	for n := cfg.clients; ; n = cfg.nextClients(n) {
		if n > cfg.capMax {
			capRep.Limit = fmt.Sprintf("reached -capacity-max %d", cfg.capMax)
			break
		}
		if limit > 0 && uint64(n+fdReserve) > limit {
			capRep.Limit = fmt.Sprintf("%d clients need more than the open-files limit %d", n, limit)
			break
		}
		step := cfg.withClients(n)
		stepNo++
		var (
			rep *Report
			s   capacityStep
			err error
		)
		for attempt := 1; ; attempt++ {
			fmt.Fprintf(log, "capacity: step %d: %d clients, %d rooms (attempt %d)\n", stepNo, step.clients, step.rooms, attempt)
			if rep, err = runOnce(ctx, step, build); err != nil {
				break
			}
			s = judge(rep, target)
			s.Attempt = attempt
			if s.Pass || attempt > cfg.capRetries || !sharedSpoiled(rep) || ctx.Err() != nil {
				break
			}
			capRep.Steps = append(capRep.Steps, s) // kept in the table, then run again
			fmt.Fprintf(log, "capacity: %d clients failed while other processes used %.0f%% CPU: running it again\n", n, *rep.OtherCPUPct)
		}
		if err != nil {
			capRep.Steps = append(capRep.Steps, capacityStep{Clients: step.clients, Rooms: step.rooms, Reason: err.Error()})
			capRep.Limit = "step failed: " + err.Error()
			break
		}
		last = rep
		capRep.Steps = append(capRep.Steps, s)
		fmt.Fprintf(log, "capacity: %d clients: p99 %.2f ms: %s\n", n, s.LatencyMs.P99, map[bool]string{true: "pass", false: "FAIL: " + s.Reason}[s.Pass])
		if !s.Pass {
			capRep.Limit = fmt.Sprintf("%d clients: %s", n, s.Reason)
			break
		}
		best = rep
		capRep.MaxClients = n
		if ctx.Err() != nil {
			capRep.Limit = "interrupted"
			break
		}
		if cfg.addr != "" { // let the shared server forget the last step's sessions
			time.Sleep(2 * time.Second)
		}
	}
	out := best
	if out == nil {
		out = last
	}
	if out == nil {
		return nil, fmt.Errorf("capacity search: no step ran: %s", capRep.Limit)
	}
	out.Capacity = capRep
	out.Command = cfg.commandLine()
	return out, nil
}

// printCapacity writes the table of steps.
func printCapacity(w io.Writer, c *capacityReport) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "capacity search, target p99 %.2f ms: largest passing %d clients (stopped: %s)\n", c.TargetP99Ms, c.MaxClients, c.Limit)
	fmt.Fprintln(tw, "clients\trooms\tp50 ms\tp99 ms\tp99.9 ms\tmax ms\tjitter p99\toverruns\tfailed\tlost\trefused\tserver cpu\tbench cpu\tother cpu\tresult\t")
	opt := func(v *float64) string {
		if v == nil {
			return "n/a"
		}
		return fmt.Sprintf("%.2f", *v)
	}
	optU := func(v *uint64) string {
		if v == nil {
			return "n/a"
		}
		return fmt.Sprint(*v)
	}
	for _, s := range c.Steps {
		res := "pass"
		if !s.Pass {
			res = "FAIL"
		}
		if s.Attempt > 1 {
			res += fmt.Sprintf(" (try %d)", s.Attempt)
		}
		fmt.Fprintf(tw, "%d\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%s\t%s\t%d\t%d\t%d\t%s%%\t%.0f%%\t%s%%\t%s\t\n",
			s.Clients, s.Rooms, s.LatencyMs.P50, s.LatencyMs.P99, s.LatencyMs.P999, s.LatencyMs.Max,
			opt(s.JitterP99Ms), optU(s.Overruns), s.Failed, s.InputsLost, s.Refused, opt(s.ServerCPUPct), s.BenchCPUPct, opt(s.OtherCPUPct), res)
	}
	_ = tw.Flush()
}

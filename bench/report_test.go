package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/internal/loadstat"
)

// syntheticReport is a report as a capacity search would return it, with
// a latency histogram, a timeline and two steps.
func syntheticReport() *Report {
	r := newRecorder()
	for v := int64(0); v < 5000; v++ {
		r.Record(int(v), (v%50)*ms+ms/2, true)
	}
	zero := uint64(0)
	cpu, other := 40.0, 3.0
	rep := &Report{
		Scenario: "arena", Clients: 500, Rooms: 10, TickHz: 20, InputHz: 20, DurationS: 10,
		LatencyFloorP99Ms: 49.5, Overruns: &zero, Skipped: &zero, ServerCPUPct: &cpu, OtherCPUPct: &other,
		hist: r.Window(),
	}
	rep.LatencyMs = percentilesOf(rep.hist)
	for i := range 12 {
		rep.Timeline = append(rep.Timeline, timePoint{T: float64(i), Phase: "measure", Live: 500, LatencyP50: 25, LatencyP99: 49, LatencyMax: 51, ServerCPUPct: 40, BenchCPUPct: 45, ServerRSSMB: 30})
	}
	pass := judge(rep, 54500*time.Microsecond)
	worse := *rep
	worse.Clients, worse.LatencyMs.P99 = 750, 60
	fail := judge(&worse, 54500*time.Microsecond)
	fail.Attempt = 2
	floor := *rep
	perPlayer, floorPerPlayer, ratio := 800.0, 640.0, 1.25
	floor.Scenario, floor.Capacity, floor.ServerCPUUsPerClientS = "floor", nil, &floorPerPlayer
	rep.Floor, rep.ServerCPUVsFloor, rep.ServerCPUUsPerClientS = &floor, &ratio, &perPlayer
	rep.Capacity = &capacityReport{TargetP99Ms: 54.5, MaxClients: 500, Limit: "750 clients: " + fail.Reason, Steps: []capacityStep{pass, fail}}
	return rep
}

// TestPlots draws every panel in both formats.
func TestPlots(t *testing.T) {
	rep := syntheticReport()
	for _, name := range []string{"plot.png", "plot.svg"} {
		path := filepath.Join(t.TempDir(), name)
		if err := writePlots(path, rep); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if st, err := os.Stat(path); err != nil || st.Size() < 10_000 {
			t.Errorf("%s: %v, %d bytes", name, err, st.Size())
		}
	}
}

// TestSummaryAndCapacityTable: the human output names what matters.
func TestSummaryAndCapacityTable(t *testing.T) {
	rep := syntheticReport()
	var b bytes.Buffer
	printSummary(&b, rep)
	printCapacity(&b, rep.Capacity)
	printFloorComparison(&b, rep)
	out := b.String()
	for _, want := range []string{
		"input-to-state (CO-corrected)", "floor p99 49.50 ms",
		"largest passing 500 clients", "p99 60.00 ms > target 54.50 ms", "FAIL (try 2)",
		"arena/floor", "server CPU per player: arena 800.0 µs/s, floor 640.0 µs/s: 1.25× the floor (target ≤ 1.2×)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestHistBinsCoverEverything(t *testing.T) {
	rep := syntheticReport()
	var total float64
	for _, b := range loadstat.HistBins(rep.hist) {
		total += b.Weight
	}
	if int64(total) != rep.hist.TotalCount() {
		t.Errorf("bins hold %v of %d values", total, rep.hist.TotalCount())
	}
}

package main

import (
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"

	"github.com/tickwire/tickwire/internal/loadstat"
)

// plotFormats are the -plot file extensions (gonum/plot formats).
var plotFormats = []string{".png", ".svg"}

// writePlots draws rep as one self-contained image (gonum/plot), panels
// stacked: latency against clients (capacity search only), the latency
// histogram, latency over time, and CPU and memory over time.
func writePlots(path string, rep *Report) error {
	var panels []*plot.Plot
	if rep.Capacity != nil && len(rep.Capacity.Steps) > 0 {
		panels = append(panels, capacityPlot(rep.Capacity))
	}
	if rep.hist != nil && rep.hist.TotalCount() > 0 {
		panels = append(panels, loadstat.HistogramPlot(plotRun(rep)))
	}
	if len(rep.Timeline) > 0 {
		p, err := loadstat.LatencyOverTime(plotRun(rep))
		if err != nil {
			return err
		}
		q, err := resourcesOverTime(rep)
		if err != nil {
			return err
		}
		if rep.LatencyMs.Count > 0 {
			panels = append(panels, p)
		}
		panels = append(panels, q)
	}
	if rep.Floor != nil && len(rep.Floor.Timeline) > 0 {
		p, err := floorOverTime(rep)
		if err != nil {
			return err
		}
		panels = append(panels, p)
	}
	return loadstat.WritePanels(path, panels)
}

// caption is the run's one-line description under every title.
func caption(rep *Report) string {
	return fmt.Sprintf("%s: %d clients, %d rooms, %d Hz, %g inputs/s each, %.0f s — %s",
		rep.Scenario, rep.Clients, rep.Rooms, rep.TickHz, rep.InputHz, rep.DurationS, rep.Started)
}

// plotRun is what loadstat's latency panels draw of rep.
func plotRun(rep *Report) loadstat.PlotRun {
	return loadstat.PlotRun{Caption: caption(rep), Latency: rep.LatencyMs, Hist: rep.hist, FloorP99Ms: rep.LatencyFloorP99Ms, Timeline: rep.Timeline}
}

func newPlot(title, x, y string) *plot.Plot { return loadstat.NewPlot(title, x, y) }

func resourcesOverTime(rep *Report) (*plot.Plot, error) {
	p := newPlot("CPU (% of one core) and server RSS each second\n"+caption(rep), "s since start", "% / MB")
	var srv, bench, other, rss plotter.XYs
	for _, pt := range rep.Timeline {
		srv = append(srv, plotter.XY{X: pt.T, Y: pt.ServerCPUPct})
		bench = append(bench, plotter.XY{X: pt.T, Y: pt.BenchCPUPct})
		other = append(other, plotter.XY{X: pt.T, Y: pt.OtherCPUPct})
		rss = append(rss, plotter.XY{X: pt.T, Y: pt.ServerRSSMB})
	}
	p.Y.Min = 0
	return p, plotutil.AddLines(p, "server cpu %", srv, "bench cpu %", bench, "other processes cpu %", other, "server rss MB", rss)
}

func capacityPlot(c *capacityReport) *plot.Plot {
	p := newPlot(fmt.Sprintf("Capacity search: input-to-state latency against clients\nlargest passing %d clients (target p99 %.2f ms); stopped: %s",
		c.MaxClients, c.TargetP99Ms, truncate(c.Limit, 90)), "clients", "ms")
	var p50, p99, p999, target plotter.XYs
	for _, s := range c.Steps {
		if s.LatencyMs.Count == 0 {
			continue
		}
		x := float64(s.Clients)
		p50 = append(p50, plotter.XY{X: x, Y: s.LatencyMs.P50})
		p99 = append(p99, plotter.XY{X: x, Y: s.LatencyMs.P99})
		p999 = append(p999, plotter.XY{X: x, Y: s.LatencyMs.P999})
		target = append(target, plotter.XY{X: x, Y: c.TargetP99Ms})
	}
	if len(p50) > 0 {
		_ = plotutil.AddLinePoints(p, "p50", p50, "p99", p99, "p99.9", p999, "target p99", target)
	}
	return p
}

// floorOverTime sets the server CPU of a -floor run's two halves side by
// side, second by second, with what other processes used meanwhile.
func floorOverTime(rep *Report) (*plot.Plot, error) {
	title := "Server CPU each second (% of one core): " + rep.Scenario + " against the socket floor"
	if rep.ServerCPUVsFloor != nil {
		title += fmt.Sprintf(" — per player %.2f× the floor's", *rep.ServerCPUVsFloor)
	}
	p := newPlot(title+"\n"+caption(rep), "s since start", "% of one core")
	line := func(r *Report, other bool) plotter.XYs {
		var xy plotter.XYs
		for _, pt := range r.Timeline {
			y := pt.ServerCPUPct
			if other {
				y = pt.OtherCPUPct
			}
			xy = append(xy, plotter.XY{X: pt.T, Y: y})
		}
		return xy
	}
	p.Y.Min = 0
	return p, plotutil.AddLines(p,
		rep.Scenario+" server", line(rep, false), "floor server", line(rep.Floor, false),
		"other processes ("+rep.Scenario+" run)", line(rep, true), "other processes (floor run)", line(rep.Floor, true))
}

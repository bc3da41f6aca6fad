package main

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/HdrHistogram/hdrhistogram-go"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	_ "gonum.org/v1/plot/vg/vgimg" // png
	_ "gonum.org/v1/plot/vg/vgsvg" // svg
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
		panels = append(panels, histogramPlot(rep))
	}
	if len(rep.Timeline) > 0 {
		p, err := latencyOverTime(rep)
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
	if len(panels) == 0 {
		return fmt.Errorf("nothing to plot")
	}
	const w, h = 24 * vg.Centimeter, 11 * vg.Centimeter
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	c, err := draw.NewFormattedCanvas(w, h*vg.Length(len(panels)), format)
	if err != nil {
		return err
	}
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: len(panels), Cols: 1, PadY: vg.Centimeter / 2, PadTop: vg.Centimeter / 4}
	for i, p := range panels {
		p.Draw(tiles.At(dc, 0, i))
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := c.WriteTo(f); err != nil {
		_ = f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

// caption is the run's one-line description under every title.
func caption(rep *Report) string {
	return fmt.Sprintf("%s: %d clients, %d rooms, %d Hz, %g inputs/s each, %.0f s — %s",
		rep.Scenario, rep.Clients, rep.Rooms, rep.TickHz, rep.InputHz, rep.DurationS, rep.Started)
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	return p
}

// histBins bins the latency histogram (µs) into bars of a round width in
// ms, up to its 99.99th percentile; the rest is lumped into the last bar.
func histBins(h *hdrhistogram.Histogram) []plotter.HistogramBin {
	top := h.ValueAtQuantile(99.99)
	width := niceWidth(float64(top) / 60)
	n := int(top/width) + 1
	bins := make([]plotter.HistogramBin, n+1)
	for i := range bins {
		bins[i].Min = float64(int64(i)*width) / 1000
		bins[i].Max = float64(int64(i+1)*width) / 1000
	}
	for _, b := range h.Distribution() {
		if b.Count > 0 {
			bins[min(int(b.From/width), n)].Weight += float64(b.Count)
		}
	}
	return bins
}

// niceWidth rounds w µs up to 1, 2 or 5 times a power of ten.
func niceWidth(w float64) int64 {
	if w < 1 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(w)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= w {
			return int64(m * p)
		}
	}
	return int64(10 * p)
}

func histogramPlot(rep *Report) *plot.Plot {
	l := rep.LatencyMs
	p := newPlot(fmt.Sprintf("Input-to-state latency from the scheduled send time: p50 %.1f, p99 %.1f, p99.9 %.1f, max %.1f ms\n%s",
		l.P50, l.P99, l.P999, l.Max, caption(rep)), "ms", "inputs")
	bins := histBins(rep.hist)
	h := &plotter.Histogram{Bins: bins, Width: bins[0].Max - bins[0].Min, FillColor: color.RGBA{R: 70, G: 130, B: 180, A: 255}}
	h.LineStyle.Width = vg.Length(0.5)
	p.Add(h)
	floor := verticalLine(rep.LatencyFloorP99Ms, maxWeight(bins))
	floor.Color = color.RGBA{R: 200, A: 255}
	floor.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
	p.Add(floor)
	p.Legend.Add(fmt.Sprintf("tick-wait floor p99 = 0.99·period = %.2f ms", rep.LatencyFloorP99Ms), floor)
	return p
}

func maxWeight(bins []plotter.HistogramBin) float64 {
	m := 0.0
	for _, b := range bins {
		m = max(m, b.Weight)
	}
	return m
}

func verticalLine(x, top float64) *plotter.Line {
	l, _ := plotter.NewLine(plotter.XYs{{X: x, Y: 0}, {X: x, Y: top}})
	return l
}

func latencyOverTime(rep *Report) (*plot.Plot, error) {
	p := newPlot("Input-to-state latency each second (warm-up and window)\n"+caption(rep), "s since start", "ms")
	var p50, p99, mx, floor plotter.XYs
	for _, pt := range rep.Timeline {
		if pt.LatencyMax == 0 {
			continue // no input acknowledged that second (ramp)
		}
		p50 = append(p50, plotter.XY{X: pt.T, Y: pt.LatencyP50})
		p99 = append(p99, plotter.XY{X: pt.T, Y: pt.LatencyP99})
		mx = append(mx, plotter.XY{X: pt.T, Y: pt.LatencyMax})
		floor = append(floor, plotter.XY{X: pt.T, Y: rep.LatencyFloorP99Ms})
	}
	p.Y.Min = 0
	if len(p50) == 0 {
		return p, nil
	}
	return p, plotutil.AddLinePoints(p, "p50", p50, "p99", p99, "max", mx, "tick-wait floor p99", floor)
}

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

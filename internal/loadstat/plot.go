package loadstat

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

// PlotRun is what the latency panels draw of one run.
type PlotRun struct {
	// Caption is the run's one-line description under every title.
	Caption string
	// Latency summarises Hist, the window's input-to-state latency (µs).
	Latency Percentiles
	Hist    *hdrhistogram.Histogram
	// FloorP99Ms is the tick-wait floor's p99 (0.99·period).
	FloorP99Ms float64
	Timeline   []TimePoint
}

// WritePanels draws panels stacked into one self-contained image at path
// (.png or .svg, by its extension).
func WritePanels(path string, panels []*plot.Plot) error {
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

// NewPlot is a panel with a title, axis labels, a legend and a grid.
func NewPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	return p
}

// HistBins bins the latency histogram (µs) into bars of a round width in
// ms, up to its 99.99th percentile; the rest is lumped into the last bar.
func HistBins(h *hdrhistogram.Histogram) []plotter.HistogramBin {
	top := h.ValueAtQuantile(99.99)
	width := NiceWidth(float64(top) / 60)
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

// NiceWidth rounds w µs up to 1, 2 or 5 times a power of ten.
func NiceWidth(w float64) int64 {
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

// HistogramPlot is the window's latency histogram with the tick-wait floor.
func HistogramPlot(d PlotRun) *plot.Plot {
	l := d.Latency
	p := NewPlot(fmt.Sprintf("Input-to-state latency from the scheduled send time: p50 %.1f, p99 %.1f, p99.9 %.1f, max %.1f ms\n%s",
		l.P50, l.P99, l.P999, l.Max, d.Caption), "ms", "inputs")
	bins := HistBins(d.Hist)
	h := &plotter.Histogram{Bins: bins, Width: bins[0].Max - bins[0].Min, FillColor: color.RGBA{R: 70, G: 130, B: 180, A: 255}}
	h.LineStyle.Width = vg.Length(0.5)
	p.Add(h)
	floor := verticalLine(d.FloorP99Ms, maxWeight(bins))
	floor.Color = color.RGBA{R: 200, A: 255}
	floor.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
	p.Add(floor)
	p.Legend.Add(fmt.Sprintf("tick-wait floor p99 = 0.99·period = %.2f ms", d.FloorP99Ms), floor)
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

// LatencyOverTime is the latency's p50, p99 and max second by second.
func LatencyOverTime(d PlotRun) (*plot.Plot, error) {
	p := NewPlot("Input-to-state latency each second (warm-up and window)\n"+d.Caption, "s since start", "ms")
	var p50, p99, mx, floor plotter.XYs
	for _, pt := range d.Timeline {
		if pt.LatencyMax == 0 {
			continue // no input acknowledged that second (ramp)
		}
		p50 = append(p50, plotter.XY{X: pt.T, Y: pt.LatencyP50})
		p99 = append(p99, plotter.XY{X: pt.T, Y: pt.LatencyP99})
		mx = append(mx, plotter.XY{X: pt.T, Y: pt.LatencyMax})
		floor = append(floor, plotter.XY{X: pt.T, Y: d.FloorP99Ms})
	}
	p.Y.Min = 0
	if len(p50) == 0 {
		return p, nil
	}
	return p, plotutil.AddLinePoints(p, "p50", p50, "p99", p99, "max", mx, "tick-wait floor p99", floor)
}

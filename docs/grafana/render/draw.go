package main

import (
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	_ "gonum.org/v1/plot/vg/vgimg" // png
	_ "gonum.org/v1/plot/vg/vgsvg" // svg
)

// scaleUnit turns a Grafana unit into a y label and a factor for values.
func scaleUnit(unit string) (string, float64) {
	switch unit {
	case "s":
		return "ms", 1000
	case "Bps":
		return "KiB/s", 1.0 / 1024
	case "bytes":
		return "MiB", 1.0 / (1 << 20)
	case "percentunit":
		return "% of a core", 100
	case "ops":
		return "per second", 1
	case "reqps":
		return "requests/s", 1
	default:
		return "", 1
	}
}

// drawDashboard lays the panels out two per row, as the dashboard does, under a
// title, and writes the image to path (.png or .svg).
func drawDashboard(path, title string, times []time.Time, panels []rendered) error {
	const cols = 2
	const pw, ph = 15 * vg.Centimeter, 7.5 * vg.Centimeter
	const head = 1.2 * vg.Centimeter
	rows := (len(panels) + cols - 1) / cols
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	c, err := draw.NewFormattedCanvas(pw*cols, ph*vg.Length(rows)+head, format)
	if err != nil {
		return err
	}
	dc := draw.New(c)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	sty := text.Style{Color: color.Black, Font: font.From(plot.DefaultFont, 11), Handler: plot.DefaultTextHandler, YAlign: draw.YCenter}
	for i, ln := range strings.SplitN(title, "\n", 2) {
		dc.FillText(sty, vg.Point{X: 0.5 * vg.Centimeter, Y: dc.Max.Y - head/3 - vg.Length(i)*head/3}, ln)
		sty.Font.Size = 9
	}

	body := dc
	body.Max.Y -= head
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Centimeter / 2, PadY: vg.Centimeter / 3, PadLeft: vg.Centimeter / 4, PadRight: vg.Centimeter / 4, PadBottom: vg.Centimeter / 4}
	t0 := times[0]
	for i, p := range panels {
		pl, err := panelPlot(p, t0, times)
		if err != nil {
			return err
		}
		pl.Draw(tiles.At(body, i%cols, i/cols))
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

func panelPlot(p rendered, t0 time.Time, times []time.Time) (*plot.Plot, error) {
	pl := plot.New()
	pl.Title.Text = p.title
	pl.X.Label.Text = "seconds"
	ylabel, factor := scaleUnit(p.unit)
	pl.Y.Label.Text = ylabel
	pl.Y.Min = 0
	pl.Legend.Top = true
	pl.Legend.Left = true
	pl.Legend.TextStyle.Font.Size = 8
	pl.Add(plotter.NewGrid())
	drawn := 0
	for i, l := range p.lines {
		var xys plotter.XYs
		for k, v := range l.values {
			if finite(v) {
				xys = append(xys, plotter.XY{X: times[k].Sub(t0).Seconds(), Y: v * factor})
			}
		}
		if len(xys) == 0 {
			continue
		}
		ln, err := plotter.NewLine(xys)
		if err != nil {
			return nil, err
		}
		ln.Color = plotutil.Color(i)
		ln.Width = vg.Points(1.2)
		pl.Add(ln)
		pl.Legend.Add(l.name, ln)
		drawn++
	}
	if drawn == 0 {
		pl.Title.Text += " (no data in this run)"
	}
	if pl.Y.Max <= 0 { // nothing above zero: a flat line at the bottom, not ±1
		pl.Y.Min, pl.Y.Max = 0, 1
	}
	pl.X.Min, pl.X.Max = 0, times[len(times)-1].Sub(t0).Seconds()
	return pl, nil
}

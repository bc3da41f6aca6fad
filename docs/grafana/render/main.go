// Command render draws the panels of the Grafana dashboard
// docs/grafana/tickwire.json from a live server's /metrics, without
// Grafana or Prometheus: it scrapes the server every -every for -duration,
// evaluates each panel's queries (the PromQL subset in promql.go) over
// those scrapes and draws the panels in the dashboard's order with
// gonum/plot. docs/grafana/tickwire.png was made with it from a real run
// (docs/admin.md says how); it is a rendering of the dashboard's queries,
// not a Grafana screenshot.
//
//	go run ./docs/grafana/render -metrics http://127.0.0.1:9090/metrics -token T -duration 90s
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/signal"
	"time"
)

// dashboard is the part of a Grafana dashboard the renderer reads.
type dashboard struct {
	Title  string  `json:"title"`
	Panels []panel `json:"panels"`
}

type panel struct {
	Type        string `json:"type"`
	Title       string `json:"title"`
	FieldConfig struct {
		Defaults struct {
			Unit string `json:"unit"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
	Targets []struct {
		Expr         string `json:"expr"`
		LegendFormat string `json:"legendFormat"`
	} `json:"targets"`
}

func loadDashboard(path string) (*dashboard, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &d, nil
}

// rendered is one panel's result, ready to draw.
type rendered struct {
	title, unit string
	lines       []namedLine
}

type namedLine struct {
	name   string
	values []float64
}

// evaluate runs every query of d over st.
func evaluate(d *dashboard, st *store, rateInterval time.Duration) ([]rendered, error) {
	var out []rendered
	for _, p := range d.Panels {
		if p.Type != "timeseries" {
			continue
		}
		r := rendered{title: p.Title, unit: p.FieldConfig.Defaults.Unit}
		for _, t := range p.Targets {
			e, err := parse(substitute(t.Expr, rateInterval))
			if err != nil {
				return nil, fmt.Errorf("panel %q: %w", p.Title, err)
			}
			for _, l := range st.eval(e) {
				r.lines = append(r.lines, namedLine{name: legend(t.LegendFormat, l.labels), values: l.values})
			}
		}
		out = append(out, r)
	}
	return out, nil
}

func main() {
	var (
		metrics  = flag.String("metrics", "http://127.0.0.1:8080/metrics", "the /metrics to scrape")
		token    = flag.String("token", os.Getenv("TICKWIRE_ADMIN_TOKEN"), "bearer token for an admin listener's /metrics (default $TICKWIRE_ADMIN_TOKEN)")
		dash     = flag.String("dashboard", "docs/grafana/tickwire.json", "the Grafana dashboard")
		out      = flag.String("out", "docs/grafana/tickwire.png", "the PNG (or .svg) to write")
		duration = flag.Duration("duration", 90*time.Second, "how long to scrape")
		every    = flag.Duration("every", time.Second, "scrape interval")
		rate     = flag.Duration("rate-interval", 15*time.Second, "what $__rate_interval stands for")
		caption  = flag.String("caption", "", "a line under the title saying what ran")
	)
	flag.Parse()
	if err := run(*metrics, *token, *dash, *out, *caption, *duration, *every, *rate); err != nil {
		fmt.Fprintln(os.Stderr, "render:", err)
		os.Exit(1)
	}
}

func run(metrics, token, dashPath, out, caption string, duration, every, rateInterval time.Duration) error {
	d, err := loadDashboard(dashPath)
	if err != nil {
		return err
	}
	if _, err := evaluate(d, newStore(), rateInterval); err != nil {
		return err // a query outside the subset: fail before scraping
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	st := newStore()
	c := &http.Client{Timeout: every}
	t := time.NewTicker(every)
	defer t.Stop()
	end := time.Now().Add(duration)
	for now := time.Now(); now.Before(end); {
		samples, err := scrape(ctx, c, metrics, token)
		if err != nil {
			return err
		}
		st.add(now, samples)
		select {
		case <-ctx.Done():
			end = now // draw what we have
		case now = <-t.C:
		}
	}
	if len(st.times) < 2 {
		return errors.New("fewer than two scrapes")
	}
	panels, err := evaluate(d, st, rateInterval)
	if err != nil {
		return err
	}
	if caption == "" {
		caption = fmt.Sprintf("%d scrapes of %s every %v", len(st.times), metrics, every)
	}
	title := fmt.Sprintf("%s dashboard (docs/grafana/tickwire.json): its queries rendered by docs/grafana/render, not a Grafana screenshot\n%s; %s", d.Title, caption, st.times[0].UTC().Format("2006-01-02 15:04 MST"))
	if err := drawDashboard(out, title, st.times, panels); err != nil {
		return err
	}
	fmt.Printf("wrote %s: %d panels from %d scrapes\n", out, len(panels), len(st.times))
	return nil
}

// finite reports whether v holds a number to draw.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

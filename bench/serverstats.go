package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// statsTimeout bounds one request to the server's debug and metrics
// endpoints.
const statsTimeout = 3 * time.Second

// tickReport is GET /debug/ticks: every room's ticks since the previous
// request.
type tickReport struct {
	Rooms    int     `json:"rooms"`
	Ticks    uint64  `json:"ticks"`
	Overruns uint64  `json:"overruns"`
	Skipped  uint64  `json:"skipped"`
	TickMs   msStats `json:"tick_ms"`
	JitterMs msStats `json:"jitter_ms"`
}

// msStats are percentiles in milliseconds.
type msStats struct {
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// httpGet fetches base+path with a bounded request.
func httpGet(ctx context.Context, hc *http.Client, base, path string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, statsTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(base, "/")+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %d", path, resp.StatusCode)
	}
	return body, nil
}

// fetchTicks reads (and so resets) the server's tick statistics.
func fetchTicks(ctx context.Context, hc *http.Client, base string) (*tickReport, error) {
	body, err := httpGet(ctx, hc, base, "/debug/ticks")
	if err != nil {
		return nil, err
	}
	var t tickReport
	if err := json.Unmarshal(body, &t); err != nil {
		return nil, fmt.Errorf("GET /debug/ticks: %w", err)
	}
	for _, m := range []*msStats{&t.TickMs, &t.JitterMs} {
		m.P50, m.P99, m.Max = round3(m.P50), round3(m.P99), round3(m.Max)
	}
	return &t, nil
}

// watchedMetrics are the server counters the report shows the change of
// over the measured window.
var watchedMetrics = []string{
	"tickwire_bytes_out_total",
	"tickwire_messages_in_total",
	"tickwire_rate_limited_total",
	"tickwire_dropped_deltas_total",
	"tickwire_queued_snapshots_total",
	"tickwire_slow_consumers_total",
	"tickwire_inputs_dropped_total",
	"tickwire_tick_overruns_total",
	"tickwire_ticks_skipped_total",
	"tickwire_write_errors_total",
}

// scrapeMetrics reads /metrics and sums every watched counter over its
// labels.
func scrapeMetrics(ctx context.Context, hc *http.Client, base string) (map[string]float64, error) {
	body, err := httpGet(ctx, hc, base, "/metrics")
	if err != nil {
		return nil, err
	}
	return parseMetrics(string(body)), nil
}

// parseMetrics sums the watched counters of a Prometheus text exposition.
func parseMetrics(text string) map[string]float64 { return sumMetrics(text, watchedMetrics) }

// sumMetrics sums each of the named metrics of a Prometheus text
// exposition over its labels; a metric the text lacks is left out.
func sumMetrics(text string, names []string) map[string]float64 {
	want := map[string]bool{}
	for _, m := range names {
		want[m] = true
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest, ok := strings.Cut(line, " ")
		if i := strings.IndexByte(line, '{'); i >= 0 {
			name = line[:i]
			if j := strings.LastIndexByte(line, '}'); j > i {
				rest, ok = strings.TrimSpace(line[j+1:]), true
			}
		}
		if !ok || !want[name] {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		if v, err := strconv.ParseFloat(fields[0], 64); err == nil {
			out[name] += v
		}
	}
	return out
}

// metricDelta is end - start for every watched counter seen at both ends.
func metricDelta(start, end map[string]float64) map[string]float64 {
	if start == nil || end == nil {
		return nil
	}
	out := map[string]float64{}
	for k, v := range end {
		if s, ok := start[k]; ok {
			out[strings.TrimPrefix(k, "tickwire_")] = v - s
		}
	}
	return out
}

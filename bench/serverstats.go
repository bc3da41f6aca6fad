package main

import (
	"context"
	"net/http"
	"strings"

	"github.com/tickwire/tickwire/internal/loadstat"
)

// statsTimeout bounds one request to the server's debug and metrics
// endpoints.
const statsTimeout = loadstat.StatsTimeout

// tickReport is GET /debug/ticks (loadstat.TickReport); msStats are
// percentiles in milliseconds (loadstat.MsStats).
type (
	tickReport = loadstat.TickReport
	msStats    = loadstat.MsStats
)

// httpGet fetches base+path with a bounded request.
func httpGet(ctx context.Context, hc *http.Client, base, path string) ([]byte, error) {
	return loadstat.HTTPGet(ctx, hc, base, path)
}

// fetchTicks reads (and so resets) the server's tick statistics.
func fetchTicks(ctx context.Context, hc *http.Client, base string) (*tickReport, error) {
	return loadstat.FetchTicks(ctx, hc, base)
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
	return loadstat.SumMetrics(text, names)
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

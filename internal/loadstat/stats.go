package loadstat

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

// StatsTimeout bounds one request to the server's debug and metrics
// endpoints.
const StatsTimeout = 3 * time.Second

// TickReport is GET /debug/ticks: every room's ticks since the previous
// request.
type TickReport struct {
	Rooms    int     `json:"rooms"`
	Ticks    uint64  `json:"ticks"`
	Overruns uint64  `json:"overruns"`
	Skipped  uint64  `json:"skipped"`
	TickMs   MsStats `json:"tick_ms"`
	JitterMs MsStats `json:"jitter_ms"`
}

// MsStats are percentiles in milliseconds.
type MsStats struct {
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// HTTPGet fetches base+path with a bounded request.
func HTTPGet(ctx context.Context, hc *http.Client, base, path string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, StatsTimeout)
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

// FetchTicks reads (and so resets) the server's tick statistics.
func FetchTicks(ctx context.Context, hc *http.Client, base string) (*TickReport, error) {
	body, err := HTTPGet(ctx, hc, base, "/debug/ticks")
	if err != nil {
		return nil, err
	}
	var t TickReport
	if err := json.Unmarshal(body, &t); err != nil {
		return nil, fmt.Errorf("GET /debug/ticks: %w", err)
	}
	for _, m := range []*MsStats{&t.TickMs, &t.JitterMs} {
		m.P50, m.P99, m.Max = Round3(m.P50), Round3(m.P99), Round3(m.Max)
	}
	return &t, nil
}

// SumMetrics sums each of the named metrics of a Prometheus text
// exposition over its labels; a metric the text lacks is left out.
func SumMetrics(text string, names []string) map[string]float64 {
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

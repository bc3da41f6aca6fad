package gateway

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/tickwire/tickwire/tick"
)

// TickStatsHandler serves the tick duration and start jitter of every room
// of rooms since the previous request, as JSON in milliseconds:
// {"rooms","ticks","overruns","skipped","tick_ms":{"p50","p99","max"},
// "jitter_ms":{"p50","p99","max"}}. The demo mounts it at GET /debug/ticks,
// where the bench reads it at the start and end of its measured window.
func TickStatsHandler(rooms *tick.Rooms) http.Handler {
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		st := rooms.TickStats()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"rooms":     rooms.Len(),
			"ticks":     st.Ticks,
			"overruns":  st.Overruns,
			"skipped":   st.Skipped,
			"tick_ms":   map[string]float64{"p50": ms(st.DurationP50), "p99": ms(st.DurationP99), "max": ms(st.DurationMax)},
			"jitter_ms": map[string]float64{"p50": ms(st.JitterP50), "p99": ms(st.JitterP99), "max": ms(st.JitterMax)},
		})
	})
}

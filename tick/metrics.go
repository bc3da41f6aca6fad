package tick

import (
	"math/bits"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the Prometheus collectors of one Rooms, registered on
// Options.Registerer (never the global registry). Every room caches its
// game's children at creation, so a tick does no label lookups.
type metrics struct {
	tickDuration *prometheus.HistogramVec
	tickJitter   *prometheus.HistogramVec
	overruns     *prometheus.CounterVec
	skipped      *prometheus.CounterVec
	dropped      *prometheus.CounterVec
	refused      *prometheus.CounterVec
	failed       *prometheus.CounterVec
	rooms        *prometheus.GaugeVec
	players      *prometheus.GaugeVec
	detached     *prometheus.GaugeVec
}

// Reasons an input is dropped (label "reason" of tickwire_inputs_dropped_total).
const (
	dropPlayerCap = "player_cap" // the player's per-tick cap was reached
	dropInboxFull = "inbox_full" // the room's inbox was full
	dropBadInput  = "bad_input"  // the payload did not decode
)

func newMetrics(reg prometheus.Registerer, nodeID string) (*metrics, error) {
	// 50µs .. ~0.8s: a tick should take well under its period (8.3ms at
	// 120 Hz), jitter should stay under a millisecond.
	buckets := prometheus.ExponentialBuckets(50e-6, 2, 15)
	constLabels := prometheus.Labels{}
	if nodeID != "" {
		constLabels["node"] = nodeID
	}
	m := &metrics{
		tickDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tickwire_tick_duration_seconds", Help: "Time a room spends in one tick: inputs, game, diff and broadcast.",
			Buckets: buckets, ConstLabels: constLabels,
		}, []string{"game"}),
		tickJitter: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tickwire_tick_jitter_seconds", Help: "How late a tick started after its deadline (start + n·period).",
			Buckets: buckets, ConstLabels: constLabels,
		}, []string{"game"}),
		overruns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tickwire_tick_overruns_total", Help: "Ticks that took longer than the room's period.", ConstLabels: constLabels,
		}, []string{"game"}),
		skipped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tickwire_ticks_skipped_total", Help: "Tick deadlines skipped by rooms that fell more than MaxCatchUp ticks behind.", ConstLabels: constLabels,
		}, []string{"game"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tickwire_inputs_dropped_total", Help: "Inputs refused before reaching a room, by reason.", ConstLabels: constLabels,
		}, []string{"game", "reason"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tickwire_inputs_refused_total", Help: "Inputs a game refused as against its rules (Room.Refuse).", ConstLabels: constLabels,
		}, []string{"game"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tickwire_rooms_failed_total", Help: "Rooms ended by a panic or error in their game.", ConstLabels: constLabels,
		}, []string{"game"}),
		rooms: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tickwire_rooms", Help: "Rooms running.", ConstLabels: constLabels,
		}, []string{"game"}),
		players: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tickwire_players", Help: "Players seated in rooms.", ConstLabels: constLabels,
		}, []string{"game"}),
		detached: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tickwire_players_detached", Help: "Seated players whose connection dropped, within their reconnection grace.", ConstLabels: constLabels,
		}, []string{"game"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.tickDuration, m.tickJitter, m.overruns, m.skipped, m.dropped, m.refused, m.failed, m.rooms, m.players, m.detached} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

// gameMetrics are one game's children of metrics, cached per room.
type gameMetrics struct {
	tickDuration, tickJitter  prometheus.Observer
	overruns, skipped, failed prometheus.Counter
	droppedCap, droppedInbox  prometheus.Counter
	droppedBad, refused       prometheus.Counter
	rooms, players, detached  prometheus.Gauge
}

func (m *metrics) forGame(game string) gameMetrics {
	return gameMetrics{
		tickDuration: m.tickDuration.WithLabelValues(game),
		tickJitter:   m.tickJitter.WithLabelValues(game),
		overruns:     m.overruns.WithLabelValues(game),
		skipped:      m.skipped.WithLabelValues(game),
		failed:       m.failed.WithLabelValues(game),
		droppedCap:   m.dropped.WithLabelValues(game, dropPlayerCap),
		droppedInbox: m.dropped.WithLabelValues(game, dropInboxFull),
		droppedBad:   m.dropped.WithLabelValues(game, dropBadInput),
		refused:      m.refused.WithLabelValues(game),
		rooms:        m.rooms.WithLabelValues(game),
		players:      m.players.WithLabelValues(game),
		detached:     m.detached.WithLabelValues(game),
	}
}

// TickStats summarises the ticks of every room since the previous call to
// Rooms.TickStats (or since NewRooms): a cheap read for benchmarks and the
// bench harness, independent of Prometheus. Percentiles come from
// log-linear buckets and are accurate to about 1/16 (or 1µs).
type TickStats struct {
	Ticks    uint64 // ticks run
	Overruns uint64 // ticks longer than their period
	Skipped  uint64 // deadlines skipped by the catch-up policy

	DurationP50, DurationP99, DurationMax time.Duration
	JitterP50, JitterP99, JitterMax       time.Duration
}

// tickStats accumulates TickStats; rooms write it from their goroutines
// with atomics only.
type tickStats struct {
	ticks, overruns, skipped atomic.Uint64
	duration, jitter         latencyHist
}

func (s *tickStats) take() TickStats {
	out := TickStats{
		Ticks:    s.ticks.Swap(0),
		Overruns: s.overruns.Swap(0),
		Skipped:  s.skipped.Swap(0),
	}
	out.DurationP50, out.DurationP99, out.DurationMax = s.duration.take()
	out.JitterP50, out.JitterP99, out.JitterMax = s.jitter.take()
	return out
}

// latencyHist is a lock-free log-linear histogram of durations with 1µs
// resolution: 8 buckets per power of two.
type latencyHist struct {
	counts [histBuckets]atomic.Uint64
	max    atomic.Int64
}

const (
	histSubBits = 3
	histBuckets = (40 - histSubBits + 1) << histSubBits // up to 2^40 µs
)

func histBucket(d time.Duration) int {
	v := uint64(max(d, 0)/time.Microsecond) + 1
	e := bits.Len64(v) - 1
	if e < histSubBits {
		return int(v)
	}
	i := (e-histSubBits+1)<<histSubBits | int(v>>(e-histSubBits)&(1<<histSubBits-1))
	return min(i, histBuckets-1)
}

// histLow is the smallest duration of bucket i.
func histLow(i int) time.Duration {
	if i < 1<<histSubBits {
		return time.Duration(max(i-1, 0)) * time.Microsecond
	}
	e := i>>histSubBits + histSubBits - 1
	v := uint64(1<<histSubBits|i&(1<<histSubBits-1)) << (e - histSubBits)
	return time.Duration(v-1) * time.Microsecond
}

func (h *latencyHist) observe(d time.Duration) {
	h.counts[histBucket(d)].Add(1)
	for {
		m := h.max.Load()
		if int64(d) <= m || h.max.CompareAndSwap(m, int64(d)) {
			return
		}
	}
}

// take returns the median, 99th percentile and maximum, and resets h.
func (h *latencyHist) take() (p50, p99, maxd time.Duration) {
	var counts [histBuckets]uint64
	var total uint64
	for i := range h.counts {
		counts[i] = h.counts[i].Swap(0)
		total += counts[i]
	}
	maxd = time.Duration(h.max.Swap(0))
	if total == 0 {
		return 0, 0, maxd
	}
	quantile := func(q float64) time.Duration {
		rank := uint64(q*float64(total-1)) + 1
		var seen uint64
		for i, c := range counts {
			seen += c
			if seen >= rank {
				// The middle of the bucket, capped by the true maximum.
				mid := (histLow(i) + histLow(i+1)) / 2
				return min(mid, maxd)
			}
		}
		return maxd
	}
	return quantile(0.50), quantile(0.99), maxd
}

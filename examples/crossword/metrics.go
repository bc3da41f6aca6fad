package crossword

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the game's Prometheus metrics, shared by its rooms.
type metrics struct {
	refusals      *prometheus.CounterVec
	plays         prometheus.Counter
	swaps         prometheus.Counter
	tiles         prometheus.Counter
	snapshots     *prometheus.CounterVec
	snapshotBytes prometheus.Gauge
	snapshotSecs  prometheus.Histogram
	// The journal: syncs by result, their duration (write included), and
	// the file's size after its last compaction.
	journalSyncs    *prometheus.CounterVec
	journalSyncSecs prometheus.Histogram
	journalBytes    prometheus.Gauge
}

// newMetrics makes the metrics and registers them on reg, if not nil.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tickwire_crossword_refusals_total",
			Help: "Plays and swaps the crossword refused, by reason.",
		}, []string{"reason"}),
		plays: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tickwire_crossword_plays_total",
			Help: "Plays the crossword accepted.",
		}),
		swaps: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tickwire_crossword_swaps_total",
			Help: "Swaps the crossword accepted.",
		}),
		tiles: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tickwire_crossword_tiles_placed_total",
			Help: "Tiles placed on the crossword's board.",
		}),
		snapshots: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tickwire_crossword_snapshots_total",
			Help: "Snapshots of the crossword world written, by result (ok, error).",
		}, []string{"result"}),
		snapshotBytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tickwire_crossword_snapshot_bytes",
			Help: "Size of the last crossword snapshot written.",
		}),
		snapshotSecs: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "tickwire_crossword_snapshot_seconds",
			Help:    "Time to marshal and write a crossword snapshot (fsyncs included).",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 8),
		}),
		journalSyncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tickwire_crossword_journal_syncs_total",
			Help: "Batches of records appended to the crossword journal and synced, by result (ok, error).",
		}, []string{"result"}),
		journalSyncSecs: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "tickwire_crossword_journal_sync_seconds",
			Help:    "Time to append a batch of records to the crossword journal and fsync it.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 4, 9),
		}),
		journalBytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tickwire_crossword_journal_bytes",
			Help: "Size of the crossword journal after its last compaction.",
		}),
	}
	for _, r := range reasons {
		m.refusals.WithLabelValues(string(r))
	}
	m.snapshots.WithLabelValues("ok")
	m.snapshots.WithLabelValues("error")
	m.journalSyncs.WithLabelValues("ok")
	m.journalSyncs.WithLabelValues("error")
	if reg == nil {
		return m, nil
	}
	var errs []error
	for _, c := range []prometheus.Collector{m.refusals, m.plays, m.swaps, m.tiles, m.snapshots, m.snapshotBytes, m.snapshotSecs, m.journalSyncs, m.journalSyncSecs, m.journalBytes} {
		errs = append(errs, reg.Register(c))
	}
	return m, errors.Join(errs...)
}

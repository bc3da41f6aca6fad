package channel

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tickwire/tickwire/protocol"
)

type metrics struct {
	channels      prometheus.Gauge
	subscriptions prometheus.Gauge
	published     *prometheus.CounterVec
	messages      prometheus.Counter
	deliveries    prometheus.Counter
	presence      prometheus.Counter
	refused       *prometheus.CounterVec
	evicted       prometheus.Counter
	busErrors     prometheus.Counter
	busDropped    prometheus.Counter
	fanout        prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		channels:      prometheus.NewGauge(prometheus.GaugeOpts{Name: "tickwire_channels", Help: "Channels held on this node."}),
		subscriptions: prometheus.NewGauge(prometheus.GaugeOpts{Name: "tickwire_channel_subscriptions", Help: "Channel subscriptions of this node's sessions."}),
		published:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tickwire_channel_published_total", Help: "Channel messages accepted from this node's publishers, by source (ws, http, server)."}, []string{"source"}),
		messages:      prometheus.NewCounter(prometheus.CounterOpts{Name: "tickwire_channel_messages_total", Help: "Channel messages delivered on this node (from any node)."}),
		deliveries:    prometheus.NewCounter(prometheus.CounterOpts{Name: "tickwire_channel_deliveries_total", Help: "Channel frames (messages, history, presence) handed to sessions."}),
		presence:      prometheus.NewCounter(prometheus.CounterOpts{Name: "tickwire_channel_presence_events_total", Help: "Presence joins and leaves sent to subscribers."}),
		refused:       prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tickwire_channel_refused_total", Help: "Channel requests refused, by error code name."}, []string{"code"}),
		evicted:       prometheus.NewCounter(prometheus.CounterOpts{Name: "tickwire_channels_evicted_total", Help: "Idle channels dropped to make room under MaxChannels."}),
		busErrors:     prometheus.NewCounter(prometheus.CounterOpts{Name: "tickwire_channel_bus_errors_total", Help: "Events the bus failed to publish."}),
		busDropped:    prometheus.NewCounter(prometheus.CounterOpts{Name: "tickwire_channel_bus_dropped_total", Help: "Events from the bus this node could not deliver (no rule, node full)."}),
		fanout: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "tickwire_channel_fanout_seconds",
			Help:    "Time to hand one message to every subscriber on this node.",
			Buckets: prometheus.ExponentialBuckets(1e-6, 4, 12), // 1 µs … 4 s
		}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.channels, m.subscriptions, m.published, m.messages, m.deliveries, m.presence, m.refused, m.evicted, m.busErrors, m.busDropped, m.fanout} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

// refuse counts a refused request by its wire code.
func (m *metrics) refuse(err error) {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		m.refused.WithLabelValues(protocol.CodeName(pe.Code)).Inc()
		return
	}
	m.refused.WithLabelValues("internal").Inc()
}

package server

import (
	"crypto/rand"
	"encoding/base64"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

type metrics struct {
	sessions        *prometheus.GaugeVec
	messagesIn      *prometheus.CounterVec
	echoIn, gameIn  prometheus.Counter // messagesIn's children, looked up once: not per message
	bytesOut        prometheus.Counter
	closes          *prometheus.CounterVec
	refused         *prometheus.CounterVec
	badFrames       *prometheus.CounterVec
	rateLimited     prometheus.Counter
	slowConsumers   prometheus.Counter
	idleTimeouts    prometheus.Counter
	droppedDeltas   prometheus.Counter
	queuedSnapshots prometheus.Counter
	writeErrors     prometheus.Counter
}

func newMetrics(reg *prometheus.Registry, s *Server) (*metrics, error) {
	m := &metrics{
		sessions:        prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "tickwire_sessions", Help: "Open WebSocket sessions by endpoint."}, []string{"endpoint"}),
		messagesIn:      prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tickwire_messages_in_total", Help: "WebSocket messages received by endpoint."}, []string{"endpoint"}),
		bytesOut:        prometheus.NewCounter(prometheus.CounterOpts{Name: "tickwire_bytes_out_total", Help: "WebSocket bytes handed to sockets."}),
		closes:          prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tickwire_closes_total", Help: "Close frames sent by close code."}, []string{"code"}),
		refused:         prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tickwire_handshakes_refused_total", Help: "WebSocket handshakes refused by HTTP status."}, []string{"status"}),
		badFrames:       prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tickwire_bad_frames_total", Help: "Frames that closed their session, by reason."}, []string{"reason"}),
		rateLimited:     prometheus.NewCounter(prometheus.CounterOpts{Name: "tickwire_rate_limited_total", Help: "Messages dropped by the per-session rate limit."}),
		slowConsumers:   prometheus.NewCounter(prometheus.CounterOpts{Name: "tickwire_slow_consumers_total", Help: "Sessions closed with 4001 slow consumer."}),
		idleTimeouts:    prometheus.NewCounter(prometheus.CounterOpts{Name: "tickwire_idle_timeouts_total", Help: "Sessions closed with 4002 keepalive timeout."}),
		droppedDeltas:   prometheus.NewCounter(prometheus.CounterOpts{Name: "tickwire_dropped_deltas_total", Help: "State deltas not sent because the session was behind (a snapshot follows)."}),
		queuedSnapshots: prometheus.NewCounter(prometheus.CounterOpts{Name: "tickwire_queued_snapshots_total", Help: "Snapshots queued for sessions that were behind."}),
		writeErrors:     prometheus.NewCounter(prometheus.CounterOpts{Name: "tickwire_write_errors_total", Help: "Socket writes that failed."}),
	}
	cs := []prometheus.Collector{m.sessions, m.messagesIn, m.bytesOut, m.closes, m.refused, m.badFrames, m.rateLimited, m.slowConsumers, m.idleTimeouts, m.droppedDeltas, m.queuedSnapshots, m.writeErrors}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	m.echoIn = m.messagesIn.WithLabelValues(endpointEcho)
	m.gameIn = m.messagesIn.WithLabelValues(endpointGame)
	m.sessions.WithLabelValues(endpointEcho)
	m.sessions.WithLabelValues(endpointGame)
	// Process and Go collectors, unless the caller registered them already.
	for _, c := range []prometheus.Collector{collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		if err := reg.Register(c); err != nil {
			if _, ok := err.(prometheus.AlreadyRegisteredError); !ok {
				return nil, err
			}
		}
	}
	return m, nil
}

// newSessionID returns a short unique session id: a per-server counter
// and random bytes, so ids do not repeat across restarts.
func (s *Server) newSessionID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return strconv.FormatUint(s.nextID.Add(1), 36) + "-" + base64.RawURLEncoding.EncodeToString(b[:])
}

func itoa(n int) string { return strconv.Itoa(n) }

// touch records that a frame arrived.
func (s *session) touch() { s.lastRead.Store(time.Now().UnixNano()) }

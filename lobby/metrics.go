package lobby

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the lobby's Prometheus metrics (prefix tickwire_lobby_).
type metrics struct {
	searching atomic.Int64 // tickets searching now; also bounds MaxTickets

	tickets       *prometheus.CounterVec // by game
	finished      *prometheus.CounterVec // by game and status
	matches       *prometheus.CounterVec // by game
	matchWait     prometheus.Histogram
	passSeconds   prometheus.Histogram
	guests        prometheus.Counter
	seatsIssued   prometheus.Counter
	seatsRedeemed prometheus.Counter
	seatsRefused  prometheus.Counter
	rooms         prometheus.Gauge
	requests      *prometheus.CounterVec // HTTP, by route and status
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		tickets:       prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tickwire_lobby_tickets_total", Help: "Matchmaking tickets created, by game."}, []string{"game"}),
		finished:      prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tickwire_lobby_tickets_finished_total", Help: "Tickets that stopped searching, by game and status."}, []string{"game", "status"}),
		matches:       prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tickwire_lobby_matches_total", Help: "Matches formed (one room each), by game."}, []string{"game"}),
		matchWait:     prometheus.NewHistogram(prometheus.HistogramOpts{Name: "tickwire_lobby_match_wait_seconds", Help: "How long matched tickets searched.", Buckets: prometheus.ExponentialBuckets(0.05, 2, 12)}),
		passSeconds:   prometheus.NewHistogram(prometheus.HistogramOpts{Name: "tickwire_lobby_matchmaker_pass_seconds", Help: "Duration of one matchmaker pass.", Buckets: prometheus.ExponentialBuckets(1e-5, 4, 10)}),
		guests:        prometheus.NewCounter(prometheus.CounterOpts{Name: "tickwire_lobby_guests_total", Help: "Guest identities created."}),
		seatsIssued:   prometheus.NewCounter(prometheus.CounterOpts{Name: "tickwire_lobby_seats_issued_total", Help: "Seats issued."}),
		seatsRedeemed: prometheus.NewCounter(prometheus.CounterOpts{Name: "tickwire_lobby_seats_redeemed_total", Help: "Seats redeemed on /ws."}),
		seatsRefused:  prometheus.NewCounter(prometheus.CounterOpts{Name: "tickwire_lobby_seats_refused_total", Help: "Seats refused (forged, expired, reused, wrong player or room)."}),
		rooms:         prometheus.NewGauge(prometheus.GaugeOpts{Name: "tickwire_lobby_rooms", Help: "Rooms the lobby knows on this node."}),
		requests:      prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tickwire_lobby_http_requests_total", Help: "Lobby HTTP requests, by route and status."}, []string{"route", "status"}),
	}
	if reg == nil {
		return m, nil
	}
	searching := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tickwire_lobby_tickets_searching", Help: "Tickets searching now."},
		func() float64 { return float64(m.searching.Load()) })
	for _, c := range []prometheus.Collector{m.tickets, m.finished, m.matches, m.matchWait, m.passSeconds, m.guests,
		m.seatsIssued, m.seatsRedeemed, m.seatsRefused, m.rooms, m.requests, searching} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) ticketCreated(game string) {
	m.tickets.WithLabelValues(game).Inc()
	m.searching.Add(1)
}

func (m *metrics) ticketFinished(game, status string) {
	m.finished.WithLabelValues(game, status).Inc()
	m.searching.Add(-1)
}

func (m *metrics) searchingNow() int { return int(m.searching.Load()) }

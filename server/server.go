// Package server is Tickwire's network edge: an nbio HTTP and WebSocket
// server with TLS, an Origin policy, sessions with bounded outboxes, rate
// limits, keepalive, health and metrics endpoints, and graceful shutdown.
// It is the only package that knows about sockets, and it imports no game
// part: rooms, the lobby and channels reach it through the interfaces of
// Options (RoomJoiner, Lobby, Channels), which the composition root
// (tickwire.NewNode) fills.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lesismal/nbio"
	"github.com/lesismal/nbio/nbhttp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"github.com/tickwire/tickwire/internal/owned"
	"github.com/tickwire/tickwire/protocol"

	ltls "github.com/lesismal/llib/std/crypto/tls"
)

// ErrServerClosed is returned by Start after Shutdown.
var ErrServerClosed = errors.New("server closed")

// Server serves Tickwire's HTTP endpoints and WebSockets. Create it with
// New, add routes with Handle, then Start; Shutdown stops it.
type Server struct {
	opts    Options
	log     zerolog.Logger
	mux     *http.ServeMux
	engine  *nbhttp.Engine
	metrics *metrics

	closers []func(context.Context) error // OnShutdown hooks, in order

	listener *gatedListener
	accepted atomic.Uint64 // connections accepted; see readBuffer
	addr     atomic.Value  // string, set once listening

	sessMu   sync.Mutex
	sessions map[*session]struct{}
	players  map[string]*session // with Options.SingleSession: each player's session
	nextID   atomic.Uint64

	flushCh  chan *session
	writeCh  chan *session // sessions with a batch of state frames to write
	draining atomic.Bool
	started  atomic.Bool
	stopped  chan struct{}
	work     owned.Group // the janitor, flusher, writers and handler goroutines
	stopOnce sync.Once
}

// New returns a Server for opts, or every problem with opts.
func New(opts Options) (*Server, error) {
	opts.setDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	s := &Server{
		opts:     opts,
		log:      opts.Logger.With().Str("component", "server").Logger(),
		mux:      http.NewServeMux(),
		sessions: make(map[*session]struct{}),
		players:  make(map[string]*session),
		flushCh:  make(chan *session, 1024),
		writeCh:  make(chan *session, 8192),
		stopped:  make(chan struct{}),
	}
	var err error
	if s.metrics, err = newMetrics(opts.Registry, s); err != nil {
		return nil, err
	}
	s.mux.HandleFunc("GET /healthz", s.serveHealth)
	if !opts.NoMetricsRoute {
		s.mux.Handle("GET /metrics", promhttp.HandlerFor(opts.Registry, promhttp.HandlerOpts{Registry: opts.Registry}))
	}
	s.mux.HandleFunc("/echo", s.serveEcho)
	s.mux.HandleFunc("/ws", s.serveGame)
	if opts.Lobby != nil {
		s.mux.Handle("/lobby/", opts.Lobby.Handler())
	}
	if opts.Channels != nil {
		if err := s.initPublish(); err != nil { // publish.go: POST /publish
			return nil, err
		}
	}
	if err := s.handleFallback(); err != nil { // fallback.go: /ws/sse and /ws/send
		return nil, err
	}
	return s, nil
}

// Handle registers an HTTP handler on the server's mux (net/http patterns).
// Call it before Start.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// Registry is the Prometheus registry /metrics serves; other parts (rooms,
// lobby) register their metrics on it.
func (s *Server) Registry() *prometheus.Registry { return s.opts.Registry }

// Addr is the address the server listens on, once Start has returned.
func (s *Server) Addr() string {
	a, _ := s.addr.Load().(string)
	return a
}

// TLS reports whether the server serves https:// and wss://.
func (s *Server) TLS() bool { return s.opts.TLSConfig != nil || s.opts.TLSCertFile != "" }

// Start listens and serves in the background; it returns once the listener
// is bound. Stop it with Shutdown.
func (s *Server) Start() error {
	if !s.started.CompareAndSwap(false, true) {
		return errors.New("server already started")
	}
	select {
	case <-s.stopped:
		return ErrServerClosed
	default:
	}
	conf := nbhttp.Config{
		Name:                    "tickwire",
		Handler:                 http.HandlerFunc(s.serveHTTP),
		NPoller:                 s.opts.Pollers,
		MaxWriteBufferSize:      s.opts.MaxWriteBufferBytes,
		ReleaseWebsocketPayload: true,
		KeepaliveTime:           s.opts.IdleTimeout, // HTTP keep-alive idle limit
		MaxLoad:                 1 << 20,
		// Bounded HTTP: nbio buffers what it has not parsed (default limit
		// 64 MiB) and whole bodies (unlimited by default). The head guard
		// (httpguard.go) answers a head past MaxHeaderBytes or a body past
		// MaxBodyBytes with a status as the bytes arrive; nbio's own limits
		// stay above it as a backstop.
		ReadLimit:       parserReadLimit(&s.opts),
		MaxHTTPBodySize: s.opts.MaxBodyBytes,
		Listen: func(network, addr string) (net.Listener, error) {
			ln, err := net.Listen(network, addr)
			if err != nil {
				return nil, err
			}
			s.listener = newGatedListener(ln)
			s.addr.Store(ln.Addr().String())
			return s.listener, nil
		},
	}
	if conf.NPoller <= 0 {
		conf.NPoller = DefaultPollers()
	}
	// HTTP handlers run on nbio's goroutine pool; WebSocket frames do not:
	// after the upgrade the connection's bytes go to wsConn.Parse on the
	// poller that read them (wsconn.go).
	if s.TLS() {
		tc, err := s.tlsConfig()
		if err != nil {
			return err
		}
		conf.AddrsTLS = []string{s.opts.Addr}
		conf.TLSConfig = tc
	} else {
		conf.Addrs = []string{s.opts.Addr}
	}
	s.engine = nbhttp.NewEngine(conf)
	s.engine.OnWrittenSize(s.onWritten)
	s.engine.OnReadBufferAlloc(s.readBuffer)
	s.guardConnections() // httpguard.go: HTTP limits answered with a status
	s.engine.OnOpen(func(net.Conn) { s.accepted.Add(1) })
	if err := s.engine.Start(); err != nil {
		return fmt.Errorf("listen on %s: %w", s.opts.Addr, err)
	}
	s.work.Go(s.janitor)
	s.work.Go(s.flusher)
	for range runtime.GOMAXPROCS(0) {
		s.work.Go(s.writer)
	}
	s.log.Info().Str("addr", s.Addr()).Bool("tls", s.TLS()).Str("io_mode", s.opts.IOMode).Msg("serving")
	return nil
}

// serveHTTP refuses a request whose headers add up to more than
// MaxHeaderBytes — many short lines, which nbio's read limit does not
// catch — with 431, then hands the rest to the mux.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	n := len(r.Method) + len(r.RequestURI)
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4 // ": " and CRLF
		}
	}
	if n > s.opts.MaxHeaderBytes {
		s.metrics.refused.WithLabelValues("431").Inc()
		w.Header().Set("Connection", "close")
		http.Error(w, "request header fields too large", http.StatusRequestHeaderFieldsTooLarge)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// DefaultPollers is the number of nbio pollers a Server runs when
// Options.Pollers is 0: one per four cores, at least one. With frames
// handled on the pollers a poller's work per message is small, and fewer
// pollers wake less often for more sockets each: on 2 cores, the 500-player
// arena took 38.5–40.7% of a core with one poller against 46.8–52.3% with
// two, for the same p99 (BENCHMARKS.md). Larger machines are not measured
// yet; set Options.Pollers there.
func DefaultPollers() int { return max(1, runtime.GOMAXPROCS(0)/4) }

func (s *Server) tlsConfig() (*ltls.Config, error) {
	var certs []tls.Certificate
	if s.opts.TLSConfig != nil {
		certs = s.opts.TLSConfig.Certificates
	} else {
		c, err := tls.LoadX509KeyPair(s.opts.TLSCertFile, s.opts.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("load TLS key pair: %w", err)
		}
		certs = []tls.Certificate{c}
	}
	if len(certs) == 0 {
		return nil, errors.New("server.Options.TLSConfig: no certificates")
	}
	lc := &ltls.Config{MinVersion: ltls.VersionTLS12, NextProtos: []string{"http/1.1"}}
	for _, c := range certs {
		lc.Certificates = append(lc.Certificates, ltls.Certificate{Certificate: c.Certificate, PrivateKey: c.PrivateKey, Leaf: c.Leaf})
	}
	return lc, nil
}

func (s *Server) serveHealth(w http.ResponseWriter, _ *http.Request) {
	if s.draining.Load() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok"))
}

// OnShutdown registers f to run during Shutdown after the server stopped
// accepting and before sessions are closed: the place to close the lobby
// and stop the rooms, so that players get their Left messages before 1001.
// Hooks run in the order they were registered. Call it before Start.
func (s *Server) OnShutdown(f func(context.Context) error) { s.closers = append(s.closers, f) }

// Shutdown stops the server gracefully, in this order: stop accepting new
// connections and refuse new upgrades, run the OnShutdown hooks (close the
// lobby, stop the ticks), close every WebSocket with 1001 and a reason, wait
// for the closing handshakes (bounded by ctx, or Options.ShutdownTimeout
// when ctx has no deadline), then stop the engine and the server's
// goroutines. Unlike http.Server.Shutdown it waits for the upgraded
// (hijacked) connections too.
func (s *Server) Shutdown(ctx context.Context) error {
	var err error
	s.stopOnce.Do(func() { err = s.shutdown(ctx) })
	return err
}

func (s *Server) shutdown(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.opts.ShutdownTimeout)
		defer cancel()
	}
	s.draining.Store(true)
	if s.listener != nil {
		s.listener.stopAccepting()
	}
	var errs []error
	for _, f := range s.closers {
		if err := f(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if !s.started.Load() {
		close(s.stopped)
		return errors.Join(errs...)
	}
	for _, sess := range s.snapshotSessions() {
		sess.close(closeGoingAway, "server shutting down")
	}
	var err error
	poll := time.NewTicker(10 * time.Millisecond)
	defer poll.Stop()
wait:
	for s.sessionCount() > 0 {
		select {
		case <-ctx.Done():
			err = fmt.Errorf("shutdown: %d sessions still open: %w", s.sessionCount(), ctx.Err())
			break wait
		case <-poll.C:
		}
	}
	close(s.stopped)
	s.work.Close() // no start may race the Wait below
	s.work.Wait()
	// engine.Shutdown marks itself shut down, then closes the listener,
	// which releases the blocked Accept: nbio's loop sees the flag and exits.
	if e := s.engine.Shutdown(ctx); e != nil {
		s.engine.Stop() // the deadline passed: cut what is left
		if err == nil {
			err = fmt.Errorf("shutdown engine: %w", e)
		}
	}
	s.log.Info().Msg("stopped")
	return errors.Join(append(errs, err)...)
}

// gatedListener lets Shutdown stop accepting without closing nbio's accept
// loop into an error spin: after stopAccepting the real listener is closed
// and Accept blocks until release, by which time the engine is shutting down
// and its loop exits.
type gatedListener struct {
	net.Listener
	gate     chan struct{}
	released chan struct{}
	once     sync.Once
	relOnce  sync.Once
}

func newGatedListener(ln net.Listener) *gatedListener {
	return &gatedListener{Listener: ln, gate: make(chan struct{}), released: make(chan struct{})}
}

func (l *gatedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		return c, nil
	}
	select {
	case <-l.gate:
		<-l.released
		return nil, net.ErrClosed
	default:
		return nil, err
	}
}

func (l *gatedListener) stopAccepting() {
	l.once.Do(func() {
		close(l.gate)
		_ = l.Listener.Close()
	})
}

func (l *gatedListener) release() {
	l.stopAccepting()
	l.relOnce.Do(func() { close(l.released) })
}

func (l *gatedListener) Close() error {
	l.release()
	return nil
}

// readBuffer is nbio's default read-buffer choice (the poller's own
// buffer) plus one atomic load: it pairs with the store in the engine's
// OnOpen hook so that the race detector sees the accepted
// connection handed from the listener goroutine to the poller. nbio makes
// that hand-off through epoll, which the detector cannot see, and then
// reads the connection's address on the poller (nbhttp.ServerProcessor).
func (s *Server) readBuffer(c *nbio.Conn) *[]byte {
	s.accepted.Load()
	return s.engine.PollerBufferPtr(c)
}

// onWritten runs on an nbio poller with the connection's lock held: it
// only updates counters and nudges the flusher.
func (s *Server) onWritten(c *nbio.Conn, _ []byte, n int) {
	sess := writtenSession(c, n) // transport.go
	if sess == nil {
		return
	}
	s.wrote(sess, n)
}

// wrote counts n bytes of sess that reached its socket, with the
// connection's lock held, and nudges the flusher when its outbox may go.
func (s *Server) wrote(sess *session, n int) {
	if sess.written(n) {
		select {
		case s.flushCh <- sess:
		default: // the janitor's sweep catches it
		}
	}
}

// flusher writes queued outbox frames of sessions whose sockets drained.
func (s *Server) flusher() {
	for {
		select {
		case <-s.stopped:
			return
		case sess := <-s.flushCh:
			sess.flush()
		}
	}
}

// writer writes the state frames rooms batched (Peer.Flush), off the
// rooms' goroutines: a room of thousands of players would otherwise spend
// its tick in write syscalls. Writers run on every core; each session's
// writes stay ordered by its lock.
func (s *Server) writer() {
	for {
		select {
		case <-s.stopped:
			return
		case sess := <-s.writeCh:
			sess.flush()
		}
	}
}

// janitor pings idle peers, drops dead ones and closes stalled writers.
func (s *Server) janitor() {
	t := time.NewTicker(s.janitorPeriod())
	defer t.Stop()
	for {
		select {
		case <-s.stopped:
			return
		case now := <-t.C:
			for _, sess := range s.snapshotSessions() {
				sess.sweep(now)
			}
		}
	}
}

func (s *Server) janitorPeriod() time.Duration {
	p := min(s.opts.PingInterval, s.opts.StallTimeout, s.opts.CloseGrace) / 4
	return max(p, 5*time.Millisecond)
}

// spawn runs f on a goroutine the server owns (Shutdown waits for it), for
// message handling that may wait and so must not run on a poller. It
// reports false once Shutdown has begun waiting.
func (s *Server) spawn(f func()) bool { return s.work.Go(f) }

// addSession registers a new session. One that arrives while Shutdown is
// closing sessions (its upgrade raced the listener's closing) is closed
// with 1001 at once: Shutdown's snapshot of sessions may have missed it.
func (s *Server) addSession(sess *session) {
	s.sessMu.Lock()
	s.sessions[sess] = struct{}{}
	draining := s.draining.Load()
	s.sessMu.Unlock()
	s.metrics.sessions.WithLabelValues(sess.endpoint).Inc()
	if draining {
		sess.close(closeGoingAway, "server shutting down")
	}
}

func (s *Server) removeSession(sess *session) {
	s.sessMu.Lock()
	_, ok := s.sessions[sess]
	delete(s.sessions, sess)
	if sess.game != nil && sess.game.claimed != "" && s.players[sess.game.claimed] == sess {
		delete(s.players, sess.game.claimed)
	}
	s.sessMu.Unlock()
	if ok {
		s.metrics.sessions.WithLabelValues(sess.endpoint).Dec()
	}
}

// claimPlayer records sess as player's session and, with
// Options.SingleSession, closes the player's older session with 4004.
func (s *Server) claimPlayer(sess *session, player string) {
	if !s.opts.SingleSession || player == "" {
		return
	}
	s.sessMu.Lock()
	old := s.players[player]
	s.players[player] = sess
	sess.game.claimed = player
	s.sessMu.Unlock()
	if old != nil && old != sess {
		old.close(int(protocol.CloseSessionReplaced), "session replaced by a newer connection")
	}
}

func (s *Server) sessionCount() int {
	s.sessMu.Lock()
	defer s.sessMu.Unlock()
	return len(s.sessions)
}

func (s *Server) snapshotSessions() []*session {
	s.sessMu.Lock()
	defer s.sessMu.Unlock()
	out := make([]*session, 0, len(s.sessions))
	for sess := range s.sessions {
		out = append(out, sess)
	}
	return out
}

// Package admin is Tickwire's operator side: a token-guarded HTTP handler
// with the Prometheus metrics, pprof, windowed tick statistics, a JSON API
// to list rooms and sessions, inspect a room's state, kick a player, close
// a room and drain the node, and the live /monitor page built on that API.
// It runs on a listener of its own (Listen), never on the public game port.
package admin

import (
	"cmp"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/http/pprof"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"github.com/tickwire/tickwire/tick"
)

// CookieName is the cookie the /monitor page authenticates with: GET
// /monitor?token=TOKEN sets it (HttpOnly, SameSite=Strict) so that the
// page's EventSource, which cannot send headers, is authenticated too.
const CookieName = "tickwire_admin"

// Options configure an Admin. Token and Rooms are required; every other
// field has its default on it.
type Options struct {
	// Token guards every route: requests carry "Authorization: Bearer
	// TOKEN" (or the CookieName cookie). Required; keep it out of logs and
	// command lines (the tickwire command reads TICKWIRE_ADMIN_TOKEN).
	Token string
	// Rooms is the node's room runtime.
	Rooms *tick.Rooms
	// Metrics is served at /metrics and read for the node's counters
	// (sessions, channels, bytes out). Nil: /metrics serves nothing and
	// those counters are absent.
	Metrics prometheus.Gatherer
	// Sessions lists open sessions for GET /admin/api/sessions. Nil: that
	// call answers the counts from Metrics only.
	Sessions SessionLister
	// Drain stops the node gracefully (POST /admin/api/drain runs it on a
	// goroutine the Admin owns). Nil: drain answers 501.
	Drain func(ctx context.Context) error
	// Peers lists the other nodes of a cluster, whose admin APIs the
	// monitor page shows beside this node's (same token). Nil: this node
	// only.
	Peers func() []Peer
	// Node names this node on the page and in the API. Empty: "local".
	Node string
	// Logger gets one line per request (component "admin"), a warning
	// for each refused token, and one line per action.
	Logger zerolog.Logger
	// SampleEvery is how often the sampler reads every room's counters
	// for the page and the windowed /debug/ticks. 0: one second.
	SampleEvery time.Duration
	// History is how much the sampler keeps for the charts and for
	// /debug/ticks?window=. 0: five minutes.
	History time.Duration
}

// SessionLister lists a node's open sessions.
type SessionLister interface {
	Sessions() []SessionInfo
}

// SessionInfo is one open session, as GET /admin/api/sessions lists it.
type SessionInfo struct {
	ID       string    `json:"id"`
	Player   string    `json:"player,omitempty"`
	Endpoint string    `json:"endpoint"`
	Remote   string    `json:"remote,omitempty"`
	Opened   time.Time `json:"opened"`
	Rooms    []string  `json:"rooms,omitempty"`
}

// Peer is another node of the cluster, reached at its admin listener.
type Peer struct {
	Name string
	// URL is the base of its admin listener, e.g. http://10.0.0.7:9090.
	URL string
}

// Admin is the admin handler: every route of the admin listener, behind
// the token. It owns a sampler goroutine (started by New, stopped by
// Close) and the goroutines of a drain and of the page's event streams.
type Admin struct {
	opts    Options
	log     zerolog.Logger
	mux     *http.ServeMux
	sampler *sampler
	peers   *peerCache
	client  *http.Client

	ctx    context.Context // ends with Close: stops the sampler, streams, drain
	cancel context.CancelFunc
	wg     sync.WaitGroup

	drainMu  sync.Mutex
	draining bool
	drainErr error
}

// New returns an Admin serving opts.Rooms and starts its sampler.
func New(opts Options) (*Admin, error) {
	var errs []error
	if opts.Token == "" {
		errs = append(errs, errors.New("option Token: required"))
	} else if len(opts.Token) < 16 {
		errs = append(errs, errors.New("option Token: want at least 16 characters"))
	}
	if opts.Rooms == nil {
		errs = append(errs, errors.New("option Rooms: required"))
	}
	if opts.SampleEvery < 0 || opts.History < 0 {
		errs = append(errs, errors.New("options SampleEvery and History: must not be negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("admin options: %w", err)
	}
	opts.Node = cmp.Or(opts.Node, "local")
	opts.SampleEvery = cmp.Or(opts.SampleEvery, time.Second)
	opts.History = cmp.Or(opts.History, 5*time.Minute)
	a := &Admin{
		opts:   opts,
		log:    opts.Logger.With().Str("component", "admin").Logger(),
		mux:    http.NewServeMux(),
		client: &http.Client{Timeout: 5 * time.Second},
	}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	a.sampler = newSampler(opts)
	a.peers = &peerCache{}
	a.routes()
	a.wg.Go(func() { a.sampler.run(a.ctx) })
	if opts.Peers != nil {
		a.wg.Go(func() { a.pollPeers(a.ctx) })
	}
	return a, nil
}

func (a *Admin) routes() {
	m := a.mux
	if a.opts.Metrics != nil {
		m.Handle("GET /metrics", promhttp.HandlerFor(a.opts.Metrics, promhttp.HandlerOpts{}))
	}
	m.HandleFunc("/debug/pprof/", pprof.Index)
	m.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	m.HandleFunc("/debug/pprof/profile", pprof.Profile)
	m.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	m.HandleFunc("/debug/pprof/trace", pprof.Trace)
	m.HandleFunc("GET /debug/ticks", a.serveTicks)

	m.HandleFunc("GET /admin/api/node", a.serveNode)
	m.HandleFunc("GET /admin/api/rooms", a.serveRooms)
	m.HandleFunc("GET /admin/api/rooms/{id}", a.serveRoom)
	m.HandleFunc("POST /admin/api/rooms/{id}/kick", a.serveKick)
	m.HandleFunc("POST /admin/api/rooms/{id}/close", a.serveClose)
	m.HandleFunc("GET /admin/api/sessions", a.serveSessions)
	m.HandleFunc("POST /admin/api/drain", a.serveDrain)
	m.HandleFunc("GET /admin/api/events", a.serveEvents)
	m.HandleFunc("/admin/api/peers/{node}/{path...}", a.servePeer)
	m.HandleFunc("GET /monitor", a.serveMonitor)
	m.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/monitor", http.StatusSeeOther)
	})
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no admin route "+r.Method+" "+r.URL.Path)
	})
}

// ServeHTTP checks the token, serves the route and logs the request.
func (a *Admin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	if r.URL.Path == "/monitor" && r.URL.Query().Has("token") {
		a.loginPage(rec, r)
	} else if !a.authorized(r) {
		a.log.Warn().Str("method", r.Method).Str("path", r.URL.Path).Str("remote", r.RemoteAddr).
			Bool("token_given", requestToken(r) != "").Msg("admin request refused: missing or wrong token")
		if r.URL.Path == "/monitor" {
			rec.Header().Set("Content-Type", "text/html; charset=utf-8")
			rec.WriteHeader(http.StatusUnauthorized)
			_, _ = rec.Write([]byte(loginForm))
		} else {
			rec.Header().Set("WWW-Authenticate", `Bearer realm="tickwire admin"`)
			writeError(rec, http.StatusUnauthorized, "unauthenticated", "missing or wrong admin token")
		}
		return
	} else {
		a.mux.ServeHTTP(rec, r)
	}
	a.log.Info().Str("method", r.Method).Str("path", r.URL.Path).Int("status", rec.status).
		Str("remote", r.RemoteAddr).Dur("took", time.Since(start)).Msg("admin request")
}

// loginPage turns GET /monitor?token=T into the cookie and a redirect to
// /monitor, so the token leaves the address bar and the history.
func (a *Admin) loginPage(w http.ResponseWriter, r *http.Request) {
	if !a.tokenOK(r.URL.Query().Get("token")) {
		a.log.Warn().Str("path", r.URL.Path).Str("remote", r.RemoteAddr).Msg("admin login refused: wrong token")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(loginForm))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: a.opts.Token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	http.Redirect(w, r, "/monitor", http.StatusSeeOther)
}

func (a *Admin) authorized(r *http.Request) bool { return a.tokenOK(requestToken(r)) }

func (a *Admin) tokenOK(t string) bool {
	return t != "" && subtle.ConstantTimeCompare([]byte(t), []byte(a.opts.Token)) == 1
}

// requestToken is the bearer token of r, or its admin cookie.
func requestToken(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(t)
		}
		return ""
	}
	if c, err := r.Cookie(CookieName); err == nil {
		return c.Value
	}
	return ""
}

// Close stops the sampler, ends the page's event streams and waits for a
// drain in progress to return (bounded by the drain's own context, which
// Close cancels). The handler answers nothing useful afterwards.
func (a *Admin) Close() {
	a.cancel()
	a.wg.Wait()
}

// statusWriter records the status for the request log; it passes Flush
// through for the event stream.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

const loginForm = `<!doctype html><meta charset="utf-8"><title>Tickwire admin</title>
<body style="font:15px system-ui;margin:3em">
<h1>Tickwire admin</h1><p>This page needs the admin token (401).</p>
<form method="get" action="/monitor"><input name="token" type="password" placeholder="admin token" autofocus size="40"> <button>Open the monitor</button></form>`

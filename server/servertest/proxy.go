package servertest

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tickwire/tickwire/server"
)

// BlockingProxy is an HTTP reverse proxy in front of a Tickwire server
// that, while blocked, refuses every WebSocket upgrade with 403, as
// corporate proxies that do not speak WebSocket do. Everything else (pages,
// the SDK, the lobby, the fallback's event stream and POSTs) it passes
// through, streaming responses as they come. (Chromium's DevTools request
// blocking does not apply to WebSockets, so browser tests of the fallback
// put this proxy in front of the server.)
type BlockingProxy struct {
	blocked atomic.Bool
	rp      *httputil.ReverseProxy
}

// Block starts (true) or stops (false) refusing WebSocket upgrades.
func (p *BlockingProxy) Block(b bool) { p.blocked.Store(b) }

// ServeHTTP implements http.Handler.
func (p *BlockingProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p.blocked.Load() && strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		http.Error(w, "WebSockets are blocked by this proxy", http.StatusForbidden)
		return
	}
	p.rp.ServeHTTP(w, r)
}

// StartBlockingProxy starts a BlockingProxy for srv on loopback, stopped
// when the test ends, and returns it with its base URL (http://host:port).
func StartBlockingProxy(t testing.TB, srv *server.Server) (*BlockingProxy, string) {
	t.Helper()
	backend, err := url.Parse(URL(srv, false, "/"))
	if err != nil {
		t.Fatal(err)
	}
	transport := &http.Transport{}
	rp := httputil.NewSingleHostReverseProxy(backend)
	rp.FlushInterval = -1 // an event stream: pass every write on at once
	rp.Transport = transport
	p := &BlockingProxy{rp: rp}
	ts := httptest.NewServer(p)
	t.Cleanup(func() {
		ts.CloseClientConnections()
		ts.Close()
		transport.CloseIdleConnections()
	})
	return p, ts.URL
}

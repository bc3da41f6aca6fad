package admin

import (
	_ "embed"
	"net/http"
)

// monitorPage is the /monitor page: one HTML file with its script and
// styles inline (no bundler, no CDN), reading the admin API and its
// event stream from the same origin.
//
//go:embed monitor.html
var monitorPage []byte

func (a *Admin) serveMonitor(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(monitorPage)
}

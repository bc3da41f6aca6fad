// Package echo is the echo demo of the classic WebSocket literature: the
// server's /echo endpoint sends every text or binary message back unchanged,
// and this package's page drives it from the browser's WebSocket API —
// text, and binary as an ArrayBuffer of canvas pixels.
package echo

import (
	_ "embed"
	"net/http"
)

//go:embed page.html
var page []byte

// Path is where the demo page is served.
const Path = "/examples/echo/"

// Page serves the echo demo page.
func Page() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(page)
	})
}

// Package ticker is the live sports-ticker and chat example: a Publisher
// (a Go backend) posts simulated score updates through the server's HTTP
// publish API to the feed ScoresChannel, and the page at Path shows them
// live, with a chat (ChatChannel) that shows who is there. The page uses
// the browser SDK's channels over /ws.
//
// Mount it with the SDK and run a Publisher against the server:
//
//	srv.Handle("GET "+ticker.Path, ticker.Page())
//	srv.Handle("GET "+web.Prefix, web.Handler())
//	p := &ticker.Publisher{URL: "http://" + srv.Addr(), Secret: secret}
//	go p.Run(ctx) // owned by the caller: cancel ctx and wait for it
package ticker

import (
	"bytes"
	"embed"
	"net/http"
	"strings"
	"time"
)

// Path is where Page serves the ticker: the page at Path, its module under it.
const Path = "/examples/ticker/"

// The channels of the example: the server-published feed of score
// updates, and the page's open chat (presence on).
const (
	ScoresChannel = "feed:scores"
	ChatChannel   = "chat:ticker"
)

//go:embed page.html page.js
var pageFiles embed.FS

var pageAssets = map[string]struct{ file, contentType string }{
	"":        {"page.html", "text/html; charset=utf-8"},
	"page.js": {"page.js", "text/javascript; charset=utf-8"},
}

// Page serves the ticker page and its module under Path (anything else
// under it is 404). The page imports the SDK from /sdk/tickwire.js and
// takes the query parameter name (the chat name; default: remembered, or
// a random fan-1234).
func Page() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := strings.CutPrefix(r.URL.Path, Path)
		a, known := pageAssets[name]
		if !ok || !known {
			http.NotFound(w, r)
			return
		}
		b, err := pageFiles.ReadFile(a.file)
		if err != nil {
			http.Error(w, "missing embedded file "+a.file, http.StatusInternalServerError) // go:embed guarantees it
			return
		}
		w.Header().Set("Content-Type", a.contentType)
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
	})
}

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
	"embed"
	"net/http"

	"github.com/tickwire/tickwire/internal/pages"
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

var pageAssets = map[string]pages.Asset{
	"":        {File: "page.html", ContentType: pages.HTML},
	"page.js": {File: "page.js", ContentType: pages.JS},
}

// Page serves the ticker page and its module under Path (anything else
// under it is 404). The page imports the SDK from /sdk/tickwire.js and
// takes the query parameter name (the chat name; default: remembered, or
// a random fan-1234).
func Page() http.Handler { return pages.Handler(Path, pageFiles, pageAssets) }

package shooter

import (
	"embed"
	"net/http"

	"github.com/tickwire/tickwire/internal/pages"
)

// Path is where Page serves the shooter's browser client: the page itself
// at Path, its modules under it. The page imports the SDK from
// /sdk/tickwire.js (web.Handler), so a server mounts both.
const Path = "/examples/shooter/"

//go:embed page.html page.js nav.js predict.js
var pageFiles embed.FS

// pageAssets maps the names under Path to their content types; "" is the
// page.
var pageAssets = map[string]pages.Asset{
	"":           {File: "page.html", ContentType: pages.HTML},
	"page.js":    {File: "page.js", ContentType: pages.JS},
	"nav.js":     {File: "nav.js", ContentType: pages.JS},
	"predict.js": {File: "predict.js", ContentType: pages.JS},
}

// Page serves the shooter's browser page and its ES modules (page.js, the
// client; nav.js, paths around the obstacles; predict.js, the movement
// function the page predicts with) under Path. The page takes the query
// parameters game (default "shooter"; a variant registered with NewWith),
// room (join that public room), code (join by join code), create=1 (a new
// public room; with private=1, a private one with a join code). Without
// any of them it quick-joins. Anything else under Path is 404.
func Page() http.Handler { return pages.Handler(Path, pageFiles, pageAssets) }

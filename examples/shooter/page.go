package shooter

import (
	"bytes"
	"embed"
	"net/http"
	"strings"
	"time"
)

// Path is where Page serves the shooter's browser client: the page itself
// at Path, its modules under it. The page imports the SDK from
// /sdk/tickwire.js (web.Handler), so a server mounts both.
const Path = "/examples/shooter/"

//go:embed page.html page.js nav.js predict.js
var pageFiles embed.FS

// pageAssets maps the names under Path to their content types; "" is the
// page.
var pageAssets = map[string]struct{ file, contentType string }{
	"":           {"page.html", "text/html; charset=utf-8"},
	"page.js":    {"page.js", "text/javascript; charset=utf-8"},
	"nav.js":     {"nav.js", "text/javascript; charset=utf-8"},
	"predict.js": {"predict.js", "text/javascript; charset=utf-8"},
}

// Page serves the shooter's browser page and its ES modules (page.js, the
// client; nav.js, paths around the obstacles; predict.js, the movement
// function the page predicts with) under Path. The page takes the query
// parameters game (default "shooter"; a variant registered with NewWith),
// room (join that public room), code (join by join code), create=1 (a new
// public room; with private=1, a private one with a join code). Without
// any of them it quick-joins. Anything else under Path is 404.
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

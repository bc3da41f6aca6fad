package crossword

import (
	"bytes"
	"embed"
	"net/http"
	"strings"
	"time"
)

// Path is where Page serves the crossword's browser client: the page itself
// at Path, its modules under it. The page imports the SDK from
// /sdk/tickwire.js (web.Handler), so a server mounts both.
const Path = "/examples/crossword/"

//go:embed page/index.html page/page.js page/board.js
var pageFiles embed.FS

// pageAssets maps the names under Path to their files and content types;
// "" is the page.
var pageAssets = map[string]struct{ file, contentType string }{
	"":         {"page/index.html", "text/html; charset=utf-8"},
	"page.js":  {"page/page.js", "text/javascript; charset=utf-8"},
	"board.js": {"page/board.js", "text/javascript; charset=utf-8"},
}

// Page serves the crossword's browser page and its ES modules (page.js, the
// client; board.js, the drawing) under Path. The page joins the world with
// JoinRoom{game} (the lobby's quick-join finds the one world room that
// OpenWorld adopted); the query parameter room=ID joins that room instead,
// game=NAME plays a variant registered under another name (tests). Anything
// else under Path is 404.
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

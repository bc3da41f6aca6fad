// Package pages serves an example's embedded browser page and its modules
// under one path prefix: the shooter, the crossword and the ticker use it.
package pages

import (
	"bytes"
	"io/fs"
	"net/http"
	"strings"
	"time"
)

// Asset is one file served under the prefix.
type Asset struct {
	File        string // path in the embedded file system
	ContentType string
}

// HTML and JS are the content types of a page and of its ES modules.
const (
	HTML = "text/html; charset=utf-8"
	JS   = "text/javascript; charset=utf-8"
)

// Handler serves assets under prefix: the name after the prefix picks the
// asset ("" is the page itself); anything else under prefix is 404. Files
// are sent with no-cache (pages change with the server) and nosniff.
func Handler(prefix string, files fs.FS, assets map[string]Asset) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := strings.CutPrefix(r.URL.Path, prefix)
		a, known := assets[name]
		if !ok || !known {
			http.NotFound(w, r)
			return
		}
		b, err := fs.ReadFile(files, a.File)
		if err != nil {
			http.Error(w, "missing embedded file "+a.File, http.StatusInternalServerError) // go:embed guarantees it
			return
		}
		w.Header().Set("Content-Type", a.ContentType)
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
	})
}

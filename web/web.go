// Package web is Tickwire's browser SDK: TypeScript sources (src/, with code
// generated from proto/ by protoc-gen-es in src/gen/) published as the npm
// package @tickwire/web (lib/: ES modules and .d.ts types) for pages built
// with a bundler, and bundled by esbuild into one ES module,
// dist/tickwire.js, which this package embeds and serves for pages without
// one.
//
// Mount Handler under Prefix:
//
//	srv.Handle("GET "+web.Prefix, web.Handler())
//
// and pages import the SDK with `import { connect } from "/sdk/tickwire.js"`.
// web/README.md documents the SDK's API, both ways of importing it, and how
// to rebuild it.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"strings"
	"time"
)

// Prefix is the path Handler expects to be mounted at.
const Prefix = "/sdk/"

// SDKPath is where Handler serves the SDK module.
const SDKPath = Prefix + "tickwire.js"

// ExamplesPath is where Handler serves the example games' schemas (the
// arena, the shooter, the crossword), which are not part of the SDK: a page
// imports them next to the SDK, `import { arena } from "/sdk/examples.js"`.
const ExamplesPath = Prefix + "examples.js"

//go:embed dist/tickwire.js dist/tickwire.js.map dist/examples.js dist/examples.js.map example/minimal.html
var files embed.FS

// asset is one file Handler serves.
type asset struct {
	body        []byte
	contentType string
	etag        string
}

// assets maps the paths under Prefix to the files they serve.
var assets = func() map[string]*asset {
	out := map[string]*asset{}
	for name, ct := range map[string]string{
		"tickwire.js":          "text/javascript; charset=utf-8",
		"tickwire.js.map":      "application/json",
		"examples.js":          "text/javascript; charset=utf-8",
		"examples.js.map":      "application/json",
		"example/minimal.html": "text/html; charset=utf-8",
	} {
		src := name
		if !strings.HasPrefix(name, "example/") {
			src = "dist/" + name
		}
		b, err := fs.ReadFile(files, src)
		if err != nil {
			panic("web: embedded file missing: " + src) // go:embed guarantees it
		}
		sum := sha256.Sum256(b)
		out[name] = &asset{body: b, contentType: ct, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	}
	return out
}()

// Version is a short hash of the SDK bundle. A page that imports
// SDKPath+"?v="+Version() gets a response the browser may cache for a year;
// without it (or with another version) the browser revalidates every time
// and gets 304 Not Modified while the bundle is unchanged.
func Version() string {
	return strings.Trim(assets["tickwire.js"].etag, `"`)
}

// Handler serves the SDK under Prefix: tickwire.js (the ES module),
// tickwire.js.map (its source map), examples.js (the example games'
// schemas, which import their protobuf runtime from tickwire.js) with its
// map, and example/minimal.html (the minimal page of web/README.md, which
// plays the arena game on /ws). Anything else is 404.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := strings.CutPrefix(r.URL.Path, Prefix)
		a := assets[name]
		if !ok || a == nil {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", a.contentType)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("ETag", a.etag)
		if v := r.URL.Query().Get("v"); v != "" && `"`+v+`"` == a.etag {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "no-cache")
		}
		// ServeContent answers If-None-Match with 304, HEAD and Range.
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
	})
}

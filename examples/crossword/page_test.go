package crossword_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tickwire/tickwire/examples/crossword"
)

func TestPageServesItsFiles(t *testing.T) {
	h := crossword.Page()
	for _, tc := range []struct{ path, ctype, want string }{
		{crossword.Path, "text/html; charset=utf-8", `<script type="module" src="page.js">`},
		{crossword.Path + "page.js", "text/javascript; charset=utf-8", `from "/sdk/tickwire.js"`},
		{crossword.Path + "board.js", "text/javascript; charset=utf-8", "export function drawBoard"},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", tc.path+"?room=abc", nil))
		body, _ := io.ReadAll(rec.Body)
		if rec.Code != 200 || rec.Header().Get("Content-Type") != tc.ctype || !strings.Contains(string(body), tc.want) {
			t.Errorf("GET %s = %d %q, body lacks %q", tc.path, rec.Code, rec.Header().Get("Content-Type"), tc.want)
		}
		if rec.Header().Get("Cache-Control") != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q, want no-cache", tc.path, rec.Header().Get("Cache-Control"))
		}
	}
	for _, p := range []string{crossword.Path + "index.html", crossword.Path + "page.go", crossword.Path + "x/page.js", "/elsewhere/page.js"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
		if rec.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, rec.Code)
		}
	}
}

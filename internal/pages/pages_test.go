package pages_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/fstest"

	"github.com/tickwire/tickwire/internal/pages"
)

func TestHandler(t *testing.T) {
	files := fstest.MapFS{"p/index.html": {Data: []byte("<p>hi")}, "p/m.js": {Data: []byte("export {}")}}
	h := pages.Handler("/x/", files, map[string]pages.Asset{
		"":     {File: "p/index.html", ContentType: pages.HTML},
		"m.js": {File: "p/m.js", ContentType: pages.JS},
		"gone": {File: "p/gone.js", ContentType: pages.JS},
	})
	for _, tc := range []struct {
		path     string
		code     int
		body, ct string
	}{
		{"/x/", 200, "<p>hi", pages.HTML},
		{"/x/m.js", 200, "export {}", pages.JS},
		{"/x/other.js", 404, "", ""},
		{"/y/", 404, "", ""},
		{"/x/gone", 500, "", ""},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
		if rec.Code != tc.code {
			t.Errorf("GET %s = %d, want %d", tc.path, rec.Code, tc.code)
			continue
		}
		if tc.code == 200 && (rec.Body.String() != tc.body || rec.Header().Get("Content-Type") != tc.ct || rec.Header().Get("X-Content-Type-Options") != "nosniff") {
			t.Errorf("GET %s = %q %v", tc.path, rec.Body.String(), rec.Header())
		}
	}
}

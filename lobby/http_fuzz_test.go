package lobby

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
)

// fuzzRoutes are the lobby's routes and methods, indexed by the fuzzer's
// first byte (those that take no body get one anyway: it must not matter).
var fuzzRoutes = []struct{ method, path string }{
	{"POST", "/lobby/guest"},
	{"GET", "/lobby/games"},
	{"GET", "/lobby/rooms?game=arena"},
	{"POST", "/lobby/rooms"},
	{"POST", "/lobby/join"},
	{"POST", "/lobby/tickets"},
	{"GET", "/lobby/tickets/t-AAAAAAAAAAAA"},
	{"DELETE", "/lobby/tickets/t-AAAAAAAAAAAA"},
	{"PUT", "/lobby/join"},
	{"GET", "/lobby/nowhere"},
}

// lobbyBombs are bodies built to cost a JSON decoder memory or time:
// deep nesting (arrays, objects, inside a known field and an unknown
// one), numbers past every integer and float type, long strings.
func lobbyBombs(limit int) []string {
	deep := func(open, close string, n int) string {
		return strings.Repeat(open, n) + strings.Repeat(close, n)
	}
	return []string{
		deep("[", "]", limit/2),
		deep(`{"a":`, "}", limit/6) + "1",
		`{"game":` + deep("[", "]", limit/3) + `}`,
		`{"junk":` + deep("[", "]", limit/3) + `,"game":"arena"}`,
		`{"junk":` + deep(`{"x":`, `}`, limit/8) + `1}`,
		`{"max_players":1` + strings.Repeat("0", limit/2) + `}`,
		`{"max_players":1e999999999}`,
		`{"max_players":-1}`,
		`{"max_players":4294967296}`,
		`{"max_players":"7"}`,
		`{"skill":1e309}`,
		`{"skill":"NaN"}`,
		`{"skill":"Infinity","game":"duel"}`,
		`{"party":[` + strings.Repeat(`"p-x",`, limit/8) + `"p-y"]}`,
		`{"name":"` + strings.Repeat("é", limit/3) + `"}`,
		`{"game":"arena","game":"duel"}`,
		`{"game":"arena"} {"game":"duel"}`,
		`null`, `[]`, `"arena"`, `0`, ``, ` `, `{`, `{"quick":1}`,
	}
}

// FuzzLobbyHTTP feeds arbitrary bodies to the lobby's real HTTP handler,
// authenticated as a guest: it never panics, and answers every request
// with a 2xx or 4xx status and a JSON body — an error body with a code
// and a message for a 4xx.
func FuzzLobbyHTTP(f *testing.F) {
	e := newEnv(f, Options{})
	_, token := e.guest("fuzz")
	h := e.l.Handler()
	for i := range fuzzRoutes {
		for _, body := range []string{`{"game":"arena","private":true,"max_players":4}`, `{"game":"arena","quick":true}`,
			`{"join_code":"ABCDE"}`, `{"game":"duel","skill":1500,"party":["p-nobody"]}`, `{"name":"ann"}`} {
			f.Add(byte(i), []byte(body))
		}
	}
	for _, body := range lobbyBombs(4 << 10) {
		f.Add(byte(3), []byte(body))
		f.Add(byte(5), []byte(body))
	}
	f.Fuzz(func(t *testing.T, route byte, body []byte) {
		rt := fuzzRoutes[int(route)%len(fuzzRoutes)]
		req := httptest.NewRequest(rt.method, rt.path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		checkJSONAnswer(t, rt.method+" "+rt.path, rec, body)
	})
}

// checkJSONAnswer fails t unless rec is a 2xx or 4xx JSON answer, with an
// error code and message for a 4xx.
func checkJSONAnswer(t *testing.T, what string, rec *httptest.ResponseRecorder, body []byte) {
	t.Helper()
	if rec.Code < 200 || rec.Code >= 500 || (rec.Code >= 300 && rec.Code < 400) {
		t.Fatalf("%s %.200q: status %d: %s", what, body, rec.Code, rec.Body.Bytes())
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s: Content-Type %q", what, ct)
	}
	if !json.Valid(rec.Body.Bytes()) {
		t.Fatalf("%s %.200q: not JSON: %s", what, body, rec.Body.Bytes())
	}
	if rec.Code >= 400 {
		var eb errorBody
		if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil || eb.Error.Code == "" || eb.Error.Message == "" {
			t.Fatalf("%s %.200q: %d with error body %s (%v)", what, body, rec.Code, rec.Body.Bytes(), err)
		}
	}
}

// TestLobbyHTTPBombs: bodies built to blow up a JSON decoder, each as
// large as the body limit allows, get a 4xx JSON error and cost a bounded
// amount of memory (a small multiple of the body) and no panic; a body
// past the limit gets 413.
func TestLobbyHTTPBombs(t *testing.T) {
	const limit = 64 << 10
	e := newEnv(t, Options{MaxBodyBytes: limit})
	_, token := e.guest("bomber")
	h := e.l.Handler()
	serve := func(path string, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	for _, bomb := range lobbyBombs(limit - 64) {
		for _, path := range []string{"/lobby/rooms", "/lobby/join", "/lobby/tickets", "/lobby/guest"} {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			rec := serve(path, bomb)
			runtime.ReadMemStats(&after)
			checkJSONAnswer(t, "POST "+path, rec, []byte(bomb))
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64*limit {
				t.Errorf("POST %s %.60q: %d bytes allocated for a %d-byte body", path, bomb, alloc, len(bomb))
			}
		}
	}
	if rec := serve("/lobby/rooms", `{"game":"`+strings.Repeat("a", limit)+`"}`); rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("a body past the limit: %d %s, want 413", rec.Code, rec.Body.Bytes())
	}
	// One bomb, a skill beside a good game, was a good CreateRoom.
	if rooms, _ := e.l.ListRooms(context.Background(), ""); len(rooms) != 1 {
		t.Errorf("rooms after the bombs: %v, want the duel the skill-and-game body made", rooms)
	}
}

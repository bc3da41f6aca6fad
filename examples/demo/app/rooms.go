package app

import (
	_ "embed"
	"net/http"
)

// roomsPath is where the room browser is served.
const roomsPath = "/examples/rooms/"

//go:embed rooms.html
var roomsHTML []byte

// roomsPage serves the room browser: the games and public rooms the lobby
// lists (GET /lobby/games, /lobby/rooms as a guest whose token the page
// keeps in localStorage), with links into the games' pages, a form to
// create a room and one to join by code.
func roomsPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != roomsPath {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(roomsHTML)
	})
}

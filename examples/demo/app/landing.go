package app

import (
	"html/template"
	"net/http"

	"github.com/tickwire/tickwire/examples/crossword"
	"github.com/tickwire/tickwire/examples/echo"
	"github.com/tickwire/tickwire/examples/shooter"
	"github.com/tickwire/tickwire/examples/ticker"
)

// example is one entry of the landing page.
type example struct {
	Name, Path, About string
}

func examples() []example {
	return []example{
		{"Shooter", shooter.Path, "A top-down arena shooter at 60 Hz: WASD, mouse aim, click to fire; bots keep you company, a second tab (or friend) joins the same room with the invite link."},
		{"Crossword", crossword.Path, "The massively multiplayer crossword: one enormous board shared by everyone; drag or type tiles to lay words, see other players' words land live, pan, zoom and jump with the overview map."},
		{"Live ticker", ticker.Path, "Live scores pushed by a Go backend through the HTTP publish API, and a chat with presence, on the SDK's channels."},
		{"Room browser", roomsPath, "The lobby's games and public rooms, with links into them, a create-room form and join by code."},
		{"Echo", echo.Path, "The classic WebSocket echo: text and binary (canvas pixels) round trips through /echo."},
		{"Minimal SDK page", "/sdk/example/minimal.html", "The browser SDK in thirty lines: joins an arena room and draws its state."},
	}
}

var landingTmpl = template.Must(template.New("landing").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tickwire</title><link rel="icon" href="data:,">
<style>
body { font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 3rem auto; padding: 0 1rem; color: #1d2330; }
li { margin: .6rem 0; } a { color: #2b6cb0; font-weight: 600; } code { background: #eef; padding: 0 .3em; border-radius: 3px; }
</style></head>
<body>
<h1>Tickwire</h1>
<p>Authoritative real-time rooms over WebSocket. This demo server hosts every example:</p>
<ul>
{{range .}}<li><a href="{{.Path}}">{{.Name}}</a> — {{.About}}</li>
{{end}}</ul>
<p>Endpoints: <code>/ws</code> (game WebSocket, subprotocol <code>tickwire.v1</code>), <code>/echo</code>, <code>/healthz</code>, <code>/metrics</code>.</p>
</body></html>
`))

// landing serves the page at / that links every example.
func landing(list []example) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = landingTmpl.Execute(w, list)
	})
}

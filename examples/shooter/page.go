package shooter

import (
	"embed"
	"net/http"
	"strconv"
	"time"

	"github.com/tickwire/tickwire/internal/pages"
	shooterv1 "github.com/tickwire/tickwire/proto/tickwire/shooter/v1"
	"github.com/tickwire/tickwire/tick"
)

// Path is where Page serves the shooter's browser client: the page itself
// at Path, its modules under it. The page imports the SDK from
// /sdk/tickwire.js (web.Handler), so a server mounts both.
const Path = "/examples/shooter/"

// ReplayPath is where PageWith serves a room's recent past: GET
// ReplayPath?room=ID[&seconds=S] (S at most ReplayWindow, default it)
// answers the room's last S seconds of whole state as state frames
// (tick.Handle.RecentFrames: each a 4-byte big-endian length and an
// encoded Envelope, a snapshot first), which the page's "replay" button
// plays back. A room that is not running is 404.
const ReplayPath = Path + "replay"

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
// any of them it quick-joins. Anything else under Path is 404, the replay
// route too: PageWith serves it.
func Page() http.Handler { return PageWith(PageOptions{}) }

// PageOptions configure PageWith. The zero value is Page.
type PageOptions struct {
	// Rooms, when set, are where ReplayPath finds rooms (a Node's
	// Rooms()). Nil: no replay route, and the page's replay button says
	// so.
	Rooms *tick.Rooms
}

// PageWith is Page with opts: with Rooms, it also serves ReplayPath.
func PageWith(opts PageOptions) http.Handler {
	files := pages.Handler(Path, pageFiles, pageAssets)
	if opts.Rooms == nil {
		return files
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != ReplayPath {
			files.ServeHTTP(w, r)
			return
		}
		serveReplay(w, r, opts.Rooms)
	})
}

// serveReplay answers a room's recent frames. Room ids are 40 random bits:
// whoever knows one may watch the room's last seconds, as its players can.
func serveReplay(w http.ResponseWriter, r *http.Request, rooms *tick.Rooms) {
	q := r.URL.Query()
	last := ReplayWindow
	if s := q.Get("seconds"); s != "" {
		n, err := strconv.ParseFloat(s, 64)
		if err != nil || n <= 0 || time.Duration(n*float64(time.Second)) > ReplayWindow {
			http.Error(w, "seconds: want a number in (0, "+strconv.Itoa(int(ReplayWindow/time.Second))+"]", http.StatusBadRequest)
			return
		}
		last = time.Duration(n * float64(time.Second))
	}
	h, err := rooms.Get(q.Get("room"))
	if err != nil || h.GameInfo().StateType != string((*shooterv1.State)(nil).ProtoReflect().Descriptor().FullName()) {
		http.Error(w, "no shooter room "+strconv.Quote(q.Get("room"))+" is running", http.StatusNotFound)
		return
	}
	frames := h.RecentFrames(last)
	if frames == nil {
		http.Error(w, "this room keeps no replay (its game registers no tick.RecordOptions.Ring)", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(len(frames)))
	_, _ = w.Write(frames)
}

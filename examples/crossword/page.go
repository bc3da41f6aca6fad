package crossword

import (
	"embed"
	"net/http"

	"github.com/tickwire/tickwire/internal/pages"
)

// Path is where Page serves the crossword's browser client: the page itself
// at Path, its modules under it. The page imports the SDK from
// /sdk/tickwire.js (web.Handler), so a server mounts both.
const Path = "/examples/crossword/"

//go:embed page/index.html page/page.js page/board.js
var pageFiles embed.FS

// pageAssets maps the names under Path to their files and content types;
// "" is the page.
var pageAssets = map[string]pages.Asset{
	"":         {File: "page/index.html", ContentType: pages.HTML},
	"page.js":  {File: "page/page.js", ContentType: pages.JS},
	"board.js": {File: "page/board.js", ContentType: pages.JS},
}

// Page serves the crossword's browser page and its ES modules (page.js, the
// client; board.js, the drawing) under Path. The page joins the world with
// JoinRoom{game} (the crossword is a singleton game: the lobby's
// quick-join seats players in its one world room, on whichever node of a
// cluster runs it); the query parameter room=ID joins that room instead,
// game=NAME plays a variant registered under another name (tests). Anything
// else under Path is 404.
func Page() http.Handler { return pages.Handler(Path, pageFiles, pageAssets) }

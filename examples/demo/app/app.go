// Package app is the Tickwire demo: every example (the echo demo, the
// arena, shooter and crossword games, the live ticker, the room browser)
// on one tickwire.Node, with the demo's command line. Both
// examples/demo (`go run ./examples/demo`) and `tickwire serve`
// (github.com/tickwire/tickwire/cmd/tickwire) run it.
package app

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"

	"github.com/tickwire/tickwire"
	"github.com/tickwire/tickwire/examples/arena" // registers the "arena" game
	"github.com/tickwire/tickwire/examples/crossword"
	"github.com/tickwire/tickwire/examples/echo"
	"github.com/tickwire/tickwire/examples/shooter" // registers the "shooter" game; its page
	"github.com/tickwire/tickwire/examples/ticker"
	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	"github.com/tickwire/tickwire/tick"
	"github.com/tickwire/tickwire/wasmgame"
)

// Usage is the demo's synopsis, for help texts.
const Usage = `[-addr 127.0.0.1:8080] [-tls-cert F -tls-key F] [-origins a,b]
    [-log-level info] [-log-format console|json] [-publish-secret S]
    [-data-dir DIR] [-wasm-dir DIR] [-precise-timers]
    [-nats URLS -cluster-secret-file F ...]`

// config is the demo's command line.
type config struct {
	node tickwire.Options
	// dataDir is where the crossword keeps its world.
	dataDir string
	// wasmDir is the folder of WASM games (-wasm-dir), "" for none.
	wasmDir string
}

// parseFlags reads the demo's flags (name names the flag set in errors
// and usage); the Node's options are tickwire.Options.AddFlags's, logging
// to logOut.
func parseFlags(name string, args []string, logOut io.Writer) (config, error) {
	c := config{node: tickwire.Options{LogOutput: logOut}}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(logOut)
	c.node.AddFlags(fs)
	fs.StringVar(&c.dataDir, "data-dir", "", "where the crossword keeps its world (default: <user cache dir>/tickwire/crossword)")
	fs.StringVar(&c.wasmDir, "wasm-dir", "", "a folder of WebAssembly games, loaded in the background and reloaded when a file changes: arena.wasm is game arena-wasm (docs/wasm.md); compiled code is cached in <user cache dir>/tickwire/wasm")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	return c, nil
}

// Run runs the demo with the command-line arguments args (the flags of
// tickwire.Options.AddFlags, -data-dir and -wasm-dir) until ctx ends, then shuts it
// down gracefully; logs, usage and flag errors go to logOut. ready, if not
// nil, is called with the Node once it listens. A -h or -help argument
// returns flag.ErrHelp.
func Run(ctx context.Context, args []string, logOut io.Writer, ready func(*tickwire.Node)) error {
	return RunNamed(ctx, "demo", args, logOut, ready)
}

// RunNamed is Run with name as the flag set's name (in usage and errors).
func RunNamed(ctx context.Context, name string, args []string, logOut io.Writer, ready func(*tickwire.Node)) error {
	c, err := parseFlags(name, args, logOut)
	if err != nil {
		return err
	}
	secret := c.node.PublishSecret
	if secret == "" {
		secret = rand.Text() // the ticker's publisher still posts through the API
		c.node.PublishSecret = secret
	}
	if c.dataDir == "" {
		if c.dataDir, err = crossword.DefaultDataDir(); err != nil {
			return err
		}
	}
	// The crossword is registered here, not on import: it needs the data
	// directory and the metrics registry. A clone of the default registry
	// keeps Run re-entrant.
	games := tick.DefaultRegistry().Clone()
	metrics := tickwire.NewMetrics()
	if err := crossword.Register(games, crossword.Config{DataDir: c.dataDir, Registerer: metrics}); err != nil {
		return err
	}
	c.node.Games = games
	c.node.Metrics = metrics
	c.node.Name = "demo"
	node, err := tickwire.NewNode(ctx, c.node)
	if err != nil {
		return err
	}
	// The crossword is a singleton game: NewNode opened its world (on one
	// node of a cluster) or logged why not. A damaged world is reported,
	// never replaced: the rest of the demo runs without the crossword.
	log := node.Logger()
	var wasm *wasmgame.Dir
	if c.wasmDir != "" {
		if wasm, err = openWasmDir(c.wasmDir, games, log); err != nil {
			_ = node.Shutdown(context.Background())
			return err
		}
		// Compiling takes seconds: in the background, the games appear
		// in the lobby as they load.
		_ = node.Go(wasm.Run)
	}
	mountExamples(node)
	// The ticker's publisher: a backend posting score updates to /publish.
	_ = node.Go(func(ctx context.Context) {
		hc := &http.Client{Timeout: 5 * time.Second}
		if node.Server().TLS() { // our own process on loopback, whatever name its certificate has
			hc.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}} //nolint:gosec
		}
		p := &ticker.Publisher{URL: node.URL(), Secret: secret, Client: hc, Logger: log}
		_ = p.Run(ctx)
	})
	if err := node.Start(); err != nil {
		_ = node.Shutdown(context.Background())
		if wasm != nil {
			_ = wasm.Close(context.Background())
		}
		return err
	}
	if ready != nil {
		ready(node)
	}
	<-ctx.Done()
	log.Info().Msg("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), tickwire.ShutdownTimeout)
	defer cancel()
	err = node.Shutdown(sctx)
	if wasm != nil { // after the rooms: their modules are released
		err = errors.Join(err, wasm.Close(sctx))
	}
	return err
}

// wasmGames are the games -wasm-dir loads, by file name: the types the
// demo knows for each.
func wasmGames() map[string]wasmgame.DirGame {
	return map[string]wasmgame.DirGame{
		// The arena as a guest (examples/arena/wasm), beside the native one.
		"arena": wasmgame.Game[*arenav1.State, *arenav1.Input](tick.GameInfo{Name: "arena-wasm", TickHz: arena.TickHz, MaxPlayers: arena.MaxPlayers}),
	}
}

// openWasmDir prepares the -wasm-dir folder's games for games, with
// wazero's compiled code kept in the user's cache folder (in memory when
// there is none).
func openWasmDir(dir string, games *tick.Registry, log zerolog.Logger) (*wasmgame.Dir, error) {
	cacheDir := ""
	if c, err := os.UserCacheDir(); err == nil {
		cacheDir = filepath.Join(c, "tickwire", "wasm")
	}
	return wasmgame.OpenDir(wasmgame.DirOptions{Dir: dir, Registry: games, Games: wasmGames(), CacheDir: cacheDir, Logger: log})
}

// mountExamples adds every example's pages and the landing page.
func mountExamples(n *tickwire.Node) {
	n.Handle("GET "+echo.Path, echo.Page())
	n.Handle("GET "+shooter.Path, shooter.PageWith(shooter.PageOptions{Rooms: n.Rooms()}))
	n.Handle("GET "+ticker.Path, ticker.Page())
	n.Handle("GET "+crossword.Path, crossword.Page())
	n.Handle("GET "+roomsPath, roomsPage())
	n.Handle("GET /{$}", landing(examples()))
}

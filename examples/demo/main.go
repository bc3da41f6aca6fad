// Command demo is the one Tickwire binary that hosts every example: the
// echo demo, the games, and the embedded lobby, with no external services.
//
//	go run ./examples/demo [-addr 127.0.0.1:8080] [-tls-cert F -tls-key F]
//	    [-origins a,b] [-log-level info] [-log-format console|json]
//	    [-publish-secret S]
//
// SIGINT or SIGTERM shuts it down gracefully: WebSockets get close 1001.
package main

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
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	_ "github.com/tickwire/tickwire/examples/arena" // registers the "arena" game
	"github.com/tickwire/tickwire/examples/crossword"
	"github.com/tickwire/tickwire/examples/echo"
	"github.com/tickwire/tickwire/examples/shooter" // registers the "shooter" game; its page
	"github.com/tickwire/tickwire/examples/ticker"
	"github.com/tickwire/tickwire/lobby"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/tick"
	"github.com/tickwire/tickwire/web"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, nil); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

// config is the demo's command line.
type config struct {
	addr      string
	tlsCert   string
	tlsKey    string
	origins   string
	logLevel  string
	logFormat string
	precise   bool
	// publishSecret guards POST /publish; empty: a random one, known to
	// the ticker's publisher only.
	publishSecret string
	// dataDir is where the crossword keeps its world.
	dataDir string
	// cluster holds the cluster-mode flags (-nats and friends).
	cluster *clusterFlags
}

func parseFlags(args []string, out io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "address to listen on (port 0 picks a free port)")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "TLS certificate file (PEM); with -tls-key serves https:// and wss://")
	fs.StringVar(&c.tlsKey, "tls-key", "", "TLS private key file (PEM)")
	fs.StringVar(&c.origins, "origins", "", "comma-separated WebSocket Origin allow-list; empty: same host only; * allows all")
	fs.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	fs.StringVar(&c.logFormat, "log-format", "console", "log format: console or json")
	fs.StringVar(&c.publishSecret, "publish-secret", os.Getenv("TICKWIRE_PUBLISH_SECRET"), "secret of the HTTP publish API (Authorization: Bearer SECRET); default $TICKWIRE_PUBLISH_SECRET, else random (only the ticker's publisher knows it)")
	c.cluster = addClusterFlags(fs)
	fs.StringVar(&c.dataDir, "data-dir", "", "where the crossword keeps its world (default: <user cache dir>/tickwire/crossword)")
	fs.BoolVar(&c.precise, "precise-timers", false, "wake rooms with kernel-precise timers: lower tick jitter for more CPU (see tick.Options.PreciseTimers)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if (c.tlsCert == "") != (c.tlsKey == "") {
		return c, errors.New("-tls-cert and -tls-key go together")
	}
	if c.logFormat != "console" && c.logFormat != "json" {
		return c, fmt.Errorf("-log-format %q: want console or json", c.logFormat)
	}
	return c, nil
}

func newLogger(c config, out io.Writer) (zerolog.Logger, error) {
	level, err := zerolog.ParseLevel(c.logLevel)
	if err != nil {
		return zerolog.Logger{}, fmt.Errorf("-log-level: %w", err)
	}
	if c.logFormat == "console" {
		out = zerolog.ConsoleWriter{Out: out, TimeFormat: time.TimeOnly}
	}
	return zerolog.New(out).Level(level).With().Timestamp().Logger(), nil
}

// run serves until ctx ends, then shuts down gracefully. ready, if not nil,
// receives the server once it listens (for tests).
func run(ctx context.Context, args []string, logOut io.Writer, ready chan<- *server.Server) error {
	c, err := parseFlags(args, logOut)
	if err != nil {
		return err
	}
	log, err := newLogger(c, logOut)
	if err != nil {
		return err
	}
	server.UseNBIOLogger(log)
	var origins []string
	for _, o := range strings.Split(c.origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			origins = append(origins, o)
		}
	}
	secret := c.publishSecret
	if secret == "" {
		secret = rand.Text() // the ticker's publisher still posts through the API
	}
	node, err := c.cluster.connect(ctx, c.addr, c.tlsCert != "", log) // nil without -nats
	if err != nil {
		return err
	}
	closeNode := func() {
		if node != nil {
			_ = node.Close(context.Background())
		}
	}
	srv, err := server.New(server.Options{
		Addr:          c.addr,
		TLSCertFile:   c.tlsCert,
		TLSKeyFile:    c.tlsKey,
		Origins:       origins,
		Logger:        log,
		PublishSecret: secret,
		Channels:      channelOptions(node),
	})
	if err != nil {
		closeNode()
		return err
	}
	if c.dataDir == "" {
		if c.dataDir, err = crossword.DefaultDataDir(); err != nil {
			closeNode()
			return err
		}
	}
	// The crossword is registered here, not on import: it needs the data
	// directory. A clone of the default registry keeps run re-entrant.
	reg := tick.DefaultRegistry().Clone()
	if err := crossword.Register(reg, crossword.Config{DataDir: c.dataDir, Registerer: srv.Registry()}); err != nil {
		closeNode()
		return err
	}
	var lob *lobby.Lobby // set before any room exists
	rooms, err := tick.NewRooms(tick.Options{
		Registry:      reg,
		Logger:        log,
		Registerer:    srv.Registry(),
		NodeID:        "demo",
		PreciseTimers: c.precise,
		OnUnseat:      func(room string, p tick.PlayerID) { _ = lob.Release(string(p), room) },
		OnSnapshot:    snapshotHook(node),
	})
	if err != nil {
		closeNode()
		return err
	}
	lob, err = newLobby(ctx, node, srv, lobby.Options{Rooms: rooms, Node: "demo", Logger: log, Registerer: srv.Registry()})
	if err != nil {
		_ = rooms.Close(context.Background())
		return err
	}
	srv.SetLobby(lob)
	srv.SetRooms(&server.TickRooms{Rooms: rooms, Lobby: lob})
	// Shutdown order: stop accepting (the server), close the lobby, stop
	// the ticks (players get Left), then the server sends 1001 and waits
	// for its writers.
	srv.OnShutdown(lob.Close)
	srv.OnShutdown(rooms.Close)
	switch _, err := crossword.OpenWorld(ctx, rooms, lob); {
	case errors.Is(err, crossword.ErrWorldElsewhere):
		log.Info().Msg("the crossword world runs on another node; its players are sent there")
	case err != nil:
		// A damaged world is reported, never replaced: the rest of the
		// demo runs without the crossword.
		log.Error().Err(err).Msg("crossword not started")
	}
	mountExamples(srv)
	srv.Handle("GET /debug/ticks", server.TickStatsHandler(rooms))
	srv.Handle("GET "+web.Prefix, web.Handler())
	if err := srv.Start(); err != nil {
		_ = lob.Close(context.Background())
		_ = rooms.Close(context.Background())
		return err
	}
	scheme := "http"
	if srv.TLS() {
		scheme = "https"
	}
	log.Info().Str("url", scheme+"://"+srv.Addr()+"/").Msg("Tickwire demo ready")
	// The ticker's publisher: a backend posting score updates to /publish.
	pctx, stopPublisher := context.WithCancel(ctx)
	var publisher sync.WaitGroup
	publisher.Go(func() {
		hc := &http.Client{Timeout: 5 * time.Second}
		if srv.TLS() { // our own process on loopback, whatever name its certificate has
			hc.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}} //nolint:gosec
		}
		p := &ticker.Publisher{URL: scheme + "://" + srv.Addr(), Secret: secret, Client: hc, Logger: log}
		_ = p.Run(pctx)
	})
	if ready != nil {
		ready <- srv
	}
	<-ctx.Done()
	stopPublisher()
	publisher.Wait()
	log.Info().Msg("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// mountExamples adds every example's pages and the landing page.
func mountExamples(srv *server.Server) {
	srv.Handle("GET "+echo.Path, echo.Page())
	srv.Handle("GET "+shooter.Path, shooter.Page())
	srv.Handle("GET "+ticker.Path, ticker.Page())
	srv.Handle("GET "+crossword.Path, crossword.Page())
	srv.Handle("GET "+roomsPath, roomsPage())
	srv.Handle("GET /{$}", landing(examples()))
}

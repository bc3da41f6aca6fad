package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	httppprof "net/http/pprof"
	"os"
	"runtime/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/tickwire/tickwire/examples/arena"
	"github.com/tickwire/tickwire/examples/crossword"
	"github.com/tickwire/tickwire/gateway"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/tick"
)

// serve is the bench's server role (-server bench): the demo's server
// packages and arena game, without the lobby (joins are open), with the
// arena registered at -hz instead of its own rate, and with -crossword the
// crossword's one world as the demo runs it (its -data-dir a temporary
// directory of the parent's). It exists
// because JoinRoom has no tick-rate field yet, so the demo cannot be asked
// for 60 Hz rooms; once it has one (see bench/README.md), -server demo
// covers every rate and this role can go.
//
// With -floor it serves the floor scenario's bare WebSocket server instead
// (floorserve.go).
//
// It logs JSON to logOut, including the line with "url" the parent waits
// for, and serves until ctx ends.
func serve(ctx context.Context, args []string, logOut io.Writer) error {
	fs := flag.NewFlagSet("bench server", flag.ContinueOnError)
	fs.SetOutput(logOut)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	hz := fs.Int("hz", 20, "tick rate of created rooms")
	cpuProfile := fs.String("cpuprofile", "", "write the server's CPU profile to this file")
	pollers := fs.Int("pollers", 0, "nbio pollers (0: the server's default)")
	precise := fs.Bool("precise-timers", false, "tick.Options.PreciseTimers")
	floor := fs.Bool("floor", false, "serve the floor scenario's bare nbio WebSocket server instead of Tickwire")
	withCrossword := fs.Bool("crossword", false, "also host the crossword's one world (at its own 10 Hz)")
	dataDir := fs.String("data-dir", "", "with -crossword: where the world is kept (empty: in memory)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	log := zerolog.New(logOut).Level(zerolog.InfoLevel).With().Timestamp().Logger()
	server.UseNBIOLogger(log)
	if *floor {
		return serveFloor(ctx, *addr, *pollers, log)
	}
	registry := prometheus.NewRegistry() // the server adds the Go and process collectors
	// The arena as registered, at another rate, in a registry of our own.
	info, ok := tick.DefaultRegistry().Lookup(arena.Name)
	if !ok {
		return fmt.Errorf("the %s game is not registered", arena.Name)
	}
	info.TickHz = *hz
	games := tick.NewRegistry()
	tick.RegisterIn(games, info, arena.New)
	if *withCrossword {
		if err := crossword.Register(games, crossword.Config{DataDir: *dataDir, Registerer: registry}); err != nil {
			return err
		}
	}
	rooms, err := tick.NewRooms(tick.Options{Logger: log, Registerer: registry, NodeID: "bench", Registry: games, PreciseTimers: *precise})
	if err != nil {
		return err
	}
	srv, err := server.New(server.Options{Addr: *addr, Logger: log, Pollers: *pollers, Registry: registry,
		Rooms: &gateway.TickRooms{Rooms: rooms, OpenJoin: true}})
	if err != nil {
		_ = rooms.Close(context.Background())
		return err
	}
	srv.OnShutdown(rooms.Close)
	srv.Handle("GET /debug/ticks", gateway.TickStatsHandler(rooms))
	// The heap under load, for finding where a player's memory goes
	// (go tool pprof http://ADDR/debug/pprof/heap while a run is going).
	srv.Handle("GET /debug/pprof/heap", httppprof.Handler("heap"))
	if *withCrossword {
		if _, err := crossword.OpenWorld(ctx, rooms, nil); err != nil {
			_ = rooms.Close(context.Background())
			return err
		}
	}
	if err := srv.Start(); err != nil {
		_ = rooms.Close(context.Background())
		return err
	}
	log.Info().Str("url", "http://"+srv.Addr()+"/").Int("tick_hz", *hz).Msg("Tickwire bench server ready")
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// serveMain is main for the server role.
func serveMain(ctx context.Context, args []string, logOut io.Writer) int {
	if len(args) > 0 && args[0] == "nats" { // a NATS server of the failover's cluster
		return natsMain(ctx, args[1:], logOut)
	}
	if err := serve(ctx, args, logOut); err != nil {
		fmt.Fprintln(logOut, "bench server:", err)
		return 1
	}
	return 0
}

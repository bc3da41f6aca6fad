// Package tickwire serves multiplayer games: it is the one entry point that
// puts Tickwire's parts together — the WebSocket and HTTP server
// (package server), the fixed-rate room runtime (tick), the lobby and its
// HTTP API (lobby), pub/sub channels (channel), the browser SDK at /sdk/,
// an optional cluster (cluster) — with sane defaults and one documented
// shutdown order, so that a game's main.go is about twenty lines.
//
// A game is a package that registers itself with tick.Register from its
// init function (see tick.Game). Its main.go imports it and serves:
//
//	package main
//
//	import (
//		"context"
//		"flag"
//		"log"
//		"os"
//		"os/signal"
//		"syscall"
//
//		"github.com/tickwire/tickwire"
//
//		_ "example.com/mygame/game" // registers the game
//	)
//
//	func main() {
//		var opts tickwire.Options
//		opts.AddFlags(flag.CommandLine) // -addr, -tls-cert/-tls-key, -origins, -log-level, -log-format, cluster mode…
//		flag.Parse()
//		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
//		defer stop()
//		if err := tickwire.Serve(ctx, opts); err != nil {
//			log.Fatal(err)
//		}
//	}
//
// Serve listens, serves until ctx ends (SIGINT or SIGTERM above) and shuts
// down gracefully. For more control, NewNode builds the parts without
// listening, so that a program can add pages (Node.Handle), background
// tasks (Node.Go) or open rooms (Node.Rooms, Node.Lobby) first; then
// Node.Run (or Start and Shutdown).
//
// What a Node serves: GET /healthz, GET /metrics, the game WebSocket on
// /ws (subprotocol tickwire.v1), the lobby's HTTP JSON API under /lobby/,
// channels and POST /publish (with Options.PublishSecret), the browser
// SDK under /sdk/ (import "/sdk/tickwire.js" from a page), GET
// /debug/ticks, and whatever the program adds with Handle.
//
// To start a new game, let the tickwire command write one that does all
// of this, with its .proto, generated code, tests and a page:
//
//	go install github.com/tickwire/tickwire/cmd/tickwire@latest
//	tickwire new example.com/mygame
//	cd mygame && go test ./... && go run . -addr 127.0.0.1:8080
//
// The shutdown order (Node.Shutdown): the tasks given to Go stop, the
// server stops accepting, the node leaves its cluster (migrating rooms
// with snapshots), the lobby closes, the ticks stop (players get Left),
// every WebSocket gets close 1001, and the server waits for its writers.
package tickwire

import "github.com/tickwire/tickwire/version"

// Version is this Tickwire's version (version.Version); the server reports
// it to clients in Welcome.server_version.
const Version = version.Version

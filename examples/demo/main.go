// Command demo is the one Tickwire binary that hosts every example: the
// echo demo, the games, and the embedded lobby, with no external services.
//
//	go run ./examples/demo [-addr 127.0.0.1:8080] [-tls-cert F -tls-key F]
//	    [-origins a,b] [-log-level info] [-log-format console|json]
//	    [-publish-secret S] [-data-dir DIR] [-wasm-dir DIR] [-precise-timers]
//	    [-nats URLS -cluster-secret-file F ...]
//
// SIGINT or SIGTERM shuts it down gracefully: WebSockets get close 1001.
// The demo itself is package app (examples/demo/app), which `tickwire
// serve` runs too; it is built on tickwire.Node as any game's server is.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/tickwire/tickwire"
	"github.com/tickwire/tickwire/examples/demo/app"
	"github.com/tickwire/tickwire/server"
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

// run serves until ctx ends, then shuts down gracefully. ready, if not nil,
// receives the server once it listens (for tests).
func run(ctx context.Context, args []string, logOut io.Writer, ready chan<- *server.Server) error {
	return app.Run(ctx, args, logOut, func(n *tickwire.Node) {
		if ready != nil {
			ready <- n.Server()
		}
	})
}

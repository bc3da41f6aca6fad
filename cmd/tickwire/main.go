// Command tickwire starts, scaffolds and generates code for Tickwire games.
//
// Install it with
//
//	go install github.com/tickwire/tickwire/cmd/tickwire@latest
//
// or run it from a module that requires Tickwire as a pinned tool (the
// modules `tickwire new` makes do: `go tool tickwire gen`).
//
// Usage:
//
//	tickwire new [-replace DIR] [-version V] [-dir DIR] MODULE_PATH
//	    scaffold a game module in a new folder named after the path's last
//	    element: go.mod, the game's .proto and generated code, the game
//	    package with a tick.NewHarness test, main.go serving it with
//	    tickwire.Node, a page at / that plays it (TypeScript, an npm
//	    project for its types, bundled by tickwire bundle), and a README.
//	    -replace points the module at a local Tickwire checkout.
//
//	tickwire gen [-I DIR]... [-js DIR] [-es DIR] [-es-target T] [-plugin CMD] [PATH...]
//	    generate Go for the .proto files at PATH (files, or folders
//	    searched for them; default: the first -I, default "."), into the
//	    current module where each file's go_package puts it (next to the
//	    .proto without one), with protoc-gen-go at the version the module
//	    requires. -js also writes plain ES modules of the schemas for pages
//	    without a bundler; -es writes TypeScript with protoc-gen-es
//	    (-es-target dts: only the declarations of the -js modules).
//
//	tickwire bundle [-sdk auto|npm|builtin] [-o FILE] ENTRY
//	    bundle a page's ENTRY (web/main.ts) and what it imports into one ES
//	    module (web/main.js) with esbuild, no Node.js needed. -sdk says
//	    where @tickwire/web and @bufbuild/protobuf come from: npm
//	    (node_modules), builtin (the SDK this Tickwire serves at
//	    /sdk/tickwire.js), or auto, the default: npm when node_modules holds
//	    @tickwire/web, else builtin.
//
//	tickwire replay [-ignore-version] [-serve ADDR [-speed X]] LOG...
//	    re-run recorded rooms of the demo's games tick by tick without a
//	    network, check each recorded state hash and report the first
//	    divergence (tick and field path; exit status 1); -serve then plays
//	    the recording to spectators over /ws at ADDR, with seek and speed
//	    at /replay/control (docs/replay.md).
//
//	tickwire serve [demo flags]
//	    run the demo server that hosts every example (what `go run
//	    ./examples/demo` runs): -addr, -tls-cert, -tls-key, -origins,
//	    -log-level, -log-format, -publish-secret, -data-dir, cluster flags.
//
//	tickwire version
//	    print Tickwire's version.
//
// A new game, from nothing to a page in the browser:
//
//	tickwire new example.com/mygame
//	cd mygame
//	go test ./...
//	go run . -addr 127.0.0.1:8080    # then open http://127.0.0.1:8080/
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

	"github.com/tickwire/tickwire/version"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tickwire:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  tickwire new [-replace DIR] [-version V] [-dir DIR] MODULE_PATH
  tickwire gen [-I DIR]... [-js DIR] [-es DIR] [-es-target T] [-plugin CMD] [PATH...]
  tickwire bundle [-sdk auto|npm|builtin] [-o FILE] ENTRY
  tickwire replay [-ignore-version] [-serve ADDR [-speed X]] LOG...
  tickwire serve [-addr 127.0.0.1:8080] [demo flags]
  tickwire version
Run tickwire COMMAND -h for a command's flags.
`

// run runs the command line args (without the program's name), writing
// results to stdout and diagnostics to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command")
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "new":
		return runNew(ctx, rest, stdout, stderr)
	case "gen":
		return runGen(ctx, rest, stdout, stderr)
	case "bundle":
		return runBundle(rest, stdout, stderr)
	case "replay":
		return runReplay(ctx, rest, stdout, stderr)
	case "serve":
		return runServe(ctx, rest, stderr)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "tickwire", version.Version)
		return nil
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

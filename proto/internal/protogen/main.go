// Command protogen compiles the .proto sources under proto/ into Go code
// without protoc, with the same generator `tickwire gen` runs in users'
// modules (internal/protogen): github.com/bufbuild/protocompile parses and
// links the files, and protoc-gen-go — at the version go.mod pins, run
// with `go run` — gets them over protoc's public plugin protocol. So `go
// generate ./...` is reproducible on any machine with Go alone.
//
// With -es DIR it writes TypeScript for the browser SDK instead: the same
// CodeGeneratorRequest goes to protoc-gen-es (installed in web/node_modules
// by `npm ci`), and the files it returns are written under DIR.
//
// Usage (from the proto/ folder):
//
//	go run ./internal/protogen FILE.proto...
//	go run ./internal/protogen -es ../web/src/gen [-es-plugin PATH] FILE.proto...
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/tickwire/tickwire/internal/protogen"
)

// module is the Go package path the proto/ folder is: generated files go
// to their go_package's path below it.
const module = "github.com/tickwire/tickwire/proto"

func main() {
	esDir := flag.String("es", "", "write TypeScript (protoc-gen-es, target=ts) under this folder instead of Go")
	esPlugin := flag.String("es-plugin", "../web/node_modules/.bin/protoc-gen-es", "the protoc-gen-es executable, for -es")
	flag.Parse()
	ctx := context.Background()
	r := protogen.Request{Files: flag.Args()}
	var err error
	if *esDir != "" {
		err = protogen.ES(ctx, r, *esPlugin, *esDir, os.Stdout)
	} else {
		err = protogen.Go(ctx, r, module, ".", nil, "", os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "protogen:", err)
		os.Exit(1)
	}
}

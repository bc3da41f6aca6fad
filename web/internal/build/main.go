// Command build builds the browser SDK's three outputs from web/src:
//
//   - web/lib/: the npm package's ES modules and .d.ts types, emitted by tsc
//     (tsconfig.lib.json: src/index.ts and what it imports), with
//     @bufbuild/protobuf left to the package's peer dependency;
//   - web/dist/tickwire.js: the bundle the Go server serves at
//     /sdk/tickwire.js for pages without a bundler (src/bundle.ts: the same
//     API and the protobuf-es runtime in one ES module), by esbuild's Go API;
//   - web/dist/examples.js: the example games' schemas (web/example), with
//     the protobuf-es runtime imported from ./tickwire.js so they share the
//     served SDK's copy, as a game's own generated code can.
//
// It type-checks everything first (tsc, strict; esbuild only strips types).
// The outputs depend only on the sources and on web/package-lock.json, so
// rebuilding changes nothing.
//
// `go generate ./...` runs it from web/ (see web/generate.go); `npm ci` in
// web/ must have installed the runtime first.
package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "build:", err)
		os.Exit(1)
	}
}

// options returns the esbuild options of the bundle of entry written to
// outfile, for the web/ folder dir (absolute).
func options(dir, entry, outfile string) api.BuildOptions {
	return api.BuildOptions{
		AbsWorkingDir:     dir,
		EntryPoints:       []string{entry},
		Outfile:           outfile,
		Bundle:            true,
		Format:            api.FormatESModule,
		Platform:          api.PlatformBrowser,
		Target:            api.ES2020, // BigInt, for protobuf's 64-bit integers
		MinifyWhitespace:  true,
		MinifyIdentifiers: true,
		MinifySyntax:      true,
		Sourcemap:         api.SourceMapLinked,
		SourcesContent:    api.SourcesContentInclude,
		LegalComments:     api.LegalCommentsEndOfFile,
		Tsconfig:          "tsconfig.json",
		Banner:            map[string]string{"js": "// Tickwire: built by `go generate ./...` (web/internal/build) from web/" + filepath.ToSlash(filepath.Dir(entry)) + ": do not edit."},
		LogLevel:          api.LogLevelWarning,
		Write:             false,
	}
}

func run() error {
	dir, err := os.Getwd()
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@bufbuild", "protobuf")); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("web/node_modules/@bufbuild/protobuf is missing: run `npm ci` in web/ first (see web/README.md)")
	}
	tsc := func(args ...string) error {
		cmd := exec.Command(filepath.Join(dir, "node_modules", ".bin", "tsc"), args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("tsc %s: %w\n%s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	if err := tsc("--noEmit", "-p", "tsconfig.json"); err != nil {
		return fmt.Errorf("type check: %w", err)
	}
	// lib/ holds only what this tsc run emits: a module that is gone from
	// src/ must not linger in the package.
	if err := os.RemoveAll(filepath.Join(dir, "lib")); err != nil {
		return err
	}
	if err := tsc("-p", "tsconfig.lib.json"); err != nil {
		return fmt.Errorf("npm package: %w", err)
	}
	fmt.Println("wrote web/lib/ (tsc -p tsconfig.lib.json)")
	sdk := options(dir, "src/bundle.ts", "dist/tickwire.js")
	examples := options(dir, "example/index.ts", "dist/examples.js")
	examples.Plugins = []api.Plugin{runtimeFromSDK}
	for _, o := range []api.BuildOptions{sdk, examples} {
		if err := bundle(o); err != nil {
			return err
		}
	}
	return nil
}

// runtimeFromSDK leaves the protobuf-es runtime that generated code imports
// to the served SDK next to the bundle (dist/tickwire.js re-exports it).
var runtimeFromSDK = api.Plugin{Name: "runtime-from-sdk", Setup: func(b api.PluginBuild) {
	b.OnResolve(api.OnResolveOptions{Filter: `^@bufbuild/protobuf(/codegenv2)?$`},
		func(api.OnResolveArgs) (api.OnResolveResult, error) {
			return api.OnResolveResult{Path: "./tickwire.js", External: true}, nil
		})
}}

// bundle runs esbuild with o and writes its files.
func bundle(o api.BuildOptions) error {
	dir := o.AbsWorkingDir
	res := api.Build(o)
	if len(res.Errors) > 0 {
		msgs := api.FormatMessages(res.Errors, api.FormatMessagesOptions{Kind: api.ErrorMessage})
		return fmt.Errorf("esbuild:\n%s", strings.Join(msgs, ""))
	}
	if len(res.Warnings) > 0 {
		msgs := api.FormatMessages(res.Warnings, api.FormatMessagesOptions{Kind: api.WarningMessage})
		return fmt.Errorf("esbuild warnings (fix them: the build must be clean):\n%s", strings.Join(msgs, ""))
	}
	for _, f := range res.OutputFiles {
		if err := os.MkdirAll(filepath.Dir(f.Path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(f.Path, f.Contents, 0o644); err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, f.Path)
		fmt.Printf("wrote web/%s (%d bytes)\n", filepath.ToSlash(rel), len(f.Contents))
	}
	return nil
}

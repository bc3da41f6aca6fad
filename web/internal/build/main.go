// Command build type-checks the browser SDK with tsc (strict; esbuild only
// strips types) and bundles it (web/src/index.ts and everything it imports,
// the protobuf-es runtime included) into one ES module,
// web/dist/tickwire.js, with its source map, using esbuild's Go API. The
// output depends only on the sources and on web/package-lock.json, so
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

// options returns the esbuild options of the SDK bundle, for the web/
// folder dir (absolute).
func options(dir string) api.BuildOptions {
	return api.BuildOptions{
		AbsWorkingDir:     dir,
		EntryPoints:       []string{"src/index.ts"},
		Outfile:           "dist/tickwire.js",
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
		Banner:            map[string]string{"js": "// Tickwire browser SDK. Built by `go generate ./...` (web/internal/build) from web/src: do not edit."},
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
	tsc := exec.Command(filepath.Join(dir, "node_modules", ".bin", "tsc"), "--noEmit", "-p", "tsconfig.json")
	tsc.Dir = dir
	if out, err := tsc.CombinedOutput(); err != nil {
		return fmt.Errorf("type check (tsc): %w\n%s", err, out)
	}
	res := api.Build(options(dir))
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

package main

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime/debug"
	"strings"
	"text/template"
	"unicode"

	"github.com/tickwire/tickwire/version"
)

// scaffold is the template of a new game module: every file is a
// text/template ending in .tmpl, and __ident__ in a path is the game's
// identifier.
//
//go:embed all:scaffold
var scaffold embed.FS

// newFlags is tickwire new's command line.
type newFlags struct {
	module  string
	dir     string
	replace string
	version string
}

func parseNew(args []string, stderr io.Writer) (newFlags, error) {
	var n newFlags
	fs := flag.NewFlagSet("tickwire new", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: tickwire new [-replace DIR] [-version V] [-dir DIR] MODULE_PATH")
		fmt.Fprintln(stderr, "Scaffolds a game module in a new folder named after MODULE_PATH's last element.")
		fs.PrintDefaults()
	}
	fs.StringVar(&n.replace, "replace", "", "a local Tickwire checkout the new module uses instead of a published version (a replace directive)")
	fs.StringVar(&n.version, "version", "latest", "the Tickwire version to require (without -replace)")
	fs.StringVar(&n.dir, "dir", "", "the folder to create (default: MODULE_PATH's last element, in the current folder)")
	if err := fs.Parse(args); err != nil {
		return n, err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return n, errors.New("tickwire new takes one MODULE_PATH")
	}
	n.module = fs.Arg(0)
	if err := checkModulePath(n.module); err != nil {
		return n, err
	}
	if n.dir == "" {
		n.dir = path.Base(n.module)
	}
	versionSet := false
	fs.Visit(func(f *flag.Flag) { versionSet = versionSet || f.Name == "version" })
	if n.replace == "" && !versionSet && devBuild() {
		// `go run ./cmd/tickwire new …` in a checkout: until a release is
		// published, the new module uses that checkout.
		if wd, err := os.Getwd(); err == nil {
			if root := checkoutAbove(wd); root != "" {
				n.replace = root
				fmt.Fprintf(stderr, "tickwire new: a development build, so the module uses the checkout at %s (a replace directive; -version V to require a release)\n", root)
			}
		}
	}
	return n, nil
}

// tickwireModule is Tickwire's module path.
const tickwireModule = "github.com/tickwire/tickwire"

// devBuild reports whether this binary was built from a source tree
// (go run, go build in a checkout) rather than installed at a version.
func devBuild() bool {
	bi, ok := debug.ReadBuildInfo()
	return ok && (bi.Main.Version == "" || bi.Main.Version == "(devel)")
}

// checkoutAbove finds the Tickwire checkout dir is in (dir or a parent
// holding go.mod of module github.com/tickwire/tickwire), or "".
func checkoutAbove(dir string) string {
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && modfileModule(b) == tickwireModule {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// modfileModule is the module path a go.mod declares.
func modfileModule(gomod []byte) string {
	for _, line := range strings.Split(string(gomod), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}

// checkModulePath refuses what cannot be a module path: empty elements,
// dot elements, spaces, backslashes and characters outside the usual set.
func checkModulePath(p string) error {
	for _, elem := range strings.Split(p, "/") {
		if elem == "" || elem == "." || elem == ".." || strings.HasPrefix(elem, ".") || strings.HasSuffix(elem, ".") {
			return fmt.Errorf("module path %q: bad element %q", p, elem)
		}
		for _, r := range elem {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~", r)) {
				return fmt.Errorf("module path %q: character %q not allowed", p, r)
			}
		}
	}
	return nil
}

// scaffoldData is what the templates see.
type scaffoldData struct {
	Module       string // example.com/my-game
	Name         string // my-game: the game's registry name
	Ident        string // my_game: file names and the proto package
	ProtoPackage string // my_game.v1
	GoPackage    string // mygamev1
	Require      string // the version in go.mod's require
	Replace      string // the replace directive's target, or empty
	Page         pageVersions
}

// pageVersions are the npm packages the page's package.json names.
type pageVersions struct {
	SDK, Protobuf, ProtocGenES, TypeScript string
}

// page is what a new page depends on: the SDK at this Tickwire's version,
// the rest as web/package.json has them (TestPageVersions checks):
// @bufbuild/protobuf in its peer range, protoc-gen-es and tsc from the
// versions it pins on.
var page = pageVersions{
	SDK:         version.Version,
	Protobuf:    "^2.17.0",
	ProtocGenES: "^2.17.0",
	TypeScript:  "^5.9.3",
}

func newData(n newFlags) (scaffoldData, error) {
	base := path.Base(n.module)
	if v, ok := strings.CutPrefix(base, "v"); ok && v != "" && strings.Trim(v, "0123456789") == "" {
		base = path.Base(path.Dir(n.module)) // example.com/game/v2: "game"
	}
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		case r >= 'A' && r <= 'Z':
			return unicode.ToLower(r)
		case r == '.':
			return '-'
		}
		return -1
	}, base)
	if name == "" || name[0] < 'a' || name[0] > 'z' {
		name = "game" + name
	}
	ident := strings.ReplaceAll(name, "-", "_")
	d := scaffoldData{
		Module:       n.module,
		Name:         name,
		Ident:        ident,
		ProtoPackage: ident + ".v1",
		GoPackage:    strings.ReplaceAll(ident, "_", "") + "v1",
		Require:      "v0.0.0-00010101000000-000000000000",
		Page:         page,
	}
	if n.replace != "" {
		abs, err := filepath.Abs(n.replace)
		if err != nil {
			return d, err
		}
		if _, err := os.Stat(filepath.Join(abs, "go.mod")); err != nil {
			return d, fmt.Errorf("-replace %s: not a module: %w", n.replace, err)
		}
		d.Replace = abs
	}
	return d, nil
}

// runNew is `tickwire new`.
func runNew(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	n, err := parseNew(args, stderr)
	if err != nil {
		return err
	}
	return scaffoldModule(ctx, n, stdout, stderr)
}

// scaffoldModule writes the new module, resolves its dependencies and
// generates its code.
func scaffoldModule(ctx context.Context, n newFlags, stdout, stderr io.Writer) error {
	d, err := newData(n)
	if err != nil {
		return err
	}
	if _, err := os.Stat(n.dir); err == nil {
		return fmt.Errorf("%s already exists", n.dir)
	}
	if err := writeScaffold(n.dir, d); err != nil {
		return err
	}
	dir, err := filepath.Abs(n.dir)
	if err != nil {
		return err
	}
	// go commands in the new module may add what go.mod and go.sum lack.
	goCmd := func(args ...string) error {
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
		cmd.Stdout, cmd.Stderr = stderr, stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go %s in %s: %w", strings.Join(args, " "), n.dir, err)
		}
		return nil
	}
	if d.Replace == "" {
		if err := goCmd("get", "github.com/tickwire/tickwire@"+n.version); err != nil {
			return err
		}
	}
	// The generated code first (the game imports it), then tidy.
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	if err := os.Chdir(dir); err != nil {
		return err
	}
	genErr := generateIn(ctx, dir, stdout)
	if err := os.Chdir(wd); err != nil {
		return err
	}
	if genErr != nil {
		return genErr
	}
	if err := goCmd("mod", "tidy"); err != nil {
		return err
	}
	// The page's bundle, as go generate's second line makes it: no npm yet,
	// so with the SDK built into this Tickwire.
	if err := bundlePage(bundleFlags{entry: filepath.Join(dir, "web", "main.ts"), out: filepath.Join(dir, "web", "main.js"), sdk: sdkAuto}, stdout); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nCreated %s (module %s). Next:\n\n\tcd %s\n\tgo test ./...\n\tgo run . -addr 127.0.0.1:8080   # then open http://127.0.0.1:8080/\n", n.dir, d.Module, n.dir)
	fmt.Fprintf(stdout, "\nWith the server running, load-test it: go run ./loadtest -url ws://127.0.0.1:8080/ws -clients 50 -duration 30s (README.md).\n")
	fmt.Fprintf(stdout, "\nThe page is %s/web/main.ts; go generate ./... bundles it. For its types: cd web && npm install && npm run typecheck (README.md).\n", n.dir)
	return nil
}

// generateIn runs what the new module's first go:generate line runs (go
// tool tickwire gen -I proto -js web/gen), in dir, the current folder.
func generateIn(ctx context.Context, dir string, log io.Writer) error {
	// protoc-gen-go runs in the new module, which may lack go.sum lines.
	old, had := os.LookupEnv("GOFLAGS")
	os.Setenv("GOFLAGS", "-mod=mod")
	defer func() {
		if had {
			os.Setenv("GOFLAGS", old)
		} else {
			os.Unsetenv("GOFLAGS")
		}
	}()
	return generate(ctx, genFlags{imports: listFlag{"proto"}, jsDir: "web/gen", paths: []string{"proto"}}, log)
}

// writeScaffold renders the scaffold into dir, gofmt-ing the Go files.
func writeScaffold(dir string, d scaffoldData) error {
	return fs.WalkDir(scaffold, "scaffold", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		src, err := scaffold.ReadFile(p)
		if err != nil {
			return err
		}
		t, err := template.New(p).Option("missingkey=error").Parse(string(src))
		if err != nil {
			return err
		}
		var out bytes.Buffer
		if err := t.Execute(&out, d); err != nil {
			return err
		}
		name := strings.TrimSuffix(strings.TrimPrefix(p, "scaffold/"), ".tmpl")
		name = strings.ReplaceAll(name, "__ident__", d.Ident)
		body := out.Bytes()
		if strings.HasSuffix(name, ".go") {
			if body, err = format.Source(body); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
		target := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		return os.WriteFile(target, body, 0o644)
	})
}

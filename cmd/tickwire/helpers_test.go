package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tickwire/tickwire/internal/npmtest"
	"github.com/tickwire/tickwire/version"
)

func TestNewData(t *testing.T) {
	for _, tc := range []struct {
		module                         string
		dir, name, ident, proto, goPkg string
	}{
		{"example.com/mygame", "mygame", "mygame", "mygame", "mygame.v1", "mygamev1"},
		{"github.com/ann/Space-Race", "Space-Race", "space-race", "space_race", "space_race.v1", "spaceracev1"},
		{"example.com/pong/v2", "v2", "pong", "pong", "pong.v1", "pongv1"},
		{"example.com/3d", "3d", "game3d", "game3d", "game3d.v1", "game3dv1"},
	} {
		n, err := parseNew([]string{tc.module}, &bytes.Buffer{})
		if err != nil {
			t.Fatalf("%s: %v", tc.module, err)
		}
		d, err := newData(n)
		if err != nil {
			t.Fatal(err)
		}
		if n.dir != tc.dir || d.Name != tc.name || d.Ident != tc.ident || d.ProtoPackage != tc.proto || d.GoPackage != tc.goPkg {
			t.Errorf("%s: dir %q, data %+v", tc.module, n.dir, d)
		}
	}
}

func TestNewRefuses(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"a", "b"},
		{"example.com//x"},
		{"example.com/x y"},
		{"../escape"},
		{"-replace", t.TempDir(), "example.com/x"}, // not a module
	} {
		n, err := parseNew(args, &bytes.Buffer{})
		if err == nil {
			_, err = newData(n)
		}
		if err == nil {
			t.Errorf("tickwire new %q: no error", args)
		}
	}
	dir := t.TempDir()
	err := scaffoldModule(context.Background(), newFlags{module: "example.com/x", dir: dir}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("tickwire new into an existing folder: %v", err)
	}
}

// The templates render to gofmt-ed Go and name files after the game.
func TestWriteScaffold(t *testing.T) {
	dir := t.TempDir()
	d, err := newData(newFlags{module: "example.com/space-race"})
	if err != nil {
		t.Fatal(err)
	}
	if err := writeScaffold(dir, d); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"go.mod":                               "module example.com/space-race",
		"proto/space_race/v1/space_race.proto": `option go_package = "example.com/space-race/gen/spaceracev1;spaceracev1";`,
		"game/game.go":                         `const Name = "space-race"`,
		"main.go":                              `_ "example.com/space-race/game"`,
		"web/index.html":                       `<script type="module" src="./main.js">`,
		"web/main.ts":                          `from "./gen/space_race/v1/space_race_pb.js"`,
		"web/.gitignore":                       "node_modules/",
		"README.md":                            "go run . -addr 127.0.0.1:8080",
	} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %q", name, want)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "go.mod")); strings.Contains(string(b), "replace") {
		t.Error("go.mod has a replace without -replace")
	}
	m := npmtest.ReadManifest(t, filepath.Join(dir, "web/package.json"))
	if m.Name != "space-race-page" || !m.Private || m.Type != "module" || m.Dependencies["@tickwire/web"] != version.Version ||
		m.Dependencies["@bufbuild/protobuf"] != page.Protobuf || m.DevDependencies["typescript"] != page.TypeScript || m.Scripts["typecheck"] == "" {
		t.Errorf("web/package.json = %+v", m)
	}
}

// TestPageVersions: the page's package.json asks for what Tickwire's own
// npm package is built and tested with (web/package.json): its version, its
// peer range of @bufbuild/protobuf, and at least the protoc-gen-es and
// typescript it pins.
func TestPageVersions(t *testing.T) {
	web := npmtest.ReadManifest(t, "../../web/package.json")
	for name, tc := range map[string]struct{ got, want string }{
		"@tickwire/web":           {page.SDK, web.Version},
		"@bufbuild/protobuf":      {page.Protobuf, web.PeerDependencies["@bufbuild/protobuf"]},
		"@bufbuild/protoc-gen-es": {page.ProtocGenES, "^" + web.DevDependencies["@bufbuild/protoc-gen-es"]},
		"typescript":              {page.TypeScript, "^" + web.DevDependencies["typescript"]},
	} {
		if tc.got != tc.want || tc.want == "" || tc.want == "^" {
			t.Errorf("the page's %s is %q, want %q (web/package.json)", name, tc.got, tc.want)
		}
	}
}

func TestParseBundle(t *testing.T) {
	b, err := parseBundle([]string{"web/main.ts"}, &bytes.Buffer{})
	if err != nil || b.out != "web/main.js" || b.sdk != sdkAuto {
		t.Errorf("tickwire bundle web/main.ts = %+v, %v", b, err)
	}
	for _, args := range [][]string{{}, {"a.ts", "b.ts"}, {"-sdk", "cdn", "main.ts"}, {"main.js"}, {"-o", "main.ts", "main.ts"}} {
		if _, err := parseBundle(args, &bytes.Buffer{}); err == nil {
			t.Errorf("tickwire bundle %q: no error", args)
		}
	}
	if _, err := parseGen([]string{"-es", "x", "-es-target", "wasm"}, &bytes.Buffer{}); err == nil {
		t.Error("tickwire gen -es-target wasm: no error")
	}
}

// TestBundleSDK bundles a page both ways: with the SDK built into Tickwire
// (no node_modules: what tickwire new does) and, for -sdk npm without
// node_modules, an error saying to run npm install. The page imports a name
// the built-in SDK does not export, to see esbuild refuse it at build time
// rather than the browser at load time.
func TestBundleSDK(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("main.ts", "import { connect } from \"@tickwire/web\";\nimport { create } from \"@bufbuild/protobuf\";\nconst n: number = 1;\nconsole.log(connect, create, n);\n")
	var log bytes.Buffer
	if err := bundlePage(bundleFlags{entry: filepath.Join(dir, "main.ts"), out: filepath.Join(dir, "out/main.js"), sdk: sdkAuto}, &log); err != nil {
		t.Fatal(err)
	}
	js, err := os.ReadFile(filepath.Join(dir, "out/main.js"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(js), "// Code generated by tickwire bundle from main.ts with the SDK built into Tickwire "+version.Version) ||
		strings.Contains(string(js), "from \"@tickwire/web\"") || !strings.Contains(log.String(), "wrote ") {
		t.Errorf("bundle (log %q) begins %.300q", log.String(), js)
	}
	err = bundlePage(bundleFlags{entry: filepath.Join(dir, "main.ts"), out: filepath.Join(dir, "main.js"), sdk: sdkNPM}, &log)
	if err == nil || !strings.Contains(err.Error(), "npm install") {
		t.Errorf("-sdk npm without node_modules: %v", err)
	}
	write("bad.ts", "import { toJson } from \"@bufbuild/protobuf\";\nconsole.log(toJson);\n")
	err = bundlePage(bundleFlags{entry: filepath.Join(dir, "bad.ts"), out: filepath.Join(dir, "bad.js"), sdk: sdkBuiltin}, &log)
	if err == nil || !strings.Contains(err.Error(), "toJson") || !strings.Contains(err.Error(), "npm install") {
		t.Errorf("importing toJson from the built-in SDK: %v", err)
	}
}

func TestProtoFiles(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"proto/a/v1/a.proto", "proto/b/b.proto", "proto/node_modules/x.proto", "proto/.hidden/y.proto", "proto/readme.txt"} {
		p := filepath.Join(root, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	imp := filepath.Join(root, "proto")
	got, err := protoFiles([]string{imp}, []string{imp})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, " ") != "a/v1/a.proto b/b.proto" {
		t.Errorf("protoFiles = %q", got)
	}
	if _, err := protoFiles([]string{filepath.Join(imp, "a/v1/a.proto")}, []string{filepath.Join(root, "other")}); err == nil {
		t.Error("a file under no import path: no error")
	}
	if _, err := protoFiles([]string{filepath.Join(root, "proto/b")}, []string{root}); err != nil {
		t.Error(err)
	}
}

func TestGoPackageName(t *testing.T) {
	for in, want := range map[string]string{"example.com/m/proto/extra": "extra", "x/Game-Data": "gamedata", "x/3d": "pb3d"} {
		if got := goPackageName(in); got != want {
			t.Errorf("goPackageName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFindModule(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("// a comment\nmodule \"example.com/found\"\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(root, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	dir, mod, err := findModule(sub)
	if err != nil || mod != "example.com/found" {
		t.Fatalf("findModule = %q %q %v", dir, mod, err)
	}
	if want, _ := filepath.EvalSymlinks(root); dir != root && dir != want {
		t.Errorf("root = %q, want %q", dir, root)
	}
}

func TestRunCommands(t *testing.T) {
	var out, errs bytes.Buffer
	if err := run(context.Background(), []string{"version"}, &out, &errs); err != nil || out.String() != "tickwire "+version.Version+"\n" {
		t.Errorf("tickwire version = %q, %v", out.String(), err)
	}
	if err := run(context.Background(), []string{"frobnicate"}, &out, &errs); err == nil || !strings.Contains(errs.String(), "usage:") {
		t.Errorf("an unknown command: %v, stderr %q", err, errs.String())
	}
	if err := run(context.Background(), nil, &out, &errs); err == nil {
		t.Error("no command: no error")
	}
	if err := run(context.Background(), []string{"serve", "-log-format", "xml"}, &out, &errs); err == nil {
		t.Error("tickwire serve -log-format xml: no error")
	}
}

func TestCheckoutAbove(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if got := checkoutAbove(filepath.Join(root, "examples", "demo")); got != root {
		t.Errorf("checkoutAbove(examples/demo) = %q, want %q", got, root)
	}
	if got := checkoutAbove(t.TempDir()); got != "" {
		t.Errorf("checkoutAbove(a temporary folder) = %q, want none", got)
	}
	if got := modfileModule([]byte("// c\nmodule \"example.com/x\"\n\ngo 1.26\n")); got != "example.com/x" {
		t.Errorf("modfileModule = %q", got)
	}
}

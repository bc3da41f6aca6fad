package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
		"web/index.html":                       `./gen/space_race/v1/space_race_pb.js`,
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

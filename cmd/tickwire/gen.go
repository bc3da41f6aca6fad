package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"unicode"

	"github.com/tickwire/tickwire/internal/protogen"
)

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// genFlags is tickwire gen's command line.
type genFlags struct {
	imports  listFlag
	jsDir    string
	esDir    string
	esPlugin string
	esTarget string
	plugin   string
	paths    []string
}

func parseGen(args []string, stderr io.Writer) (genFlags, error) {
	var g genFlags
	fs := flag.NewFlagSet("tickwire gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: tickwire gen [-I DIR]... [-js DIR] [-es DIR] [-es-target T] [-plugin CMD] [PATH...]")
		fmt.Fprintln(stderr, "Generates Go (and with -js or -es, JavaScript or TypeScript) for the .proto files at PATH (default: the first -I).")
		fs.PrintDefaults()
	}
	fs.Var(&g.imports, "I", "an import path: .proto files are named (and import each other) relative to it; repeatable (default \".\")")
	fs.StringVar(&g.jsDir, "js", "", "also write the schemas as plain ES modules (FILE_pb.js, no npm needed) under this folder")
	fs.StringVar(&g.esDir, "es", "", "also write TypeScript with protoc-gen-es (target=ts) under this folder")
	fs.StringVar(&g.esTarget, "es-target", "ts", "protoc-gen-es's target for -es: ts (TypeScript modules), or dts (only FILE_pb.d.ts, the types of the modules -js writes: give -js and -es one folder), or js+dts")
	fs.StringVar(&g.esPlugin, "es-plugin", "", "the protoc-gen-es executable (default: node_modules/.bin/protoc-gen-es, else on $PATH)")
	fs.StringVar(&g.plugin, "plugin", "", "the protoc-gen-go executable (default: go run google.golang.org/protobuf/cmd/protoc-gen-go, the version the module requires)")
	if err := fs.Parse(args); err != nil {
		return g, err
	}
	if len(g.imports) == 0 {
		g.imports = listFlag{"."}
	}
	switch g.esTarget {
	case "ts", "dts", "js+dts":
	default:
		return g, fmt.Errorf("-es-target %q: want ts, dts or js+dts", g.esTarget)
	}
	g.paths = fs.Args()
	if len(g.paths) == 0 {
		g.paths = []string{g.imports[0]}
	}
	return g, nil
}

// runGen is `tickwire gen`: Go code for the named protos into the module
// of the current folder.
func runGen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	g, err := parseGen(args, stderr)
	if err != nil {
		return err
	}
	return generate(ctx, g, stdout)
}

// generate runs one tickwire gen, logging written files on log.
func generate(ctx context.Context, g genFlags, log io.Writer) error {
	root, module, err := findModule(".")
	if err != nil {
		return err
	}
	files, err := protoFiles(g.paths, g.imports)
	if err != nil {
		return err
	}
	r := protogen.Request{ImportPaths: g.imports, Files: files}
	req, err := protogen.Compile(ctx, r)
	if err != nil {
		return err
	}
	// A file without go_package is generated next to it: tell protoc-gen-go
	// its import path with an M option.
	params := []string{"paths=import", "module=" + module}
	for _, fd := range req.ProtoFile {
		if !slices.Contains(files, fd.GetName()) || fd.GetOptions().GetGoPackage() != "" {
			continue
		}
		dir, err := sourceDir(fd.GetName(), g.imports)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, dir)
		if err != nil || !filepath.IsLocal(rel) && rel != "." {
			return fmt.Errorf("%s has no go_package and lies outside the module at %s", fd.GetName(), root)
		}
		importPath := path.Join(module, filepath.ToSlash(rel))
		params = append(params, fmt.Sprintf("M%s=%s;%s", fd.GetName(), importPath, goPackageName(importPath)))
	}
	req.Parameter = stringPtr(strings.Join(params, ","))
	command := protogen.GoPlugin
	if g.plugin != "" {
		command = []string{g.plugin}
	}
	resp, err := protogen.RunPlugin(ctx, command, root, req)
	if err != nil {
		return err
	}
	if err := protogen.WriteFiles(root, resp.File, relLog{log, root}); err != nil {
		return err
	}
	if g.jsDir != "" {
		if err := protogen.JS(ctx, r, g.jsDir, log); err != nil {
			return err
		}
	}
	if g.esDir != "" {
		plugin := g.esPlugin
		if plugin == "" {
			if plugin, err = findESPlugin(root); err != nil {
				return err
			}
		}
		es := r
		es.Parameter = "target=" + cmp.Or(g.esTarget, "ts")
		if err := protogen.ES(ctx, es, plugin, g.esDir, log); err != nil {
			return err
		}
	}
	return nil
}

func stringPtr(s string) *string { return &s }

// relLog writes "wrote FILE" lines with FILE relative to the current
// folder where it can.
type relLog struct {
	w    io.Writer
	root string
}

func (l relLog) Write(p []byte) (int, error) {
	if l.w == nil {
		return len(p), nil
	}
	line := string(p)
	if name, ok := strings.CutPrefix(strings.TrimSpace(line), "wrote "); ok {
		if wd, err := os.Getwd(); err == nil {
			if rel, err := filepath.Rel(wd, name); err == nil {
				line = "wrote " + filepath.ToSlash(rel) + "\n"
			}
		}
	}
	_, err := io.WriteString(l.w, line)
	return len(p), err
}

// findModule finds the go.mod at or above dir and returns its folder and
// module path.
func findModule(dir string) (root, module string, err error) {
	dir, err = filepath.Abs(dir)
	if err != nil {
		return "", "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		f, err := os.Open(filepath.Join(d, "go.mod"))
		if err == nil {
			defer f.Close()
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
					return d, strings.Trim(strings.TrimSpace(rest), `"`), nil
				}
			}
			return "", "", fmt.Errorf("%s: no module line", filepath.Join(d, "go.mod"))
		}
		if filepath.Dir(d) == d {
			return "", "", fmt.Errorf("no go.mod at or above %s: run tickwire gen inside a Go module", dir)
		}
	}
}

// protoFiles names the .proto files at paths (files, or folders searched
// for them) relative to the first import path that holds each.
func protoFiles(paths, imports []string) ([]string, error) {
	var out []string
	add := func(p string) error {
		name, err := importName(p, imports)
		if err != nil {
			return err
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
		return nil
	}
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			if err := add(p); err != nil {
				return nil, err
			}
			continue
		}
		err = filepath.WalkDir(p, func(f string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && f != p && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "vendor" || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			if !d.IsDir() && strings.HasSuffix(f, ".proto") {
				return add(f)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no .proto files in %s", strings.Join(paths, " "))
	}
	return out, nil
}

// importName is file's name relative to the first import path holding it.
func importName(file string, imports []string) (string, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return "", err
	}
	for _, imp := range imports {
		dir, err := filepath.Abs(imp)
		if err != nil {
			return "", err
		}
		if rel, err := filepath.Rel(dir, abs); err == nil && filepath.IsLocal(rel) {
			return filepath.ToSlash(rel), nil
		}
	}
	return "", fmt.Errorf("%s is under no import path (-I %s)", file, strings.Join(imports, " -I "))
}

// sourceDir is the folder of the .proto file imported as name.
func sourceDir(name string, imports []string) (string, error) {
	for _, imp := range imports {
		f := filepath.Join(imp, filepath.FromSlash(name))
		if _, err := os.Stat(f); err == nil {
			return filepath.Abs(filepath.Dir(f))
		}
	}
	return "", fmt.Errorf("%s: not found under the import paths", name)
}

// goPackageName is a Go package name for importPath: its last element,
// lower-cased, letters and digits only.
func goPackageName(importPath string) string {
	name := strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, path.Base(importPath))
	if name == "" || unicode.IsDigit(rune(name[0])) {
		name = "pb" + name
	}
	return name
}

// findESPlugin finds protoc-gen-es in the module's node_modules (or
// web/node_modules) or on $PATH.
func findESPlugin(root string) (string, error) {
	for _, p := range []string{"node_modules/.bin/protoc-gen-es", filepath.Join(root, "node_modules/.bin/protoc-gen-es"), filepath.Join(root, "web/node_modules/.bin/protoc-gen-es")} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath("protoc-gen-es"); err == nil {
		return p, nil
	}
	return "", errors.New("-es: protoc-gen-es not found (npm install -D @bufbuild/protoc-gen-es, or give -es-plugin)")
}

// Package protogen generates code from .proto files without protoc and
// without protobuf's internals: github.com/bufbuild/protocompile parses and
// links the files, and the result goes to the real code generators over
// protoc's public plugin protocol (a pluginpb.CodeGeneratorRequest on the
// plugin's stdin, a CodeGeneratorResponse on its stdout) —
// google.golang.org/protobuf/cmd/protoc-gen-go at the version the module's
// go.mod pins (run with `go run`), or protoc-gen-es for TypeScript.
//
// One generator serves Tickwire's own `go generate ./...`
// (proto/internal/protogen) and users' modules (`tickwire gen`).
package protogen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bufbuild/protocompile"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/pluginpb"
)

// GoPlugin is the protoc-gen-go command Go uses by default: the version
// the current module requires, built by the go command.
var GoPlugin = []string{"go", "run", "google.golang.org/protobuf/cmd/protoc-gen-go"}

// Request describes one generation.
type Request struct {
	// ImportPaths are the folders .proto imports are resolved against, as
	// protoc's -I. Empty: the current folder.
	ImportPaths []string
	// Files are the .proto files to generate code for, named relative to
	// an import path (as they are imported: "game/v1/game.proto").
	Files []string
	// Parameter is the plugin's parameter string ("paths=import,module=…"
	// for protoc-gen-go, "target=ts" for protoc-gen-es).
	Parameter string
}

// Compile parses and links the files of r and returns the
// CodeGeneratorRequest for them, with every file they import.
func Compile(ctx context.Context, r Request) (*pluginpb.CodeGeneratorRequest, error) {
	if len(r.Files) == 0 {
		return nil, errors.New("no .proto files named")
	}
	c := protocompile.Compiler{
		Resolver:       protocompile.WithStandardImports(&protocompile.SourceResolver{ImportPaths: r.ImportPaths}),
		SourceInfoMode: protocompile.SourceInfoStandard,
	}
	compiled, err := c.Compile(ctx, r.Files...)
	if err != nil {
		return nil, err
	}
	req := &pluginpb.CodeGeneratorRequest{
		FileToGenerate: slices.Clone(r.Files),
		Parameter:      proto.String(r.Parameter),
	}
	seen := map[string]bool{}
	var add func(fd protoreflect.FileDescriptor)
	add = func(fd protoreflect.FileDescriptor) {
		if seen[fd.Path()] {
			return
		}
		seen[fd.Path()] = true
		imports := fd.Imports()
		for i := range imports.Len() {
			add(imports.Get(i).FileDescriptor)
		}
		req.ProtoFile = append(req.ProtoFile, protodesc.ToFileDescriptorProto(fd))
	}
	for _, f := range compiled {
		add(f)
	}
	return req, nil
}

// RunPlugin plays protoc's part for one plugin: it runs command (in dir,
// when not empty) with req on its stdin and returns the response it
// writes on its stdout. A response carrying an error is returned as one.
func RunPlugin(ctx context.Context, command []string, dir string, req *pluginpb.CodeGeneratorRequest) (*pluginpb.CodeGeneratorResponse, error) {
	if len(command) == 0 {
		return nil, errors.New("no plugin command")
	}
	in, err := proto.Marshal(req)
	if err != nil {
		return nil, err
	}
	name := strings.Join(command, " ")
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, command[0], command[1:]...)
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(in)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s: %w\n%s", name, err, stderr.Bytes())
	}
	resp := &pluginpb.CodeGeneratorResponse{}
	if err := proto.Unmarshal(stdout.Bytes(), resp); err != nil {
		return nil, fmt.Errorf("%s: bad response: %w", name, err)
	}
	if resp.Error != nil {
		return nil, fmt.Errorf("%s: %s", name, resp.GetError())
	}
	return resp, nil
}

// WriteFiles writes a plugin's files under dir, naming each written file
// on log (when not nil). A file may not leave dir or use insertion points.
func WriteFiles(dir string, files []*pluginpb.CodeGeneratorResponse_File, log io.Writer) error {
	for _, out := range files {
		if out.GetInsertionPoint() != "" {
			return fmt.Errorf("%s: insertion points are not supported", out.GetName())
		}
		name := filepath.FromSlash(out.GetName())
		if !filepath.IsLocal(name) {
			return fmt.Errorf("plugin wrote outside its folder: %q", out.GetName())
		}
		name = filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(name, []byte(out.GetContent()), 0o644); err != nil {
			return err
		}
		if log != nil {
			fmt.Fprintln(log, "wrote", strings.TrimPrefix(filepath.ToSlash(name), "./"))
		}
	}
	return nil
}

// Go generates Go code for r's files with protoc-gen-go (command; nil:
// GoPlugin, run in dir) and writes it under out. With module set, the
// parameter is "paths=import,module=MODULE": each file goes to its
// go_package's import path with module's prefix cut, i.e. where it belongs
// in a module rooted at out. r.Parameter, when set, is used instead.
func Go(ctx context.Context, r Request, module, out string, command []string, dir string, log io.Writer) error {
	if r.Parameter == "" {
		r.Parameter = "paths=import"
		if module != "" {
			r.Parameter += ",module=" + module
		}
	}
	req, err := Compile(ctx, r)
	if err != nil {
		return err
	}
	if command == nil {
		command = GoPlugin
	}
	resp, err := RunPlugin(ctx, command, dir, req)
	if err != nil {
		return err
	}
	return WriteFiles(out, resp.File, log)
}

// ES generates TypeScript for r's files with the protoc-gen-es executable
// plugin (parameter "target=ts" unless r.Parameter is set) and writes it
// under out.
func ES(ctx context.Context, r Request, plugin, out string, log io.Writer) error {
	if _, err := os.Stat(plugin); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s is missing: run `npm ci` in web/ first (see web/README.md)", plugin)
	}
	if r.Parameter == "" {
		r.Parameter = "target=ts"
	}
	req, err := Compile(ctx, r)
	if err != nil {
		return err
	}
	resp, err := RunPlugin(ctx, []string{plugin}, "", req)
	if err != nil {
		return err
	}
	return WriteFiles(out, resp.File, log)
}

// fileProto returns the FileDescriptorProto named name in req.
func fileProto(req *pluginpb.CodeGeneratorRequest, name string) *descriptorpb.FileDescriptorProto {
	for _, f := range req.ProtoFile {
		if f.GetName() == name {
			return f
		}
	}
	return nil
}

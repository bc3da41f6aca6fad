// Command protogen compiles the .proto sources under proto/ into Go code
// without protoc: github.com/bufbuild/protocompile parses and links them and
// protoc-gen-go's own generator (internal_gengo) writes the code. Both are
// pinned in go.mod, so `go generate ./...` is reproducible on any machine
// with Go alone.
//
// With -es DIR it writes TypeScript for the browser SDK instead: it builds
// the same CodeGeneratorRequest and pipes it to protoc-gen-es (installed in
// web/node_modules by `npm ci`), writing the files it returns under DIR.
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
	"path/filepath"
	"strings"

	"github.com/bufbuild/protocompile"
	gengo "google.golang.org/protobuf/cmd/protoc-gen-go/internal_gengo"
	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/pluginpb"
)

func main() {
	esDir := flag.String("es", "", "write TypeScript (protoc-gen-es, target=ts) under this folder instead of Go")
	esPlugin := flag.String("es-plugin", "../web/node_modules/.bin/protoc-gen-es", "the protoc-gen-es executable, for -es")
	flag.Parse()
	var err error
	if *esDir != "" {
		err = runES(flag.Args(), *esPlugin, *esDir)
	} else {
		err = run(flag.Args())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "protogen:", err)
		os.Exit(1)
	}
}

// compile parses and links files and returns a CodeGeneratorRequest for
// them (with every file they import) carrying parameter.
func compile(files []string, parameter string) (*pluginpb.CodeGeneratorRequest, error) {
	if len(files) == 0 {
		return nil, fmt.Errorf("no .proto files named")
	}
	c := protocompile.Compiler{
		Resolver:       protocompile.WithStandardImports(&protocompile.SourceResolver{}),
		SourceInfoMode: protocompile.SourceInfoStandard,
	}
	compiled, err := c.Compile(context.Background(), files...)
	if err != nil {
		return nil, err
	}
	req := &pluginpb.CodeGeneratorRequest{
		FileToGenerate: files,
		Parameter:      &parameter,
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

func run(files []string) error {
	req, err := compile(files, "paths=import,module=github.com/tickwire/tickwire/proto")
	if err != nil {
		return err
	}
	gen, err := protogen.Options{}.New(req)
	if err != nil {
		return err
	}
	for _, f := range gen.Files {
		if f.Generate {
			gengo.GenerateFile(gen, f)
		}
	}
	gen.SupportedFeatures = gengo.SupportedFeatures
	resp := gen.Response()
	if resp.Error != nil {
		return fmt.Errorf("generate: %s", resp.GetError())
	}
	return writeFiles("", resp.File)
}

// writeFiles writes a plugin's files under dir.
func writeFiles(dir string, files []*pluginpb.CodeGeneratorResponse_File) error {
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
		fmt.Println("wrote", strings.TrimPrefix(filepath.ToSlash(name), "./"))
	}
	return nil
}

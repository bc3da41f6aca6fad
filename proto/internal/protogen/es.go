package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/pluginpb"
)

// runES generates TypeScript for files with protoc-gen-es (plugin) into dir.
// It plays protoc's part: the CodeGeneratorRequest goes to the plugin's
// stdin, and the CodeGeneratorResponse comes back on its stdout.
func runES(files []string, plugin, dir string) error {
	if _, err := os.Stat(plugin); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s is missing: run `npm ci` in web/ first (see web/README.md)", plugin)
	}
	req, err := compile(files, "target=ts")
	if err != nil {
		return err
	}
	in, err := proto.Marshal(req)
	if err != nil {
		return err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(plugin)
	cmd.Stdin = bytes.NewReader(in)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w\n%s", plugin, err, stderr.Bytes())
	}
	var resp pluginpb.CodeGeneratorResponse
	if err := proto.Unmarshal(stdout.Bytes(), &resp); err != nil {
		return fmt.Errorf("%s: bad response: %w", plugin, err)
	}
	if resp.Error != nil {
		return fmt.Errorf("%s: %s", plugin, resp.GetError())
	}
	return writeFiles(dir, resp.File)
}

package protogen

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// protoDir is Tickwire's proto/ folder, the import path of its sources.
const protoDir = "../../proto"

// The Go generator run here (protoc-gen-go over the plugin protocol)
// writes exactly the committed code.
func TestGoMatchesCommitted(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go run protoc-gen-go")
	}
	out := t.TempDir()
	files := []string{"tickwire/arena/v1/arena.proto", "tickwire/testing/v1/state.proto"}
	var log bytes.Buffer
	err := Go(context.Background(), Request{ImportPaths: []string{protoDir}, Files: files}, "github.com/tickwire/tickwire/proto", out, nil, "", &log)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(f, ".proto") + ".pb.go"
		got, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatalf("%v (log: %s)", err, &log)
		}
		want, err := os.ReadFile(filepath.Join(protoDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the committed file", name)
		}
	}
}

var fileDescRE = regexp.MustCompile(`fileDesc\("([^"]*)"`)

// JS embeds descriptors byte for byte as protoc-gen-es does (its output
// for the SDK's test schema is committed in web/src/gen), and the module
// loads in Node.js with the protobuf-es runtime and round-trips a message.
func TestJS(t *testing.T) {
	out := t.TempDir()
	err := JS(context.Background(), Request{ImportPaths: []string{protoDir}, Files: []string{"tickwire/testing/v1/state.proto", "tickwire/arena/v1/arena.proto"}}, out, nil)
	if err != nil {
		t.Fatal(err)
	}
	ours, err := os.ReadFile(filepath.Join(out, "tickwire/testing/v1/state_pb.js"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`import { fileDesc, messageDesc, enumDesc, tsEnum } from "@bufbuild/protobuf/codegenv2";`,
		`export const StateSchema = /*@__PURE__*/ messageDesc(file_tickwire_testing_v1_state, 4);`,
		`export const ColorSchema = /*@__PURE__*/ enumDesc(file_tickwire_testing_v1_state, 0);`,
	} {
		if !bytes.Contains(ours, []byte(want)) {
			t.Errorf("state_pb.js lacks %s", want)
		}
	}
	if bytes.Contains(ours, []byte("EntrySchema")) {
		t.Error("state_pb.js exports map entries")
	}
	if theirs, err := os.ReadFile("../../web/src/gen/tickwire/testing/v1/state_pb.ts"); err == nil {
		a, b := fileDescRE.FindSubmatch(ours), fileDescRE.FindSubmatch(theirs)
		if a == nil || b == nil || !bytes.Equal(a[1], b[1]) {
			t.Error("the embedded descriptor differs from protoc-gen-es's")
		}
	}

	node, err := exec.LookPath("node")
	modules, _ := filepath.Abs("../../web/node_modules")
	if _, serr := os.Stat(filepath.Join(modules, "@bufbuild/protobuf")); err != nil || serr != nil {
		t.Skip("no node or web/node_modules (npm ci in web/): the module is not run")
	}
	if err := os.Symlink(modules, filepath.Join(out, "node_modules")); err != nil {
		t.Fatal(err)
	}
	script := `import { create, toBinary, fromBinary } from "@bufbuild/protobuf";
import { StateSchema } from "./tickwire/arena/v1/arena_pb.js";
import { Color } from "./tickwire/testing/v1/state_pb.js";
const s = create(StateSchema, { width: 800, players: { ann: { x: 1.5 } } });
const back = fromBinary(StateSchema, toBinary(StateSchema, s));
console.log(StateSchema.typeName, back.width, back.players.ann.x, Color.RED);
`
	if err := os.WriteFile(filepath.Join(out, "check.mjs"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "check.mjs")
	cmd.Dir = out
	got, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, got)
	}
	if want := "tickwire.arena.v1.State 800 1.5 1\n"; string(got) != want {
		t.Errorf("node printed %q, want %q", got, want)
	}
}

func TestRelImport(t *testing.T) {
	for _, tc := range []struct{ from, to, want string }{
		{"game.proto", "other_pb.js", "./other_pb.js"},
		{"a/v1/game.proto", "a/v1/other_pb.js", "./other_pb.js"},
		{"a/v1/game.proto", "a/common/x_pb.js", "../common/x_pb.js"},
		{"a/v1/game.proto", "b/y_pb.js", "../../b/y_pb.js"},
	} {
		if got, _ := relImport(tc.from, tc.to); got != tc.want {
			t.Errorf("relImport(%q, %q) = %q, want %q", tc.from, tc.to, got, tc.want)
		}
	}
}

package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evanw/esbuild/pkg/api"

	"github.com/tickwire/tickwire/internal/browsertest"
	"github.com/tickwire/tickwire/internal/npmtest"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/version"
)

func readPackageJSON(t *testing.T) npmtest.Manifest {
	t.Helper()
	return npmtest.ReadManifest(t, "package.json")
}

// TestPackageJSON checks the npm package's manifest: public, versioned as
// the Go module is (package version), an ES module whose "." export points
// at files the build wrote, and @bufbuild/protobuf as a peer dependency
// only, so a game's own generated schemas share the page's one runtime.
func TestPackageJSON(t *testing.T) {
	p := readPackageJSON(t)
	if p.Private || p.Name != "@tickwire/web" || p.Type != "module" {
		t.Errorf("package.json: name %q, private %v, type %q; want a public ES module @tickwire/web", p.Name, p.Private, p.Type)
	}
	if p.Version != version.Version {
		t.Errorf("package.json version %q, want version.Version %q", p.Version, version.Version)
	}
	var dot struct{ Types, Import string }
	if err := json.Unmarshal(p.Exports["."], &dot); err != nil || dot.Types == "" || dot.Import == "" {
		t.Fatalf(`package.json exports["."] = %s (%v), want {"types", "import"}`, p.Exports["."], err)
	}
	for _, f := range []string{dot.Types, dot.Import} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("exported file: %v (run go generate ./...)", err)
		}
	}
	if _, ok := p.PeerDependencies["@bufbuild/protobuf"]; !ok || len(p.Dependencies) != 0 {
		t.Errorf("peerDependencies %v, dependencies %v: want @bufbuild/protobuf as a peer and no dependencies", p.PeerDependencies, p.Dependencies)
	}
}

// consumerTS is a game page as a user of the npm package writes it: it
// imports the SDK by name and the game's schemas protoc-gen-es generated
// (here the arena's), joins a room and steers. The @ts-expect-error lines
// check that the room is typed by the game's schemas, not any.
const consumerTS = `import { connect, CloseCode, TickwireError, type Room } from "@tickwire/web";
import { create } from "@bufbuild/protobuf";
import { InputSchema, StateSchema, type Player, type State } from "./arena_pb.js";

const view = { frames: 0, players: 0, acked: 0, selfX: 0, playerId: "", error: "" };
(window as unknown as { consumer: typeof view }).consumer = view;

try {
  const client = await connect("/ws");
  view.playerId = client.playerId;
  const room: Room<typeof StateSchema, typeof InputSchema> = await client.join({ game: "arena" }, { state: StateSchema, input: InputSchema });
  room.on("state", () => {
    const state: State = room.state;
    const self: Player | undefined = state.players[client.playerId];
    view.frames++;
    view.players = Object.keys(state.players).length;
    view.acked = room.lastInputSeq;
    view.selfX = self?.x ?? 0;
  });
  room.sendInput({ dx: 1, dy: 0 });
  room.sendInput(create(InputSchema, { dx: 0, dy: 0 }));
  // @ts-expect-error: the arena's Input has no field fire.
  if (false) room.sendInput({ fire: true });
  // @ts-expect-error: a State's players are Players, not numbers.
  if (false) { const n: number = room.state.players["p"]; void n; }
  const code: number = CloseCode.SlowConsumer;
  void code;
} catch (e) {
  view.error = e instanceof TickwireError ? e.codeName + ": " + e.message : String(e);
}
`

// readmeExample returns the TypeScript example of web/README.md ("With a
// bundler"), made to use the arena's schemas, whose State and Input have
// the fields the example's mygame has, so that tsc checks it too.
func readmeExample(t *testing.T) string {
	t.Helper()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "\n```ts\n")
	code, _, ok2 := strings.Cut(after, "\n```\n")
	const schema = `"./gen/mygame/v1/mygame_pb.js"`
	if !ok || !ok2 || !strings.Contains(code, schema) {
		t.Fatalf("README.md: no TypeScript example importing %s", schema)
	}
	return strings.ReplaceAll(code, schema, `"./arena_pb.js"`) + "\nexport {};\n"
}

// TestNPMPackageInChromium uses the SDK as a user of the npm package does:
// `npm pack` in web/, the tarball installed with @bufbuild/protobuf and
// typescript into a folder outside the repository, a page importing
// "@tickwire/web" type-checked with tsc (bundler and Node resolution),
// bundled with esbuild, served next to a real server and played in
// headless Chromium until its inputs are acknowledged in state.
func TestNPMPackageInChromium(t *testing.T) {
	start := time.Now()
	web, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	tarball := npmtest.Pack(t, web, tmp)

	app := filepath.Join(tmp, "app")
	if err := os.Mkdir(app, 0o755); err != nil {
		t.Fatal(err)
	}
	p := readPackageJSON(t)
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(app, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("package.json", `{"name": "app", "private": true, "type": "module"}`+"\n")
	// The versions web/ pins, so that npm ci's cache serves them.
	npmtest.Install(t, app, tarball, "@bufbuild/protobuf@"+p.DevDependencies["@bufbuild/protobuf"], "typescript@"+p.DevDependencies["typescript"])
	if _, err := os.Stat(filepath.Join(app, "node_modules", "@tickwire", "web", "src")); err == nil {
		t.Error("the package ships src/: files should list only the build")
	}

	schema, err := os.ReadFile("example/gen/tickwire/arena/v1/arena_pb.ts")
	if err != nil {
		t.Fatal(err)
	}
	write("arena_pb.ts", string(schema))
	write("main.ts", consumerTS)
	write("readme.ts", readmeExample(t))
	tsconfig := func(module, resolution string) string {
		return fmt.Sprintf(`{"compilerOptions": {"target": "ES2022", "module": %q, "moduleResolution": %q,
  "lib": ["ES2022", "DOM"], "strict": true, "noEmit": true, "verbatimModuleSyntax": true, "skipLibCheck": false},
  "files": ["main.ts", "readme.ts"]}`, module, resolution)
	}
	tsc := filepath.Join(app, "node_modules", ".bin", "tsc")
	write("tsconfig.json", tsconfig("ESNext", "bundler"))
	npmtest.Run(t, app, nil, tsc, "-p", "tsconfig.json")
	write("tsconfig.node.json", tsconfig("NodeNext", "NodeNext"))
	npmtest.Run(t, app, nil, tsc, "-p", "tsconfig.node.json")

	res := api.Build(api.BuildOptions{
		AbsWorkingDir: app,
		EntryPoints:   []string{"main.ts"},
		Outfile:       "main.js",
		Bundle:        true,
		Format:        api.FormatESModule,
		Platform:      api.PlatformBrowser,
		Target:        api.ES2022, // top-level await
		LogLevel:      api.LogLevelSilent,
	})
	if len(res.Errors) > 0 {
		t.Fatalf("esbuild: %s", strings.Join(api.FormatMessages(res.Errors, api.FormatMessagesOptions{}), ""))
	}
	page := res.OutputFiles[0].Contents
	if strings.Contains(string(page), "/sdk/") {
		t.Error("the bundle refers to the server's /sdk/: it should hold the npm package's code")
	}
	t.Logf("packed, installed, type-checked and bundled in %v (%d KB page)", time.Since(start).Round(time.Millisecond), len(page)/1024)

	srv := startOpenArena(t, func(srv *server.Server) {
		srv.Handle("GET /app/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/app/":
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				fmt.Fprint(w, `<!doctype html><meta charset="utf-8"><title>app</title><link rel="icon" href="data:,"><script type="module" src="main.js"></script>`)
			case "/app/main.js":
				w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
				_, _ = w.Write(page)
			default:
				http.NotFound(w, r)
			}
		}))
	})
	tab := browsertest.NewTab(t, browsertest.New(t), "app", false)
	tab.State = `JSON.stringify(window.consumer)`
	tab.Navigate(servertest.URL(srv, false, "/app/"))
	tab.WaitFor(10*time.Second, "state with both inputs acknowledged",
		`window.consumer !== undefined && window.consumer.error === "" && window.consumer.players >= 1 && window.consumer.acked === 2 && window.consumer.selfX > 0`)
	if errs := tab.PageErrors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}
}

// importMapPage is a page without a bundler that uses a game's own
// generated schemas (arena_pb.js): an import map sends their imports of the
// protobuf-es runtime to the served SDK, which re-exports it.
const importMapPage = `<!doctype html><meta charset="utf-8"><title>no bundler</title><link rel="icon" href="data:,">
<script type="importmap">
{ "imports": { "@bufbuild/protobuf": "/sdk/tickwire.js", "@bufbuild/protobuf/codegenv2": "/sdk/tickwire.js" } }
</script>
<script type="module">
import { connect, create } from "/sdk/tickwire.js";
import { StateSchema, InputSchema } from "./arena_pb.js";

const view = (window.page = { frames: 0, acked: 0, self: false, error: "" });
try {
  const client = await connect("/ws");
  const room = await client.join({ game: "arena" }, { state: StateSchema, input: InputSchema });
  room.on("state", () => {
    view.frames++;
    view.acked = room.lastInputSeq;
    view.self = room.state.players[client.playerId] !== undefined;
  });
  room.sendInput(create(InputSchema, { dx: 1, dy: 0 }));
} catch (e) {
  view.error = String(e);
}
</script>`

// TestImportMapPageInChromium plays the README's page without a bundler:
// the SDK from /sdk/tickwire.js and the game's schemas as plain ES modules
// (protoc-gen-es's output with its types stripped, as target=js writes it)
// whose runtime imports an import map resolves to the same module.
func TestImportMapPageInChromium(t *testing.T) {
	ts, err := os.ReadFile("example/gen/tickwire/arena/v1/arena_pb.ts")
	if err != nil {
		t.Fatal(err)
	}
	js := api.Transform(string(ts), api.TransformOptions{Loader: api.LoaderTS, Format: api.FormatESModule, Target: api.ES2020})
	if len(js.Errors) > 0 {
		t.Fatalf("strip the schema's types: %s", strings.Join(api.FormatMessages(js.Errors, api.FormatMessagesOptions{}), ""))
	}
	if !strings.Contains(string(js.Code), `from "@bufbuild/protobuf/codegenv2"`) {
		t.Fatalf("the schema does not import the runtime by its package name:\n%s", js.Code)
	}
	srv := startOpenArena(t, func(srv *server.Server) {
		srv.Handle("GET /plain/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/plain/":
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				fmt.Fprint(w, importMapPage)
			case "/plain/arena_pb.js":
				w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
				_, _ = w.Write(js.Code)
			default:
				http.NotFound(w, r)
			}
		}))
	})
	tab := browsertest.NewTab(t, browsertest.New(t), "plain", false)
	tab.State = `JSON.stringify(window.page)`
	tab.Navigate(servertest.URL(srv, false, "/plain/"))
	tab.WaitFor(10*time.Second, "state with the input acknowledged",
		`window.page !== undefined && window.page.error === "" && window.page.self && window.page.acked === 1`)
	if errs := tab.PageErrors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}
}

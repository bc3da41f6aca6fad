package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/tickwire/tickwire/client"
	"github.com/tickwire/tickwire/internal/browsertest"
	"github.com/tickwire/tickwire/internal/protogen"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/server/servertest"
)

func TestMain(m *testing.M) { servertest.VerifyTestMain(m) }

// checkout is the Tickwire checkout this test runs in: the scaffold's
// replace target.
func checkout(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// goIn runs the go command in dir with GOFLAGS=-mod=mod (the module cache
// and the machine's module proxy; nothing else).
func goIn(t *testing.T, ctx context.Context, dir string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return string(out)
}

// TestNewGame is what a new user does: tickwire new into a folder outside
// the repository (with a replace to this checkout), then in that folder
// go test, go build, start the binary on a free loopback port, and play:
// a Go client joins a room, its inputs are acknowledged in state frames
// (last_input_seq), a second player's snapshot shows the first one moved,
// and the page and its schemas are served. Then go generate reproduces
// the committed generated code, and tickwire gen places a proto without
// go_package next to itself.
func TestNewGame(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a scaffolded module")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "tickwire")
	goIn(t, ctx, ".", "build", "-o", bin, ".")

	game := filepath.Join(tmp, "mygame")
	cmd := exec.CommandContext(ctx, bin, "new", "-replace", checkout(t), "-dir", game, "example.com/mygame")
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tickwire new: %v\n%s", err, out)
	} else if !strings.Contains(string(out), "go run . -addr") {
		t.Errorf("tickwire new printed no next steps:\n%s", out)
	}
	for _, f := range []string{"go.mod", "go.sum", "main.go", "README.md", "proto/mygame/v1/mygame.proto", "gen/mygamev1/mygame.pb.go",
		"game/game.go", "game/game_test.go", "web/index.html", "web/gen/mygame/v1/mygame_pb.js"} {
		if _, err := os.Stat(filepath.Join(game, f)); err != nil {
			t.Errorf("scaffold lacks %s", f)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	if lines := strings.Count(readFile(t, filepath.Join(game, "main.go")), "\n"); lines > 50 {
		t.Errorf("main.go has %d lines; a game's main should stay short", lines)
	}

	out := goIn(t, ctx, game, "test", "./...")
	if !strings.Contains(out, "ok  \texample.com/mygame/game") {
		t.Errorf("go test ./... ran no game tests:\n%s", out)
	}
	goIn(t, ctx, game, "vet", "./...")
	goIn(t, ctx, game, "build", "-o", filepath.Join(tmp, "mygame-server"), ".")

	base := startGame(t, filepath.Join(tmp, "mygame-server"))
	if code, body := get(t, base+"/healthz"); code != 200 || body != "ok" {
		t.Errorf("GET /healthz = %d %q", code, body)
	}
	for path, want := range map[string]string{
		"/":                           `from "/sdk/tickwire.js"`,
		"/gen/mygame/v1/mygame_pb.js": "export const StateSchema",
		"/sdk/tickwire.js":            "export",
		"/lobby/games":                "", // needs a token: only the status is checked
		"/no-such-file":               "",
	} {
		code, body := get(t, base+path)
		switch path {
		case "/lobby/games":
			if code != 401 {
				t.Errorf("GET %s = %d, want 401 without a token", path, code)
			}
		case "/no-such-file":
			if code != 404 {
				t.Errorf("GET %s = %d, want 404", path, code)
			}
		default:
			if code != 200 || !strings.Contains(body, want) {
				t.Errorf("GET %s = %d, body lacks %q", path, code, want)
			}
		}
	}
	play(t, ctx, game, strings.Replace(base, "http://", "ws://", 1)+"/ws")
	playPage(t, base)

	// go generate (go tool tickwire gen, the module's pinned tool)
	// reproduces the committed code.
	pb := filepath.Join(game, "gen/mygamev1/mygame.pb.go")
	js := filepath.Join(game, "web/gen/mygame/v1/mygame_pb.js")
	before := readFile(t, pb) + readFile(t, js)
	if err := os.Remove(pb); err != nil {
		t.Fatal(err)
	}
	goIn(t, ctx, game, "generate", "./...")
	if after := readFile(t, pb) + readFile(t, js); after != before {
		t.Error("go generate changed the generated code")
	}
	// A proto without go_package is generated next to itself.
	extra := filepath.Join(game, "proto/extra/score.proto")
	if err := os.MkdirAll(filepath.Dir(extra), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(extra, []byte("syntax = \"proto3\";\npackage extra;\nmessage Score { uint32 points = 1; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	goIn(t, ctx, game, "tool", "tickwire", "gen", "-I", "proto", "proto/extra/score.proto")
	if src := readFile(t, filepath.Join(game, "proto/extra/score.pb.go")); !strings.Contains(src, "package extra") {
		t.Errorf("score.pb.go is not package extra:\n%.300s", src)
	}
	goIn(t, ctx, game, "build", "./...")
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// startGame runs the built game on a free loopback port until the test
// ends (SIGINT, then it must exit 0) and returns its base URL, read from
// its "ready" log line.
func startGame(t *testing.T, bin string) string {
	t.Helper()
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-log-format", "json")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	var logs strings.Builder
	var mu sync.Mutex
	var wg sync.WaitGroup
	wg.Go(func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			mu.Lock()
			logs.WriteString(sc.Text() + "\n")
			mu.Unlock()
			var line struct{ URL string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.URL != "" {
				select {
				case ready <- line.URL:
				default:
				}
			}
		}
	})
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		err := cmd.Wait()
		wg.Wait()
		if err != nil {
			mu.Lock()
			t.Errorf("game server exit: %v\n%s", err, logs.String())
			mu.Unlock()
		}
	})
	select {
	case u := <-ready:
		return u
	case <-time.After(30 * time.Second):
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("the game server logged no url in 30s:\n%s", logs.String())
	}
	return ""
}

// stateType loads the scaffolded game's State message from its .proto.
func stateType(t *testing.T, ctx context.Context, game string) protoreflect.MessageType {
	t.Helper()
	req, err := protogen.Compile(ctx, protogen.Request{ImportPaths: []string{filepath.Join(game, "proto")}, Files: []string{"mygame/v1/mygame.proto"}})
	if err != nil {
		t.Fatal(err)
	}
	files, err := protodesc.NewFiles(&descriptorpb.FileDescriptorSet{File: req.ProtoFile})
	if err != nil {
		t.Fatal(err)
	}
	d, err := files.FindDescriptorByName("mygame.v1.State")
	if err != nil {
		t.Fatal(err)
	}
	return dynamicpb.NewMessageType(d.(protoreflect.MessageDescriptor))
}

// play joins a room as ann, moves her right three times and waits until
// the room acknowledges input 3; then bob joins the same room and his
// snapshot shows ann moved.
func play(t *testing.T, ctx context.Context, game, url string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ann, annID := dial(t, ctx, url)
	reply, err := ann.Request(ctx, &protocol.Envelope{Msg: &tickwirev1.Envelope_JoinRoom{JoinRoom: &tickwirev1.JoinRoom{Game: "mygame"}}})
	if err != nil {
		t.Fatalf("join mygame: %v", err)
	}
	joined := reply.GetJoined()
	if joined == nil || joined.Game != "mygame" || joined.StateType != "mygame.v1.State" {
		t.Fatalf("join reply = %v", reply)
	}
	right := protowire.AppendFixed32(protowire.AppendTag(nil, 1, protowire.Fixed32Type), math.Float32bits(1)) // Input{dx: 1}
	for seq := uint64(1); seq <= 3; seq++ {
		if err := ann.Send(&protocol.Envelope{Msg: &tickwirev1.Envelope_Input{Input: &tickwirev1.Input{RoomId: joined.RoomId, Seq: seq, Payload: right}}}); err != nil {
			t.Fatal(err)
		}
	}
	for acked := uint64(0); acked < 3; {
		env, err := ann.Recv(ctx)
		if err != nil {
			t.Fatalf("waiting for input 3 to be acknowledged (last %d): %v", acked, err)
		}
		if st := env.GetState(); st != nil {
			acked = max(acked, st.LastInputSeq)
		}
	}

	bob, _ := dial(t, ctx, url)
	reply, err = bob.Request(ctx, &protocol.Envelope{Msg: &tickwirev1.Envelope_JoinRoom{JoinRoom: &tickwirev1.JoinRoom{RoomId: joined.RoomId}}})
	if err != nil || reply.GetJoined() == nil {
		t.Fatalf("bob joins %s: %v %v", joined.RoomId, reply, err)
	}
	mt := stateType(t, ctx, game)
	for {
		env, err := bob.Recv(ctx)
		if err != nil {
			t.Fatalf("bob's snapshot: %v", err)
		}
		snap := env.GetState().GetSnapshot()
		if env.GetState() == nil || snap == nil {
			continue
		}
		state := mt.New().Interface()
		if err := proto.Unmarshal(snap, state); err != nil {
			t.Fatal(err)
		}
		players := state.ProtoReflect().Get(mt.Descriptor().Fields().ByName("players")).Map()
		p := players.Get(protoreflect.ValueOfString(annID).MapKey())
		if !p.IsValid() || players.Len() != 2 {
			t.Fatalf("bob's snapshot = %v, want ann (%s) and bob", state, annID)
		}
		fields := mt.Descriptor().Fields().ByName("players").MapValue().Message().Fields()
		x, moves := p.Message().Get(fields.ByName("x")).Float(), p.Message().Get(fields.ByName("moves")).Uint()
		if x != 400+3*10 || moves != 3 {
			t.Errorf("ann in bob's snapshot: x %v moves %d, want x 430 after 3 moves", x, moves)
		}
		return
	}
}

// dial connects a Go client and returns it with its player id (from the
// server's Welcome).
func dial(t *testing.T, ctx context.Context, url string) (*client.Conn, string) {
	t.Helper()
	c, err := client.Dial(ctx, url, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	env, err := c.Recv(ctx)
	if err != nil || env.GetWelcome() == nil {
		t.Fatalf("welcome: %v %v", env, err)
	}
	if v := env.GetWelcome().ServerVersion; v == "" {
		t.Error("Welcome has no server_version")
	}
	return c, env.GetWelcome().PlayerId
}

// playPage opens the scaffolded page in headless Chromium: it joins a room
// through the SDK at /sdk/tickwire.js and the schemas tickwire gen wrote
// (-js), and three presses of D move its player right by three steps.
func playPage(t *testing.T, base string) {
	t.Helper()
	tab := browsertest.NewTab(t, browsertest.New(t), "mygame", false)
	tab.State = `JSON.stringify({ status: document.getElementById("status")?.textContent, seq: window.tickwireRoom?.lastInputSeq })`
	tab.Navigate(base + "/")
	tab.WaitFor(15*time.Second, "the page joins and draws", `window.tickwireRoom?.tick > 0 && window.tickwireRoom.state.players[window.tickwireClient.playerId] !== undefined`)
	for range 3 {
		if err := chromedp.Do(tab.Ctx, chromedp.KeyEvent("d")); err != nil {
			t.Fatal(err)
		}
	}
	tab.WaitFor(10*time.Second, "three steps right, acknowledged",
		`window.tickwireRoom.lastInputSeq >= 3 && window.tickwireRoom.state.players[window.tickwireClient.playerId].x === 430`)
	tab.Screenshot(filepath.Join(browsertest.ArtifactDir(t), "mygame.png"))
	if errs := tab.PageErrors(); len(errs) > 0 {
		t.Errorf("page errors: %q", errs)
	}
}

package wasmgame_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"google.golang.org/protobuf/proto"

	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/tick"
	"github.com/tickwire/tickwire/wasmgame"
)

// sink is a tick.Peer that takes every frame and keeps nothing: the tests
// read rooms with Handle.Inspect.
type sink struct{}

func (sink) SendState([]byte, uint64, bool, string) bool { return true }
func (sink) Send(*protocol.Envelope)                     {}

// copyFile writes src's bytes to dst as a new file moved into place, the
// way a deploy replaces a module (a reader never sees half a file).
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	tmp := dst + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		t.Fatal(err)
	}
}

// inspect returns h's state and tick once it has run past tick n.
func inspect(t *testing.T, h *tick.Handle, n uint64) (*arenav1.State, uint64) {
	t.Helper()
	var st *arenav1.State
	var at uint64
	checkFor(t, 20*time.Second, 10*time.Millisecond, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		v, err := h.Inspect(ctx)
		if err != nil {
			return err
		}
		if v.Tick <= n {
			return fmt.Errorf("room %s at tick %d, want past %d", h.ID(), v.Tick, n)
		}
		st, at = v.State.(*arenav1.State), v.Tick
		return nil
	})
	return st, at
}

// syncBuffer is a log a Dir's goroutine writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDirLoadsAndReloads: a folder with the arena guest as arena.wasm
// registers the game arena-wasm in the background, whose room plays; a
// file the program knows no types for is skipped; replacing arena.wasm
// with version 2 makes new rooms start on it while the room running keeps
// version 1.
func TestDirLoadsAndReloads(t *testing.T) {
	folder := t.TempDir()
	copyFile(t, guests.arena, filepath.Join(folder, "arena.wasm"))
	copyFile(t, guests.probeV1, filepath.Join(folder, "unknown.wasm"))
	reg := tick.NewRegistry()
	logs := &syncBuffer{}
	cacheDir := filepath.Join(t.TempDir(), "cache")
	d, err := wasmgame.OpenDir(wasmgame.DirOptions{
		Dir:      folder,
		Registry: reg,
		Games: map[string]wasmgame.DirGame{
			"arena": wasmgame.Game[*arenav1.State, *arenav1.Input](tick.GameInfo{Name: "arena-wasm", TickHz: 50, MaxPlayers: 8}),
		},
		Module:   wasmgame.Options{CallTimeout: testCallTimeout},
		CacheDir: cacheDir,
		Poll:     20 * time.Millisecond,
		Logger:   zerolog.New(logs),
	})
	if err != nil {
		t.Fatal(err)
	}
	rooms, err := tick.NewRooms(tick.Options{Registry: reg, Clock: tick.SystemClock{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	ran := make(chan struct{})
	start := time.Now()
	go func() { d.Run(ctx); close(ran) }()
	t.Cleanup(func() {
		stop()
		<-ran
		if err := rooms.Close(context.Background()); err != nil {
			t.Errorf("close rooms: %v", err)
		}
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := d.Close(cctx); err != nil {
			t.Errorf("Dir.Close: %v", err)
		}
	})

	select {
	case <-d.Loaded():
	case <-time.After(3 * time.Minute):
		t.Fatal("the folder did not load within 3 minutes")
	}
	t.Logf("arena.wasm loaded and registered in %v (compiled, cold cache)", time.Since(start))
	info, ok := reg.Lookup("arena-wasm")
	if !ok || info.StateType != "tickwire.arena.v1.State" {
		t.Fatalf("arena-wasm registered as %+v, %v", info, ok)
	}
	if _, ok := reg.Lookup("unknown"); ok || d.Plugin("unknown") != nil {
		t.Error("a file of no known game was registered")
	}
	if l := logs.String(); !strings.Contains(l, "unknown.wasm") || !strings.Contains(l, "skipped") {
		t.Errorf("the unknown file was not logged as skipped:\n%s", l)
	}
	if err := d.Err("arena"); err != nil {
		t.Fatal(err)
	}
	v1 := d.Plugin("arena").Module()

	// A room of it plays: a player joins, steers, and moves.
	old, err := rooms.Create(context.Background(), "arena-wasm", tick.RoomOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Join(context.Background(), "ann", sink{}); err != nil {
		t.Fatal(err)
	}
	first, _ := inspect(t, old, 0)
	if first.Width != 800 || first.Players["ann"] == nil {
		t.Fatalf("the arena room's state: %v", first)
	}
	in, _ := proto.Marshal(&arenav1.Input{Dx: 1})
	if err := old.Input("ann", 1, in); err != nil {
		t.Fatal(err)
	}
	moved, at := inspect(t, old, 5)
	if moved.Players["ann"].GetX() == first.Players["ann"].GetX() {
		t.Errorf("ann did not move: x %v", moved.Players["ann"].GetX())
	}

	// Version 2 replaces the file: new rooms start on it.
	copyFile(t, guests.probeV2, filepath.Join(folder, "arena.wasm"))
	checkFor(t, 2*time.Minute, 20*time.Millisecond, func() error {
		if m := d.Plugin("arena").Module(); m == v1 {
			return errors.New("not reloaded yet")
		}
		return d.Err("arena")
	})
	fresh, err := rooms.Create(context.Background(), "arena-wasm", tick.RoomOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := inspect(t, fresh, 0); st.Width != 2 {
		t.Errorf("a room started after the reload runs width %v, want version 2", st.Width)
	}
	// The old room finishes on version 1.
	if st, _ := inspect(t, old, at); st.Width != 800 || st.Players["ann"] == nil {
		t.Errorf("the old room after the reload: %v", st)
	}
	if n := v1.Rooms(); n != 1 {
		t.Errorf("%d rooms on version 1, want the old one", n)
	}
	if err := old.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-v1.Done():
	case <-time.After(10 * time.Second):
		t.Error("version 1 was not released after its last room ended")
	}

	// A restart on the same cache folder compiles nothing.
	again, err := wasmgame.OpenDir(wasmgame.DirOptions{Dir: folder, Registry: tick.NewRegistry(), CacheDir: cacheDir,
		Games: map[string]wasmgame.DirGame{"arena": wasmgame.Game[*arenav1.State, *arenav1.Input](tick.GameInfo{Name: "arena-wasm"})}})
	if err != nil {
		t.Fatal(err)
	}
	actx, astop := context.WithCancel(context.Background())
	aran := make(chan struct{})
	start = time.Now()
	go func() { again.Run(actx); close(aran) }()
	<-again.Loaded()
	t.Logf("the same folder loaded again in %v from the cache folder", time.Since(start))
	astop()
	<-aran
	if err := again.Err("arena"); err != nil {
		t.Error(err)
	}
	if err := again.Close(context.Background()); err != nil {
		t.Error(err)
	}
}

// TestOpenDirErrors: OpenDir names every problem of its options.
func TestOpenDirErrors(t *testing.T) {
	reg := tick.NewRegistry()
	tick.RegisterIn(reg, tick.GameInfo{Name: "taken"}, func() tick.Game[*arenav1.State, *arenav1.Input] {
		return wasmgame.New[*arenav1.State, *arenav1.Input](nil)
	})
	arena := func(name string) wasmgame.DirGame {
		return wasmgame.Game[*arenav1.State, *arenav1.Input](tick.GameInfo{Name: name})
	}
	_, err := wasmgame.OpenDir(wasmgame.DirOptions{Registry: reg, Poll: -time.Second, Games: map[string]wasmgame.DirGame{
		"a": arena("taken"), "b": arena("twice"), "c": arena("twice"), "d": {}, "e": arena("Bad Name"),
	}})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"Dir: required", "Poll", `"taken" is registered already`, `both named "twice"`, "game d: make its DirGame", "game e:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if _, err := wasmgame.OpenDir(wasmgame.DirOptions{Dir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "Registry: required") {
		t.Errorf("without a registry: %v", err)
	}
}

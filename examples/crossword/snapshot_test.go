package crossword

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	crosswordv1 "github.com/tickwire/tickwire/proto/tickwire/crossword/v1"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/tick"
)

// played returns a world in dir where a and b played a few words, closed.
func played(t *testing.T, dir string) *crosswordv1.State {
	t.Helper()
	w := newWorld(t, Config{DataDir: dir}, "a", "b")
	w.mustPlay("a", C-1, C, true, "cat")
	w.mustPlay("b", C, C, false, ".t")
	w.mustPlay("a", C-1, C, true, "...s")
	w.view("b", 100, 200, 50, 60)
	w.close()
	return proto.CloneOf(w.h.State())
}

// openWorld starts a game on dir's world, or returns Init's error.
func openWorld(dir string) (*world, error) {
	g, err := New(Config{DataDir: dir, ActionCooldown: -1})
	if err != nil {
		return nil, err
	}
	h, err := tick.NewHarness(Info(), g, 2)
	if err != nil {
		return nil, err
	}
	return &world{g: g, h: h}, nil
}

func TestSnapshotRoundTrip(t *testing.T) {
	dir := t.TempDir()
	before := played(t, dir)
	if _, err := os.Stat(filepath.Join(dir, SnapshotFile)); err != nil {
		t.Fatal(err)
	}
	w, err := openWorld(dir)
	if err != nil {
		t.Fatal(err)
	}
	w.t = t
	defer w.close()
	after := w.h.State()
	for _, f := range []struct {
		name string
		a, b proto.Message
	}{
		{"chunks", &crosswordv1.State{Chunks: before.Chunks}, &crosswordv1.State{Chunks: after.Chunks}},
		{"players", &crosswordv1.State{Players: before.Players}, &crosswordv1.State{Players: after.Players}},
		{"overview tiles", &crosswordv1.Overview{Tiles: before.Overview.Tiles}, &crosswordv1.Overview{Tiles: after.Overview.Tiles}},
	} {
		for _, s := range []*crosswordv1.State{before, after} {
			for _, p := range s.Players {
				p.Online = false
			}
		}
		if !proto.Equal(f.a, f.b) {
			t.Errorf("%s differ after a restart", f.name)
		}
	}
	if after.NextNumber != 3 || after.Plays != 3 || w.g.totalTiles != 5 {
		t.Fatalf("next number %d, plays %d, tiles %d", after.NextNumber, after.Plays, w.g.totalTiles)
	}
	// b comes back as it was, looking where it looked, and plays on from
	// its own tiles.
	w.join("b")
	b := w.player("b")
	if b.Number != 2 || b.Words != 1 || !b.Online || b.View.X != 100 || b.View.Y != 200 {
		t.Fatalf("b after the restart: %v", b)
	}
	w.view("b", C-32, C-32, 64, 64)
	w.mustPlay("b", C, C, false, "..e")
}

func TestSnapshotPeriodic(t *testing.T) {
	dir := t.TempDir()
	w := newWorld(t, Config{DataDir: dir, SnapshotEvery: time.Second}, "a")
	defer w.close()
	w.mustPlay("a", C-1, C, true, "cat")
	path := filepath.Join(dir, SnapshotFile)
	if _, err := os.Stat(path); err == nil {
		t.Fatal("a snapshot within SnapshotEvery")
	}
	if err := w.h.Run(10); err != nil {
		t.Fatal(err)
	}
	servertest.CheckFor(t, 5*time.Second, 5*time.Millisecond, func() error {
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		s, err := DecodeSnapshot(data)
		if err != nil {
			return err
		}
		if board(s.Chunks).at(C, C) != 'a' || s.Players["a"].GetScore() != 10 {
			return errors.New("the snapshot lacks the play")
		}
		return nil
	})
	// Nothing changed: no new snapshot.
	if err := w.h.Run(30); err != nil {
		t.Fatal(err)
	}
	if w.g.saver.dirty {
		t.Fatal("an unchanged world is dirty")
	}
}

func TestSnapshotCorrupt(t *testing.T) {
	dir := t.TempDir()
	played(t, dir)
	path := filepath.Join(dir, SnapshotFile)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(good)
		b[i] ^= 0x20
		return b
	}
	version := bytes.Clone(good)
	version[11] = 3
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "truncated: 0 bytes"},
		{"short header", good[:30], "truncated: 30 bytes"},
		{"truncated", good[:len(good)-10], "truncated or padded"},
		{"padded", append(bytes.Clone(good), 0), "truncated or padded"},
		{"flipped data", flip(len(good) - 5), "checksum mismatch"},
		{"flipped checksum", flip(30), "checksum mismatch"},
		{"not a snapshot", []byte("{\"board\": \"this is not a crossword snapshot at all, no\"}"), "not a crossword snapshot"},
		{"version", version, "format version 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(path, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			w, err := openWorld(dir)
			if err == nil {
				w.close()
				t.Fatal("a bad snapshot loaded")
			}
			if !errors.Is(err, ErrCorruptSnapshot) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q, want ErrCorruptSnapshot naming %s and saying %q", err, path, tc.want)
			}
			if got, _ := os.ReadFile(path); !bytes.Equal(got, tc.data) {
				t.Fatal("the bad snapshot was changed")
			}
		})
	}
	// A well-formed snapshot whose content does not hold together.
	s, _ := DecodeSnapshot(good)
	for key := range s.Chunks {
		s.Chunks[key].Letters[0] = 'Q'
		break
	}
	bad, _ := EncodeSnapshot(s)
	// Without the journal: EncodeSnapshot writes journal sequence 0, so
	// every record still in the journal is replayed over this snapshot and
	// refused first (it goes back from the snapshot's numbering); whether
	// the journal still held records depended on the writer's timing.
	if err := os.Remove(filepath.Join(dir, JournalFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := openWorld(dir); !errors.Is(err, ErrCorruptSnapshot) || !strings.Contains(err.Error(), "chunk") {
		t.Fatalf("error %v, want a corrupt chunk", err)
	}
	// The good one loads again: the failed attempts let go of the lock.
	if err := os.WriteFile(path, good, 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := openWorld(dir)
	if err != nil {
		t.Fatal(err)
	}
	w.close()
}

func TestWorldLock(t *testing.T) {
	dir := t.TempDir()
	w1, err := openWorld(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := openWorld(dir); !errors.Is(err, ErrWorldOpen) {
		t.Fatalf("a second world on one directory: %v, want ErrWorldOpen", err)
	}
	w1.close()
	w2, err := openWorld(dir)
	if err != nil {
		t.Fatal(err)
	}
	w2.close()
	// Leftovers of an interrupted write are cleaned up.
	tmp := filepath.Join(dir, tempFilePrefix+"123")
	if err := os.WriteFile(tmp, []byte("half"), 0o644); err != nil {
		t.Fatal(err)
	}
	w3, err := openWorld(dir)
	if err != nil {
		t.Fatal(err)
	}
	w3.close()
	if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("temporary file left: %v", err)
	}
}

func TestSnapshotWriteFails(t *testing.T) {
	dir := t.TempDir()
	w := newWorld(t, Config{DataDir: dir, SnapshotEvery: time.Second}, "a")
	w.mustPlay("a", C-1, C, true, "cat")
	// The snapshot's path is taken by a directory: every write fails,
	// the game goes on, and the failures are counted.
	if err := os.Mkdir(filepath.Join(dir, SnapshotFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := w.h.Run(10); err != nil {
		t.Fatal(err)
	}
	w.close()
	if n := counterValue(t, w.g.m.snapshots.WithLabelValues("error")); n == 0 {
		t.Fatal("failed snapshots not counted")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tempFilePrefix) {
			t.Fatalf("temporary file %s left", e.Name())
		}
	}
}

func TestEncodeDecode(t *testing.T) {
	s := &crosswordv1.State{NextNumber: 7, Plays: 3, Players: map[string]*crosswordv1.Player{"x": {Number: 1, Rack: "abc"}}}
	data, err := EncodeSnapshot(s)
	if err != nil {
		t.Fatal(err)
	}
	if string(data[:8]) != "TWCWSNAP" || len(data) != headerSize+proto.Size(s) {
		t.Fatalf("header %q, length %d", data[:8], len(data))
	}
	got, err := DecodeSnapshot(data)
	if err != nil || !proto.Equal(got, s) {
		t.Fatalf("round trip: %v, %v", got, err)
	}
}

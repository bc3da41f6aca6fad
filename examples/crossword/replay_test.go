package crossword

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	crosswordv1 "github.com/tickwire/tickwire/proto/tickwire/crossword/v1"
	"github.com/tickwire/tickwire/tick"
)

var updateLog = flag.Bool("update-log", false, "TestRecordedMatchReplays rewrites testdata/match.twr")

// matchLog is a recorded crossword match that CI replays (docs/replay.md):
// a change of the rules, the dictionary or the runtime that changes what
// the match does fails TestRecordedMatchReplays. Regenerate it on purpose
// with go test ./examples/crossword/ -run TestRecordedMatchReplays -update-log.
var matchLog = filepath.Join("testdata", "match.twr")

// replayConfig is the configuration the match is recorded and replayed
// with: an in-memory world (a world on disk shows a change only once its
// journal has synced, which depends on the disk) without cooldowns.
var replayConfig = Config{ActionCooldown: -1}

// recordMatch plays 8 players finding words with seeded Finders for 30
// rounds, swapping when stuck, one input and one tick at a time, and
// returns the log.
func recordMatch(t *testing.T) []byte {
	t.Helper()
	var log bytes.Buffer
	info := Info()
	info.Record = tick.RecordOptions{Writer: &log, StateEvery: 50}
	g, err := New(replayConfig)
	if err != nil {
		t.Fatal(err)
	}
	h, err := tick.NewHarness(info, g, 11)
	if err != nil {
		t.Fatal(err)
	}
	const players = 8
	finder := NewFinder(nil, 5)
	for i := range players {
		if err := h.Join(tick.PlayerID(fmt.Sprintf("p%02d", i))); err != nil {
			t.Fatal(err)
		}
	}
	for range 30 {
		for i := range players {
			p := fmt.Sprintf("p%02d", i)
			st := h.State().Players[p]
			in := &crosswordv1.Input{Action: &crosswordv1.Input_Swap{Swap: &crosswordv1.Swap{}}}
			if tiles := finder.Find(h.State().Chunks, g.totalTiles == 0, st, 20000); tiles != nil {
				in = &crosswordv1.Input{Action: &crosswordv1.Input_Play{Play: &crosswordv1.Play{Tiles: tiles}}}
			}
			if err := h.Input(tick.PlayerID(p), in); err != nil {
				t.Fatal(err)
			}
			if err := h.Tick(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if g.totalTiles < 100 {
		t.Fatalf("only %d tiles played", g.totalTiles)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	return log.Bytes()
}

// TestRecordedMatchReplays replays the committed crossword match with the
// game registered as a server registers it: every recorded hash must
// come out the same.
func TestRecordedMatchReplays(t *testing.T) {
	if *updateLog {
		log := recordMatch(t)
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(matchLog, log, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s: %d bytes", matchLog, len(log))
	}
	reg := tick.NewRegistry()
	if err := Register(reg, replayConfig); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(matchLog)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := tick.Replay(reg, f, tick.ReplayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Divergence != nil || res.Failure != "" {
		t.Fatalf("the recorded match diverged: %v %s", res.Divergence, res.Failure)
	}
	if res.Ticks != 240 || res.Hashes != 240 || res.Joins != 8 || res.Inputs != 240 || res.End != "room closed" {
		t.Fatalf("replayed %d ticks, %d hashes, %d joins, %d inputs, end %q", res.Ticks, res.Hashes, res.Joins, res.Inputs, res.End)
	}
}

// TestFreshMatchReplays records a match anew and replays it. (The
// Finder walks maps, so two recordings pick different words: each is a
// new match, and each must replay exactly.)
func TestFreshMatchReplays(t *testing.T) {
	reg := tick.NewRegistry()
	if err := Register(reg, replayConfig); err != nil {
		t.Fatal(err)
	}
	res, err := tick.Replay(reg, bytes.NewReader(recordMatch(t)), tick.ReplayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Divergence != nil || res.Ticks != 240 {
		t.Fatalf("a fresh match replayed %d ticks, divergence %v", res.Ticks, res.Divergence)
	}
}

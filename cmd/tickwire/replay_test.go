package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tickwire/tickwire/examples/arena"
	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	"github.com/tickwire/tickwire/tick"
)

var updateArenaLog = flag.Bool("update-log", false, "TestReplayCommittedLogs rewrites examples/arena/testdata/match.twr")

var (
	arenaLog   = filepath.Join("..", "..", "examples", "arena", "testdata", "match.twr")
	shooterLog = filepath.Join("..", "..", "examples", "shooter", "testdata", "match.twr")
)

// recordArena plays a seeded 30 s arena match in a harness: four players
// with seeded random moves, one leaving at 10 s and another joining at
// 15 s. It returns the log.
func recordArena(t *testing.T) []byte {
	t.Helper()
	info, ok := tick.DefaultRegistry().Lookup(arena.Name)
	if !ok {
		t.Fatal("arena is not registered")
	}
	var log bytes.Buffer
	info.Record = tick.RecordOptions{Writer: &log}
	h, err := tick.NewHarness(info, arena.New(), 99)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	seated := []tick.PlayerID{"ann", "bob", "cyd", "dee"}
	for _, p := range seated {
		if err := h.Join(p); err != nil {
			t.Fatal(err)
		}
	}
	for tk := range 30 * info.TickHz {
		switch tk {
		case 10 * info.TickHz:
			if err := h.Leave("bob"); err != nil {
				t.Fatal(err)
			}
			seated = []tick.PlayerID{"ann", "cyd", "dee"}
		case 15 * info.TickHz:
			if err := h.Join("eve"); err != nil {
				t.Fatal(err)
			}
			seated = append(seated, "eve")
		}
		for _, p := range seated {
			if err := h.Input(p, &arenav1.Input{Dx: float32(rng.Float64()*2 - 1), Dy: float32(rng.Float64()*2 - 1)}); err != nil {
				t.Fatal(err)
			}
		}
		if err := h.Tick(); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	return log.Bytes()
}

// TestReplayCommittedLogs replays the arena's and the shooter's committed
// matches with the command: both must give every recorded hash.
func TestReplayCommittedLogs(t *testing.T) {
	if *updateArenaLog {
		log := recordArena(t)
		if err := os.MkdirAll(filepath.Dir(arenaLog), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(arenaLog, log, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s: %d bytes", arenaLog, len(log))
	}
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"replay", arenaLog, shooterLog}, &out, &errOut); err != nil {
		t.Fatalf("tickwire replay: %v\n%s%s", err, out.String(), errOut.String())
	}
	if got := strings.Count(out.String(), "the replay matches the recording"); got != 2 {
		t.Fatalf("tickwire replay said:\n%s", out.String())
	}
	for _, want := range []string{"of arena (unversioned), seed 99, 20 Hz", "replayed 600 ticks (30.0 s): 5 joins, 1 leaves", "of shooter (1), seed 2026, 60 Hz"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("tickwire replay's report lacks %q:\n%s", want, out.String())
		}
	}
}

// TestReplayReportsDivergence changes the hash of tick 100 in the arena's
// log: the command must fail, naming that tick.
func TestReplayReportsDivergence(t *testing.T) {
	log, err := os.ReadFile(arenaLog)
	if err != nil {
		t.Fatal(err)
	}
	pos, ticks := len("TWREC\x01"), 0
	for pos < len(log) {
		n, k := binary.Uvarint(log[pos:])
		body := pos + k
		if log[body] == 'T' {
			if ticks++; ticks == 100 {
				log[body+int(n)-1] ^= 0x40 // the last byte of its hash
				break
			}
		}
		pos = body + int(n)
	}
	bad := filepath.Join(t.TempDir(), "bad.twr")
	if err := os.WriteFile(bad, log, 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	err = run(context.Background(), []string{"replay", bad}, &out, &errOut)
	if err == nil || !strings.Contains(out.String(), "DIVERGED at tick 100: state hash differs") {
		t.Fatalf("tickwire replay of a tampered log: %v\n%s", err, out.String())
	}
	if err := run(context.Background(), []string{"replay", filepath.Join(t.TempDir(), "none.twr")}, &out, &errOut); err == nil {
		t.Fatal("no error for a missing log")
	}
}

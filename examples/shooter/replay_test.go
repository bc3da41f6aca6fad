package shooter

import (
	"bytes"
	"flag"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	shooterv1 "github.com/tickwire/tickwire/proto/tickwire/shooter/v1"
	"github.com/tickwire/tickwire/tick"
)

var updateLog = flag.Bool("update-log", false, "TestRecordedMatchReplays rewrites testdata/match.twr")

// matchLog is a recorded match that CI replays: a change of the rules, the
// bots or the runtime that changes what a match does fails
// TestRecordedMatchReplays. Regenerate it on purpose with
// go test ./examples/shooter/ -run TestRecordedMatchReplays -update-log
// (and bump Version when the rules changed).
var matchLog = filepath.Join("testdata", "match.twr")

// recordMatch plays a seeded match in a harness, recording it: two humans
// with seeded random inputs every tick, bots making up the six, a third
// human who joins at 5 s and leaves at 12 s. It returns the log.
func recordMatch(t testing.TB, seconds int, humans int) []byte {
	t.Helper()
	var log bytes.Buffer
	info := Info()
	info.Record.Writer = &log
	info.Record.Ring = 0
	playMatch(t, info, seconds, humans)
	return log.Bytes()
}

// playMatch plays recordMatch's match in a room of info.
func playMatch(t testing.TB, info tick.GameInfo, seconds int, humans int) {
	h, err := tick.NewHarness(info, tick.Game[*shooterv1.State, *shooterv1.Input](New()), 2026)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var seated []tick.PlayerID
	for i := range humans {
		p := tick.PlayerID("human" + string(rune('a'+i)))
		if err := h.Join(p); err != nil {
			t.Fatal(err)
		}
		seated = append(seated, p)
	}
	for tk := range seconds * TickHz {
		switch tk {
		case 5 * TickHz:
			if err := h.Join("latecomer"); err != nil {
				t.Fatal(err)
			}
			seated = append(seated, "latecomer")
		case 12 * TickHz:
			if err := h.Leave("latecomer"); err != nil {
				t.Fatal(err)
			}
			seated = seated[:len(seated)-1]
		}
		for _, p := range seated {
			in := &shooterv1.Input{
				MoveX: float32(rng.IntN(3) - 1), MoveY: float32(rng.IntN(3) - 1),
				Aim:  float32(rng.Float64() * 6.283),
				Fire: rng.IntN(3) == 0,
			}
			if rng.IntN(50) == 0 {
				in.Weapon = shooterv1.Weapon(1 + rng.IntN(2))
			}
			if err := h.Input(p, in); err != nil {
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
}

// TestRecordedMatchReplays replays the committed match and must get every
// recorded hash: the shooter (bots included) is deterministic for a seed
// and the inputs, and stays so from one commit to the next.
func TestRecordedMatchReplays(t *testing.T) {
	if *updateLog {
		log := recordMatch(t, 20, 2)
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(matchLog, log, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s: %d bytes", matchLog, len(log))
	}
	f, err := os.Open(matchLog)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := tick.Replay(tick.DefaultRegistry(), f, tick.ReplayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Divergence != nil {
		t.Fatalf("the recorded match diverged: %v", res.Divergence)
	}
	if res.Ticks != 20*TickHz || res.Hashes != int(res.Ticks) || res.States != 20 || res.Joins != 3 || res.Leaves != 1 || res.End != "room closed" {
		t.Fatalf("replayed %d ticks, %d hashes, %d states, %d joins, %d leaves, end %q", res.Ticks, res.Hashes, res.States, res.Joins, res.Leaves, res.End)
	}
}

// TestRecordingIsDeterministic records the same match twice: the logs
// must be equal byte for byte, so nothing outside the seed and the inputs
// (a map's order, the wall clock) reaches the game.
func TestRecordingIsDeterministic(t *testing.T) {
	a, b := recordMatch(t, 3, 2), recordMatch(t, 3, 2)
	if !bytes.Equal(a, b) {
		t.Fatalf("two recordings of one match differ (%d and %d bytes)", len(a), len(b))
	}
}

// BenchmarkRecordedMatch measures what recording costs a shooter room:
// the same minute-long match (8 humans sending an input every tick, no
// bots needed: 8 > MinCombatants) unrecorded, recorded to a log, and with
// the replay ring alone, in ns per tick of the whole room (harness
// included); and the log's size in bytes per player-minute.
func BenchmarkRecordedMatch(b *testing.B) {
	const humans, seconds = 8, 60
	for _, tc := range []struct {
		name string
		rec  tick.RecordOptions
	}{
		{"unrecorded", tick.RecordOptions{}},
		{"log", tick.RecordOptions{Writer: io.Discard}},
		{"ring", tick.RecordOptions{Ring: Info().Record.Ring}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			info := Info()
			info.Record = tc.rec
			b.ReportAllocs()
			for b.Loop() {
				playMatch(b, info, seconds, humans)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*seconds*TickHz), "ns/tick")
			if tc.name == "log" {
				b.ReportMetric(float64(len(recordMatch(b, seconds, humans)))/humans, "log-B/player-min")
			}
		})
	}
}

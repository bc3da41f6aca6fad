package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/examples/crossword"
	crosswordv1 "github.com/tickwire/tickwire/proto/tickwire/crossword/v1"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
)

// TestEnvelopeWireSize checks the inbound byte count against the bytes a
// server really sends: a state frame's shared encoding with the
// receiver's last_input_seq appended, for seqs and bodies whose lengths
// cross a varint boundary.
func TestEnvelopeWireSize(t *testing.T) {
	for i, body := range []int{0, 1, 100, 115, 116, 117, 120, 127, 128, 300, 16370, 16380, 70000} {
		for _, seq := range []uint64{0, 1, 127, 128, 1 << 20, 1 << 40} {
			env := &protocol.Envelope{Ref: uint32(i % 3 * 200), Msg: &tickwirev1.Envelope_State{State: &tickwirev1.StateFrame{
				RoomId: "r1", Tick: 42, Topic: "c:512,512",
				Body: &tickwirev1.StateFrame_Snapshot{Snapshot: make([]byte, body)},
			}}}
			shared, err := proto.Marshal(env)
			if err != nil {
				t.Fatal(err)
			}
			wire := protocol.AppendLastInputSeq(shared, seq)
			var got protocol.Envelope
			if err := proto.Unmarshal(wire, &got); err != nil {
				t.Fatal(err)
			}
			if got.GetState().GetLastInputSeq() != seq {
				t.Fatalf("decoded seq %d, want %d", got.GetState().GetLastInputSeq(), seq)
			}
			if n := envelopeWireSize(&got); n != len(wire) {
				t.Errorf("body %d seq %d: envelopeWireSize %d, wire %d", body, seq, n, len(wire))
			}
		}
	}
	pong := &protocol.Envelope{Msg: &tickwirev1.Envelope_Pong{Pong: &tickwirev1.Pong{ClientTimeUnixNano: 1, ServerTimeUnixNano: 2}}}
	if n := envelopeWireSize(pong); n != proto.Size(pong) {
		t.Errorf("pong: %d, want %d", n, proto.Size(pong))
	}
}

// TestCrosswordPan checks the scenario's defaults (its flag errors are in
// TestFlagErrors) and the bots' random walk: every pan moves, stays within
// crosswordRoam of home, and asks for the bot's whole view.
func TestCrosswordPan(t *testing.T) {
	cfg, err := parseFlags([]string{"-scenario", "crossword", "-clients", "3"}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.hz != crossword.TickHz || cfg.inputHz != 1 || cfg.rooms != 1 {
		t.Fatalf("crossword defaults: -hz %d -input-hz %g -rooms %d", cfg.hz, cfg.inputHz, cfg.rooms)
	}
	s := newCrosswordScenario(cfg).(*crosswordScenario)
	b := s.bots[0]
	var prev *crosswordv1.View
	for range 1000 {
		v := b.pan()
		if v.W != crosswordViewW || v.H != crosswordViewH {
			t.Fatalf("view %v", v)
		}
		cx, cy := int(v.X)+crosswordViewW/2, int(v.Y)+crosswordViewH/2
		if abs(cx-b.homeX) > crosswordRoam || abs(cy-b.homeY) > crosswordRoam {
			t.Fatalf("view centre (%d, %d) strayed from home (%d, %d)", cx, cy, b.homeX, b.homeY)
		}
		if prev != nil && proto.Equal(prev, v) {
			t.Fatalf("a pan that did not move: %v", v)
		}
		prev = v
	}
}

func abs(x int) int { return max(x, -x) }

// TestCrosswordServerDataDir checks that a child server hosting the
// crossword keeps its world in a temporary directory of its own, which
// stop removes: a run never touches the user's world or another run's.
func TestCrosswordServerDataDir(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cfg, err := parseFlags([]string{"-scenario", "crossword", "-server", "bench", "-quiet"}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := startServer(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := srv.dataDir
	if dir == "" || !strings.HasPrefix(dir, filepath.Clean(os.TempDir())) {
		t.Errorf("data dir %q: want a temporary directory", dir)
	}
	if _, err := os.Stat(filepath.Join(dir, "crossword.lock")); err != nil {
		t.Errorf("the world is not open in %s: %v", dir, err)
	}
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("data dir %s left behind: %v", dir, err)
	}
}

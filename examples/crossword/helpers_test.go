package crossword

import (
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	crosswordv1 "github.com/tickwire/tickwire/proto/tickwire/crossword/v1"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/tick"
)

// TestMain fails the package if a test leaves a goroutine running (a
// snapshot writer, a room).
func TestMain(m *testing.M) { servertest.VerifyTestMain(m) }

// world is a game in a harness, for tests.
type world struct {
	t testing.TB
	g *Game
	h *tick.Harness[*crosswordv1.State, *crosswordv1.Input]
}

// newWorld starts a world with cfg (no cooldown unless cfg sets one) and
// seats players.
func newWorld(t testing.TB, cfg Config, players ...string) *world {
	t.Helper()
	if cfg.ActionCooldown == 0 {
		cfg.ActionCooldown = -1
	}
	g, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h, err := tick.NewHarness(Info(), g, 1)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, g: g, h: h}
	for _, p := range players {
		w.join(p)
	}
	return w
}

func (w *world) join(p string) {
	w.t.Helper()
	if err := w.h.Join(tick.PlayerID(p)); err != nil {
		w.t.Fatal(err)
	}
}

// close runs the game's Close, as a room does when it ends.
func (w *world) close() { w.g.Close(w.h.Room()) }

func (w *world) player(p string) *crosswordv1.Player { return w.h.State().Players[p] }

// rack sets p's rack.
func (w *world) rack(p, letters string) { w.player(p).Rack = letters }

// input sends in from p and runs one tick.
func (w *world) input(p string, in *crosswordv1.Input) {
	w.t.Helper()
	if err := w.h.Input(tick.PlayerID(p), in); err != nil {
		w.t.Fatal(err)
	}
	if err := w.h.Tick(); err != nil {
		w.t.Fatal(err)
	}
}

// tiles makes a play of word from (x, y) along across or down, skipping
// letters written as '.' (cells that already hold a tile).
func tiles(x, y int, across bool, word string) []*crosswordv1.Tile {
	var out []*crosswordv1.Tile
	for i := range len(word) {
		if word[i] != '.' {
			out = append(out, &crosswordv1.Tile{X: int32(x), Y: int32(y), Letter: word[i : i+1]})
		}
		if across {
			x++
		} else {
			y++
		}
	}
	return out
}

// play sends a play of p (see tiles) and returns its refusal message,
// empty when it was accepted.
func (w *world) play(p string, x, y int, across bool, word string) string {
	w.t.Helper()
	before := w.player(p).Refusals
	w.input(p, &crosswordv1.Input{Action: &crosswordv1.Input_Play{Play: &crosswordv1.Play{Tiles: tiles(x, y, across, word)}}})
	if w.player(p).Refusals != before {
		return w.player(p).LastRefusal
	}
	return ""
}

// mustPlay plays and fails the test on a refusal.
func (w *world) mustPlay(p string, x, y int, across bool, word string) *crosswordv1.PlayResult {
	w.t.Helper()
	w.rack(p, strings.ReplaceAll(word, ".", ""))
	if msg := w.play(p, x, y, across, word); msg != "" {
		w.t.Fatalf("%s playing %q at %d,%d: refused: %s", p, word, x, y, msg)
	}
	return w.player(p).LastPlay
}

// refused plays and checks that the play is refused with reason, and that
// nothing but p's refusal record changed.
func (w *world) refused(p string, x, y int, across bool, word string, reason Reason) {
	w.t.Helper()
	before := proto.CloneOf(w.h.State())
	count := w.refusals(reason)
	msg := w.play(p, x, y, across, word)
	if msg == "" {
		w.t.Fatalf("%s playing %q at %d,%d: accepted, want refused with %s", p, word, x, y, reason)
	}
	w.sameExceptRefusal(before, p)
	if w.refusals(reason) != count+1 {
		w.t.Fatalf("%s playing %q at %d,%d: refused (%s), but not counted as %s", p, word, x, y, msg, reason)
	}
}

// sameExceptRefusal fails unless the world is as before but for p's
// refusal record (the overview's and leaderboard's periodic refresh
// aside).
func (w *world) sameExceptRefusal(before *crosswordv1.State, p string) {
	w.t.Helper()
	after := proto.CloneOf(w.h.State())
	for _, s := range []*crosswordv1.State{before, after} {
		s.Players[p].LastRefusal, s.Players[p].Refusals = "", 0
		s.Overview.Online, s.Overview.TotalPlayers, s.Leaderboard = 0, 0, nil
	}
	if !proto.Equal(before, after) {
		w.t.Fatalf("a refused action changed the state:\n%v\n%v", prototext.Format(before), prototext.Format(after))
	}
}

// at returns the letter on (x, y).
func (w *world) at(x, y int) byte { return board(w.h.State().Chunks).at(x, y) }

// refusals returns the refusals counted with reason.
func (w *world) refusals(reason Reason) float64 {
	var m dto.Metric
	if err := w.g.m.refusals.WithLabelValues(string(reason)).Write(&m); err != nil {
		w.t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

func counterValue(t testing.TB, c interface{ Write(*dto.Metric) error }) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

package crossword

import (
	"fmt"
	"testing"

	crosswordv1 "github.com/tickwire/tickwire/proto/tickwire/crossword/v1"
	"github.com/tickwire/tickwire/tick"
)

// busyWorld returns a world where players have played for a while around
// the centre, for benchmarks.
func busyWorld(b *testing.B, players, rounds int) (*world, *Finder) {
	b.Helper()
	g, err := New(Config{ActionCooldown: -1})
	if err != nil {
		b.Fatal(err)
	}
	h, err := tick.NewHarness(Info(), g, 1)
	if err != nil {
		b.Fatal(err)
	}
	w := &world{t: b, g: g, h: h}
	f := NewFinder(nil, 11)
	for i := range players {
		if err := h.Join(tick.PlayerID(fmt.Sprintf("p%04d", i))); err != nil {
			b.Fatal(err)
		}
	}
	for range rounds {
		for i := range min(players, 40) {
			p := fmt.Sprintf("p%04d", i)
			st := w.player(p)
			if tiles := f.Find(h.State().Chunks, g.totalTiles == 0, st, 20000); tiles != nil {
				_ = h.Input(tick.PlayerID(p), &crosswordv1.Input{Action: &crosswordv1.Input_Play{Play: &crosswordv1.Play{Tiles: tiles}}})
			} else {
				st.Rack = "etaoins"
			}
			if err := h.Tick(); err != nil {
				b.Fatal(err)
			}
		}
	}
	return w, f
}

// BenchmarkCheckPlay measures the validation of one valid play:
// placement, connection, every word formed looked up, scoring. "busy" is a
// play the Finder found on a board players filled for a while; "cross" is
// "to" laid under "cat", forming three words.
func BenchmarkCheckPlay(b *testing.B) {
	bench := func(b *testing.B, w *world, me *crosswordv1.Player, tiles []*crosswordv1.Tile) {
		s := w.h.State()
		m := mover{number: me.Number, newcomer: me.Words == 0, rack: me.Rack, view: me.View}
		c := checker{dict: w.g.cfg.Dict}
		words := 0
		b.ReportAllocs()
		for b.Loop() {
			res, ref := c.check(board(s.Chunks), w.g.totalTiles, m, tiles)
			if ref != nil {
				b.Fatal(ref)
			}
			words = len(res.words)
		}
		b.ReportMetric(float64(words), "words/play")
		b.ReportMetric(float64(w.g.totalTiles), "board-tiles")
	}
	b.Run("busy", func(b *testing.B) {
		w, f := busyWorld(b, 40, 10)
		s := w.h.State()
		var best []*crosswordv1.Tile
		var me *crosswordv1.Player
		for _, p := range s.Players {
			if tiles := f.Find(s.Chunks, false, p, 60000); len(tiles) > len(best) {
				best, me = tiles, p
			}
		}
		if me == nil {
			b.Skip("no play found")
		}
		bench(b, w, me, best)
	})
	b.Run("cross", func(b *testing.B) {
		w := newWorld(b, Config{}, "a")
		w.mustPlay("a", C-1, C, true, "cat")
		w.rack("a", "toxyzqj")
		bench(b, w, w.player("a"), tiles(C, C+1, true, "to"))
	})
}

// BenchmarkTick measures one tick of a world of 2,000 players (each
// looking at 128×128 cells, 81 chunk topics), 200 of whom pan and 5 of
// whom play in the tick; the frames go nowhere. The inputs are made
// outside the timer (finding plays is the bots' work, not the server's).
func BenchmarkTick(b *testing.B) {
	const players = 2000
	w, f := busyWorld(b, players, 5)
	h := w.h
	ids := make([]tick.PlayerID, players)
	for i := range ids {
		ids[i] = tick.PlayerID(fmt.Sprintf("p%04d", i))
		_ = h.Input(ids[i], &crosswordv1.Input{Action: &crosswordv1.Input_View{View: &crosswordv1.View{X: int32(C - 64 + i%64), Y: int32(C - 64 + i%48), W: MaxView, H: MaxView}}})
	}
	if err := h.Run(2); err != nil {
		b.Fatal(err)
	}
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		for j := range 200 {
			i := (n*200 + j) % players
			_ = h.Input(ids[i], &crosswordv1.Input{Action: &crosswordv1.Input_View{View: &crosswordv1.View{X: int32(C - 64 + (i+n)%64), Y: int32(C - 64 + (i+2*n)%48), W: MaxView, H: MaxView}}})
		}
		for j := range 5 {
			p := ids[(n*5+j)%40]
			st := w.player(string(p))
			if tiles := f.Find(h.State().Chunks, false, st, 5000); tiles != nil {
				_ = h.Input(p, &crosswordv1.Input{Action: &crosswordv1.Input_Play{Play: &crosswordv1.Play{Tiles: tiles}}})
			} else {
				st.Rack = "etaoins"
			}
		}
		n++
		b.StartTimer()
		if err := h.Tick(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(w.g.totalTiles), "board-tiles")
}

// BenchmarkSnapshot measures the room goroutine's part of a snapshot (the
// copy) and the writer's (encoding) for a busy world.
func BenchmarkSnapshot(b *testing.B) {
	w, _ := busyWorld(b, 200, 10)
	s := w.h.State()
	sv := &saver{players: map[string]*crosswordv1.Player{}, changed: map[string]struct{}{}}
	for id := range s.Players {
		sv.dirtyPlayer(id)
	}
	sv.copyOf(s)
	b.Run("copy", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sv.dirtyPlayer("p0001")
			sv.copyOf(s)
		}
	})
	b.Run("encode", func(b *testing.B) {
		c := sv.copyOf(s)
		size := 0
		b.ReportAllocs()
		for b.Loop() {
			data, err := EncodeSnapshot(c)
			if err != nil {
				b.Fatal(err)
			}
			size = len(data)
		}
		b.ReportMetric(float64(size), "bytes")
	})
}

// BenchmarkTopics measures the game's side of a tick's interest
// management for 2,000 players: every player's Topics, then TopicVersion
// of every distinct topic (the framework's own work is not included).
func BenchmarkTopics(b *testing.B) {
	const players = 2000
	w, _ := busyWorld(b, players, 2)
	r := w.h.Room()
	ids := make([]tick.PlayerID, players)
	for i := range ids {
		ids[i] = tick.PlayerID(fmt.Sprintf("p%04d", i))
		w.g.setView(w.h.State(), w.g.players[string(ids[i])], &crosswordv1.View{X: int32(C - 64 + i%64), Y: int32(C - 64 + i%48), W: MaxView, H: MaxView})
	}
	distinct := map[string]struct{}{}
	var buf []string
	for _, p := range ids {
		for _, t := range w.g.Topics(r, p, buf[:0]) {
			distinct[t] = struct{}{}
		}
	}
	topics := make([]string, 0, len(distinct))
	for t := range distinct {
		topics = append(topics, t)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range ids {
			buf = w.g.Topics(r, p, buf[:0])
		}
		for _, t := range topics {
			w.g.TopicVersion(r, t)
		}
	}
	b.ReportMetric(float64(len(topics)), "topics")
}

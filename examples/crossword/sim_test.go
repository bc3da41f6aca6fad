package crossword

import (
	"fmt"
	"testing"

	crosswordv1 "github.com/tickwire/tickwire/proto/tickwire/crossword/v1"
)

// TestSimulation lets players find and play words with the Finder for a
// while: every play it finds is accepted, and the board, the players and
// the overview agree.
func TestSimulation(t *testing.T) {
	const players = 12
	w := newWorld(t, Config{})
	f := NewFinder(nil, 7)
	for i := range players {
		w.join(fmt.Sprintf("p%02d", i))
	}
	plays, misses := 0, 0
	for round := range 40 {
		for i := range players {
			p := fmt.Sprintf("p%02d", i)
			st := w.player(p)
			tiles := f.Find(w.h.State().Chunks, w.g.totalTiles == 0, st, 20000)
			if tiles == nil {
				misses++
				// Swap when stuck, while lives last.
				if st.Lives > 0 {
					w.input(p, &crosswordv1.Input{Action: &crosswordv1.Input_Swap{Swap: &crosswordv1.Swap{}}})
				}
				continue
			}
			before := st.Refusals
			w.input(p, &crosswordv1.Input{Action: &crosswordv1.Input_Play{Play: &crosswordv1.Play{Tiles: tiles}}})
			if st.Refusals != before {
				t.Fatalf("round %d: %s's play %v refused: %s", round, p, tiles, st.LastRefusal)
			}
			plays++
		}
	}
	t.Logf("%d plays, %d times stuck, %d tiles", plays, misses, w.g.totalTiles)
	if plays < players*10 {
		t.Fatalf("only %d plays", plays)
	}
	// Invariants: tiles on the board = tiles of the players; every tile's
	// owner exists; scores add up with the leaderboard.
	var tiles, placed uint64
	for _, c := range w.h.State().Chunks {
		for idx, l := range c.Letters {
			if l != 0 {
				tiles++
				if c.Placed[uint32(idx)] == nil {
					t.Fatal("a tile without a placement")
				}
			}
		}
	}
	for _, p := range w.h.State().Players {
		placed += uint64(p.Tiles)
	}
	if tiles != placed || tiles != w.g.totalTiles {
		t.Fatalf("board has %d tiles, players placed %d, the game counts %d", tiles, placed, w.g.totalTiles)
	}
	var regions uint64
	for _, n := range w.h.State().Overview.Tiles {
		regions += uint64(n)
	}
	if regions != tiles {
		t.Fatalf("overview regions count %d tiles, the board has %d", regions, tiles)
	}
}

package crossword

import (
	"math/rand/v2"

	"github.com/tickwire/tickwire/examples/crossword/dict"
	crosswordv1 "github.com/tickwire/tickwire/proto/tickwire/crossword/v1"
)

// Finder finds valid plays for a player, as bots and tests need: words
// made of the rack and one letter on the board, through a tile the player
// may build on, checked by the game's own rules. It is not safe for
// concurrent use.
type Finder struct {
	words []string
	check checker
	rng   *rand.Rand
	anch  []anchor
}

type anchor struct {
	x, y   int
	letter byte
}

// NewFinder returns a Finder drawing from d (nil: dict.English()), with
// its choices seeded by seed.
func NewFinder(d *dict.Dict, seed uint64) *Finder {
	if d == nil {
		d = dict.English()
	}
	var words []string
	for _, w := range d.Words() {
		if len(w) <= RackSize+1 {
			words = append(words, w)
		}
	}
	return &Finder{words: words, check: checker{dict: d}, rng: rand.New(rand.NewPCG(seed, seed^0x5bd1e995))}
}

// Find returns a play for me (its number, rack, words and view) on a board
// of which chunks are known (a client's chunk topics merged), or nil when
// none turned up within budget dictionary words (2,000 is a few hundred
// microseconds). worldEmpty says no tile is on the board at all (the
// overview's total_tiles is 0): the play then covers the centre. The play
// is valid as far as the known chunks go; the server has the last word.
func (f *Finder) Find(chunks map[uint32]*crosswordv1.Chunk, worldEmpty bool, me *crosswordv1.Player, budget int) []*crosswordv1.Tile {
	b := board(chunks)
	v := me.GetView()
	if v == nil || len(me.Rack) == 0 {
		return nil
	}
	m := mover{number: me.Number, newcomer: me.Words == 0, rack: me.Rack, view: v}
	var total uint64 = 1
	f.anch = f.anch[:0]
	if worldEmpty {
		total = 0
		f.anch = append(f.anch, anchor{x: Centre, y: Centre})
	} else {
		x0, y0 := int(v.X)-ViewMargin+1, int(v.Y)-ViewMargin+1
		x1, y1 := int(v.X)+int(v.W)+ViewMargin-1, int(v.Y)+int(v.H)+ViewMargin-1
		for key, c := range chunks {
			cx, cy := int(key%ChunksPerSide)*ChunkSize, int(key/ChunksPerSide)*ChunkSize
			for idx, p := range c.Placed {
				x, y := cx+int(idx)%ChunkSize, cy+int(idx)/ChunkSize
				if x < x0 || y < y0 || x >= x1 || y >= y1 || (!m.newcomer && p.Player != me.Number) {
					continue
				}
				f.anch = append(f.anch, anchor{x, y, c.Letters[idx]})
			}
		}
	}
	if len(f.anch) == 0 {
		return nil
	}
	f.rng.Shuffle(len(f.anch), func(i, j int) { f.anch[i], f.anch[j] = f.anch[j], f.anch[i] })
	f.anch = f.anch[:min(len(f.anch), 24)]

	var rack [26]int
	for i := range len(me.Rack) {
		rack[me.Rack[i]-'a']++
	}
	start := f.rng.IntN(len(f.words))
	for n := range min(budget, len(f.words)) {
		w := f.words[(start+n)%len(f.words)]
		if len(w) > len(me.Rack)+1 {
			continue
		}
		var need [26]int
		short := 0
		for i := range len(w) {
			l := w[i] - 'a'
			if need[l]++; need[l] > rack[l] {
				short++
			}
		}
		if short > 2 {
			continue // the anchor and one more board letter at most
		}
		for _, a := range f.anch {
			if tiles := f.try(b, total, m, w, a, short); tiles != nil {
				return tiles
			}
		}
	}
	return nil
}

// try places w through anchor a, every way its letter fits (any way over
// the centre when the world is empty), and returns the first valid play.
func (f *Finder) try(b board, total uint64, m mover, w string, a anchor, short int) []*crosswordv1.Tile {
	for i := range len(w) {
		if total > 0 && w[i] != a.letter || total == 0 && short > 0 {
			continue
		}
		for _, across := range [2]bool{true, false} {
			dx, dy := 0, 1
			if across {
				dx, dy = 1, 0
			}
			x, y := a.x-i*dx, a.y-i*dy
			var tiles []*crosswordv1.Tile
			ok := true
			for j := range len(w) {
				cx, cy := x+j*dx, y+j*dy
				switch l := b.at(cx, cy); {
				case l == w[j]:
				case l != 0:
					ok = false
				default:
					tiles = append(tiles, &crosswordv1.Tile{X: int32(cx), Y: int32(cy), Letter: w[j : j+1]})
				}
				if !ok {
					break
				}
			}
			if !ok || len(tiles) == 0 {
				continue
			}
			if _, ref := f.check.check(b, total, m, tiles); ref == nil {
				return tiles
			}
		}
	}
	return nil
}

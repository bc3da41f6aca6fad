package crossword

import (
	"fmt"
	"slices"

	"github.com/tickwire/tickwire/examples/crossword/dict"
	crosswordv1 "github.com/tickwire/tickwire/proto/tickwire/crossword/v1"
)

// Reason is why a play or swap was refused: a small fixed set, the label of
// the refusals metric. The message sent to the player adds the details.
type Reason string

// The reasons a play or swap is refused.
const (
	ReasonTooFast      Reason = "too_fast"      // within the cooldown, or a second action in one tick
	ReasonRepeated     Reason = "repeated"      // the same submission as the previous one, again
	ReasonBadPlay      Reason = "bad_play"      // no tiles, too many, not a letter, a cell twice
	ReasonOutOfWorld   Reason = "out_of_world"  // a tile off the board
	ReasonOutOfView    Reason = "out_of_view"   // a tile far outside the player's view
	ReasonNotInRack    Reason = "not_in_rack"   // a letter the rack does not hold
	ReasonOccupied     Reason = "occupied"      // a tile on a filled cell
	ReasonNotInLine    Reason = "not_in_line"   // tiles not in one row or column
	ReasonGap          Reason = "gap"           // an empty cell between the tiles
	ReasonNotConnected Reason = "not_connected" // touches no existing tile
	ReasonNotOwn       Reason = "not_own_tiles" // a veteran's play touching none of its own tiles
	ReasonCentre       Reason = "centre"        // the first word of the world misses the centre
	ReasonNotAWord     Reason = "not_a_word"    // a word formed is not in the dictionary
	ReasonNoLives      Reason = "no_lives"      // a swap with no life left
)

// reasons lists every Reason, for the metric's labels.
var reasons = []Reason{ReasonTooFast, ReasonRepeated, ReasonBadPlay, ReasonOutOfWorld, ReasonOutOfView,
	ReasonNotInRack, ReasonOccupied, ReasonNotInLine, ReasonGap, ReasonNotConnected, ReasonNotOwn,
	ReasonCentre, ReasonNotAWord, ReasonNoLives}

// refusal is a refused play or swap. Msg, what the player is told, starts
// with the reason: "not_a_word: \"qzx\" is not in the dictionary".
type refusal struct {
	Reason Reason
	Msg    string
}

// Error returns Msg.
func (r *refusal) Error() string { return r.Msg }

func refuse(reason Reason, format string, args ...any) *refusal {
	return &refusal{Reason: reason, Msg: string(reason) + ": " + fmt.Sprintf(format, args...)}
}

// placement is one new tile of a play.
type placement struct {
	x, y   int
	letter byte
}

// board reads cells of the world's chunks.
type board map[uint32]*crosswordv1.Chunk

// at returns the letter on cell (x, y), 0 when it is empty or off the
// board.
func (b board) at(x, y int) byte {
	if !inWorld(x, y) {
		return 0
	}
	key, idx := chunkKey(x, y)
	if c := b[key]; c != nil {
		return c.Letters[idx]
	}
	return 0
}

// owner returns the number of the player who placed the tile on (x, y).
func (b board) owner(x, y int) uint32 {
	key, idx := chunkKey(x, y)
	if c := b[key]; c != nil {
		return c.Placed[uint32(idx)].GetPlayer()
	}
	return 0
}

// mover is a player as a play sees it.
type mover struct {
	number   uint32
	newcomer bool // no accepted play yet: may build on anyone's tiles
	rack     string
	view     *crosswordv1.View
}

// scored is an accepted play, before it is applied.
type scored struct {
	tiles  []placement
	words  []string
	points int
	used   [26]int // letters taken from the rack
}

// checker validates plays. It keeps scratch space between plays, so it
// belongs to one goroutine.
type checker struct {
	dict  *dict.Dict
	buf   []byte // the word being read
	tiles []placement
}

// check validates tiles played by m on b (which holds total tiles) and
// scores them, or says why not. It changes nothing.
func (c *checker) check(b board, total uint64, m mover, tiles []*crosswordv1.Tile) (scored, *refusal) {
	var s scored
	n := len(tiles)
	if n == 0 {
		return s, refuse(ReasonBadPlay, "a play needs at least one tile")
	}
	if n > RackSize {
		return s, refuse(ReasonBadPlay, "a play has at most %d tiles, not %d", RackSize, n)
	}
	c.tiles = c.tiles[:0]
	var have [26]int
	for i := range len(m.rack) {
		have[m.rack[i]-'a']++
	}
	v := m.view
	for _, t := range tiles {
		x, y := int(t.X), int(t.Y)
		if len(t.Letter) != 1 || t.Letter[0] < 'a' || t.Letter[0] > 'z' {
			return s, refuse(ReasonBadPlay, "tile at %d,%d: %q is not one letter a-z", x, y, t.Letter)
		}
		if !inWorld(x, y) {
			return s, refuse(ReasonOutOfWorld, "tile at %d,%d is off the board (0..%d)", x, y, WorldSize-1)
		}
		if x < int(v.X)-ViewMargin || y < int(v.Y)-ViewMargin || x >= int(v.X)+int(v.W)+ViewMargin || y >= int(v.Y)+int(v.H)+ViewMargin {
			return s, refuse(ReasonOutOfView, "tile at %d,%d is outside your view", x, y)
		}
		l := t.Letter[0]
		s.used[l-'a']++
		if s.used[l-'a'] > have[l-'a'] {
			return s, refuse(ReasonNotInRack, "not enough %q in your rack %q", l, m.rack)
		}
		c.tiles = append(c.tiles, placement{x, y, l})
	}
	// One line: sort along it and look for repeats and filled cells.
	across := true
	for _, t := range c.tiles[1:] {
		if t.y != c.tiles[0].y {
			across = false
			break
		}
	}
	down := true
	for _, t := range c.tiles[1:] {
		if t.x != c.tiles[0].x {
			down = false
			break
		}
	}
	if !across && !down {
		return s, refuse(ReasonNotInLine, "the tiles must be in one row or one column")
	}
	slices.SortFunc(c.tiles, func(a, b placement) int {
		if a.y != b.y {
			return a.y - b.y
		}
		return a.x - b.x
	})
	for i, t := range c.tiles {
		if i > 0 && t.x == c.tiles[i-1].x && t.y == c.tiles[i-1].y {
			return s, refuse(ReasonBadPlay, "two tiles at %d,%d", t.x, t.y)
		}
		if b.at(t.x, t.y) != 0 {
			return s, refuse(ReasonOccupied, "cell %d,%d already holds %q", t.x, t.y, b.at(t.x, t.y))
		}
	}
	if n == 1 { // a lone tile lies along the word it extends
		t := c.tiles[0]
		across = b.at(t.x-1, t.y) != 0 || b.at(t.x+1, t.y) != 0 || (b.at(t.x, t.y-1) == 0 && b.at(t.x, t.y+1) == 0)
	}
	dx, dy := 1, 0
	if !across {
		dx, dy = 0, 1
	}
	first, last := c.tiles[0], c.tiles[n-1]
	for x, y := first.x, first.y; x != last.x || y != last.y; x, y = x+dx, y+dy {
		if b.at(x, y) == 0 && c.newAt(x, y) == 0 {
			return s, refuse(ReasonGap, "cell %d,%d between your tiles is empty", x, y)
		}
	}

	// Connection.
	if total == 0 {
		covers := false
		for _, t := range c.tiles {
			covers = covers || (t.x == Centre && t.y == Centre)
		}
		if !covers || n < 2 {
			return s, refuse(ReasonCentre, "the first word of the world must cover the centre cell %d,%d", Centre, Centre)
		}
	} else {
		anchors, own := 0, 0
		for _, t := range c.tiles {
			for _, d := range [4][2]int{{-1, 0}, {1, 0}, {0, -1}, {0, 1}} {
				x, y := t.x+d[0], t.y+d[1]
				if b.at(x, y) != 0 {
					anchors++
					if b.owner(x, y) == m.number {
						own++
					}
				}
			}
		}
		switch {
		case anchors == 0:
			return s, refuse(ReasonNotConnected, "the word must touch tiles already on the board")
		case !m.newcomer && own == 0:
			return s, refuse(ReasonNotOwn, "after your first word, build from your own tiles")
		}
	}

	// Words: the main word along the line, then each tile's cross-word.
	s.tiles = slices.Clone(c.tiles)
	if r := c.word(b, &s, first.x, first.y, dx, dy, true); r != nil {
		return s, r
	}
	for _, t := range c.tiles {
		if r := c.word(b, &s, t.x, t.y, dy, dx, false); r != nil {
			return s, r
		}
	}
	if n == RackSize {
		s.points += BingoBonus
	}
	return s, nil
}

// newAt returns the letter of the play's tile on (x, y), or 0.
func (c *checker) newAt(x, y int) byte {
	for _, t := range c.tiles {
		if t.x == x && t.y == y {
			return t.letter
		}
	}
	return 0
}

// word finds the word through (x, y) along (dx, dy), checks it and adds it
// and its points to s. A single letter is no word: it is skipped, except
// as the main word, which cannot be one letter past the connection check.
func (c *checker) word(b board, s *scored, x, y, dx, dy int, main bool) *refusal {
	letter := func(x, y int) (byte, bool) {
		if l := c.newAt(x, y); l != 0 {
			return l, true
		}
		return b.at(x, y), false
	}
	for {
		if l, _ := letter(x-dx, y-dy); l == 0 {
			break
		}
		x, y = x-dx, y-dy
	}
	c.buf = c.buf[:0]
	sum, mult := 0, 1
	for {
		l, isNew := letter(x, y)
		if l == 0 {
			break
		}
		c.buf = append(c.buf, l)
		v := int(letterValues[l-'a'])
		if isNew {
			lm, wm := multipliers(x, y)
			v *= lm
			mult *= wm
		}
		sum += v
		x, y = x+dx, y+dy
	}
	if len(c.buf) < 2 && !main {
		return nil
	}
	if !c.dict.HasBytes(c.buf) {
		return refuse(ReasonNotAWord, "%q is not in the dictionary", c.buf)
	}
	s.words = append(s.words, string(c.buf))
	s.points += sum * mult
	return nil
}

package crossword

import (
	"time"

	crosswordv1 "github.com/tickwire/tickwire/proto/tickwire/crossword/v1"
)

// The world's geometry, in cells.
const (
	// WorldSize is the number of cells per side: x and y are in
	// [0, WorldSize).
	WorldSize = 16384
	// ChunkSize is the side of a chunk, the unit of storage and of
	// interest (one topic per chunk).
	ChunkSize = 16
	// ChunksPerSide is WorldSize / ChunkSize.
	ChunksPerSide = WorldSize / ChunkSize
	// Centre is the centre cell's x and y: the first word of a new world
	// covers it.
	Centre = WorldSize / 2
	// RegionSize is the side of an overview region.
	RegionSize = 256
	// RegionsPerSide is WorldSize / RegionSize.
	RegionsPerSide = WorldSize / RegionSize
	// MaxView is the largest width and height of a player's view.
	MaxView = 128
	// DefaultView is the width and height of a newcomer's view, centred on
	// the centre cell.
	DefaultView = 64
	// ViewMargin is how far outside its view a player may place a tile.
	ViewMargin = 16
)

// The rules of play.
const (
	RackSize   = 7
	MaxLives   = 3
	BingoBonus = 50
	// LeaderboardSize is the number of players on the leaderboard.
	LeaderboardSize = 10
	// DefaultLifeRegen is Config.LifeRegen's default.
	DefaultLifeRegen = 2 * time.Minute
	// DefaultActionCooldown is Config.ActionCooldown's default.
	DefaultActionCooldown = 500 * time.Millisecond
	// RepeatWindow is how long a submission identical to the player's
	// previous one is refused as repeated.
	RepeatWindow = 5 * time.Second
	// OverviewEvery is the shortest time between two versions of the
	// "overview" and "leaderboard" topics.
	OverviewEvery = time.Second
)

// premium is the classic 15×15 board, row by row: '.' plain, 'd' double
// letter, 't' triple letter, 'D' double word, 'T' triple word. It is tiled
// over the world, shifted by premiumOffset so that the centre cell is the
// classic centre.
const premium = "" +
	"T..d...T...d..T" +
	".D...t...t...D." +
	"..D...d.d...D.." +
	"d..D...d...D..d" +
	"....D.....D...." +
	".t...t...t...t." +
	"..d...d.d...d.." +
	"T..d...D...d..T" +
	"..d...d.d...d.." +
	".t...t...t...t." +
	"....D.....D...." +
	"d..D...d...D..d" +
	"..D...d.d...D.." +
	".D...t...t...D." +
	"T..d...T...d..T"

// premiumOffset puts the classic centre (7, 7) on the world's centre cell.
const premiumOffset = (7 - Centre%15 + 15) % 15

// letterValues are the points of a to z.
var letterValues = [26]uint8{1, 3, 3, 2, 1, 4, 2, 4, 1, 8, 5, 1, 3, 1, 1, 3, 10, 1, 1, 1, 1, 4, 4, 8, 4, 10}

// letterWeights are the classic 98-tile distribution of a to z, without
// blanks: the bag's draw weights.
var letterWeights = [26]uint8{9, 2, 2, 4, 12, 2, 3, 2, 9, 1, 1, 4, 2, 6, 8, 2, 1, 6, 4, 6, 4, 2, 2, 1, 2, 1}

// bagTotal is the sum of letterWeights.
const bagTotal = 98

// multipliers returns the letter and word multipliers of cell (x, y).
func multipliers(x, y int) (letter, word int) {
	switch premium[((y+premiumOffset)%15)*15+(x+premiumOffset)%15] {
	case 'd':
		return 2, 1
	case 't':
		return 3, 1
	case 'D':
		return 1, 2
	case 'T':
		return 1, 3
	}
	return 1, 1
}

// draw returns one tile from the infinite bag.
func draw(intN func(int) int) byte {
	n := intN(bagTotal)
	for i, w := range letterWeights {
		if n < int(w) {
			return 'a' + byte(i)
		}
		n -= int(w)
	}
	return 'e' // unreachable: n < bagTotal
}

// newRules returns the Rules message of a world with cfg's timings.
func newRules(cfg Config) *crosswordv1.Rules {
	r := &crosswordv1.Rules{
		WorldSize:        WorldSize,
		ChunkSize:        ChunkSize,
		ChunksPerSide:    ChunksPerSide,
		Centre:           Centre,
		RackSize:         RackSize,
		MaxLives:         MaxLives,
		LifeRegenMs:      uint32(cfg.LifeRegen.Milliseconds()),
		MaxView:          MaxView,
		ViewMargin:       ViewMargin,
		ActionCooldownMs: uint32(cfg.ActionCooldown.Milliseconds()),
		Premium:          premium,
		PremiumOffset:    premiumOffset,
		BingoBonus:       BingoBonus,
		MinWord:          2,
		MaxWord:          15,
	}
	for i := range 26 {
		r.LetterValues = append(r.LetterValues, uint32(letterValues[i]))
		r.LetterWeights = append(r.LetterWeights, uint32(letterWeights[i]))
	}
	return r
}

// chunkKey is the key of the chunk holding cell (x, y) in State.chunks,
// and idx the cell's index in it.
func chunkKey(x, y int) (key uint32, idx int) {
	return uint32((y/ChunkSize)*ChunksPerSide + x/ChunkSize), (y%ChunkSize)*ChunkSize + x%ChunkSize
}

// inWorld reports whether (x, y) is a cell of the world.
func inWorld(x, y int) bool { return x >= 0 && y >= 0 && x < WorldSize && y < WorldSize }

// regionOf returns the overview region index of cell (x, y).
func regionOf(x, y int) uint32 {
	return uint32((y/RegionSize)*RegionsPerSide + x/RegionSize)
}

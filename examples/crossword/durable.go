package crossword

import (
	"fmt"
	"maps"

	"google.golang.org/protobuf/proto"

	crosswordv1 "github.com/tickwire/tickwire/proto/tickwire/crossword/v1"
)

// Durability: what the game changes is applied to the room's state at
// once (the next play is checked against it), gathered during the tick,
// and sealed at its end into one journal record (seal); what players see
// through their topics is the published world, which takes a record's
// changes only once the journal writer has synced it (publishSynced). See
// the package comment for what that means to a client.

// changes are what the game changed since the last seal, on the room's
// goroutine.
type changes struct {
	players map[string]struct{}           // players whose state changed
	chunks  map[uint32]*crosswordv1.Chunk // chunks that got tiles, as they are now
	tiles   []placedTile                  // the tiles placed, in order
}

// changedPlayer notes that pl's state changed.
func (g *Game) changedPlayer(pl *player) {
	g.changes.players[pl.id] = struct{}{}
	if g.saver != nil {
		g.saver.dirtyPlayer(pl.id)
	}
}

// placed notes tile t, now in chunk c (the state's new copy of it).
func (g *Game) placed(t placedTile, c *crosswordv1.Chunk) {
	g.changes.chunks[t.key] = c
	g.changes.tiles = append(g.changes.tiles, t)
	if g.saver != nil {
		g.saver.dirty = true
	}
}

// seal makes the changes since the last seal a record and hands it to the
// journal writer, or, without a data directory, publishes it at once.
//
// The hand-off never blocks the room. When the writer's channel is full,
// or maxUnsynced records already wait for their sync, the record is held
// and the next ticks' changes are merged into it (so what is held is at
// most one record, as big as the players and chunks that changed) until
// the writer catches up; meanwhile plays and swaps are refused as too_fast
// (backlogged), and no snapshot is taken.
func (g *Game) seal(s *crosswordv1.State) {
	c := &g.changes
	if len(c.players) == 0 && len(c.chunks) == 0 && g.held == nil {
		return
	}
	r := g.held
	if r == nil {
		r = &record{players: map[string]*crosswordv1.Player{}, chunks: map[uint32]*crosswordv1.Chunk{}}
	}
	for id := range c.players {
		r.players[id] = proto.CloneOf(g.players[id].st)
	}
	clear(c.players)
	maps.Copy(r.chunks, c.chunks)
	clear(c.chunks)
	r.tiles = append(r.tiles, c.tiles...)
	c.tiles = c.tiles[:0]
	r.nextNumber, r.plays = s.NextNumber, s.Plays
	if g.journal == nil {
		g.publish(s, r)
		return
	}
	g.held = r
	if len(g.unsynced) >= maxUnsynced {
		return
	}
	r.seq = g.lastSeq + 1
	select {
	case g.handoff <- r:
		g.lastSeq = r.seq
		g.unsynced = append(g.unsynced, r)
		g.held = nil
	default:
	}
}

// backlogged reports whether the journal is behind, so that new plays
// and swaps are refused (see seal).
func (g *Game) backlogged() bool { return g.held != nil }

// publishSynced publishes, in sequence, the records the journal writer
// has synced.
func (g *Game) publishSynced(s *crosswordv1.State) {
	if g.journal == nil || len(g.unsynced) == 0 {
		return
	}
	synced := g.journal.synced.Load()
	n := 0
	for n < len(g.unsynced) && g.unsynced[n].seq <= synced {
		g.publish(s, g.unsynced[n])
		n++
	}
	rest := copy(g.unsynced, g.unsynced[n:])
	clear(g.unsynced[rest:])
	g.unsynced = g.unsynced[:rest]
}

// publish makes record r's changes what the players see: its players'
// and chunks' topics take new versions, and the overview and leaderboard
// are refreshed at their next turn.
func (g *Game) publish(s *crosswordv1.State, r *record) {
	for id, st := range r.players {
		pl := g.players[id]
		pl.pub = st
		g.clock++
		pl.version = g.clock
	}
	for key, c := range r.chunks {
		if g.pubChunks[key] == nil {
			g.chunkAdded(key)
		}
		g.pubChunks[key] = c
		g.clock++
		g.chunkVer[chunkTopic(key)] = g.clock
	}
	for _, t := range r.tiles {
		x := int(t.key%ChunksPerSide)*ChunkSize + int(t.idx)%ChunkSize
		y := int(t.key/ChunksPerSide)*ChunkSize + int(t.idx)/ChunkSize
		s.Overview.Tiles[regionOf(x, y)]++
	}
	if len(r.tiles) > 0 {
		g.pubTiles += uint64(len(r.tiles))
		s.Overview.TotalTiles = g.pubTiles
		g.overviewDirty = true
	}
	if len(r.players) > 0 {
		g.leaderDirty = true
	}
}

// replay applies the journal's records to the world loaded from the
// snapshot (nil: there was none), before restore checks it whole.
func (g *Game) replay(loaded *crosswordv1.State, entries []journalEntry, path string) (*crosswordv1.State, error) {
	if len(entries) == 0 {
		return loaded, nil
	}
	if loaded == nil {
		loaded = &crosswordv1.State{Rules: newRules(g.cfg), NextNumber: 1}
	}
	for _, e := range entries {
		if err := applyChange(loaded, e.change, e.seq); err != nil {
			return nil, fmt.Errorf("crossword: journal %s: %w (the file is left as it is)", path, err)
		}
	}
	return loaded, nil
}

package crossword

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	crosswordv1 "github.com/tickwire/tickwire/proto/tickwire/crossword/v1"
	"github.com/tickwire/tickwire/tick"
)

// Topic names (see crossword.proto): TopicOverview and TopicLeaderboard for
// everyone, TopicMe+player for a player's own state, and one ChunkTopic per
// chunk in view.
const (
	TopicOverview    = "overview"
	TopicLeaderboard = "leaderboard"
	TopicMe          = "me:"
	topicChunk       = "c:"
)

// ChunkTopic returns the topic of chunk (cx, cy): "c:cx,cy".
func ChunkTopic(cx, cy int) string {
	return topicChunk + strconv.Itoa(cx) + "," + strconv.Itoa(cy)
}

// Topics returns p's topics: the overview, the leaderboard, its own state
// and the chunks overlapping its view. The list is rebuilt only when the
// view moves to other chunks.
func (g *Game) Topics(r *tick.Room[*crosswordv1.State], p tick.PlayerID, dst []string) []string {
	if pl := g.players[string(p)]; pl != nil {
		if pl.topicsGen != g.chunkGen && g.newChunkInView(pl) {
			g.buildTopics(r.State(), pl)
		}
		pl.topicsGen = g.chunkGen
		return append(dst, pl.topics...)
	}
	return append(dst, TopicOverview, TopicLeaderboard)
}

// TopicVersion returns the version of topic: every change of its content
// takes a new value of the game's clock. Unknown topics and chunks never
// played on are at 1.
func (g *Game) TopicVersion(r *tick.Room[*crosswordv1.State], topic string) uint64 {
	switch {
	case topic == TopicOverview:
		return g.overviewVer
	case topic == TopicLeaderboard:
		return g.leaderVer
	case strings.HasPrefix(topic, TopicMe):
		if pl := g.players[topic[len(TopicMe):]]; pl != nil {
			return pl.version
		}
	case strings.HasPrefix(topic, topicChunk):
		if v, ok := g.chunkVer[topic]; ok {
			return v
		}
	}
	return 1
}

// FillTopic copies topic's part of the published world into dst: the
// state as of the last synced journal record (durable.go). Chunks and
// players are shared, not copied: a published chunk or player is never
// changed in place (a play puts a changed copy in the state, and a record
// a copy of the player), so the shared one stays as it was filled.
func (g *Game) FillTopic(r *tick.Room[*crosswordv1.State], topic string, dst *crosswordv1.State) {
	s := r.State()
	switch {
	case topic == TopicOverview:
		dst.Rules = s.Rules // never changes after Init
		dst.Overview = proto.CloneOf(s.Overview)
	case topic == TopicLeaderboard:
		dst.Leaderboard = slices.Clone(s.Leaderboard) // entries are never changed in place
	case strings.HasPrefix(topic, TopicMe):
		id := topic[len(TopicMe):]
		if pl := g.players[id]; pl != nil && pl.pub != nil {
			dst.Players = map[string]*crosswordv1.Player{id: pl.pub}
		}
	case strings.HasPrefix(topic, topicChunk):
		if key, ok := parseChunkTopic(topic); ok {
			if c := g.pubChunks[key]; c != nil {
				dst.Chunks = map[uint32]*crosswordv1.Chunk{key: c}
			}
		}
	}
}

// parseChunkTopic returns the chunk key of a "c:cx,cy" topic.
func parseChunkTopic(topic string) (uint32, bool) {
	xs, ys, ok := strings.Cut(topic[len(topicChunk):], ",")
	if !ok {
		return 0, false
	}
	cx, err1 := strconv.Atoi(xs)
	cy, err2 := strconv.Atoi(ys)
	if err1 != nil || err2 != nil || cx < 0 || cy < 0 || cx >= ChunksPerSide || cy >= ChunksPerSide {
		return 0, false
	}
	return uint32(cy*ChunksPerSide + cx), true
}

// clampView returns v cut to MaxView and moved inside the world; a zero
// width or height is MaxView.
func clampView(v *crosswordv1.View) *crosswordv1.View {
	w, h := int(v.GetW()), int(v.GetH())
	if w == 0 || w > MaxView {
		w = MaxView
	}
	if h == 0 || h > MaxView {
		h = MaxView
	}
	x := min(max(int(v.GetX()), 0), WorldSize-w)
	y := min(max(int(v.GetY()), 0), WorldSize-h)
	return &crosswordv1.View{X: int32(x), Y: int32(y), W: uint32(w), H: uint32(h)}
}

// setView points pl's view at v (clamped) and, when the chunks in view
// changed, rebuilds its topics.
func (g *Game) setView(s *crosswordv1.State, pl *player, v *crosswordv1.View) {
	nv := clampView(v)
	old := pl.st.View
	pl.st.View = nv
	pl.lastSubmit = 0 // a play refused as out of view is no repeat now
	if pl.online {
		g.moveViewer(s, pl, int64(regionOf(int(nv.X)+int(nv.W)/2, int(nv.Y)+int(nv.H)/2)))
	}
	if proto.Equal(old, nv) && pl.topics != nil {
		return
	}
	g.touch(pl)
	cx0, cy0 := int(nv.X)/ChunkSize, int(nv.Y)/ChunkSize
	cx1, cy1 := (int(nv.X)+int(nv.W)-1)/ChunkSize, (int(nv.Y)+int(nv.H)-1)/ChunkSize
	if pl.topics != nil && old != nil && chunksOf(old) == [4]int{cx0, cy0, cx1, cy1} {
		return
	}
	g.buildTopics(s, pl)
}

// buildTopics lists pl's topics: its own, the overview, the leaderboard,
// and the non-empty chunks overlapping its view. An empty chunk is no
// topic: a client draws its absence as empty cells, and a chunk's first
// tile makes it a topic of everyone looking at it (Topics), with its
// snapshot. Panning over empty board therefore sends nothing.
func (g *Game) buildTopics(s *crosswordv1.State, pl *player) {
	c := chunksOf(pl.st.View)
	t := append(pl.topics[:0], TopicOverview, TopicLeaderboard, TopicMe+pl.id)
	for cy := c[1]; cy <= c[3]; cy++ {
		for cx := c[0]; cx <= c[2]; cx++ {
			if g.pubChunks[uint32(cy*ChunksPerSide+cx)] != nil {
				t = append(t, ChunkTopic(cx, cy))
			}
		}
	}
	pl.topics = t
	pl.topicsGen = g.chunkGen
}

// chunkAdded records that chunk key got its first tile.
func (g *Game) chunkAdded(key uint32) {
	g.chunkGen++
	if len(g.newChunks) == maxNewChunks {
		g.newChunks = append(g.newChunks[:0], g.newChunks[1:]...)
	}
	g.newChunks = append(g.newChunks, newChunk{gen: g.chunkGen, cx: int(key % ChunksPerSide), cy: int(key / ChunksPerSide)})
}

// newChunkInView reports whether a chunk that got its first tile since
// pl's topics were built lies in pl's view (or pl is too far behind to
// tell).
func (g *Game) newChunkInView(pl *player) bool {
	if pl.st.View == nil {
		return false
	}
	if len(g.newChunks) == 0 || g.newChunks[0].gen > pl.topicsGen+1 {
		return true
	}
	c := chunksOf(pl.st.View)
	for i := len(g.newChunks) - 1; i >= 0 && g.newChunks[i].gen > pl.topicsGen; i-- {
		n := g.newChunks[i]
		if n.cx >= c[0] && n.cx <= c[2] && n.cy >= c[1] && n.cy <= c[3] {
			return true
		}
	}
	return false
}

// chunksOf returns the chunk range a view covers.
func chunksOf(v *crosswordv1.View) [4]int {
	return [4]int{int(v.X) / ChunkSize, int(v.Y) / ChunkSize, (int(v.X) + int(v.W) - 1) / ChunkSize, (int(v.Y) + int(v.H) - 1) / ChunkSize}
}

// moveViewer moves pl's count in the overview's viewers to region (-1:
// none).
func (g *Game) moveViewer(s *crosswordv1.State, pl *player, region int64) {
	if pl.region == region {
		return
	}
	v := s.Overview.Viewers
	if pl.region >= 0 {
		if k := uint32(pl.region); v[k] <= 1 {
			delete(v, k)
		} else {
			v[k]--
		}
	}
	if region >= 0 {
		v[uint32(region)]++
	}
	pl.region = region
	g.overviewDirty = true
}

// publishOverview gives the overview its totals and a new version.
func (g *Game) publishOverview(s *crosswordv1.State) {
	o := s.Overview
	o.Online = uint32(g.online)
	o.TotalPlayers = uint32(len(g.players))
	o.TotalTiles = g.pubTiles
	g.clock++
	g.overviewVer = g.clock
	g.overviewDirty = false
}

// publishLeaderboard recomputes the leaderboard and gives it a new version
// if it changed.
func (g *Game) publishLeaderboard(s *crosswordv1.State) {
	g.leaderDirty = false
	better := func(a, b *player) int {
		return cmp.Or(-cmp.Compare(a.pub.Score, b.pub.Score), -cmp.Compare(a.pub.Words, b.pub.Words), cmp.Compare(a.pub.Number, b.pub.Number))
	}
	top := make([]*player, 0, LeaderboardSize+1)
	for _, pl := range g.players {
		if pl.pub == nil || len(top) == LeaderboardSize && better(pl, top[len(top)-1]) >= 0 {
			continue
		}
		i, _ := slices.BinarySearchFunc(top, pl, better)
		top = slices.Insert(top, i, pl)
		if len(top) > LeaderboardSize {
			top = top[:LeaderboardSize]
		}
	}
	board := make([]*crosswordv1.LeaderEntry, len(top))
	for i, pl := range top {
		board[i] = &crosswordv1.LeaderEntry{PlayerId: pl.id, Number: pl.pub.Number, Score: pl.pub.Score, Words: pl.pub.Words, Online: pl.online}
	}
	if g.leaderVer != 0 && slices.EqualFunc(board, s.Leaderboard, func(a, b *crosswordv1.LeaderEntry) bool { return proto.Equal(a, b) }) {
		return
	}
	s.Leaderboard = board
	g.clock++
	g.leaderVer = g.clock
}

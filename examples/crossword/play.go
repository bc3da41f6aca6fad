package crossword

import (
	"maps"
	"strconv"
	"strings"

	crosswordv1 "github.com/tickwire/tickwire/proto/tickwire/crossword/v1"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/tick"
)

// play applies a Play of pl, or refuses it and changes nothing but pl's
// refusal record.
func (g *Game) play(r *tick.Room[*crosswordv1.State], pl *player, in *crosswordv1.Play) {
	s := r.State()
	now := r.Now()
	if g.backlogged() {
		g.refuse(r, pl, refuse(ReasonTooFast, "the world is busy saving: try again in a moment"))
		return
	}
	if ref := g.pace(r, pl, hashPlay(in)); ref != nil {
		g.refuse(r, pl, ref)
		return
	}
	res, ref := g.check.check(board(s.Chunks), g.totalTiles, mover{
		number:   pl.st.Number,
		newcomer: pl.st.Words == 0,
		rack:     pl.st.Rack,
		view:     pl.st.View,
	}, in.GetTiles())
	if ref != nil {
		g.refuse(r, pl, ref)
		return
	}

	// The board: copy each touched chunk, change the copy, put it in place
	// (chunks in the state are never changed in place; see topics.go).
	// Players see the tiles once the tick's record is synced (durable.go).
	ms := now.UnixMilli()
	fresh := map[uint32]*crosswordv1.Chunk{}
	for _, t := range res.tiles {
		key, idx := chunkKey(t.x, t.y)
		c := fresh[key]
		if c == nil {
			c = cloneChunk(s.Chunks[key])
			fresh[key] = c
			s.Chunks[key] = c
		}
		c.Letters[idx] = t.letter
		p := &crosswordv1.Placed{Player: pl.st.Number, UnixMs: ms}
		c.Placed[uint32(idx)] = p
		g.placed(placedTile{key: key, idx: uint16(idx), letter: t.letter, placed: p}, c)
	}
	n := len(res.tiles)
	g.totalTiles += uint64(n)
	s.Plays++

	// The player.
	st := pl.st
	st.Rack = refill(r, takeLetters(st.Rack, res.used))
	st.Score += uint32(res.points)
	st.Words++
	st.Tiles += uint32(n)
	st.LastPlay = &crosswordv1.PlayResult{Words: res.words, Points: uint32(res.points), Tick: r.Tick()}
	st.LastRefusal = ""
	st.NextActionUnixMs = now.Add(g.cfg.ActionCooldown).UnixMilli()
	g.touch(pl)
	g.m.plays.Inc()
	g.m.tiles.Add(float64(n))
}

// swap applies a Swap of pl: the letters go back to the bag, as many new
// ones come, and it costs a life.
func (g *Game) swap(r *tick.Room[*crosswordv1.State], pl *player, in *crosswordv1.Swap) {
	if g.backlogged() {
		g.refuse(r, pl, refuse(ReasonTooFast, "the world is busy saving: try again in a moment"))
		return
	}
	if ref := g.pace(r, pl, hashSwap(in, pl.st.Rack)); ref != nil {
		g.refuse(r, pl, ref)
		return
	}
	st := pl.st
	now := r.Now()
	g.regen(pl, now)
	if st.Lives == 0 {
		g.refuse(r, pl, refuse(ReasonNoLives, "no lives left to swap; the next one comes back in %ds", (st.NextLifeUnixMs-now.UnixMilli()+999)/1000))
		return
	}
	letters := in.GetLetters()
	if letters == "" {
		letters = st.Rack
	}
	var used [26]int
	var have [26]int
	for i := range len(st.Rack) {
		have[st.Rack[i]-'a']++
	}
	for i := range len(letters) {
		l := letters[i]
		if l < 'a' || l > 'z' {
			g.refuse(r, pl, refuse(ReasonBadPlay, "%q is not a letter a-z", l))
			return
		}
		if used[l-'a']++; used[l-'a'] > have[l-'a'] {
			g.refuse(r, pl, refuse(ReasonNotInRack, "not enough %q in your rack %q", l, st.Rack))
			return
		}
	}
	if st.Lives == MaxLives {
		st.NextLifeUnixMs = now.Add(g.cfg.LifeRegen).UnixMilli()
	}
	st.Lives--
	st.Rack = refill(r, takeLetters(st.Rack, used))
	st.LastRefusal = ""
	st.NextActionUnixMs = now.Add(g.cfg.ActionCooldown).UnixMilli()
	g.touch(pl)
	g.m.swaps.Inc()
}

// pace refuses a second action of pl in one tick, one within its cooldown,
// and a submission identical to its previous one within RepeatWindow. It
// records the submission either way.
func (g *Game) pace(r *tick.Room[*crosswordv1.State], pl *player, h uint64) *refusal {
	now := r.Now()
	repeated := h == pl.lastSubmit && now.Sub(pl.submitAt) < RepeatWindow
	sameTick := pl.actedTick == r.Tick() && !pl.submitAt.IsZero()
	pl.lastSubmit, pl.submitAt, pl.actedTick = h, now, r.Tick()
	switch {
	case repeated:
		return refuse(ReasonRepeated, "the same submission again")
	case sameTick:
		return refuse(ReasonTooFast, "one play or swap per tick")
	case now.UnixMilli() < pl.st.NextActionUnixMs:
		return refuse(ReasonTooFast, "too fast: wait %dms", pl.st.NextActionUnixMs-now.UnixMilli())
	}
	return nil
}

// refuse tells pl why and counts it. Nothing changes but pl's own record of
// refusals.
func (g *Game) refuse(r *tick.Room[*crosswordv1.State], pl *player, ref *refusal) {
	r.Refuse(tick.PlayerID(pl.id), tickwirev1.ErrorCode_ERROR_CODE_INPUT_REFUSED, ref.Msg)
	pl.st.LastRefusal = ref.Msg
	pl.st.Refusals++
	g.touch(pl)
	g.m.refusals.WithLabelValues(string(ref.Reason)).Inc()
}

// takeLetters returns rack without the letters counted in used (which it
// holds).
func takeLetters(rack string, used [26]int) string {
	var b strings.Builder
	for i := range len(rack) {
		l := rack[i]
		if used[l-'a'] > 0 {
			used[l-'a']--
			continue
		}
		b.WriteByte(l)
	}
	return b.String()
}

// refill draws tiles until rack is full.
func refill(r *tick.Room[*crosswordv1.State], rack string) string {
	if len(rack) >= RackSize {
		return rack
	}
	b := []byte(rack)
	for len(b) < RackSize {
		b = append(b, draw(r.Rand().IntN))
	}
	return string(b)
}

// cloneChunk returns a copy of c to change, or a new empty chunk. Placed
// entries are shared: they never change once made.
func cloneChunk(c *crosswordv1.Chunk) *crosswordv1.Chunk {
	if c == nil {
		return &crosswordv1.Chunk{Letters: make([]byte, ChunkSize*ChunkSize), Placed: map[uint32]*crosswordv1.Placed{}}
	}
	return &crosswordv1.Chunk{Letters: append([]byte(nil), c.Letters...), Placed: maps.Clone(c.Placed)}
}

// chunkTopic is the topic name of the chunk with key.
func chunkTopic(key uint32) string {
	cx, cy := key%ChunksPerSide, key/ChunksPerSide
	return "c:" + strconv.FormatUint(uint64(cx), 10) + "," + strconv.FormatUint(uint64(cy), 10)
}

// hashPlay and hashSwap fingerprint a submission (FNV-1a), to spot
// repeats. A swap's includes the rack it was made from, since the same swap
// from a new rack is no repeat.
func hashPlay(in *crosswordv1.Play) uint64 {
	h := uint64(fnvOffset)
	var buf [32]byte
	for _, t := range in.GetTiles() {
		b := strconv.AppendInt(buf[:0], int64(t.X), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(t.Y), 10)
		b = append(b, ',')
		h = fnv(fnv(h, b), []byte(t.Letter))
		h = fnv(h, []byte{';'})
	}
	return h
}

func hashSwap(in *crosswordv1.Swap, rack string) uint64 {
	return fnv(fnv(fnv(fnvOffset, []byte("swap:")), []byte(rack)), []byte(":"+in.GetLetters()))
}

const fnvOffset = 14695981039346656037

func fnv(h uint64, b []byte) uint64 {
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

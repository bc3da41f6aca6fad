package crossword

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"google.golang.org/protobuf/proto"

	crosswordv1 "github.com/tickwire/tickwire/proto/tickwire/crossword/v1"
)

// The snapshot file: a 52-byte header, then the world as a protobuf
// tickwire.crossword.v1.State.
//
//	offset  size  field
//	     0     8  magic "TWCWSNAP"
//	     8     4  format version, big-endian (SnapshotVersion)
//	    12     8  payload length, big-endian
//	    20    32  SHA-256 of the payload
//	    52     n  payload
const (
	snapshotMagic  = "TWCWSNAP"
	headerSize     = 52
	lockFile       = "crossword.lock"
	tempFilePrefix = SnapshotFile + ".tmp-"
)

// SnapshotVersion is the snapshot format this build writes and reads.
const SnapshotVersion = 1

// ErrCorruptSnapshot is wrapped by the error of a snapshot that cannot be
// used: truncated, damaged, of another format or another world's shape.
// Init fails with it, naming the file, and leaves the file as it is.
var ErrCorruptSnapshot = errors.New("corrupt crossword snapshot")

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorruptSnapshot, fmt.Sprintf(format, args...))
}

// EncodeSnapshot returns the snapshot file's bytes for the world s.
func EncodeSnapshot(s *crosswordv1.State) ([]byte, error) {
	payload, err := proto.MarshalOptions{Deterministic: true}.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("marshal crossword snapshot: %w", err)
	}
	out := make([]byte, headerSize, headerSize+len(payload))
	copy(out, snapshotMagic)
	binary.BigEndian.PutUint32(out[8:], SnapshotVersion)
	binary.BigEndian.PutUint64(out[12:], uint64(len(payload)))
	sum := sha256.Sum256(payload)
	copy(out[20:], sum[:])
	return append(out, payload...), nil
}

// DecodeSnapshot checks a snapshot file's bytes and returns the world in
// it. Its errors wrap ErrCorruptSnapshot and say what is wrong.
func DecodeSnapshot(data []byte) (*crosswordv1.State, error) {
	if len(data) < headerSize {
		if len(data) >= len(snapshotMagic) && string(data[:len(snapshotMagic)]) != snapshotMagic {
			return nil, corrupt("not a crossword snapshot (no %q header)", snapshotMagic)
		}
		return nil, corrupt("truncated: %d bytes, shorter than the %d-byte header", len(data), headerSize)
	}
	if string(data[:8]) != snapshotMagic {
		return nil, corrupt("not a crossword snapshot (no %q header)", snapshotMagic)
	}
	if v := binary.BigEndian.Uint32(data[8:]); v != SnapshotVersion {
		return nil, corrupt("format version %d; this build reads version %d", v, SnapshotVersion)
	}
	n := binary.BigEndian.Uint64(data[12:])
	payload := data[headerSize:]
	if uint64(len(payload)) != n {
		return nil, corrupt("truncated or padded: the header announces %d bytes of data, the file has %d", n, len(payload))
	}
	if sum := sha256.Sum256(payload); !bytes.Equal(sum[:], data[20:52]) {
		return nil, corrupt("checksum mismatch: the data is damaged")
	}
	s := &crosswordv1.State{}
	if err := proto.Unmarshal(payload, s); err != nil {
		return nil, corrupt("decode: %v", err)
	}
	return s, nil
}

// saver owns the world's data directory while a room has it open: the lock
// file, and the writer goroutine that puts snapshots on disk. Its fields
// are the room goroutine's, except ch and what the writer alone touches
// (failing).
type saver struct {
	dir, path string
	lock      *os.File
	m         *metrics
	log       zerolog.Logger
	every     time.Duration

	ch chan *crosswordv1.State // to the writer; at most one waiting
	wg sync.WaitGroup          // the writer

	// On the room's goroutine.
	dirty   bool      // the world changed since the last copy handed over
	last    time.Time // when it was handed over
	players map[string]*crosswordv1.Player
	changed map[string]struct{} // players whose copy in players is stale

	failing bool // the last write failed (the writer's)
}

// openSaver takes dir's lock and reads its snapshot, nil if there is none.
func openSaver(dir string, every time.Duration, m *metrics, log zerolog.Logger) (*saver, *crosswordv1.State, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("crossword data dir: %w", err)
	}
	lock, err := lockDir(filepath.Join(dir, lockFile))
	if err != nil {
		return nil, nil, fmt.Errorf("crossword data dir %s: %w", dir, err)
	}
	sv := &saver{
		dir: dir, path: filepath.Join(dir, SnapshotFile), lock: lock, m: m, every: every,
		log:     log.With().Str("file", filepath.Join(dir, SnapshotFile)).Logger(),
		ch:      make(chan *crosswordv1.State, 1),
		players: map[string]*crosswordv1.Player{},
		changed: map[string]struct{}{},
	}
	// Temporary files of a write that a crash interrupted.
	if old, _ := filepath.Glob(filepath.Join(dir, tempFilePrefix+"*")); len(old) > 0 {
		for _, f := range old {
			_ = os.Remove(f)
		}
	}
	data, err := os.ReadFile(sv.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return sv, nil, nil
	case err != nil:
		sv.abandon()
		return nil, nil, fmt.Errorf("crossword: read snapshot: %w", err)
	}
	s, err := DecodeSnapshot(data)
	if err != nil {
		sv.abandon()
		return nil, nil, fmt.Errorf("crossword: snapshot %s: %w (the file is left as it is: move it away to start an empty world)", sv.path, err)
	}
	return sv, s, nil
}

// start starts the writer.
func (sv *saver) start() { sv.wg.Go(sv.run) }

// stop waits for the writer to write what it was handed, and lets go of
// the directory.
func (sv *saver) stop() {
	close(sv.ch)
	sv.wg.Wait()
	sv.abandon()
}

// abandon lets go of the directory's lock.
func (sv *saver) abandon() { _ = sv.lock.Close() }

// dirtyPlayer notes that player id changed.
func (sv *saver) dirtyPlayer(id string) {
	sv.changed[id] = struct{}{}
	sv.dirty = true
}

// maybeSave hands the writer a copy of the world if it changed and the
// last one is at least every old (or, with final, waits to hand over the
// last one). The writer being busy defers the copy to a later tick.
func (sv *saver) maybeSave(s *crosswordv1.State, now time.Time, final bool) {
	if !final && (!sv.dirty || now.Sub(sv.last) < sv.every) {
		return
	}
	if final && !sv.dirty {
		return
	}
	c := sv.copyOf(s)
	if final {
		sv.ch <- c
	} else {
		select {
		case sv.ch <- c:
		default:
			return // the writer is still on the previous one
		}
	}
	sv.dirty = false
	sv.last = now
}

// copyOf returns a copy of s that the writer can marshal while the room
// goes on: chunks are shared (never changed in place), players copied only
// when they changed since the last copy.
func (sv *saver) copyOf(s *crosswordv1.State) *crosswordv1.State {
	for id := range sv.changed {
		sv.players[id] = proto.CloneOf(s.Players[id])
	}
	clear(sv.changed)
	return &crosswordv1.State{
		Rules:       s.Rules,
		Chunks:      maps.Clone(s.Chunks),
		Players:     maps.Clone(sv.players),
		Overview:    proto.CloneOf(s.Overview),
		Leaderboard: slices.Clone(s.Leaderboard),
		NextNumber:  s.NextNumber,
		Plays:       s.Plays,
	}
}

// run is the writer: it writes each world it is handed, until ch closes.
func (sv *saver) run() {
	for s := range sv.ch {
		start := time.Now()
		n, err := sv.write(s)
		sv.m.snapshotSecs.Observe(time.Since(start).Seconds())
		if err != nil {
			sv.m.snapshots.WithLabelValues("error").Inc()
			if !sv.failing {
				sv.log.Error().Err(err).Msg("crossword snapshot failed; retrying at the next one")
			}
			sv.failing = true
			continue
		}
		sv.m.snapshots.WithLabelValues("ok").Inc()
		sv.m.snapshotBytes.Set(float64(n))
		if sv.failing {
			sv.log.Info().Msg("crossword snapshot written again")
		}
		sv.failing = false
		sv.log.Debug().Int("bytes", n).Dur("took", time.Since(start)).Msg("crossword snapshot written")
	}
}

// write puts s in the snapshot file atomically: a temporary file is
// written and synced, renamed over the old one, and the directory synced,
// so a crash leaves either the old snapshot or the new one.
func (sv *saver) write(s *crosswordv1.State) (int, error) {
	data, err := EncodeSnapshot(s)
	if err != nil {
		return 0, err
	}
	return len(data), writeAtomic(sv.dir, sv.path, data)
}

func writeAtomic(dir, path string, data []byte) (err error) {
	f, err := os.CreateTemp(dir, tempFilePrefix+"*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// restore makes the state s the world of snapshot loaded, checking that it
// is whole, and rebuilds what the game derives from it.
func (g *Game) restore(s, loaded *crosswordv1.State) error {
	if r := loaded.Rules; r == nil || r.WorldSize != WorldSize || r.ChunkSize != ChunkSize {
		return corrupt("made for a world of %d cells in chunks of %d; this build has %d and %d", r.GetWorldSize(), r.GetChunkSize(), WorldSize, ChunkSize)
	}
	next := loaded.NextNumber
	if next == 0 {
		return corrupt("next_number is 0")
	}
	var tiles uint64
	regions := map[uint32]uint32{}
	for key, c := range loaded.Chunks {
		if key >= ChunksPerSide*ChunksPerSide || c == nil || len(c.Letters) != ChunkSize*ChunkSize {
			return corrupt("chunk %d is malformed", key)
		}
		filled := 0
		for idx, l := range c.Letters {
			if l == 0 {
				continue
			}
			filled++
			p := c.Placed[uint32(idx)]
			if l < 'a' || l > 'z' || p == nil || p.Player == 0 || p.Player >= next {
				return corrupt("chunk %d, cell %d: bad tile %q placed by %d", key, idx, l, p.GetPlayer())
			}
			x := int(key%ChunksPerSide)*ChunkSize + idx%ChunkSize
			y := int(key/ChunksPerSide)*ChunkSize + idx/ChunkSize
			regions[regionOf(x, y)]++
		}
		if filled != len(c.Placed) || filled == 0 {
			return corrupt("chunk %d: %d tiles but %d placements", key, filled, len(c.Placed))
		}
		tiles += uint64(filled)
	}
	numbers := map[uint32]bool{}
	for id, st := range loaded.Players {
		if st == nil || st.Number == 0 || st.Number >= next || numbers[st.Number] || len(st.Rack) > RackSize || st.Lives > MaxLives {
			return corrupt("player %q is malformed", id)
		}
		for i := range len(st.Rack) {
			if st.Rack[i] < 'a' || st.Rack[i] > 'z' {
				return corrupt("player %q: bad rack %q", id, st.Rack)
			}
		}
		numbers[st.Number] = true
	}

	s.Chunks = loaded.Chunks
	if s.Chunks == nil {
		s.Chunks = map[uint32]*crosswordv1.Chunk{}
	}
	s.Players = loaded.Players
	if s.Players == nil {
		s.Players = map[string]*crosswordv1.Player{}
	}
	s.NextNumber = next
	s.Plays = loaded.Plays
	s.Overview.Tiles = regions
	g.totalTiles = tiles
	for id, st := range s.Players {
		st.Online = false
		if st.View == nil {
			st.View = &crosswordv1.View{X: Centre - DefaultView/2, Y: Centre - DefaultView/2, W: DefaultView, H: DefaultView}
		}
		g.players[id] = &player{id: id, st: st, region: -1}
		g.saver.dirtyPlayer(id)
	}
	g.saver.dirty = false // nothing new to write
	return nil
}

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

// The snapshot file: a 60-byte header, then the world as a protobuf
// tickwire.crossword.v1.State.
//
//	offset  size  field
//	     0     8  magic "TWCWSNAP"
//	     8     4  format version, big-endian (SnapshotVersion)
//	    12     8  journal sequence, big-endian: the last journal record
//	              the snapshot includes (see journal.go)
//	    20     8  payload length, big-endian
//	    28    32  SHA-256 of the payload
//	    60     n  payload
//
// Version 1 (written before the journal) had no sequence: a 52-byte
// header of magic, version, length and SHA-256. It is still read, as
// sequence 0.
const (
	snapshotMagic  = "TWCWSNAP"
	headerSize     = 60
	headerSizeV1   = 52
	lockFile       = "crossword.lock"
	tempFilePrefix = SnapshotFile + ".tmp-"
)

// SnapshotVersion is the snapshot format this build writes. It reads
// versions 1 and 2.
const SnapshotVersion = 2

// ErrCorruptSnapshot is wrapped by the error of a snapshot that cannot be
// used: truncated, damaged, of another format or another world's shape.
// Init fails with it, naming the file, and leaves the file as it is.
var ErrCorruptSnapshot = errors.New("corrupt crossword snapshot")

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorruptSnapshot, fmt.Sprintf(format, args...))
}

// EncodeSnapshot returns the snapshot file's bytes for the world s, with
// journal sequence 0.
func EncodeSnapshot(s *crosswordv1.State) ([]byte, error) { return encodeSnapshot(s, 0) }

// encodeSnapshot returns the snapshot file's bytes for the world s, which
// holds every journal record up to seq.
func encodeSnapshot(s *crosswordv1.State, seq uint64) ([]byte, error) {
	payload, err := proto.MarshalOptions{Deterministic: true}.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("marshal crossword snapshot: %w", err)
	}
	out := make([]byte, headerSize, headerSize+len(payload))
	copy(out, snapshotMagic)
	binary.BigEndian.PutUint32(out[8:], SnapshotVersion)
	binary.BigEndian.PutUint64(out[12:], seq)
	binary.BigEndian.PutUint64(out[20:], uint64(len(payload)))
	sum := sha256.Sum256(payload)
	copy(out[28:], sum[:])
	return append(out, payload...), nil
}

// DecodeSnapshot checks a snapshot file's bytes and returns the world in
// it. Its errors wrap ErrCorruptSnapshot and say what is wrong.
func DecodeSnapshot(data []byte) (*crosswordv1.State, error) {
	s, _, err := decodeSnapshot(data)
	return s, err
}

// decodeSnapshot is DecodeSnapshot, also returning the journal sequence
// the snapshot includes.
func decodeSnapshot(data []byte) (*crosswordv1.State, uint64, error) {
	if len(data) < len(snapshotMagic) || string(data[:len(snapshotMagic)]) != snapshotMagic {
		if len(data) < len(snapshotMagic) && string(data) == snapshotMagic[:len(data)] {
			return nil, 0, corrupt("truncated: %d bytes, shorter than the %d-byte header", len(data), headerSize)
		}
		return nil, 0, corrupt("not a crossword snapshot (no %q header)", snapshotMagic)
	}
	if len(data) < 12 {
		return nil, 0, corrupt("truncated: %d bytes, shorter than the %d-byte header", len(data), headerSize)
	}
	var seq uint64
	var n uint64
	var sum []byte
	switch v := binary.BigEndian.Uint32(data[8:]); v {
	case 1:
		if len(data) < headerSizeV1 {
			return nil, 0, corrupt("truncated: %d bytes, shorter than the %d-byte header", len(data), headerSizeV1)
		}
		n, sum, data = binary.BigEndian.Uint64(data[12:]), data[20:52], data[headerSizeV1:]
	case SnapshotVersion:
		if len(data) < headerSize {
			return nil, 0, corrupt("truncated: %d bytes, shorter than the %d-byte header", len(data), headerSize)
		}
		seq, n, sum, data = binary.BigEndian.Uint64(data[12:]), binary.BigEndian.Uint64(data[20:]), data[28:60], data[headerSize:]
	default:
		return nil, 0, corrupt("format version %d; this build reads versions 1 and %d", v, SnapshotVersion)
	}
	if uint64(len(data)) != n {
		return nil, 0, corrupt("truncated or padded: the header announces %d bytes of data, the file has %d", n, len(data))
	}
	if got := sha256.Sum256(data); !bytes.Equal(got[:], sum) {
		return nil, 0, corrupt("checksum mismatch: the data is damaged")
	}
	s := &crosswordv1.State{}
	if err := proto.Unmarshal(data, s); err != nil {
		return nil, 0, corrupt("decode: %v", err)
	}
	return s, seq, nil
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

	ch chan snapshotJob // to the writer; at most one waiting
	wg sync.WaitGroup   // the writer
	// written, if not nil, runs on the writer once a snapshot holding the
	// journal up to seq is on disk (the journal's compaction).
	written func(seq uint64)

	// On the room's goroutine.
	dirty   bool      // the world changed since the last copy handed over
	last    time.Time // when it was handed over
	players map[string]*crosswordv1.Player
	changed map[string]struct{} // players whose copy in players is stale
	handed  int                 // snapshots handed to the writer

	failing bool // the last write failed (the writer's)
}

// snapshotJob is a copy of the world for the writer, and the last journal
// sequence it holds.
type snapshotJob struct {
	s   *crosswordv1.State
	seq uint64
}

// openSaver takes dir's lock and reads its snapshot, nil if there is none,
// and the journal sequence it holds.
func openSaver(dir string, every time.Duration, m *metrics, log zerolog.Logger) (*saver, *crosswordv1.State, uint64, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, 0, fmt.Errorf("crossword data dir: %w", err)
	}
	lock, err := lockDir(filepath.Join(dir, lockFile))
	if err != nil {
		return nil, nil, 0, fmt.Errorf("crossword data dir %s: %w", dir, err)
	}
	sv := &saver{
		dir: dir, path: filepath.Join(dir, SnapshotFile), lock: lock, m: m, every: every,
		log:     log.With().Str("file", filepath.Join(dir, SnapshotFile)).Logger(),
		ch:      make(chan snapshotJob, 1),
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
		return sv, nil, 0, nil
	case err != nil:
		sv.abandon()
		return nil, nil, 0, fmt.Errorf("crossword: read snapshot: %w", err)
	}
	s, seq, err := decodeSnapshot(data)
	if err != nil {
		sv.abandon()
		return nil, nil, 0, fmt.Errorf("crossword: snapshot %s: %w (the file is left as it is: move it away to start an empty world)", sv.path, err)
	}
	return sv, s, seq, nil
}

// start starts the writer.
func (sv *saver) start() { sv.wg.Go(sv.run) }

// stop waits for the writer to write what it was handed. The directory
// stays locked until abandon.
func (sv *saver) stop() {
	close(sv.ch)
	sv.wg.Wait()
}

// abandon lets go of the directory's lock.
func (sv *saver) abandon() { _ = sv.lock.Close() }

// dirtyPlayer notes that player id changed.
func (sv *saver) dirtyPlayer(id string) {
	sv.changed[id] = struct{}{}
	sv.dirty = true
}

// maybeSave hands the writer a copy of the world, which holds the journal
// up to seq, if it changed and the last one is at least every old (or,
// with final, waits to hand over the last one). The writer being busy
// defers the copy to a later tick.
func (sv *saver) maybeSave(s *crosswordv1.State, seq uint64, now time.Time, final bool) {
	if !final && (!sv.dirty || now.Sub(sv.last) < sv.every) {
		return
	}
	if final && !sv.dirty {
		return
	}
	c := snapshotJob{sv.copyOf(s), seq}
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
	sv.handed++
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
	for job := range sv.ch {
		start := time.Now()
		n, err := sv.write(job)
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
		if sv.written != nil {
			sv.written(job.seq)
		}
		sv.log.Debug().Int("bytes", n).Dur("took", time.Since(start)).Msg("crossword snapshot written")
	}
}

// write puts s in the snapshot file atomically: a temporary file is
// written and synced, renamed over the old one, and the directory synced,
// so a crash leaves either the old snapshot or the new one.
func (sv *saver) write(job snapshotJob) (int, error) {
	data, err := encodeSnapshot(job.s, job.seq)
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
	return syncDir(dir)
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
	g.totalTiles, g.pubTiles = tiles, tiles
	g.pubChunks = maps.Clone(s.Chunks)
	for id, st := range s.Players {
		st.Online = false
		if st.View == nil {
			st.View = &crosswordv1.View{X: Centre - DefaultView/2, Y: Centre - DefaultView/2, W: DefaultView, H: DefaultView}
		}
		g.players[id] = &player{id: id, st: st, region: -1, pub: proto.CloneOf(st)}
		g.saver.dirtyPlayer(id)
	}
	g.saver.dirty = false // nothing new to write
	return nil
}

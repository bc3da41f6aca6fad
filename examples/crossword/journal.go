package crossword

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"google.golang.org/protobuf/proto"

	crosswordv1 "github.com/tickwire/tickwire/proto/tickwire/crossword/v1"
)

// The journal file (JournalFile, beside the snapshot) holds what changed
// in the world since the snapshot: a 12-byte header, then records, each
// one tick's changes, in sequence.
//
//	header   offset  size  field
//	              0     8  magic "TWCWJRNL"
//	              8     4  format version, big-endian (journalVersion)
//	record   offset  size  field
//	              0     4  payload length n, big-endian
//	              4     4  CRC-32C (Castagnoli) of the payload, big-endian
//	              8     8  sequence number, big-endian (the payload's start)
//	             16   n-8  the changes: a protobuf tickwire.crossword.v1.State
//
// A record's State holds the players the tick changed, whole (their state
// after the tick); the tiles it placed, as chunks whose letters are zero
// but for the new tiles and whose placed map has only the new tiles; and
// next_number and plays as they are after the tick. Sequence numbers go up
// by one from record to record; a snapshot's header names the last one it
// includes, and replay at start applies the records after it.
//
// The file is only ever appended to, except when it is replaced whole
// (written to a temporary file, synced, renamed over it, the directory
// synced): at start, and after each snapshot, keeping only the records the
// snapshot lacks. A crash therefore leaves the old journal or the new one,
// each complete with the snapshot beside it, or a journal whose last record
// was being appended: that torn record was never synced, so never
// acknowledged, and is cut off at the next start with a log line.
const (
	journalMagic      = "TWCWJRNL"
	journalVersion    = 1
	journalHeaderSize = 12
	// recordHeaderSize is the length and the checksum before a payload.
	recordHeaderSize = 8
	// maxRecord bounds a record's payload (a tick of 20,000 players
	// changing their whole state is about 3 MB).
	maxRecord = 64 << 20
	// journalTempPrefix names the temporary files of a journal being
	// replaced.
	journalTempPrefix = JournalFile + ".tmp-"
	// journalQueue is the capacity of the channel of sealed records to the
	// journal writer: 64 ticks, 6.4 s at 10 Hz.
	journalQueue = 64
	// maxUnsynced is how many records may be handed to the writer and not
	// yet synced before the room holds the next ones back (see
	// Game.seal).
	maxUnsynced = 2 * journalQueue
	// journalRetry is how soon the writer tries again after a failed
	// write or sync.
	journalRetry = time.Second
)

// JournalFile is the journal's file name inside Config.DataDir.
const JournalFile = "crossword.journal"

// ErrCorruptJournal is wrapped by the error of a journal that cannot be
// replayed: a damaged record with more after it, records out of sequence
// or missing after the snapshot, or another format. Init fails with it,
// naming the file, and leaves the file as it is.
var ErrCorruptJournal = errors.New("corrupt crossword journal")

func corruptJournal(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorruptJournal, fmt.Sprintf(format, args...))
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// record is one tick's changes to the world, sealed on the room's
// goroutine (Game.seal) and immutable afterwards: the journal writer
// encodes it while the room publishes it once it is synced.
type record struct {
	seq uint64
	// players are the changed players' states after the tick (copies).
	players map[string]*crosswordv1.Player
	// chunks are the changed chunks after the tick (the state's own:
	// chunks are never changed in place).
	chunks map[uint32]*crosswordv1.Chunk
	// tiles are the tiles placed, in order.
	tiles      []placedTile
	nextNumber uint32
	plays      uint64
}

// placedTile is a tile a record placed: cell idx of chunk key.
type placedTile struct {
	key    uint32
	idx    uint16
	letter byte
	placed *crosswordv1.Placed
}

// appendRecord appends r's encoding, header included, to buf.
func appendRecord(buf []byte, r *record) ([]byte, error) {
	change := &crosswordv1.State{Players: r.players, NextNumber: r.nextNumber, Plays: r.plays}
	if len(r.tiles) > 0 {
		change.Chunks = make(map[uint32]*crosswordv1.Chunk, len(r.chunks))
		for _, t := range r.tiles {
			c := change.Chunks[t.key]
			if c == nil {
				c = &crosswordv1.Chunk{Letters: make([]byte, ChunkSize*ChunkSize), Placed: map[uint32]*crosswordv1.Placed{}}
				change.Chunks[t.key] = c
			}
			c.Letters[t.idx] = t.letter
			c.Placed[uint32(t.idx)] = t.placed
		}
	}
	start := len(buf)
	buf = append(buf, make([]byte, recordHeaderSize+8)...)
	binary.BigEndian.PutUint64(buf[start+recordHeaderSize:], r.seq)
	buf, err := proto.MarshalOptions{Deterministic: true}.MarshalAppend(buf, change)
	if err != nil {
		return buf[:start], fmt.Errorf("marshal journal record %d: %w", r.seq, err)
	}
	payload := buf[start+recordHeaderSize:]
	if len(payload) > maxRecord {
		return buf[:start], fmt.Errorf("journal record %d: %d bytes, more than %d", r.seq, len(payload), maxRecord)
	}
	binary.BigEndian.PutUint32(buf[start:], uint32(len(payload)))
	binary.BigEndian.PutUint32(buf[start+4:], crc32.Checksum(payload, castagnoli))
	return buf, nil
}

// journalEntry is a record as read back: its sequence number, its changes
// (see the file comment) and where it lies in the file.
type journalEntry struct {
	seq        uint64
	change     *crosswordv1.State
	start, end int
}

// parseJournal reads a journal file's bytes. It returns its records and
// the length of the part that holds whole records: shorter than data when
// the last record is torn (cut short, or damaged and reaching the end of
// the file, or followed by zeros only), which a crash in the middle of an
// append leaves. A damaged record with data after it, a sequence that does
// not go up by one, or a bad header is an error wrapping ErrCorruptJournal.
func parseJournal(data []byte) ([]journalEntry, int, error) {
	if len(data) < journalHeaderSize {
		return nil, 0, corruptJournal("truncated: %d bytes, shorter than the %d-byte header", len(data), journalHeaderSize)
	}
	if string(data[:8]) != journalMagic {
		return nil, 0, corruptJournal("not a crossword journal (no %q header)", journalMagic)
	}
	if v := binary.BigEndian.Uint32(data[8:]); v != journalVersion {
		return nil, 0, corruptJournal("format version %d; this build reads version %d", v, journalVersion)
	}
	var out []journalEntry
	off := journalHeaderSize
	for off < len(data) {
		rest := data[off:]
		if len(rest) < recordHeaderSize {
			return out, off, nil // torn: part of a record header
		}
		n := int(binary.BigEndian.Uint32(rest))
		if n < 8 || n > maxRecord {
			if allZero(rest) {
				return out, off, nil // torn: the file grew but the data never came
			}
			return out, off, corruptJournal("record at offset %d: length %d is impossible", off, n)
		}
		if len(rest) < recordHeaderSize+n {
			return out, off, nil // torn: cut short
		}
		payload := rest[recordHeaderSize : recordHeaderSize+n]
		if crc32.Checksum(payload, castagnoli) != binary.BigEndian.Uint32(rest[4:]) {
			if len(rest) == recordHeaderSize+n || allZero(rest[recordHeaderSize+n:]) {
				return out, off, nil // torn: the last record's bytes did not all reach the disk
			}
			return out, off, corruptJournal("record at offset %d: checksum mismatch, with %d bytes after it", off, len(rest)-recordHeaderSize-n)
		}
		seq := binary.BigEndian.Uint64(payload)
		if len(out) > 0 && seq != out[len(out)-1].seq+1 {
			return out, off, corruptJournal("record at offset %d: sequence %d after %d", off, seq, out[len(out)-1].seq)
		}
		change := &crosswordv1.State{}
		if err := proto.Unmarshal(payload[8:], change); err != nil {
			return out, off, corruptJournal("record %d at offset %d: decode: %v", seq, off, err)
		}
		out = append(out, journalEntry{seq: seq, change: change, start: off, end: off + recordHeaderSize + n})
		off += recordHeaderSize + n
	}
	return out, off, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// applyChange applies one record's changes to the world w (a snapshot as
// read, not yet restored: restore checks the result as a whole).
func applyChange(w, change *crosswordv1.State, seq uint64) error {
	if change.NextNumber < w.NextNumber || change.Plays < w.Plays {
		return corruptJournal("record %d: next_number %d and plays %d go back from %d and %d", seq, change.NextNumber, change.Plays, w.NextNumber, w.Plays)
	}
	for key, c := range change.Chunks {
		if key >= ChunksPerSide*ChunksPerSide || c == nil || len(c.Letters) != ChunkSize*ChunkSize {
			return corruptJournal("record %d: chunk %d is malformed", seq, key)
		}
		fresh := cloneChunk(w.Chunks[key])
		added := 0
		for idx, l := range c.Letters {
			if l == 0 {
				continue
			}
			p := c.Placed[uint32(idx)]
			if p == nil || fresh.Letters[idx] != 0 {
				return corruptJournal("record %d: chunk %d, cell %d: a tile without a placement, or on a filled cell", seq, key, idx)
			}
			fresh.Letters[idx] = l
			fresh.Placed[uint32(idx)] = p
			added++
		}
		if added != len(c.Placed) {
			return corruptJournal("record %d: chunk %d: %d tiles but %d placements", seq, key, added, len(c.Placed))
		}
		if w.Chunks == nil {
			w.Chunks = map[uint32]*crosswordv1.Chunk{}
		}
		w.Chunks[key] = fresh
	}
	for id, p := range change.Players {
		if p == nil {
			return corruptJournal("record %d: player %q is empty", seq, id)
		}
		if w.Players == nil {
			w.Players = map[string]*crosswordv1.Player{}
		}
		w.Players[id] = p
	}
	w.NextNumber, w.Plays = change.NextNumber, change.Plays
	return nil
}

// journal owns the journal file while a room has the world open, and the
// writer goroutine that appends and syncs records. The room hands it
// sealed records through ch and reads how far they are synced from
// synced; the snapshot writer asks for the file to be cut to the records
// after a snapshot through compactTo. Everything else is the writer's.
type journal struct {
	dir, path string
	log       zerolog.Logger
	m         *metrics

	ch        chan *record  // sealed records, in sequence
	synced    atomic.Uint64 // the last sequence on disk
	compactTo atomic.Uint64 // the last sequence of the newest snapshot on disk
	wake      chan struct{} // compactTo moved
	wg        sync.WaitGroup
	// failWrites makes every write fail, as a full or failing disk does
	// (tests).
	failWrites atomic.Bool

	// The writer's.
	f         *os.File
	tail      []byte   // the records in the file after its header
	tailSeqs  []uint64 // their sequence numbers
	tailEnds  []int    // and where each ends in tail
	compacted uint64   // compactTo when the file was last replaced
	failing   bool     // the last write or sync failed: the file is rewritten whole next
	broken    error    // a record could not be encoded: nothing more is written
}

// openJournal reads dir's journal, if there is one, and returns the
// records after seq (the snapshot's), in sequence. It changes nothing on
// disk: once the world is restored, begin replaces the file by one holding
// just those records, so that the file always starts consistent with the
// snapshot beside it (a torn last record is cut off then; it is logged
// here). A damaged journal is an error naming it, and is left as it is.
func openJournal(dir string, seq uint64, m *metrics, log zerolog.Logger) (*journal, []journalEntry, error) {
	path := filepath.Join(dir, JournalFile)
	jr := &journal{
		dir: dir, path: path, m: m,
		log:  log.With().Str("file", path).Logger(),
		ch:   make(chan *record, journalQueue),
		wake: make(chan struct{}, 1),
	}
	if old, _ := filepath.Glob(filepath.Join(dir, journalTempPrefix+"*")); len(old) > 0 {
		for _, f := range old {
			_ = os.Remove(f)
		}
	}
	data, err := os.ReadFile(path)
	var entries []journalEntry
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, nil, fmt.Errorf("crossword: read journal: %w", err)
	default:
		all, valid, err := parseJournal(data)
		if err != nil {
			return nil, nil, fmt.Errorf("crossword: journal %s: %w (the file is left as it is: move it away to start from the snapshot alone, losing what the journal holds)", path, err)
		}
		if valid < len(data) {
			jr.log.Warn().Int("offset", valid).Int("bytes", len(data)-valid).Msg("crossword journal: a torn last record (a write the process did not finish) is cut off")
		}
		for _, e := range all {
			if e.seq <= seq {
				continue
			}
			if len(entries) == 0 && e.seq != seq+1 {
				return nil, nil, fmt.Errorf("crossword: journal %s: %w (the file is left as it is)", path,
					corruptJournal("the snapshot holds records up to %d but the journal goes on from %d: records are missing", seq, e.seq))
			}
			entries = append(entries, e)
			jr.tail = append(jr.tail, data[e.start:e.end]...)
			jr.tailSeqs = append(jr.tailSeqs, e.seq)
			jr.tailEnds = append(jr.tailEnds, len(jr.tail))
		}
	}
	jr.compacted = seq
	jr.compactTo.Store(seq)
	last := seq
	if len(entries) > 0 {
		last = entries[len(entries)-1].seq
	}
	jr.synced.Store(last)
	return jr, entries, nil
}

// begin replaces the file by one holding the records openJournal kept,
// and starts the writer.
func (jr *journal) begin() error {
	if err := jr.replace(); err != nil {
		return fmt.Errorf("crossword: journal %s: %w", jr.path, err)
	}
	jr.m.journalBytes.Set(float64(journalHeaderSize + len(jr.tail)))
	jr.wg.Go(jr.run)
	return nil
}

// stop waits for the writer to sync every record it was handed and to
// act on the last compaction asked for, then closes the file.
func (jr *journal) stop() {
	close(jr.ch)
	jr.wg.Wait()
}

// close closes the file of a journal whose writer never started.
func (jr *journal) close() {
	if jr.f != nil {
		_ = jr.f.Close()
	}
}

// compact asks the writer to drop the records up to seq, which a snapshot
// now on disk holds. It does not block (the snapshot writer calls it).
func (jr *journal) compact(seq uint64) {
	jr.compactTo.Store(seq)
	select {
	case jr.wake <- struct{}{}:
	default:
	}
}

// run is the writer: it appends every batch of records waiting and syncs
// it (one fsync per batch, so at least one per tick that changed the
// world, fewer when the disk is slower than the ticks), then publishes the
// last synced sequence; between batches it replaces the file when a
// snapshot made records unneeded.
func (jr *journal) run() {
	defer jr.close()
	var batch []*record
	var retry <-chan time.Time
	for {
		select {
		case r, ok := <-jr.ch:
			if !ok {
				jr.flush(nil)
				jr.maybeCompact()
				return
			}
			batch = append(batch[:0], r)
			for more := true; more; {
				select {
				case r, ok := <-jr.ch:
					if !ok {
						jr.flush(batch)
						jr.maybeCompact()
						return
					}
					batch = append(batch, r)
				default:
					more = false
				}
			}
			jr.flush(batch)
			clear(batch)
		case <-jr.wake:
			jr.maybeCompact()
		case <-retry:
			jr.flush(nil)
		}
		retry = nil
		if jr.failing {
			retry = time.After(journalRetry)
		}
	}
}

// flush writes batch and syncs the file, and on success publishes the
// last sequence synced. A failure is logged once (the next success says
// so); the records stay in the tail, and the next attempt (the next batch,
// or journalRetry later) rewrites the whole file, since the failed one may
// have left part of a record.
func (jr *journal) flush(batch []*record) {
	if len(batch) == 0 && !jr.failing {
		return
	}
	start := time.Now()
	err := jr.write(batch)
	jr.m.journalSyncSecs.Observe(time.Since(start).Seconds())
	if err != nil {
		jr.m.journalSyncs.WithLabelValues("error").Inc()
		if !jr.failing {
			jr.log.Error().Err(err).Msg("crossword journal write failed: plays are not acknowledged until it works again; retrying")
		}
		jr.failing = true
		return
	}
	jr.m.journalSyncs.WithLabelValues("ok").Inc()
	if jr.failing {
		jr.log.Info().Msg("crossword journal written again")
	}
	jr.failing = false
	if n := len(jr.tailSeqs); n > 0 {
		jr.synced.Store(jr.tailSeqs[n-1])
	}
}

// write appends batch to the tail and puts it in the file: appended and
// synced, or, after a failure, the whole file replaced.
func (jr *journal) write(batch []*record) error {
	if jr.broken != nil {
		return jr.broken
	}
	before := len(jr.tail)
	for _, r := range batch {
		var err error
		if jr.tail, err = appendRecord(jr.tail, r); err != nil {
			// A record that cannot be encoded is a bug; the ones after it
			// would be out of sequence, so nothing more is acknowledged.
			jr.broken = err
			return err
		}
		jr.tailSeqs = append(jr.tailSeqs, r.seq)
		jr.tailEnds = append(jr.tailEnds, len(jr.tail))
	}
	if jr.failWrites.Load() {
		return errors.New("write failed (injected)")
	}
	if jr.failing {
		return jr.replace()
	}
	if _, err := jr.f.Write(jr.tail[before:]); err != nil {
		return err
	}
	return jr.f.Sync()
}

// maybeCompact replaces the file by one holding only the records after
// the newest snapshot, if a snapshot since the last replacement made some
// unneeded. A failure leaves the old file, which is still right with the
// new snapshot: it holds more than needed, and replay skips what the
// snapshot has.
func (jr *journal) maybeCompact() {
	to := jr.compactTo.Load()
	if to <= jr.compacted || jr.failing {
		return
	}
	i := 0
	for i < len(jr.tailSeqs) && jr.tailSeqs[i] <= to {
		i++
	}
	if i > 0 {
		cut := jr.tailEnds[i-1]
		jr.tail = append(jr.tail[:0], jr.tail[cut:]...)
		jr.tailSeqs = append(jr.tailSeqs[:0], jr.tailSeqs[i:]...)
		ends := jr.tailEnds[:0]
		for _, e := range jr.tailEnds[i:] {
			ends = append(ends, e-cut)
		}
		jr.tailEnds = ends
	}
	if err := jr.replace(); err != nil {
		jr.log.Error().Err(err).Msg("crossword journal compaction failed; the journal keeps the records the snapshot has too")
		return
	}
	jr.compacted = to
	jr.m.journalBytes.Set(float64(journalHeaderSize + len(jr.tail)))
}

// replace writes a new journal file of the header and the tail, synced,
// renames it over the old one and syncs the directory; appends go to the
// new file afterwards.
func (jr *journal) replace() (err error) {
	f, err := os.CreateTemp(jr.dir, journalTempPrefix+"*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	hdr := make([]byte, journalHeaderSize, journalHeaderSize+len(jr.tail))
	copy(hdr, journalMagic)
	binary.BigEndian.PutUint32(hdr[8:], journalVersion)
	if _, err = f.Write(append(hdr, jr.tail...)); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), jr.path); err != nil {
		return err
	}
	if err = syncDir(jr.dir); err != nil {
		return err
	}
	if jr.f != nil {
		_ = jr.f.Close()
	}
	jr.f = f
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

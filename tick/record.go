package tick

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"google.golang.org/protobuf/proto"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/version"
)

// RecordOptions turn on the recording of a game's rooms (GameInfo.Record):
// a log of what makes a room happen (its seed, the players' joins and
// leaves, every applied input with its tick, the refusals, and a hash of
// the state every HashEvery ticks), which Replay re-runs tick by tick to
// check that the game does the same again (docs/replay.md). The zero value
// records nothing. Every default is on its field.
//
// Recording runs on the room's goroutine, without goroutines of its own,
// into a buffered writer flushed once a second of ticks and when the room
// ends.
type RecordOptions struct {
	// Dir, when set, gets one log file per room, named
	// GAME-ROOMID-YYYYMMDDTHHMMSS.twr. The directory is created if needed.
	Dir string
	// Writer, when set, gets the log instead of a file (tests, a harness:
	// one room at a time; the room writes it on its goroutine, so it must
	// not block).
	Writer io.Writer
	// Sink, when set, opens each room's log instead of a file in Dir: a
	// stream of a message broker (a JetStream stream in cluster mode), a
	// remote store. Writes come from the room's goroutine through a 32 KiB
	// buffer.
	Sink RecordSink
	// NodeSink records the rooms into the sink of the Rooms that run them
	// (Options.RecordSink; in cluster mode tickwire.NewNode sets it to the
	// cluster's JetStream stream, docs/replay.md) instead of a file in Dir.
	// Without such a sink, Dir is used if it is set, and otherwise the
	// rooms run unrecorded (NewRooms logs that once per game). It lets one
	// registration record to files on a single node and to the cluster's
	// stream in cluster mode. Not with Writer or Sink, which name their own
	// place.
	NodeSink bool
	// MaxBytes bounds one room's log. When the next record would pass it,
	// the log ends with an end record saying so and the room runs on
	// unrecorded (logged once). 0: 64 MiB.
	MaxBytes int64
	// MaxFiles bounds the logs kept in Dir: creating a room's log removes
	// the oldest *.twr files beyond it. 0: 100.
	MaxFiles int
	// HashEvery is how many ticks apart the state is hashed into the log
	// (FNV-1a of its deterministic encoding); Replay checks each hash. 0:
	// every tick (8 bytes a tick), so a divergence is found on its tick.
	HashEvery int
	// StateEvery is how many ticks apart the state itself is written (as a
	// delta from the last one written), so Replay can name the first field
	// that differs after a divergence. 0: once a second of ticks; negative:
	// never.
	StateEvery int
	// Ring, when set, keeps the last Ring of the room's whole state as
	// state frames in memory (a snapshot a second and the deltas between),
	// for a "replay the last seconds" view: Handle.RecentFrames. It costs
	// a diff of the whole state per tick.
	Ring time.Duration
}

// RecordSink opens room logs somewhere other than files
// (RecordOptions.Sink).
type RecordSink interface {
	// Open returns where the log of room roomID of game goes. It runs on
	// the room's goroutine before the game's Init; Close runs when the
	// room ends.
	Open(game, roomID string) (io.WriteCloser, error)
}

// on reports whether the options record anything.
func (o RecordOptions) on() bool { return o.Dir != "" || o.Writer != nil || o.Sink != nil }

func (o RecordOptions) normalize(hz int) RecordOptions {
	if o.MaxBytes == 0 {
		o.MaxBytes = 64 << 20
	}
	if o.MaxFiles == 0 {
		o.MaxFiles = 100
	}
	if o.HashEvery <= 0 {
		o.HashEvery = 1
	}
	if o.StateEvery == 0 {
		o.StateEvery = hz
	}
	return o
}

func (o RecordOptions) validate() []string {
	var errs []string
	if o.MaxBytes < 0 {
		errs = append(errs, fmt.Sprintf("Record.MaxBytes %d: must not be negative", o.MaxBytes))
	}
	if o.MaxFiles < 0 {
		errs = append(errs, fmt.Sprintf("Record.MaxFiles %d: must not be negative", o.MaxFiles))
	}
	if o.HashEvery < 0 {
		errs = append(errs, fmt.Sprintf("Record.HashEvery %d: must not be negative", o.HashEvery))
	}
	if o.Ring < 0 {
		errs = append(errs, fmt.Sprintf("Record.Ring %v: must not be negative", o.Ring))
	}
	if o.NodeSink && (o.Writer != nil || o.Sink != nil) {
		errs = append(errs, "Record.NodeSink with Record.Writer or Record.Sink: choose one")
	}
	return errs
}

// withNodeSink returns o as a room of Rooms with the node sink sink
// records: into sink when o asks for it (NodeSink) and sink is not nil.
func (o RecordOptions) withNodeSink(sink RecordSink) RecordOptions {
	if o.NodeSink && sink != nil && o.Writer == nil && o.Sink == nil {
		o.Sink, o.Dir = sink, ""
	}
	return o
}

// The log format (docs/replay.md): logMagic, then records, each a uvarint
// length n, then n bytes: a record type and its body.
const logMagic = "TWREC\x01"

// LogExt is the extension of log files.
const LogExt = ".twr"

// Record types.
const (
	recHeader = 'H'
	recJoin   = 'J'
	recLeave  = 'L'
	recTick   = 'T'
	recState  = 'S'
	recEnd    = 'E'
)

// Join outcomes in a join record.
const (
	joinAccepted = 0
	joinRefused  = 1
)

// endMaxBytes is the end reason of a log cut at RecordOptions.MaxBytes.
const endMaxBytes = "log reached Record.MaxBytes"

// marshalInput re-encodes an applied input: the room holds it decoded, and
// its canonical encoding is what replays it.
var marshalInput = proto.MarshalOptions{Deterministic: true}

// recorder writes one room's log. It belongs to the room's goroutine.
type recorder struct {
	opts    RecordOptions
	log     zerolog.Logger
	w       *bufio.Writer
	closer  io.Closer // the file, nil with Writer
	path    string
	written int64
	done    bool  // ended (or failed): writes nothing more
	err     error // the first write error

	players map[PlayerID]uint64 // index by first join record
	start   time.Time
	lastIdx uint64 // deadline index of the last tick recorded

	// The current tick's sections, written as one tick record.
	expired, inputs, refusals    []byte
	nExpired, nInputs, nRefusals int

	rec        []byte // the record being built
	enc        []byte // scratch for encodings (hash, state)
	tracker    *protocol.Tracker
	flushEvery int // ticks between flushes: a second of them
	flushIn    int // ticks until the next flush
}

// newRecorder opens a room's log as opts say. It runs on the goroutine
// creating the room.
func newRecorder(opts RecordOptions, info GameInfo, roomID string, now time.Time, log zerolog.Logger, zero proto.Message) (*recorder, error) {
	opts = opts.normalize(info.TickHz)
	rc := &recorder{opts: opts, log: log, players: map[PlayerID]uint64{}, flushIn: info.TickHz, flushEvery: info.TickHz}
	if opts.StateEvery > 0 {
		rc.tracker = protocol.NewTracker(zero)
	}
	w := opts.Writer
	if w == nil && opts.Sink != nil {
		wc, err := opts.Sink.Open(info.Name, roomID)
		if err != nil {
			return nil, fmt.Errorf("record room %s: %w", roomID, err)
		}
		w, rc.closer = wc, wc
	}
	if w == nil {
		if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
			return nil, fmt.Errorf("record room %s: %w", roomID, err)
		}
		pruneLogs(opts.Dir, opts.MaxFiles-1, log)
		rc.path = filepath.Join(opts.Dir, fmt.Sprintf("%s-%s-%s%s", info.Name, roomID, now.UTC().Format("20060102T150405"), LogExt))
		f, err := os.OpenFile(rc.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return nil, fmt.Errorf("record room %s: %w", roomID, err)
		}
		w, rc.closer = f, f
	}
	rc.w = bufio.NewWriterSize(w, 32<<10)
	if _, err := rc.w.WriteString(logMagic); err != nil {
		return nil, fmt.Errorf("record room %s: %w", roomID, err)
	}
	rc.written = int64(len(logMagic))
	return rc, nil
}

// pruneLogs removes the oldest logs in dir beyond keep.
func pruneLogs(dir string, keep int, log zerolog.Logger) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	type logFile struct {
		name string
		mod  time.Time
	}
	var logs []logFile
	for _, e := range entries {
		if e.Type().IsRegular() && strings.HasSuffix(e.Name(), LogExt) {
			if fi, err := e.Info(); err == nil {
				logs = append(logs, logFile{e.Name(), fi.ModTime()})
			}
		}
	}
	if len(logs) <= keep {
		return
	}
	slices.SortFunc(logs, func(a, b logFile) int { return a.mod.Compare(b.mod) })
	for _, l := range logs[:len(logs)-max(keep, 0)] {
		if err := os.Remove(filepath.Join(dir, l.name)); err != nil {
			log.Warn().Err(err).Str("file", l.name).Msg("could not remove an old room log")
		}
	}
}

// header writes the header record: everything Replay needs to make the
// same room again. stagger says the room drew its start offset from Rand
// after Init.
func (rc *recorder) header(rm *room, seed uint64, restore []byte, stagger bool) {
	rc.start = rm.start
	b := rc.rec[:0]
	b = append(b, recHeader)
	b = appendString(b, rm.info.Name)
	b = appendString(b, rm.info.Version)
	b = appendString(b, version.Version)
	b = appendString(b, rm.id)
	b = appendString(b, rm.info.StateType)
	b = appendString(b, rm.info.InputType)
	b = binary.AppendUvarint(b, seed)
	b = binary.AppendUvarint(b, uint64(rm.info.TickHz))
	b = binary.AppendUvarint(b, uint64(rm.info.MaxPlayers))
	b = binary.AppendVarint(b, rm.start.UnixNano())
	var flags byte
	if stagger {
		flags |= 1
	}
	b = append(b, flags)
	b = binary.AppendUvarint(b, uint64(rc.opts.HashEvery))
	b = binary.AppendUvarint(b, uint64(max(rc.opts.StateEvery, 0)))
	b = appendBytes(b, restore)
	rc.rec = b
	rc.write()
}

// index returns p's index in the log, giving it the next one on its first
// join record.
func (rc *recorder) index(p PlayerID) uint64 {
	i, ok := rc.players[p]
	if !ok {
		i = uint64(len(rc.players))
		rc.players[p] = i
	}
	return i
}

// join records that the game's Join ran for p at now: refusal is its
// error, nil when p was seated.
func (rc *recorder) join(p PlayerID, now time.Time, refusal error) {
	if rc.done {
		return
	}
	rc.index(p)
	b := append(rc.rec[:0], recJoin)
	b = appendString(b, string(p))
	b = binary.AppendVarint(b, int64(now.Sub(rc.start)))
	if refusal == nil {
		b = append(b, joinAccepted)
		b = appendString(b, "")
	} else {
		b = append(b, joinRefused)
		b = appendString(b, refusal.Error())
	}
	rc.rec = b
	rc.write()
}

// leave records that p left (or dropped without a grace) at now, before
// the game's Leave ran. Kicks are not recorded: the game kicks again when
// replayed.
func (rc *recorder) leave(p PlayerID, now time.Time) {
	if rc.done {
		return
	}
	b := append(rc.rec[:0], recLeave)
	b = binary.AppendUvarint(b, rc.index(p))
	b = binary.AppendVarint(b, int64(now.Sub(rc.start)))
	rc.rec = b
	rc.write()
}

// expire records that p's reconnection grace ran out in this tick.
func (rc *recorder) expire(p PlayerID) {
	if rc.done {
		return
	}
	rc.expired = binary.AppendUvarint(rc.expired, rc.index(p))
	rc.nExpired++
}

// input records an input applied in this tick, re-encoded.
func (rc *recorder) input(s *slot, seq uint64, in proto.Message) {
	if rc.done {
		return
	}
	b := binary.AppendUvarint(rc.inputs, s.rec)
	b = binary.AppendUvarint(b, seq)
	b = binary.AppendUvarint(b, uint64(marshalInput.Size(in)))
	b, err := (proto.MarshalOptions{Deterministic: true, UseCachedSize: true}).MarshalAppend(b, in)
	if err != nil {
		rc.fail(fmt.Errorf("encode input: %w", err))
		return
	}
	rc.inputs = b
	rc.nInputs++
}

// refusal records a refusal (Room.Refuse) of the input seq of p, filed
// with the tick being run or, between ticks, the next one.
func (rc *recorder) refusal(p PlayerID, seq uint64, code tickwirev1.ErrorCode, reason string) {
	if rc.done {
		return
	}
	b := binary.AppendUvarint(rc.refusals, rc.index(p))
	b = binary.AppendUvarint(b, seq)
	b = binary.AppendUvarint(b, uint64(code))
	rc.refusals = appendString(b, reason)
	rc.nRefusals++
}

// tick writes the tick record of tick t, due at deadline index idx, with
// the hash of the state after it (unless hash is false: the game failed in
// the tick), then the state itself when it is due.
func (rc *recorder) tick(t, idx uint64, state proto.Message, hash bool) {
	if rc.done {
		return
	}
	b := append(rc.rec[:0], recTick)
	b = binary.AppendUvarint(b, t)
	b = binary.AppendUvarint(b, idx-rc.lastIdx-1)
	rc.lastIdx = idx
	b = binary.AppendUvarint(b, uint64(rc.nExpired))
	b = append(b, rc.expired...)
	b = binary.AppendUvarint(b, uint64(rc.nInputs))
	b = append(b, rc.inputs...)
	b = binary.AppendUvarint(b, uint64(rc.nRefusals))
	b = append(b, rc.refusals...)
	rc.expired, rc.inputs, rc.refusals = rc.expired[:0], rc.inputs[:0], rc.refusals[:0]
	rc.nExpired, rc.nInputs, rc.nRefusals = 0, 0, 0
	if hash && t%uint64(rc.opts.HashEvery) == 0 {
		h, enc, err := hashState(rc.enc[:0], state)
		rc.enc = enc
		if err != nil {
			rc.fail(err)
			return
		}
		b = append(b, 1)
		b = binary.LittleEndian.AppendUint64(b, h)
	} else {
		b = append(b, 0)
	}
	rc.rec = b
	rc.write()
	if hash && rc.tracker != nil && t%uint64(rc.opts.StateEvery) == 0 {
		rc.state(t, state)
	}
	if rc.flushIn--; rc.flushIn <= 0 {
		rc.flushIn = rc.flushEvery
		rc.flush()
	}
}

// state writes the state after tick t as a delta from the last one written.
func (rc *recorder) state(t uint64, state proto.Message) {
	d, err := rc.tracker.Update(state)
	if err != nil {
		rc.fail(fmt.Errorf("diff state: %w", err))
		return
	}
	if d == nil {
		d = &tickwirev1.Delta{}
	}
	b := append(rc.rec[:0], recState)
	b = binary.AppendUvarint(b, t)
	if b, err = marshalInput.MarshalAppend(b, d); err != nil {
		rc.fail(fmt.Errorf("encode state: %w", err))
		return
	}
	rc.rec = b
	rc.write()
}

// end writes the end record and closes the log.
func (rc *recorder) end(t uint64, reason string) error {
	if !rc.done {
		b := append(rc.rec[:0], recEnd)
		b = binary.AppendUvarint(b, t)
		rc.rec = appendString(b, reason)
		rc.write()
	}
	rc.done = true
	rc.flush()
	if rc.closer != nil {
		if err := rc.closer.Close(); err != nil && rc.err == nil {
			rc.err = err
		}
		rc.closer = nil
	}
	return rc.err
}

func (rc *recorder) flush() {
	if rc.w == nil {
		return
	}
	if err := rc.w.Flush(); err != nil && rc.err == nil {
		rc.fail(err)
	}
}

// write frames rc.rec as a record, ending the log instead when it would
// pass MaxBytes.
func (rc *recorder) write() {
	var lenBuf [binary.MaxVarintLen64]byte
	n := binary.PutUvarint(lenBuf[:], uint64(len(rc.rec)))
	if rc.written+int64(n+len(rc.rec)) > rc.opts.MaxBytes-64 && rc.rec[0] != recEnd {
		rc.log.Warn().Str("file", rc.path).Int64("max_bytes", rc.opts.MaxBytes).Msg("room log is full; the room runs on unrecorded")
		b := append(rc.rec[:0], recEnd)
		b = binary.AppendUvarint(b, 0)
		rc.rec = appendString(b, endMaxBytes)
		rc.write()
		rc.done = true
		rc.flush()
		return
	}
	_, _ = rc.w.Write(lenBuf[:n])
	_, err := rc.w.Write(rc.rec)
	rc.written += int64(n + len(rc.rec))
	if err != nil {
		rc.fail(err)
	}
}

// fail stops the recording after a write or encoding error, logged once.
func (rc *recorder) fail(err error) {
	if rc.err != nil {
		return
	}
	rc.err = err
	rc.done = true
	rc.log.Error().Err(err).Str("file", rc.path).Msg("room log failed; the room runs on unrecorded")
}

// hashState returns the FNV-1a hash of state's deterministic encoding,
// encoded into buf (returned for reuse).
func hashState(buf []byte, state proto.Message) (uint64, []byte, error) {
	buf, err := deterministic.MarshalAppend(buf, state)
	if err != nil {
		return 0, buf, fmt.Errorf("encode state for its hash: %w", err)
	}
	return fnv64a(buf), buf, nil
}

func fnv64a(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendBytes(b, p []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(p)))
	return append(b, p...)
}

// errLogCorrupt reports a log that does not decode.
var errLogCorrupt = errors.New("room log corrupt")

// startRing makes the room's ring, if its game keeps one. It runs before
// the room's goroutine starts (other goroutines read rm.ring).
func (rm *room) startRing() {
	if ro := rm.info.Record; ro.Ring > 0 {
		rm.ring = newFrameRing(rm.id, rm.game.newState(), ro.Ring, rm.info.TickHz)
	}
}

// startLog opens the room's log as its game's RecordOptions say, on the
// room's goroutine before Init (not under the Rooms' lock: it touches the
// disk). A log that cannot be opened is logged and the room runs
// unrecorded.
func (rm *room) startLog() {
	ro := rm.info.Record
	if !ro.on() {
		return
	}
	rc, err := newRecorder(ro, rm.info, rm.id, rm.clock.Now(), rm.log, rm.game.newState())
	if err != nil {
		rm.log.Error().Err(err).Msg("room runs unrecorded")
		return
	}
	rm.rec = rc
}

// dropRecording removes the log of a room whose Init failed.
func (rm *room) dropRecording() {
	if rm.rec == nil {
		return
	}
	rm.rec.done = true
	_ = rm.rec.end(0, "")
	if rm.rec.path != "" {
		_ = os.Remove(rm.rec.path)
	}
	rm.rec = nil
}

// recordTick files the tick just run in the log and the ring.
func (rm *room) recordTick() {
	if rm.rec != nil {
		rm.rec.tick(rm.ticks, rm.next-1, rm.game.state(), rm.failure == nil)
	}
	if rm.ring != nil && rm.failure == nil {
		if err := rm.ring.add(rm.ticks, rm.now, rm.game.state()); err != nil {
			rm.log.Error().Err(err).Msg("replay ring stopped")
			rm.ring.stop()
		}
	}
}

// recordLeave records a leave the game did not cause (Kick is replayed by
// the game itself).
func (rm *room) recordLeave(p PlayerID) {
	if rm.rec != nil {
		rm.rec.leave(p, rm.now)
	}
}

// endRecording ends the room's log with why the room ended.
func (rm *room) endRecording(reason string) {
	if rm.rec == nil {
		return
	}
	logged := rm.rec.err != nil // fail logged it: one line per room
	if err := rm.rec.end(rm.ticks, reason); err != nil && !logged {
		rm.log.Error().Err(err).Str("file", rm.rec.path).Msg("room log not closed cleanly")
	}
}

// RecentFrames returns the last of the room's whole state as state
// frames, for a "replay the last seconds" view, when its game keeps a
// ring (RecordOptions.Ring; nil otherwise): frames from the newest
// snapshot at least last old (or from the oldest kept), each a 4-byte
// big-endian length followed by an encoded Envelope carrying a StateFrame,
// the first a snapshot and then deltas, as /ws sends them. A client
// applies them in order to one replica of the room. It is empty (not nil)
// before the first tick. It is safe for concurrent use, and works after
// the room ended.
func (h *Handle) RecentFrames(last time.Duration) []byte {
	if h.rm.ring == nil {
		return nil
	}
	return h.rm.ring.recent(last, h.rm.info.TickHz)
}

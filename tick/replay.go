package tick

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/rs/zerolog"
	"google.golang.org/protobuf/proto"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
)

// LogHeader is what a room log says about its room: enough to make the
// same room again.
type LogHeader struct {
	Game, GameVersion, TickwireVersion string
	RoomID                             string
	StateType, InputType               string
	Seed                               uint64
	TickHz, MaxPlayers                 int
	// Start is the room's first tick's deadline minus one period.
	Start time.Time
	// Stagger says the room drew its start offset from Room.Rand after Init.
	Stagger bool
	// HashEvery and StateEvery are the recording's RecordOptions (0: no
	// states).
	HashEvery, StateEvery int
	// Restore is the snapshot the room started from (RoomOptions.Restore).
	Restore []byte
}

// ReplayOptions configure Replay. The zero value checks the log.
type ReplayOptions struct {
	// IgnoreVersion replays a log recorded with another GameInfo.Version
	// (a divergence is then likely and says little).
	IgnoreVersion bool
	// OnTick, when set, is called after each replayed tick with the state
	// after it (read it, do not keep it): what a spectator of the replay
	// sees.
	OnTick func(tick uint64, state proto.Message)
	// Logger gets the replayed game's logs. Zero: none.
	Logger zerolog.Logger
}

// ReplayResult is what Replay found.
type ReplayResult struct {
	Header LogHeader
	// Ticks is the number of ticks replayed.
	Ticks uint64
	// Joins, Leaves and Inputs count the events replayed; Hashes and
	// States the recorded hashes and states compared.
	Joins, Leaves, Inputs, Hashes, States int
	// End is the end record's reason (why the room ended); empty when the
	// log stops without one (the process died, or the log is still being
	// written).
	End string
	// Failure is how the replayed game failed (a panic), if it did: the
	// recorded room failed the same way unless Divergence says otherwise.
	Failure string
	// Divergence is the first difference between the recording and the
	// replay; nil when the replay did the same.
	Divergence *Divergence
}

// Divergence is the first point where a replay differs from its recording.
type Divergence struct {
	// Tick is the first tick whose recorded hash, event or refusal the
	// replay did not reproduce.
	Tick uint64
	// What says what differed: "state hash", "state", "join of p1", ...
	What string
	// Recorded and Replayed are what the log holds and what the replay did.
	Recorded, Replayed string
	// StateTick is the tick of the recorded state compared with the
	// replayed one to find Path (the first state recorded at or after
	// Tick); 0 when there was none.
	StateTick uint64
	// Path is the first field of the state that differs at StateTick
	// (players["p1"].x), with both values; empty without a state.
	Path, RecordedValue, ReplayedValue string
}

func (d *Divergence) Error() string {
	s := fmt.Sprintf("tick %d: %s differs: recorded %s, replayed %s", d.Tick, d.What, d.Recorded, d.Replayed)
	if d.Path != "" {
		s += fmt.Sprintf("; at tick %d %s is %s in the recording, %s in the replay", d.StateTick, d.Path, d.RecordedValue, d.ReplayedValue)
	}
	return s
}

// ErrLogVersion reports a log recorded with another version of its game.
var ErrLogVersion = errors.New("room log recorded with another game version")

// Replay re-runs the room recorded in log with its game from reg, without
// a scheduler, network or wall clock: the same seed, the same joins and
// leaves at the same ticks, the same inputs in the same order, each tick's
// time from the log. It checks every recorded hash, refusal and state and
// reports the first divergence in the result (a nil error then: the log
// was read). Errors are for logs it cannot replay: unreadable, of a game
// not in reg or another version of it (ErrLogVersion).
func Replay(reg *Registry, log io.Reader, opts ReplayOptions) (*ReplayResult, error) {
	lr := newLogReader(log)
	h, err := lr.header()
	if err != nil {
		return nil, err
	}
	res := &ReplayResult{Header: h}
	def, ok := reg.lookup(h.Game)
	if !ok {
		return res, fmt.Errorf("replay a room of %q: %w", h.Game, ErrGameNotFound)
	}
	info := def.gameInfo()
	if info.StateType != h.StateType || info.InputType != h.InputType {
		return res, fmt.Errorf("replay a room of %q: recorded with state %s and input %s, the game has %s and %s", h.Game, h.StateType, h.InputType, info.StateType, info.InputType)
	}
	if info.Version != h.GameVersion && !opts.IgnoreVersion {
		return res, fmt.Errorf("replay a room of %q: %w: recorded %q, this is %q", h.Game, ErrLogVersion, h.GameVersion, info.Version)
	}
	if h.TickHz < MinTickHz || h.TickHz > MaxTickHz || h.MaxPlayers < 1 {
		return res, fmt.Errorf("%w: header: TickHz %d, MaxPlayers %d", errLogCorrupt, h.TickHz, h.MaxPlayers)
	}
	info.TickHz, info.MaxPlayers, info.Record = h.TickHz, h.MaxPlayers, RecordOptions{}
	rp := newReplayer(def, info, h, opts)
	if err := rp.init(); err != nil {
		return res, err
	}
	err = rp.run(lr, res)
	if f := rp.rm.failure; f != nil && res.Failure == "" {
		res.Failure = f.err.Error() // in Join or Leave
	}
	if res.Failure != "" && err == nil {
		// The recorded room failed there too: its end record says how.
		for {
			typ, d, rerr := lr.next()
			if rerr != nil {
				break
			}
			if typ == recEnd {
				d.uvarint()
				res.End = d.str()
				break
			}
		}
	}
	rp.rm.callClose()
	return res, err
}

// replayer is one replay's room and bookkeeping.
type replayer struct {
	rm       *room
	h        LogHeader
	opts     ReplayOptions
	players  []PlayerID // by log index
	peers    map[PlayerID]*replayPeer
	refused  []Refusal // since the last tick
	recorded proto.Message
	hashBuf  []byte
	div      *Divergence
}

func newReplayer(def definition, info GameInfo, h LogHeader, opts ReplayOptions) *replayer {
	m, _ := newMetrics(nil, "")
	rooms := &Rooms{opts: Options{Clock: SystemClock{}, InputsPerTick: 1 << 10, InboxSize: 1 << 16, Logger: opts.Logger}, m: m,
		log: opts.Logger.With().Str("component", "tick").Logger()}
	rm := rooms.newRoom(h.RoomID, def, info, h.Seed)
	rm.forget = func(*room) {}
	rm.restore = h.Restore
	return &replayer{rm: rm, h: h, opts: opts, peers: map[PlayerID]*replayPeer{}, recorded: rm.game.newState()}
}

// init runs the game's Init and sets the room's clock as the recorded
// room's was.
func (rp *replayer) init() error {
	rm := rp.rm
	rm.now = rp.h.Start
	if err := rm.callInit(); err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	if rp.h.Stagger {
		_ = rm.rng.Int64N(int64(rm.period)) // the recorded room's start offset
	}
	rm.start = rp.h.Start
	rm.next = 1
	return nil
}

func (rp *replayer) player(i uint64) (PlayerID, error) {
	if i >= uint64(len(rp.players)) {
		return "", fmt.Errorf("%w: player index %d of %d", errLogCorrupt, i, len(rp.players))
	}
	return rp.players[i], nil
}

// diverge notes the first divergence.
func (rp *replayer) diverge(what, recorded, replayed string) {
	if rp.div == nil {
		rp.div = &Divergence{Tick: rp.rm.ticks, What: what, Recorded: recorded, Replayed: replayed}
	}
}

// run replays the records after the header until the log ends, a
// divergence has been located, or the game fails.
func (rp *replayer) run(lr *logReader, res *ReplayResult) error {
	for {
		done, err := rp.next(lr, res)
		if done || err != nil {
			return err
		}
	}
}

// next replays the records up to and including the next tick record; done
// reports that the replay is over (the log ended, a divergence was
// located, the game failed).
func (rp *replayer) next(lr *logReader, res *ReplayResult) (done bool, err error) {
	defer func() { res.Divergence = rp.div }()
	for {
		typ, d, err := lr.next()
		if errors.Is(err, io.EOF) {
			return true, nil
		}
		if err != nil {
			return true, err
		}
		stop, err := rp.apply(typ, d, res)
		if err == nil {
			err = d.err
		}
		if err != nil {
			return true, fmt.Errorf("replay record %c after tick %d: %w", typ, rp.rm.ticks, err)
		}
		if stop {
			return true, nil
		}
		if typ == recTick {
			return false, nil
		}
	}
}

// apply replays one record and reports whether to stop.
func (rp *replayer) apply(typ byte, d *decoder, res *ReplayResult) (stop bool, err error) {
	rm := rp.rm
	switch typ {
	case recJoin:
		p := PlayerID(d.str())
		off := d.varint()
		outcome := d.byte1()
		msg := d.str()
		if d.err != nil {
			return true, nil
		}
		if _, seen := rp.peers[p]; !seen {
			rp.players = append(rp.players, p)
			rp.peers[p] = &replayPeer{p: p, refuse: func(r Refusal) { rp.refused = append(rp.refused, r) }}
		}
		rm.now = rp.h.Start.Add(time.Duration(off))
		jerr := rm.join(p, rp.peers[p])
		res.Joins++
		switch {
		case outcome == joinAccepted && jerr != nil:
			rp.diverge("join of "+string(p), "accepted", "refused: "+jerr.Error())
		case outcome != joinAccepted && jerr == nil:
			rp.diverge("join of "+string(p), "refused: "+msg, "accepted")
		}
	case recLeave:
		p, err := rp.player(d.uvarint())
		if err != nil {
			return true, err
		}
		off := d.varint()
		rm.now = rp.h.Start.Add(time.Duration(off))
		res.Leaves++
		s := rm.slotOf(p)
		if s == nil {
			rp.diverge("leave of "+string(p), "seated", "not seated")
			return true, nil
		}
		rm.unseat(s, protocol.CodeUnspecified, reasonLeft)
		rm.callLeave(p)
	case recTick:
		return rp.tick(d, res)
	case recState:
		t := d.uvarint()
		var delta tickwirev1.Delta
		if err := proto.Unmarshal(d.rest(), &delta); err != nil {
			return true, fmt.Errorf("%w: state of tick %d: %v", errLogCorrupt, t, err)
		}
		if err := protocol.ApplyDelta(rp.recorded, &delta); err != nil {
			return true, fmt.Errorf("%w: state of tick %d: %v", errLogCorrupt, t, err)
		}
		if t != rm.ticks {
			return true, fmt.Errorf("%w: state of tick %d after tick %d", errLogCorrupt, t, rm.ticks)
		}
		res.States++
		path, va, vb, differ := firstDiff(rp.recorded.ProtoReflect(), rm.game.state().ProtoReflect())
		if differ {
			rp.diverge("state", "the recorded state", "another")
			rp.div.StateTick, rp.div.Path, rp.div.RecordedValue, rp.div.ReplayedValue = t, path, va, vb
		}
		return rp.div != nil, nil
	case recEnd:
		d.uvarint()
		res.End = d.str()
		return true, nil
	default:
		return true, fmt.Errorf("%w: unknown record type %q", errLogCorrupt, typ)
	}
	return false, nil
}

// tick replays one tick record: the expired seats, the inputs, the tick,
// then the checks of its refusals and hash.
func (rp *replayer) tick(d *decoder, res *ReplayResult) (bool, error) {
	rm := rp.rm
	t := d.uvarint()
	rm.next += d.uvarint() // deadlines the recorded room skipped
	due := rm.deadline(rm.next)
	for range d.count() {
		p, err := rp.player(d.uvarint())
		if err != nil {
			return true, err
		}
		if s := rm.slotOf(p); s != nil {
			s.peer, s.detachedUntil = detachedPeer{}, due // expireDetached unseats it
			rm.m.detached.Inc()
		}
	}
	for range d.count() {
		p, err := rp.player(d.uvarint())
		if err != nil {
			return true, err
		}
		seq := d.uvarint()
		payload := d.bytes()
		if d.err != nil {
			return true, nil
		}
		s := rm.slotOf(p)
		if s == nil {
			rp.diverge("input of "+string(p), "seated", "not seated")
			return true, nil
		}
		in := rm.game.newInput()
		if err := proto.Unmarshal(payload, in); err != nil {
			return true, fmt.Errorf("%w: input %d of %s: %v", errLogCorrupt, seq, p, err)
		}
		select {
		case rm.inbox <- inboxItem{s: s, seq: seq, in: in}:
			s.pending.Add(1)
		default:
			return true, fmt.Errorf("%w: more than %d inputs in tick %d", errLogCorrupt, cap(rm.inbox), t)
		}
		res.Inputs++
	}
	var want []Refusal
	for range d.count() {
		p, err := rp.player(d.uvarint())
		if err != nil {
			return true, err
		}
		want = append(want, Refusal{Player: p, Seq: d.uvarint(), Code: tickwirev1.ErrorCode(d.uvarint()), Reason: d.str()})
	}
	hasHash := d.byte1() == 1
	var hash uint64
	if hasHash {
		hash = d.u64()
	}
	if d.err != nil {
		return true, nil
	}
	rm.next++
	rm.runTick(due, due)
	res.Ticks = rm.ticks
	if rm.ticks != t {
		return true, fmt.Errorf("%w: tick %d recorded as tick %d", errLogCorrupt, rm.ticks, t)
	}
	if rm.failure != nil {
		res.Failure = rm.failure.err.Error()
		return true, nil
	}
	got := rp.refused
	rp.refused = nil
	if !equalRefusals(want, got) {
		rp.diverge("refusals", fmt.Sprint(want), fmt.Sprint(got))
	}
	if hasHash {
		res.Hashes++
		h, buf, err := hashState(rp.hashBuf[:0], rm.game.state())
		rp.hashBuf = buf
		if err != nil {
			return true, err
		}
		if h != hash {
			rp.diverge("state hash", fmt.Sprintf("%016x", hash), fmt.Sprintf("%016x", h))
		}
	}
	if rp.opts.OnTick != nil {
		rp.opts.OnTick(t, rm.game.state())
	}
	return false, nil
}

func equalRefusals(a, b []Refusal) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// replayPeer records the refusals the replayed game sends.
type replayPeer struct {
	p      PlayerID
	refuse func(Refusal)
}

func (p *replayPeer) SendState([]byte, uint64, bool, string) bool { return true }

func (p *replayPeer) Send(env *protocol.Envelope) {
	if e := env.GetError(); e != nil {
		p.refuse(Refusal{Player: p.p, Seq: e.GetInputSeq(), Code: e.GetCode(), Reason: e.GetMessage()})
	}
}

// ReadLogHeader reads the header of a room log.
func ReadLogHeader(log io.Reader) (LogHeader, error) { return newLogReader(log).header() }

// logReader reads a log's records.
type logReader struct {
	r   *bufio.Reader
	buf []byte
	d   decoder
}

func newLogReader(r io.Reader) *logReader { return &logReader{r: bufio.NewReaderSize(r, 64<<10)} }

// maxRecord bounds one record: a state record is the largest.
const maxRecord = 64 << 20

// next returns the next record's type and a decoder of its body (valid
// until the next call). A log cut inside a record (a crash) ends as EOF.
func (lr *logReader) next() (byte, *decoder, error) {
	n, err := binary.ReadUvarint(lr.r)
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = io.EOF
		}
		return 0, nil, err
	}
	if n == 0 || n > maxRecord {
		return 0, nil, fmt.Errorf("%w: record of %d bytes", errLogCorrupt, n)
	}
	if cap(lr.buf) < int(n) {
		lr.buf = make([]byte, n)
	}
	lr.buf = lr.buf[:n]
	if _, err := io.ReadFull(lr.r, lr.buf); err != nil {
		return 0, nil, io.EOF
	}
	lr.d = decoder{b: lr.buf[1:]}
	return lr.buf[0], &lr.d, nil
}

func (lr *logReader) header() (LogHeader, error) {
	var h LogHeader
	magic := make([]byte, len(logMagic))
	if _, err := io.ReadFull(lr.r, magic); err != nil || string(magic) != logMagic {
		return h, fmt.Errorf("%w: not a Tickwire room log", errLogCorrupt)
	}
	typ, d, err := lr.next()
	if err != nil || typ != recHeader {
		return h, fmt.Errorf("%w: no header", errLogCorrupt)
	}
	h.Game, h.GameVersion, h.TickwireVersion, h.RoomID = d.str(), d.str(), d.str(), d.str()
	h.StateType, h.InputType = d.str(), d.str()
	h.Seed = d.uvarint()
	h.TickHz, h.MaxPlayers = int(d.uvarint()), int(d.uvarint())
	h.Start = time.Unix(0, d.varint()).UTC()
	h.Stagger = d.byte1()&1 != 0
	h.HashEvery, h.StateEvery = int(d.uvarint()), int(d.uvarint())
	if r := d.bytes(); len(r) > 0 {
		h.Restore = append([]byte(nil), r...)
	}
	if d.err != nil {
		return h, fmt.Errorf("%w: header: %v", errLogCorrupt, d.err)
	}
	return h, nil
}

// decoder reads a record's fields; the first error sticks and every
// later read returns zero.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) short(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: record cut short in %s", errLogCorrupt, what)
	}
	d.b = nil
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.short("a number")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.short("a number")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a count of items that each take at least a byte.
func (d *decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.short("a list")
		return 0
	}
	return int(n)
}

func (d *decoder) byte1() byte {
	if len(d.b) < 1 {
		d.short("a flag")
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) u64() uint64 {
	if len(d.b) < 8 {
		d.short("a hash")
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.short("bytes")
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) str() string { return string(d.bytes()) }

func (d *decoder) rest() []byte {
	p := d.b
	d.b = nil
	return p
}

// WriteReport writes what the replay found, for people: the recorded room,
// what was replayed and checked, and the divergence, if any.
func (r *ReplayResult) WriteReport(w io.Writer) error {
	h := r.Header
	ver := h.GameVersion
	if ver == "" {
		ver = "unversioned"
	}
	secs := float64(r.Ticks) / float64(max(h.TickHz, 1))
	_, err := fmt.Fprintf(w, "room %s of %s (%s), seed %d, %d Hz, recorded by Tickwire %s\n"+
		"replayed %d ticks (%.1f s): %d joins, %d leaves, %d inputs; checked %d hashes, %d states\n",
		h.RoomID, h.Game, ver, h.Seed, h.TickHz, h.TickwireVersion,
		r.Ticks, secs, r.Joins, r.Leaves, r.Inputs, r.Hashes, r.States)
	if err != nil {
		return err
	}
	end := r.End
	if end == "" {
		end = "the log stops without an end record (the process died, or the room still runs)"
	}
	fmt.Fprintf(w, "end: %s\n", end)
	if r.Failure != "" {
		fmt.Fprintf(w, "the game failed: %s\n", r.Failure)
	}
	if r.Divergence != nil {
		_, err = fmt.Fprintf(w, "DIVERGED at %v\n", r.Divergence)
		return err
	}
	_, err = fmt.Fprintln(w, "the replay matches the recording")
	return err
}

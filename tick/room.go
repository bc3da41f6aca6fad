package tick

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"google.golang.org/protobuf/proto"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
)

// Peer is one player's connection as a room sees it; the server's session
// implements it. The room calls its methods on the room's goroutine, so they
// must not block (queue and return) and must not call back into the room
// synchronously, except Handle.Leave and Handle.Input, which never block.
type Peer interface {
	// SendState delivers one state frame. frame is an encoded Envelope
	// carrying a StateFrame shared by every receiver of the same view
	// (without last_input_seq); the peer appends
	// protocol.AppendLastInputSeq(frame, lastInputSeq) when it writes, and
	// copies what it keeps: the room reuses frame after SendState returns.
	// snapshot says whether frame is a full snapshot (or, in a game with
	// Topics, an unsubscribed frame: either must not be dropped silently).
	// topic is the frame's StateFrame.topic ("" outside games with Topics):
	// a queued snapshot supersedes queued frames of the same room and topic
	// only. It returns false when the peer dropped the frame because it is
	// behind; the room then sends that player a fresh snapshot (never a
	// delta) of that topic at each later tick until one is accepted.
	SendState(frame []byte, lastInputSeq uint64, snapshot bool, topic string) bool
	// Send delivers a control message (Joined, Left, Error).
	Send(env *protocol.Envelope)
}

// Flusher is an optional capability of a Peer: after each tick's frames
// the room calls Flush on every seated player's peer, so a peer may batch
// the tick's state frames (a player of a game with Topics gets several)
// and write them at once. crowded says the room has more than CrowdedRoom
// players: its one goroutine would spend its tick in write syscalls, so
// the peer had better hand the write to another goroutine (in a small
// room writing at once is cheaper: rooms already run on every core).
// Flush must not block.
type Flusher interface {
	Flush(crowded bool)
}

// CrowdedRoom is the number of players above which Flusher.Flush is told
// the room is crowded.
const CrowdedRoom = 256

// slot is one seated player. Fields without a comment belong to the room's
// goroutine.
type slot struct {
	id   PlayerID
	peer Peer
	// pending counts this player's inputs in the inbox; Input callers add,
	// the room subtracts, so it caps inputs per player per tick.
	pending atomic.Int32

	gone     bool   // left the room; its queued inputs are dropped
	lastSeq  uint64 // highest input seq applied
	seqDirty bool   // an input was applied since the last frame
	needSnap bool   // the next frame must be a snapshot
	viewSet  bool   // view holds a key from the game's Viewer
	view     string
	// tp is what a player of a game with Topics receives.
	tp slotTopics
	// detachedUntil, when not zero, is when a player whose connection
	// dropped loses the seat (GameInfo.ReconnectGrace); peer is then a
	// detachedPeer.
	detachedUntil time.Time
	// rec is the player's index in the room's log (record.go).
	rec uint64
}

// detachedPeer stands in for the connection of a player who dropped and
// may come back: it takes every frame and sends nothing.
type detachedPeer struct{}

func (detachedPeer) SendState([]byte, uint64, bool, string) bool { return true }
func (detachedPeer) Send(*protocol.Envelope)                     {}

// inboxItem is one decoded input on its way to the room.
type inboxItem struct {
	s   *slot
	seq uint64
	in  proto.Message
}

type ctrlKind uint8

const (
	ctrlJoin ctrlKind = iota
	ctrlLeave
	ctrlDisconnect
)

// ctrlReq asks the room's goroutine to seat or unseat a player.
type ctrlReq struct {
	kind   ctrlKind
	player PlayerID
	peer   Peer
	reply  chan error // ctrlJoin only; buffered
	// taken: 0 pending, 1 taken by the room, 2 abandoned by the caller.
	taken atomic.Int32
}

// endCause says why a room ended and what its players are told.
type endCause struct {
	code   tickwirev1.ErrorCode
	reason string
	err    error // what Handle.Err reports
}

// room is the runtime of one room. Its fields are owned by its goroutine
// (run) unless their comment says otherwise.
type room struct {
	// Set at creation, read-only afterwards (any goroutine).
	id         string
	node       string
	info       GameInfo // with the room's TickHz and MaxPlayers
	period     time.Duration
	maxCatchUp int64
	inputCap   int32
	game       runner
	clock      Clock
	log        zerolog.Logger
	m          gameMetrics
	stats      *tickStats
	handle     *Handle
	forget     func(*room) // removes the room from its Rooms
	onUnseat   func(string, PlayerID)
	onSnapshot func(RoomSnapshot)
	restore    []byte    // RoomOptions.Restore, dropped after Init
	lastSnap   time.Time // when onSnapshot was last called
	align      bool      // Options.AlignTicks
	created    time.Time
	inputPool  sync.Pool

	inbox chan inboxItem // bounded; Input callers send, the room drains

	ctrlMu     sync.Mutex
	ctrl       []*ctrlReq // guarded by ctrlMu
	ctrlClosed bool       // guarded by ctrlMu
	wake       chan struct{}

	seatsMu  sync.RWMutex
	seats    map[PlayerID]*slot // written by the room under seatsMu; read by Input
	nplayers atomic.Int32

	stop      chan struct{}
	stopOnce  sync.Once
	stopCause endCause // written before stop is closed
	done      chan struct{}
	ended     atomic.Bool
	err       error // why the room ended; written before done is closed

	// The room's goroutine only.
	order   []*slot // seated players in join order
	start   time.Time
	next    uint64 // index of the next deadline: start + next·period
	ticks   uint64 // ticks run
	now     time.Time
	rng     *rand.Rand
	inGame  bool // inside a Game method: Kick and End are deferred
	kicks   []kickReq
	ending  *endCause
	failure *endCause
	bc      broadcaster
	curSeq  uint64     // seq of the input being applied (0 outside Input)
	probe   roomProbe  // counters and operator calls (inspect.go)
	rec     *recorder  // the room's log (record.go), nil when not recorded
	ring    *frameRing // RecordOptions.Ring; any goroutine reads it under its lock
	seed    uint64
}

type kickReq struct {
	p      PlayerID
	reason string
}

// deadline returns start + n·period without accumulating rounding.
func (rm *room) deadline(n uint64) time.Time {
	hz := uint64(rm.info.TickHz)
	return rm.start.Add(time.Duration(n/hz)*time.Second + time.Duration(n%hz)*time.Second/time.Duration(hz))
}

func (rm *room) gameInfo() GameInfo { return rm.info }

// slotOf returns p's slot, or nil. The room's goroutine is the only writer
// of rm.seats, so it reads it without the lock.
func (rm *room) slotOf(p PlayerID) *slot { return rm.seats[p] }

// run is the room's goroutine: Init, then ticks on absolute deadlines,
// seating and unseating players in between, until the room ends.
func (rm *room) run(initDone chan<- error) {
	defer close(rm.done)
	defer rm.forget(rm)
	rm.now = rm.clock.Now()
	restore := rm.restore
	rm.startLog() // record.go
	if err := rm.callInit(); err != nil {
		rm.err = err
		rm.ended.Store(true)
		rm.closeCtrl()
		rm.dropRecording()
		initDone <- err
		return
	}
	initDone <- nil
	rm.m.rooms.Inc()

	rm.start = rm.clock.Now()
	if !rm.align {
		// Stagger: rooms created together must not all tick at once.
		rm.start = rm.start.Add(time.Duration(rm.rng.Int64N(int64(rm.period))))
	}
	if rm.rec != nil {
		rm.rec.header(rm, rm.seed, restore, !rm.align)
	}
	rm.next = 1
	timer := rm.clock.NewTimer(rm.period)
	defer timer.Stop()
	for {
		select {
		case <-rm.stop:
			rm.finish(rm.stopCause)
			return
		case <-rm.wake:
			rm.handleControl()
		case <-timer.C():
			timer.Reset(rm.runDue())
		}
		if c := rm.over(); c != nil {
			rm.finish(*c)
			return
		}
	}
}

// runDue runs the tick whose deadline has come and returns how long to wait
// for the next one.
//
// The overrun policy: a tick late by k whole periods has k more deadlines
// already due. Up to MaxCatchUp of them run back to back (each still
// yielding to control requests and Close in between); deadlines further
// behind are skipped and counted, so an overloaded room slows its game time
// down instead of spiralling. Tick numbers stay consecutive.
func (rm *room) runDue() time.Duration {
	due := rm.deadline(rm.next)
	start := rm.clock.Now()
	if start.Before(due) {
		return due.Sub(start) // early wake-up
	}
	if behind := int64(start.Sub(due) / rm.period); behind > rm.maxCatchUp {
		skip := uint64(behind - rm.maxCatchUp)
		rm.next += skip
		rm.m.skipped.Add(float64(skip))
		rm.stats.skipped.Add(skip)
		due = rm.deadline(rm.next)
	}
	rm.next++
	rm.runTick(due, start)
	return max(rm.deadline(rm.next).Sub(rm.clock.Now()), 0)
}

// runTick runs one tick scheduled for due that started at start.
func (rm *room) runTick(due, start time.Time) {
	rm.ticks++
	rm.now = due
	jitter := start.Sub(due)
	rm.m.tickJitter.Observe(jitter.Seconds())
	rm.stats.jitter.observe(jitter)

	rm.expireDetached(due)
	queued := len(rm.inbox) // what applyInputs takes, for Handle.Stats (inspect.go)
	rm.applyInputs()
	if rm.failure == nil {
		rm.callTick()
	}
	if rm.failure == nil {
		rm.broadcast(start)
	}
	crowded := len(rm.order) > CrowdedRoom
	for _, s := range rm.order {
		if f, ok := s.peer.(Flusher); ok {
			f.Flush(crowded)
		}
	}
	rm.recordTick() // record.go
	if rm.failure == nil && rm.onSnapshot != nil && rm.info.SnapshotEvery > 0 && due.Sub(rm.lastSnap) >= rm.info.SnapshotEvery {
		rm.snapshot(due)
	}

	d := rm.clock.Now().Sub(start)
	rm.m.tickDuration.Observe(d.Seconds())
	rm.stats.duration.observe(d)
	rm.stats.ticks.Add(1)
	if d > rm.period {
		rm.m.overruns.Inc()
		rm.stats.overruns.Add(1)
	}
	rm.probe.ticked(rm, d, jitter, queued) // Handle.Stats, Inspect, Kick (inspect.go)
}

// applyInputs hands the game every input that was in the inbox when the
// tick started, in arrival order.
func (rm *room) applyInputs() {
	for range len(rm.inbox) {
		it := <-rm.inbox
		it.s.pending.Add(-1)
		if !it.s.gone && rm.failure == nil {
			if rm.rec != nil {
				rm.rec.input(it.s, it.seq, it.in)
			}
			rm.curSeq = it.seq
			rm.callInput(it.s.id, it.in)
			rm.curSeq = 0
			if it.seq > it.s.lastSeq {
				it.s.lastSeq = it.seq
			}
			it.s.seqDirty = true
		}
		proto.Reset(it.in)
		rm.inputPool.Put(it.in)
	}
}

// over reports whether the room must end now.
func (rm *room) over() *endCause {
	if rm.failure != nil {
		return rm.failure
	}
	return rm.ending
}

// handleControl seats and unseats players asked for since the last call.
func (rm *room) handleControl() {
	rm.ctrlMu.Lock()
	reqs := rm.ctrl
	rm.ctrl = nil
	rm.ctrlMu.Unlock()
	for _, req := range reqs {
		if !req.taken.CompareAndSwap(0, 1) {
			continue // the caller gave up
		}
		if rm.over() != nil {
			if req.reply != nil {
				req.reply <- ErrRoomNotFound
			}
			continue
		}
		rm.now = rm.clock.Now()
		switch req.kind {
		case ctrlJoin:
			req.reply <- rm.join(req.player, req.peer)
		case ctrlLeave:
			if s := rm.slotOf(req.player); s != nil {
				rm.recordLeave(s.id)
				rm.unseat(s, protocol.CodeUnspecified, reasonLeft)
				rm.callLeave(s.id)
			}
		case ctrlDisconnect:
			rm.disconnect(req.player, req.peer)
		}
	}
}

// disconnect handles a dropped connection: within GameInfo.ReconnectGrace
// the seat waits for the player; without a grace the player leaves. A peer
// that is no longer the player's (it reconnected already) changes nothing.
func (rm *room) disconnect(p PlayerID, peer Peer) {
	s := rm.slotOf(p)
	if s == nil || s.peer != peer {
		return
	}
	if rm.info.ReconnectGrace <= 0 {
		rm.recordLeave(s.id)
		rm.unseat(s, protocol.CodeUnspecified, reasonLeft)
		rm.callLeave(s.id)
		return
	}
	s.peer = detachedPeer{}
	s.detachedUntil = rm.clock.Now().Add(rm.info.ReconnectGrace)
	rm.m.detached.Inc()
}

// expireDetached unseats players whose reconnection grace ran out.
func (rm *room) expireDetached(now time.Time) {
	for i := 0; i < len(rm.order); i++ {
		s := rm.order[i]
		if s.detachedUntil.IsZero() || now.Before(s.detachedUntil) {
			continue
		}
		if rm.rec != nil {
			rm.rec.expire(s.id)
		}
		rm.unseat(s, protocol.CodeUnspecified, reasonGraceOver)
		rm.callLeave(s.id)
		i-- // unseat removed s from rm.order
		if rm.failure != nil {
			return
		}
	}
}

// join seats p (or moves a seated p to a new peer, for reconnection).
func (rm *room) join(p PlayerID, peer Peer) error {
	if s := rm.slotOf(p); s != nil {
		if s.peer == peer {
			return ErrAlreadyJoined
		}
		if !s.detachedUntil.IsZero() {
			s.detachedUntil = time.Time{}
			rm.m.detached.Dec()
		}
		// A new connection for a seated player: the game sees no change;
		// the new peer starts from a snapshot and a fresh input seq, and
		// (games with Topics) from a snapshot of every topic: it holds
		// no replica of any.
		s.peer, s.needSnap, s.lastSeq, s.seqDirty = peer, true, 0, false
		rm.resetTopics(s)
		rm.sendJoined(s)
		return nil
	}
	if len(rm.order) >= rm.info.MaxPlayers {
		return ErrRoomFull
	}
	err := rm.callJoin(p)
	if rm.rec != nil {
		rm.rec.join(p, rm.now, err)
	}
	if err != nil {
		return err
	}
	s := &slot{id: p, peer: peer, needSnap: true}
	if rm.rec != nil {
		s.rec = rm.rec.index(p)
	}
	rm.order = append(rm.order, s)
	rm.seatsMu.Lock()
	rm.seats[p] = s
	rm.seatsMu.Unlock()
	rm.nplayers.Add(1)
	rm.m.players.Inc()
	rm.sendJoined(s)
	rm.flushKicks() // Join may have kicked someone (even p)
	return nil
}

func (rm *room) sendJoined(s *slot) {
	s.peer.Send(&protocol.Envelope{Msg: &tickwirev1.Envelope_Joined{Joined: &tickwirev1.Joined{
		RoomId:    rm.id,
		Game:      rm.info.Name,
		PlayerId:  string(s.id),
		TickHz:    uint32(rm.info.TickHz),
		StateType: rm.info.StateType,
		InputType: rm.info.InputType,
	}}})
}

// unseat removes s, releases its seat and tells its peer why; the caller
// runs the game's Leave.
func (rm *room) unseat(s *slot, code tickwirev1.ErrorCode, reason string) {
	s.gone = true
	rm.dropTopics(s)
	if !s.detachedUntil.IsZero() {
		s.detachedUntil = time.Time{}
		rm.m.detached.Dec()
	}
	for i, o := range rm.order {
		if o == s {
			rm.order = append(rm.order[:i], rm.order[i+1:]...)
			break
		}
	}
	rm.seatsMu.Lock()
	delete(rm.seats, s.id)
	rm.seatsMu.Unlock()
	rm.nplayers.Add(-1)
	rm.m.players.Dec()
	// The seat is released (the lobby's, through onUnseat) before the
	// player hears Left, so a client that joins another room as soon as
	// it reads Left is not refused as still seated here.
	if rm.onUnseat != nil {
		rm.onUnseat(rm.id, s.id)
	}
	s.peer.Send(rm.leftEnvelope(code, reason))
}

func (rm *room) leftEnvelope(code tickwirev1.ErrorCode, reason string) *protocol.Envelope {
	return &protocol.Envelope{Msg: &tickwirev1.Envelope_Left{Left: &tickwirev1.Left{RoomId: rm.id, Code: code, Reason: reason}}}
}

// kick is Room.Kick: deferred until the current Game method returns.
func (rm *room) kick(p PlayerID, reason string) {
	rm.kicks = append(rm.kicks, kickReq{p, reason})
	if !rm.inGame {
		rm.flushKicks()
	}
}

func (rm *room) flushKicks() {
	for len(rm.kicks) > 0 && rm.failure == nil {
		k := rm.kicks[0]
		rm.kicks = rm.kicks[1:]
		if s := rm.slotOf(k.p); s != nil {
			rm.unseat(s, protocol.CodeGameRefused, k.reason)
			rm.callLeave(s.id)
		}
	}
	rm.kicks = rm.kicks[:0]
}

// end is Room.End: the room ends when the loop next looks at over.
func (rm *room) end(reason string) {
	if rm.ending == nil {
		rm.ending = &endCause{code: protocol.CodeUnspecified, reason: reason, err: fmt.Errorf("room %s ended by the game: %s", rm.id, reason)}
	}
}

// requestStop asks the room's goroutine to end with cause. Any goroutine.
func (rm *room) requestStop(cause endCause) {
	rm.stopOnce.Do(func() {
		rm.stopCause = cause
		close(rm.stop)
	})
}

// enqueue hands a control request to the room's goroutine without
// blocking. Any goroutine. It reports false once the room has ended.
func (rm *room) enqueue(req *ctrlReq) bool {
	rm.ctrlMu.Lock()
	if rm.ctrlClosed {
		rm.ctrlMu.Unlock()
		return false
	}
	rm.ctrl = append(rm.ctrl, req)
	rm.ctrlMu.Unlock()
	select {
	case rm.wake <- struct{}{}:
	default: // a wake-up is pending already
	}
	return true
}

// closeCtrl refuses further control requests and answers the pending ones.
func (rm *room) closeCtrl() {
	rm.ctrlMu.Lock()
	rm.ctrlClosed = true
	reqs := rm.ctrl
	rm.ctrl = nil
	rm.ctrlMu.Unlock()
	for _, req := range reqs {
		if req.reply != nil && req.taken.CompareAndSwap(0, 1) {
			req.reply <- ErrRoomNotFound
		}
	}
}

// finish ends the room: no more requests, the game's Close, and a Left to
// every player.
func (rm *room) finish(cause endCause) {
	rm.ended.Store(true)
	rm.closeCtrl()
	rm.callClose()
	rm.endRecording(cause.reason) // record.go
	left := rm.leftEnvelope(cause.code, cause.reason)
	for _, s := range rm.order {
		s.gone = true
		if !s.detachedUntil.IsZero() {
			rm.m.detached.Dec()
		}
		s.peer.Send(left)
		if rm.onUnseat != nil {
			rm.onUnseat(rm.id, s.id)
		}
	}
	rm.seatsMu.Lock()
	clear(rm.seats)
	rm.seatsMu.Unlock()
	rm.m.players.Sub(float64(len(rm.order)))
	rm.nplayers.Store(0)
	rm.order = nil
	rm.m.rooms.Dec()
	rm.err = cause.err
	if rm.err == nil {
		rm.err = fmt.Errorf("room %s: %s", rm.id, cause.reason)
	}
}

// refuse sends p an Error about the input being applied (Room.Refuse).
func (rm *room) refuse(p PlayerID, code tickwirev1.ErrorCode, reason string) {
	s := rm.slotOf(p)
	if s == nil {
		return
	}
	rm.m.refused.Inc()
	if rm.rec != nil {
		rm.rec.refusal(p, rm.curSeq, code, reason)
	}
	s.peer.Send(&protocol.Envelope{Msg: &tickwirev1.Envelope_Error{Error: &tickwirev1.Error{
		Code:     code,
		Message:  reason,
		RoomId:   rm.id,
		InputSeq: rm.curSeq,
	}}})
}

// snapshot hands the room's state to Options.OnSnapshot.
func (rm *room) snapshot(now time.Time) {
	rm.lastSnap = now
	b, err := deterministic.Marshal(rm.game.state())
	if err != nil {
		rm.fail("Tick", fmt.Errorf("encode snapshot: %w", err), nil)
		return
	}
	players := make([]PlayerID, len(rm.order))
	for i, s := range rm.order {
		players[i] = s.id
	}
	rm.onSnapshot(RoomSnapshot{RoomID: rm.id, Game: rm.info.Name, Tick: rm.ticks, State: b, Players: players})
}

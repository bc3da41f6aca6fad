package tick

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
)

// Harness runs a Game on the caller's goroutine, one tick per call, with
// no scheduler, network or wall clock: for a game's own unit tests. Ticks
// go exactly as in a room (inputs in order, then Tick, then the state is
// diffed and encoded, so a state that cannot be encoded fails the test
// too), Room.Now starts at 2000-01-01 UTC and advances one period per tick,
// and Room.Rand is seeded with seed. With info.Record the harness records
// the room as a real one would (RecordOptions.Writer is the simplest
// destination): Close ends the log. A Harness is not safe for concurrent
// use.
type Harness[S, I proto.Message] struct {
	rm      *room
	r       *Room[S]
	seq     uint64
	refused []Refusal
	clients map[PlayerID]*HarnessClient[S]
}

// HarnessClient is what one player's client has rebuilt from the frames
// the room sent it: the room's state (or the player's view of it), each of
// its topics, and the last input of its own that the state reflects. It is
// the state a real client shows, so a test can check what a player sees,
// interest management included.
type HarnessClient[S proto.Message] struct {
	replica *protocol.Replica[S]
	topics  *protocol.Topics[S]
	err     error
}

// State is the player's replica of the room's state (its view, for a game
// with Viewer); empty until the first frame.
func (c *HarnessClient[S]) State() S { return c.replica.State }

// Topic is the player's replica of topic, for a game with Topics, and
// whether the player receives it.
func (c *HarnessClient[S]) Topic(topic string) (S, bool) {
	r, ok := c.topics.Replicas[topic]
	if !ok {
		var zero S
		return zero, false
	}
	return r.State, true
}

// LastInputSeq is the highest seq of the player's inputs (Harness.Input
// numbers them from 1) that the state it received reflects.
func (c *HarnessClient[S]) LastInputSeq() uint64 { return c.topics.LastInputSeq }

// Err is the first frame the client could not apply: a framework bug, never
// the game's.
func (c *HarnessClient[S]) Err() error { return c.err }

func (c *HarnessClient[S]) apply(frame []byte, lastInputSeq uint64) {
	f, err := protocol.DecodeStateFrame(frame, lastInputSeq)
	if err == nil {
		if f.GetTopic() == "" {
			_, err = c.replica.Apply(f)
		}
		if err == nil {
			_, _, err = c.topics.Apply(f)
		}
	}
	if err != nil && c.err == nil {
		c.err = err
	}
}

// Refusal is an input the game refused with Room.Refuse, as the harness saw
// it.
type Refusal struct {
	Player PlayerID
	Seq    uint64 // the Input.seq (Harness.Input numbers inputs from 1)
	Code   tickwirev1.ErrorCode
	Reason string
}

// NewHarness runs g's Init in a room of info (defaults filled in as by
// Register) and returns the harness, or Init's error.
func NewHarness[S, I proto.Message](info GameInfo, g Game[S, I], seed uint64) (*Harness[S, I], error) {
	if info.Name == "" {
		info.Name = "harness"
	}
	info.StateType = string(newMessage[S]().ProtoReflect().Descriptor().FullName())
	info.InputType = string(newMessage[I]().ProtoReflect().Descriptor().FullName())
	info, err := info.normalize()
	if err != nil {
		return nil, err
	}
	m, _ := newMetrics(nil, "")
	rooms := &Rooms{opts: Options{Clock: SystemClock{}, InputsPerTick: 1 << 10, InboxSize: 1 << 16}, m: m}
	def := &gameDef[S, I]{info: info, newGame: func() Game[S, I] { return g }}
	rm := rooms.newRoom("harness", def, info, seed)
	rm.forget = func(*room) {}
	rm.start = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	rm.now = rm.start
	rm.next = 1
	h := &Harness[S, I]{rm: rm, r: &rm.game.(*gameRunner[S, I]).room, clients: map[PlayerID]*HarnessClient[S]{}}
	rm.startRing()
	rm.startLog()
	if err := rm.callInit(); err != nil {
		rm.dropRecording()
		return nil, err
	}
	if rm.rec != nil {
		rm.rec.header(rm, seed, nil, false)
	}
	return h, nil
}

// Room returns the room the game sees, e.g. to read Tick or Now.
func (h *Harness[S, I]) Room() *Room[S] { return h.r }

// State returns the game's state.
func (h *Harness[S, I]) State() S { return h.r.state }

// Join seats p, as Handle.Join does, and returns the game's refusal or
// the error that ended the room.
func (h *Harness[S, I]) Join(p PlayerID) error {
	if err := h.failed(); err != nil {
		return err
	}
	c := &HarnessClient[S]{replica: protocol.NewReplica[S](h.rm.id), topics: protocol.NewTopics[S](h.rm.id)}
	peer := &harnessPeer{p: p, refuse: func(r Refusal) { h.refused = append(h.refused, r) }, frame: c.apply}
	if err := h.rm.join(p, peer); err != nil {
		return err
	}
	h.clients[p] = c
	return h.failed()
}

// Client is what p's client has rebuilt from the frames sent to it since
// p last joined, or nil if p never joined. Frames are sent at the end of
// each tick, as in a room.
func (h *Harness[S, I]) Client(p PlayerID) *HarnessClient[S] { return h.clients[p] }

// Leave unseats p, as Handle.Leave does.
func (h *Harness[S, I]) Leave(p PlayerID) error {
	if err := h.failed(); err != nil {
		return err
	}
	if s := h.rm.slotOf(p); s != nil {
		h.rm.recordLeave(p)
		h.rm.unseat(s, 0, reasonLeft)
		h.rm.callLeave(p)
	}
	return h.failed()
}

// Input queues a copy of in from p for the next tick.
func (h *Harness[S, I]) Input(p PlayerID, in I) error {
	s := h.rm.slotOf(p)
	if s == nil {
		return fmt.Errorf("input of %s: %w", p, ErrNotInRoom)
	}
	select {
	case h.rm.inbox <- inboxItem{s: s, seq: h.seq + 1, in: proto.Clone(in)}:
		h.seq++
		return nil
	default:
		return ErrInputRateLimited
	}
}

// Tick runs one tick and returns the error that ended the room, if any: a
// panic, a state that cannot be encoded, or Room.End.
func (h *Harness[S, I]) Tick() error {
	if err := h.failed(); err != nil {
		return err
	}
	due := h.rm.deadline(h.rm.next)
	h.rm.next++
	h.rm.runTick(due, due)
	return h.failed()
}

// Close ends the room as Handle.Close does: the game's Close runs (if it
// has one) and the room's log, if it is recorded, ends and is flushed.
// It returns the log's write error, if any. The harness is unusable
// afterwards.
func (h *Harness[S, I]) Close() error {
	if h.rm.ended.Swap(true) {
		return nil
	}
	h.rm.callClose()
	if h.rm.rec == nil {
		return nil
	}
	reason := reasonClosed
	if c := h.rm.over(); c != nil {
		reason = c.reason
	}
	return h.rm.rec.end(h.rm.ticks, reason)
}

// RecentFrames is Handle.RecentFrames for the harness's room.
func (h *Harness[S, I]) RecentFrames(last time.Duration) []byte {
	return (&Handle{rm: h.rm}).RecentFrames(last)
}

// Run runs n ticks, stopping at the first error.
func (h *Harness[S, I]) Run(n int) error {
	for range n {
		if err := h.Tick(); err != nil {
			return err
		}
	}
	return nil
}

func (h *Harness[S, I]) failed() error {
	if c := h.rm.over(); c != nil {
		return c.err
	}
	return nil
}

// Refusals returns the inputs refused since the last call and forgets them.
func (h *Harness[S, I]) Refusals() []Refusal {
	r := h.refused
	h.refused = nil
	return r
}

// harnessPeer hands frames to its player's HarnessClient and records
// refusals.
type harnessPeer struct {
	p      PlayerID
	refuse func(Refusal)
	frame  func(frame []byte, lastInputSeq uint64)
}

func (p *harnessPeer) SendState(frame []byte, lastInputSeq uint64, _ bool, _ string) bool {
	p.frame(frame, lastInputSeq)
	return true
}

func (p *harnessPeer) Send(env *protocol.Envelope) {
	if e := env.GetError(); e != nil {
		p.refuse(Refusal{Player: p.p, Seq: e.GetInputSeq(), Code: e.GetCode(), Reason: e.GetMessage()})
	}
}

package tick

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
)

// view is one distinct view of a room's state with its receivers: the whole
// state for games without a Viewer, else one per view key.
type view struct {
	tracker *protocol.Tracker // the state the view's receivers hold
	scratch proto.Message     // the view's state, refilled by FillView each tick
	members []*slot           // rebuilt each tick
}

// broadcaster encodes state frames. It belongs to the room's goroutine; its
// buffers are reused every tick, which is why Peer.SendState must copy what
// it keeps.
type broadcaster struct {
	all    *view                 // games without a Viewer
	views  map[string]*view      // games with a Viewer, by key
	topics map[string]*topicView // games with Topics, by topic
	tbuf   []string              // reused for Topics

	env      tickwirev1.Envelope
	envState tickwirev1.Envelope_State
	frame    tickwirev1.StateFrame
	snap     tickwirev1.StateFrame_Snapshot
	delta    tickwirev1.StateFrame_Delta
	empty    tickwirev1.StateFrame_Delta // an empty Delta: "no change, here is your seq"

	stateBuf, snapBuf, deltaBuf, emptyBuf []byte
}

var deterministic = proto.MarshalOptions{Deterministic: true}

func (bc *broadcaster) init(roomID string, zero proto.Message, views, topics bool) {
	bc.envState.State = &bc.frame
	bc.env.Msg = &bc.envState
	bc.frame.RoomId = roomID
	bc.empty.Delta = &tickwirev1.Delta{}
	switch {
	case topics:
		bc.topics = map[string]*topicView{}
	case views:
		bc.views = map[string]*view{}
	default:
		bc.all = &view{tracker: protocol.NewTracker(zero)}
	}
}

// broadcast diffs every view after a tick and sends each receiver the
// frame it needs: a snapshot (new joiners, players whose view changed or
// whose peer dropped a frame), the view's delta, or, when its view did not
// change but its inputs were applied, an empty delta that carries its seq.
// A tick that changed nothing and applied no input sends nothing.
func (rm *room) broadcast(start time.Time) {
	bc := &rm.bc
	bc.frame.Tick = rm.ticks
	bc.frame.ServerTimeUnixNano = start.UnixNano()
	if bc.all != nil {
		rm.sendView(bc.all, rm.game.state(), rm.order)
		return
	}
	if bc.topics != nil {
		rm.broadcastTopics()
		return
	}
	for _, v := range bc.views {
		v.members = v.members[:0]
	}
	for _, s := range rm.order {
		key, ok := rm.callView(s.id)
		if !ok {
			return
		}
		if !s.viewSet || key != s.view {
			s.view, s.viewSet, s.needSnap = key, true, true
		}
		v := bc.views[key]
		if v == nil {
			v = &view{tracker: protocol.NewTracker(rm.game.newState()), scratch: rm.game.newState()}
			bc.views[key] = v
		}
		v.members = append(v.members, s)
	}
	for key, v := range bc.views {
		if len(v.members) == 0 {
			delete(bc.views, key) // nobody holds it any more
			continue
		}
		proto.Reset(v.scratch)
		if !rm.callFillView(key, v.scratch) {
			return
		}
		rm.sendView(v, v.scratch, v.members)
		if rm.failure != nil {
			return
		}
	}
}

// sendView diffs state against what the view's receivers hold and sends
// them frames. Each kind of frame is encoded at most once, and only if
// someone needs it; the per-receiver seq travels beside the shared bytes.
func (rm *room) sendView(v *view, state proto.Message, members []*slot) {
	delta, err := v.tracker.Update(state)
	if err != nil {
		rm.fail("Tick", fmt.Errorf("diff state: %w", err), nil)
		return
	}
	var snapFrame, deltaFrame, emptyFrame []byte
	for _, s := range members {
		switch {
		case s.needSnap:
			if snapFrame == nil {
				if snapFrame, err = rm.bc.encodeSnapshot(state); err != nil {
					rm.fail("Tick", fmt.Errorf("encode snapshot: %w", err), nil)
					return
				}
			}
			if s.peer.SendState(snapFrame, s.lastSeq, true, "") {
				s.needSnap = false
			}
		case delta != nil:
			if deltaFrame == nil {
				if deltaFrame, err = rm.bc.encodeDelta(delta); err != nil {
					rm.fail("Tick", fmt.Errorf("encode delta: %w", err), nil)
					return
				}
			}
			s.needSnap = !s.peer.SendState(deltaFrame, s.lastSeq, false, "")
		case s.seqDirty:
			if emptyFrame == nil {
				if emptyFrame, err = rm.bc.encodeEmpty(); err != nil {
					rm.fail("Tick", fmt.Errorf("encode frame: %w", err), nil)
					return
				}
			}
			s.needSnap = !s.peer.SendState(emptyFrame, s.lastSeq, false, "")
		}
		s.seqDirty = false
	}
}

func (bc *broadcaster) encodeSnapshot(state proto.Message) ([]byte, error) {
	var err error
	if bc.stateBuf, err = deterministic.MarshalAppend(bc.stateBuf[:0], state); err != nil {
		return nil, err
	}
	bc.snap.Snapshot = bc.stateBuf
	bc.frame.Body = &bc.snap
	bc.snapBuf, err = protocol.Append(bc.snapBuf[:0], &bc.env)
	return bc.snapBuf, err
}

func (bc *broadcaster) encodeDelta(d *tickwirev1.Delta) ([]byte, error) {
	var err error
	bc.delta.Delta = d
	bc.frame.Body = &bc.delta
	bc.deltaBuf, err = protocol.Append(bc.deltaBuf[:0], &bc.env)
	return bc.deltaBuf, err
}

func (bc *broadcaster) encodeEmpty() ([]byte, error) {
	var err error
	bc.frame.Topic, bc.frame.Unsubscribed = "", false
	bc.frame.Body = &bc.empty
	bc.emptyBuf, err = protocol.Append(bc.emptyBuf[:0], &bc.env)
	return bc.emptyBuf, err
}

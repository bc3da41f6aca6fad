package protocol

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
)

// ErrNoSnapshot is returned by Replica.Apply for a delta that arrives
// before any snapshot: there is no state to apply it to.
var ErrNoSnapshot = errors.New("delta before the first snapshot")

// DecodeStateFrame decodes the shared bytes of a state frame as a room
// hands them to a tick.Peer, with the receiver's lastInputSeq, into the
// StateFrame its client receives: what a test peer or a harness needs to
// feed a Replica without a network.
func DecodeStateFrame(frame []byte, lastInputSeq uint64) (*tickwirev1.StateFrame, error) {
	var env Envelope
	if err := Decode(frame, 0, &env); err != nil {
		return nil, err
	}
	f := env.GetState()
	if f == nil {
		return nil, fmt.Errorf("%w: not a state frame", ErrNoMessage)
	}
	f.LastInputSeq = lastInputSeq
	return f, nil
}

// Replica reproduces one room's state from the StateFrames the server
// sends: a snapshot replaces it, a delta patches it. After every Apply,
// State equals the server's state (or the player's view of it) at Tick.
// A Replica is not safe for concurrent use.
type Replica[S proto.Message] struct {
	// RoomID is the room this replica follows; frames of other rooms are
	// ignored.
	RoomID string
	// State is the current state; do not modify it.
	State S
	// Tick is the tick of the last applied frame.
	Tick uint64
	// LastInputSeq is the highest input seq of this player that State
	// reflects.
	LastInputSeq uint64
	// Snapshots and Deltas count the frames applied.
	Snapshots, Deltas int

	ready bool
}

// NewReplica returns an empty replica of roomID's state of type S.
func NewReplica[S proto.Message](roomID string) *Replica[S] {
	var zero S
	return &Replica[S]{RoomID: roomID, State: zero.ProtoReflect().New().Interface().(S)}
}

// Apply applies one frame. It reports whether the frame was for this room.
func (r *Replica[S]) Apply(f *tickwirev1.StateFrame) (bool, error) {
	if f == nil || f.RoomId != r.RoomID {
		return false, nil
	}
	switch body := f.Body.(type) {
	case *tickwirev1.StateFrame_Snapshot:
		proto.Reset(r.State)
		if err := proto.Unmarshal(body.Snapshot, r.State); err != nil {
			return true, fmt.Errorf("room %s tick %d: snapshot: %w", r.RoomID, f.Tick, err)
		}
		r.ready = true
		r.Snapshots++
	case *tickwirev1.StateFrame_Delta:
		if !r.ready {
			if emptyDelta(body.Delta) {
				break // only the seq: a topic game's frame outside any topic
			}
			return true, ErrNoSnapshot
		}
		if err := ApplyDelta(r.State, body.Delta); err != nil {
			return true, fmt.Errorf("room %s tick %d: delta: %w", r.RoomID, f.Tick, err)
		}
		r.Deltas++
	case nil:
		// An empty frame: only the tick and last input seq moved.
	}
	r.Tick = f.Tick
	r.LastInputSeq = f.LastInputSeq
	return true, nil
}

// Ready reports whether a snapshot has been applied.
func (r *Replica[S]) Ready() bool { return r.ready }

func emptyDelta(d *tickwirev1.Delta) bool {
	return len(d.GetPatch()) == 0 && len(d.GetClears()) == 0
}

// Topics holds one Replica per topic for games with topic-based interest
// (tick.Topics): frames carrying StateFrame.topic go to that topic's
// replica, an unsubscribed frame drops it, and the others (topic "") only
// move Tick and LastInputSeq. Topics is not safe for concurrent use.
type Topics[S proto.Message] struct {
	// RoomID is the room followed; frames of other rooms are ignored.
	RoomID string
	// Replicas are the topics this player receives, by name.
	Replicas map[string]*Replica[S]
	// Tick and LastInputSeq are those of the last frame of any topic.
	Tick, LastInputSeq uint64
}

// NewTopics returns an empty set of topic replicas of roomID.
func NewTopics[S proto.Message](roomID string) *Topics[S] {
	return &Topics[S]{RoomID: roomID, Replicas: map[string]*Replica[S]{}}
}

// Apply applies one frame to its topic's replica. It reports whether the
// frame was for this room and the topic it changed ("" for none).
func (t *Topics[S]) Apply(f *tickwirev1.StateFrame) (topic string, ok bool, err error) {
	if f == nil || f.RoomId != t.RoomID {
		return "", false, nil
	}
	t.Tick, t.LastInputSeq = f.Tick, f.LastInputSeq
	topic = f.GetTopic()
	switch {
	case topic == "":
		return "", true, nil
	case f.GetUnsubscribed():
		delete(t.Replicas, topic)
		return topic, true, nil
	}
	r := t.Replicas[topic]
	if r == nil {
		r = NewReplica[S](t.RoomID)
		t.Replicas[topic] = r
	}
	_, err = r.Apply(f)
	return topic, true, err
}

package protocol

// The state-delta codec: Diff finds what changed between two states of a
// game's protobuf message, ApplyDelta replays it on a receiver's copy, and a
// Tracker does the diffing tick after tick against a private copy that it
// keeps in step without cloning the whole state.
//
// A delta is applied in two phases, kept simple so that the browser SDK can
// reimplement them exactly:
//
//  1. Every path in Delta.clears is cleared, in order. A path's steps descend
//     through message fields (a step with a key descends into that map
//     entry's message value); the last step clears its field (a scalar back
//     to zero, a message, optional or oneof member removed, a repeated or map
//     field emptied) or, when it has a key, deletes that map entry. A path
//     through an absent message or map entry clears nothing.
//  2. Delta.patch, a partial state encoded with the state's own message
//     type, is merged field by field: scalars, enums, strings and bytes
//     overwrite; repeated fields replace the whole list; singular messages
//     merge recursively (created when absent); map entries with message
//     values merge recursively into an existing entry, other map values
//     overwrite; setting a oneof member replaces any other member, and the
//     same message member merges recursively.
//
// Diff therefore puts into clears what the patch cannot say: implicit-presence
// scalars that became zero, explicit-presence fields (optional scalars,
// messages, oneof members) that became absent, repeated and map fields that
// became empty and deleted map keys. Floating-point values are compared by
// their bits: -0.0 differs from 0.0, and a NaN equals a NaN with the same
// bits. The one exception: protoreflect holds float32 values as float64,
// which quiets a float32 signaling NaN, so the codec does not tell one from
// its quiet form and may deliver either. Unknown fields and extensions are
// ignored on both sides.

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
)

// ErrDeltaTypeMismatch reports a Diff, Tracker.Update or ApplyDelta between
// messages of different types, or with a nil message.
var ErrDeltaTypeMismatch = errors.New("delta: message types differ")

// ErrDeltaInvalid reports a delta that does not fit the state it is applied
// to: its patch does not decode as the state's type or a clear path does not
// follow the schema. A receiver that gets one should ask for a snapshot.
var ErrDeltaInvalid = errors.New("delta: does not fit the state")

// ErrDeltaTrackerStale reports a Tracker.Update after an Update that failed:
// the tracker's copy no longer matches what receivers hold, so the caller must
// send a snapshot and call Tracker.Reset before diffing again.
var ErrDeltaTrackerStale = errors.New("delta: tracker is stale after an error; Reset it")

// Diff returns the delta that turns prev into next, or nil when they are
// equal. prev and next must be the same message type; a typed nil pointer
// counts as an empty message. The patch is encoded deterministically, so
// equal deltas have equal bytes. Neither message is modified, and the delta
// shares no memory with them.
func Diff(prev, next proto.Message) (*tickwirev1.Delta, error) {
	p, n, err := deltaPair(prev, next)
	if err != nil {
		return nil, err
	}
	var w deltaWalker
	return w.delta(p, n)
}

// Tracker keeps a private copy of the last state it saw and diffs the next
// one against it, updating the copy in place along the changed paths only.
// It is what a room uses every tick. Not safe for concurrent use: one room
// goroutine owns it.
type Tracker struct {
	last  protoreflect.Message
	w     deltaWalker
	stale bool
}

// NewTracker returns a tracker for states of zero's message type. Only the
// type of zero (which must not be nil) is used; the tracker's copy starts
// empty, so the first Update returns the whole state as a delta from the
// empty message.
func NewTracker(zero proto.Message) *Tracker {
	t := &Tracker{w: deltaWalker{sync: true}}
	t.last = zero.ProtoReflect().New()
	return t
}

// Update returns the delta from the tracker's copy to next (nil when nothing
// changed) and leaves the copy equal to next. next is only read and the copy
// never shares memory with it, so the caller may keep mutating next
// afterwards.
//
// For generated messages, an Update that finds nothing changed does not
// allocate, with two exceptions: a map with scalar (non-message) values costs
// one small allocation per entry (package reflect copies a value it looks
// up), and a repeated message field whose elements hold repeated or map
// fields costs a few per element (they are compared through protoreflect).
// A change allocates the delta, its clears and copies of new values.
//
// A type mismatch is reported with ErrDeltaTypeMismatch and changes nothing.
// Any other error (an unencodable patch, such as a proto3 string that is not
// valid UTF-8) leaves the copy partly updated: the tracker then refuses
// further Updates with ErrDeltaTrackerStale until Reset is called.
func (t *Tracker) Update(next proto.Message) (*tickwirev1.Delta, error) {
	if t.stale {
		return nil, ErrDeltaTrackerStale
	}
	_, n, err := deltaPair(t.last.Interface(), next)
	if err != nil {
		return nil, err
	}
	d, err := t.w.delta(t.last, n)
	if err != nil {
		t.stale = true
		return nil, err
	}
	return d, nil
}

// Reset makes the tracker's copy a clone of state (empty when state is nil),
// as after sending state as a snapshot to every receiver, and clears the stale
// mark left by a failed Update.
func (t *Tracker) Reset(state proto.Message) error {
	fresh := t.last.New()
	if state != nil {
		m := state.ProtoReflect()
		if m.Descriptor() != fresh.Descriptor() {
			return fmt.Errorf("%w: tracker holds %s, got %s", ErrDeltaTypeMismatch,
				fresh.Descriptor().FullName(), m.Descriptor().FullName())
		}
		deltaCopyMessage(protoreflect.ValueOfMessage(fresh), m)
	}
	t.last = fresh
	t.stale = false
	return nil
}

// State returns the tracker's copy of the last state. Callers must not modify
// it; it changes on the next Update.
func (t *Tracker) State() proto.Message {
	return t.last.Interface()
}

// deltaPair checks that prev and next are non-nil messages of one type.
func deltaPair(prev, next proto.Message) (p, n protoreflect.Message, err error) {
	if prev == nil || next == nil {
		return nil, nil, fmt.Errorf("%w: nil message", ErrDeltaTypeMismatch)
	}
	p, n = prev.ProtoReflect(), next.ProtoReflect()
	if p.Descriptor() != n.Descriptor() {
		return nil, nil, fmt.Errorf("%w: %s and %s", ErrDeltaTypeMismatch,
			p.Descriptor().FullName(), n.Descriptor().FullName())
	}
	return p, n, nil
}

// deltaWalker walks two messages of one type side by side, encoding the patch
// straight into buf (see delta_encode.go) and collecting the clears. With
// sync set (a Tracker) it also updates prev to equal next wherever they
// differ, so prev must then be a valid, private message. A Tracker keeps its
// walker, so its scratch (buffers, shapes, map iterators) is reused tick
// after tick.
type deltaWalker struct {
	sync    bool
	buf     []byte      // the patch being encoded
	err     error       // the first encoding error
	path    []deltaStep // fields and map keys from the root to the message walked
	clears  []*tickwirev1.FieldPath
	spans   []deltaSpan // map entries in buf, to be sorted by key
	scratch []byte      // for reordering map entries
	header  []byte      // for wrapping a map entry around its changes
	shapes  map[protoreflect.MessageDescriptor]*deltaShape
}

// deltaStep is one step of the path being walked: a message field, or a map
// field with the key of the entry walked into.
type deltaStep struct {
	fd  protoreflect.FieldDescriptor
	key protoreflect.MapKey // valid only when fd is a map
}

// delta walks prev and next and returns what it found.
func (w *deltaWalker) delta(prev, next protoreflect.Message) (*tickwirev1.Delta, error) {
	w.buf, w.err = w.buf[:0], nil
	w.path, w.spans, w.clears = w.path[:0], w.spans[:0], nil
	w.message(prev, next)
	clears := w.clears
	w.clears = nil
	if w.err != nil {
		return nil, fmt.Errorf("delta: encode patch of %s: %w", next.Descriptor().FullName(), w.err)
	}
	if len(w.buf) == 0 && len(clears) == 0 {
		return nil, nil
	}
	// Map iteration order is random, so clears under map entries come out in
	// any order; sorting makes equal deltas encode to equal bytes. Clears are
	// independent of each other (Diff never clears inside a cleared path), so
	// their order does not change the result.
	if len(clears) > 1 {
		slices.SortFunc(clears, deltaComparePaths)
	}
	d := &tickwirev1.Delta{Clears: clears}
	if len(w.buf) > 0 {
		d.Patch = bytes.Clone(w.buf)
	}
	return d, nil
}

// clear records a clear of fd under the current path.
func (w *deltaWalker) clear(fd protoreflect.FieldDescriptor) {
	w.clears = append(w.clears, w.fieldPath(deltaStep{fd: fd}))
}

// clearKey records the deletion of map entry k of fd under the current path.
func (w *deltaWalker) clearKey(fd protoreflect.FieldDescriptor, k protoreflect.MapKey) {
	w.clears = append(w.clears, w.fieldPath(deltaStep{fd: fd, key: k}))
}

// fieldPath encodes the current path followed by last.
func (w *deltaWalker) fieldPath(last deltaStep) *tickwirev1.FieldPath {
	n := len(w.path) + 1
	// One allocation for all steps; they are never copied afterwards.
	slab := make([]tickwirev1.PathStep, n)
	steps := make([]*tickwirev1.PathStep, n)
	for i := range n {
		s := last
		if i < len(w.path) {
			s = w.path[i]
		}
		deltaEncodeStep(&slab[i], s)
		steps[i] = &slab[i]
	}
	return &tickwirev1.FieldPath{Steps: steps}
}

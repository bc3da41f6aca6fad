package protocol

// The state-delta codec: Diff finds what changed between two states of a
// game's protobuf message, ApplyDelta replays it on a receiver's copy, and a
// Tracker does the diffing tick after tick against a private copy that it
// keeps in step without cloning the whole state.
//
// Delta.patch is a compact, schema-driven encoding of the changes (the
// format is specified on the Delta message in proto/tickwire/v1); the
// browser SDK's web/src/delta.ts implements the same applier. What makes it
// small:
//
//   - A message's changed fields are a bitmap over its fields in declaration
//     order (one byte for up to seven fields), and values follow without
//     tags.
//   - Scalars travel in their natural width: floats in 4 bytes, integers as
//     (zigzag) varints.
//   - An existing map entry is named by its rank, the position of its key
//     among the map's keys in key order before the delta, written as the
//     gap from the previous rank: steady-state deltas never resend a key.
//     Ranks need no table on either side: the receiver's copy equals the
//     sender's, so both sort the same keys. A key travels only when its
//     entry is added.
//   - Clears are part of the patch (a zero value, an op byte, an empty list,
//     a map's clear header), so Delta.clears stays empty.
//
// Floating-point values are compared by their bits: -0.0 differs from 0.0,
// and a NaN equals a NaN with the same bits. The one exception: protoreflect
// holds float32 values as float64, which quiets a float32 signaling NaN, so
// the codec does not tell one from its quiet form and may deliver either.
// Unknown fields and extensions are ignored on both sides.

import (
	"bytes"
	"errors"
	"fmt"
	"unsafe"

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
	clear(t.w.ranks)
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
// straight into buf (see delta_encode.go). With sync set (a Tracker) it also
// updates prev to equal next wherever they differ, so prev must then be a
// valid, private message. A Tracker keeps its walker, so its scratch
// (buffers, shapes, map iterators) is reused tick after tick.
type deltaWalker struct {
	sync         bool
	buf          []byte                         // the patch being encoded
	err          error                          // the first encoding error
	spans        []deltaSpan                    // map entries in buf, to be put in key order
	keys         []protoreflect.MapKey          // map keys being sorted, a stack of slices
	ranks        map[unsafe.Pointer]*deltaRanks // sorted keys of prev's Go maps (sync only)
	scratchRanks deltaRanks                     // sorted keys when not cached
	updates      uint64                         // walks so far, for sweeping ranks
	gone         []protoreflect.MapKey          // deleted map keys, a stack of slices
	adds         []deltaAdd                     // entries to add to prev's maps, a stack of slices
	scratch      []byte                         // for reordering map entries
	shapes       map[protoreflect.MessageDescriptor]*deltaShape
}

// delta walks prev and next and returns what it found.
func (w *deltaWalker) delta(prev, next protoreflect.Message) (*tickwirev1.Delta, error) {
	w.buf, w.err = w.buf[:0], nil
	w.spans, w.keys, w.gone, w.adds = w.spans[:0], w.keys[:0], w.gone[:0], w.adds[:0]
	if w.sync {
		w.sweepRanks()
	}
	changed := w.message(prev, next)
	if w.err != nil {
		return nil, fmt.Errorf("delta: encode patch of %s: %w", next.Descriptor().FullName(), w.err)
	}
	if !changed {
		return nil, nil
	}
	return &tickwirev1.Delta{Patch: bytes.Clone(w.buf)}, nil
}

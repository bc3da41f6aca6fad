package protocol

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
)

// ApplyDelta applies d to state in place (see the format on the Delta
// message). A nil d or an empty patch changes nothing.
//
// It returns an error wrapping ErrDeltaInvalid, and never panics, for a patch
// that does not fit state: one that does not follow the schema of state's
// type, names a map entry by a rank the map does not have, is truncated or
// has bytes left over, or a delta with clears (an older form of the format
// that Diff no longer writes). The whole patch is checked against state
// before anything is changed, so on error state is untouched.
func ApplyDelta(state proto.Message, d *tickwirev1.Delta) error {
	if state == nil {
		return fmt.Errorf("%w: nil state", ErrDeltaTypeMismatch)
	}
	if d == nil {
		return nil
	}
	m := state.ProtoReflect()
	if !m.IsValid() {
		return fmt.Errorf("%w: nil %s", ErrDeltaTypeMismatch, m.Descriptor().FullName())
	}
	if len(d.GetClears()) > 0 {
		return fmt.Errorf("%w: clears are not part of the delta format any more; the sender is out of date", ErrDeltaInvalid)
	}
	if len(d.GetPatch()) == 0 {
		return nil
	}
	p := deltaPatcher{dry: true}
	if err := p.run(m, d.GetPatch()); err != nil {
		return fmt.Errorf("%w: patch of %s: %w", ErrDeltaInvalid, m.Descriptor().FullName(), err)
	}
	p.dry = false
	if err := p.run(m, d.GetPatch()); err != nil {
		// Cannot happen: the check above read the same bytes against the
		// same state.
		return fmt.Errorf("%w: patch of %s failed after its check, state partly changed: %w", ErrDeltaInvalid, m.Descriptor().FullName(), err)
	}
	return nil
}

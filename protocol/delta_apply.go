package protocol

import (
	"fmt"
	"math"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
)

// ApplyDelta applies d to state in place: first it clears every path in
// d.clears, in order, then it merges d.patch field by field (see the rules at
// the top of delta.go). A nil d changes nothing.
//
// It returns an error wrapping ErrDeltaInvalid, and never panics, for a patch
// that does not decode as state's type or a path that does not fit the
// schema; both are checked before anything is changed, so on error state is
// untouched. Clearing through an absent message or map entry is not an error:
// there is nothing to clear.
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
	var patch protoreflect.Message
	if len(d.GetPatch()) > 0 {
		patch = m.New()
		opts := proto.UnmarshalOptions{DiscardUnknown: true, AllowPartial: true}
		if err := opts.Unmarshal(d.GetPatch(), patch.Interface()); err != nil {
			return fmt.Errorf("%w: patch is not a %s: %w", ErrDeltaInvalid, m.Descriptor().FullName(), err)
		}
	}
	md := m.Descriptor()
	for i, fp := range d.GetClears() {
		if err := deltaCheckPath(md, fp); err != nil {
			return fmt.Errorf("%w: clear %d: %w", ErrDeltaInvalid, i, err)
		}
	}
	for _, fp := range d.GetClears() {
		deltaClearPath(m, fp)
	}
	if patch != nil {
		deltaMerge(m, patch)
	}
	return nil
}

// deltaPathError describes a clear path that does not fit the schema.
type deltaPathError struct {
	step int
	msg  protoreflect.FullName
	why  string
}

func (e *deltaPathError) Error() string {
	return fmt.Sprintf("step %d in %s: %s", e.step, e.msg, e.why)
}

// deltaStepField resolves a path step's field number in md.
func deltaStepField(md protoreflect.MessageDescriptor, s *tickwirev1.PathStep) protoreflect.FieldDescriptor {
	n := s.GetField()
	if n == 0 || n > math.MaxInt32 {
		return nil
	}
	return md.Fields().ByNumber(protoreflect.FieldNumber(n))
}

// deltaCheckPath checks that fp follows md's schema: every step names a
// field, a step with a key names a map field whose key kind matches, an
// intermediate step descends into a message, and only map steps carry keys.
func deltaCheckPath(md protoreflect.MessageDescriptor, fp *tickwirev1.FieldPath) error {
	steps := fp.GetSteps()
	if len(steps) == 0 {
		return &deltaPathError{0, md.FullName(), "empty path"}
	}
	for i, s := range steps {
		fd := deltaStepField(md, s)
		if fd == nil {
			return &deltaPathError{i, md.FullName(), fmt.Sprintf("no field %d", s.GetField())}
		}
		last := i == len(steps)-1
		if s.GetKey() != nil {
			if !fd.IsMap() {
				return &deltaPathError{i, md.FullName(), fmt.Sprintf("key on %s, which is not a map", fd.Name())}
			}
			if _, ok := deltaPathKey(fd, s); !ok {
				return &deltaPathError{i, md.FullName(), fmt.Sprintf("key does not fit %s's key type %s", fd.Name(), fd.MapKey().Kind())}
			}
			if last {
				return nil
			}
			if md = fd.MapValue().Message(); md == nil {
				return &deltaPathError{i, fd.ContainingMessage().FullName(), fmt.Sprintf("cannot descend into %s's %s values", fd.Name(), fd.MapValue().Kind())}
			}
			continue
		}
		if last {
			return nil
		}
		if fd.IsList() || fd.IsMap() || fd.Message() == nil {
			return &deltaPathError{i, md.FullName(), fmt.Sprintf("cannot descend into %s without a key", fd.Name())}
		}
		md = fd.Message()
	}
	return nil
}

// deltaPathKey converts a step's key to a key of map field fd, reporting
// false when the key's type or range does not fit.
func deltaPathKey(fd protoreflect.FieldDescriptor, s *tickwirev1.PathStep) (protoreflect.MapKey, bool) {
	var v protoreflect.Value
	switch k := fd.MapKey().Kind(); k {
	case protoreflect.BoolKind:
		key, ok := s.GetKey().(*tickwirev1.PathStep_BoolKey)
		if !ok {
			return protoreflect.MapKey{}, false
		}
		v = protoreflect.ValueOfBool(key.BoolKey)
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		key, ok := s.GetKey().(*tickwirev1.PathStep_IntKey)
		if !ok || key.IntKey < math.MinInt32 || key.IntKey > math.MaxInt32 {
			return protoreflect.MapKey{}, false
		}
		v = protoreflect.ValueOfInt32(int32(key.IntKey))
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		key, ok := s.GetKey().(*tickwirev1.PathStep_IntKey)
		if !ok {
			return protoreflect.MapKey{}, false
		}
		v = protoreflect.ValueOfInt64(key.IntKey)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		key, ok := s.GetKey().(*tickwirev1.PathStep_UintKey)
		if !ok || key.UintKey > math.MaxUint32 {
			return protoreflect.MapKey{}, false
		}
		v = protoreflect.ValueOfUint32(uint32(key.UintKey))
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		key, ok := s.GetKey().(*tickwirev1.PathStep_UintKey)
		if !ok {
			return protoreflect.MapKey{}, false
		}
		v = protoreflect.ValueOfUint64(key.UintKey)
	case protoreflect.StringKind:
		key, ok := s.GetKey().(*tickwirev1.PathStep_StringKey)
		if !ok {
			return protoreflect.MapKey{}, false
		}
		v = protoreflect.ValueOfString(key.StringKey)
	default:
		return protoreflect.MapKey{}, false
	}
	return v.MapKey(), true
}

// deltaClearPath clears fp in m. fp has passed deltaCheckPath against m's
// descriptor.
func deltaClearPath(m protoreflect.Message, fp *tickwirev1.FieldPath) {
	steps := fp.GetSteps()
	for i, s := range steps {
		fd := deltaStepField(m.Descriptor(), s)
		last := i == len(steps)-1
		if s.GetKey() == nil {
			if last {
				m.Clear(fd)
				return
			}
			if !m.Has(fd) {
				return // nothing to clear inside an absent message
			}
			m = m.Mutable(fd).Message()
			continue
		}
		if !m.Has(fd) {
			return // an empty map has no entry to delete or descend into
		}
		k, _ := deltaPathKey(fd, s)
		mp := m.Mutable(fd).Map()
		if last {
			mp.Clear(k)
			return
		}
		v := mp.Get(k)
		if !v.IsValid() {
			return
		}
		if !v.Message().IsValid() {
			// A nil message in a Go map: make it a real, empty one.
			v = mp.NewValue()
			mp.Set(k, v)
		}
		m = v.Message()
	}
}

// deltaMerge merges src, a decoded patch that is owned by the caller and
// discarded afterwards, into dst: scalars and lists replace, messages and map
// entries with message values merge recursively. Values of src are moved into
// dst without copying.
func deltaMerge(dst, src protoreflect.Message) {
	fields := src.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if !src.Has(fd) {
			continue
		}
		v := src.Get(fd)
		switch {
		case fd.IsList():
			dst.Set(fd, v)
		case fd.IsMap():
			deltaMergeMap(dst.Mutable(fd).Map(), fd, v.Map())
		case fd.Message() != nil && dst.Has(fd):
			deltaMerge(dst.Mutable(fd).Message(), v.Message())
		default:
			// A scalar, an absent message, or a oneof member that replaces
			// another one.
			dst.Set(fd, v)
		}
	}
}

// deltaMergeMap merges the entries of src into dst, both of map field fd.
func deltaMergeMap(dst protoreflect.Map, fd protoreflect.FieldDescriptor, src protoreflect.Map) {
	msg := fd.MapValue().Message() != nil
	src.Range(func(k protoreflect.MapKey, v protoreflect.Value) bool {
		if msg {
			if cur := dst.Get(k); cur.IsValid() && cur.Message().IsValid() {
				deltaMerge(cur.Message(), v.Message())
				return true
			}
		}
		dst.Set(k, v)
		return true
	})
}

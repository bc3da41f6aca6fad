package protocol

import (
	"bytes"
	"math"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// deltaEqualValue reports whether two singular values of fd's kind (a scalar
// or a message; a list element or map value counts as singular) are equal
// under the delta codec's rules: floats by their bits, messages field by field
// ignoring unknown fields.
func deltaEqualValue(fd protoreflect.FieldDescriptor, a, b protoreflect.Value) bool {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return a.Bool() == b.Bool()
	case protoreflect.EnumKind:
		return a.Enum() == b.Enum()
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return a.Int() == b.Int()
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind,
		protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return a.Uint() == b.Uint()
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		return math.Float64bits(a.Float()) == math.Float64bits(b.Float())
	case protoreflect.StringKind:
		return a.String() == b.String()
	case protoreflect.BytesKind:
		return bytes.Equal(a.Bytes(), b.Bytes())
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return deltaEqualMessage(a.Message(), b.Message())
	}
	return false
}

// deltaIsZeroScalar reports whether v is the zero value of scalar field fd,
// the value an implicit-presence field cannot carry on the wire. Only +0.0 is
// a zero float; -0.0 and NaNs are encoded like any other value.
func deltaIsZeroScalar(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return !v.Bool()
	case protoreflect.EnumKind:
		return v.Enum() == 0
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return v.Int() == 0
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind,
		protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return v.Uint() == 0
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		return math.Float64bits(v.Float()) == 0
	case protoreflect.StringKind:
		return len(v.String()) == 0
	case protoreflect.BytesKind:
		return len(v.Bytes()) == 0
	}
	return false
}

// deltaEqualMessage reports whether a and b (same descriptor; either may be
// an invalid, empty message) hold the same known fields.
func deltaEqualMessage(a, b protoreflect.Message) bool {
	fields := a.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		ha, hb := a.Has(fd), b.Has(fd)
		if ha != hb {
			return false
		}
		if !ha {
			continue
		}
		var eq bool
		switch {
		case fd.IsList():
			eq = deltaEqualList(fd, a.Get(fd).List(), b.Get(fd).List())
		case fd.IsMap():
			eq = deltaEqualMap(fd, a.Get(fd).Map(), b.Get(fd).Map())
		default:
			eq = deltaEqualValue(fd, a.Get(fd), b.Get(fd))
		}
		if !eq {
			return false
		}
	}
	return true
}

// deltaEqualList reports whether two lists of repeated field fd are equal
// element by element.
func deltaEqualList(fd protoreflect.FieldDescriptor, a, b protoreflect.List) bool {
	n := a.Len()
	if n != b.Len() {
		return false
	}
	for i := range n {
		if !deltaEqualValue(fd, a.Get(i), b.Get(i)) {
			return false
		}
	}
	return true
}

// deltaEqualMap reports whether two maps of map field fd hold the same keys
// with equal values.
func deltaEqualMap(fd protoreflect.FieldDescriptor, a, b protoreflect.Map) bool {
	if a.Len() != b.Len() {
		return false
	}
	vd := fd.MapValue()
	eq := true
	a.Range(func(k protoreflect.MapKey, av protoreflect.Value) bool {
		bv := b.Get(k)
		eq = bv.IsValid() && deltaEqualValue(vd, av, bv)
		return eq
	})
	return eq
}

// deltaCopyScalar returns v, with bytes copied so the result shares no memory
// with the message v was read from.
func deltaCopyScalar(fd protoreflect.FieldDescriptor, v protoreflect.Value) protoreflect.Value {
	if fd.Kind() == protoreflect.BytesKind {
		return protoreflect.ValueOfBytes(append([]byte{}, v.Bytes()...))
	}
	return v
}

// deltaCopyMessage deep-copies src into dst, a new empty message value of
// the same descriptor, and returns dst. It copies field by field rather than
// with proto.Merge, which drops -0.0 from implicit-presence float fields
// (it skips values that compare equal to zero); unknown fields are not copied.
func deltaCopyMessage(dst protoreflect.Value, src protoreflect.Message) protoreflect.Value {
	if !src.IsValid() {
		return dst
	}
	m := dst.Message()
	fields := src.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if src.Has(fd) {
			m.Set(fd, deltaCopyField(m, fd, src.Get(fd)))
		}
	}
	return dst
}

// deltaCopyField returns a deep copy of v, a value of field fd, built from
// dst's own types so it can be set into dst.
func deltaCopyField(dst protoreflect.Message, fd protoreflect.FieldDescriptor, v protoreflect.Value) protoreflect.Value {
	switch {
	case fd.IsList():
		out := dst.NewField(fd)
		l, src := out.List(), v.List()
		msg := fd.Message() != nil
		for i := range src.Len() {
			if msg {
				l.Append(deltaCopyMessage(l.NewElement(), src.Get(i).Message()))
			} else {
				l.Append(deltaCopyScalar(fd, src.Get(i)))
			}
		}
		return out
	case fd.IsMap():
		out := dst.NewField(fd)
		m := out.Map()
		v.Map().Range(func(k protoreflect.MapKey, ev protoreflect.Value) bool {
			m.Set(k, deltaCopyMapValue(m, fd, ev))
			return true
		})
		return out
	case fd.Message() != nil:
		return deltaCopyMessage(dst.NewField(fd), v.Message())
	}
	return deltaCopyScalar(fd, v)
}

// deltaCopyMapValue returns a deep copy of v, a value of map field fd, that
// can be set into m.
func deltaCopyMapValue(m protoreflect.Map, fd protoreflect.FieldDescriptor, v protoreflect.Value) protoreflect.Value {
	if fd.MapValue().Message() != nil {
		return deltaCopyMessage(m.NewValue(), v.Message())
	}
	return deltaCopyScalar(fd.MapValue(), v)
}

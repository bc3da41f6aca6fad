package web

import (
	"fmt"
	"math"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// firstDifference names the first field where a and b differ, comparing
// floating-point values by their bits (prototext prints every NaN alike
// and proto.Equal calls -0.0 and 0.0 equal), or "" when they agree.
func firstDifference(a, b proto.Message) string {
	return diffMessage("", a.ProtoReflect(), b.ProtoReflect())
}

func diffMessage(at string, a, b protoreflect.Message) string {
	fields := a.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		name := at + string(fd.Name())
		if a.Has(fd) != b.Has(fd) {
			return fmt.Sprintf("%s: set %v, want set %v", name, a.Has(fd), b.Has(fd))
		}
		if !a.Has(fd) {
			continue
		}
		va, vb := a.Get(fd), b.Get(fd)
		switch {
		case fd.IsList():
			la, lb := va.List(), vb.List()
			if la.Len() != lb.Len() {
				return fmt.Sprintf("%s: %d elements, want %d", name, la.Len(), lb.Len())
			}
			for j := range la.Len() {
				if d := diffValue(fmt.Sprintf("%s[%d]", name, j), fd, la.Get(j), lb.Get(j)); d != "" {
					return d
				}
			}
		case fd.IsMap():
			ma, mb := va.Map(), vb.Map()
			if ma.Len() != mb.Len() {
				return fmt.Sprintf("%s: %d entries, want %d", name, ma.Len(), mb.Len())
			}
			var d string
			ma.Range(func(k protoreflect.MapKey, v protoreflect.Value) bool {
				w := mb.Get(k)
				if !w.IsValid() {
					d = fmt.Sprintf("%s[%v]: unexpected entry", name, k)
					return false
				}
				d = diffValue(fmt.Sprintf("%s[%v]", name, k), fd.MapValue(), v, w)
				return d == ""
			})
			if d != "" {
				return d
			}
		default:
			if d := diffValue(name, fd, va, vb); d != "" {
				return d
			}
		}
	}
	return ""
}

func diffValue(at string, fd protoreflect.FieldDescriptor, a, b protoreflect.Value) string {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return diffMessage(at+".", a.Message(), b.Message())
	case protoreflect.DoubleKind:
		if x, y := math.Float64bits(a.Float()), math.Float64bits(b.Float()); x != y {
			return fmt.Sprintf("%s: bits %#x, want %#x", at, x, y)
		}
		return ""
	case protoreflect.FloatKind:
		if x, y := math.Float32bits(float32(a.Float())), math.Float32bits(float32(b.Float())); x != y {
			return fmt.Sprintf("%s: bits %#x, want %#x", at, x, y)
		}
		return ""
	}
	if !a.Equal(b) {
		return fmt.Sprintf("%s: %v, want %v", at, a, b)
	}
	return ""
}

// canonicalNaNs rewrites every NaN in m as math.NaN(). JavaScript keeps a
// NaN a NaN but not necessarily its payload bits (ECMAScript lets an engine
// pick any NaN encoding when it writes a float to bytes, and V8 does for
// some fields), so the comparison forgives payloads and nothing else: -0.0
// and 0.0 stay different.
func canonicalNaNs(m protoreflect.Message) {
	canon := func(fd protoreflect.FieldDescriptor, v protoreflect.Value) (protoreflect.Value, bool) {
		if (fd.Kind() == protoreflect.DoubleKind || fd.Kind() == protoreflect.FloatKind) && math.IsNaN(v.Float()) {
			if fd.Kind() == protoreflect.FloatKind {
				return protoreflect.ValueOfFloat32(float32(math.NaN())), true
			}
			return protoreflect.ValueOfFloat64(math.NaN()), true
		}
		return v, false
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList():
			l := v.List()
			for i := range l.Len() {
				if fd.Message() != nil {
					canonicalNaNs(l.Get(i).Message())
				} else if c, ok := canon(fd, l.Get(i)); ok {
					l.Set(i, c)
				}
			}
		case fd.IsMap():
			mp := v.Map()
			mp.Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				if fd.MapValue().Message() != nil {
					canonicalNaNs(mv.Message())
				} else if c, ok := canon(fd.MapValue(), mv); ok {
					mp.Set(k, c)
				}
				return true
			})
		case fd.Message() != nil:
			canonicalNaNs(v.Message())
		default:
			if c, ok := canon(fd, v); ok {
				m.Set(fd, c)
			}
		}
		return true
	})
}

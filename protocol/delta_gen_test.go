package protocol

import (
	"bytes"
	"fmt"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// deltaExact reports whether a and b are equal with floats compared by bits
// (proto.Equal calls -0.0 and 0.0 equal): their deterministic encodings must
// match.
func deltaExact(t testing.TB, a, b proto.Message) bool {
	t.Helper()
	opts := proto.MarshalOptions{Deterministic: true, AllowPartial: true}
	ab, err := opts.Marshal(a)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	bb, err := opts.Marshal(b)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return bytes.Equal(ab, bb) && proto.Equal(a, b) && deltaEqualMessage(a.ProtoReflect(), b.ProtoReflect())
}

// exactClone copies m through its encoding. proto.Clone is not exact enough
// here: it drops -0.0 from implicit-presence float fields.
func exactClone[M proto.Message](t testing.TB, m M) M {
	t.Helper()
	b, err := proto.MarshalOptions{Deterministic: true, AllowPartial: true}.Marshal(m)
	if err != nil {
		t.Fatalf("clone: %v", err)
	}
	out := m.ProtoReflect().New().Interface()
	if err := (proto.UnmarshalOptions{AllowPartial: true}).Unmarshal(b, out); err != nil {
		t.Fatalf("clone: %v", err)
	}
	return out.(M)
}

// panicTB lets exactClone run outside a test (in the generator, which only
// clones valid states): it panics where a test would fail.
type panicTB struct{ testing.TB }

func (panicTB) Helper()                   {}
func (panicTB) Fatalf(f string, a ...any) { panic(fmt.Sprintf(f, a...)) }

// quietNaNs rewrites every float32 signaling NaN in m as the quiet NaN that
// protoreflect turns it into. protoreflect holds float32 values as float64,
// and the conversion quiets signaling NaNs, so the codec can neither tell a
// signaling NaN from its quiet form nor reproduce it; states decoded from
// arbitrary bytes need this before an exact comparison.
func quietNaNs(m protoreflect.Message) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList():
			l := v.List()
			for i := range l.Len() {
				if fd.Kind() == protoreflect.FloatKind {
					l.Set(i, l.Get(i))
				} else if fd.Message() != nil {
					quietNaNs(l.Get(i).Message())
				}
			}
		case fd.IsMap():
			mp := v.Map()
			mp.Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				if fd.MapValue().Kind() == protoreflect.FloatKind {
					mp.Set(k, mv)
				} else if fd.MapValue().Message() != nil {
					quietNaNs(mv.Message())
				}
				return true
			})
		case fd.Message() != nil:
			quietNaNs(v.Message())
		case fd.Kind() == protoreflect.FloatKind:
			m.Set(fd, v)
		}
		return true
	})
}

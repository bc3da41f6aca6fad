// Package stategen makes random protobuf states for tests of the delta
// codec: the Go property and fuzz tests (protocol) and the cross-language
// conformance corpus (web). It walks the schema's descriptors, so every
// field kind is covered without listing fields.
package stategen

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	testingv1 "github.com/tickwire/tickwire/proto/tickwire/testing/v1"
)

// Gen makes random states of tickwire.testing.v1.State for the delta
// codec's property, fuzz and cross-language conformance tests. It walks the
// descriptor, so every field of the schema is covered without listing them,
// and it draws values from small pools so that two random states often agree
// on a field (the interesting case for a diff). The pools include the values
// that trip codecs: zero, -0.0, NaNs with different bits, infinities, empty
// and nil bytes, extreme integers.
type Gen struct {
	r *rand.Rand
}

// Rand is the generator's source, for tests that draw their own choices.
func (g *Gen) Rand() *rand.Rand { return g.r }

// New returns a generator; the same seed gives the same states.
func New(seed uint64) *Gen {
	return &Gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

var (
	genFloats = []float64{0, math.Copysign(0, -1), 1, -1.5, 0.1, math.Inf(1), math.Inf(-1),
		math.NaN(), math.Float64frombits(0x7ff8000000000001), math.MaxFloat32, 3e-40}
	genInts    = []int64{0, 1, -1, 2, 42, math.MaxInt32, math.MinInt32, math.MaxInt64, math.MinInt64}
	genUints   = []uint64{0, 1, 2, 42, math.MaxUint32, math.MaxUint64}
	genStrings = []string{"", "a", "b", "héllo", "🙂", "a longer string"}
	genBytes   = [][]byte{nil, {}, {0}, {1, 2, 3}, {0xff}}
)

// Chance reports true with probability p.
func (g *Gen) Chance(p float64) bool { return g.r.Float64() < p }

// State returns a random State.
func (g *Gen) State() *testingv1.State {
	m := &testingv1.State{}
	g.Fill(m.ProtoReflect(), 0)
	return m
}

// Fill sets a random subset of m's fields to random values, recursing into
// messages up to a small depth.
func (g *Gen) Fill(m protoreflect.Message, depth int) {
	md := m.Descriptor()
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if fd.ContainingOneof() != nil && !fd.ContainingOneof().IsSynthetic() {
			continue
		}
		if g.Chance(0.5) {
			g.setField(m, fd, depth)
		}
	}
	oneofs := md.Oneofs()
	for i := range oneofs.Len() {
		od := oneofs.Get(i)
		if od.IsSynthetic() || g.Chance(0.3) {
			continue
		}
		fd := od.Fields().Get(g.r.IntN(od.Fields().Len()))
		g.setField(m, fd, depth)
	}
}

// setField gives fd in m a fresh random value (possibly empty or zero).
func (g *Gen) setField(m protoreflect.Message, fd protoreflect.FieldDescriptor, depth int) {
	switch {
	case fd.IsList():
		m.Clear(fd)
		l := m.Mutable(fd).List()
		for range g.r.IntN(4) {
			if fd.Message() != nil {
				e := l.NewElement()
				g.Fill(e.Message(), depth+1)
				l.Append(e)
			} else {
				l.Append(g.scalar(fd))
			}
		}
	case fd.IsMap():
		m.Clear(fd)
		mp := m.Mutable(fd).Map()
		for range g.r.IntN(4) {
			mp.Set(g.scalar(fd.MapKey()).MapKey(), g.mapValue(mp, fd, depth))
		}
	case fd.Message() != nil:
		if depth > 3 {
			return
		}
		v := m.NewField(fd)
		g.Fill(v.Message(), depth+1)
		m.Set(fd, v)
	default:
		m.Set(fd, g.scalar(fd))
	}
}

// mapValue returns a random value for map field fd.
func (g *Gen) mapValue(mp protoreflect.Map, fd protoreflect.FieldDescriptor, depth int) protoreflect.Value {
	if fd.MapValue().Message() != nil {
		v := mp.NewValue()
		if depth <= 3 {
			g.Fill(v.Message(), depth+1)
		}
		return v
	}
	return g.scalar(fd.MapValue())
}

// scalar returns a random value of scalar field fd's kind.
func (g *Gen) scalar(fd protoreflect.FieldDescriptor) protoreflect.Value {
	pick := func(n int) int { return g.r.IntN(n) }
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(g.Chance(0.5))
	case protoreflect.EnumKind:
		// Only declared values: a closed (proto2) enum would turn others
		// into unknown fields when decoded.
		values := fd.Enum().Values()
		return protoreflect.ValueOfEnum(values.Get(pick(values.Len())).Number())
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return protoreflect.ValueOfInt32(int32(genInts[pick(len(genInts))]))
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64(genInts[pick(len(genInts))])
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32(uint32(genUints[pick(len(genUints))]))
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64(genUints[pick(len(genUints))])
	case protoreflect.FloatKind:
		return protoreflect.ValueOfFloat32(float32(genFloats[pick(len(genFloats))]))
	case protoreflect.DoubleKind:
		return protoreflect.ValueOfFloat64(genFloats[pick(len(genFloats))])
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(genStrings[pick(len(genStrings))])
	case protoreflect.BytesKind:
		b := genBytes[pick(len(genBytes))]
		if b != nil {
			b = bytes.Clone(b)
		}
		return protoreflect.ValueOfBytes(b)
	}
	panic(fmt.Sprintf("Gen: kind %v", fd.Kind()))
}

// Mutate changes a random few fields of m in place, the way a tick changes
// a state: some fields get new values, some are cleared, some messages and
// maps change only inside.
func (g *Gen) Mutate(m protoreflect.Message, depth int) {
	md := m.Descriptor()
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if !g.Chance(0.25) {
			continue
		}
		switch {
		case g.Chance(0.15):
			m.Clear(fd)
		case fd.IsMap() && m.Has(fd):
			g.mutateMap(m.Mutable(fd).Map(), fd, depth)
		case fd.Message() != nil && !fd.IsList() && m.Has(fd) && g.Chance(0.7):
			g.Mutate(m.Mutable(fd).Message(), depth+1)
		default:
			g.setField(m, fd, depth)
		}
	}
}

// mutateMap deletes, changes and adds a few entries of mp.
func (g *Gen) mutateMap(mp protoreflect.Map, fd protoreflect.FieldDescriptor, depth int) {
	var keys []protoreflect.MapKey
	mp.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
		keys = append(keys, k)
		return true
	})
	for _, k := range keys {
		switch {
		case g.Chance(0.2):
			mp.Clear(k)
		case g.Chance(0.4) && fd.MapValue().Message() != nil:
			g.Mutate(mp.Mutable(k).Message(), depth+1)
		case g.Chance(0.2):
			mp.Set(k, g.mapValue(mp, fd, depth))
		}
	}
	if g.Chance(0.3) {
		mp.Set(g.scalar(fd.MapKey()).MapKey(), g.mapValue(mp, fd, depth))
	}
}

// Pair returns two states for a diff: unrelated random states, a state and
// a mutation of it, or (sometimes) a state and an exact copy.
func (g *Gen) Pair() (a, b *testingv1.State) {
	a = g.State()
	if g.Chance(0.3) {
		return a, g.State()
	}
	b = MustClone(a)
	if g.Chance(0.9) {
		g.Mutate(b.ProtoReflect(), 0)
	}
	return a, b
}

// MustClone copies m through its deterministic encoding. proto.Clone is not
// exact enough for codec tests: it drops -0.0 from implicit-presence float
// fields. It panics on an invalid message.
func MustClone[M proto.Message](m M) M {
	b, err := proto.MarshalOptions{Deterministic: true, AllowPartial: true}.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("clone: %v", err))
	}
	out := m.ProtoReflect().New().Interface()
	if err := (proto.UnmarshalOptions{AllowPartial: true}).Unmarshal(b, out); err != nil {
		panic(fmt.Sprintf("clone: %v", err))
	}
	return out.(M)
}

package protocol

import (
	"math"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	tv1 "github.com/tickwire/tickwire/proto/tickwire/testing/v1"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
)

// deltaCase is one Diff expectation: the patch (decoded) and the clears
// (formatted with formatPath) that turn prev into next. A case with neither
// expects Diff to return nil.
type deltaCase struct {
	name       string
	prev, next *tv1.State
	patch      *tv1.State
	clears     []string
}

// check runs one case through Diff, ApplyDelta (after a wire round trip) and
// a Tracker that has seen prev, which must produce the same delta as Diff.
func (c deltaCase) check(t *testing.T) {
	t.Helper()
	d, err := Diff(c.prev, c.next)
	if err != nil {
		t.Fatalf("Diff: %v", err)
	}
	if c.patch == nil && c.clears == nil {
		if d != nil {
			t.Fatalf("Diff = %v, want nil", d)
		}
	} else {
		if d == nil {
			t.Fatal("Diff = nil, want a delta")
		}
		checkDelta(t, c.prev, d, c.patch, c.clears)
	}

	got := exactClone(t, c.prev)
	if err := ApplyDelta(got, roundTrip(t, d)); err != nil {
		t.Fatalf("ApplyDelta: %v", err)
	}
	if !deltaExact(t, got, c.next) {
		t.Fatalf("apply(diff(prev, next), prev) =\n%v\nwant\n%v", got, c.next)
	}

	tr := NewTracker(&tv1.State{})
	if err := tr.Reset(c.prev); err != nil {
		t.Fatal(err)
	}
	td, err := tr.Update(c.next)
	if err != nil {
		t.Fatalf("Tracker.Update: %v", err)
	}
	if !proto.Equal(td, d) {
		t.Fatalf("Tracker.Update = %v, Diff = %v", td, d)
	}
	if !deltaExact(t, tr.State(), c.next) {
		t.Fatalf("tracker copy =\n%v\nwant\n%v", tr.State(), c.next)
	}
}

// checkDelta compares what d says (see explainDelta) with the expectation.
func checkDelta(t *testing.T, prev *tv1.State, d *tickwirev1.Delta, patch *tv1.State, clears []string) {
	t.Helper()
	got, gotClears := explainDelta(t, prev, d)
	switch {
	case patch == nil && got != nil:
		t.Errorf("patch sets\n%v\nwant nothing", got)
	case patch != nil && (got == nil || !deltaExact(t, got, patch)):
		t.Errorf("patch sets\n%v\nwant\n%v", got, patch)
	}
	want := slices.Sorted(slices.Values(clears))
	if !slices.Equal(gotClears, want) {
		t.Errorf("clears = %q, want %q", gotClears, want)
	}
}

func TestDiffScalarKinds(t *testing.T) {
	// Every implicit-presence scalar kind: change, clear to zero, set from
	// zero, unchanged. Two non-zero values per kind.
	values := map[protoreflect.Kind][2]protoreflect.Value{
		protoreflect.Int32Kind:    {protoreflect.ValueOfInt32(-7), protoreflect.ValueOfInt32(math.MaxInt32)},
		protoreflect.Int64Kind:    {protoreflect.ValueOfInt64(math.MinInt64), protoreflect.ValueOfInt64(9)},
		protoreflect.Uint32Kind:   {protoreflect.ValueOfUint32(1), protoreflect.ValueOfUint32(math.MaxUint32)},
		protoreflect.Uint64Kind:   {protoreflect.ValueOfUint64(math.MaxUint64), protoreflect.ValueOfUint64(2)},
		protoreflect.Sint32Kind:   {protoreflect.ValueOfInt32(-1), protoreflect.ValueOfInt32(1)},
		protoreflect.Sint64Kind:   {protoreflect.ValueOfInt64(-1), protoreflect.ValueOfInt64(1 << 40)},
		protoreflect.Fixed32Kind:  {protoreflect.ValueOfUint32(5), protoreflect.ValueOfUint32(6)},
		protoreflect.Fixed64Kind:  {protoreflect.ValueOfUint64(5), protoreflect.ValueOfUint64(1 << 63)},
		protoreflect.Sfixed32Kind: {protoreflect.ValueOfInt32(math.MinInt32), protoreflect.ValueOfInt32(3)},
		protoreflect.Sfixed64Kind: {protoreflect.ValueOfInt64(-3), protoreflect.ValueOfInt64(3)},
		protoreflect.FloatKind:    {protoreflect.ValueOfFloat32(1.5), protoreflect.ValueOfFloat32(float32(math.Inf(-1)))},
		protoreflect.DoubleKind:   {protoreflect.ValueOfFloat64(math.Pi), protoreflect.ValueOfFloat64(math.NaN())},
		protoreflect.BoolKind:     {protoreflect.ValueOfBool(true), protoreflect.ValueOfBool(true)},
		protoreflect.StringKind:   {protoreflect.ValueOfString("a"), protoreflect.ValueOfString("héllo")},
		protoreflect.BytesKind:    {protoreflect.ValueOfBytes([]byte{0}), protoreflect.ValueOfBytes([]byte{1, 2})},
		protoreflect.EnumKind:     {protoreflect.ValueOfEnum(1), protoreflect.ValueOfEnum(3)},
	}
	fields := (&tv1.Scalars{}).ProtoReflect().Descriptor().Fields()
	if len(values) != fields.Len() {
		t.Fatalf("Scalars has %d fields, the test covers %d kinds", fields.Len(), len(values))
	}
	with := func(fd protoreflect.FieldDescriptor, v protoreflect.Value) *tv1.State {
		s := &tv1.Scalars{}
		if v.IsValid() {
			s.ProtoReflect().Set(fd, v)
		}
		return &tv1.State{Scalars: s}
	}
	for i := range fields.Len() {
		fd := fields.Get(i)
		vs, ok := values[fd.Kind()]
		if !ok {
			t.Fatalf("no values for %v", fd.Kind())
		}
		a, b := vs[0], vs[1]
		name := string(fd.Name())
		cases := []deltaCase{
			{name: "set", prev: with(fd, protoreflect.Value{}), next: with(fd, a), patch: with(fd, a)},
			{name: "clear", prev: with(fd, a), next: with(fd, protoreflect.Value{}), clears: []string{"scalars." + name}},
			{name: "unchanged", prev: with(fd, a), next: with(fd, a)},
		}
		if fd.Kind() != protoreflect.BoolKind {
			cases = append(cases, deltaCase{name: "change", prev: with(fd, a), next: with(fd, b), patch: with(fd, b)})
		}
		for _, c := range cases {
			t.Run(name+"/"+c.name, c.check)
		}
	}
}

func TestDiffFloatBits(t *testing.T) {
	negZero := math.Copysign(0, -1)
	nan1 := math.Float64frombits(0x7ff8000000000001)
	nan2 := math.Float64frombits(0x7ff8000000000002)
	cases := []deltaCase{
		{name: "0 to -0", prev: &tv1.State{Scalars: &tv1.Scalars{}}, next: &tv1.State{Scalars: &tv1.Scalars{Db: negZero}},
			patch: &tv1.State{Scalars: &tv1.Scalars{Db: negZero}}},
		{name: "-0 to 0", prev: &tv1.State{Scalars: &tv1.Scalars{Fl: float32(negZero)}}, next: &tv1.State{Scalars: &tv1.Scalars{}},
			clears: []string{"scalars.fl"}},
		{name: "same NaN", prev: &tv1.State{Scalars: &tv1.Scalars{Db: nan1}}, next: &tv1.State{Scalars: &tv1.Scalars{Db: nan1}}},
		{name: "other NaN", prev: &tv1.State{Scalars: &tv1.Scalars{Db: nan1}}, next: &tv1.State{Scalars: &tv1.Scalars{Db: nan2}},
			patch: &tv1.State{Scalars: &tv1.Scalars{Db: nan2}}},
		{name: "list -0", prev: &tv1.State{RDouble: []float64{0, 1}}, next: &tv1.State{RDouble: []float64{negZero, 1}},
			patch: &tv1.State{RDouble: []float64{negZero, 1}}},
		{name: "map NaN unchanged", prev: &tv1.State{MSint32Double: map[int32]float64{1: nan1}}, next: &tv1.State{MSint32Double: map[int32]float64{1: nan1}}},
		{name: "map float -0", prev: &tv1.State{MSfixed32Float: map[int32]float32{1: 0}}, next: &tv1.State{MSfixed32Float: map[int32]float32{1: float32(negZero)}},
			patch: &tv1.State{MSfixed32Float: map[int32]float32{1: float32(negZero)}}},
	}
	for _, c := range cases {
		t.Run(c.name, c.check)
	}

	// protoreflect holds float32 values as float64, which quiets signaling
	// NaNs: the codec does not tell a float32 signaling NaN from its quiet
	// form, and may deliver either (a whole new message keeps the bits, a
	// changed field does not).
	sNaN := math.Float32frombits(0x7f800001)
	qNaN := float32(float64(sNaN))
	if math.Float32bits(qNaN) == math.Float32bits(sNaN) {
		t.Fatal("this platform does not quiet signaling NaNs; update the test")
	}
	d, err := Diff(&tv1.State{Scalars: &tv1.Scalars{Fl: qNaN}}, &tv1.State{Scalars: &tv1.Scalars{Fl: sNaN}})
	if d != nil || err != nil {
		t.Errorf("Diff(quiet NaN, signaling NaN) = %v, %v; want nil (the same value to the codec)", d, err)
	}
	d, err = Diff(&tv1.State{}, &tv1.State{Scalars: &tv1.Scalars{Fl: sNaN}})
	if err != nil {
		t.Fatal(err)
	}
	got := &tv1.State{}
	if err := ApplyDelta(got, d); err != nil {
		t.Fatal(err)
	}
	if b := math.Float32bits(got.GetScalars().GetFl()); b != math.Float32bits(qNaN) && b != math.Float32bits(sNaN) {
		t.Errorf("signaling NaN arrived as %#x, want %#x or its quiet form %#x", b, math.Float32bits(sNaN), math.Float32bits(qNaN))
	}
	// A changed field goes through protoreflect.
	d, err = Diff(&tv1.State{Scalars: &tv1.Scalars{Fl: 1}}, &tv1.State{Scalars: &tv1.Scalars{Fl: sNaN}})
	if err != nil {
		t.Fatal(err)
	}
	got = &tv1.State{Scalars: &tv1.Scalars{Fl: 1}}
	if err := ApplyDelta(got, d); err != nil {
		t.Fatal(err)
	}
	if b := math.Float32bits(got.GetScalars().GetFl()); b != math.Float32bits(qNaN) && b != math.Float32bits(sNaN) {
		t.Errorf("signaling NaN arrived as %#x, want %#x or its quiet form %#x", b, math.Float32bits(sNaN), math.Float32bits(qNaN))
	}
}

func TestDiffOptional(t *testing.T) {
	opt := func(o *tv1.Optionals) *tv1.State { return &tv1.State{Optionals: o} }
	cases := []deltaCase{
		{name: "absent to zero", prev: opt(&tv1.Optionals{}), next: opt(&tv1.Optionals{I32: proto.Int32(0)}),
			patch: opt(&tv1.Optionals{I32: proto.Int32(0)})},
		{name: "zero to absent", prev: opt(&tv1.Optionals{I32: proto.Int32(0)}), next: opt(&tv1.Optionals{}),
			clears: []string{"optionals.i32"}},
		{name: "value to zero", prev: opt(&tv1.Optionals{U64: proto.Uint64(5)}), next: opt(&tv1.Optionals{U64: proto.Uint64(0)}),
			patch: opt(&tv1.Optionals{U64: proto.Uint64(0)})},
		{name: "zero unchanged", prev: opt(&tv1.Optionals{B: proto.Bool(false)}), next: opt(&tv1.Optionals{B: proto.Bool(false)})},
		{name: "empty bytes present", prev: opt(&tv1.Optionals{}), next: opt(&tv1.Optionals{By: []byte{}}),
			patch: opt(&tv1.Optionals{By: []byte{}})},
		{name: "empty string present", prev: opt(&tv1.Optionals{}), next: opt(&tv1.Optionals{S: proto.String("")}),
			patch: opt(&tv1.Optionals{S: proto.String("")})},
		{name: "enum zero present", prev: opt(&tv1.Optionals{Color: tv1.Color_COLOR_RED.Enum()}), next: opt(&tv1.Optionals{Color: tv1.Color_COLOR_UNSPECIFIED.Enum()}),
			patch: opt(&tv1.Optionals{Color: tv1.Color_COLOR_UNSPECIFIED.Enum()})},
		{name: "several", prev: opt(&tv1.Optionals{S64: proto.Int64(-1), Fl: proto.Float32(1), Db: proto.Float64(2)}),
			next:   opt(&tv1.Optionals{S64: proto.Int64(-1), Db: proto.Float64(3)}),
			patch:  opt(&tv1.Optionals{Db: proto.Float64(3)}),
			clears: []string{"optionals.fl"}},
	}
	for _, c := range cases {
		t.Run(c.name, c.check)
	}
}

func TestDiffNested(t *testing.T) {
	cases := []deltaCase{
		{name: "deep change", prev: &tv1.State{Inner: &tv1.Inner{Value: 1, Leaf: &tv1.Leaf{X: 1, Data: []byte("d")}}},
			next:  &tv1.State{Inner: &tv1.Inner{Value: 1, Leaf: &tv1.Leaf{X: 2, Data: []byte("d")}}},
			patch: &tv1.State{Inner: &tv1.Inner{Leaf: &tv1.Leaf{X: 2}}}},
		{name: "deep clear", prev: &tv1.State{Inner: &tv1.Inner{Leaf: &tv1.Leaf{X: 1, N: proto.Int64(5)}}},
			next:   &tv1.State{Inner: &tv1.Inner{Leaf: &tv1.Leaf{X: 1}}},
			clears: []string{"inner.leaf.n"}},
		{name: "message removed", prev: &tv1.State{Inner: &tv1.Inner{Leaf: &tv1.Leaf{X: 1}}}, next: &tv1.State{Inner: &tv1.Inner{}},
			clears: []string{"inner.leaf"}},
		{name: "empty message added", prev: &tv1.State{}, next: &tv1.State{Inner: &tv1.Inner{}},
			patch: &tv1.State{Inner: &tv1.Inner{}}},
		{name: "empty message added two levels", prev: &tv1.State{Inner: &tv1.Inner{Value: 3}}, next: &tv1.State{Inner: &tv1.Inner{Value: 3, Leaf: &tv1.Leaf{}}},
			patch: &tv1.State{Inner: &tv1.Inner{Leaf: &tv1.Leaf{}}}},
		{name: "message emptied stays present", prev: &tv1.State{Inner: &tv1.Inner{Value: 3, Label: "x"}}, next: &tv1.State{Inner: &tv1.Inner{}},
			clears: []string{"inner.value", "inner.label"}},
		{name: "whole message added", prev: &tv1.State{}, next: &tv1.State{Inner: &tv1.Inner{Value: 3, Leaf: &tv1.Leaf{N: proto.Int64(0)}}},
			patch: &tv1.State{Inner: &tv1.Inner{Value: 3, Leaf: &tv1.Leaf{N: proto.Int64(0)}}}},
		{name: "recursive", prev: &tv1.State{Root: &tv1.Node{Child: &tv1.Node{Child: &tv1.Node{Name: "a"}}}},
			next:  &tv1.State{Root: &tv1.Node{Child: &tv1.Node{Child: &tv1.Node{Name: "b", Child: &tv1.Node{}}}}},
			patch: &tv1.State{Root: &tv1.Node{Child: &tv1.Node{Child: &tv1.Node{Name: "b", Child: &tv1.Node{}}}}}},
		{name: "patch and clears", prev: &tv1.State{Tick: 1, Title: "t", Inner: &tv1.Inner{Value: 1}},
			next:   &tv1.State{Tick: 2, Inner: &tv1.Inner{Label: "l"}},
			patch:  &tv1.State{Tick: 2, Inner: &tv1.Inner{Label: "l"}},
			clears: []string{"inner.value", "title"}},
	}
	for _, c := range cases {
		t.Run(c.name, c.check)
	}
}

func TestDiffRepeated(t *testing.T) {
	cases := []deltaCase{
		{name: "replace", prev: &tv1.State{RInt32: []int32{1, 2}}, next: &tv1.State{RInt32: []int32{1, 3}},
			patch: &tv1.State{RInt32: []int32{1, 3}}},
		{name: "grow", prev: &tv1.State{RString: []string{"a"}}, next: &tv1.State{RString: []string{"a", "b"}},
			patch: &tv1.State{RString: []string{"a", "b"}}},
		{name: "shrink", prev: &tv1.State{RBool: []bool{true, false}}, next: &tv1.State{RBool: []bool{true}},
			patch: &tv1.State{RBool: []bool{true}}},
		{name: "empty", prev: &tv1.State{RSint64: []int64{1}}, next: &tv1.State{},
			clears: []string{"r_sint64"}},
		{name: "from empty", prev: &tv1.State{}, next: &tv1.State{RFixed32: []uint32{0, 0}},
			patch: &tv1.State{RFixed32: []uint32{0, 0}}},
		{name: "unchanged", prev: &tv1.State{RColor: []tv1.Color{1, 2}}, next: &tv1.State{RColor: []tv1.Color{1, 2}}},
		{name: "bytes element", prev: &tv1.State{RBytes: [][]byte{{1}, nil}}, next: &tv1.State{RBytes: [][]byte{{1}, {2}}},
			patch: &tv1.State{RBytes: [][]byte{{1}, {2}}}},
		{name: "message element", prev: &tv1.State{RInner: []*tv1.Inner{{Value: 1}, {Label: "x"}}},
			next:  &tv1.State{RInner: []*tv1.Inner{{Value: 1}, {Label: "y"}}},
			patch: &tv1.State{RInner: []*tv1.Inner{{Value: 1}, {Label: "y"}}}},
		{name: "message element unchanged", prev: &tv1.State{RInner: []*tv1.Inner{{Counts: map[string]int32{"a": 1}}}},
			next: &tv1.State{RInner: []*tv1.Inner{{Counts: map[string]int32{"a": 1}}}}},
		{name: "nested list", prev: &tv1.State{Inner: &tv1.Inner{Nums: []int32{1}, Leaf: &tv1.Leaf{Samples: []float32{1}}}},
			next:   &tv1.State{Inner: &tv1.Inner{Nums: []int32{1}, Leaf: &tv1.Leaf{}}},
			clears: []string{"inner.leaf.samples"}},
	}
	for _, c := range cases {
		t.Run(c.name, c.check)
	}
}

func TestDiffMap(t *testing.T) {
	cases := []deltaCase{
		{name: "add", prev: &tv1.State{MStringInt64: map[string]int64{"a": 1}}, next: &tv1.State{MStringInt64: map[string]int64{"a": 1, "b": 2}},
			patch: &tv1.State{MStringInt64: map[string]int64{"b": 2}}},
		{name: "change", prev: &tv1.State{MStringInt64: map[string]int64{"a": 1, "b": 2}}, next: &tv1.State{MStringInt64: map[string]int64{"a": 5, "b": 2}},
			patch: &tv1.State{MStringInt64: map[string]int64{"a": 5}}},
		{name: "change to zero", prev: &tv1.State{MStringInt64: map[string]int64{"a": 1}}, next: &tv1.State{MStringInt64: map[string]int64{"a": 0}},
			patch: &tv1.State{MStringInt64: map[string]int64{"a": 0}}},
		{name: "remove", prev: &tv1.State{MStringInt64: map[string]int64{"a": 1, "b": 2, "c": 3}}, next: &tv1.State{MStringInt64: map[string]int64{"a": 1}},
			clears: []string{`m_string_int64["b"]`, `m_string_int64["c"]`}},
		{name: "empty", prev: &tv1.State{MStringInt64: map[string]int64{"a": 1}}, next: &tv1.State{},
			clears: []string{"m_string_int64"}},
		{name: "from empty", prev: &tv1.State{}, next: &tv1.State{MInt32String: map[int32]string{-1: "", 2: "x"}},
			patch: &tv1.State{MInt32String: map[int32]string{-1: "", 2: "x"}}},
		{name: "int32 key remove", prev: &tv1.State{MInt32String: map[int32]string{math.MinInt32: "a", 2: "b"}}, next: &tv1.State{MInt32String: map[int32]string{2: "b"}},
			clears: []string{"m_int32_string[-2147483648]"}},
		{name: "uint32 key bytes value", prev: &tv1.State{MUint32Bytes: map[uint32][]byte{1: {1}, 2: {2}}}, next: &tv1.State{MUint32Bytes: map[uint32][]byte{1: {9}, 3: nil}},
			patch:  &tv1.State{MUint32Bytes: map[uint32][]byte{1: {9}, 3: nil}},
			clears: []string{"m_uint32_bytes[2u]"}},
		{name: "bool key", prev: &tv1.State{MBoolString: map[bool]string{true: "t", false: "f"}}, next: &tv1.State{MBoolString: map[bool]string{true: "T"}},
			patch:  &tv1.State{MBoolString: map[bool]string{true: "T"}},
			clears: []string{"m_bool_string[false]"}},
		{name: "sint64 key bool value", prev: &tv1.State{MSint64Bool: map[int64]bool{-5: true}}, next: &tv1.State{MSint64Bool: map[int64]bool{-5: false}},
			patch: &tv1.State{MSint64Bool: map[int64]bool{-5: false}}},
		{name: "fixed64 key enum value", prev: &tv1.State{MFixed64Color: map[uint64]tv1.Color{math.MaxUint64: 1}}, next: &tv1.State{MFixed64Color: map[uint64]tv1.Color{math.MaxUint64: 2}},
			patch: &tv1.State{MFixed64Color: map[uint64]tv1.Color{math.MaxUint64: 2}}},
		{name: "sfixed64 key uint32 value", prev: &tv1.State{MSfixed64Uint32: map[int64]uint32{1: 1}}, next: &tv1.State{MSfixed64Uint32: map[int64]uint32{1: 1}}},
		{name: "message value merge", prev: &tv1.State{MStringInner: map[string]*tv1.Inner{"a": {Value: 1, Label: "x"}, "b": {Value: 7}}},
			next:  &tv1.State{MStringInner: map[string]*tv1.Inner{"a": {Value: 2, Label: "x"}, "b": {Value: 7}}},
			patch: &tv1.State{MStringInner: map[string]*tv1.Inner{"a": {Value: 2}}}},
		{name: "message value nested clear", prev: &tv1.State{MStringInner: map[string]*tv1.Inner{"a": {Value: 1, Label: "x"}}},
			next:   &tv1.State{MStringInner: map[string]*tv1.Inner{"a": {Value: 1}}},
			clears: []string{`m_string_inner["a"].label`}},
		{name: "message value new empty", prev: &tv1.State{MStringInner: map[string]*tv1.Inner{"a": {Value: 1}}},
			next:  &tv1.State{MStringInner: map[string]*tv1.Inner{"a": {Value: 1}, "b": {}}},
			patch: &tv1.State{MStringInner: map[string]*tv1.Inner{"b": {}}}},
		{name: "message value new full", prev: &tv1.State{MUint64Leaf: map[uint64]*tv1.Leaf{1: {}}},
			next:  &tv1.State{MUint64Leaf: map[uint64]*tv1.Leaf{1: {}, 2: {X: 1, N: proto.Int64(0)}}},
			patch: &tv1.State{MUint64Leaf: map[uint64]*tv1.Leaf{2: {X: 1, N: proto.Int64(0)}}}},
		{name: "maps in map values", prev: &tv1.State{MInt64Inner: map[int64]*tv1.Inner{7: {Leaves: map[uint32]*tv1.Leaf{3: {N: proto.Int64(1)}, 4: {}}, Counts: map[string]int32{"k": 1}}}},
			next:   &tv1.State{MInt64Inner: map[int64]*tv1.Inner{7: {Leaves: map[uint32]*tv1.Leaf{3: {}}, Counts: map[string]int32{"k": 2}}}},
			patch:  &tv1.State{MInt64Inner: map[int64]*tv1.Inner{7: {Counts: map[string]int32{"k": 2}}}},
			clears: []string{"m_int64_inner[7].leaves[3u].n", "m_int64_inner[7].leaves[4u]"}},
		{name: "scalars message value", prev: &tv1.State{MFixed32Scalars: map[uint32]*tv1.Scalars{1: {S: "a", Fl: 1}}},
			next:   &tv1.State{MFixed32Scalars: map[uint32]*tv1.Scalars{1: {S: "a", By: []byte{1}}}},
			patch:  &tv1.State{MFixed32Scalars: map[uint32]*tv1.Scalars{1: {By: []byte{1}}}},
			clears: []string{"m_fixed32_scalars[1u].fl"}},
		{name: "recursive map", prev: &tv1.State{Root: &tv1.Node{Children: map[string]*tv1.Node{"x": {Children: map[string]*tv1.Node{"y": {Name: "1"}, "z": {}}}}}},
			next:   &tv1.State{Root: &tv1.Node{Children: map[string]*tv1.Node{"x": {Children: map[string]*tv1.Node{"z": {Name: "2"}}}}}},
			patch:  &tv1.State{Root: &tv1.Node{Children: map[string]*tv1.Node{"x": {Children: map[string]*tv1.Node{"z": {Name: "2"}}}}}},
			clears: []string{`root.children["x"].children["y"]`}},
		{name: "nil message value reads as empty", prev: &tv1.State{MStringInner: map[string]*tv1.Inner{"a": nil, "b": {Value: 1}}},
			next:  &tv1.State{MStringInner: map[string]*tv1.Inner{"a": {Value: 2}, "b": nil}},
			patch: &tv1.State{MStringInner: map[string]*tv1.Inner{"a": {Value: 2}}}, clears: []string{`m_string_inner["b"].value`}},
	}
	for _, c := range cases {
		t.Run(c.name, c.check)
	}
}

func TestDiffOneof(t *testing.T) {
	cases := []deltaCase{
		{name: "set", prev: &tv1.State{}, next: &tv1.State{Choice: &tv1.State_OInt32{OInt32: 0}},
			patch: &tv1.State{Choice: &tv1.State_OInt32{OInt32: 0}}},
		{name: "unset", prev: &tv1.State{Choice: &tv1.State_OString{OString: "s"}}, next: &tv1.State{},
			clears: []string{"o_string"}},
		{name: "change value", prev: &tv1.State{Choice: &tv1.State_ODouble{ODouble: 1}}, next: &tv1.State{Choice: &tv1.State_ODouble{ODouble: 0}},
			patch: &tv1.State{Choice: &tv1.State_ODouble{ODouble: 0}}},
		{name: "switch scalar", prev: &tv1.State{Choice: &tv1.State_OInt32{OInt32: 5}}, next: &tv1.State{Choice: &tv1.State_OString{OString: ""}},
			patch: &tv1.State{Choice: &tv1.State_OString{OString: ""}}},
		{name: "switch to message", prev: &tv1.State{Choice: &tv1.State_OBytes{OBytes: []byte{1}}}, next: &tv1.State{Choice: &tv1.State_OLeaf{OLeaf: &tv1.Leaf{}}},
			patch: &tv1.State{Choice: &tv1.State_OLeaf{OLeaf: &tv1.Leaf{}}}},
		{name: "switch message to message", prev: &tv1.State{Choice: &tv1.State_OInner{OInner: &tv1.Inner{Value: 1}}}, next: &tv1.State{Choice: &tv1.State_OLeaf{OLeaf: &tv1.Leaf{X: 1}}},
			patch: &tv1.State{Choice: &tv1.State_OLeaf{OLeaf: &tv1.Leaf{X: 1}}}},
		{name: "same message merges", prev: &tv1.State{Choice: &tv1.State_OInner{OInner: &tv1.Inner{Value: 1, Label: "x", Nums: []int32{1}}}},
			next:   &tv1.State{Choice: &tv1.State_OInner{OInner: &tv1.Inner{Value: 2, Nums: []int32{1}}}},
			patch:  &tv1.State{Choice: &tv1.State_OInner{OInner: &tv1.Inner{Value: 2}}},
			clears: []string{"o_inner.label"}},
		{name: "same message unchanged", prev: &tv1.State{Choice: &tv1.State_OLeaf{OLeaf: &tv1.Leaf{}}}, next: &tv1.State{Choice: &tv1.State_OLeaf{OLeaf: &tv1.Leaf{}}}},
		{name: "enum unchanged", prev: &tv1.State{Choice: &tv1.State_OColor{OColor: 0}}, next: &tv1.State{Choice: &tv1.State_OColor{OColor: 0}}},
	}
	for _, c := range cases {
		t.Run(c.name, c.check)
	}
}

func TestDiffArenaOnePlayerMoved(t *testing.T) {
	prev := &tv1.Arena{Tick: 1, Players: map[string]*tv1.Player{
		"a": {X: 1, Y: 2, Hp: 100, Name: "ann"},
		"b": {X: 5, Y: 5, Hp: 100, Name: "bob"},
	}}
	next := exactClone(t, prev)
	next.Tick = 2
	next.Players["b"].X = 6
	next.Players["b"].Hp = 0
	d, err := Diff(prev, next)
	if err != nil {
		t.Fatal(err)
	}
	patch, clears := explainDelta(t, prev, d)
	want := &tv1.Arena{Tick: 2, Players: map[string]*tv1.Player{"b": {X: 6}}}
	if !proto.Equal(patch, want) {
		t.Errorf("patch = %v, want %v", patch, want)
	}
	if want := []string{`players["b"].hp`}; !slices.Equal(clears, want) {
		t.Errorf("clears = %q, want %q", clears, want)
	}
	// The tick (1 byte of mask + 1 varint), one map entry named by its rank
	// (map header, a count, a rank, a mask, 4 bytes of x, 1 of hp, a count):
	// no key, no tags.
	if n := len(d.GetPatch()); n != 12 {
		t.Errorf("patch is %d bytes, want 12: % x", n, d.GetPatch())
	}
}

func TestDiffErrors(t *testing.T) {
	if _, err := Diff(&tv1.State{}, &tv1.Arena{}); err == nil {
		t.Error("Diff of different types: no error")
	}
	if _, err := Diff(nil, &tv1.Arena{}); err == nil {
		t.Error("Diff(nil, ...): no error")
	}
	if _, err := Diff(&tv1.Arena{}, nil); err == nil {
		t.Error("Diff(..., nil): no error")
	}
	// A typed nil pointer is an empty message.
	next := &tv1.Arena{Tick: 3}
	d, err := Diff((*tv1.Arena)(nil), next)
	if err != nil {
		t.Fatal(err)
	}
	got := &tv1.Arena{}
	if err := ApplyDelta(got, d); err != nil || !proto.Equal(got, next) {
		t.Fatalf("Diff from typed nil: got %v, %v", got, err)
	}
	d, err = Diff(next, (*tv1.Arena)(nil))
	if _, clears := explainDelta(t, next, d); err != nil || !slices.Equal(clears, []string{"tick"}) {
		t.Fatalf("Diff to typed nil = %v, %v; want tick cleared", d, err)
	}
	// Strings that are not UTF-8 cannot be encoded in a proto3 patch.
	if _, err := Diff(&tv1.State{}, &tv1.State{Title: "\xff"}); err == nil {
		t.Error("Diff with an invalid UTF-8 string: no error")
	}
}

package protocol

import (
	"cmp"
	"errors"
	"math"
	"testing"

	"google.golang.org/protobuf/proto"

	tv1 "github.com/tickwire/tickwire/proto/tickwire/testing/v1"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
)

// Path-building helpers for hand-written deltas.
func step(field uint32) *tickwirev1.PathStep { return &tickwirev1.PathStep{Field: field} }
func strKey(field uint32, k string) *tickwirev1.PathStep {
	return &tickwirev1.PathStep{Field: field, Key: &tickwirev1.PathStep_StringKey{StringKey: k}}
}
func intKey(field uint32, k int64) *tickwirev1.PathStep {
	return &tickwirev1.PathStep{Field: field, Key: &tickwirev1.PathStep_IntKey{IntKey: k}}
}
func uintKey(field uint32, k uint64) *tickwirev1.PathStep {
	return &tickwirev1.PathStep{Field: field, Key: &tickwirev1.PathStep_UintKey{UintKey: k}}
}
func boolKey(field uint32, k bool) *tickwirev1.PathStep {
	return &tickwirev1.PathStep{Field: field, Key: &tickwirev1.PathStep_BoolKey{BoolKey: k}}
}
func path(steps ...*tickwirev1.PathStep) *tickwirev1.FieldPath {
	return &tickwirev1.FieldPath{Steps: steps}
}
func patchOf(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Field numbers of tv1.State used below.
const (
	fScalars      = 1
	fInner        = 3
	fTitle        = 5
	fRInt32       = 10
	fMStringInt64 = 20
	fMInt32String = 21
	fMInt64Inner  = 22
	fMUint32Bytes = 23
	fMBoolString  = 25
	fMStringInner = 26
	fOInner       = 45
)

func TestApplyDeltaSemantics(t *testing.T) {
	cases := []struct {
		name  string
		state *tv1.State
		delta func(t *testing.T) *tickwirev1.Delta
		want  *tv1.State
	}{
		{
			name:  "repeated replaces, not appends",
			state: &tv1.State{RInt32: []int32{1, 2, 3}},
			delta: func(t *testing.T) *tickwirev1.Delta {
				return &tickwirev1.Delta{Patch: patchOf(t, &tv1.State{RInt32: []int32{9}})}
			},
			want: &tv1.State{RInt32: []int32{9}},
		},
		{
			name:  "map message value merges into the entry",
			state: &tv1.State{MStringInner: map[string]*tv1.Inner{"a": {Value: 1, Label: "x"}, "b": {Value: 2}}},
			delta: func(t *testing.T) *tickwirev1.Delta {
				return &tickwirev1.Delta{Patch: patchOf(t, &tv1.State{MStringInner: map[string]*tv1.Inner{"a": {Value: 5}, "c": {}}})}
			},
			want: &tv1.State{MStringInner: map[string]*tv1.Inner{"a": {Value: 5, Label: "x"}, "b": {Value: 2}, "c": {}}},
		},
		{
			name:  "map scalar value overwrites",
			state: &tv1.State{MStringInt64: map[string]int64{"a": 1, "b": 2}},
			delta: func(t *testing.T) *tickwirev1.Delta {
				return &tickwirev1.Delta{Patch: patchOf(t, &tv1.State{MStringInt64: map[string]int64{"a": 0}})}
			},
			want: &tv1.State{MStringInt64: map[string]int64{"a": 0, "b": 2}},
		},
		{
			name:  "nested message merges",
			state: &tv1.State{Inner: &tv1.Inner{Value: 1, Leaf: &tv1.Leaf{X: 1, Data: []byte{1}}}},
			delta: func(t *testing.T) *tickwirev1.Delta {
				return &tickwirev1.Delta{Patch: patchOf(t, &tv1.State{Inner: &tv1.Inner{Leaf: &tv1.Leaf{X: 2}}})}
			},
			want: &tv1.State{Inner: &tv1.Inner{Value: 1, Leaf: &tv1.Leaf{X: 2, Data: []byte{1}}}},
		},
		{
			name:  "oneof member replaces another",
			state: &tv1.State{Choice: &tv1.State_OInner{OInner: &tv1.Inner{Value: 1}}},
			delta: func(t *testing.T) *tickwirev1.Delta {
				return &tickwirev1.Delta{Patch: patchOf(t, &tv1.State{Choice: &tv1.State_OLeaf{OLeaf: &tv1.Leaf{}}})}
			},
			want: &tv1.State{Choice: &tv1.State_OLeaf{OLeaf: &tv1.Leaf{}}},
		},
		{
			name:  "clears run before the patch",
			state: &tv1.State{Inner: &tv1.Inner{Value: 1, Label: "x"}},
			delta: func(t *testing.T) *tickwirev1.Delta {
				return &tickwirev1.Delta{
					Patch:  patchOf(t, &tv1.State{Inner: &tv1.Inner{Label: "y"}}),
					Clears: []*tickwirev1.FieldPath{path(step(fInner))},
				}
			},
			want: &tv1.State{Inner: &tv1.Inner{Label: "y"}},
		},
		{
			name:  "clear through absent message or entry is a no-op",
			state: &tv1.State{MStringInner: map[string]*tv1.Inner{"a": {Value: 1}}},
			delta: func(*testing.T) *tickwirev1.Delta {
				return &tickwirev1.Delta{Clears: []*tickwirev1.FieldPath{
					path(step(fInner), step(3), step(1)),
					path(strKey(fMStringInner, "zz"), step(1)),
					path(intKey(fMInt64Inner, 1), step(1)),
					path(strKey(fMStringInt64, "none")),
				}}
			},
			want: &tv1.State{MStringInner: map[string]*tv1.Inner{"a": {Value: 1}}},
		},
		{
			name: "clear every key kind",
			state: &tv1.State{
				MInt32String: map[int32]string{-1: "a", 1: "b"},
				MUint32Bytes: map[uint32][]byte{7: {1}},
				MBoolString:  map[bool]string{true: "t", false: "f"},
				MInt64Inner:  map[int64]*tv1.Inner{math.MinInt64: {Value: 1, Label: "l"}},
			},
			delta: func(*testing.T) *tickwirev1.Delta {
				return &tickwirev1.Delta{Clears: []*tickwirev1.FieldPath{
					path(intKey(fMInt32String, -1)),
					path(uintKey(fMUint32Bytes, 7)),
					path(boolKey(fMBoolString, false)),
					path(intKey(fMInt64Inner, math.MinInt64), step(2)),
				}}
			},
			want: &tv1.State{
				MInt32String: map[int32]string{1: "b"},
				MUint32Bytes: map[uint32][]byte{},
				MBoolString:  map[bool]string{true: "t"},
				MInt64Inner:  map[int64]*tv1.Inner{math.MinInt64: {Value: 1}},
			},
		},
		{
			name:  "clear oneof member that is not set is a no-op",
			state: &tv1.State{Choice: &tv1.State_OInt32{OInt32: 4}},
			delta: func(*testing.T) *tickwirev1.Delta {
				return &tickwirev1.Delta{Clears: []*tickwirev1.FieldPath{path(step(fOInner))}}
			},
			want: &tv1.State{Choice: &tv1.State_OInt32{OInt32: 4}},
		},
		{
			name:  "unknown fields in the patch are ignored",
			state: &tv1.State{Tick: 1},
			delta: func(*testing.T) *tickwirev1.Delta {
				// Field 99, varint 1; then tick = 2.
				return &tickwirev1.Delta{Patch: []byte{0x98, 0x06, 0x01, 0x20, 0x02}}
			},
			want: &tv1.State{Tick: 2},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := ApplyDelta(c.state, c.delta(t)); err != nil {
				t.Fatalf("ApplyDelta: %v", err)
			}
			if !deltaExact(t, c.state, c.want) {
				t.Fatalf("state =\n%v\nwant\n%v", c.state, c.want)
			}
			if len(c.state.ProtoReflect().GetUnknown()) != 0 {
				t.Fatalf("unknown fields leaked into the state")
			}
		})
	}
}

func TestApplyDeltaErrors(t *testing.T) {
	valid := path(step(fTitle))
	cases := []struct {
		name  string
		delta *tickwirev1.Delta
	}{
		{"patch not a State", &tickwirev1.Delta{Patch: []byte{0xff, 0xff, 0xff}}},
		{"patch with invalid UTF-8", &tickwirev1.Delta{Patch: []byte{0x2a, 0x01, 0xff}}},
		{"empty path", &tickwirev1.Delta{Clears: []*tickwirev1.FieldPath{valid, path()}}},
		{"unknown field", &tickwirev1.Delta{Clears: []*tickwirev1.FieldPath{valid, path(step(99))}}},
		{"field zero", &tickwirev1.Delta{Clears: []*tickwirev1.FieldPath{path(step(0))}}},
		{"huge field", &tickwirev1.Delta{Clears: []*tickwirev1.FieldPath{path(step(math.MaxUint32))}}},
		{"key on non-map", &tickwirev1.Delta{Clears: []*tickwirev1.FieldPath{path(strKey(fTitle, "a"))}}},
		{"key on list", &tickwirev1.Delta{Clears: []*tickwirev1.FieldPath{path(intKey(fRInt32, 0))}}},
		{"wrong key kind", &tickwirev1.Delta{Clears: []*tickwirev1.FieldPath{path(intKey(fMStringInt64, 1))}}},
		{"bool key on int map", &tickwirev1.Delta{Clears: []*tickwirev1.FieldPath{path(boolKey(fMInt32String, true))}}},
		{"int32 key out of range", &tickwirev1.Delta{Clears: []*tickwirev1.FieldPath{path(intKey(fMInt32String, math.MaxInt32+1))}}},
		{"uint32 key out of range", &tickwirev1.Delta{Clears: []*tickwirev1.FieldPath{path(uintKey(fMUint32Bytes, math.MaxUint32+1))}}},
		{"descend into scalar", &tickwirev1.Delta{Clears: []*tickwirev1.FieldPath{path(step(fTitle), step(1))}}},
		{"descend into list", &tickwirev1.Delta{Clears: []*tickwirev1.FieldPath{path(step(fRInt32), step(1))}}},
		{"descend into map without key", &tickwirev1.Delta{Clears: []*tickwirev1.FieldPath{path(step(fMStringInner), step(1))}}},
		{"descend into scalar map value", &tickwirev1.Delta{Clears: []*tickwirev1.FieldPath{path(strKey(fMStringInt64, "a"), step(1))}}},
		{"bad field deeper", &tickwirev1.Delta{Clears: []*tickwirev1.FieldPath{path(step(fScalars), step(17))}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			state := &tv1.State{Title: "keep", MStringInt64: map[string]int64{"a": 1}, Inner: &tv1.Inner{Value: 1}}
			before := exactClone(t, state)
			err := ApplyDelta(state, c.delta)
			if !errors.Is(err, ErrDeltaInvalid) {
				t.Fatalf("ApplyDelta = %v, want ErrDeltaInvalid", err)
			}
			if !deltaExact(t, state, before) {
				t.Fatalf("state changed on error: %v", state)
			}
		})
	}
	if err := ApplyDelta(&tv1.State{}, nil); err != nil {
		t.Errorf("ApplyDelta(nil delta) = %v", err)
	}
	if err := ApplyDelta(nil, &tickwirev1.Delta{}); err == nil {
		t.Error("ApplyDelta(nil state): no error")
	}
	if err := ApplyDelta((*tv1.State)(nil), &tickwirev1.Delta{}); err == nil {
		t.Error("ApplyDelta(typed nil state): no error")
	}
}

func TestDeltaComparePaths(t *testing.T) {
	// Sorted: shorter before longer, by field, then key kind, then key.
	sorted := []*tickwirev1.FieldPath{
		path(step(1)),
		path(step(1), step(2)),
		path(step(2)),
		path(boolKey(3, false)),
		path(boolKey(3, true)),
		path(intKey(3, -5)),
		path(intKey(3, 7)),
		path(uintKey(3, 1)),
		path(strKey(3, "a")),
		path(strKey(3, "a"), step(1)),
		path(strKey(3, "b")),
	}
	for i, a := range sorted {
		for j, b := range sorted {
			if got, want := deltaComparePaths(a, b), cmp.Compare(i, j); got != want {
				t.Errorf("compare(%v, %v) = %d, want %d", a, b, got, want)
			}
		}
	}
}

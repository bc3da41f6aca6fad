package protocol

import (
	"bytes"
	"errors"
	"testing"

	tv1 "github.com/tickwire/tickwire/proto/tickwire/testing/v1"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
)

// Field indexes (declaration order) of tv1.State used below.
const (
	iScalars      = 0
	iOptionals    = 1
	iInner        = 2
	iTick         = 3
	iTitle        = 4
	iRInt32       = 5
	iMStringInt64 = 14
	iMStringInner = 20
	iOInt32       = 27
	iOString      = 28
	iOInner       = 32
	iOLeaf        = 33
	iRoot         = 34
)

// mask encodes the field mask naming field indexes idx.
func mask(idx ...int) []byte {
	var m deltaMask
	for _, i := range idx {
		m.set(i)
	}
	b := make([]byte, m.size())
	m.put(b)
	return b
}

// cat concatenates byte slices and bytes into a patch.
func cat(parts ...any) []byte {
	var b []byte
	for _, p := range parts {
		switch p := p.(type) {
		case []byte:
			b = append(b, p...)
		case int:
			b = append(b, byte(p))
		case string:
			b = append(b, byte(len(p)))
			b = append(b, p...)
		default:
			panic("cat: bad part")
		}
	}
	return b
}

func TestApplyDeltaSemantics(t *testing.T) {
	cases := []struct {
		name  string
		state *tv1.State
		patch []byte
		want  *tv1.State
	}{
		{
			name:  "repeated replaces, not appends",
			state: &tv1.State{RInt32: []int32{1, 2, 3}},
			patch: cat(mask(iRInt32), 1, 18), // one element, zigzag 9
			want:  &tv1.State{RInt32: []int32{9}},
		},
		{
			name:  "a list of length 0 empties it",
			state: &tv1.State{RInt32: []int32{1, 2, 3}},
			patch: cat(mask(iRInt32), 0),
			want:  &tv1.State{},
		},
		{
			name:  "map message value merges into the entry named by rank; an added one is whole",
			state: &tv1.State{MStringInner: map[string]*tv1.Inner{"a": {Value: 1, Label: "x"}, "b": {Value: 2}}},
			// No deletions; one change at rank 0 ("a"): value = 5; one addition "c": empty.
			patch: cat(mask(iMStringInner), 1, 1, 0, mask(0), 10, 1, "c", mask()),
			want:  &tv1.State{MStringInner: map[string]*tv1.Inner{"a": {Value: 5, Label: "x"}, "b": {Value: 2}, "c": {}}},
		},
		{
			name:  "ranks are gaps in key order",
			state: &tv1.State{MStringInt64: map[string]int64{"d": 4, "a": 1, "c": 3, "b": 2}},
			// Delete ranks 1 and 3 ("b", "d"); change ranks 0 and 2 ("a", "c") to 0 and -1.
			patch: cat(mask(iMStringInt64), 3, 1, 1, 2, 0, 0, 1, 1, 0),
			want:  &tv1.State{MStringInt64: map[string]int64{"a": 0, "c": -1}},
		},
		{
			name:  "changes, then deletions, then additions",
			state: &tv1.State{MStringInt64: map[string]int64{"a": 1, "b": 2}},
			// Delete and change "a"; add "b" (replacing it) and "a" again.
			patch: cat(mask(iMStringInt64), 2, 0, 1, 0, 20, 2, "b", 6, "a", 8),
			want:  &tv1.State{MStringInt64: map[string]int64{"a": 4, "b": 3}},
		},
		{
			name:  "header 0 empties a map",
			state: &tv1.State{MStringInt64: map[string]int64{"a": 1}},
			patch: cat(mask(iMStringInt64), 0),
			want:  &tv1.State{},
		},
		{
			name:  "nested message merges; an absent one is created",
			state: &tv1.State{Inner: &tv1.Inner{Value: 1, Leaf: &tv1.Leaf{X: 1, Data: []byte{1}}}},
			patch: cat(mask(iInner, iRoot), 1, mask(2), 1, mask(0), []byte{0, 0, 0, 0, 0, 0, 0, 0x40}, 1, mask()),
			want:  &tv1.State{Inner: &tv1.Inner{Value: 1, Leaf: &tv1.Leaf{X: 2, Data: []byte{1}}}, Root: &tv1.Node{}},
		},
		{
			name:  "implicit scalars take zero; op 0 clears",
			state: &tv1.State{Tick: 5, Title: "t", Optionals: &tv1.Optionals{I32: new(int32(3))}, Inner: &tv1.Inner{}},
			patch: cat(mask(iOptionals, iInner, iTick, iTitle), 1, mask(0), 0, 0, 0, 0),
			want:  &tv1.State{Optionals: &tv1.Optionals{}},
		},
		{
			name:  "oneof member replaces another",
			state: &tv1.State{Choice: &tv1.State_OInner{OInner: &tv1.Inner{Value: 1}}},
			patch: cat(mask(iOLeaf), 1, mask()),
			want:  &tv1.State{Choice: &tv1.State_OLeaf{OLeaf: &tv1.Leaf{}}},
		},
		{
			name:  "clear of a oneof member that is not set is a no-op",
			state: &tv1.State{Choice: &tv1.State_OInt32{OInt32: 4}},
			patch: cat(mask(iOInner), 0),
			want:  &tv1.State{Choice: &tv1.State_OInt32{OInt32: 4}},
		},
		{
			name:  "a wide field mask",
			state: &tv1.State{},
			patch: cat(mask(iTick, iRoot), 7, 1, mask(0), "n"),
			want:  &tv1.State{Tick: 7, Root: &tv1.Node{Name: "n"}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := ApplyDelta(c.state, &tickwirev1.Delta{Patch: c.patch}); err != nil {
				t.Fatalf("ApplyDelta: %v", err)
			}
			if !deltaExact(t, c.state, c.want) {
				t.Fatalf("state =\n%v\nwant\n%v", c.state, c.want)
			}
		})
	}
}

func TestApplyDeltaErrors(t *testing.T) {
	deep := cat(mask(iRoot))
	for range deltaMaxDepth {
		deep = cat(deep, 1, mask(1)) // root.child.child...
	}
	deep = cat(deep, 1, mask())
	cases := []struct {
		name  string
		patch []byte
	}{
		{"truncated mask", []byte{0xff}},
		{"mask longer than the fields", []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x00}},
		{"mask names a field past the last", cat(mask(iOptionals), 1, 0x80, 0x40)},
		{"mask of a nested message names a field past the last", cat(mask(iInner), 1, 0x40)},
		{"truncated value", cat(mask(iTick))},
		{"bytes left over", cat(mask(iTick), 2, 0xff)},
		{"rank past the last entry", cat(mask(iMStringInt64), 2, 1, 0, 0)},
		{"rank gap past the last entry", cat(mask(iMStringInt64), 1, 2, 0, 0, 0, 0, 0)},
		{"rank in an absent message's map", cat(mask(iOInner), 1, mask(4), 1, 1, 0, 2, 0)},
		{"op byte 2", cat(mask(iOptionals), 2)},
		{"invalid UTF-8", cat(mask(iTitle), 1, 0xff)},
		{"invalid UTF-8 in an added key", cat(mask(iMStringInt64), 1, 0, 1, 1, 0xff, 2)},
		{"bool byte 2", cat(mask(iScalars), 1, mask(12), 2)},
		{"int32 varint past 32 bits", cat(mask(iScalars), 1, mask(0), 0xff, 0xff, 0xff, 0xff, 0x1f)},
		{"varint past 64 bits", cat(mask(iTick), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02)},
		{"list longer than the bytes left", cat(mask(iRInt32), 5, 1)},
		{"two members of a oneof", cat(mask(iOInt32, iOString), 1, 2, 1, "s")},
		{"nested too deep", deep},
		{"truncated bytes", cat(mask(iTitle), 3, []byte("a"))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			state := &tv1.State{Title: "keep", MStringInt64: map[string]int64{"a": 1}, Inner: &tv1.Inner{Value: 1}}
			before := exactClone(t, state)
			err := ApplyDelta(state, &tickwirev1.Delta{Patch: c.patch})
			if !errors.Is(err, ErrDeltaInvalid) {
				t.Fatalf("ApplyDelta(% x) = %v, want ErrDeltaInvalid", c.patch, err)
			}
			if !deltaExact(t, state, before) {
				t.Fatalf("state changed on error: %v", state)
			}
		})
	}
	withClears := &tickwirev1.Delta{Clears: []*tickwirev1.FieldPath{{Steps: []*tickwirev1.PathStep{{Field: 5}}}}}
	if err := ApplyDelta(&tv1.State{}, withClears); !errors.Is(err, ErrDeltaInvalid) {
		t.Errorf("ApplyDelta(clears) = %v, want ErrDeltaInvalid", err)
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

func TestDeltaMask(t *testing.T) {
	for _, c := range []struct {
		idx  []int
		want []byte
	}{
		{nil, []byte{0}},
		{[]int{0, 6}, []byte{0x41}},
		{[]int{7}, []byte{0x80, 0x01}},
		{[]int{3, 64, 200}, cat(0x88, bytes.Repeat([]byte{0x80}, 8), 0x82, bytes.Repeat([]byte{0x80}, 18), 0x10)},
	} {
		if got := mask(c.idx...); !bytes.Equal(got, c.want) {
			t.Errorf("mask(%v) = % x, want % x", c.idx, got, c.want)
		}
	}
}

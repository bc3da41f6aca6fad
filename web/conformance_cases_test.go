package web

// The hand-picked part of the conformance corpus: edge cases of the delta
// format, a real arena game, and every Envelope message.

import (
	"bytes"
	"fmt"
	"math"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/examples/arena"
	"github.com/tickwire/tickwire/internal/stategen"
	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	testingv1 "github.com/tickwire/tickwire/proto/tickwire/testing/v1"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/tick"
)

func step(field uint32) *tickwirev1.PathStep { return &tickwirev1.PathStep{Field: field} }

func path(steps ...*tickwirev1.PathStep) *tickwirev1.FieldPath {
	return &tickwirev1.FieldPath{Steps: steps}
}

func ptr[T any](v T) *T { return &v }

var (
	negZero = math.Copysign(0, -1)
	nanBits = math.Float64frombits(0x7ff8000000000001) // a quiet NaN with a payload
)

// addEdgeCases adds hand-picked vectors: each names what it checks.
func addEdgeCases(t testing.TB, c *corpus) {
	type S = testingv1.State
	diff := func(name string, a, b *S) { c.addDiff(t, name, "testing", a, b) }
	apply := func(name string, prev *S, d *tickwirev1.Delta) { c.addDelta(t, name, "testing", prev, d, false) }
	refuse := func(name string, prev *S, d *tickwirev1.Delta) { c.addDelta(t, name, "testing", prev, d, true) }
	leaf := func(x float64) *testingv1.Leaf {
		return &testingv1.Leaf{X: x, N: ptr[int64](3), Data: []byte{1}, Samples: []float32{1, 2}}
	}
	inner := func(v int32) *testingv1.Inner {
		return &testingv1.Inner{Value: v, Label: "l", Leaf: leaf(1), Nums: []int32{1, 2}, Counts: map[string]int32{"x": 1, "y": 2}, Leaves: map[uint32]*testingv1.Leaf{7: leaf(2)}}
	}

	// Clears of nested fields.
	diff("clear nested optional inner.leaf.n", &S{Inner: inner(1)}, &S{Inner: func() *testingv1.Inner { i := inner(1); i.Leaf.N = nil; return i }()})
	diff("clear nested message inner.leaf", &S{Inner: inner(1)}, &S{Inner: func() *testingv1.Inner { i := inner(1); i.Leaf = nil; return i }()})
	diff("clear nested scalar inner.value", &S{Inner: inner(7)}, &S{Inner: inner(0)})
	diff("clear nested repeated inner.nums", &S{Inner: inner(1)}, &S{Inner: func() *testingv1.Inner { i := inner(1); i.Nums = nil; return i }()})
	diff("clear inside map entry m_string_inner[a].leaf.n",
		&S{MStringInner: map[string]*testingv1.Inner{"a": inner(1), "b": inner(2)}},
		&S{MStringInner: map[string]*testingv1.Inner{"a": func() *testingv1.Inner { i := inner(1); i.Leaf.N = nil; return i }(), "b": inner(2)}})
	diff("delete nested map key m_int64_inner[-1].counts[x]",
		&S{MInt64Inner: map[int64]*testingv1.Inner{-1: inner(1)}},
		&S{MInt64Inner: map[int64]*testingv1.Inner{-1: func() *testingv1.Inner { i := inner(1); delete(i.Counts, "x"); return i }()}})
	diff("delete map key in map entry m_int64_inner[min].leaves[7]",
		&S{MInt64Inner: map[int64]*testingv1.Inner{math.MinInt64: inner(1)}},
		&S{MInt64Inner: map[int64]*testingv1.Inner{math.MinInt64: func() *testingv1.Inner { i := inner(1); delete(i.Leaves, 7); return i }()}})
	diff("clear recursive root.child.child.children[x].child.name",
		&S{Root: &testingv1.Node{Child: &testingv1.Node{Child: &testingv1.Node{Children: map[string]*testingv1.Node{"x": {Child: &testingv1.Node{Name: "deep"}}}}}}},
		&S{Root: &testingv1.Node{Child: &testingv1.Node{Child: &testingv1.Node{Children: map[string]*testingv1.Node{"x": {Child: &testingv1.Node{}}}}}}})

	// A map key delete for every key type, with extreme keys, and a map
	// emptied (one clear of the whole field).
	keysA := &S{
		MStringInt64:   map[string]int64{"": 1, "🙂": math.MinInt64},
		MInt32String:   map[int32]string{math.MinInt32: "min", math.MaxInt32: "max"},
		MInt64Inner:    map[int64]*testingv1.Inner{math.MinInt64: {}, math.MaxInt64: {Value: 1}},
		MUint32Bytes:   map[uint32][]byte{0: nil, math.MaxUint32: {1}},
		MUint64Leaf:    map[uint64]*testingv1.Leaf{0: {}, math.MaxUint64: leaf(3)},
		MBoolString:    map[bool]string{true: "t", false: "f"},
		MStringInner:   map[string]*testingv1.Inner{"a": inner(1), "b": {}},
		MSint32Double:  map[int32]float64{math.MinInt32: 1, -1: 2},
		MFixed64Color:  map[uint64]testingv1.Color{math.MaxUint64: testingv1.Color_COLOR_RED, 1: testingv1.Color_COLOR_BLUE},
		MSfixed32Float: map[int32]float32{math.MinInt32: 1, 5: 2},
		MSint64Bool:    map[int64]bool{math.MinInt64: true, math.MaxInt64: false},
		MFixed32Scalars: map[uint32]*testingv1.Scalars{
			math.MaxUint32: {I32: 1}, 0: {},
		},
		MSfixed64Uint32: map[int64]uint32{math.MinInt64: 1, 0: 2},
	}
	keysB := stategen.MustClone(keysA)
	delete(keysB.MStringInt64, "🙂")
	delete(keysB.MInt32String, math.MinInt32)
	delete(keysB.MInt64Inner, math.MaxInt64)
	delete(keysB.MUint32Bytes, math.MaxUint32)
	delete(keysB.MUint64Leaf, math.MaxUint64)
	delete(keysB.MBoolString, false)
	delete(keysB.MStringInner, "a")
	delete(keysB.MSint32Double, math.MinInt32)
	delete(keysB.MFixed64Color, math.MaxUint64)
	delete(keysB.MSfixed32Float, math.MinInt32)
	delete(keysB.MSint64Bool, math.MinInt64)
	delete(keysB.MFixed32Scalars, math.MaxUint32)
	delete(keysB.MSfixed64Uint32, math.MinInt64)
	diff("delete a map key of every key type", keysA, keysB)
	diff("empty every map", keysA, &S{})
	keysC := stategen.MustClone(keysA)
	delete(keysC.MBoolString, true)
	delete(keysC.MInt32String, math.MaxInt32)
	keysC.MStringInner["c"] = inner(3)
	keysC.MUint64Leaf[0].X = 9
	diff("delete, add and change map entries", keysA, keysC)

	// Oneof switches.
	diff("oneof none to o_int32 0", &S{}, &S{Choice: &testingv1.State_OInt32{OInt32: 0}})
	diff("oneof o_int32 to o_string", &S{Choice: &testingv1.State_OInt32{OInt32: 5}}, &S{Choice: &testingv1.State_OString{OString: "s"}})
	diff("oneof o_inner to o_leaf", &S{Choice: &testingv1.State_OInner{OInner: inner(1)}}, &S{Choice: &testingv1.State_OLeaf{OLeaf: leaf(1)}})
	diff("oneof o_leaf to o_inner", &S{Choice: &testingv1.State_OLeaf{OLeaf: leaf(1)}}, &S{Choice: &testingv1.State_OInner{OInner: &testingv1.Inner{}}})
	diff("oneof o_inner changes inside", &S{Choice: &testingv1.State_OInner{OInner: inner(1)}}, &S{Choice: &testingv1.State_OInner{OInner: func() *testingv1.Inner { i := inner(2); i.Leaf = nil; return i }()}})
	diff("oneof o_string to none", &S{Choice: &testingv1.State_OString{OString: "s"}}, &S{})
	diff("oneof o_inner to o_double -0", &S{Choice: &testingv1.State_OInner{OInner: inner(1)}}, &S{Choice: &testingv1.State_ODouble{ODouble: negZero}})
	diff("oneof o_double -0 to 0", &S{Choice: &testingv1.State_ODouble{ODouble: negZero}}, &S{Choice: &testingv1.State_ODouble{ODouble: 0}})
	diff("oneof o_bytes empty to o_color unspecified", &S{Choice: &testingv1.State_OBytes{OBytes: []byte{}}}, &S{Choice: &testingv1.State_OColor{OColor: testingv1.Color_COLOR_UNSPECIFIED}})

	// -0.0 and NaN.
	diff("-0.0 in every float field", &S{}, &S{
		Scalars:       &testingv1.Scalars{Db: negZero, Fl: float32(negZero)},
		Optionals:     &testingv1.Optionals{Db: ptr(negZero), Fl: ptr(float32(negZero))},
		Inner:         &testingv1.Inner{Leaf: &testingv1.Leaf{X: negZero, Samples: []float32{float32(negZero)}}},
		RDouble:       []float64{negZero, 0},
		MSint32Double: map[int32]float64{1: negZero},
		MSfixed32Float: map[int32]float32{
			2: float32(negZero),
		},
	})
	diff("-0.0 back to 0.0", &S{Scalars: &testingv1.Scalars{Db: negZero, Fl: float32(negZero)}, Optionals: &testingv1.Optionals{Db: ptr(negZero)}},
		&S{Scalars: &testingv1.Scalars{}, Optionals: &testingv1.Optionals{Db: ptr(0.0)}})
	diff("NaNs, with a payload, and infinities", &S{}, &S{
		Scalars:       &testingv1.Scalars{Db: nanBits, Fl: float32(math.NaN())},
		RDouble:       []float64{nanBits, math.NaN(), math.Inf(1), math.Inf(-1), negZero},
		MSint32Double: map[int32]float64{-5: nanBits, 6: math.Inf(-1)},
		Optionals:     &testingv1.Optionals{Db: ptr(math.NaN())},
	})

	// Repeated fields replace, down to empty.
	full := &S{RInt32: []int32{1, 2, 3}, RSint64: []int64{math.MinInt64}, RFixed32: []uint32{math.MaxUint32}, RDouble: []float64{1.5},
		RBool: []bool{true, false}, RString: []string{"a", "", "🙂"}, RBytes: [][]byte{nil, {}, {1}}, RColor: []testingv1.Color{testingv1.Color_COLOR_GREEN},
		RInner: []*testingv1.Inner{inner(1), {}}}
	diff("every repeated field to empty", full, &S{})
	diff("every repeated field from empty", &S{}, full)
	diff("repeated fields shrink and change", full, &S{RInt32: []int32{3}, RInner: []*testingv1.Inner{{Label: "z"}}, RString: []string{""}})

	// Whole states.
	everything := stategen.New(7).State()
	diff("everything to empty", everything, &S{})
	diff("empty to everything", &S{}, everything)

	// Map ranks: keys sorted by code point (UTF-8 bytes), which is not
	// JavaScript's UTF-16 order, and by signed or unsigned value.
	ranksA := &S{
		MStringInt64:   map[string]int64{"a": 1, "\ue000": 2, "😀": 3, "z": 4, "": 5},
		MInt64Inner:    map[int64]*testingv1.Inner{math.MinInt64: {Value: 1}, -1: {Value: 2}, 0: {Value: 3}, math.MaxInt64: {Value: 4}},
		MUint64Leaf:    map[uint64]*testingv1.Leaf{0: {X: 1}, 1 << 63: {X: 2}, math.MaxUint64: {X: 3}, 7: {X: 4}},
		MSint32Double:  map[int32]float64{math.MinInt32: 1, -1: 2, 1: 3},
		MSfixed32Float: map[int32]float32{-5: 1, 5: 2},
		MBoolString:    map[bool]string{true: "t", false: "f"},
	}
	ranksB := stategen.MustClone(ranksA)
	ranksB.MStringInt64["😀"] = 30
	ranksB.MStringInt64["z"] = 40
	delete(ranksB.MStringInt64, "\ue000")
	ranksB.MStringInt64["\uffff"] = 6
	ranksB.MInt64Inner[-1].Value = 20
	delete(ranksB.MInt64Inner, math.MinInt64)
	ranksB.MUint64Leaf[1<<63].X = 20
	ranksB.MUint64Leaf[math.MaxUint64].X = 30
	delete(ranksB.MUint64Leaf, 7)
	ranksB.MSint32Double[-1] = 20
	ranksB.MSfixed32Float[5] = 20
	ranksB.MBoolString[true] = "T"
	diff("map ranks in key order for every key kind", ranksA, ranksB)
	// A key removed and others added in the same delta, and the removed key
	// back in the next: ranks refer to the keys before each delta.
	reuseA := &S{MStringInner: map[string]*testingv1.Inner{"a": inner(1), "b": inner(2), "c": inner(3)}}
	reuseB := stategen.MustClone(reuseA)
	delete(reuseB.MStringInner, "b")
	reuseB.MStringInner["bb"] = inner(4)
	reuseB.MStringInner["0"] = &testingv1.Inner{}
	reuseB.MStringInner["c"].Counts["z"] = 26
	reuseC := stategen.MustClone(reuseB)
	reuseC.MStringInner["b"] = inner(5)
	delete(reuseC.MStringInner, "bb")
	reuseC.MStringInner["c"].Leaves[7].X = 7
	diff("map entries removed and added", reuseA, reuseB)
	diff("map entry added back", reuseB, reuseC)
	nested := &S{Root: &testingv1.Node{Children: map[string]*testingv1.Node{
		"x": {Children: map[string]*testingv1.Node{"p": {Name: "p"}, "q": {Name: "q"}, "r": {Children: map[string]*testingv1.Node{"deep": {}}}}},
		"y": {Name: "y"},
	}}}
	nested2 := stategen.MustClone(nested)
	nested2.Root.Children["x"].Children["q"].Name = "Q"
	delete(nested2.Root.Children["x"].Children, "p")
	nested2.Root.Children["x"].Children["r"].Children["deep"].Name = "d"
	nested2.Root.Children["x"].Children["r"].Children["deeper"] = &testingv1.Node{Child: &testingv1.Node{Name: "c"}}
	delete(nested2.Root.Children, "y")
	diff("nested maps change, delete and add at every level", nested, nested2)
	wide := &S{MInt32String: map[int32]string{}}
	for i := range 300 {
		wide.MInt32String[int32(i*7-1000)] = fmt.Sprint(i)
	}
	wide2 := stategen.MustClone(wide)
	for i := range 300 {
		if i%5 == 0 {
			wide2.MInt32String[int32(i*7-1000)] = "changed"
		}
		if i%11 == 0 {
			delete(wide2.MInt32String, int32(i*7-1000))
		}
	}
	diff("ranks past 127 (two-byte gaps)", wide, wide2)

	// Deltas Diff never makes, with the semantics the format defines, and
	// patches that do not fit: refused whole, the state untouched. Field
	// indexes (declaration order) of testing.v1.State: see mask().
	base := &S{Title: "t", Inner: inner(1), MStringInner: map[string]*testingv1.Inner{"a": {Value: 1, Label: "x"}, "b": {}},
		MStringInt64: map[string]int64{"a": 1, "b": 2}, Choice: &testingv1.State_OInt32{OInt32: 5}}
	d := func(parts ...any) *tickwirev1.Delta { return &tickwirev1.Delta{Patch: cat(parts...)} }
	apply("empty delta", base, &tickwirev1.Delta{})
	apply("changes, then deletions, then additions", base, d(mask(14), 2, 0, 1, 0, 20, 2, "b", 6, "a", 8))
	apply("an added key that exists replaces the entry", base, d(mask(20), 1, 0, 1, "a", mask(1), "y"))
	apply("header 0 empties a map", base, d(mask(14), 0))
	apply("a list of length 0 empties it", &S{RInt32: []int32{1}}, d(mask(5), 0))
	apply("op 0 of a oneof member that is not set is a no-op", base, d(mask(28), 0))
	apply("a oneof message member replaces another", base, d(mask(32), 1, mask(0), 4))
	apply("merge creates absent messages", &S{}, d(mask(2), 1, mask(2), 1, mask(0), []byte{0, 0, 0, 0, 0, 0, 0xf0, 0x3f}))
	apply("non-minimal varints", base, d(mask(3), 0x85, 0x80, 0x00))
	refuse("clears", base, &tickwirev1.Delta{Clears: []*tickwirev1.FieldPath{path(step(5))}})
	refuse("clears with a patch", base, &tickwirev1.Delta{Clears: []*tickwirev1.FieldPath{path(step(5))}, Patch: cat(mask(3), 1)})
	refuse("truncated mask", base, d(0xff))
	refuse("mask longer than the fields", base, d(0x80, 0x80, 0x80, 0x80, 0x80, 0x00))
	refuse("mask names a field past the last", base, d(mask(2), 1, 0x40))
	refuse("truncated value", base, d(mask(3)))
	refuse("bytes left over", base, d(mask(3), 2, 0xff))
	refuse("rank past the last entry", base, d(mask(14), 2, 2, 0, 0))
	refuse("rank gap past the last entry", base, d(mask(14), 1, 2, 0, 0, 1, 0, 0))
	refuse("rank in an absent message's map", base, d(mask(32), 1, mask(4), 1, 1, 0, 2, 0))
	refuse("rank in a map of a oneof member that is not set", &S{Choice: &testingv1.State_OLeaf{OLeaf: leaf(1)}}, d(mask(32), 1, mask(4), 1, 1, 0, 2, 0))
	refuse("op byte 2", base, d(mask(1), 2))
	refuse("invalid UTF-8", base, d(mask(4), 1, 0xff))
	refuse("a UTF-8 surrogate", base, d(mask(4), 3, 0xed, 0xa0, 0x80))
	refuse("invalid UTF-8 in an added key", base, d(mask(14), 1, 0, 1, 1, 0xff, 2))
	refuse("bool byte 2", base, d(mask(0), 1, mask(12), 2))
	refuse("int32 varint past 32 bits", base, d(mask(0), 1, mask(0), 0xff, 0xff, 0xff, 0xff, 0x1f))
	refuse("int32 varint of 6 bytes", base, d(mask(0), 1, mask(0), 0x80, 0x80, 0x80, 0x80, 0x80, 0x00))
	refuse("varint past 64 bits", base, d(mask(3), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02))
	refuse("list longer than the bytes left", base, d(mask(5), 5, 1))
	refuse("two members of a oneof", base, d(mask(27, 28), 1, 2, 1, "s"))
	deep := []any{mask(34)}
	for range 100 {
		deep = append(deep, 1, mask(1)) // root.child.child...
	}
	refuse("patches nested deeper than 100", base, d(append(deep, 1, mask())...))
	refuse("a bad change after good ones changes nothing", base, d(mask(3, 4, 14), 9, "new", 1, 1, 5, 0, 0))
}

// mask encodes the field mask naming field indexes idx (7 to a byte, low
// bits first, the top bit saying another byte follows).
func mask(idx ...int) []byte {
	high := -1
	for _, i := range idx {
		high = max(high, i)
	}
	b := make([]byte, max(1, (high+7)/7))
	for _, i := range idx {
		b[i/7] |= 1 << (i % 7)
	}
	for i := range len(b) - 1 {
		b[i] |= 0x80
	}
	return b
}

// cat concatenates byte slices, bytes (ints) and length-prefixed strings
// into a patch.
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
			panic(fmt.Sprintf("cat: %T", p))
		}
	}
	return b
}

// arenaInfo is the arena's registration, for the harness.
var arenaInfo = tick.GameInfo{Name: arena.Name, TickHz: arena.TickHz, MaxPlayers: arena.MaxPlayers}

// addArena plays a real arena game in a harness: players join, steer,
// collide and leave. Each tick's delta is a vector, and the ticks become the
// frames of the replica test (snapshots, deltas and empty frames, each with
// a last_input_seq appended as the server does).
func addArena(t testing.TB, c *corpus) {
	h, err := tick.NewHarness[*arenav1.State, *arenav1.Input](arenaInfo, arena.New(), 42)
	if err != nil {
		t.Fatal(err)
	}
	const room = "arena-1"
	c.Replica.RoomID = room
	players := []tick.PlayerID{"ann", "bob", "cy", "dee"}
	prev := stategen.MustClone(h.State())
	seq := uint64(0)
	for i := range 80 {
		switch {
		case i < len(players):
			if err := h.Join(players[i]); err != nil {
				t.Fatal(err)
			}
		case i == 50:
			if err := h.Leave("bob"); err != nil {
				t.Fatal(err)
			}
		}
		if i%3 == 0 && i < 60 {
			for j, p := range players {
				if p == "bob" && i >= 50 || j > i {
					continue
				}
				dx, dy := float32(math.Cos(float64(i+j))), float32(math.Sin(float64(i*j)))
				if err := h.Input(p, &arenav1.Input{Dx: dx, Dy: dy}); err != nil {
					t.Fatal(err)
				}
			}
			seq++
		}
		if err := h.Tick(); err != nil {
			t.Fatal(err)
		}
		next := stategen.MustClone(h.State())
		c.addDiff(t, fmt.Sprintf("arena tick %d", h.Room().Tick()), "arena", prev, next)

		frame := &tickwirev1.StateFrame{RoomId: room, Tick: h.Room().Tick(), ServerTimeUnixNano: h.Room().Now().UnixNano()}
		d, err := protocol.Diff(prev, next)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case i == 0 || i == 40: // the first frame, and one as a lagging reader gets it
			frame.Body = &tickwirev1.StateFrame_Snapshot{Snapshot: mustMarshal(t, next)}
		case d != nil:
			frame.Body = &tickwirev1.StateFrame_Delta{Delta: d}
		}
		b := protocol.AppendLastInputSeq(mustMarshal(t, &tickwirev1.Envelope{Msg: &tickwirev1.Envelope_State{State: frame}}), seq)
		c.Replica.Frames = append(c.Replica.Frames, b)
		c.replicaStates = append(c.replicaStates, next)
		c.replicaTicks = append(c.replicaTicks, int(frame.Tick))
		c.replicaSeqs = append(c.replicaSeqs, int(seq))
		prev = next
	}
	if len(h.State().Players) != len(players)-1 {
		t.Fatalf("arena has %d players at the end, want %d", len(h.State().Players), len(players)-1)
	}
}

// addEnvelopes adds every Envelope message, and state frames with a
// last_input_seq appended as the server sends them.
func addEnvelopes(t testing.TB, c *corpus) {
	add := func(name string, b []byte) {
		var want tickwirev1.Envelope
		if err := proto.Unmarshal(b, &want); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		c.Envelopes = append(c.Envelopes, &envelopeCase{Name: name, Bytes: b, want: &want})
	}
	env := func(ref uint32, msg any) *tickwirev1.Envelope {
		e := &tickwirev1.Envelope{Ref: ref}
		switch m := msg.(type) {
		case *tickwirev1.Hello:
			e.Msg = &tickwirev1.Envelope_Hello{Hello: m}
		case *tickwirev1.JoinRoom:
			e.Msg = &tickwirev1.Envelope_JoinRoom{JoinRoom: m}
		case *tickwirev1.LeaveRoom:
			e.Msg = &tickwirev1.Envelope_LeaveRoom{LeaveRoom: m}
		case *tickwirev1.Input:
			e.Msg = &tickwirev1.Envelope_Input{Input: m}
		case *tickwirev1.Ping:
			e.Msg = &tickwirev1.Envelope_Ping{Ping: m}
		case *tickwirev1.Welcome:
			e.Msg = &tickwirev1.Envelope_Welcome{Welcome: m}
		case *tickwirev1.Joined:
			e.Msg = &tickwirev1.Envelope_Joined{Joined: m}
		case *tickwirev1.Left:
			e.Msg = &tickwirev1.Envelope_Left{Left: m}
		case *tickwirev1.StateFrame:
			e.Msg = &tickwirev1.Envelope_State{State: m}
		case *tickwirev1.Pong:
			e.Msg = &tickwirev1.Envelope_Pong{Pong: m}
		case *tickwirev1.Error:
			e.Msg = &tickwirev1.Envelope_Error{Error: m}
		case *tickwirev1.LobbyRequest:
			e.Msg = &tickwirev1.Envelope_Lobby{Lobby: m}
		case *tickwirev1.LobbyReply:
			e.Msg = &tickwirev1.Envelope_LobbyReply{LobbyReply: m}
		}
		return e
	}
	delta := &tickwirev1.Delta{Patch: cat(mask(2), 1, 0, 1, 1, 0, mask(0), []byte{0, 0, 0x20, 0x41}, 0)} // players: the first one's x = 10
	for _, m := range []struct {
		name string
		env  *tickwirev1.Envelope
	}{
		{"hello", env(1, &tickwirev1.Hello{ProtocolVersion: 1, Client: "tickwire-web/0.1", Token: "tok"})},
		{"join room", env(math.MaxUint32, &tickwirev1.JoinRoom{RoomId: "r", Seat: "s", Game: "arena", Create: true})},
		{"leave room", env(3, &tickwirev1.LeaveRoom{RoomId: "r"})},
		{"input", env(0, &tickwirev1.Input{RoomId: "r", Seq: math.MaxUint64, Payload: []byte{0, 1, 2}})},
		{"ping", env(4, &tickwirev1.Ping{ClientTimeUnixNano: math.MinInt64})},
		{"welcome", env(0, &tickwirev1.Welcome{ProtocolVersion: 1, ServerTimeUnixNano: 1750000000123456789, SessionId: "s1", PlayerId: "p1", Token: "AVQ"})},
		{"joined", env(5, &tickwirev1.Joined{RoomId: "r", Game: "arena", PlayerId: "p1", TickHz: 20, StateType: "tickwire.arena.v1.State", InputType: "tickwire.arena.v1.Input"})},
		{"left", env(0, &tickwirev1.Left{RoomId: "r", Code: tickwirev1.ErrorCode_ERROR_CODE_ROOM_FAILED, Reason: "boom"})},
		{"pong", env(4, &tickwirev1.Pong{ClientTimeUnixNano: -1, ServerTimeUnixNano: math.MaxInt64})},
		{"error", env(6, &tickwirev1.Error{Code: tickwirev1.ErrorCode_ERROR_CODE_ALREADY_JOINED, Message: "already in room"})},
		{"lobby request", env(7, &tickwirev1.LobbyRequest{Op: &tickwirev1.LobbyRequest_CreateTicket{CreateTicket: &tickwirev1.CreateTicket{Game: "arena", Skill: 1500.5, Party: []string{"a", "b"}, Region: "eu", Mode: "duel"}}})},
		{"lobby request by string", env(8, &tickwirev1.LobbyRequest{Op: &tickwirev1.LobbyRequest_CancelTicket{CancelTicket: "t-1"}})},
		{"lobby reply", env(7, &tickwirev1.LobbyReply{
			Games:    []*tickwirev1.GameInfo{{Name: "arena", MinPlayers: 1, MaxPlayers: 50, TickHz: 20}},
			Rooms:    []*tickwirev1.RoomListing{{Id: "r", Game: "arena", Players: 3, MaxPlayers: 50, Private: true, Joinable: true}},
			Grant:    &tickwirev1.Grant{RoomId: "r", JoinCode: "K7QH2W", Seat: "AVM"},
			TicketId: "t-1",
			Ticket:   &tickwirev1.Ticket{TicketId: "t-1", Game: "arena", Status: "matched", RoomId: "r", Seat: "AVM"},
		})},
		{"state frame with a delta", env(0, &tickwirev1.StateFrame{RoomId: "r", Tick: 9, LastInputSeq: 3, ServerTimeUnixNano: 1, Body: &tickwirev1.StateFrame_Delta{Delta: delta}})},
	} {
		add(m.name, mustMarshal(t, m.env))
	}
	frames := []*tickwirev1.StateFrame{
		{RoomId: "r", Tick: 1, ServerTimeUnixNano: 1750000000000000000, Body: &tickwirev1.StateFrame_Snapshot{Snapshot: mustMarshal(t, &arenav1.State{Width: 800})}},
		{RoomId: "r", Tick: 2, ServerTimeUnixNano: 1750000000050000000, Body: &tickwirev1.StateFrame_Delta{Delta: delta}},
		{RoomId: "r", Tick: 3, ServerTimeUnixNano: 1750000000100000000}, // an empty frame: only the seq moved
	}
	for _, f := range frames {
		shared := mustMarshal(t, env(0, f))
		for _, seq := range []uint64{0, 1, 300, math.MaxUint64} {
			b := protocol.AppendLastInputSeq(bytes.Clone(shared), seq)
			add(fmt.Sprintf("state frame tick %d with last_input_seq %d appended", f.Tick, seq), b)
			if got := c.Envelopes[len(c.Envelopes)-1].want.GetState().GetLastInputSeq(); got != seq {
				t.Fatalf("Go decodes last_input_seq %d, want %d", got, seq)
			}
		}
	}
}

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

func keyStep(field uint32, key any) *tickwirev1.PathStep {
	s := step(field)
	switch k := key.(type) {
	case bool:
		s.Key = &tickwirev1.PathStep_BoolKey{BoolKey: k}
	case int64:
		s.Key = &tickwirev1.PathStep_IntKey{IntKey: k}
	case uint64:
		s.Key = &tickwirev1.PathStep_UintKey{UintKey: k}
	case string:
		s.Key = &tickwirev1.PathStep_StringKey{StringKey: k}
	default:
		panic(fmt.Sprintf("key %T", key))
	}
	return s
}

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
	patch := func(m *S) []byte { return mustMarshal(t, m) }
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

	// Deltas Diff never makes, with the semantics the format defines.
	base := &S{Title: "t", Inner: inner(1), MStringInner: map[string]*testingv1.Inner{"a": {Value: 1, Label: "x"}},
		MStringInt64: map[string]int64{"a": 1}, Choice: &testingv1.State_OInt32{OInt32: 5}}
	apply("empty delta", base, &tickwirev1.Delta{})
	apply("clear through an absent message is a no-op", &S{Title: "t"}, &tickwirev1.Delta{Clears: []*tickwirev1.FieldPath{path(step(3), step(3), step(2))}})
	apply("delete of a missing map key is a no-op", base, &tickwirev1.Delta{Clears: []*tickwirev1.FieldPath{path(keyStep(20, "nope"))}})
	apply("clear through a missing map entry is a no-op", base, &tickwirev1.Delta{Clears: []*tickwirev1.FieldPath{path(keyStep(26, "nope"), step(3))}})
	apply("clear through an empty map is a no-op", &S{}, &tickwirev1.Delta{Clears: []*tickwirev1.FieldPath{path(keyStep(22, int64(1)), step(3), step(2))}})
	apply("clear of an inactive oneof member is a no-op", base, &tickwirev1.Delta{Clears: []*tickwirev1.FieldPath{path(step(41))}})
	apply("clear of the active oneof member", base, &tickwirev1.Delta{Clears: []*tickwirev1.FieldPath{path(step(40))}})
	apply("clear a whole map, then the patch adds an entry", base, &tickwirev1.Delta{
		Clears: []*tickwirev1.FieldPath{path(step(26))},
		Patch:  patch(&S{MStringInner: map[string]*testingv1.Inner{"b": {Value: 2}}}),
	})
	apply("clears in order: inside, then the whole message", base, &tickwirev1.Delta{Clears: []*tickwirev1.FieldPath{path(step(3), step(3), step(2)), path(step(3))}})
	apply("patch merges into an existing map entry", base, &tickwirev1.Delta{Patch: patch(&S{MStringInner: map[string]*testingv1.Inner{"a": {Label: "y"}}})})
	apply("patch sets an empty map entry message", base, &tickwirev1.Delta{Patch: patch(&S{MStringInner: map[string]*testingv1.Inner{"a": {}, "new": {}}})})
	apply("patch overwrites a scalar map value", base, &tickwirev1.Delta{Patch: patch(&S{MStringInt64: map[string]int64{"a": 0, "b": -1}})})
	apply("patch creates absent messages", &S{}, &tickwirev1.Delta{Patch: patch(&S{Inner: &testingv1.Inner{Leaf: &testingv1.Leaf{X: 1}}})})
	apply("patch merges the same oneof message member",
		&S{Choice: &testingv1.State_OInner{OInner: &testingv1.Inner{Value: 1, Label: "a"}}},
		&tickwirev1.Delta{Patch: patch(&S{Choice: &testingv1.State_OInner{OInner: &testingv1.Inner{Label: "b"}}})})
	apply("patch replaces another oneof member", &S{Choice: &testingv1.State_OInner{OInner: inner(1)}}, &tickwirev1.Delta{Patch: patch(&S{Choice: &testingv1.State_OLeaf{OLeaf: &testingv1.Leaf{X: 1}}})})
	apply("patch replaces a repeated message field, no merge",
		&S{RInner: []*testingv1.Inner{{Value: 1}, {Value: 2}}},
		&tickwirev1.Delta{Patch: patch(&S{RInner: []*testingv1.Inner{{Label: "z"}}})})
	apply("patch sets -0.0 over 0.0", &S{Scalars: &testingv1.Scalars{I32: 1}}, &tickwirev1.Delta{Patch: patch(&S{Scalars: &testingv1.Scalars{Db: negZero}})})
	apply("patch with unknown fields: ignored", base, &tickwirev1.Delta{Patch: append(patch(&S{Title: "u"}), 0xb8, 0x3e, 0x01)}) // field 999 varint 1
	apply("patch with a repeated field in two pieces", &S{}, &tickwirev1.Delta{Patch: append(patch(&S{RInt32: []int32{1}}), patch(&S{RInt32: []int32{2}})...)})

	// Deltas that do not fit: refused whole, the state untouched.
	clears := func(fps ...*tickwirev1.FieldPath) *tickwirev1.Delta { return &tickwirev1.Delta{Clears: fps} }
	refuse("path names no field", base, clears(path(step(99))))
	refuse("path names field 0", base, clears(path(step(0))))
	refuse("empty path", base, clears(path()))
	refuse("key on a field that is not a map", base, clears(path(keyStep(5, "a"))))
	refuse("key of the wrong type", base, clears(path(keyStep(20, int64(1)))))
	refuse("int32 key out of range", base, clears(path(keyStep(21, int64(1)<<40))))
	refuse("uint32 key out of range", base, clears(path(keyStep(23, uint64(1)<<33))))
	refuse("bool key on a string map", base, clears(path(keyStep(26, true))))
	refuse("descend into a scalar", base, clears(path(step(5), step(1))))
	refuse("descend into a map without a key", base, clears(path(step(26), step(1))))
	refuse("descend into a repeated field", base, clears(path(step(18), step(1))))
	refuse("descend into scalar map values", base, clears(path(keyStep(20, "a"), step(1))))
	refuse("a bad clear after a good one changes nothing", base, clears(path(step(5)), path(step(99))))
	refuse("a bad patch with good clears changes nothing", base, &tickwirev1.Delta{Clears: []*tickwirev1.FieldPath{path(step(5))}, Patch: []byte{0xff, 0xff, 0xff}})
	refuse("patch with invalid UTF-8 in a string", base, &tickwirev1.Delta{Patch: []byte{0x2a, 0x01, 0xff}}) // title = "\xff"
	refuse("patch truncated", base, &tickwirev1.Delta{Patch: patch(&S{Title: "truncated"})[:4]})
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
	delta := &tickwirev1.Delta{Patch: []byte{0x2a, 0x01, 'x'}, Clears: []*tickwirev1.FieldPath{
		path(keyStep(25, true)), path(keyStep(22, int64(math.MinInt64)), step(3)), path(keyStep(24, uint64(math.MaxUint64))), path(keyStep(26, "🙂"), step(1)), path(step(40)),
	}}
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

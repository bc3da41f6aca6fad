package protocol

import (
	"bytes"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/tickwire/tickwire/internal/stategen"
	testingv1 "github.com/tickwire/tickwire/proto/tickwire/testing/v1"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
)

// roundTrip sends d through the wire encoding, as a receiver would get it.
func roundTrip(t testing.TB, d *tickwirev1.Delta) *tickwirev1.Delta {
	t.Helper()
	if d == nil {
		return nil
	}
	b, err := proto.Marshal(d)
	if err != nil {
		t.Fatalf("marshal delta: %v", err)
	}
	var out tickwirev1.Delta
	if err := proto.Unmarshal(b, &out); err != nil {
		t.Fatalf("unmarshal delta: %v", err)
	}
	return &out
}

func TestDeltaPropertyDiffApply(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 300
	}
	g := stategen.New(1)
	var empty, nonEmpty int
	for i := range n {
		a, b := g.Pair()
		aBefore, bBefore := exactClone(t, a), exactClone(t, b)
		d, err := Diff(a, b)
		if err != nil {
			t.Fatalf("pair %d: Diff: %v", i, err)
		}
		if !deltaExact(t, a, aBefore) || !deltaExact(t, b, bBefore) {
			t.Fatalf("pair %d: Diff modified its arguments", i)
		}
		if d == nil {
			empty++
			if !deltaExact(t, a, b) {
				t.Fatalf("pair %d: Diff returned nil for different states\na: %v\nb: %v", i, a, b)
			}
			continue
		}
		nonEmpty++
		got := exactClone(t, a)
		if err := ApplyDelta(got, roundTrip(t, d)); err != nil {
			t.Fatalf("pair %d: ApplyDelta: %v", i, err)
		}
		if !deltaExact(t, got, b) {
			t.Fatalf("pair %d: apply(diff(a, b), a) != b\na:   %v\nb:   %v\ngot: %v\nclears: %v", i, a, b, got, d.Clears)
		}
		// Diffing again must give the same bytes (determinism).
		d2, err := Diff(a, b)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(mustMarshal(t, d), mustMarshal(t, d2)) {
			t.Fatalf("pair %d: Diff is not deterministic", i)
		}
	}
	if empty == 0 || nonEmpty < n/2 {
		t.Fatalf("generator is lopsided: %d equal pairs, %d different", empty, nonEmpty)
	}
}

func mustMarshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDeltaPropertyDiffEqualIsNil(t *testing.T) {
	g := stategen.New(2)
	for i := range 500 {
		a := g.State()
		d, err := Diff(a, exactClone(t, a))
		if err != nil || d != nil {
			t.Fatalf("state %d: Diff(a, clone(a)) = %v, %v; want nil, nil", i, d, err)
		}
		if d, err := Diff(a, a); err != nil || d != nil {
			t.Fatalf("state %d: Diff(a, a) = %v, %v; want nil, nil", i, d, err)
		}
	}
}

// TestDeltaPropertyTracker runs a tracker over random sequences of states:
// its copy must equal every state it saw, and a receiver applying each delta
// to its own copy must reproduce every state.
func TestDeltaPropertyTracker(t *testing.T) {
	seqs, steps := 60, 40
	if testing.Short() {
		seqs = 10
	}
	g := stategen.New(3)
	for s := range seqs {
		tr := NewTracker(&testingv1.State{})
		receiver := &testingv1.State{}
		state := &testingv1.State{}
		for i := range steps {
			// The game mutates its one state in place, as a room does, and
			// sometimes replaces it wholesale.
			if g.Chance(0.1) {
				state = g.State()
			} else {
				g.Mutate(state.ProtoReflect(), 0)
			}
			want := exactClone(t, state)
			d, err := tr.Update(state)
			if err != nil {
				t.Fatalf("seq %d step %d: Update: %v", s, i, err)
			}
			if !deltaExact(t, tr.State(), want) {
				t.Fatalf("seq %d step %d: tracker copy differs from the state\nstate: %v\ncopy:  %v", s, i, want, tr.State())
			}
			if !deltaExact(t, state, want) {
				t.Fatalf("seq %d step %d: Update modified its argument", s, i)
			}
			if err := ApplyDelta(receiver, roundTrip(t, d)); err != nil {
				t.Fatalf("seq %d step %d: ApplyDelta: %v", s, i, err)
			}
			if !deltaExact(t, receiver, want) {
				t.Fatalf("seq %d step %d: receiver differs\nwant: %v\ngot:  %v", s, i, want, receiver)
			}
			if again, err := tr.Update(state); err != nil || again != nil {
				t.Fatalf("seq %d step %d: second Update = %v, %v; want nil, nil", s, i, again, err)
			}
		}
	}
}

// TestDeltaPropertyTrackerPrivateCopy checks that the tracker's copy shares
// no memory with the states it saw, whichever way a value got into the copy
// (a whole new message, or a field synced in place): the game changing the
// contents of its bytes in place must show up in the next delta.
func TestDeltaPropertyTrackerPrivateCopy(t *testing.T) {
	g := stategen.New(4)
	for i := range 300 {
		state := g.State()
		tr := NewTracker(&testingv1.State{})
		for round := range 3 {
			// Round 0 copies whole values into the empty copy; later
			// rounds sync changed fields in place.
			if round > 0 {
				g.Mutate(state.ProtoReflect(), 0)
			}
			if _, err := tr.Update(state); err != nil {
				t.Fatal(err)
			}
			snapshot := exactClone(t, state)
			if bumpBytes(state.ProtoReflect()) == 0 {
				continue
			}
			if !deltaExact(t, tr.State(), snapshot) {
				t.Fatalf("state %d round %d: tracker copy changed when the game mutated its bytes", i, round)
			}
			d, err := tr.Update(state)
			if err != nil {
				t.Fatal(err)
			}
			recv := exactClone(t, snapshot)
			if err := ApplyDelta(recv, d); err != nil {
				t.Fatal(err)
			}
			if !deltaExact(t, recv, state) {
				t.Fatalf("state %d round %d: receiver differs after in-place mutation", i, round)
			}
		}
	}
}

// bumpBytes increments every byte of every bytes value in m, in place, and
// returns how many it changed.
func bumpBytes(m protoreflect.Message) int {
	n := 0
	bump := func(b []byte) {
		for j := range b {
			b[j]++
			n++
		}
	}
	value := func(fd protoreflect.FieldDescriptor, v protoreflect.Value) {
		switch fd.Kind() {
		case protoreflect.BytesKind:
			bump(v.Bytes())
		case protoreflect.MessageKind, protoreflect.GroupKind:
			n += bumpBytes(v.Message())
		}
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList():
			for i := range v.List().Len() {
				value(fd, v.List().Get(i))
			}
		case fd.IsMap():
			v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				value(fd.MapValue(), mv)
				return true
			})
		default:
			value(fd, v)
		}
		return true
	})
	return n
}

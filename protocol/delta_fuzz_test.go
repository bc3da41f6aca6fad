package protocol

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/internal/stategen"
	testingv1 "github.com/tickwire/tickwire/proto/tickwire/testing/v1"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
)

// fuzzBase is the state FuzzApplyDelta applies deltas to. The generator is
// seeded, so every fuzz worker process builds the same one.
func fuzzBase() *testingv1.State {
	g := stategen.New(7)
	for {
		if s := g.State(); len(mustMarshal(panicTB{}, s)) > 200 {
			return s
		}
	}
}

// FuzzApplyDelta applies arbitrary delta bytes to a seeded state. It must
// never panic; an invalid delta must leave the state untouched; and a delta
// that applied must be reproducible: Diff of the states before and after,
// applied to the state before, gives the state after.
func FuzzApplyDelta(f *testing.F) {
	base := fuzzBase()
	g := stategen.New(8)
	for range 30 {
		// Real deltas against the base, and between random states.
		next := exactClone(panicTB{}, base)
		g.Mutate(next.ProtoReflect(), 0)
		for _, pair := range [][2]*testingv1.State{{base, next}, {g.State(), g.State()}} {
			d, err := Diff(pair[0], pair[1])
			if err != nil {
				f.Fatal(err)
			}
			f.Add(mustMarshal(f, d))
		}
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var d tickwirev1.Delta
		if proto.Unmarshal(data, &d) != nil {
			return
		}
		state := exactClone(t, base)
		err := ApplyDelta(state, &d)
		if err != nil {
			if !errors.Is(err, ErrDeltaInvalid) {
				t.Fatalf("error does not wrap ErrDeltaInvalid: %v", err)
			}
			if !deltaExact(t, state, base) {
				t.Fatalf("state changed by a delta that failed: %v", err)
			}
			return
		}
		quietNaNs(state.ProtoReflect())
		d2, err := Diff(base, state)
		if err != nil {
			t.Fatalf("Diff after apply: %v", err)
		}
		again := exactClone(t, base)
		if err := ApplyDelta(again, d2); err != nil {
			t.Fatalf("applying Diff's own delta: %v", err)
		}
		if !deltaExact(t, again, state) {
			t.Fatalf("apply(diff(base, s), base) != s\ns:   %v\ngot: %v", state, again)
		}
	})
}

// FuzzDiff diffs two arbitrary states (decoded from the fuzzer's bytes) and
// checks the round trip through the wire and ApplyDelta.
func FuzzDiff(f *testing.F) {
	g := stategen.New(9)
	for range 20 {
		a, b := g.Pair()
		f.Add(mustMarshal(f, a), mustMarshal(f, b))
	}
	// Found by the fuzzer: an optional float holding a signaling NaN.
	f.Add([]byte{}, []byte("\x12\x05\x25\x30\x30\x80\xff"))
	f.Fuzz(func(t *testing.T, ab, bb []byte) {
		// Unknown fields are out of the codec's scope (ignored on both
		// sides), so the states are compared without them.
		opts := proto.UnmarshalOptions{DiscardUnknown: true}
		var a, b testingv1.State
		if opts.Unmarshal(ab, &a) != nil || opts.Unmarshal(bb, &b) != nil {
			return
		}
		quietNaNs(a.ProtoReflect())
		quietNaNs(b.ProtoReflect())
		d, err := Diff(&a, &b)
		if err != nil {
			t.Fatalf("Diff: %v", err)
		}
		got := exactClone(t, &a)
		if err := ApplyDelta(got, roundTrip(t, d)); err != nil {
			t.Fatalf("ApplyDelta: %v", err)
		}
		if !deltaExact(t, got, &b) {
			t.Fatalf("apply(diff(a, b), a) != b\nb:   %v\ngot: %v", &b, got)
		}
	})
}

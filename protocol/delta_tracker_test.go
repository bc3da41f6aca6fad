package protocol

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/internal/stategen"
	tv1 "github.com/tickwire/tickwire/proto/tickwire/testing/v1"
)

func TestTrackerBasics(t *testing.T) {
	tr := NewTracker(&tv1.Arena{Tick: 99})
	if !proto.Equal(tr.State(), &tv1.Arena{}) {
		t.Fatalf("new tracker's copy = %v, want empty", tr.State())
	}
	if d, err := tr.Update(&tv1.Arena{}); d != nil || err != nil {
		t.Fatalf("Update(empty) = %v, %v; want nil, nil", d, err)
	}
	state := &tv1.Arena{Tick: 1, Players: map[string]*tv1.Player{"a": {Name: "ann"}}}
	d, err := tr.Update(state)
	if err != nil || d == nil {
		t.Fatalf("first Update = %v, %v", d, err)
	}
	if _, err := tr.Update(&tv1.State{}); !errors.Is(err, ErrDeltaTypeMismatch) {
		t.Fatalf("Update of another type = %v, want ErrDeltaTypeMismatch", err)
	}
	if err := tr.Reset(&tv1.State{}); !errors.Is(err, ErrDeltaTypeMismatch) {
		t.Fatalf("Reset to another type = %v, want ErrDeltaTypeMismatch", err)
	}
	// The tracker is still usable after a type mismatch.
	state.Players["a"].Hp = 3
	d, err = tr.Update(state)
	if err != nil || d == nil {
		t.Fatalf("Update after mismatch = %v, %v", d, err)
	}
	if err := tr.Reset(nil); err != nil || !proto.Equal(tr.State(), &tv1.Arena{}) {
		t.Fatalf("Reset(nil) = %v, copy %v", err, tr.State())
	}
}

func TestTrackerStaleAfterError(t *testing.T) {
	tr := NewTracker(&tv1.State{})
	bad := &tv1.State{Tick: 1, Title: "\xff"}
	if _, err := tr.Update(bad); err == nil {
		t.Fatal("Update with invalid UTF-8: no error")
	}
	good := &tv1.State{Tick: 2}
	if _, err := tr.Update(good); !errors.Is(err, ErrDeltaTrackerStale) {
		t.Fatalf("Update after error = %v, want ErrDeltaTrackerStale", err)
	}
	if err := tr.Reset(good); err != nil {
		t.Fatal(err)
	}
	if d, err := tr.Update(good); d != nil || err != nil {
		t.Fatalf("Update after Reset(good) = %v, %v; want nil, nil", d, err)
	}
	good.Tick = 3
	d, err := tr.Update(good)
	if err != nil || d == nil {
		t.Fatalf("Update = %v, %v", d, err)
	}
}

// TestTrackerNilMapValues: generated code allows nil messages in maps; they
// read as empty messages, and the tracker's copy must stay writable.
func TestTrackerNilMapValues(t *testing.T) {
	tr := NewTracker(&tv1.Arena{})
	recv := &tv1.Arena{}
	states := []*tv1.Arena{
		{Players: map[string]*tv1.Player{"a": nil, "b": {Hp: 1}}},
		{Players: map[string]*tv1.Player{"a": {Hp: 2}, "b": nil}},
		{Players: map[string]*tv1.Player{"a": nil, "b": {Hp: 3}}},
	}
	for i, s := range states {
		d, err := tr.Update(s)
		if err != nil {
			t.Fatalf("state %d: %v", i, err)
		}
		if err := ApplyDelta(recv, d); err != nil {
			t.Fatalf("state %d: %v", i, err)
		}
		if !deltaEqualMessage(recv.ProtoReflect(), s.ProtoReflect()) || !deltaEqualMessage(tr.State().ProtoReflect(), s.ProtoReflect()) {
			t.Fatalf("state %d: receiver %v, copy %v, want %v", i, recv, tr.State(), s)
		}
	}
	// The copy must hold real messages, never nil, so later updates can
	// write into them.
	for k, p := range tr.State().(*tv1.Arena).GetPlayers() {
		if p == nil {
			t.Fatalf("copy holds a nil player %q", k)
		}
	}
}

// TestTrackerUnchangedDoesNotAllocate holds Update to its documented promise
// for a game-shaped state and for one with every kind of field outside the
// documented exceptions.
func TestTrackerUnchangedDoesNotAllocate(t *testing.T) {
	arena := &tv1.Arena{Tick: 9, Players: map[string]*tv1.Player{
		"a": {X: 1, Y: -2, Vx: float32(math.Copysign(0, -1)), Hp: 100, Score: 3, Name: "ann"},
		"b": {Name: "bob"},
	}}
	state := &tv1.State{
		Scalars:      &tv1.Scalars{I32: -1, U64: 2, Fl: 1.5, Db: math.NaN(), B: true, S: "s", By: []byte{1}, Color: tv1.Color_COLOR_RED},
		Optionals:    &tv1.Optionals{I32: proto.Int32(0), S: proto.String("o"), By: []byte{}, Db: proto.Float64(2)},
		Inner:        &tv1.Inner{Value: 1, Leaf: &tv1.Leaf{X: 1, N: proto.Int64(2), Samples: []float32{1, 2}}, Nums: []int32{1, 2}, Leaves: map[uint32]*tv1.Leaf{1: {X: 1}}},
		Tick:         5,
		RInt32:       []int32{1, 2, 3},
		RDouble:      []float64{0.5},
		RString:      []string{"a", "b"},
		RBytes:       [][]byte{{1}, {}},
		RColor:       []tv1.Color{1, 2},
		RInner:       []*tv1.Inner{{Value: 1, Label: "x", Leaf: &tv1.Leaf{X: 2}}},
		MInt64Inner:  map[int64]*tv1.Inner{1: {Value: 1, Nums: []int32{4}}},
		MStringInner: map[string]*tv1.Inner{"k": {Leaves: map[uint32]*tv1.Leaf{2: {Data: []byte{2}}}}},
		Choice:       &tv1.State_OInner{OInner: &tv1.Inner{Label: "c"}},
		Root:         &tv1.Node{Name: "r", Child: &tv1.Node{}, Children: map[string]*tv1.Node{"c": {Name: "c"}}},
	}
	for _, m := range []proto.Message{arena, state} {
		tr := NewTracker(m.ProtoReflect().New().Interface())
		if _, err := tr.Update(m); err != nil {
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(20, func() {
			if d, err := tr.Update(m); d != nil || err != nil {
				t.Fatalf("Update = %v, %v; want nil, nil", d, err)
			}
		})
		if allocs != 0 {
			t.Errorf("unchanged %s: %v allocations per Update, want 0", m.ProtoReflect().Descriptor().Name(), allocs)
		}
	}
}

// TestTrackerLongRun runs one tracker for many ticks, past several sweeps of
// its cached map keys (delta_ranks.go), over states whose maps churn: every
// delta must be byte for byte the one Diff computes from scratch, and a
// receiver must follow.
func TestTrackerLongRun(t *testing.T) {
	ticks := 3 * deltaRanksSweep
	if testing.Short() {
		ticks = deltaRanksSweep + 10
	}
	g := stategen.New(11)
	state := g.State()
	tr := NewTracker(&tv1.State{})
	receiver := &tv1.State{}
	prev := &tv1.State{}
	arena := &tv1.Arena{Players: map[string]*tv1.Player{}}
	atr := NewTracker(&tv1.Arena{})
	arecv := &tv1.Arena{}
	aprev := &tv1.Arena{}
	for i := range ticks {
		// Small changes most ticks, so that maps keep their keys for a while.
		if i%7 == 0 {
			g.Mutate(state.ProtoReflect(), 0)
		} else if state.MStringInner != nil {
			for _, v := range state.MStringInner {
				if v != nil {
					v.Value++
					break
				}
			}
		}
		// The arena: a player joins every 5 ticks, one leaves every 7, all move.
		if i%5 == 0 {
			arena.Players[fmt.Sprintf("p-%d", i)] = &tv1.Player{Hp: 100}
		}
		if i%7 == 3 {
			for id := range arena.Players {
				delete(arena.Players, id)
				break
			}
		}
		for _, p := range arena.Players {
			p.X += 1
		}
		for _, c := range []struct {
			tr             *Tracker
			state, prev, r proto.Message
		}{{tr, state, prev, receiver}, {atr, arena, aprev, arecv}} {
			want, err := Diff(c.prev, c.state)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.tr.Update(c.state)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(want.GetPatch(), got.GetPatch()) {
				t.Fatalf("tick %d: Update's patch differs from Diff's\nUpdate: % x\nDiff:   % x", i, got.GetPatch(), want.GetPatch())
			}
			if err := ApplyDelta(c.r, got); err != nil {
				t.Fatalf("tick %d: %v", i, err)
			}
			if !deltaExact(t, c.r, c.state) {
				t.Fatalf("tick %d: receiver differs", i)
			}
		}
		prev, aprev = exactClone(t, state), exactClone(t, arena)
	}
}

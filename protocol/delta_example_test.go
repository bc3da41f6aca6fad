package protocol_test

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	testingv1 "github.com/tickwire/tickwire/proto/tickwire/testing/v1"
	"github.com/tickwire/tickwire/protocol"
)

func ExampleDiff() {
	prev := &testingv1.Arena{Tick: 7, Players: map[string]*testingv1.Player{
		"ann": {X: 1, Y: 1, Hp: 100, Name: "ann"},
		"bob": {X: 5, Y: 2, Hp: 100, Name: "bob"},
	}}
	next := &testingv1.Arena{Tick: 8, Players: map[string]*testingv1.Player{
		"ann": {X: 1.5, Y: 1, Hp: 0, Name: "ann"}, // moved and died
		"cat": {Hp: 100, Name: "cat"},             // joined; bob left
	}}

	d, err := protocol.Diff(prev, next)
	if err != nil {
		panic(err)
	}
	// The patch holds only what changed: the tick, ann's x and hp (named by
	// ann's rank among the players, not by her id), bob's removal (by rank
	// too) and all of cat, the only key sent.
	fmt.Printf("patch: %d bytes, snapshot: %d bytes\n", len(d.GetPatch()), proto.Size(next))

	// A receiver holding prev applies the delta and gets next.
	client := proto.Clone(prev).(*testingv1.Arena)
	if err := protocol.ApplyDelta(client, d); err != nil {
		panic(err)
	}
	fmt.Println("client equals next:", proto.Equal(client, next))
	// Output:
	// patch: 24 bytes, snapshot: 42 bytes
	// client equals next: true
}

func ExampleTracker() {
	// A room keeps one tracker and mutates its state in place every tick.
	state := &testingv1.Arena{Players: map[string]*testingv1.Player{"ann": {Name: "ann"}}}
	tracker := protocol.NewTracker(&testingv1.Arena{})
	client := &testingv1.Arena{}

	for tick := uint64(1); tick <= 3; tick++ {
		state.Tick = tick
		if tick == 2 {
			state.Players["ann"].X += 0.5
		}
		d, err := tracker.Update(state)
		if err != nil {
			panic(err)
		}
		fmt.Printf("tick %d: %d patch bytes\n", tick, len(d.GetPatch()))
		// The same encoded delta goes to every receiver.
		if err := protocol.ApplyDelta(client, d); err != nil {
			panic(err)
		}
	}
	// A tick that changes nothing produces no delta.
	d, _ := tracker.Update(state)
	fmt.Println("unchanged:", d == nil, proto.Equal(client, state))
	// Output:
	// tick 1: 14 patch bytes
	// tick 2: 11 patch bytes
	// tick 3: 2 patch bytes
	// unchanged: true true
}

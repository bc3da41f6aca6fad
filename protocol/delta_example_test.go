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
	// The patch holds only what changed: the tick, ann's x and all of cat.
	var patch testingv1.Arena
	if err := proto.Unmarshal(d.GetPatch(), &patch); err != nil {
		panic(err)
	}
	fmt.Println("patch tick:", patch.GetTick())
	fmt.Println("patch ann:", patch.GetPlayers()["ann"].GetX(), patch.GetPlayers()["ann"].GetName() == "")
	fmt.Println("patch cat:", patch.GetPlayers()["cat"].GetName(), patch.GetPlayers()["cat"].GetHp())
	// What the patch cannot say (a zero, a removed key) comes as clears.
	for _, c := range d.GetClears() {
		fmt.Println("clear:", c.GetSteps()[0].GetField(), c.GetSteps()[0].GetStringKey(), len(c.GetSteps()))
	}

	// A receiver holding prev applies the delta and gets next.
	client := proto.Clone(prev).(*testingv1.Arena)
	if err := protocol.ApplyDelta(client, d); err != nil {
		panic(err)
	}
	fmt.Println("client equals next:", proto.Equal(client, next))
	// Output:
	// patch tick: 8
	// patch ann: 1.5 true
	// patch cat: cat 100
	// clear: 2 ann 2
	// clear: 2 bob 1
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
		fmt.Printf("tick %d: %d patch bytes, %d clears\n", tick, len(d.GetPatch()), len(d.GetClears()))
		// The same encoded delta goes to every receiver.
		if err := protocol.ApplyDelta(client, d); err != nil {
			panic(err)
		}
	}
	// A tick that changes nothing produces no delta.
	d, _ := tracker.Update(state)
	fmt.Println("unchanged:", d == nil, proto.Equal(client, state))
	// Output:
	// tick 1: 16 patch bytes, 0 clears
	// tick 2: 16 patch bytes, 0 clears
	// tick 3: 2 patch bytes, 0 clears
	// unchanged: true true
}

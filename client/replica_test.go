package client_test

import (
	"fmt"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/client"
	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
)

func snapshotFrame(t *testing.T, topic string, st *arenav1.State, seq uint64) *tickwirev1.StateFrame {
	t.Helper()
	b, err := proto.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	return &tickwirev1.StateFrame{RoomId: "r", Topic: topic, LastInputSeq: seq, Body: &tickwirev1.StateFrame_Snapshot{Snapshot: b}}
}

func TestTopicsRouteFramesByTopic(t *testing.T) {
	ts := client.NewTopics[*arenav1.State]("r")
	if _, _, err := ts.Apply(snapshotFrame(t, "west", &arenav1.State{Width: 1}, 1)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ts.Apply(snapshotFrame(t, "east", &arenav1.State{Width: 2}, 2)); err != nil {
		t.Fatal(err)
	}
	d, err := protocol.Diff(&arenav1.State{Width: 1}, &arenav1.State{Width: 3})
	if err != nil {
		t.Fatal(err)
	}
	if topic, ok, err := ts.Apply(&tickwirev1.StateFrame{RoomId: "r", Topic: "west", LastInputSeq: 3, Body: &tickwirev1.StateFrame_Delta{Delta: d}}); err != nil || !ok || topic != "west" {
		t.Fatalf("delta: %q %v %v", topic, ok, err)
	}
	if got := ts.Replicas["west"].State.GetWidth(); got != 3 {
		t.Errorf("west width = %v after its delta", got)
	}
	if got := ts.Replicas["east"].State.GetWidth(); got != 2 {
		t.Errorf("east width = %v, changed by west's delta", got)
	}
	// A seq-only frame outside any topic.
	if topic, ok, err := ts.Apply(&tickwirev1.StateFrame{RoomId: "r", LastInputSeq: 4, Body: &tickwirev1.StateFrame_Delta{Delta: &tickwirev1.Delta{}}}); err != nil || !ok || topic != "" {
		t.Fatalf("empty frame: %q %v %v", topic, ok, err)
	}
	if ts.LastInputSeq != 4 {
		t.Errorf("LastInputSeq = %d", ts.LastInputSeq)
	}
	if _, _, err := ts.Apply(&tickwirev1.StateFrame{RoomId: "r", Topic: "east", Unsubscribed: true}); err != nil {
		t.Fatal(err)
	}
	if _, ok := ts.Replicas["east"]; ok || len(ts.Replicas) != 1 {
		t.Errorf("replicas after unsubscribing east: %v", ts.Replicas)
	}
	if _, _, err := ts.Apply(&tickwirev1.StateFrame{RoomId: "r", Topic: "north", Body: &tickwirev1.StateFrame_Delta{Delta: d}}); err != client.ErrNoSnapshot {
		t.Errorf("delta of an unknown topic: err = %v, want ErrNoSnapshot", err)
	}
	if _, ok, _ := ts.Apply(&tickwirev1.StateFrame{RoomId: "other", Topic: "west"}); ok {
		t.Errorf("a frame of another room was applied")
	}
}

func TestReplicaTakesSeqOnlyFrameBeforeSnapshot(t *testing.T) {
	r := client.NewReplica[*arenav1.State]("r")
	if _, err := r.Apply(&tickwirev1.StateFrame{RoomId: "r", LastInputSeq: 5, Body: &tickwirev1.StateFrame_Delta{Delta: &tickwirev1.Delta{}}}); err != nil {
		t.Fatalf("empty delta before snapshot: %v", err)
	}
	if r.LastInputSeq != 5 || r.Ready() {
		t.Errorf("LastInputSeq %d ready %v", r.LastInputSeq, r.Ready())
	}
	d := &tickwirev1.Delta{Patch: []byte{8, 1}}
	if _, err := r.Apply(&tickwirev1.StateFrame{RoomId: "r", Body: &tickwirev1.StateFrame_Delta{Delta: d}}); err != client.ErrNoSnapshot {
		t.Errorf("non-empty delta before snapshot: err = %v", err)
	}
}

// TestTopicsFollowTrackersWithChurn plays two topics whose players join,
// move and leave, each diffed by its own Tracker as a room does: a delta
// names a topic's players by their rank in that topic's map, so each
// replica must stay exactly equal to its topic's state. One frame is lost
// on the way; the server's answer to that, a snapshot, puts the replica
// back in step.
func TestTopicsFollowTrackersWithChurn(t *testing.T) {
	ts := client.NewTopics[*arenav1.State]("r")
	topics := []string{"west", "east"}
	states := map[string]*arenav1.State{}
	trackers := map[string]*protocol.Tracker{}
	for _, tp := range topics {
		states[tp] = &arenav1.State{Width: 10, Players: map[string]*arenav1.Player{}}
		trackers[tp] = protocol.NewTracker(&arenav1.State{})
	}
	for tick := range 120 {
		for n, tp := range topics {
			st := states[tp]
			if tick%3 == n {
				st.Players[fmt.Sprintf("p-%s-%03d", tp, tick)] = &arenav1.Player{Hp: 100}
			}
			if tick%5 == 4 {
				for id := range st.Players {
					delete(st.Players, id)
					break
				}
			}
			for _, p := range st.Players {
				p.X += float32(n + 1)
			}
			d, err := trackers[tp].Update(st)
			if err != nil {
				t.Fatal(err)
			}
			var f *tickwirev1.StateFrame
			switch {
			case tick == 0 || tick == 61 && tp == "east":
				f = snapshotFrame(t, tp, st, uint64(tick))
			case tick == 60 && tp == "east":
				continue // lost: the server sends a snapshot next
			case d == nil:
				continue
			default:
				f = &tickwirev1.StateFrame{RoomId: "r", Topic: tp, Tick: uint64(tick), Body: &tickwirev1.StateFrame_Delta{Delta: d}}
			}
			if _, _, err := ts.Apply(f); err != nil {
				t.Fatalf("tick %d topic %s: %v", tick, tp, err)
			}
			if got := ts.Replicas[tp].State; !proto.Equal(got, st) {
				t.Fatalf("tick %d topic %s: replica\n%v\nwant\n%v", tick, tp, got, st)
			}
		}
	}
}

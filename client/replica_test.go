package client_test

import (
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

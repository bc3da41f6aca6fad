package tick_test

import (
	"context"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	"github.com/tickwire/tickwire/tick"
)

// A player of a game with Topics who comes back on a new connection within
// the grace holds no replica of any topic: each must come as a snapshot,
// even one that changed (a delta would patch nothing and the client would
// resync in a loop).
func TestTopicsReconnectResnapshotsEveryTopic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnvWith(t, tick.GameInfo{TickHz: 20, ReconnectGrace: time.Second}, tick.Options{}, func(pr *probe) tick.Game[*arenav1.State, *arenav1.Input] {
			return &topicGame{testGame: testGame{probe: pr}, fills: map[string]int{}, versions: map[string]uint64{}}
		})
		t0 := time.Now()
		h := e.create(tick.RoomOptions{})
		a, b := newTopicPeer(t), newTopicPeer(t)
		for id, p := range map[tick.PlayerID]*topicPeer{"a": a, "b": b} {
			if err := h.Join(context.Background(), id, p); err != nil {
				t.Fatal(err)
			}
		}
		at(t0, 1.5)
		a.take()
		b.take()

		h.Disconnect("a", a)
		a2 := newTopicPeer(t)
		if err := h.Join(context.Background(), "a", a2); err != nil {
			t.Fatal(err)
		}
		if err := e.input(h, "b", 1, 1); err != nil { // west changes
			t.Fatal(err)
		}
		at(t0, 2.5)
		if got := a2.take(); !slices.Equal(got, []string{"west:snapshot"}) {
			t.Errorf("the reconnected peer's frames = %q, want a snapshot of west", got)
		}
		if got := a2.replica(); !slices.Equal(got, []string{"west=[a b]"}) {
			t.Errorf("the reconnected peer holds %q", got)
		}
		if got := b.take(); !slices.Equal(got, []string{"west:delta"}) {
			t.Errorf("b's frames = %q", got)
		}
	})
}

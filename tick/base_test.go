package tick_test

import (
	"context"
	"strings"
	"testing"
	"time"

	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	"github.com/tickwire/tickwire/tick"
)

// minimal is a game that writes only Input and Tick: tick.Base gives it
// Init, Join and Leave.
type minimal struct {
	tick.Base[*arenav1.State]
	inputs int
}

func (g *minimal) Input(*tick.Room[*arenav1.State], tick.PlayerID, *arenav1.Input) { g.inputs++ }
func (g *minimal) Tick(r *tick.Room[*arenav1.State], _ time.Duration) {
	r.State().Width = float32(g.inputs)
}

// both implements Viewer and Topics, which no game may do.
type both struct{ minimal }

func (both) View(*tick.Room[*arenav1.State], tick.PlayerID) string                     { return "" }
func (both) FillView(*tick.Room[*arenav1.State], string, *arenav1.State)               {}
func (both) Topics(_ *tick.Room[*arenav1.State], _ tick.PlayerID, d []string) []string { return d }
func (both) TopicVersion(*tick.Room[*arenav1.State], string) uint64                    { return 0 }
func (both) FillTopic(*tick.Room[*arenav1.State], string, *arenav1.State)              {}

var (
	_ tick.Game[*arenav1.State, *arenav1.Input] = (*minimal)(nil)
	_ tick.Viewer[*arenav1.State]               = both{}
	_ tick.Topics[*arenav1.State]               = both{}
)

func TestBaseAndInterestConflict(t *testing.T) {
	reg := tick.NewRegistry()
	tick.RegisterIn(reg, tick.GameInfo{Name: "minimal"}, func() tick.Game[*arenav1.State, *arenav1.Input] { return &minimal{} })
	tick.RegisterIn(reg, tick.GameInfo{Name: "both"}, func() tick.Game[*arenav1.State, *arenav1.Input] { return &both{} })
	rooms, err := tick.NewRooms(tick.Options{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer rooms.Close(context.Background())
	h, err := rooms.Create(context.Background(), "minimal", tick.RoomOptions{})
	if err != nil {
		t.Fatalf("a game on tick.Base: %v", err)
	}
	peer := newFakePeer(t)
	if err := h.Join(context.Background(), "p1", peer); err != nil {
		t.Fatalf("Base.Join refused: %v", err)
	}
	if _, err := rooms.Create(context.Background(), "both", tick.RoomOptions{}); err == nil || !strings.Contains(err.Error(), "both tick.Viewer and tick.Topics") {
		t.Fatalf("a game with Viewer and Topics: err = %v, want a refusal naming both", err)
	}
}

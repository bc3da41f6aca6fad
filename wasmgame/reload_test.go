package wasmgame_test

import (
	"errors"
	"testing"

	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	"github.com/tickwire/tickwire/tick"
	"github.com/tickwire/tickwire/wasmgame"
)

// TestReload loads version 2 of a guest while a room runs on version 1:
// new rooms start on 2, the old room keeps running on 1, and version 1 is
// released when that room ends.
func TestReload(t *testing.T) {
	v1 := load(t, guests.probeV1, wasmgame.Options{})
	v2 := load(t, guests.probeV2, wasmgame.Options{})
	if v1.Version() == v2.Version() {
		t.Fatalf("both versions are %s", v1.Version())
	}
	p := wasmgame.NewPlugin(v1)
	old, endOld := harness(t, probeInfo, p, 1)
	if err := old.Run(2); err != nil {
		t.Fatal(err)
	}

	p.Reload(v2)
	fresh, _ := harness(t, probeInfo, p, 1)
	if got := fresh.State().Width; got != 2 {
		t.Errorf("a room started after the reload runs version %v, want 2", got)
	}
	if err := old.Run(3); err != nil {
		t.Fatalf("the old room failed after the reload: %v", err)
	}
	if s := old.State(); s.Width != 1 || s.Height != 5 {
		t.Errorf("the old room's state = %v, want version 1 after 5 ticks", s)
	}
	if v1.Rooms() != 1 || v2.Rooms() != 1 {
		t.Errorf("rooms on v1, v2 = %d, %d, want 1, 1", v1.Rooms(), v2.Rooms())
	}
	select {
	case <-v1.Done():
		t.Fatal("version 1 was released while a room ran on it")
	default:
	}

	endOld()
	select {
	case <-v1.Done():
	default:
		t.Fatal("version 1 was not released after its last room ended")
	}
	g := wasmgame.New[*arenav1.State, *arenav1.Input](wasmgame.NewPlugin(v1))
	if _, err := tick.NewHarness(probeInfo, g, 1); !errors.Is(err, wasmgame.ErrModuleClosed) {
		t.Errorf("a room on the released version 1: %v, want ErrModuleClosed", err)
	}
}

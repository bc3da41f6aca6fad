package wasmgame_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"google.golang.org/protobuf/proto"

	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/tick"
	"github.com/tickwire/tickwire/wasmgame"
)

// The probe guest's commands (testdata/probe): an input with Dy set.
var (
	cmdLoop  = &arenav1.Input{Dx: 1, Dy: 1}
	cmdHog   = &arenav1.Input{Dx: 2, Dy: 1}
	cmdRead  = &arenav1.Input{Dx: 3, Dy: 1}
	cmdPanic = &arenav1.Input{Dx: 4, Dy: 1}
)

var probeInfo = tick.GameInfo{Name: "probe", TickHz: 20}

// peer is a player's connection in a room: it counts state frames and
// keeps the Left it gets.
type peer struct {
	mu     sync.Mutex
	frames int
	left   *tickwirev1.Left
}

func (p *peer) SendState([]byte, uint64, bool, string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.frames++
	return true
}

func (p *peer) Send(env *protocol.Envelope) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if l := env.GetLeft(); l != nil {
		p.left = l
	}
}

func (p *peer) state() (int, *tickwirev1.Left) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.frames, p.left
}

// TestEndlessLoopFailsOnlyItsRoom runs two rooms of the probe on real
// ticks and makes one loop forever: the call's deadline stops the guest,
// that room ends with ROOM_FAILED, and the other room keeps ticking.
func TestEndlessLoopFailsOnlyItsRoom(t *testing.T) {
	m := load(t, guests.probeV1, wasmgame.Options{CallTimeout: 200 * time.Millisecond})
	reg := tick.NewRegistry()
	wasmgame.Register[*arenav1.State, *arenav1.Input](reg, probeInfo, wasmgame.NewPlugin(m))
	rooms, err := tick.NewRooms(tick.Options{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer rooms.Close(context.Background())
	ctx := context.Background()
	looping, err := rooms.Create(ctx, "probe", tick.RoomOptions{})
	if err != nil {
		t.Fatal(err)
	}
	healthy, err := rooms.Create(ctx, "probe", tick.RoomOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a, b := &peer{}, &peer{}
	if err := looping.Join(ctx, "a", a); err != nil {
		t.Fatal(err)
	}
	if err := healthy.Join(ctx, "b", b); err != nil {
		t.Fatal(err)
	}
	payload, _ := proto.Marshal(cmdLoop)
	if err := looping.Input("a", 1, payload); err != nil {
		t.Fatal(err)
	}
	select {
	case <-looping.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the looping room did not end")
	}
	if err := looping.Err(); !errors.Is(err, tick.ErrRoomFailed) || !strings.Contains(err.Error(), wasmgame.ErrCallTimeout.Error()) {
		t.Errorf("looping room's Err = %v, want ErrRoomFailed for ErrCallTimeout", err)
	}
	if _, l := a.state(); l.GetCode() != protocol.CodeRoomFailed {
		t.Errorf("a's Left = %v, want ROOM_FAILED", l)
	}
	before, _ := b.state()
	checkFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if n, _ := b.state(); n < before+5 {
			return errors.New("the healthy room stopped ticking after the other failed")
		}
		return nil
	})
	if err := healthy.Err(); err != nil {
		t.Errorf("healthy room ended: %v", err)
	}
	checkFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if n := m.Rooms(); n != 1 {
			return errors.New("the failed room's instance was not released")
		}
		return nil
	})
}

// TestMemoryLimitFailsOnlyItsRoom lets a guest allocate without end under
// a 32 MiB cap: its room fails with ErrMemoryLimit and a room beside it on
// the same module goes on.
func TestMemoryLimitFailsOnlyItsRoom(t *testing.T) {
	const pages = 512
	m := load(t, guests.probeV1, wasmgame.Options{MemoryLimitPages: pages})
	p := wasmgame.NewPlugin(m)
	hog, _ := harness(t, probeInfo, p, 1)
	calm, _ := harness(t, probeInfo, p, 2)
	for _, h := range []*arenaHarness{hog, calm} {
		if err := h.Join("a"); err != nil {
			t.Fatal(err)
		}
	}
	if err := hog.Input("a", cmdHog); err != nil {
		t.Fatal(err)
	}
	err := hog.Tick()
	if !errors.Is(err, tick.ErrRoomFailed) || !strings.Contains(err.Error(), "memory limit") {
		t.Fatalf("hog's Tick = %v, want a room failure at the memory limit", err)
	}
	if got := m.MemoryBytes(); got > 2*pages<<16 {
		t.Errorf("the module's rooms hold %d bytes, over two caps of %d", got, pages<<16)
	}
	if err := calm.Input("a", &arenav1.Input{Dx: 2}); err != nil {
		t.Fatal(err)
	}
	if err := calm.Run(3); err != nil {
		t.Fatalf("the other room failed too: %v", err)
	}
	if s := calm.State(); s.Height != 3 || s.Players["a"].X != 2 {
		t.Errorf("the other room's state = %v, want 3 ticks and X 2", s)
	}
}

// TestNoFilesystem: a guest that opens a file gets an error, unless
// Options.FS grants one, read-only.
func TestNoFilesystem(t *testing.T) {
	for _, tc := range []struct {
		name string
		fs   fstest.MapFS
		want string
	}{
		{"none", nil, "read failed: open /hello.txt"},
		{"granted", fstest.MapFS{"hello.txt": {Data: []byte("hi from the host")}}, "read: hi from the host"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := wasmgame.Options{}
			if tc.fs != nil {
				opts.FS = tc.fs
			}
			h, _ := harness(t, probeInfo, wasmgame.NewPlugin(load(t, guests.probeV1, opts)), 1)
			if err := h.Join("a"); err != nil {
				t.Fatal(err)
			}
			if err := h.Input("a", cmdRead); err != nil {
				t.Fatal(err)
			}
			err := h.Tick()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Tick = %v, want the room ended with %q", err, tc.want)
			}
		})
	}
}

// TestPanicAndRefusal: a game's refusal reaches the joiner as GAME_REFUSED
// and changes nothing; a panic in the guest fails the room with the
// guest's message.
func TestPanicAndRefusal(t *testing.T) {
	h, _ := harness(t, probeInfo, wasmgame.NewPlugin(load(t, guests.probeV1, wasmgame.Options{})), 1)
	var pe *protocol.Error
	if err := h.Join("refused"); !errors.As(err, &pe) || pe.Code != protocol.CodeGameRefused || pe.Msg != "probe refuses this player" {
		t.Fatalf("Join refused = %v, want GAME_REFUSED with the guest's reason", err)
	}
	if err := h.Join("a"); err != nil {
		t.Fatal(err)
	}
	if err := h.Input("a", cmdPanic); err != nil {
		t.Fatal(err)
	}
	err := h.Tick()
	if !errors.Is(err, tick.ErrRoomFailed) || !strings.Contains(err.Error(), "probe panics") {
		t.Fatalf("Tick = %v, want a room failure naming the guest's panic", err)
	}
}

// TestLoadRefusesForeignModules: bytes that are not WebAssembly, and a
// module that is not a Tickwire guest, fail Load with a reason.
func TestLoadRefusesForeignModules(t *testing.T) {
	ctx := context.Background()
	for name, tc := range map[string]struct {
		wasm []byte
		want string
	}{
		"garbage": {[]byte("not wasm at all"), "compile"},
		"empty":   {[]byte("\x00asm\x01\x00\x00\x00"), "not a Tickwire guest"},
	} {
		if _, err := wasmgame.Load(ctx, tc.wasm, wasmgame.Options{}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Load = %v, want an error with %q", name, err, tc.want)
		}
	}
	if _, err := wasmgame.Load(ctx, nil, wasmgame.Options{CallTimeout: -1, MemoryLimitPages: 70000}); err == nil ||
		!strings.Contains(err.Error(), "CallTimeout") || !strings.Contains(err.Error(), "MemoryLimitPages") {
		t.Errorf("Load with bad options = %v, want both fields named", err)
	}
}

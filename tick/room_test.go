package tick_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"google.golang.org/protobuf/proto"

	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/tick"
)

func TestInputsApplyInArrivalOrderAtNextTick(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, tick.GameInfo{TickHz: 20}, tick.Options{})
		t0 := time.Now()
		h := e.create(tick.RoomOptions{})
		a, b := e.join(h, "a"), e.join(h, "b")
		e.probe.take()

		at(t0, 0.5)
		for i, in := range []struct {
			p  tick.PlayerID
			dx float32
		}{{"a", 1}, {"b", 10}, {"a", 2}, {"b", 20}} {
			if err := e.input(h, in.p, uint64(i/2+1), in.dx); err != nil {
				t.Fatalf("input %d: %v", i, err)
			}
		}
		synctest.Wait()
		if ev := e.probe.take(); len(ev) != 0 {
			t.Fatalf("inputs reached the game before the tick: %q", ev)
		}

		at(t0, 1.5)
		want := []string{"input a 1", "input b 10", "input a 2", "input b 20", "tick 1"}
		if ev := e.probe.take(); !slices.Equal(ev, want) {
			t.Errorf("events = %q, want %q", ev, want)
		}
		if got, want := kinds(a.takeFrames()), []string{"1:snapshot:2"}; !slices.Equal(got, want) {
			t.Errorf("a's frames = %q, want %q", got, want)
		}
		if got, want := kinds(b.takeFrames()), []string{"1:snapshot:2"}; !slices.Equal(got, want) {
			t.Errorf("b's frames = %q, want %q", got, want)
		}
		if got := a.clientState(); got.Players["a"].X != 3 || got.Players["b"].X != 30 {
			t.Errorf("client state = %v", got)
		}
	})
}

func TestFramesCarryOnlyWhatChanged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, tick.GameInfo{TickHz: 20}, tick.Options{})
		t0 := time.Now()
		h := e.create(tick.RoomOptions{})
		a, b := e.join(h, "a"), e.join(h, "b")

		at(t0, 1.5) // tick 1: the joiners' snapshots
		if got := kinds(a.takeFrames()); !slices.Equal(got, []string{"1:snapshot:0"}) {
			t.Fatalf("a's first frames = %q", got)
		}
		b.takeFrames()

		at(t0, 2.5) // tick 2: nothing changed, nothing applied: silence
		if f := append(a.takeFrames(), b.takeFrames()...); len(f) != 0 {
			t.Errorf("unchanged tick sent %q", kinds(f))
		}

		// An input that changes nothing still reaches a's client as its seq,
		// in an empty delta that only a gets.
		if err := e.input(h, "a", 1, 0); err != nil {
			t.Fatal(err)
		}
		at(t0, 3.5)
		if got := kinds(a.takeFrames()); !slices.Equal(got, []string{"3:empty:1"}) {
			t.Errorf("a's frames = %q, want an empty delta with seq 1", got)
		}
		if f := b.takeFrames(); len(f) != 0 {
			t.Errorf("b got %q for a's no-op input", kinds(f))
		}

		// A change goes to both as the same encoded bytes; only the seq
		// beside them differs.
		if err := e.input(h, "a", 2, 5); err != nil {
			t.Fatal(err)
		}
		at(t0, 4.5)
		fa, fb := a.takeFrames(), b.takeFrames()
		if got := kinds(fa); !slices.Equal(got, []string{"4:delta:2"}) {
			t.Errorf("a's frames = %q", got)
		}
		if got := kinds(fb); !slices.Equal(got, []string{"4:delta:0"}) {
			t.Errorf("b's frames = %q", got)
		}
		if len(fa) == 1 && len(fb) == 1 && fa[0].rawPtr != fb[0].rawPtr {
			t.Errorf("the delta was encoded twice, not shared")
		}
		want := e.probe.lastState()
		for name, p := range map[string]*fakePeer{"a": a, "b": b} {
			if got := p.clientState(); !proto.Equal(got, want) {
				t.Errorf("%s's state = %v, want %v", name, got, want)
			}
		}
	})
}

func TestInputCapPerPlayerPerTick(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, tick.GameInfo{TickHz: 20}, tick.Options{InputsPerTick: 3})
		t0 := time.Now()
		h := e.create(tick.RoomOptions{})
		a, _ := e.join(h, "a"), e.join(h, "b")
		e.probe.take()

		at(t0, 0.5)
		for seq := uint64(1); seq <= 5; seq++ {
			err := e.input(h, "a", seq, 1)
			if seq <= 3 && err != nil {
				t.Errorf("input %d: %v", seq, err)
			}
			if seq > 3 && !errors.Is(err, tick.ErrInputRateLimited) {
				t.Errorf("input %d over the cap: err = %v, want ErrInputRateLimited", seq, err)
			}
			var pe *protocol.Error
			if seq > 3 && (!errors.As(err, &pe) || pe.Code != protocol.CodeRateLimited) {
				t.Errorf("input %d: %v is not a RATE_LIMITED protocol error", seq, err)
			}
		}
		if err := e.input(h, "b", 1, 1); err != nil {
			t.Errorf("b's input was refused for a's flood: %v", err)
		}
		if got := e.metric("tickwire_inputs_dropped_total"); got != 2 {
			t.Errorf("dropped inputs metric = %v, want 2", got)
		}

		at(t0, 1.5)
		want := []string{"input a 1", "input a 1", "input a 1", "input b 1", "tick 1"}
		if ev := e.probe.take(); !slices.Equal(ev, want) {
			t.Errorf("events = %q, want %q", ev, want)
		}
		if got := kinds(a.takeFrames()); !slices.Equal(got, []string{"1:snapshot:3"}) {
			t.Errorf("a's frames = %q", got)
		}
		// The cap is per tick: the next tick takes three more.
		for seq := uint64(6); seq <= 8; seq++ {
			if err := e.input(h, "a", seq, 1); err != nil {
				t.Errorf("input %d after the tick: %v", seq, err)
			}
		}
	})
}

func TestInboxIsBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, tick.GameInfo{TickHz: 20}, tick.Options{InputsPerTick: 8, InboxSize: 4})
		h := e.create(tick.RoomOptions{})
		e.join(h, "a")
		var refused int
		for seq := uint64(1); seq <= 6; seq++ {
			if err := e.input(h, "a", seq, 1); errors.Is(err, tick.ErrInputRateLimited) {
				refused++
			} else if err != nil {
				t.Fatal(err)
			}
		}
		if refused != 2 {
			t.Errorf("refused %d inputs, want 2", refused)
		}
		if got := e.metric("tickwire_inputs_dropped_total"); got != 2 {
			t.Errorf("dropped inputs metric = %v, want 2", got)
		}
	})
}

func TestInputErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, tick.GameInfo{}, tick.Options{})
		h := e.create(tick.RoomOptions{})
		e.join(h, "a")
		if err := h.Input("a", 1, []byte{0xff, 0xff}); !errors.Is(err, tick.ErrBadInput) {
			t.Errorf("garbage payload: err = %v, want ErrBadInput", err)
		}
		if err := h.Input("a", 1, make([]byte, protocol.MaxInputPayloadBytes+1)); !errors.Is(err, tick.ErrBadInput) {
			t.Errorf("oversized payload: err = %v, want ErrBadInput", err)
		}
		if err := e.input(h, "nobody", 1, 1); !errors.Is(err, tick.ErrNotInRoom) {
			t.Errorf("input of a stranger: err = %v, want ErrNotInRoom", err)
		}
		// The payload buffer is the caller's again once Input returns.
		buf, _ := proto.Marshal(&arenav1.Input{Dx: 4})
		if err := h.Input("a", 1, buf); err != nil {
			t.Fatal(err)
		}
		clear(buf)
		time.Sleep(period)
		synctest.Wait()
		if got := e.probe.lastState().Players["a"].X; got != 4 {
			t.Errorf("x = %v after reusing the payload buffer, want 4", got)
		}
	})
}

func TestJoinAndLeaveDuringATick(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, tick.GameInfo{TickHz: 20}, tick.Options{})
		e.probe.onTick = func(r *tick.Room[*arenav1.State]) {
			if r.Tick() == 1 {
				time.Sleep(period / 2) // a slow tick: from 1p to 1.5p
			}
		}
		t0 := time.Now()
		h := e.create(tick.RoomOptions{})
		a, b := e.join(h, "a"), e.join(h, "b")
		e.probe.take()

		at(t0, 1.25) // tick 1 is running
		c := newFakePeer(t)
		joined := make(chan error, 1)
		go func() { joined <- h.Join(context.Background(), "c", c) }()
		synctest.Wait()
		h.Leave("b")
		if err := e.input(h, "b", 1, 7); err != nil {
			t.Fatalf("b's input while still seated: %v", err)
		}
		if ev := e.probe.take(); !slices.Equal(ev, []string{"tick 1"}) {
			t.Errorf("during tick 1: events = %q", ev)
		}
		select {
		case err := <-joined:
			t.Fatalf("Join returned during a tick: %v", err)
		default:
		}

		at(t0, 1.75) // tick 1 is over: the join and the leave ran, in order
		if err := <-joined; err != nil {
			t.Fatal(err)
		}
		if ev := e.probe.take(); !slices.Equal(ev, []string{"join c", "leave b"}) {
			t.Errorf("after tick 1: events = %q", ev)
		}
		if ctrl := c.control(); len(ctrl) != 1 || ctrl[0].GetJoined().GetPlayerId() != "c" {
			t.Errorf("c's control messages = %v, want Joined", ctrl)
		}
		if l := b.lastLeft(); l == nil || l.GetReason() == "" {
			t.Errorf("b got no Left: %v", b.control())
		}
		b.takeFrames()
		a.takeFrames()

		at(t0, 2.5) // tick 2: b's input is dropped, c starts with a snapshot
		if ev := e.probe.take(); !slices.Equal(ev, []string{"tick 2"}) {
			t.Errorf("tick 2: events = %q (b's input must not apply after b left)", ev)
		}
		if got := kinds(c.takeFrames()); !slices.Equal(got, []string{"2:snapshot:0"}) {
			t.Errorf("c's frames = %q", got)
		}
		if f := b.takeFrames(); len(f) != 0 {
			t.Errorf("b got frames after leaving: %q", kinds(f))
		}
		if got := kinds(a.takeFrames()); !slices.Equal(got, []string{"2:delta:0"}) {
			t.Errorf("a's frames = %q (players b out, c in)", got)
		}
		if got, want := c.clientState(), e.probe.lastState(); !proto.Equal(got, want) {
			t.Errorf("c's state = %v, want %v", got, want)
		}
		if h.Players() != 2 || e.metric("tickwire_players") != 2 {
			t.Errorf("players = %d, gauge %v; want 2", h.Players(), e.metric("tickwire_players"))
		}
	})
}

func TestJoinCancelledWhileRoomBusy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, tick.GameInfo{TickHz: 20}, tick.Options{})
		e.probe.onTick = func(*tick.Room[*arenav1.State]) { time.Sleep(period / 2) }
		t0 := time.Now()
		h := e.create(tick.RoomOptions{})
		at(t0, 1.1)
		ctx, cancel := context.WithTimeout(context.Background(), period/10)
		defer cancel()
		if err := h.Join(ctx, "a", newFakePeer(t)); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("join = %v, want DeadlineExceeded", err)
		}
		at(t0, 1.9)
		if h.Players() != 0 || slices.Contains(e.probe.take(), "join a") {
			t.Errorf("an abandoned join was seated")
		}
	})
}

func TestDroppedFrameIsFollowedBySnapshots(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, tick.GameInfo{TickHz: 20}, tick.Options{})
		e.probe.onTick = func(r *tick.Room[*arenav1.State]) { r.State().Players["a"].Y++ }
		t0 := time.Now()
		h := e.create(tick.RoomOptions{})
		a := e.join(h, "a")
		at(t0, 1.5)
		a.takeFrames()
		a.setRefuse(2) // drops tick 2's delta and tick 3's snapshot
		at(t0, 5.5)
		want := []string{"4:snapshot:0", "5:delta:0"}
		if got := kinds(a.takeFrames()); !slices.Equal(got, want) {
			t.Errorf("frames = %q, want %q", got, want)
		}
		if got, want := a.clientState(), e.probe.lastState(); !proto.Equal(got, want) {
			t.Errorf("client state = %v, want %v", got, want)
		}
	})
}

func TestJoinRules(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, tick.GameInfo{MaxPlayers: 4}, tick.Options{})
		e.probe.onJoin = func(_ *tick.Room[*arenav1.State], p tick.PlayerID) error {
			switch p {
			case "banned":
				return errors.New("not welcome")
			case "seatless":
				return protocol.Errorf(protocol.CodeSeatInvalid, "bad seat")
			}
			return nil
		}
		t0 := time.Now()
		h := e.create(tick.RoomOptions{MaxPlayers: 2})
		a := e.join(h, "a")
		ctx := context.Background()
		if err := h.Join(ctx, "a", a); !errors.Is(err, tick.ErrAlreadyJoined) {
			t.Errorf("second join on the same peer = %v, want ErrAlreadyJoined", err)
		}
		var pe *protocol.Error
		if err := h.Join(ctx, "banned", newFakePeer(t)); !errors.As(err, &pe) || pe.Code != protocol.CodeGameRefused || pe.Msg != "not welcome" {
			t.Errorf("refused join = %v, want GAME_REFUSED: not welcome", err)
		}
		if err := h.Join(ctx, "seatless", newFakePeer(t)); !errors.As(err, &pe) || pe.Code != protocol.CodeSeatInvalid {
			t.Errorf("join refused with a protocol error = %v, want it as is", err)
		}
		e.join(h, "b")
		if err := h.Join(ctx, "c", newFakePeer(t)); !errors.Is(err, tick.ErrRoomFull) {
			t.Errorf("join of a full room = %v, want ErrRoomFull", err)
		}

		// A reconnect moves the seat: the game sees nothing, the new peer
		// gets Joined and a snapshot; the seq restarts.
		if err := e.input(h, "a", 9, 1); err != nil {
			t.Fatal(err)
		}
		at(t0, 1.5)
		e.probe.take()
		a2 := newFakePeer(t)
		if err := h.Join(ctx, "a", a2); err != nil {
			t.Fatalf("reconnect: %v", err)
		}
		at(t0, 2.5)
		if ev := e.probe.take(); !slices.Equal(ev, []string{"tick 2"}) {
			t.Errorf("reconnect: events = %q", ev)
		}
		if got := kinds(a2.takeFrames()); !slices.Equal(got, []string{"2:snapshot:0"}) {
			t.Errorf("new peer's frames = %q", got)
		}
		if f := a.takeFrames(); len(f) != 1 {
			t.Errorf("old peer got %q after the reconnect", kinds(f))
		}
	})
}

func TestKickAndEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, tick.GameInfo{}, tick.Options{})
		e.probe.onIn = func(r *tick.Room[*arenav1.State], p tick.PlayerID, in *arenav1.Input) {
			switch in.Dx {
			case -1:
				r.Kick(p, "cheating")
			case -2:
				r.End("game over")
			}
		}
		t0 := time.Now()
		h := e.create(tick.RoomOptions{})
		a, b := e.join(h, "a"), e.join(h, "b")
		e.probe.take()
		if err := e.input(h, "a", 1, -1); err != nil {
			t.Fatal(err)
		}
		at(t0, 1.5)
		// Kick takes effect when Input returns, before the tick goes on.
		if ev := e.probe.take(); !slices.Equal(ev, []string{"input a -1", "leave a", "tick 1"}) {
			t.Errorf("events = %q", ev)
		}
		if l := a.lastLeft(); l.GetCode() != protocol.CodeGameRefused || l.GetReason() != "cheating" {
			t.Errorf("kicked player's Left = %v", l)
		}
		if err := e.input(h, "b", 1, -2); err != nil {
			t.Fatal(err)
		}
		at(t0, 2.5)
		select {
		case <-h.Done():
		default:
			t.Fatal("room still running after End")
		}
		if l := b.lastLeft(); l.GetReason() != "game over" {
			t.Errorf("Left after End = %v", l)
		}
		if got := kinds(b.takeFrames()); !slices.Equal(got, []string{"1:snapshot:0", "2:delta:1"}) {
			t.Errorf("b's frames = %q: the last tick is broadcast before the room ends", got)
		}
		if _, err := e.rooms.Get(h.ID()); !errors.Is(err, tick.ErrRoomNotFound) {
			t.Errorf("Get of an ended room = %v", err)
		}
	})
}

func TestCloseTellsEveryPlayer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, tick.GameInfo{}, tick.Options{})
		h1, h2 := e.create(tick.RoomOptions{}), e.create(tick.RoomOptions{})
		a, b := e.join(h1, "a"), e.join(h2, "b")
		if got := e.rooms.List("test"); len(got) != 2 || got[0].Players != 1 {
			t.Errorf("List = %+v", got)
		}
		if err := h1.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		if l := a.lastLeft(); l.GetCode() != protocol.CodeUnspecified || l.GetRoomId() != h1.ID() {
			t.Errorf("Left after Close = %v", l)
		}
		if err := e.input(h1, "a", 1, 1); !errors.Is(err, tick.ErrRoomNotFound) {
			t.Errorf("input to a closed room = %v", err)
		}
		if err := h1.Join(context.Background(), "z", newFakePeer(t)); !errors.Is(err, tick.ErrRoomNotFound) {
			t.Errorf("join of a closed room = %v", err)
		}
		if err := e.rooms.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		if l := b.lastLeft(); l.GetCode() != protocol.CodeShuttingDown {
			t.Errorf("Left at shutdown = %v", l)
		}
		if _, err := e.rooms.Create(context.Background(), "test", tick.RoomOptions{}); !errors.Is(err, tick.ErrClosed) {
			t.Errorf("Create after Close = %v", err)
		}
		if e.rooms.Len() != 0 || e.metric("tickwire_rooms") != 0 || e.metric("tickwire_players") != 0 {
			t.Errorf("after Close: %d rooms, gauges %v rooms %v players", e.rooms.Len(), e.metric("tickwire_rooms"), e.metric("tickwire_players"))
		}
	})
}

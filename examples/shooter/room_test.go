package shooter

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"

	shooterv1 "github.com/tickwire/tickwire/proto/tickwire/shooter/v1"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/tick"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// client rebuilds its view of the room from the frames the room sends it,
// as the browser does.
type client struct {
	t       *testing.T
	mu      sync.Mutex
	state   *shooterv1.State
	lastSeq uint64
	frames  int
	bytes   int
}

func (c *client) SendState(frame []byte, seq uint64, snapshot bool, _ string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	var env protocol.Envelope
	if err := protocol.Decode(protocol.AppendLastInputSeq(append([]byte(nil), frame...), seq), 0, &env); err != nil {
		c.t.Errorf("decode: %v", err)
		return true
	}
	switch body := env.GetState().GetBody().(type) {
	case *tickwirev1.StateFrame_Snapshot:
		c.state = &shooterv1.State{}
		if err := proto.Unmarshal(body.Snapshot, c.state); err != nil {
			c.t.Errorf("snapshot: %v", err)
		}
	case *tickwirev1.StateFrame_Delta:
		if err := protocol.ApplyDelta(c.state, body.Delta); err != nil {
			c.t.Errorf("delta: %v", err)
		}
	}
	c.lastSeq = env.GetState().GetLastInputSeq()
	c.frames++
	c.bytes += len(frame) + 10 // and about 10 bytes of last_input_seq
	return true
}

func (c *client) Send(*protocol.Envelope) {}

func (c *client) view() (*shooterv1.State, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return proto.CloneOf(c.state), c.lastSeq
}

// TestShooterRoom plays the game through the room runtime with clients
// that rebuild their views from the frames: two players in opposite
// corners see only themselves (and the shared scoreboard), and a client
// predicting its own moves with Step matches every authoritative frame.
func TestShooterRoom(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg := tick.NewRegistry()
		info, _ := tick.DefaultRegistry().Lookup(Name)
		tick.RegisterIn(reg, info, func() tick.Game[*shooterv1.State, *shooterv1.Input] { return NewWith(noBots) })
		rooms, err := tick.NewRooms(tick.Options{Clock: tick.SystemClock{}, Registry: reg})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		defer rooms.Close(ctx)
		room, err := rooms.Create(ctx, Name, tick.RoomOptions{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		a, b := &client{t: t}, &client{t: t}
		if err := room.Join(ctx, "a", a); err != nil {
			t.Fatal(err)
		}
		if err := room.Join(ctx, "b", b); err != nil {
			t.Fatal(err)
		}
		send := func(p tick.PlayerID, seq uint64, in *shooterv1.Input) {
			t.Helper()
			payload, _ := proto.Marshal(in)
			if err := room.Input(p, seq, payload); err != nil {
				t.Fatal(err)
			}
		}
		// Walk to opposite corners: 3000 units at 212 a second along each
		// axis, sliding round the obstacles.
		send("a", 1, &shooterv1.Input{MoveX: -1, MoveY: -1})
		send("b", 1, &shooterv1.Input{MoveX: 1, MoveY: 1})
		time.Sleep(16 * time.Second)
		synctest.Wait()
		sa, seq := a.view()
		sb, _ := b.view()
		if got := slices.Collect(maps.Keys(sa.Players)); seq != 1 || !slices.Equal(got, []string{"a"}) {
			t.Errorf("a (seq %d) sees %v, want only itself", seq, got)
		}
		if got := slices.Collect(maps.Keys(sb.Players)); !slices.Equal(got, []string{"b"}) {
			t.Errorf("b sees %v, want only itself", got)
		}
		if pa := sa.Players["a"]; pa.GetX() != Radius || pa.GetY() != Radius {
			t.Errorf("a did not reach its corner: %v", pa)
		}
		for _, s := range []*shooterv1.State{sa, sb} {
			if len(s.Scoreboard) != 2 || s.Rules.GetMaxSpeed() != MaxSpeed || len(s.Obstacles) != len(obstacles) {
				t.Errorf("a view lacks the shared parts: %v %v", s.Scoreboard, s.Rules)
			}
		}

		// Predict a's moves one tick at a time, as a browser would.
		rng := rand.New(rand.NewPCG(3, 4))
		period := time.Second / TickHz
		for seq := uint64(2); seq < 200; seq++ {
			s, _ := a.view()
			x, y := s.Players["a"].X, s.Players["a"].Y
			in := &shooterv1.Input{MoveX: float32(rng.NormFloat64()), MoveY: float32(rng.NormFloat64())}
			send("a", seq, in)
			px, py, _, _ := Step(x, y, in.MoveX, in.MoveY, TickHz)
			time.Sleep(period)
			synctest.Wait()
			s, got := a.view()
			if pa := s.Players["a"]; got != seq || pa.X != px || pa.Y != py {
				t.Fatalf("input %d: server has %v,%v (seq %d), predicted %v,%v", seq, pa.X, pa.Y, got, px, py)
			}
		}
	})
}

// TestStatsAreLogged: a room logs what it corrected at most once per
// StatsEvery, and once more when it ends.
func TestStatsAreLogged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs lockedBuffer
		rooms, err := tick.NewRooms(tick.Options{Clock: tick.SystemClock{}, Logger: zerolog.New(&logs)})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		room, err := rooms.Create(ctx, Name, tick.RoomOptions{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if err := room.Join(ctx, "a", &client{t: t}); err != nil {
			t.Fatal(err)
		}
		payload, _ := proto.Marshal(&shooterv1.Input{MoveX: 1e9})
		for seq := range uint64(150) { // one clamped move a second for 150 s
			if err := room.Input("a", seq+1, payload); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Second)
		}
		if err := rooms.Close(ctx); err != nil {
			t.Fatal(err)
		}
		var lines []map[string]any
		for _, l := range bytes.Split(bytes.TrimSpace(logs.Bytes()), []byte("\n")) {
			var m map[string]any
			if json.Unmarshal(l, &m) == nil && m["message"] == "shooter: inputs corrected or ignored" {
				lines = append(lines, m)
			}
		}
		// At the first input, after 60 s and 120 s, and at the end.
		if len(lines) != 4 || lines[0]["move_clamped"] != 1.0 || lines[3]["move_clamped"] != 150.0 || lines[3]["final"] != true {
			t.Errorf("stats logged %d times: %v", len(lines), lines)
		}
	})
}

// lockedBuffer is a log sink safe for the room's goroutine and the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.b.Bytes())
}

// TestBandwidth reports what a busy room sends: 20 players running about
// and firing, with 60 Hz frames of their views.
func TestBandwidth(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rooms, err := tick.NewRooms(tick.Options{Clock: tick.SystemClock{}})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		defer rooms.Close(ctx)
		room, err := rooms.Create(ctx, Name, tick.RoomOptions{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		clients := make([]*client, 20)
		for i := range clients {
			clients[i] = &client{t: t}
			if err := room.Join(ctx, tick.PlayerID(fmt.Sprintf("p%d", i)), clients[i]); err != nil {
				t.Fatal(err)
			}
		}
		rng := rand.New(rand.NewPCG(1, 2))
		const seconds = 10
		for tk := range seconds * TickHz {
			for i := range clients {
				mx, my, aim := busyInput(rng)
				payload, _ := proto.Marshal(&shooterv1.Input{MoveX: mx, MoveY: my, Aim: aim, Fire: true})
				if err := room.Input(tick.PlayerID(fmt.Sprintf("p%d", i)), uint64(tk+1), payload); err != nil {
					t.Fatal(err)
				}
			}
			time.Sleep(time.Second / TickHz)
		}
		synctest.Wait()
		total, frames, players := 0, 0, 0
		for _, c := range clients {
			c.mu.Lock()
			total += c.bytes
			frames += c.frames
			players += len(c.state.Players)
			c.mu.Unlock()
		}
		n := len(clients)
		t.Logf("%d players for %d s: %.0f bytes/s and %.0f frames/s per player, %.0f bytes a frame, %.1f players in a view",
			n, seconds, float64(total)/float64(n*seconds), float64(frames)/float64(n*seconds), float64(total)/float64(frames), float64(players)/float64(n))
	})
}

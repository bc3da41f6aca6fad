package tick_test

import (
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"google.golang.org/protobuf/proto"

	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	"github.com/tickwire/tickwire/tick"
)

// viewGame is the test game with interest management: the arena is split
// at x = 50 into "west" and "east"; a player sees the players of its half.
type viewGame struct {
	testGame
	panicIn string // "View" or "FillView": panic there from tick 2 on, at 10 Hz
}

var _ tick.Viewer[*arenav1.State] = (*viewGame)(nil)

func (g *viewGame) View(r *tick.Room[*arenav1.State], p tick.PlayerID) string {
	if g.panicIn == "View" && r.Tick() >= 2 && r.Info().TickHz == 10 {
		panic("view broke")
	}
	if r.State().Players[string(p)].X < 50 {
		return "west"
	}
	return "east"
}

func (g *viewGame) FillView(r *tick.Room[*arenav1.State], key string, dst *arenav1.State) {
	if g.panicIn == "FillView" && r.Tick() >= 2 && r.Info().TickHz == 10 {
		panic("fill broke")
	}
	dst.Width = r.State().Width
	for id, pl := range r.State().Players {
		if (pl.X < 50) == (key == "west") {
			if dst.Players == nil {
				dst.Players = map[string]*arenav1.Player{}
			}
			dst.Players[id] = proto.CloneOf(pl)
		}
	}
}

func newViewEnv(t *testing.T, panicIn string) *env {
	return newEnvWith(t, tick.GameInfo{TickHz: 20}, tick.Options{}, func(pr *probe) tick.Game[*arenav1.State, *arenav1.Input] {
		return &viewGame{testGame: testGame{probe: pr}, panicIn: panicIn}
	})
}

func TestViewsShareOneFramePerView(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newViewEnv(t, "")
		t0 := time.Now()
		h := e.create(tick.RoomOptions{})
		a, b, c := e.join(h, "a"), e.join(h, "b"), e.join(h, "c")
		if err := e.input(h, "c", 1, 60); err != nil { // c goes east
			t.Fatal(err)
		}
		at(t0, 1.5)
		fa, fb, fc := a.takeFrames(), b.takeFrames(), c.takeFrames()
		if len(fa) != 1 || len(fb) != 1 || len(fc) != 1 {
			t.Fatalf("frames: a %q b %q c %q", kinds(fa), kinds(fb), kinds(fc))
		}
		if fa[0].rawPtr != fb[0].rawPtr || !slices.Equal(fa[0].raw, fb[0].raw) {
			t.Errorf("a and b share a view but got separately encoded frames")
		}
		if got := keys(a.clientState()); !slices.Equal(got, []string{"a", "b"}) {
			t.Errorf("west sees %q", got)
		}
		if got := keys(c.clientState()); !slices.Equal(got, []string{"c"}) {
			t.Errorf("east sees %q", got)
		}

		// b walks east: it gets a snapshot of its new view, c a delta.
		if err := e.input(h, "b", 1, 70); err != nil {
			t.Fatal(err)
		}
		at(t0, 2.5)
		if got := kinds(b.takeFrames()); !slices.Equal(got, []string{"2:snapshot:1"}) {
			t.Errorf("b's frames after changing view = %q", got)
		}
		if got := kinds(c.takeFrames()); !slices.Equal(got, []string{"2:delta:1"}) {
			t.Errorf("c's frames = %q", got)
		}
		if got := kinds(a.takeFrames()); !slices.Equal(got, []string{"2:delta:0"}) {
			t.Errorf("a's frames = %q", got)
		}
		if got := keys(b.clientState()); !slices.Equal(got, []string{"b", "c"}) {
			t.Errorf("east sees %q", got)
		}
		if got := keys(a.clientState()); !slices.Equal(got, []string{"a"}) {
			t.Errorf("west sees %q after b left it", got)
		}
	})
}

func keys(s *arenav1.State) []string {
	var out []string
	for k := range s.GetPlayers() {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

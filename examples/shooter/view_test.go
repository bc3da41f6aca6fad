package shooter

import (
	"maps"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	shooterv1 "github.com/tickwire/tickwire/proto/tickwire/shooter/v1"
	"github.com/tickwire/tickwire/tick"
)

// fill returns the view of key as the room would build it.
func fill(h *harness, g *Shooter, key string) *shooterv1.State {
	dst := &shooterv1.State{}
	g.FillView(h.Room(), key, dst)
	return dst
}

func TestViewKeysFollowCellsWithHysteresis(t *testing.T) {
	h, g := newRoom(t, noBots, 0, 1, "a")
	r := h.Room()
	for _, step := range []struct {
		x, y float32
		want string
	}{
		{100, 100, "0,0"},
		{610, 100, "0,0"}, // within the hysteresis margin of its cell
		{639, 639, "0,0"},
		{645, 100, "1,0"},
		{590, 100, "1,0"}, // back across the border: keeps 1,0
		{555, 100, "0,0"},
		{2990, 2990, "4,4"},
	} {
		place(h, "a", step.x, step.y)
		if got := g.View(r, "a"); got != step.want {
			t.Errorf("at %v,%v: view %q, want %q", step.x, step.y, got, step.want)
		}
	}
	if got := g.View(r, "nobody"); got != "" {
		t.Errorf("unknown player's view %q", got)
	}
}

// TestFillViewHoldsWhatIsNear: a view has its 3×3 cells' fighters and
// projectiles and nothing farther, and every view carries the rules, the
// obstacles and the scoreboard.
func TestFillViewHoldsWhatIsNear(t *testing.T) {
	h, g := newRoom(t, noBots, 0, 1, "a", "b", "c", "d")
	place(h, "a", 100, 100)   // cell 0,0
	place(h, "b", 1100, 1100) // 1,1: a's neighbour
	place(h, "c", 1300, 100)  // 2,0: b's neighbour, not a's
	place(h, "d", 2900, 2900) // 4,4: nobody's
	h.State().Players["d"].Kills = 3
	g.scoreDirty = true
	input(t, h, "b", &shooterv1.Input{Fire: true, Aim: 1.57}) // shot 1, near
	input(t, h, "d", &shooterv1.Input{Fire: true, Aim: 3.14}) // shot 2, far
	run(t, h, 1)
	r := h.Room()
	for _, tc := range []struct {
		p           string
		key         string
		players     []string
		projectiles []uint32
		area        *shooterv1.Rect
	}{
		{"a", "0,0", []string{"a", "b"}, []uint32{1}, &shooterv1.Rect{X1: 1200, Y1: 1200}},
		{"b", "1,1", []string{"a", "b", "c"}, []uint32{1}, &shooterv1.Rect{X1: 1800, Y1: 1800}},
		{"c", "2,0", []string{"b", "c"}, []uint32{1}, &shooterv1.Rect{X0: 600, X1: 2400, Y1: 1200}},
		{"d", "4,4", []string{"d"}, []uint32{2}, &shooterv1.Rect{X0: 1800, Y0: 1800, X1: 3000, Y1: 3000}},
	} {
		key := g.View(r, tick.PlayerID(tc.p))
		if key != tc.key {
			t.Errorf("%s's view is %q, want %q", tc.p, key, tc.key)
			continue
		}
		v := fill(h, g, key)
		if got := slices.Sorted(maps.Keys(v.Players)); !slices.Equal(got, tc.players) {
			t.Errorf("view %s has players %v, want %v", key, got, tc.players)
		}
		if got := slices.Sorted(maps.Keys(v.Projectiles)); !slices.Equal(got, tc.projectiles) {
			t.Errorf("view %s has projectiles %v, want %v", key, got, tc.projectiles)
		}
		if !proto.Equal(v.View, tc.area) {
			t.Errorf("view %s covers %v, want %v", key, v.View, tc.area)
		}
		if len(v.Scoreboard) != 4 || v.Scoreboard[0].PlayerId != "d" || v.Rules.GetTickHz() != TickHz || len(v.Obstacles) != len(obstacles) {
			t.Errorf("view %s lacks the shared parts: scoreboard %v, rules %v, %d obstacles", key, v.Scoreboard, v.Rules, len(v.Obstacles))
		}
		for id, pl := range v.Players {
			if !proto.Equal(pl, h.State().Players[id]) {
				t.Errorf("view %s: %s is %v, state has %v", key, id, pl, h.State().Players[id])
			}
			if pl == h.State().Players[id] {
				t.Errorf("view %s shares %s's message with the state", key, id)
			}
		}
	}
}

// TestCopyPlayerCopiesEveryField guards copyPlayer against a field added
// to Player and forgotten.
func TestCopyPlayerCopiesEveryField(t *testing.T) {
	src := &shooterv1.Player{}
	m := src.ProtoReflect()
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		f := fields.Get(i)
		var v protoreflect.Value
		switch f.Kind() {
		case protoreflect.FloatKind:
			v = protoreflect.ValueOfFloat32(float32(i + 1))
		case protoreflect.Int32Kind:
			v = protoreflect.ValueOfInt32(int32(i + 1))
		case protoreflect.Uint32Kind:
			v = protoreflect.ValueOfUint32(uint32(i + 1))
		case protoreflect.Uint64Kind:
			v = protoreflect.ValueOfUint64(uint64(i + 1))
		case protoreflect.BoolKind:
			v = protoreflect.ValueOfBool(true)
		case protoreflect.EnumKind:
			v = protoreflect.ValueOfEnum(protoreflect.EnumNumber(i + 1))
		default:
			t.Fatalf("field %s of kind %v: teach this test and copyPlayer", f.Name(), f.Kind())
		}
		m.Set(f, v)
	}
	dst := &shooterv1.Player{}
	copyPlayer(dst, src)
	if !proto.Equal(dst, src) {
		t.Errorf("copyPlayer gave %v, want %v", dst, src)
	}
}

// TestViewsAllocateNothingWhenWarm: building a view reuses the cache's
// messages.
func TestViewsAllocateNothingWhenWarm(t *testing.T) {
	h, g := newRoom(t, Config{MinCombatants: 20}, 0, 1, "a")
	run(t, h, 10)
	key := g.View(h.Room(), "a")
	dst := &shooterv1.State{}
	g.FillView(h.Room(), key, dst)
	if n := testing.AllocsPerRun(100, func() {
		proto.Reset(dst)
		g.FillView(h.Room(), key, dst)
	}); n != 0 {
		t.Errorf("FillView allocates %v times", n)
	}
}

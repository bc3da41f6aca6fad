package crossword

import (
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	crosswordv1 "github.com/tickwire/tickwire/proto/tickwire/crossword/v1"
)

const C = Centre

func TestPremiumLayout(t *testing.T) {
	if l, w := multipliers(C, C); l != 1 || w != 2 {
		t.Errorf("centre: %d×letter %d×word, want the classic centre double word", l, w)
	}
	// The layout is the classic board: symmetric both ways and along the
	// diagonal, tiled with period 15.
	for y := range 15 {
		for x := range 15 {
			p := premium[y*15+x]
			if p != premium[y*15+14-x] || p != premium[(14-y)*15+x] || p != premium[x*15+y] {
				t.Fatalf("premium not symmetric at %d,%d", x, y)
			}
			l1, w1 := multipliers(C+x, C+y)
			l2, w2 := multipliers(C+x+15*7, C+y-15*3)
			if l1 != l2 || w1 != w2 {
				t.Fatalf("premium not periodic at %d,%d", x, y)
			}
		}
	}
	counts := map[byte]int{}
	for i := range len(premium) {
		counts[premium[i]]++
	}
	if counts['T'] != 8 || counts['D'] != 17 || counts['t'] != 12 || counts['d'] != 24 {
		t.Errorf("premium counts %v, want the classic 8 TW, 17 DW (with the centre), 12 TL, 24 DL", counts)
	}
	if l, w := multipliers(C-7, C); l != 1 || w != 3 {
		t.Errorf("(C-7, C) = %d, %d, want a triple word", l, w)
	}
}

func TestBag(t *testing.T) {
	sum := 0
	for _, w := range letterWeights {
		sum += int(w)
	}
	if sum != bagTotal {
		t.Fatalf("weights sum to %d, want %d", sum, bagTotal)
	}
	// Every draw value maps to its letter by the weights: 12 e's, one z.
	got := [26]int{}
	for n := range bagTotal {
		got[draw(func(int) int { return n })-'a']++
	}
	for i := range 26 {
		if got[i] != int(letterWeights[i]) {
			t.Errorf("%c drawn %d times in %d, want %d", 'a'+i, got[i], bagTotal, letterWeights[i])
		}
	}
}

func TestFirstWordCoversCentre(t *testing.T) {
	w := newWorld(t, Config{}, "a")
	w.rack("a", "catsxyz")
	w.refused("a", C+1, C, true, "cat", ReasonCentre)
	w.refused("a", C, C, true, "a", ReasonCentre)
	res := w.mustPlay("a", C-1, C, true, "cat")
	if res.Points != 10 || !slices.Equal(res.Words, []string{"cat"}) {
		t.Fatalf("first word: %v, want cat for (3+1+1)×2 = 10 (the centre doubles the word)", res)
	}
	if w.at(C-1, C) != 'c' || w.at(C, C) != 'a' || w.at(C+1, C) != 't' {
		t.Fatal("tiles not on the board")
	}
	p := w.player("a")
	if p.Score != 10 || p.Words != 1 || p.Tiles != 3 {
		t.Fatalf("player after the first word: %v", p)
	}
}

func TestConnectionRules(t *testing.T) {
	w := newWorld(t, Config{}, "a", "b")
	w.mustPlay("a", C-1, C, true, "cat")

	// Newcomer b may build on a's tiles, but must touch something.
	w.rack("b", "tdogxyz")
	w.refused("b", C+10, C+10, true, "dog", ReasonNotConnected)
	res := w.mustPlay("b", C, C, false, ".t") // a's "a" + b's "t": "at" down
	if res.Points != 2 || !slices.Equal(res.Words, []string{"at"}) {
		t.Fatalf("b's first word: %v, want at for 2", res)
	}
	// Now b must build from its own tiles: touching only a's is refused.
	w.rack("b", "sexyzqj")
	w.refused("b", C-2, C, true, "s...", ReasonNotOwn)
	w.mustPlay("b", C, C, false, "..e") // "ate", from b's own "t"
	// a is a veteran too, and "scat" touches a's own "c".
	w.mustPlay("a", C-2, C, true, "s...")
	if w.at(C-2, C) != 's' || w.at(C, C+2) != 'e' {
		t.Fatal("tiles not on the board")
	}
	// A veteran far from everything is simply not connected.
	w.rack("a", "dogxyzq")
	w.refused("a", C+10, C+10, true, "dog", ReasonNotConnected)
}

func TestCrossWordsAndMultipliers(t *testing.T) {
	w := newWorld(t, Config{}, "a")
	w.mustPlay("a", C-1, C, true, "cat")
	// "to" under "at": main word "to", cross-words "at" and "to". The
	// "o" lies on a double letter (classic 8,8).
	if l, wm := multipliers(C+1, C+1); l != 2 || wm != 1 {
		t.Fatalf("(C+1, C+1) = %d, %d, want a double letter", l, wm)
	}
	res := w.mustPlay("a", C, C+1, true, "to")
	if !slices.Equal(res.Words, []string{"to", "at", "to"}) {
		t.Fatalf("words %q, want to, at, to", res.Words)
	}
	// to: 1 + 1×2; at: 1 + 1; to: 1 + 1×2.
	if res.Points != 3+2+3 {
		t.Fatalf("points %d, want 8", res.Points)
	}
	// A cross-word not in the dictionary refuses the whole play.
	w.rack("a", "oxyzqjk")
	w.refused("a", C, C+2, true, "ox", ReasonNotAWord) // "ato" down is no word
	w.refused("a", C-1, C+1, true, "x", ReasonNotAWord)

	// "cat" + "hedral" reaches the triple word at (C+7, C); "d" is on a
	// double letter: (3+1+1+4+1+2×2+1+1+1) × 3.
	w2 := newWorld(t, Config{}, "a")
	w2.mustPlay("a", C-1, C, true, "cat")
	res = w2.mustPlay("a", C-1, C, true, "...hedral")
	if res.Points != 17*3 || !slices.Equal(res.Words, []string{"cathedral"}) {
		t.Fatalf("cathedral: %v, want 51", res)
	}
	// A full rack earns the bingo bonus.
	w3 := newWorld(t, Config{}, "a")
	if res := w3.mustPlay("a", C-3, C, true, "letters"); res.Points != 7*2+BingoBonus {
		t.Fatalf("letters: %v, want 7×2 + %d", res, BingoBonus)
	}
}

func TestRefusals(t *testing.T) {
	w := newWorld(t, Config{}, "a")
	w.mustPlay("a", C-1, C, true, "cat")
	w.rack("a", "abcdeft")
	w.refused("a", C-1, C+1, true, "", ReasonBadPlay)
	w.refused("a", C-1, C+1, true, "abcdefta", ReasonBadPlay) // more than a rack
	w.refused("a", -1, C, true, "at", ReasonOutOfWorld)       // off the board
	w.refused("a", 0, 0, true, "at", ReasonOutOfView)         // far from the view
	w.refused("a", C-1, C+1, true, "zz", ReasonNotInRack)     // no z
	w.refused("a", C-1, C+1, true, "aa", ReasonNotInRack)     // one a only
	w.refused("a", C, C, true, "ab", ReasonOccupied)          // on the "a"
	w.refused("a", C+2, C, false, "a..t", ReasonGap)          // not connected either, but the gap comes first
	w.refused("a", C+3, C-3, true, "b.d", ReasonGap)          //
	w.refused("a", C-1, C+1, true, "Ab", ReasonBadPlay)       // capitals
	w.refused("a", C+2, C, true, "qz", ReasonNotInRack)       //
	w.refused("a", C+2, C, true, "efdc", ReasonNotAWord)      // "catefdc"
	// Tiles in no line.
	before := w.refusals(ReasonNotInLine)
	w.input("a", &crosswordv1.Input{Action: &crosswordv1.Input_Play{Play: &crosswordv1.Play{Tiles: []*crosswordv1.Tile{
		{X: C - 1, Y: C + 1, Letter: "a"}, {X: C, Y: C + 2, Letter: "b"}}}}})
	if w.refusals(ReasonNotInLine) != before+1 {
		t.Fatal("a diagonal play was not refused as not_in_line")
	}
	// Two tiles on one cell.
	before = w.refusals(ReasonBadPlay)
	w.input("a", &crosswordv1.Input{Action: &crosswordv1.Input_Play{Play: &crosswordv1.Play{Tiles: []*crosswordv1.Tile{
		{X: C - 1, Y: C + 1, Letter: "a"}, {X: C - 1, Y: C + 1, Letter: "b"}}}}})
	if w.refusals(ReasonBadPlay) != before+1 {
		t.Fatal("two tiles on one cell were not refused as bad_play")
	}
	if p := w.player("a"); p.LastRefusal == "" || p.Refusals < 10 || p.Rack != "abcdeft" {
		t.Fatalf("player after refusals: %v", p)
	}
}

func TestPacing(t *testing.T) {
	w := newWorld(t, Config{ActionCooldown: 500 * time.Millisecond}, "a")
	w.mustPlay("a", C-1, C, true, "cat")
	w.rack("a", "sxyzqjk")
	w.refused("a", C-2, C, true, "s...", ReasonTooFast) // within 500 ms (one tick later)
	w.refused("a", C-2, C, true, "s...", ReasonRepeated)
	if err := w.h.Run(int(RepeatWindow / w.h.Room().Period())); err != nil {
		t.Fatal(err)
	}
	w.mustPlay("a", C-2, C, true, "s...")

	// Two plays in one tick: the second is refused.
	w.rack("a", "sxyzqjk")
	if err := w.h.Run(10); err != nil {
		t.Fatal(err)
	}
	for _, word := range []string{"....s", "x"} {
		_ = w.h.Input("a", &crosswordv1.Input{Action: &crosswordv1.Input_Play{Play: &crosswordv1.Play{Tiles: tiles(C-2, C, true, word)}}})
	}
	before := w.refusals(ReasonTooFast)
	if err := w.h.Tick(); err != nil {
		t.Fatal(err)
	}
	if w.refusals(ReasonTooFast) != before+1 || w.at(C+2, C) != 's' {
		t.Fatal("want the first play of the tick accepted, the second refused as too fast")
	}
}

func TestRackRefill(t *testing.T) {
	w := newWorld(t, Config{}, "a")
	if r := w.player("a").Rack; len(r) != RackSize {
		t.Fatalf("a newcomer's rack %q, want %d tiles", r, RackSize)
	}
	w.rack("a", "xcyatzq")
	if msg := w.play("a", C-1, C, true, "cat"); msg != "" {
		t.Fatal(msg)
	}
	r := w.player("a").Rack
	if len(r) != RackSize || r[:4] != "xyzq" {
		t.Fatalf("rack after playing c, a, t from xcyatzq: %q, want xyzq and 3 new tiles", r)
	}
}

func TestSwapAndLives(t *testing.T) {
	w := newWorld(t, Config{LifeRegen: 2 * time.Second}, "a")
	swap := func(letters string) {
		w.input("a", &crosswordv1.Input{Action: &crosswordv1.Input_Swap{Swap: &crosswordv1.Swap{Letters: letters}}})
	}
	w.rack("a", "qqqxyzj")
	swap("qq")
	p := w.player("a")
	if p.Lives != MaxLives-1 || len(p.Rack) != RackSize || p.Rack[:5] != "qxyzj" {
		t.Fatalf("after swapping qq from qqqxyzj: lives %d, rack %q", p.Lives, p.Rack)
	}
	if want := w.h.Room().Now().Add(2 * time.Second).UnixMilli(); p.NextLifeUnixMs != want {
		t.Fatalf("next life at %d, want %d", p.NextLifeUnixMs, want)
	}
	before := w.refusals(ReasonNotInRack)
	w.rack("a", "abcdefg")
	swap("zz")
	if w.refusals(ReasonNotInRack) != before+1 || p.Lives != MaxLives-1 || p.Rack != "abcdefg" {
		t.Fatal("a swap of letters not in the rack was not refused, or changed something")
	}
	swap("")
	swap("")
	if p.Lives != 0 {
		t.Fatalf("lives %d after three swaps", p.Lives)
	}
	rack := p.Rack
	before = w.refusals(ReasonNoLives)
	swap("")
	if w.refusals(ReasonNoLives) != before+1 || p.Rack != rack {
		t.Fatal("a swap with no lives was not refused, or changed the rack")
	}
	// Plays go on without lives.
	w.mustPlay("a", C-1, C, true, "cat")
	// Lives come back one by one, every LifeRegen after the first loss
	// (checked once a second).
	if err := w.h.Run(30); err != nil {
		t.Fatal(err)
	}
	if p.Lives < 1 {
		t.Fatalf("lives %d three seconds after the first swap, want one back (next %d, now %d)", p.Lives, p.NextLifeUnixMs, w.h.Room().Now().UnixMilli())
	}
	if err := w.h.Run(60); err != nil {
		t.Fatal(err)
	}
	if p.Lives != MaxLives || p.NextLifeUnixMs != 0 {
		t.Fatalf("lives %d, next at %d after 8 s, want all back", p.Lives, p.NextLifeUnixMs)
	}
}

func TestLeaveAndReturn(t *testing.T) {
	w := newWorld(t, Config{}, "a", "b")
	w.mustPlay("a", C-1, C, true, "cat")
	if err := w.h.Leave("a"); err != nil {
		t.Fatal(err)
	}
	p := w.player("a")
	if p == nil || p.Online || p.Score != 10 {
		t.Fatalf("a after leaving: %v", p)
	}
	w.join("a")
	if q := w.player("a"); q.Number != 1 || q.Score != 10 || !q.Online || w.player("b").Number != 2 {
		t.Fatalf("a after coming back: %v", q)
	}
}

func TestEmptyInputs(t *testing.T) {
	w := newWorld(t, Config{}, "a")
	before := proto.CloneOf(w.h.State())
	w.input("a", &crosswordv1.Input{}) // no action: ignored
	w.sameExceptRefusal(before, "a")
	if w.player("a").Refusals != 0 {
		t.Fatal("an input without an action was refused")
	}
	bad := w.refusals(ReasonBadPlay)
	w.input("a", &crosswordv1.Input{Action: &crosswordv1.Input_Play{}}) // a play of no tiles
	w.sameExceptRefusal(before, "a")
	if w.refusals(ReasonBadPlay) != bad+1 {
		t.Fatal("an empty play was not refused as bad_play")
	}
	w.input("a", &crosswordv1.Input{Action: &crosswordv1.Input_Swap{}}) // an empty swap: the whole rack
	if p := w.player("a"); p.Lives != MaxLives-1 || len(p.Rack) != RackSize {
		t.Fatalf("after swapping the whole rack: %v", p)
	}
	w.input("a", &crosswordv1.Input{Action: &crosswordv1.Input_View{}}) // the largest view, in the corner
	if v := w.player("a").View; v.X != 0 || v.Y != 0 || v.W != MaxView || v.H != MaxView {
		t.Fatalf("an empty view: %v", v)
	}
}

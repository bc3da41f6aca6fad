package lobby

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

var testWindow = SkillWindow{Base: 50, PerSecond: 25, Max: 400}

func solo(id string, skill float64, waited time.Duration) candidate {
	return candidate{id: id, skill: skill, size: 1, created: t0.Add(-waited)}
}

func TestFormGroupsExamples(t *testing.T) {
	duel := policy{min: 2, max: 2, window: testWindow}
	squad := policy{min: 2, max: 4, window: testWindow, fillWait: 3 * time.Second}
	cases := []struct {
		name   string
		cs     []candidate
		p      policy
		groups string
		next   time.Duration // after t0; 0: none
	}{
		{"close pair", []candidate{solo("a", 1000, 0), solo("b", 1040, 0)}, duel, "[[0 1]]", 0},
		// 100 apart: the older ticket's window reaches 100 after 2 s.
		{"far pair", []candidate{solo("a", 1000, 0), solo("b", 1100, 0)}, duel, "[]", 2*time.Second + time.Millisecond},
		{"far pair, older", []candidate{solo("a", 1000, time.Second), solo("b", 1100, 0)}, duel, "[]", time.Second + time.Millisecond},
		{"beyond Max", []candidate{solo("a", 0, 0), solo("b", 1000, 0)}, duel, "[]", 0},
		{"window of the oldest", []candidate{solo("a", 1000, 4*time.Second), solo("b", 1140, 0)}, duel, "[[0 1]]", 0},
		// Within the window, older tickets go first (ties: by id).
		{"oldest first", []candidate{solo("x", 1000, 2*time.Millisecond), solo("y", 1005, 0), solo("z", 1040, time.Millisecond)}, duel, "[[0 2]]", 0},
		// Squad: two wait for FillWait, then settle.
		{"fill wait", []candidate{solo("a", 10, 0), solo("b", 20, 0)}, squad, "[]", 3 * time.Second},
		{"fill wait over", []candidate{solo("a", 10, 3*time.Second), solo("b", 20, 0)}, squad, "[[0 1]]", 0},
		{"full at once", []candidate{solo("a", 10, 0), solo("b", 20, 0), solo("c", 15, 0), solo("d", 12, 0)}, squad, "[[0 1 2 3]]", 0},
		// Parties stay whole: 3+1 fill a squad; the party of 2 settles alone
		// (it has MinPlayers) once FillWait is over.
		{"parties", []candidate{{id: "p3", skill: 10, size: 3, created: t0}, {id: "p2", skill: 10, size: 2, created: t0}, solo("s", 10, 0)}, squad, "[[0 2]]", 3 * time.Second},
		{"party fills with two", []candidate{{id: "p2", skill: 10, size: 2, created: t0.Add(-time.Second)}, solo("s1", 10, 0), {id: "q3", skill: 11, size: 3, created: t0}, solo("s2", 12, 0)}, squad, "[[0 1 3]]", 3 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			groups, next := formGroups(c.cs, t0, c.p)
			for _, g := range groups {
				slices.Sort(g)
			}
			if got := fmt.Sprint(groups); got != c.groups && !(got == "[]" && c.groups == "[]") {
				t.Errorf("groups %s, want %s", got, c.groups)
			}
			var wantNext time.Time
			if c.next != 0 {
				wantNext = t0.Add(c.next)
			}
			if !next.Equal(wantNext) {
				t.Errorf("next %v, want %v", next.Sub(t0), c.next)
			}
		})
	}
}

// TestFormGroupsProperties checks formGroups on random pools: groups are
// disjoint, sized min..max (max during FillWait), parties whole, spread
// within the oldest ticket's window; nothing else could be grouped now;
// and next is when something could: a group forms at next, none 3 ms
// before (next rounds up to the millisecond, plus one, so it may be up to
// 2 ms late).
func TestFormGroupsProperties(t *testing.T) {
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 7))
		minP := 1 + rng.IntN(3)
		p := policy{min: minP, max: minP + rng.IntN(4), window: SkillWindow{Base: 20, PerSecond: 10, Max: 200}}
		if rng.IntN(2) == 0 {
			p.fillWait = 2 * time.Second
		}
		cs := make([]candidate, rng.IntN(60))
		for i := range cs {
			size := 1
			if rng.IntN(4) == 0 {
				size = 1 + rng.IntN(p.max)
			}
			cs[i] = candidate{id: fmt.Sprint(i), skill: float64(rng.IntN(1000)), size: size,
				created: t0.Add(-time.Duration(rng.IntN(30_000)) * time.Millisecond)}
		}
		t.Run(fmt.Sprint(seed), func(t *testing.T) { checkForm(t, cs, p) })
	}
}

func checkForm(t *testing.T, cs []candidate, p policy) {
	groups, next := formGroups(cs, t0, p)
	used := make([]bool, len(cs))
	for _, g := range groups {
		total, lo, hi := 0, 1e18, -1e18
		oldest := g[0]
		for _, i := range g {
			if used[i] {
				t.Fatalf("ticket %d in two groups", i)
			}
			used[i] = true
			total += cs[i].size
			lo, hi = min(lo, cs[i].skill), max(hi, cs[i].skill)
			if cs[i].created.Before(cs[oldest].created) {
				oldest = i
			}
		}
		waited := t0.Sub(cs[oldest].created)
		if total < p.min || total > p.max {
			t.Fatalf("group %v of %d players, want %d..%d", g, total, p.min, p.max)
		}
		if p.fillWait > 0 && waited < p.fillWait && total != p.max {
			t.Fatalf("group %v of %d during FillWait", g, total)
		}
		if hi-lo > p.window.At(waited) {
			t.Fatalf("group %v spread %v > window %v", g, hi-lo, p.window.At(waited))
		}
	}
	var rest []candidate
	for i, c := range cs {
		if !used[i] {
			rest = append(rest, c)
		}
	}
	if g, _ := formGroups(rest, t0, p); len(g) > 0 {
		t.Fatalf("left over %v could still be grouped", g)
	}
	if next.IsZero() {
		if g, _ := formGroups(rest, t0.Add(time.Hour), p); len(g) > 0 {
			t.Fatal("no next time, but waiting makes a group")
		}
		return
	}
	if !next.After(t0) {
		t.Fatalf("next %v is not after now", next)
	}
	if g, _ := formGroups(rest, next, p); len(g) == 0 {
		t.Fatalf("nothing forms at next (%v)", next.Sub(t0))
	}
	if early := next.Add(-3 * time.Millisecond); early.After(t0) {
		if g, _ := formGroups(rest, early, p); len(g) > 0 {
			t.Fatalf("a group forms before next (%v)", next.Sub(t0))
		}
	}
}

func TestBitset(t *testing.T) {
	b := newBitset(100)
	b.set(0)
	for _, s := range []int{3, 70, 40} {
		b.orShifted(b, s, 100)
	}
	var got []int
	for i := range 101 {
		if b.has(i) {
			got = append(got, i)
		}
	}
	// Subset sums of {3, 70, 40} up to 100.
	if fmt.Sprint(got) != "[0 3 40 43 70 73]" {
		t.Fatalf("sums %v", got)
	}
	if h := b.highest(72); h != 70 {
		t.Fatalf("highest <= 72: %d", h)
	}
	if h := b.highest(2); h != 0 {
		t.Fatalf("highest <= 2: %d", h)
	}
}

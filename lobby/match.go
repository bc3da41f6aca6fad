package lobby

import (
	"cmp"
	"math"
	"math/bits"
	"slices"
	"sort"
	"strings"
	"time"
)

// This file is the matchmaker's pure core: given the searching tickets of
// one bucket (same game, region and mode) and the time, which groups to
// form, and when waiting alone could make a new group possible.
//
// The rules. A group is a set of tickets whose parties together number
// between the game's MinPlayers and MaxPlayers, and whose skill spread
// (highest minus lowest) is within the window of its oldest ticket,
// SkillWindow.At(waited). While a group's oldest ticket has waited less than
// FillWait it must be full (MaxPlayers). Parties are never split.
//
// The algorithm. Tickets are sorted by skill. Oldest first, each ticket not
// yet grouped anchors a search: for every skill range [s, s+w] that holds
// the anchor (w its window), the parties in the range that fit best
// (largest total up to MaxPlayers; oldest preferred) are a candidate group;
// the range with the largest total wins, then the tightest. Solo tickets,
// the common case, are counted with Fenwick trees; ranges holding parties
// fall back to a subset-sum over the range (a bitset, MaxPlayers bits wide).
//
// The wake-up. For every ticket left over, minSpread finds the tightest
// range around it that would make a group; the window reaches that spread at
// a computable time (SkillWindow.reaches). The earliest such time, the
// earliest FillWait deadline and the earliest expiry are when the
// matchmaker wakes next, unless a ticket arrives or leaves before: no
// polling.

// candidate is a searching ticket as formGroups sees it.
type candidate struct {
	id      string
	skill   float64
	size    int // players in the party
	created time.Time
}

// policy is one game's matching rules.
type policy struct {
	min, max int
	window   SkillWindow
	fillWait time.Duration // <= 0: settle for min at once
}

// need returns the smallest group a ticket that waited waited may anchor.
func (p policy) need(waited time.Duration) int {
	if p.fillWait > 0 && waited < p.fillWait {
		return p.max
	}
	return p.min
}

// former holds one run of formGroups. Positions index tickets in skill
// order; taken positions are unlinked from prev/next.
type former struct {
	cs     []candidate
	p      policy
	now    time.Time
	order  []int // position → candidate
	age    []int // position → rank by age (0: oldest)
	skills []float64
	sizes  []int
	taken  []bool
	prev   []int
	next   []int
	fsize  fenwick // party sizes of untaken positions
	fmulti fenwick // untaken positions holding a party of 2 or more
}

// formGroups returns the groups to form now (each a list of indices into
// cs) and when the next group could form by waiting alone (zero: never).
func formGroups(cs []candidate, now time.Time, p policy) (groups [][]int, next time.Time) {
	n := len(cs)
	if n == 0 {
		return nil, time.Time{}
	}
	f := &former{cs: cs, p: p, now: now, order: make([]int, n), skills: make([]float64, n), sizes: make([]int, n),
		taken: make([]bool, n), prev: make([]int, n), next: make([]int, n), fsize: newFenwick(n), fmulti: newFenwick(n)}
	for i := range f.order {
		f.order[i] = i
	}
	slices.SortFunc(f.order, func(a, b int) int {
		return cmp.Or(cmp.Compare(cs[a].skill, cs[b].skill), olderFirst(cs[a], cs[b]))
	})
	rank := make([]int, n)
	for k, ci := range f.order {
		rank[ci] = k
		f.skills[k], f.sizes[k] = cs[ci].skill, cs[ci].size
		f.prev[k], f.next[k] = k-1, k+1
		f.fsize.add(k, cs[ci].size)
		if cs[ci].size > 1 {
			f.fmulti.add(k, 1)
		}
	}
	f.next[n-1] = -1
	byAge := slices.Clone(f.order)
	slices.SortFunc(byAge, func(a, b int) int { return olderFirst(cs[a], cs[b]) })
	f.age = make([]int, n)
	for r, ci := range byAge {
		f.age[rank[ci]] = r
	}

	for _, ci := range byAge {
		a := rank[ci]
		if f.taken[a] {
			continue
		}
		waited := now.Sub(cs[ci].created)
		lo, hi, total := f.bestRange(a, p.window.At(waited), p.need(waited))
		if total == 0 {
			continue
		}
		group := f.pick(a, lo, hi, total)
		for _, k := range group {
			f.take(k)
		}
		idx := make([]int, len(group))
		for i, k := range group {
			idx[i] = f.order[k]
		}
		groups = append(groups, idx)
	}

	for a := range n {
		if !f.taken[a] {
			if t := f.nextChance(a); !t.IsZero() && (next.IsZero() || t.Before(next)) {
				next = t
			}
		}
	}
	return groups, next
}

func olderFirst(a, b candidate) int {
	return cmp.Or(a.created.Compare(b.created), strings.Compare(a.id, b.id))
}

// take removes position k from the pool.
func (f *former) take(k int) {
	f.taken[k] = true
	f.fsize.add(k, -f.sizes[k])
	if f.sizes[k] > 1 {
		f.fmulti.add(k, -1)
	}
	if p := f.prev[k]; p >= 0 {
		f.next[p] = f.next[k]
	}
	if nx := f.next[k]; nx >= 0 {
		f.prev[nx] = f.prev[k]
	}
}

// lastAtMost returns the last position whose skill is <= s.
func (f *former) lastAtMost(s float64) int {
	return sort.Search(len(f.skills), func(i int) bool { return f.skills[i] > s }) - 1
}

// bestRange returns the range [lo, hi] of spread <= w around anchor a whose
// best group is largest (then tightest), and that group's player total; a
// zero total when no range reaches need. Ranges are walked with two
// pointers: as the left end i moves down, the right end h only moves down.
func (f *former) bestRange(a int, w float64, need int) (lo, hi, total int) {
	best := math.Inf(1)
	h := f.lastAtMost(f.skills[a] + w)
	sum, multi := f.fsize.sum(a, h), f.fmulti.sum(a, h)
	for i := a; i >= 0 && f.skills[a]-f.skills[i] <= w; i = f.prev[i] {
		if i != a {
			sum += f.sizes[i]
			if f.sizes[i] > 1 {
				multi++
			}
		}
		for h > a && f.skills[h] > f.skills[i]+w {
			if !f.taken[h] {
				sum -= f.sizes[h]
				if f.sizes[h] > 1 {
					multi--
				}
			}
			h--
		}
		got := f.total(a, i, h, need, sum, multi)
		if got == 0 {
			continue
		}
		if spread := f.skills[h] - f.skills[i]; got > total || (got == total && spread < best) {
			lo, hi, total, best = i, h, got, spread
		}
	}
	return lo, hi, total
}

// groupTotal returns the largest player total <= max of a group holding a
// within positions [i, h], or 0 when it is below need.
func (f *former) groupTotal(a, i, h, need int) int {
	return f.total(a, i, h, need, f.fsize.sum(i, h), f.fmulti.sum(i, h))
}

// total is groupTotal given the range's player sum and party count.
func (f *former) total(a, i, h, need, sum, multi int) int {
	if sum < need {
		return 0
	}
	got := min(sum, f.p.max)
	if multi > 0 { // parties: not every total is reachable
		got = f.sizes[a] + f.reachable(a, i, h).highest(f.p.max-f.sizes[a])
	}
	if got < need {
		return 0
	}
	return got
}

// items returns the untaken positions in [i, h] but a, oldest first.
func (f *former) items(a, i, h int) []int {
	var out []int
	for k := i; k >= 0 && k <= h; k = f.next[k] {
		if k != a {
			out = append(out, k)
		}
	}
	slices.SortFunc(out, func(x, y int) int { return cmp.Compare(f.age[x], f.age[y]) })
	return out
}

// oldest returns the n oldest untaken positions in [i, h] but a, oldest
// first: a partial selection, as n (< MaxPlayers) is small next to a
// range.
func (f *former) oldest(a, i, h, n int) []int {
	if n == 0 {
		return nil
	}
	out := make([]int, 0, n+1)
	for k := i; k >= 0 && k <= h; k = f.next[k] {
		if k == a || (len(out) == n && f.age[k] > f.age[out[n-1]]) {
			continue
		}
		j, _ := slices.BinarySearchFunc(out, k, func(x, y int) int { return cmp.Compare(f.age[x], f.age[y]) })
		out = slices.Insert(out, j, k)
		if len(out) > n {
			out = out[:n]
		}
	}
	return out
}

// reachable returns the party totals (0..max-size(a)) that the untaken
// positions in [i, h] other than a can make.
func (f *former) reachable(a, i, h int) bitset {
	limit := f.p.max - f.sizes[a]
	r := newBitset(limit)
	r.set(0)
	for _, k := range f.items(a, i, h) {
		r.orShifted(r, f.sizes[k], limit)
	}
	return r
}

// pick returns the positions of a group of exactly total players holding a
// within [i, h], preferring older tickets.
func (f *former) pick(a, i, h, total int) []int {
	want := total - f.sizes[a]
	group := []int{a}
	if f.fmulti.sum(i, h) == 0 {
		return append(group, f.oldest(a, i, h, want)...)
	}
	items := f.items(a, i, h)
	// suffix[j]: the totals items[j:] can make. Take an item when the rest
	// can still make up the difference.
	suffix := make([]bitset, len(items)+1)
	suffix[len(items)] = newBitset(want)
	suffix[len(items)].set(0)
	for j := len(items) - 1; j >= 0; j-- {
		suffix[j] = newBitset(want)
		suffix[j].orShifted(suffix[j+1], 0, want)
		suffix[j].orShifted(suffix[j+1], f.sizes[items[j]], want)
	}
	got := 0
	for j, k := range items {
		if s := f.sizes[k]; got+s <= want && suffix[j+1].has(want-got-s) {
			group = append(group, k)
			got += s
		}
	}
	return group
}

// feasible reports whether positions [l, r] hold a group with a of at
// least need players.
func (f *former) feasible(a, l, r, need int) bool {
	return f.groupTotal(a, l, r, need) > 0
}

// minSpread returns the tightest spread (at most the window's Max) of a
// range around a that holds a group of need players, or +Inf.
func (f *former) minSpread(a, need int) float64 {
	limit := f.p.window.Max
	best := math.Inf(1)
	r := -1
	for l := a; l >= 0 && f.skills[a]-f.skills[l] <= limit && f.skills[a]-f.skills[l] < best; l = f.prev[l] {
		if r < 0 {
			for x := a; x >= 0 && f.skills[x]-f.skills[l] <= limit; x = f.next[x] {
				if f.feasible(a, l, x, need) {
					r = x
					break
				}
			}
		} else { // widening on the left never needs more on the right
			for r != a && f.feasible(a, l, f.prev[r], need) {
				r = f.prev[r]
			}
		}
		if r >= 0 && f.skills[r]-f.skills[l] <= limit {
			best = min(best, f.skills[r]-f.skills[l])
		}
	}
	return best
}

// nextChance returns when the untaken ticket at a could anchor a group if
// nothing else changed, or zero for never.
func (f *former) nextChance(a int) time.Time {
	c := f.cs[f.order[a]]
	at := func(need int, notBefore time.Time) time.Time {
		s := f.minSpread(a, need)
		if math.IsInf(s, 1) {
			return time.Time{}
		}
		d, ok := f.p.window.reaches(s)
		if !ok {
			return time.Time{}
		}
		t := c.created.Add(d)
		if t.Before(notBefore) {
			t = notBefore
		}
		return t
	}
	var t time.Time
	fillEnd := c.created.Add(f.p.fillWait)
	if f.p.fillWait > 0 && f.now.Before(fillEnd) {
		if full := at(f.p.max, f.now); !full.IsZero() && full.Before(fillEnd) {
			t = full
		}
		if settle := at(f.p.min, fillEnd); !settle.IsZero() && (t.IsZero() || settle.Before(t)) {
			t = settle
		}
	} else {
		t = at(f.p.min, f.now)
	}
	if !t.After(f.now) { // cannot happen after a pass; never spin on it
		return time.Time{}
	}
	return t
}

// fenwick is a binary indexed tree of int sums over positions.
type fenwick []int

func newFenwick(n int) fenwick { return make(fenwick, n+1) }

func (t fenwick) add(i, v int) {
	for i++; i < len(t); i += i & -i {
		t[i] += v
	}
}

func (t fenwick) prefix(i int) int { // sum of [0, i]
	s := 0
	for i++; i > 0; i -= i & -i {
		s += t[i]
	}
	return s
}

func (t fenwick) sum(lo, hi int) int {
	if hi < lo {
		return 0
	}
	return t.prefix(hi) - t.prefix(lo-1)
}

// bitset is a set of small non-negative ints.
type bitset []uint64

func newBitset(maxVal int) bitset { return make(bitset, maxVal/64+1) }

func (b bitset) set(i int)      { b[i/64] |= 1 << (i % 64) }
func (b bitset) has(i int) bool { return i >= 0 && i/64 < len(b) && b[i/64]&(1<<(i%64)) != 0 }

// orShifted sets b |= src << s, dropping values above limit. b and src may
// be the same set (the shift then runs from the top down).
func (b bitset) orShifted(src bitset, s, limit int) {
	words, shift := s/64, uint(s%64)
	for i := len(b) - 1; i >= words; i-- {
		v := src[i-words] << shift
		if shift != 0 && i-words-1 >= 0 {
			v |= src[i-words-1] >> (64 - shift)
		}
		b[i] |= v
	}
	if rem := (limit + 1) % 64; rem != 0 {
		b[len(b)-1] &= 1<<rem - 1
	}
}

// highest returns the largest member <= limit (0 when only 0 is).
func (b bitset) highest(limit int) int {
	for i := min(limit/64, len(b)-1); i >= 0; i-- {
		w := b[i]
		if i == limit/64 && (limit+1)%64 != 0 {
			w &= 1<<((limit+1)%64) - 1
		}
		if w != 0 {
			return i*64 + 63 - bits.LeadingZeros64(w)
		}
	}
	return 0
}

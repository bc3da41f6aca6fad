package protocol

// Ranks name map entries in a patch: an entry's rank is the position of its
// key among the map's keys before the delta, in key order. Finding them
// takes the map's keys sorted. A Tracker keeps the sorted keys of each of
// its copy's Go maps between ticks, since its copy changes only through its
// own walks: a map's keys change when the walk adds or deletes entries
// (which drops them), and a map that is cleared or replaced is a new Go map
// at a new address (the old one is kept alive by its entry, so the address
// is not reused, until a sweep drops entries unused for a while). In a room
// whose players stay, the keys are sorted once, not every tick.

import (
	"cmp"
	"reflect"
	"slices"
	"unsafe"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// deltaRanksSweep is how many Updates a map's sorted keys stay cached
// without being used.
const deltaRanksSweep = 256

// deltaRanks are the sorted keys of one of prev's maps.
type deltaRanks struct {
	kind deltaKeyKind
	strs []string              // string keys
	keys []protoreflect.MapKey // keys of other kinds
	m    any                   // the Go map the keys are of, kept alive (cached ranks only)
	used uint64                // the Update that last used them
}

// fill sorts keys into r.
func (r *deltaRanks) fill(kind deltaKeyKind, keys []protoreflect.MapKey) {
	r.kind = kind
	r.strs, r.keys = r.strs[:0], r.keys[:0]
	if kind == deltaKeyString {
		for _, k := range keys {
			r.strs = append(r.strs, k.String())
		}
		slices.Sort(r.strs)
		return
	}
	r.keys = append(r.keys, keys...)
	deltaSortKeys(kind, r.keys)
}

// len returns the number of keys.
func (r *deltaRanks) len() int {
	if r.kind == deltaKeyString {
		return len(r.strs)
	}
	return len(r.keys)
}

// rank returns k's rank.
func (r *deltaRanks) rank(k protoreflect.MapKey) int {
	if r.kind == deltaKeyString {
		i, _ := slices.BinarySearch(r.strs, k.String())
		return i
	}
	i, _ := slices.BinarySearchFunc(r.keys, k, func(a, b protoreflect.MapKey) int { return deltaCompareKeys(r.kind, a, b) })
	return i
}

// ranksOf returns the sorted keys of prev's map: from the cache for a Go
// map gm of a Tracker's copy (gm is invalid otherwise), else sorted now from
// the keys prevKeys appends to w.keys.
func (w *deltaWalker) ranksOf(kind deltaKeyKind, gm reflect.Value, prevKeys func()) *deltaRanks {
	cache := w.sync && gm.IsValid()
	if cache {
		if r := w.ranks[gm.UnsafePointer()]; r != nil && r.len() == gm.Len() && r.kind == kind {
			r.used = w.updates
			return r
		}
	}
	base := len(w.keys)
	prevKeys()
	keys := w.keys[base:]
	r := &w.scratchRanks
	if cache {
		// gm may be a struct field: keep the map itself, not the field.
		r = &deltaRanks{m: gm.Interface(), used: w.updates}
		if w.ranks == nil {
			w.ranks = make(map[unsafe.Pointer]*deltaRanks)
		}
		w.ranks[gm.UnsafePointer()] = r
	}
	r.fill(kind, keys)
	clear(keys)
	w.keys = w.keys[:base]
	return r
}

// forgetRanks drops the cached keys of Go map gm, whose keys changed.
func (w *deltaWalker) forgetRanks(gm reflect.Value) {
	if gm.IsValid() && w.ranks != nil {
		delete(w.ranks, gm.UnsafePointer())
	}
}

// sweepRanks counts an Update and, every deltaRanksSweep of them, drops
// the cached keys not used since the last sweep.
func (w *deltaWalker) sweepRanks() {
	w.updates++
	if w.updates%deltaRanksSweep != 0 {
		return
	}
	for p, r := range w.ranks {
		if w.updates-r.used > deltaRanksSweep {
			delete(w.ranks, p)
		}
	}
}

// deltaCompareChanges orders the entries of one map's patch: changes by
// rank, then additions by key.
func deltaCompareChanges(a, b deltaSpan) int {
	switch {
	case a.added != b.added:
		return cmp.Compare(deltaBoolInt(a.added), deltaBoolInt(b.added))
	case !a.added:
		return cmp.Compare(a.rank, b.rank)
	}
	return deltaCompareKeys(a.kind, a.key, b.key)
}

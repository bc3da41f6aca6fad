package protocol

// Maps are diffed key by key. Through protoreflect every entry visited costs
// allocations in generated code (the key boxed for each lookup, the
// iterator's key copied), which for a state of 100 players means hundreds of
// allocations per tick even when nothing moved. So for generated messages
// (see delta_shape.go) the walker reads the Go maps with package reflect,
// with an iterator and key scratch values kept per map field and nesting
// depth; writes to the Tracker's copy still go through protoreflect.

import (
	"reflect"
	"slices"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// deltaAdd is an entry to add to prev's map once the map's patch is
// closed (ranks refer to prev's keys before the delta).
type deltaAdd struct {
	key protoreflect.MapKey
	val protoreflect.Value // next's value, copied when added
}

// mapField handles a map field: an emptied map is a clear (header 0), a map
// that was empty goes whole into the patch, and otherwise entries are
// compared key by key.
func (w *deltaWalker) mapField(prev, next protoreflect.Message, fd protoreflect.FieldDescriptor) {
	ph, nh := prev.Has(fd), next.Has(fd)
	switch {
	case !nh:
		if ph {
			w.clearField(prev, fd)
		}
	case !ph:
		w.replace(prev, fd, next.Get(fd))
	default:
		w.entries(prev, next, fd)
	}
}

// deltaMapMarks are the positions in the walker's stacks where one map's
// entries start.
type deltaMapMarks struct {
	buf, spans, gone, adds int
}

// markMap records where a map's entries start.
func (w *deltaWalker) markMap() deltaMapMarks {
	return deltaMapMarks{buf: len(w.buf), spans: len(w.spans), gone: len(w.gone), adds: len(w.adds)}
}

// entries diffs two non-empty maps through protoreflect; entriesGo does the
// same on generated Go maps without allocating. Changed entries go into the
// patch by rank (a message value only with its changed fields), new ones
// with their key, removed ones by rank.
func (w *deltaWalker) entries(prev, next protoreflect.Message, fd protoreflect.FieldDescriptor) {
	var pm protoreflect.Map
	if w.sync {
		pm = prev.Mutable(fd).Map()
	} else {
		pm = prev.Get(fd).Map()
	}
	nm := next.Get(fd).Map()
	vd := fd.MapValue()
	before, found := pm.Len(), 0
	at, kind := w.markMap(), deltaKeyKindOf(fd.MapKey())
	nm.Range(func(k protoreflect.MapKey, nv protoreflect.Value) bool {
		start := len(w.buf)
		switch pv := pm.Get(k); {
		case !pv.IsValid():
			w.appendScalar(fd.MapKey(), k.Value())
			w.appendWhole(vd, nv)
			w.adds = append(w.adds, deltaAdd{key: k, val: nv})
			w.spans = append(w.spans, deltaSpan{key: k, kind: kind, added: true, start: start, end: len(w.buf)})
			return true
		case vd.Message() == nil:
			found++
			if deltaEqualValue(vd, pv, nv) {
				return true
			}
			w.appendScalar(vd, nv)
			if w.sync {
				pm.Set(k, deltaCopyScalar(vd, nv))
			}
		default:
			found++
			prevMsg := pv.Message()
			if w.sync && !prevMsg.IsValid() {
				// A nil message in a Go map reads as empty but cannot be written.
				prevMsg = pm.NewValue().Message()
				pm.Set(k, protoreflect.ValueOfMessage(prevMsg))
			}
			if !w.message(prevMsg, nv.Message()) {
				return true
			}
		}
		w.spans = append(w.spans, deltaSpan{key: k, kind: kind, start: start, end: len(w.buf)})
		return true
	})
	if found != before {
		pm.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
			if !nm.Has(k) {
				w.gone = append(w.gone, k)
			}
			return true
		})
	}
	if !w.closeMap(at, kind, reflect.Value{}, func() {
		pm.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
			w.keys = append(w.keys, k)
			return true
		})
	}) {
		return
	}
	w.syncMap(at, fd, pm, reflect.Value{})
}

// closeMap turns the map entries encoded since at into the map's change:
//
//	varint  1 + number of deleted entries
//	        their ranks, as gaps
//	varint  number of changed entries
//	        each one's rank, as a gap, and its change
//	varint  number of added entries
//	        each one's key and whole value
//
// in key order within each group. gm is prev's Go map, if the map is one,
// and prevKeys appends prev's keys to w.keys; they are used only when ranks
// are needed (see delta_ranks.go). closeMap reports false, having written
// nothing, when the map did not change.
func (w *deltaWalker) closeMap(at deltaMapMarks, kind deltaKeyKind, gm reflect.Value, prevKeys func()) bool {
	spans, gone := w.spans[at.spans:], w.gone[at.gone:]
	if len(spans) == 0 && len(gone) == 0 {
		return false
	}
	changed := 0
	for _, s := range spans {
		if !s.added {
			changed++
		}
	}
	var ranks *deltaRanks
	if changed > 0 || len(gone) > 0 {
		ranks = w.ranksOf(kind, gm, prevKeys)
	}
	// Changed entries by rank, then added ones by key.
	for i := range spans {
		if !spans[i].added {
			spans[i].rank = ranks.rank(spans[i].key)
		}
	}
	if len(spans) > 1 {
		slices.SortFunc(spans, deltaCompareChanges)
	}
	deltaSortKeys(kind, gone)

	out := protowire.AppendVarint(w.scratch[:0], uint64(len(gone))+1)
	last := -1
	for _, k := range gone {
		r := ranks.rank(k)
		out = protowire.AppendVarint(out, uint64(r-last-1))
		last = r
	}
	out = protowire.AppendVarint(out, uint64(changed))
	last = -1
	for _, s := range spans {
		if !s.added {
			out = protowire.AppendVarint(out, uint64(s.rank-last-1))
			out = append(out, w.buf[s.start:s.end]...)
			last = s.rank
		}
	}
	out = protowire.AppendVarint(out, uint64(len(spans)-changed))
	for _, s := range spans {
		if s.added {
			out = append(out, w.buf[s.start:s.end]...)
		}
	}
	w.buf = append(w.buf[:at.buf], out...)
	w.scratch = out
	w.spans = w.spans[:at.spans]
	return true
}

// syncMap applies the deletions and additions recorded since at to pm,
// prev's map (gm, if it is a Go map), when syncing, and forgets them.
func (w *deltaWalker) syncMap(at deltaMapMarks, fd protoreflect.FieldDescriptor, pm protoreflect.Map, gm reflect.Value) {
	if w.sync {
		if len(w.gone) > at.gone || len(w.adds) > at.adds {
			w.forgetRanks(gm)
		}
		for _, k := range w.gone[at.gone:] {
			pm.Clear(k)
		}
		for _, a := range w.adds[at.adds:] {
			pm.Set(a.key, deltaCopyMapValue(pm, fd, a.val))
		}
	}
	clear(w.gone[at.gone:])
	clear(w.adds[at.adds:])
	w.gone, w.adds = w.gone[:at.gone], w.adds[:at.adds]
}

// deltaGoMap is the fast-path plan for one map field of one generated
// message type.
type deltaGoMap struct {
	index   int // struct field holding the map
	keyType reflect.Type
	valType reflect.Type
	keyKind protoreflect.Kind
	valFD   protoreflect.FieldDescriptor
	msgVal  bool
	// valShape is the shape of message values, found on first use.
	valShape *deltaShape
	levels   []*deltaGoMapLevel // scratch per nesting depth of this field
	depth    int
}

// deltaGoMapLevel is the scratch for iterating one map: reused across calls
// so that walking an unchanged map allocates nothing.
type deltaGoMapLevel struct {
	it  reflect.MapIter
	key reflect.Value // settable, of the key type
	val reflect.Value // settable, of the value type (scalar values only)
}

// deltaNewGoMap returns the fast-path plan for map field fd held in Go
// struct field sf, or nil when sf's types are not the ones protoc-gen-go uses
// for fd.
func deltaNewGoMap(fd protoreflect.FieldDescriptor, sf reflect.StructField) *deltaGoMap {
	t := sf.Type
	if t.Kind() != reflect.Map ||
		!deltaGoTypeFits(fd.MapKey().Kind(), nil, t.Key()) ||
		!deltaGoTypeFits(fd.MapValue().Kind(), fd.MapValue().Message(), t.Elem()) {
		return nil
	}
	return &deltaGoMap{
		index:   sf.Index[0],
		keyType: t.Key(),
		valType: t.Elem(),
		keyKind: fd.MapKey().Kind(),
		valFD:   fd.MapValue(),
		msgVal:  fd.MapValue().Message() != nil,
	}
}

// enter takes the scratch for one more nesting level of this map field.
func (g *deltaGoMap) enter() *deltaGoMapLevel {
	if g.depth == len(g.levels) {
		lv := &deltaGoMapLevel{key: reflect.New(g.keyType).Elem()}
		if !g.msgVal {
			lv.val = reflect.New(g.valType).Elem()
		}
		g.levels = append(g.levels, lv)
	}
	lv := g.levels[g.depth]
	g.depth++
	return lv
}

// leave gives back the scratch taken by the matching enter, dropping its
// reference to the map it iterated.
func (g *deltaGoMap) leave() {
	g.depth--
	g.levels[g.depth].it.Reset(reflect.Value{})
}

// mapKey converts a Go map key to a protoreflect map key.
func (g *deltaGoMap) mapKey(k reflect.Value) protoreflect.MapKey {
	var v protoreflect.Value
	switch g.keyKind {
	case protoreflect.BoolKind:
		v = protoreflect.ValueOfBool(k.Bool())
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		v = protoreflect.ValueOfInt32(int32(k.Int()))
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		v = protoreflect.ValueOfInt64(k.Int())
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		v = protoreflect.ValueOfUint32(uint32(k.Uint()))
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		v = protoreflect.ValueOfUint64(k.Uint())
	default:
		v = protoreflect.ValueOfString(k.String())
	}
	return v.MapKey()
}

// value converts a Go map value to a protoreflect value. It shares memory
// with v (bytes, messages).
func (g *deltaGoMap) value(v reflect.Value) protoreflect.Value {
	switch g.valFD.Kind() {
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(v.Bool())
	case protoreflect.EnumKind:
		return protoreflect.ValueOfEnum(protoreflect.EnumNumber(v.Int()))
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return protoreflect.ValueOfInt32(int32(v.Int()))
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64(v.Int())
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32(uint32(v.Uint()))
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64(v.Uint())
	case protoreflect.FloatKind:
		return protoreflect.ValueOfFloat32(float32(v.Float()))
	case protoreflect.DoubleKind:
		return protoreflect.ValueOfFloat64(v.Float())
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(v.String())
	case protoreflect.BytesKind:
		return protoreflect.ValueOfBytes(v.Bytes())
	}
	return protoreflect.ValueOfMessage(deltaGoMessage(v))
}

// deltaGoMessage returns the protoreflect view of a generated message pointer
// (an invalid, empty message for a nil pointer).
func deltaGoMessage(v reflect.Value) protoreflect.Message {
	return v.Interface().(protoreflect.ProtoMessage).ProtoReflect()
}

// mapGo is mapField on the Go maps pm and nm of generated messages.
func (w *deltaWalker) mapGo(prev, next protoreflect.Message, f *deltaField, pm, nm reflect.Value) {
	ph, nh := pm.Len() > 0, nm.Len() > 0
	switch {
	case !nh:
		if ph {
			w.clearField(prev, f.fd)
		}
	case !ph:
		w.replace(prev, f.fd, next.Get(f.fd))
	default:
		w.entriesGo(prev, f.fd, f.goMap, pm, nm)
	}
}

// entriesGo is entries on the non-empty Go maps pm and nm of generated
// messages; see the top of this file.
func (w *deltaWalker) entriesGo(prev protoreflect.Message, fd protoreflect.FieldDescriptor, g *deltaGoMap, pm, nm reflect.Value) {
	lv := g.enter()
	defer g.leave()

	// prev's map through protoreflect, for writing; made on the first write.
	var prevMap protoreflect.Map
	writePrev := func() protoreflect.Map {
		if prevMap == nil {
			prevMap = prev.Mutable(fd).Map()
		}
		return prevMap
	}

	before, found := pm.Len(), 0
	at, kind := w.markMap(), deltaKeyKindOf(fd.MapKey())
	for lv.it.Reset(nm); lv.it.Next(); {
		lv.key.SetIterKey(&lv.it)
		pv := pm.MapIndex(lv.key)
		start := len(w.buf)
		switch {
		case !pv.IsValid():
			k, nv := g.mapKey(lv.key), g.value(lv.it.Value())
			w.appendGo(fd.MapKey(), lv.key)
			w.appendWhole(g.valFD, nv)
			w.adds = append(w.adds, deltaAdd{key: k, val: nv})
			w.spans = append(w.spans, deltaSpan{key: k, kind: kind, added: true, start: start, end: len(w.buf)})
			continue
		case !g.msgVal:
			found++
			lv.val.SetIterValue(&lv.it)
			if deltaEqualGo(pv, lv.val) {
				continue
			}
			w.appendGo(g.valFD, lv.val)
			if w.sync {
				writePrev().Set(g.mapKey(lv.key), deltaCopyScalar(g.valFD, g.value(lv.val)))
			}
		default:
			found++
			prevMsg := deltaGoMessage(pv)
			if w.sync && !prevMsg.IsValid() {
				// A nil message in a Go map reads as empty but cannot be written.
				v := writePrev().NewValue()
				writePrev().Set(g.mapKey(lv.key), v)
				prevMsg = v.Message()
			}
			nv := lv.it.Value()
			nextMsg := deltaGoMessage(nv)
			if g.valShape == nil {
				g.valShape = w.shape(nextMsg)
			}
			// The Go pointers are at hand: skip unwrapping the messages again.
			var ps, ns reflect.Value
			direct := g.valShape.goType == g.valType && !pv.IsNil() && !nv.IsNil()
			if direct {
				ps, ns = pv.Elem(), nv.Elem()
			}
			if !w.walk(prevMsg, nextMsg, g.valShape, ps, ns, direct) {
				continue
			}
		}
		w.spans = append(w.spans, deltaSpan{key: g.mapKey(lv.key), kind: kind, start: start, end: len(w.buf)})
	}
	if found != before {
		for lv.it.Reset(pm); lv.it.Next(); {
			lv.key.SetIterKey(&lv.it)
			if !nm.MapIndex(lv.key).IsValid() {
				w.gone = append(w.gone, g.mapKey(lv.key))
			}
		}
	}
	if !w.closeMap(at, kind, pm, func() {
		for lv.it.Reset(pm); lv.it.Next(); {
			lv.key.SetIterKey(&lv.it)
			w.keys = append(w.keys, g.mapKey(lv.key))
		}
	}) {
		return
	}
	var m protoreflect.Map
	if w.sync && (len(w.gone) > at.gone || len(w.adds) > at.adds) {
		// Only now: the wrapper costs an allocation.
		m = writePrev()
	}
	w.syncMap(at, fd, m, pm)
}

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

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// mapField handles a map field: an emptied map is one clear, a map that was
// empty goes whole into the patch, and otherwise entries are compared key by
// key.
func (w *deltaWalker) mapField(prev, next protoreflect.Message, fd protoreflect.FieldDescriptor) {
	ph, nh := prev.Has(fd), next.Has(fd)
	switch {
	case !nh:
		if ph {
			w.clear(fd)
			if w.sync {
				prev.Clear(fd)
			}
		}
	case !ph:
		w.replace(prev, fd, next.Get(fd))
	default:
		w.entries(prev, next, fd)
	}
}

// entries diffs two non-empty maps through protoreflect; entriesGo does the
// same on generated Go maps without allocating. Changed and new entries go
// into the patch (a message value only with its changed fields), removed
// keys are clears.
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
	base, kind := len(w.spans), deltaKeyKindOf(fd.MapKey())
	nm.Range(func(k protoreflect.MapKey, nv protoreflect.Value) bool {
		start := len(w.buf)
		switch pv := pm.Get(k); {
		case !pv.IsValid():
			w.appendEntry(fd, k, nv)
			if w.sync {
				pm.Set(k, deltaCopyMapValue(pm, fd, nv))
			}
		case vd.Message() == nil:
			found++
			if deltaEqualValue(vd, pv, nv) {
				return true
			}
			w.appendEntry(fd, k, nv)
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
			w.path = append(w.path, deltaStep{fd: fd, key: k})
			w.message(prevMsg, nv.Message())
			w.path = w.path[:len(w.path)-1]
			if !w.wrapEntry(fd, k, start) {
				return true
			}
		}
		w.spans = append(w.spans, deltaSpan{key: k, kind: kind, start: start, end: len(w.buf)})
		return true
	})
	w.sortEntries(base)
	if found == before {
		return
	}
	var gone []protoreflect.MapKey
	pm.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
		if !nm.Has(k) {
			gone = append(gone, k)
		}
		return true
	})
	w.deleteKeys(pm, fd, gone)
}

// openEntry appends the start of an entry of map field fd and returns where
// its body starts.
func (w *deltaWalker) openEntry(fd protoreflect.FieldDescriptor) int {
	w.buf = protowire.AppendTag(w.buf, fd.Number(), protowire.BytesType)
	return w.openLen()
}

// wrapEntry turns the changed fields of a message value, encoded since
// body, into a whole entry of map field fd with key k, by inserting the
// entry's tag, length and key and the value's tag and length in front of
// them. It reports false, and writes nothing, when nothing changed. Writing
// the entry's start only once something changed keeps unchanged entries
// (most of them, most ticks) nearly free.
func (w *deltaWalker) wrapEntry(fd protoreflect.FieldDescriptor, k protoreflect.MapKey, body int) bool {
	n := len(w.buf) - body
	if n == 0 {
		return false
	}
	// Encode the key after the body to learn its size, then build the
	// header in scratch and rotate it into place.
	keyAt := len(w.buf)
	w.appendSingular(fd.MapKey(), k.Value())
	key := w.buf[keyAt:]
	h := protowire.AppendTag(w.header[:0], fd.Number(), protowire.BytesType)
	h = protowire.AppendVarint(h, uint64(len(key)+protowire.SizeTag(2)+protowire.SizeBytes(n)))
	h = append(h, key...)
	h = protowire.AppendTag(h, 2, protowire.BytesType)
	h = protowire.AppendVarint(h, uint64(n))
	w.header = h
	w.buf = append(w.buf[:keyAt], make([]byte, len(h))...)
	copy(w.buf[body+len(h):], w.buf[body:body+n])
	copy(w.buf[body:], h)
	return true
}

// deleteKeys records the deletion of prev's map keys gone (and deletes them
// from pm, prev's map, when syncing).
func (w *deltaWalker) deleteKeys(pm protoreflect.Map, fd protoreflect.FieldDescriptor, gone []protoreflect.MapKey) {
	for _, k := range gone {
		w.clearKey(fd, k)
		if w.sync {
			pm.Clear(k)
		}
	}
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
			w.clear(f.fd)
			if w.sync {
				prev.Clear(f.fd)
			}
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
	base, kind := len(w.spans), deltaKeyKindOf(fd.MapKey())
	for lv.it.Reset(nm); lv.it.Next(); {
		lv.key.SetIterKey(&lv.it)
		pv := pm.MapIndex(lv.key)
		start := len(w.buf)
		switch {
		case !g.msgVal:
			lv.val.SetIterValue(&lv.it)
			if pv.IsValid() {
				found++
				if deltaEqualGo(pv, lv.val) {
					continue
				}
			}
			entry := w.openEntry(fd)
			w.appendGo(fd.MapKey(), lv.key)
			w.appendGo(g.valFD, lv.val)
			w.closeLen(entry)
			if w.sync {
				writePrev().Set(g.mapKey(lv.key), deltaCopyScalar(g.valFD, g.value(lv.val)))
			}
		case !pv.IsValid():
			nv := g.value(lv.it.Value())
			w.appendEntry(fd, g.mapKey(lv.key), nv)
			if w.sync {
				m := writePrev()
				m.Set(g.mapKey(lv.key), deltaCopyMapValue(m, fd, nv))
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
			k := g.mapKey(lv.key)
			w.path = append(w.path, deltaStep{fd: fd, key: k})
			w.walk(prevMsg, nextMsg, g.valShape, ps, ns, direct)
			w.path = w.path[:len(w.path)-1]
			if !w.wrapEntry(fd, k, start) {
				continue
			}
		}
		w.spans = append(w.spans, deltaSpan{key: g.mapKey(lv.key), kind: kind, start: start, end: len(w.buf)})
	}
	w.sortEntries(base)
	if found == before {
		return
	}
	var gone []protoreflect.MapKey
	for lv.it.Reset(pm); lv.it.Next(); {
		lv.key.SetIterKey(&lv.it)
		if !nm.MapIndex(lv.key).IsValid() {
			gone = append(gone, g.mapKey(lv.key))
		}
	}
	if w.sync {
		w.deleteKeys(writePrev(), fd, gone)
	} else {
		w.deleteKeys(nil, fd, gone)
	}
}

package protocol

// The patch is encoded while walking, straight into the walker's buffer,
// instead of building a patch message and marshalling it. A message's patch
// starts with its field mask, which is only known once its fields have been
// walked: a one-byte placeholder is written first and widened in place when
// the mask needs more bytes, and a nested message whose mask stays empty is
// dropped with its op byte (most are, most ticks). The entries of a map are
// encoded in the order the walk visits them and reordered by key at the end,
// when the map's header, the entries' ranks and the counts are put in front
// of them (see delta_map.go). Whole values (new map entries, replaced lists,
// messages that appeared) are encoded by the same rules, as patches of an
// empty message.
//
// The encoding is deterministic: fields in declaration order, map entries
// by key.

import (
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"reflect"
	"slices"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// deltaSpan is one map entry already encoded in the buffer, with its key:
// a change to an existing entry (its rank is filled in when the map is
// closed) or an added entry (its key and whole value).
type deltaSpan struct {
	key        protoreflect.MapKey
	kind       deltaKeyKind
	added      bool
	rank       int // of a change, once the map is closed
	start, end int
}

// deltaKeyKind groups map key kinds by how they compare.
type deltaKeyKind uint8

const (
	deltaKeyBool deltaKeyKind = iota
	deltaKeyInt
	deltaKeyUint
	deltaKeyString
)

// deltaKeyKindOf returns how keys of map key field kd compare.
func deltaKeyKindOf(kd protoreflect.FieldDescriptor) deltaKeyKind {
	switch kd.Kind() {
	case protoreflect.BoolKind:
		return deltaKeyBool
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return deltaKeyInt
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind,
		protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return deltaKeyUint
	}
	return deltaKeyString
}

// deltaCompareKeys orders two keys of one map: false before true, numbers
// by value, strings by their UTF-8 bytes. Ranks refer to this order.
func deltaCompareKeys(kind deltaKeyKind, a, b protoreflect.MapKey) int {
	switch kind {
	case deltaKeyBool:
		return cmp.Compare(deltaBoolInt(a.Bool()), deltaBoolInt(b.Bool()))
	case deltaKeyInt:
		return cmp.Compare(a.Int(), b.Int())
	case deltaKeyUint:
		return cmp.Compare(a.Uint(), b.Uint())
	}
	return cmp.Compare(a.String(), b.String())
}

func deltaBoolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// deltaSortKeys sorts the keys of one map.
func deltaSortKeys(kind deltaKeyKind, keys []protoreflect.MapKey) {
	if len(keys) < 2 {
		return
	}
	switch kind {
	case deltaKeyString:
		slices.SortFunc(keys, func(a, b protoreflect.MapKey) int { return cmp.Compare(a.String(), b.String()) })
	case deltaKeyInt:
		slices.SortFunc(keys, func(a, b protoreflect.MapKey) int { return cmp.Compare(a.Int(), b.Int()) })
	case deltaKeyUint:
		slices.SortFunc(keys, func(a, b protoreflect.MapKey) int { return cmp.Compare(a.Uint(), b.Uint()) })
	default:
		slices.SortFunc(keys, func(a, b protoreflect.MapKey) int { return deltaCompareKeys(kind, a, b) })
	}
}

// deltaMask accumulates the field mask of one message patch.
type deltaMask struct {
	low  uint64   // fields 0..63
	high []uint64 // fields 64 and up, in words of 64
}

// set marks field index i.
func (m *deltaMask) set(i int) {
	if i < 64 {
		m.low |= 1 << i
		return
	}
	w := i/64 - 1
	for len(m.high) <= w {
		m.high = append(m.high, 0)
	}
	m.high[w] |= 1 << (i % 64)
}

// empty reports whether no field is marked.
func (m *deltaMask) empty() bool {
	if m.low != 0 {
		return false
	}
	for _, w := range m.high {
		if w != 0 {
			return false
		}
	}
	return true
}

// bit reports whether field index i is marked.
func (m *deltaMask) bit(i int) bool {
	if i < 64 {
		return m.low>>i&1 != 0
	}
	w := i/64 - 1
	return w < len(m.high) && m.high[w]>>(i%64)&1 != 0
}

// highest returns the highest marked field index, or -1.
func (m *deltaMask) highest() int {
	for w := len(m.high) - 1; w >= 0; w-- {
		if m.high[w] != 0 {
			return (w+1)*64 + 63 - bits.LeadingZeros64(m.high[w])
		}
	}
	return 63 - bits.LeadingZeros64(m.low)
}

// size returns the number of bytes the mask takes: 7 fields per byte.
func (m *deltaMask) size() int {
	return max(1, (m.highest()+7)/7)
}

// put writes the mask into dst, which has m.size() bytes.
func (m *deltaMask) put(dst []byte) {
	for i := range dst {
		var b byte
		for j := range 7 {
			if m.bit(i*7 + j) {
				b |= 1 << j
			}
		}
		if i < len(dst)-1 {
			b |= 0x80
		}
		dst[i] = b
	}
}

// openMask appends a one-byte mask placeholder and returns where the
// message's fields start.
func (w *deltaWalker) openMask() int {
	w.buf = append(w.buf, 0)
	return len(w.buf)
}

// closeMask writes mask m into the placeholder before body, widening it
// when the mask needs more than one byte.
func (w *deltaWalker) closeMask(body int, m *deltaMask) {
	if m.high == nil && m.low < 0x80 {
		w.buf[body-1] = byte(m.low)
		return
	}
	size := m.size()
	if size > 1 {
		n := len(w.buf) - body
		w.buf = append(w.buf, make([]byte, size-1)...)
		copy(w.buf[body+size-1:], w.buf[body:body+n])
	}
	m.put(w.buf[body-1 : body-1+size])
}

// appendWhole appends the whole value v of field fd as a field change
// (without the op byte of fields with presence): every element of a list,
// every entry of a map, a message with all its fields, a scalar.
func (w *deltaWalker) appendWhole(fd protoreflect.FieldDescriptor, v protoreflect.Value) {
	switch {
	case fd.IsList():
		w.appendList(fd, v.List())
	case fd.IsMap():
		w.appendMap(fd, v.Map())
	case fd.Message() != nil:
		w.appendMessage(v.Message())
	default:
		w.appendScalar(fd, v)
	}
}

// appendMessage appends m whole, as a patch of an empty message: a mask of
// its populated fields and their values.
func (w *deltaWalker) appendMessage(m protoreflect.Message) {
	body := w.openMask()
	var mask deltaMask
	if m.IsValid() {
		fields := m.Descriptor().Fields()
		for i := range fields.Len() {
			fd := fields.Get(i)
			if !m.Has(fd) {
				continue
			}
			mask.set(i)
			if deltaHasOp(fd) {
				w.buf = append(w.buf, 1)
			}
			w.appendWhole(fd, m.Get(fd))
		}
	}
	w.closeMask(body, &mask)
}

// deltaHasOp reports whether a change of field fd starts with an op byte
// (0 clears, 1 sets or merges): singular fields with presence.
func deltaHasOp(fd protoreflect.FieldDescriptor) bool {
	return !fd.IsList() && !fd.IsMap() && fd.HasPresence()
}

// appendList appends a whole list: its length and its elements.
func (w *deltaWalker) appendList(fd protoreflect.FieldDescriptor, l protoreflect.List) {
	w.buf = protowire.AppendVarint(w.buf, uint64(l.Len()))
	msg := fd.Message() != nil
	for i := range l.Len() {
		if msg {
			w.appendMessage(l.Get(i).Message())
		} else {
			w.appendScalar(fd, l.Get(i))
		}
	}
}

// appendMap appends a whole map: no deletions, no changes, every entry
// added, in key order.
func (w *deltaWalker) appendMap(fd protoreflect.FieldDescriptor, m protoreflect.Map) {
	kind := deltaKeyKindOf(fd.MapKey())
	base := len(w.keys)
	m.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
		w.keys = append(w.keys, k)
		return true
	})
	keys := w.keys[base:]
	deltaSortKeys(kind, keys)
	w.buf = append(w.buf, 1, 0) // no deletions, no changes
	w.buf = protowire.AppendVarint(w.buf, uint64(len(keys)))
	for _, k := range keys {
		w.appendScalar(fd.MapKey(), k.Value())
		w.appendWhole(fd.MapValue(), m.Get(k))
	}
	clear(keys)
	w.keys = w.keys[:base]
}

// appendScalar appends scalar v of field fd in its natural width: varints
// (zigzag for signed kinds), 4 or 8 little-endian bytes for fixed-width
// kinds, a length and the bytes for strings and bytes.
func (w *deltaWalker) appendScalar(fd protoreflect.FieldDescriptor, v protoreflect.Value) {
	b := w.buf
	switch fd.Kind() {
	case protoreflect.BoolKind:
		b = append(b, byte(deltaBoolInt(v.Bool())))
	case protoreflect.EnumKind:
		b = protowire.AppendVarint(b, protowire.EncodeZigZag(int64(v.Enum())))
	case protoreflect.Int32Kind, protoreflect.Int64Kind, protoreflect.Sint32Kind, protoreflect.Sint64Kind:
		b = protowire.AppendVarint(b, protowire.EncodeZigZag(v.Int()))
	case protoreflect.Uint32Kind, protoreflect.Uint64Kind:
		b = protowire.AppendVarint(b, v.Uint())
	case protoreflect.Fixed32Kind:
		b = protowire.AppendFixed32(b, uint32(v.Uint()))
	case protoreflect.Sfixed32Kind:
		b = protowire.AppendFixed32(b, uint32(v.Int()))
	case protoreflect.FloatKind:
		b = protowire.AppendFixed32(b, math.Float32bits(float32(v.Float())))
	case protoreflect.Fixed64Kind:
		b = protowire.AppendFixed64(b, v.Uint())
	case protoreflect.Sfixed64Kind:
		b = protowire.AppendFixed64(b, uint64(v.Int()))
	case protoreflect.DoubleKind:
		b = protowire.AppendFixed64(b, math.Float64bits(v.Float()))
	case protoreflect.StringKind:
		w.checkUTF8(fd, v.String())
		b = protowire.AppendString(b, v.String())
	case protoreflect.BytesKind:
		b = protowire.AppendBytes(b, v.Bytes())
	}
	w.buf = b
}

// appendGo is appendScalar for the Go value v of a generated message's
// field (or map key or value) fd.
func (w *deltaWalker) appendGo(fd protoreflect.FieldDescriptor, v reflect.Value) {
	b := w.buf
	switch fd.Kind() {
	case protoreflect.BoolKind:
		b = append(b, byte(deltaBoolInt(v.Bool())))
	case protoreflect.EnumKind, protoreflect.Int32Kind, protoreflect.Int64Kind, protoreflect.Sint32Kind, protoreflect.Sint64Kind:
		b = protowire.AppendVarint(b, protowire.EncodeZigZag(v.Int()))
	case protoreflect.Uint32Kind, protoreflect.Uint64Kind:
		b = protowire.AppendVarint(b, v.Uint())
	case protoreflect.Fixed32Kind:
		b = protowire.AppendFixed32(b, uint32(v.Uint()))
	case protoreflect.Sfixed32Kind:
		b = protowire.AppendFixed32(b, uint32(v.Int()))
	case protoreflect.FloatKind:
		b = protowire.AppendFixed32(b, math.Float32bits(float32(v.Float())))
	case protoreflect.Fixed64Kind:
		b = protowire.AppendFixed64(b, v.Uint())
	case protoreflect.Sfixed64Kind:
		b = protowire.AppendFixed64(b, uint64(v.Int()))
	case protoreflect.DoubleKind:
		b = protowire.AppendFixed64(b, math.Float64bits(v.Float()))
	case protoreflect.StringKind:
		w.checkUTF8(fd, v.String())
		b = protowire.AppendString(b, v.String())
	case protoreflect.BytesKind:
		b = protowire.AppendBytes(b, v.Bytes())
	}
	w.buf = b
}

// checkUTF8 fails the encoding when s is not valid UTF-8: receivers refuse
// such strings in a patch, whatever the field's syntax.
func (w *deltaWalker) checkUTF8(fd protoreflect.FieldDescriptor, s string) {
	if !utf8.ValidString(s) {
		w.fail(fmt.Errorf("string field %s contains invalid UTF-8", fd.FullName()))
	}
}

// fail records the first encoding error.
func (w *deltaWalker) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

package protocol

// The patch is encoded while walking, straight into the walker's buffer with
// protowire, instead of building a patch message and marshalling it: for a
// tick where every player moved, building and marshalling was two thirds of
// the cost. Nested messages get a one-byte length placeholder that is widened
// in place when the body turns out longer, and dropped with its tag when
// nothing inside changed; a map entry with a message value is written the
// other way round, its changes first and its tag, length and key inserted in
// front only when there are any (see wrapEntry), since most entries are
// unchanged. Whole values (new map entries, replaced lists, messages that
// appeared) are encoded field by field too, with messages marshalled
// deterministically by the protobuf runtime.
//
// The encoding is deterministic: fields come in declaration order, map
// entries sorted by key (walking a Go map visits them in random order, so the
// entries written for one map are reordered in place at the end), and
// messages marshalled with Deterministic set. Decoding it with proto.Unmarshal
// gives the partial state message that ApplyDelta merges.

import (
	"cmp"
	"fmt"
	"math"
	"reflect"
	"slices"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// deltaSpan is one map entry already encoded in the buffer, with its key.
type deltaSpan struct {
	key        protoreflect.MapKey
	kind       deltaKeyKind
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

// deltaCompareSpans orders map entries of one map by key.
func deltaCompareSpans(a, b deltaSpan) int {
	switch a.kind {
	case deltaKeyBool:
		return cmp.Compare(deltaBoolInt(a.key.Bool()), deltaBoolInt(b.key.Bool()))
	case deltaKeyInt:
		return cmp.Compare(a.key.Int(), b.key.Int())
	case deltaKeyUint:
		return cmp.Compare(a.key.Uint(), b.key.Uint())
	}
	return cmp.Compare(a.key.String(), b.key.String())
}

func deltaBoolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// sortEntries puts the map entries recorded since spans[base] in key order,
// moving their bytes (which are contiguous in the buffer), and forgets them.
func (w *deltaWalker) sortEntries(base int) {
	spans := w.spans[base:]
	w.spans = w.spans[:base]
	if len(spans) < 2 || slices.IsSortedFunc(spans, deltaCompareSpans) {
		return
	}
	start, end := spans[0].start, spans[len(spans)-1].end
	slices.SortFunc(spans, deltaCompareSpans)
	w.scratch = w.scratch[:0]
	for _, s := range spans {
		w.scratch = append(w.scratch, w.buf[s.start:s.end]...)
	}
	copy(w.buf[start:end], w.scratch)
}

// openLen appends a one-byte length placeholder and returns where the body
// starts.
func (w *deltaWalker) openLen() int {
	w.buf = append(w.buf, 0)
	return len(w.buf)
}

// closeLen writes the length of the body started at body into its
// placeholder, widening it when the length needs more than one byte.
func (w *deltaWalker) closeLen(body int) {
	n := len(w.buf) - body
	if n < 0x80 {
		w.buf[body-1] = byte(n)
		return
	}
	size := protowire.SizeVarint(uint64(n))
	w.buf = append(w.buf, make([]byte, size-1)...)
	copy(w.buf[body+size-1:], w.buf[body:body+n])
	protowire.AppendVarint(w.buf[:body-1], uint64(n))
}

// appendWhole appends next's whole value v of field fd: every element of a
// list, every entry of a map, a message with all its fields.
func (w *deltaWalker) appendWhole(fd protoreflect.FieldDescriptor, v protoreflect.Value) {
	switch {
	case fd.IsList():
		w.appendList(fd, v.List())
	case fd.IsMap():
		w.appendMap(fd, v.Map())
	default:
		w.appendSingular(fd, v)
	}
}

// appendSingular appends field fd with one value: a scalar, or a whole
// message (present even when empty).
func (w *deltaWalker) appendSingular(fd protoreflect.FieldDescriptor, v protoreflect.Value) {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		body := w.openMessage(fd)
		w.marshal(v.Message())
		w.closeMessage(fd, body)
	default:
		w.buf = protowire.AppendTag(w.buf, fd.Number(), deltaWireType(fd.Kind()))
		w.appendScalar(fd, v)
	}
}

// marshal appends m's encoding (nothing for an invalid, empty message).
func (w *deltaWalker) marshal(m protoreflect.Message) {
	if !m.IsValid() {
		return
	}
	b, err := proto.MarshalOptions{Deterministic: true, AllowPartial: true}.MarshalAppend(w.buf, m.Interface())
	if err != nil {
		w.fail(err)
		return
	}
	w.buf = b
}

// appendList appends every element of repeated field fd, packed where the
// field is.
func (w *deltaWalker) appendList(fd protoreflect.FieldDescriptor, l protoreflect.List) {
	if !fd.IsPacked() {
		for i := range l.Len() {
			w.appendSingular(fd, l.Get(i))
		}
		return
	}
	w.buf = protowire.AppendTag(w.buf, fd.Number(), protowire.BytesType)
	body := w.openLen()
	for i := range l.Len() {
		w.appendScalar(fd, l.Get(i))
	}
	w.closeLen(body)
}

// appendMap appends every entry of map field fd in key order.
func (w *deltaWalker) appendMap(fd protoreflect.FieldDescriptor, m protoreflect.Map) {
	base := len(w.spans)
	kind := deltaKeyKindOf(fd.MapKey())
	m.Range(func(k protoreflect.MapKey, v protoreflect.Value) bool {
		start := len(w.buf)
		w.appendEntry(fd, k, v)
		w.spans = append(w.spans, deltaSpan{key: k, kind: kind, start: start, end: len(w.buf)})
		return true
	})
	w.sortEntries(base)
}

// appendEntry appends one whole entry of map field fd.
func (w *deltaWalker) appendEntry(fd protoreflect.FieldDescriptor, k protoreflect.MapKey, v protoreflect.Value) {
	w.buf = protowire.AppendTag(w.buf, fd.Number(), protowire.BytesType)
	body := w.openLen()
	w.appendSingular(fd.MapKey(), k.Value())
	w.appendSingular(fd.MapValue(), v)
	w.closeLen(body)
}

// deltaWireType returns the wire type of a scalar kind.
func deltaWireType(k protoreflect.Kind) protowire.Type {
	switch k {
	case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind, protoreflect.FloatKind:
		return protowire.Fixed32Type
	case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind, protoreflect.DoubleKind:
		return protowire.Fixed64Type
	case protoreflect.StringKind, protoreflect.BytesKind, protoreflect.MessageKind:
		return protowire.BytesType
	case protoreflect.GroupKind:
		return protowire.StartGroupType
	}
	return protowire.VarintType
}

// appendScalar appends scalar v of field fd without a tag.
func (w *deltaWalker) appendScalar(fd protoreflect.FieldDescriptor, v protoreflect.Value) {
	b := w.buf
	switch fd.Kind() {
	case protoreflect.BoolKind:
		b = protowire.AppendVarint(b, protowire.EncodeBool(v.Bool()))
	case protoreflect.EnumKind:
		b = protowire.AppendVarint(b, uint64(v.Enum()))
	case protoreflect.Int32Kind, protoreflect.Int64Kind:
		b = protowire.AppendVarint(b, uint64(v.Int()))
	case protoreflect.Sint32Kind, protoreflect.Sint64Kind:
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

// appendGo appends field fd (an implicit-presence scalar, or a map key or
// scalar value) with its tag from the Go value v of a generated message.
func (w *deltaWalker) appendGo(fd protoreflect.FieldDescriptor, v reflect.Value) {
	b := protowire.AppendTag(w.buf, fd.Number(), deltaWireType(fd.Kind()))
	switch fd.Kind() {
	case protoreflect.BoolKind:
		b = protowire.AppendVarint(b, protowire.EncodeBool(v.Bool()))
	case protoreflect.EnumKind, protoreflect.Int32Kind, protoreflect.Int64Kind:
		b = protowire.AppendVarint(b, uint64(v.Int()))
	case protoreflect.Sint32Kind, protoreflect.Sint64Kind:
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

// checkUTF8 fails the encoding, as proto.Marshal would, when s is not valid
// UTF-8 and fd requires it (proto3 and editions strings by default).
func (w *deltaWalker) checkUTF8(fd protoreflect.FieldDescriptor, s string) {
	if utf8.ValidString(s) {
		return
	}
	// The protobuf runtime's own descriptors say whether they validate;
	// others follow the syntax.
	enforce := fd.Syntax() != protoreflect.Proto2
	if e, ok := fd.(interface{ EnforceUTF8() bool }); ok {
		enforce = e.EnforceUTF8()
	}
	if enforce {
		w.fail(fmt.Errorf("string field %s contains invalid UTF-8", fd.FullName()))
	}
}

// fail records the first encoding error.
func (w *deltaWalker) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

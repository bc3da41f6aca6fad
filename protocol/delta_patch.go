package protocol

// The applier reads a patch twice against the state: first without
// changing anything (dry), checking that every byte fits the schema and
// every rank an entry of the map it names, then for real. The two passes run
// the same code over the same bytes and state, so the second cannot fail,
// and a refused patch leaves the state untouched without cloning it. Sorted
// map keys found in the first pass are kept for the second.

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sync"
	"unicode/utf8"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// deltaMaxDepth bounds the nesting of message patches, as protobuf decoders
// bound the nesting of messages; the browser SDK uses the same limit.
const deltaMaxDepth = 100

var (
	errDeltaTruncated = errors.New("truncated")
	errDeltaVarint    = errors.New("bad varint")
)

// deltaPatcher checks (dry) or applies one patch.
type deltaPatcher struct {
	dry   bool
	b     []byte
	i     int
	keys  [][]protoreflect.MapKey // sorted keys of the maps ranks refer to, in the order met
	nkeys int                     // maps met so far in this pass
	dels  []protoreflect.MapKey   // keys to delete, a stack of slices
}

// run reads the whole patch against m.
func (p *deltaPatcher) run(m protoreflect.Message, b []byte) error {
	p.b, p.i, p.nkeys = b, 0, 0
	if err := p.message(m.Descriptor(), m, 1); err != nil {
		return fmt.Errorf("at byte %d: %w", p.i, err)
	}
	if p.i != len(p.b) {
		return fmt.Errorf("%d bytes left over after the patch", len(p.b)-p.i)
	}
	return nil
}

// message reads a message patch of type md into m. m may be invalid (an
// absent message) in a dry pass; in a real pass it is a valid, mutable
// message.
func (p *deltaPatcher) message(md protoreflect.MessageDescriptor, m protoreflect.Message, depth int) error {
	if depth > deltaMaxDepth {
		return fmt.Errorf("patches nested deeper than %d", deltaMaxDepth)
	}
	fields := md.Fields()
	n := fields.Len()
	maxBytes := max(1, (n+6)/7)
	start := p.i
	for {
		if p.i == len(p.b) {
			return errDeltaTruncated
		}
		b := p.b[p.i]
		p.i++
		if p.i-start > maxBytes {
			return fmt.Errorf("field mask of %s longer than %d bytes", md.FullName(), maxBytes)
		}
		if b < 0x80 {
			break
		}
	}
	mask := p.b[start:p.i]
	var sv reflect.Value // the Go struct behind m, when it is a generated message
	var sh *deltaShape
	if !p.dry {
		sh, sv = deltaStructOf(m)
	}
	var seen [4]protoreflect.OneofDescriptor
	oneofs := seen[:0] // the oneofs changed so far
	for j, b := range mask {
		for bit := range 7 {
			if b>>bit&1 == 0 {
				continue
			}
			idx := j*7 + bit
			if idx >= n {
				return fmt.Errorf("field mask of %s names field %d of %d", md.FullName(), idx, n)
			}
			fd := fields.Get(idx)
			if od := fd.ContainingOneof(); od != nil && !od.IsSynthetic() {
				// One member at most: the check pass could not follow a
				// second one replacing the first.
				if slices.Contains(oneofs, od) {
					return fmt.Errorf("two members of oneof %s changed", od.FullName())
				}
				oneofs = append(oneofs, od)
			}
			if err := p.field(fd, m, depth, sh, sv); err != nil {
				return err
			}
		}
	}
	return nil
}

// live reports whether m is a message the pass can read.
func live(m protoreflect.Message) bool { return m != nil && m.IsValid() }

// field reads the change of field fd of m.
// Implicit-presence scalars of a generated message (shape sh, struct sv)
// are written to the Go struct directly: through protoreflect each write
// allocates.
func (p *deltaPatcher) field(fd protoreflect.FieldDescriptor, m protoreflect.Message, depth int, sh *deltaShape, sv reflect.Value) error {
	switch {
	case fd.IsList():
		return p.list(fd, m, depth)
	case fd.IsMap():
		return p.mapField(fd, m, depth)
	case !fd.HasPresence():
		v, err := p.scalar(fd)
		if err != nil {
			return err
		}
		switch {
		case p.dry:
		case sh != nil && sh.fields[fd.Index()].class == deltaImplicit && sh.fields[fd.Index()].goIndex >= 0:
			deltaSetGo(sv.Field(sh.fields[fd.Index()].goIndex), fd.Kind(), v)
		default:
			m.Set(fd, v)
		}
		return nil
	}
	op, err := p.byte()
	if err != nil {
		return err
	}
	switch op {
	case 0:
		if !p.dry {
			m.Clear(fd)
		}
		return nil
	case 1:
	default:
		return fmt.Errorf("field %s: op %d", fd.FullName(), op)
	}
	if fd.Message() == nil {
		v, err := p.scalar(fd)
		if err != nil {
			return err
		}
		if !p.dry {
			m.Set(fd, v)
		}
		return nil
	}
	// Merge into the message, created when absent (a oneof member that is
	// not the one set counts as absent, and replaces it).
	var sub protoreflect.Message
	switch {
	case !p.dry:
		sub = m.Mutable(fd).Message()
	case live(m) && m.Has(fd):
		sub = m.Get(fd).Message()
	}
	return p.message(fd.Message(), sub, depth+1)
}

// list reads a whole list that replaces fd's.
func (p *deltaPatcher) list(fd protoreflect.FieldDescriptor, m protoreflect.Message, depth int) error {
	n, err := p.count()
	if err != nil {
		return err
	}
	if !p.dry {
		m.Clear(fd)
	}
	if n == 0 {
		return nil
	}
	var l protoreflect.List
	if !p.dry {
		l = m.Mutable(fd).List()
	}
	for range n {
		if fd.Message() != nil {
			var e protoreflect.Value
			var em protoreflect.Message
			if !p.dry {
				e = l.NewElement()
				em = e.Message()
			}
			if err := p.message(fd.Message(), em, depth+1); err != nil {
				return err
			}
			if !p.dry {
				l.Append(e)
			}
			continue
		}
		v, err := p.scalar(fd)
		if err != nil {
			return err
		}
		if !p.dry {
			l.Append(v)
		}
	}
	return nil
}

// mapField reads the change of map field fd (see closeMap in delta_map.go).
func (p *deltaPatcher) mapField(fd protoreflect.FieldDescriptor, m protoreflect.Message, depth int) error {
	h, err := p.count()
	if err != nil {
		return err
	}
	if h == 0 {
		if !p.dry {
			m.Clear(fd)
		}
		return nil
	}
	var mp protoreflect.Map
	switch {
	case !p.dry:
		mp = m.Mutable(fd).Map()
	case live(m) && m.Has(fd):
		mp = m.Get(fd).Map()
	}
	size := 0
	if mp != nil {
		size = mp.Len()
	}
	var keys []protoreflect.MapKey
	sorted := func() []protoreflect.MapKey {
		if keys != nil {
			return keys
		}
		if p.dry {
			keys = deltaSortedKeys(fd, m, mp, size)
			p.keys = append(p.keys, keys)
		} else {
			keys = p.keys[p.nkeys]
		}
		p.nkeys++
		return keys
	}
	rank := -1
	next := func() (protoreflect.MapKey, error) {
		gap, err := p.varint()
		if err != nil {
			return protoreflect.MapKey{}, err
		}
		if gap >= uint64(size) || uint64(rank+1)+gap >= uint64(size) {
			return protoreflect.MapKey{}, fmt.Errorf("map %s: rank past its %d entries", fd.FullName(), size)
		}
		rank += 1 + int(gap)
		return sorted()[rank], nil
	}

	dels := len(p.dels)
	defer func() { p.dels = p.dels[:dels] }()
	n := h - 1
	if n > uint64(len(p.b)-p.i) {
		return errDeltaTruncated
	}
	for range n {
		k, err := next()
		if err != nil {
			return err
		}
		if !p.dry {
			p.dels = append(p.dels, k)
		}
	}

	vd := fd.MapValue()
	if n, err = p.count(); err != nil {
		return err
	}
	rank = -1
	// Message values of a generated Go map are looked up through package
	// reflect with a reused key: through protoreflect each lookup allocates.
	var gm, gk reflect.Value
	if n > 0 && mp != nil && vd.Message() != nil {
		if v, ok := deltaGoMapOf(fd, m); ok {
			gm, gk = v, reflect.New(v.Type().Key()).Elem()
		}
	}
	for range n {
		k, err := next()
		if err != nil {
			return err
		}
		if vd.Message() == nil {
			v, err := p.scalar(vd)
			if err != nil {
				return err
			}
			if !p.dry {
				mp.Set(k, v)
			}
			continue
		}
		var em protoreflect.Message
		switch {
		case gm.IsValid():
			deltaSetGoKey(gk, fd.MapKey().Kind(), k)
			em = deltaGoMessage(gm.MapIndex(gk))
		case mp != nil:
			em = mp.Get(k).Message()
		}
		if !p.dry && !em.IsValid() {
			// A nil message in a Go map reads as empty but cannot be written.
			v := mp.NewValue()
			mp.Set(k, v)
			em = v.Message()
		}
		if err := p.message(vd.Message(), em, depth+1); err != nil {
			return err
		}
	}
	if !p.dry {
		for _, k := range p.dels[dels:] {
			mp.Clear(k)
		}
	}

	if n, err = p.count(); err != nil {
		return err
	}
	for range n {
		kv, err := p.scalar(fd.MapKey())
		if err != nil {
			return err
		}
		if vd.Message() == nil {
			v, err := p.scalar(vd)
			if err != nil {
				return err
			}
			if !p.dry {
				mp.Set(kv.MapKey(), v)
			}
			continue
		}
		var v protoreflect.Value
		var em protoreflect.Message
		if !p.dry {
			v = mp.NewValue()
			em = v.Message()
		}
		if err := p.message(vd.Message(), em, depth+1); err != nil {
			return err
		}
		if !p.dry {
			mp.Set(kv.MapKey(), v)
		}
	}
	return nil
}

// byte reads one byte.
func (p *deltaPatcher) byte() (byte, error) {
	if p.i == len(p.b) {
		return 0, errDeltaTruncated
	}
	b := p.b[p.i]
	p.i++
	return b, nil
}

// varint reads a varint of up to 64 bits (at most 10 bytes, the last one 0
// or 1).
func (p *deltaPatcher) varint() (uint64, error) {
	var v uint64
	for j := range 10 {
		b, err := p.byte()
		if err != nil {
			return 0, err
		}
		if j == 9 && b > 1 {
			return 0, errDeltaVarint
		}
		v |= uint64(b&0x7f) << (7 * j)
		if b < 0x80 {
			return v, nil
		}
	}
	return 0, errDeltaVarint
}

// varint32 reads a varint of up to 32 bits (at most 5 bytes, the last one
// below 16).
func (p *deltaPatcher) varint32() (uint32, error) {
	var v uint32
	for j := range 5 {
		b, err := p.byte()
		if err != nil {
			return 0, err
		}
		if j == 4 && b > 0x0f {
			return 0, errDeltaVarint
		}
		v |= uint32(b&0x7f) << (7 * j)
		if b < 0x80 {
			return v, nil
		}
	}
	return 0, errDeltaVarint
}

// count reads a varint that counts things of at least one byte each, so it
// cannot exceed the bytes left.
func (p *deltaPatcher) count() (uint64, error) {
	n, err := p.varint()
	if err == nil && n > uint64(len(p.b)-p.i) {
		return 0, errDeltaTruncated
	}
	return n, err
}

// fixed reads n little-endian bytes.
func (p *deltaPatcher) fixed(n int) (uint64, error) {
	if len(p.b)-p.i < n {
		return 0, errDeltaTruncated
	}
	var v uint64
	for j := range n {
		v |= uint64(p.b[p.i+j]) << (8 * j)
	}
	p.i += n
	return v, nil
}

// lenBytes reads a length and that many bytes.
func (p *deltaPatcher) lenBytes() ([]byte, error) {
	n, err := p.count()
	if err != nil {
		return nil, err
	}
	b := p.b[p.i : p.i+int(n)]
	p.i += int(n)
	return b, nil
}

func zigzag64(v uint64) int64 { return int64(v>>1) ^ -int64(v&1) }
func zigzag32(v uint32) int32 { return int32(v>>1) ^ -int32(v&1) }

// scalar reads one value of scalar (or enum) field fd.
func (p *deltaPatcher) scalar(fd protoreflect.FieldDescriptor) (protoreflect.Value, error) {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		b, err := p.byte()
		if err == nil && b > 1 {
			err = fmt.Errorf("bool %s: byte %d", fd.FullName(), b)
		}
		return protoreflect.ValueOfBool(b == 1), err
	case protoreflect.EnumKind:
		v, err := p.varint32()
		return protoreflect.ValueOfEnum(protoreflect.EnumNumber(zigzag32(v))), err
	case protoreflect.Int32Kind, protoreflect.Sint32Kind:
		v, err := p.varint32()
		return protoreflect.ValueOfInt32(zigzag32(v)), err
	case protoreflect.Int64Kind, protoreflect.Sint64Kind:
		v, err := p.varint()
		return protoreflect.ValueOfInt64(zigzag64(v)), err
	case protoreflect.Uint32Kind:
		v, err := p.varint32()
		return protoreflect.ValueOfUint32(v), err
	case protoreflect.Uint64Kind:
		v, err := p.varint()
		return protoreflect.ValueOfUint64(v), err
	case protoreflect.Fixed32Kind:
		v, err := p.fixed(4)
		return protoreflect.ValueOfUint32(uint32(v)), err
	case protoreflect.Sfixed32Kind:
		v, err := p.fixed(4)
		return protoreflect.ValueOfInt32(int32(uint32(v))), err
	case protoreflect.FloatKind:
		v, err := p.fixed(4)
		return protoreflect.ValueOfFloat32(math.Float32frombits(uint32(v))), err
	case protoreflect.Fixed64Kind:
		v, err := p.fixed(8)
		return protoreflect.ValueOfUint64(v), err
	case protoreflect.Sfixed64Kind:
		v, err := p.fixed(8)
		return protoreflect.ValueOfInt64(int64(v)), err
	case protoreflect.DoubleKind:
		v, err := p.fixed(8)
		return protoreflect.ValueOfFloat64(math.Float64frombits(v)), err
	case protoreflect.StringKind:
		b, err := p.lenBytes()
		if err == nil && !utf8.Valid(b) {
			err = fmt.Errorf("string %s: invalid UTF-8", fd.FullName())
		}
		return protoreflect.ValueOfString(string(b)), err
	case protoreflect.BytesKind:
		b, err := p.lenBytes()
		return protoreflect.ValueOfBytes(append([]byte{}, b...)), err
	}
	return protoreflect.Value{}, fmt.Errorf("field %s: kind %s is not a scalar", fd.FullName(), fd.Kind())
}

// deltaSortedKeys returns the keys of mp, map field fd of m, in key order.
// String keys of a generated message's Go map are read and sorted as plain
// strings: through protoreflect every key read allocates, and comparing
// them costs more.
func deltaSortedKeys(fd protoreflect.FieldDescriptor, m protoreflect.Message, mp protoreflect.Map, size int) []protoreflect.MapKey {
	keys := make([]protoreflect.MapKey, 0, size)
	if mp == nil {
		return keys
	}
	if gm, ok := deltaGoMapOf(fd, m); ok && fd.MapKey().Kind() == protoreflect.StringKind {
		strs := make([]string, 0, size)
		k := reflect.New(gm.Type().Key()).Elem()
		for it := gm.MapRange(); it.Next(); {
			k.SetIterKey(it)
			strs = append(strs, k.String())
		}
		slices.Sort(strs)
		for _, s := range strs {
			keys = append(keys, protoreflect.ValueOfString(s).MapKey())
		}
		return keys
	}
	mp.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
		keys = append(keys, k)
		return true
	})
	deltaSortKeys(deltaKeyKindOf(fd.MapKey()), keys)
	return keys
}

// deltaShapes caches the shapes of generated message types for appliers,
// which, unlike a Tracker's walker, live for one call.
var deltaShapes sync.Map // reflect.Type → *deltaShape

// deltaGoMapOf returns the Go map behind map field fd of m when m is a
// generated message.
func deltaGoMapOf(fd protoreflect.FieldDescriptor, m protoreflect.Message) (reflect.Value, bool) {
	t := reflect.TypeOf(m.Interface())
	s := deltaShapeOf(m.Descriptor(), t)
	if s.goType != t || fd.Index() >= len(s.fields) || s.fields[fd.Index()].fd != fd {
		return reflect.Value{}, false
	}
	g := s.fields[fd.Index()].goMap
	pv := reflect.ValueOf(m.Interface())
	if g == nil || pv.IsNil() {
		return reflect.Value{}, false
	}
	return pv.Elem().Field(g.index), true
}

// deltaShapeOf returns the shape of generated message type t (with
// descriptor md), cached for the process.
func deltaShapeOf(md protoreflect.MessageDescriptor, t reflect.Type) *deltaShape {
	v, ok := deltaShapes.Load(t)
	if !ok {
		v, _ = deltaShapes.LoadOrStore(t, deltaNewShape(md, t))
	}
	return v.(*deltaShape)
}

// deltaStructOf returns the shape of m and the Go struct behind it when m
// is a valid generated message (nil and an invalid value otherwise).
func deltaStructOf(m protoreflect.Message) (*deltaShape, reflect.Value) {
	if !live(m) {
		return nil, reflect.Value{}
	}
	pv := reflect.ValueOf(m.Interface())
	s := deltaShapeOf(m.Descriptor(), pv.Type())
	if s.goType != pv.Type() || pv.IsNil() {
		return nil, reflect.Value{}
	}
	return s, pv.Elem()
}

// deltaSetGo sets Go struct field f, of field kind k, to v.
func deltaSetGo(f reflect.Value, k protoreflect.Kind, v protoreflect.Value) {
	switch k {
	case protoreflect.BoolKind:
		f.SetBool(v.Bool())
	case protoreflect.EnumKind:
		f.SetInt(int64(v.Enum()))
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		f.SetInt(v.Int())
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		f.SetUint(v.Uint())
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		f.SetFloat(v.Float())
	case protoreflect.StringKind:
		f.SetString(v.String())
	case protoreflect.BytesKind:
		f.SetBytes(v.Bytes())
	}
}

// deltaSetGoKey sets gk, a Go map key of key kind k, to key.
func deltaSetGoKey(gk reflect.Value, k protoreflect.Kind, key protoreflect.MapKey) {
	switch k {
	case protoreflect.BoolKind:
		gk.SetBool(key.Bool())
	case protoreflect.StringKind:
		gk.SetString(key.String())
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		gk.SetUint(key.Uint())
	default:
		gk.SetInt(key.Int())
	}
}

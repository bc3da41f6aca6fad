package protocol

// Shapes: what the walker needs to know about a message type, worked out once
// per descriptor (and per walker, so a Tracker pays for it once).
//
// Besides classifying fields, a shape records where generated code keeps
// fields in its Go struct. Reading a scalar through protoreflect costs a
// field lookup and check per call, and writing one allocates (the value is
// boxed and converted by package reflect); for a state of 100 players that
// was most of a tick's diffing time. Generated messages keep
// implicit-presence scalars and maps as plain values in exported struct
// fields tagged with the field number, so the walker compares those with
// package reflect, encodes changed ones into the patch from the Go value and
// syncs the Tracker's copy by setting the Go field. Anything that does not
// look exactly like that (dynamicpb, the opaque API's hidden fields, custom
// implementations, typed nil messages) goes through protoreflect, which is
// also the path every other field kind takes. The property tests run both
// paths and check that they agree.

import (
	"bytes"
	"math"
	"reflect"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// deltaFieldClass says how the walker compares a field.
type deltaFieldClass uint8

const (
	deltaImplicit deltaFieldClass = iota // scalar without presence
	deltaExplicit                        // scalar with presence (optional, proto2)
	deltaMessage                         // singular message outside a oneof
	deltaList                            // repeated, not a map
	deltaMap                             // map
	deltaOneof                           // member of a real oneof
)

// deltaShape describes one message type for the walker.
type deltaShape struct {
	fields []deltaField // in declaration order
	goType reflect.Type // generated pointer type that the Go indexes refer to; nil if none
}

// deltaField is one field of a shape.
type deltaField struct {
	fd      protoreflect.FieldDescriptor
	class   deltaFieldClass
	goIndex int         // deltaImplicit, deltaList: Go struct field index, or -1
	goMap   *deltaGoMap // deltaMap: Go map plan, or nil
}

// shape returns m's shape, computing it on first use.
func (w *deltaWalker) shape(m protoreflect.Message) *deltaShape {
	md := m.Descriptor()
	if s, ok := w.shapes[md]; ok {
		return s
	}
	if w.shapes == nil {
		w.shapes = make(map[protoreflect.MessageDescriptor]*deltaShape)
	}
	s := deltaNewShape(md, reflect.TypeOf(m.Interface()))
	w.shapes[md] = s
	return s
}

// structs returns the Go structs behind prev and next when both are valid
// messages of the generated type the shape's Go indexes refer to.
func (s *deltaShape) structs(prev, next protoreflect.Message) (ps, ns reflect.Value, ok bool) {
	if s.goType == nil || !prev.IsValid() || !next.IsValid() {
		return reflect.Value{}, reflect.Value{}, false
	}
	pv, nv := reflect.ValueOf(prev.Interface()), reflect.ValueOf(next.Interface())
	if pv.Type() != s.goType || nv.Type() != s.goType {
		return reflect.Value{}, reflect.Value{}, false
	}
	return pv.Elem(), nv.Elem(), true
}

// deltaNewShape classifies md's fields and finds them in t, the Go type of a
// message of md, when t is a generated struct pointer.
func deltaNewShape(md protoreflect.MessageDescriptor, t reflect.Type) *deltaShape {
	goFields := deltaGoFields(t)
	s := &deltaShape{fields: make([]deltaField, md.Fields().Len())}
	if goFields != nil {
		s.goType = t
	}
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		f := deltaField{fd: fd, goIndex: -1}
		sf, found := goFields[fd.Number()]
		switch od := fd.ContainingOneof(); {
		case od != nil && !od.IsSynthetic():
			f.class = deltaOneof
		case fd.IsList():
			f.class = deltaList
			if found && sf.Type.Kind() == reflect.Slice && deltaGoTypeFits(fd.Kind(), fd.Message(), sf.Type.Elem()) {
				f.goIndex = sf.Index[0]
			}
		case fd.IsMap():
			f.class = deltaMap
			if found {
				f.goMap = deltaNewGoMap(fd, sf)
			}
		case fd.Message() != nil:
			f.class = deltaMessage
		case fd.HasPresence():
			f.class = deltaExplicit
		default:
			f.class = deltaImplicit
			if found && deltaGoTypeFits(fd.Kind(), nil, sf.Type) {
				f.goIndex = sf.Index[0]
			}
		}
		s.fields[i] = f
	}
	return s
}

// deltaGoFields maps field numbers to the exported fields of the struct
// behind t, read from their `protobuf:"KIND,NUMBER,..."` tags. It returns nil
// when t is not a pointer to a struct with such fields.
func deltaGoFields(t reflect.Type) map[protoreflect.FieldNumber]reflect.StructField {
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return nil
	}
	var out map[protoreflect.FieldNumber]reflect.StructField
	st := t.Elem()
	for i := range st.NumField() {
		f := st.Field(i)
		tag, ok := f.Tag.Lookup("protobuf")
		if !ok || !f.IsExported() {
			continue
		}
		_, rest, _ := strings.Cut(tag, ",")
		num, _, _ := strings.Cut(rest, ",")
		n, err := strconv.ParseInt(num, 10, 32)
		if err != nil {
			continue
		}
		if out == nil {
			out = make(map[protoreflect.FieldNumber]reflect.StructField)
		}
		out[protoreflect.FieldNumber(n)] = f
	}
	return out
}

// deltaGoTypeFits reports whether t is the Go type generated code uses for a
// value of kind k (md is the message type of a message kind).
func deltaGoTypeFits(k protoreflect.Kind, md protoreflect.MessageDescriptor, t reflect.Type) bool {
	switch k {
	case protoreflect.BoolKind:
		return t.Kind() == reflect.Bool
	case protoreflect.EnumKind, protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return t.Kind() == reflect.Int32
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return t.Kind() == reflect.Int64
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return t.Kind() == reflect.Uint32
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return t.Kind() == reflect.Uint64
	case protoreflect.FloatKind:
		return t.Kind() == reflect.Float32
	case protoreflect.DoubleKind:
		return t.Kind() == reflect.Float64
	case protoreflect.StringKind:
		return t.Kind() == reflect.String
	case protoreflect.BytesKind:
		return t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8
	case protoreflect.MessageKind, protoreflect.GroupKind:
		if t.Kind() != reflect.Pointer || !t.Implements(reflect.TypeFor[protoreflect.ProtoMessage]()) {
			return false
		}
		m, _ := reflect.Zero(t).Interface().(protoreflect.ProtoMessage)
		return m != nil && m.ProtoReflect().Descriptor() == md
	}
	return false
}

// implicitGo is implicitScalar on the Go struct fields pv and nv of f.
func (w *deltaWalker) implicitGo(f *deltaField, pv, nv reflect.Value) {
	if deltaEqualGo(pv, nv) {
		return
	}
	w.appendGo(f.fd, nv)
	if w.sync {
		if nv.Kind() == reflect.Slice {
			pv.SetBytes(append([]byte{}, nv.Bytes()...))
		} else {
			pv.Set(nv)
		}
	}
}

// deltaEqualGo compares two Go scalar values of the same type under the
// codec's rules (floats by bits).
func deltaEqualGo(a, b reflect.Value) bool {
	switch a.Kind() {
	case reflect.Bool:
		return a.Bool() == b.Bool()
	case reflect.Int32, reflect.Int64:
		return a.Int() == b.Int()
	case reflect.Uint32, reflect.Uint64:
		return a.Uint() == b.Uint()
	case reflect.Float32, reflect.Float64:
		return math.Float64bits(a.Float()) == math.Float64bits(b.Float())
	case reflect.String:
		return a.String() == b.String()
	case reflect.Slice:
		return bytes.Equal(a.Bytes(), b.Bytes())
	}
	return false
}

// listGo is list on the Go slices pv and nv of generated messages: unchanged
// lists are compared without allocating; a changed one goes through
// protoreflect like any replaced value.
func (w *deltaWalker) listGo(prev, next protoreflect.Message, f *deltaField, pv, nv reflect.Value) {
	ph, nh := pv.Len() > 0, nv.Len() > 0
	if !nh {
		if ph {
			w.clearField(prev, f.fd)
		}
		return
	}
	if ph && deltaEqualGoList(f.fd, pv, nv) {
		return
	}
	w.replace(prev, f.fd, next.Get(f.fd))
}

// deltaEqualGoList compares two Go slices of repeated field fd element by
// element.
func deltaEqualGoList(fd protoreflect.FieldDescriptor, a, b reflect.Value) bool {
	n := a.Len()
	if n != b.Len() {
		return false
	}
	msg := fd.Message() != nil
	for i := range n {
		ae, be := a.Index(i), b.Index(i)
		if msg {
			if !deltaEqualMessage(deltaGoMessage(ae), deltaGoMessage(be)) {
				return false
			}
		} else if !deltaEqualGo(ae, be) {
			return false
		}
	}
	return true
}

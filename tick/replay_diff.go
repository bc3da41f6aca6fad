package tick

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// firstDiff returns the path of the first field where a and b differ,
// walking fields in declaration order, lists by index and maps by sorted
// key (players["p1"].x, obstacles[3].x0), with both values as text; ok is
// false when they are equal.
func firstDiff(a, b protoreflect.Message) (path, va, vb string, ok bool) {
	var sb strings.Builder
	if diffMessage(&sb, a, b, &va, &vb) {
		return strings.TrimPrefix(sb.String(), "."), va, vb, true
	}
	return "", "", "", false
}

func diffMessage(path *strings.Builder, a, b protoreflect.Message, va, vb *string) bool {
	fields := a.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		ha, hb := a.Has(fd), b.Has(fd)
		if !ha && !hb {
			continue
		}
		n := path.Len()
		path.WriteString(".")
		path.WriteString(string(fd.Name()))
		if ha != hb && (fd.Message() != nil && !fd.IsList() && !fd.IsMap() || fd.ContainingOneof() != nil) {
			*va, *vb = presence(ha), presence(hb)
			return true
		}
		if diffValue(path, fd, a.Get(fd), b.Get(fd), va, vb) {
			return true
		}
		truncate(path, n)
	}
	return false
}

func presence(has bool) string {
	if has {
		return "set"
	}
	return "unset"
}

func diffValue(path *strings.Builder, fd protoreflect.FieldDescriptor, a, b protoreflect.Value, va, vb *string) bool {
	switch {
	case fd.IsList():
		la, lb := a.List(), b.List()
		for i := range min(la.Len(), lb.Len()) {
			n := path.Len()
			fmt.Fprintf(path, "[%d]", i)
			if diffSingle(path, fd, la.Get(i), lb.Get(i), va, vb) {
				return true
			}
			truncate(path, n)
		}
		if la.Len() != lb.Len() {
			*va, *vb = fmt.Sprintf("%d elements", la.Len()), fmt.Sprintf("%d elements", lb.Len())
			return true
		}
		return false
	case fd.IsMap():
		ma, mb := a.Map(), b.Map()
		keys := map[string]protoreflect.MapKey{}
		collect := func(k protoreflect.MapKey, _ protoreflect.Value) bool {
			keys[mapKeyText(k)] = k
			return true
		}
		ma.Range(collect)
		mb.Range(collect)
		names := make([]string, 0, len(keys))
		for k := range keys {
			names = append(names, k)
		}
		slices.SortFunc(names, func(x, y string) int { return compareKeys(keys[x], keys[y]) })
		for _, name := range names {
			k := keys[name]
			n := path.Len()
			path.WriteString("[" + name + "]")
			ina, inb := ma.Has(k), mb.Has(k)
			if ina != inb {
				*va, *vb = mapPresence(ina), mapPresence(inb)
				return true
			}
			if diffSingle(path, fd.MapValue(), ma.Get(k), mb.Get(k), va, vb) {
				return true
			}
			truncate(path, n)
		}
		return false
	default:
		return diffSingle(path, fd, a, b, va, vb)
	}
}

func mapPresence(has bool) string {
	if has {
		return "present"
	}
	return "absent"
}

// diffSingle compares one value of fd's kind (a list element or map
// value when fd is one).
func diffSingle(path *strings.Builder, fd protoreflect.FieldDescriptor, a, b protoreflect.Value, va, vb *string) bool {
	if fd.Message() != nil {
		return diffMessage(path, a.Message(), b.Message(), va, vb)
	}
	if scalarEqual(fd.Kind(), a, b) {
		return false
	}
	*va, *vb = scalarText(fd, a), scalarText(fd, b)
	return true
}

func scalarEqual(k protoreflect.Kind, a, b protoreflect.Value) bool {
	switch k {
	case protoreflect.BytesKind:
		return bytes.Equal(a.Bytes(), b.Bytes())
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		x, y := a.Float(), b.Float()
		return x == y && math.Signbit(x) == math.Signbit(y) || math.IsNaN(x) && math.IsNaN(y)
	default:
		return a.Interface() == b.Interface()
	}
}

func scalarText(fd protoreflect.FieldDescriptor, v protoreflect.Value) string {
	switch fd.Kind() {
	case protoreflect.StringKind:
		return strconv.Quote(v.String())
	case protoreflect.BytesKind:
		return fmt.Sprintf("%x", v.Bytes())
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return string(ev.Name())
		}
		return strconv.Itoa(int(v.Enum()))
	case protoreflect.FloatKind:
		return strconv.FormatFloat(v.Float(), 'g', -1, 32)
	default:
		return fmt.Sprint(v.Interface())
	}
}

func mapKeyText(k protoreflect.MapKey) string {
	if s, ok := k.Interface().(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(k.Interface())
}

func compareKeys(a, b protoreflect.MapKey) int {
	switch x := a.Interface().(type) {
	case string:
		return strings.Compare(x, b.Interface().(string))
	case bool:
		y := b.Interface().(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case int32, int64:
		return compareInt(a.Int(), b.Int())
	default:
		return compareUint(a.Uint(), b.Uint())
	}
}

func compareInt(x, y int64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

func compareUint(x, y uint64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

func truncate(sb *strings.Builder, n int) {
	s := sb.String()[:n]
	sb.Reset()
	sb.WriteString(s)
}

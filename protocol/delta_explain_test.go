package protocol

import (
	"fmt"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
)

// explainDelta describes what d, a delta against prev, says in the terms of
// a field-level diff: a partial state of prev's type holding every value the
// patch sets (a message merged into one that prev has holds only what
// changed; a new one is whole) and the paths it clears (a scalar set to
// zero, a field with presence cleared, a list or map emptied, a map entry
// deleted), sorted. The patch is nil when it sets nothing. Tests use it to
// check that Diff sends what changed and nothing else.
func explainDelta(t testing.TB, prev proto.Message, d *tickwirev1.Delta) (proto.Message, []string) {
	t.Helper()
	pm := prev.ProtoReflect()
	out := pm.New()
	ex := &deltaExplainer{p: deltaPatcher{b: d.GetPatch()}}
	if len(d.GetPatch()) > 0 {
		if err := ex.message(pm.Descriptor(), pm, func() protoreflect.Message { return out }, ""); err != nil {
			t.Fatalf("explain patch at byte %d: %v", ex.p.i, err)
		}
		if ex.p.i != len(ex.p.b) {
			t.Fatalf("explain patch: %d bytes left over", len(ex.p.b)-ex.p.i)
		}
	}
	slices.Sort(ex.clears)
	var patch proto.Message
	if deltaHasFields(out) {
		patch = out.Interface()
	}
	return patch, ex.clears
}

func deltaHasFields(m protoreflect.Message) bool {
	has := false
	m.Range(func(protoreflect.FieldDescriptor, protoreflect.Value) bool { has = true; return false })
	return has
}

type deltaExplainer struct {
	p      deltaPatcher
	clears []string
}

// whole decodes a whole message value into m.
func (ex *deltaExplainer) whole(md protoreflect.MessageDescriptor, m protoreflect.Message) error {
	return ex.p.message(md, m, 1)
}

func formatKey(k protoreflect.MapKey, kind protoreflect.Kind) string {
	switch kind {
	case protoreflect.BoolKind:
		return fmt.Sprintf("[%v]", k.Bool())
	case protoreflect.StringKind:
		return fmt.Sprintf("[%q]", k.String())
	case protoreflect.Uint32Kind, protoreflect.Uint64Kind, protoreflect.Fixed32Kind, protoreflect.Fixed64Kind:
		return fmt.Sprintf("[%du]", k.Uint())
	}
	return fmt.Sprintf("[%d]", k.Int())
}

func (ex *deltaExplainer) message(md protoreflect.MessageDescriptor, prev protoreflect.Message, out func() protoreflect.Message, at string) error {
	fields := md.Fields()
	start := ex.p.i
	for {
		b, err := ex.p.byte()
		if err != nil {
			return err
		}
		if b < 0x80 {
			break
		}
	}
	for j, b := range ex.p.b[start:ex.p.i] {
		for bit := range 7 {
			if b>>bit&1 == 0 {
				continue
			}
			if j*7+bit >= fields.Len() {
				return fmt.Errorf("mask names field %d", j*7+bit)
			}
			if err := ex.field(fields.Get(j*7+bit), prev, out, at); err != nil {
				return err
			}
		}
	}
	return nil
}

func (ex *deltaExplainer) field(fd protoreflect.FieldDescriptor, prev protoreflect.Message, out func() protoreflect.Message, at string) error {
	p := &ex.p
	name := at + string(fd.Name())
	switch {
	case fd.IsList():
		n, err := p.count()
		if err != nil {
			return err
		}
		if n == 0 {
			ex.clears = append(ex.clears, name)
			return nil
		}
		l := out().Mutable(fd).List()
		for range n {
			if fd.Message() != nil {
				e := l.NewElement()
				if err := ex.whole(fd.Message(), e.Message()); err != nil {
					return err
				}
				l.Append(e)
				continue
			}
			v, err := p.scalar(fd)
			if err != nil {
				return err
			}
			l.Append(v)
		}
		return nil
	case fd.IsMap():
		return ex.mapField(fd, prev, out, name)
	case !fd.HasPresence():
		v, err := p.scalar(fd)
		if err != nil {
			return err
		}
		if deltaIsZeroScalar(fd, v) {
			ex.clears = append(ex.clears, name)
		} else {
			out().Set(fd, v)
		}
		return nil
	}
	op, err := p.byte()
	if err != nil {
		return err
	}
	if op == 0 {
		ex.clears = append(ex.clears, name)
		return nil
	}
	if fd.Message() == nil {
		v, err := p.scalar(fd)
		if err != nil {
			return err
		}
		out().Set(fd, v)
		return nil
	}
	if prev.IsValid() && prev.Has(fd) {
		return ex.message(fd.Message(), prev.Get(fd).Message(), func() protoreflect.Message { return out().Mutable(fd).Message() }, name+".")
	}
	return ex.whole(fd.Message(), out().Mutable(fd).Message())
}

func (ex *deltaExplainer) mapField(fd protoreflect.FieldDescriptor, prev protoreflect.Message, out func() protoreflect.Message, name string) error {
	p := &ex.p
	h, err := p.count()
	if err != nil {
		return err
	}
	if h == 0 {
		ex.clears = append(ex.clears, name)
		return nil
	}
	var keys []protoreflect.MapKey
	var pmap protoreflect.Map
	if prev.IsValid() && prev.Has(fd) {
		pmap = prev.Get(fd).Map()
		pmap.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
			keys = append(keys, k)
			return true
		})
	}
	deltaSortKeys(deltaKeyKindOf(fd.MapKey()), keys)
	kk := fd.MapKey().Kind()
	ranked := func(n uint64, each func(protoreflect.MapKey) error) error {
		r := -1
		for range n {
			gap, err := p.varint()
			if err != nil {
				return err
			}
			r += 1 + int(gap)
			if r >= len(keys) {
				return fmt.Errorf("%s: rank %d of %d", name, r, len(keys))
			}
			if err := each(keys[r]); err != nil {
				return err
			}
		}
		return nil
	}
	if err := ranked(h-1, func(k protoreflect.MapKey) error {
		ex.clears = append(ex.clears, name+formatKey(k, kk))
		return nil
	}); err != nil {
		return err
	}
	n, err := p.count()
	if err != nil {
		return err
	}
	vd := fd.MapValue()
	if err := ranked(n, func(k protoreflect.MapKey) error {
		if vd.Message() == nil {
			v, err := p.scalar(vd)
			if err == nil {
				out().Mutable(fd).Map().Set(k, v)
			}
			return err
		}
		entry := func() protoreflect.Message {
			mp := out().Mutable(fd).Map()
			v := mp.Get(k)
			if !v.IsValid() {
				v = mp.NewValue()
				mp.Set(k, v)
			}
			return v.Message()
		}
		return ex.message(vd.Message(), pmap.Get(k).Message(), entry, name+formatKey(k, kk)+".")
	}); err != nil {
		return err
	}
	if n, err = p.count(); err != nil {
		return err
	}
	for range n {
		kv, err := p.scalar(fd.MapKey())
		if err != nil {
			return err
		}
		mp := out().Mutable(fd).Map()
		if vd.Message() == nil {
			v, err := p.scalar(vd)
			if err != nil {
				return err
			}
			mp.Set(kv.MapKey(), v)
			continue
		}
		v := mp.NewValue()
		if err := ex.whole(vd.Message(), v.Message()); err != nil {
			return err
		}
		mp.Set(kv.MapKey(), v)
	}
	return nil
}

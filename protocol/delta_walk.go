package protocol

import (
	"reflect"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// message compares prev and next, which have the same descriptor, appending
// next's changed fields to the patch and recording clears under the current
// path.
func (w *deltaWalker) message(prev, next protoreflect.Message) {
	s := w.shape(next)
	ps, ns, direct := s.structs(prev, next)
	w.walk(prev, next, s, ps, ns, direct)
}

// walk is message with next's shape s at hand and, when direct, the Go
// structs ps and ns behind prev and next, which are then read directly where
// that is safe (see delta_shape.go).
func (w *deltaWalker) walk(prev, next protoreflect.Message, s *deltaShape, ps, ns reflect.Value, direct bool) {
	for i := range s.fields {
		f := &s.fields[i]
		switch f.class {
		case deltaImplicit:
			if direct && f.goIndex >= 0 {
				w.implicitGo(f, ps.Field(f.goIndex), ns.Field(f.goIndex))
			} else {
				w.implicitScalar(prev, next, f.fd)
			}
		case deltaExplicit:
			w.explicitScalar(prev, next, f.fd)
		case deltaMessage:
			w.singularMessage(prev, next, f.fd)
		case deltaList:
			if direct && f.goIndex >= 0 {
				w.listGo(prev, next, f, ps.Field(f.goIndex), ns.Field(f.goIndex))
			} else {
				w.list(prev, next, f.fd)
			}
		case deltaMap:
			if direct && f.goMap != nil {
				w.mapGo(prev, next, f, ps.Field(f.goMap.index), ns.Field(f.goMap.index))
			} else {
				w.mapField(prev, next, f.fd)
			}
		case deltaOneof:
			w.oneof(prev, next, f.oneof)
		}
	}
}

// implicitScalar handles a scalar without presence: zero cannot be encoded in
// the patch, so becoming zero is a clear.
func (w *deltaWalker) implicitScalar(prev, next protoreflect.Message, fd protoreflect.FieldDescriptor) {
	pv, nv := prev.Get(fd), next.Get(fd)
	if deltaEqualValue(fd, pv, nv) {
		return
	}
	if deltaIsZeroScalar(fd, nv) {
		w.clear(fd)
		if w.sync {
			prev.Clear(fd)
		}
		return
	}
	w.appendSingular(fd, nv)
	if w.sync {
		prev.Set(fd, deltaCopyScalar(fd, nv))
	}
}

// explicitScalar handles an optional (or proto2) scalar: the patch can carry
// any value, including zero, and absence is a clear.
func (w *deltaWalker) explicitScalar(prev, next protoreflect.Message, fd protoreflect.FieldDescriptor) {
	ph, nh := prev.Has(fd), next.Has(fd)
	if !nh {
		if ph {
			w.clear(fd)
			if w.sync {
				prev.Clear(fd)
			}
		}
		return
	}
	nv := next.Get(fd)
	if ph && deltaEqualValue(fd, prev.Get(fd), nv) {
		return
	}
	w.replace(prev, fd, nv)
}

// singularMessage handles a message field outside a oneof.
func (w *deltaWalker) singularMessage(prev, next protoreflect.Message, fd protoreflect.FieldDescriptor) {
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
		w.nested(prev, next, fd)
	}
}

// oneof handles the members of a real oneof together.
func (w *deltaWalker) oneof(prev, next protoreflect.Message, od protoreflect.OneofDescriptor) {
	pf, nf := prev.WhichOneof(od), next.WhichOneof(od)
	switch {
	case nf == nil:
		if pf != nil {
			w.clear(pf)
			if w.sync {
				prev.Clear(pf)
			}
		}
	case pf != nf:
		// Setting a member replaces the other one on apply.
		w.replace(prev, nf, next.Get(nf))
	case nf.Message() != nil:
		w.nested(prev, next, nf)
	default:
		if nv := next.Get(nf); !deltaEqualValue(nf, prev.Get(nf), nv) {
			w.replace(prev, nf, nv)
		}
	}
}

// replace puts next's whole value v of fd into the patch (and a copy into
// prev when syncing).
func (w *deltaWalker) replace(prev protoreflect.Message, fd protoreflect.FieldDescriptor, v protoreflect.Value) {
	w.appendWhole(fd, v)
	if w.sync {
		prev.Set(fd, deltaCopyField(prev, fd, v))
	}
}

// nested diffs a message field present on both sides. Its patch is the
// field holding the changed subfields, left out when nothing changed.
func (w *deltaWalker) nested(prev, next protoreflect.Message, fd protoreflect.FieldDescriptor) {
	var pm protoreflect.Message
	if w.sync {
		pm = prev.Mutable(fd).Message()
	} else {
		pm = prev.Get(fd).Message()
	}
	mark := len(w.buf)
	body := w.openMessage(fd)
	w.path = append(w.path, deltaStep{fd: fd})
	w.message(pm, next.Get(fd).Message())
	w.path = w.path[:len(w.path)-1]
	if len(w.buf) == body {
		w.buf = w.buf[:mark]
		return
	}
	w.closeMessage(fd, body)
}

// list handles a repeated field: a change replaces the whole list, and an
// emptied list is a clear.
func (w *deltaWalker) list(prev, next protoreflect.Message, fd protoreflect.FieldDescriptor) {
	ph, nh := prev.Has(fd), next.Has(fd)
	if !nh {
		if ph {
			w.clear(fd)
			if w.sync {
				prev.Clear(fd)
			}
		}
		return
	}
	nv := next.Get(fd)
	if ph && deltaEqualList(fd, prev.Get(fd).List(), nv.List()) {
		return
	}
	w.replace(prev, fd, nv)
}

// openMessage appends the start of message field fd (a tag and a length
// placeholder, or a group's start tag) and returns where its body starts.
func (w *deltaWalker) openMessage(fd protoreflect.FieldDescriptor) int {
	if fd.Kind() == protoreflect.GroupKind {
		w.buf = protowire.AppendTag(w.buf, fd.Number(), protowire.StartGroupType)
		return len(w.buf)
	}
	w.buf = protowire.AppendTag(w.buf, fd.Number(), protowire.BytesType)
	return w.openLen()
}

// closeMessage ends message field fd opened at body.
func (w *deltaWalker) closeMessage(fd protoreflect.FieldDescriptor, body int) {
	if fd.Kind() == protoreflect.GroupKind {
		w.buf = protowire.AppendTag(w.buf, fd.Number(), protowire.EndGroupType)
		return
	}
	w.closeLen(body)
}

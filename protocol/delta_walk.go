package protocol

import (
	"reflect"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// message compares prev and next, which have the same descriptor, and
// appends next's patch against prev: a field mask and the changed fields.
// It reports whether anything changed; if nothing did, it appends nothing.
func (w *deltaWalker) message(prev, next protoreflect.Message) bool {
	s := w.shape(next)
	ps, ns, direct := s.structs(prev, next)
	return w.walk(prev, next, s, ps, ns, direct)
}

// walk is message with next's shape s at hand and, when direct, the Go
// structs ps and ns behind prev and next, which are then read directly where
// that is safe (see delta_shape.go).
func (w *deltaWalker) walk(prev, next protoreflect.Message, s *deltaShape, ps, ns reflect.Value, direct bool) bool {
	start := len(w.buf)
	body := w.openMask()
	var mask deltaMask
	for i := range s.fields {
		f := &s.fields[i]
		at := len(w.buf)
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
			w.oneof(prev, next, f.fd)
		}
		if len(w.buf) > at {
			mask.set(i)
		}
	}
	if mask.empty() {
		w.buf = w.buf[:start]
		return false
	}
	w.closeMask(body, &mask)
	return true
}

// implicitScalar handles a scalar without presence: its new value, zero
// included, is the change.
func (w *deltaWalker) implicitScalar(prev, next protoreflect.Message, fd protoreflect.FieldDescriptor) {
	pv, nv := prev.Get(fd), next.Get(fd)
	if deltaEqualValue(fd, pv, nv) {
		return
	}
	w.appendScalar(fd, nv)
	if w.sync {
		if deltaIsZeroScalar(fd, nv) {
			prev.Clear(fd)
		} else {
			prev.Set(fd, deltaCopyScalar(fd, nv))
		}
	}
}

// clearField appends the op byte that clears a field with presence (or the
// empty header of a list or map) and clears it in prev when syncing.
func (w *deltaWalker) clearField(prev protoreflect.Message, fd protoreflect.FieldDescriptor) {
	w.buf = append(w.buf, 0)
	if w.sync {
		prev.Clear(fd)
	}
}

// explicitScalar handles an optional (or proto2) scalar: absence is a clear
// (op 0), any value, zero included, a set (op 1 and the value).
func (w *deltaWalker) explicitScalar(prev, next protoreflect.Message, fd protoreflect.FieldDescriptor) {
	ph, nh := prev.Has(fd), next.Has(fd)
	if !nh {
		if ph {
			w.clearField(prev, fd)
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
			w.clearField(prev, fd)
		}
	case !ph:
		w.replace(prev, fd, next.Get(fd))
	default:
		w.nested(prev, next, fd)
	}
}

// oneof handles member fd of a real oneof. Only the member whose change the
// patch carries writes anything: the member set in next (setting it
// replaces another one on apply), or, when next sets none, the member set in
// prev (cleared). So the change sits at that member's place in field order.
func (w *deltaWalker) oneof(prev, next protoreflect.Message, fd protoreflect.FieldDescriptor) {
	od := fd.ContainingOneof()
	nf := next.WhichOneof(od)
	if nf != fd {
		if nf == nil && prev.WhichOneof(od) == fd {
			w.clearField(prev, fd)
		}
		return
	}
	switch pf := prev.WhichOneof(od); {
	case pf != nf:
		w.replace(prev, nf, next.Get(nf))
	case nf.Message() != nil:
		w.nested(prev, next, nf)
	default:
		if nv := next.Get(nf); !deltaEqualValue(nf, prev.Get(nf), nv) {
			w.replace(prev, nf, nv)
		}
	}
}

// replace puts next's whole value v of fd into the patch, after the op
// byte of fields with presence (and a copy into prev when syncing).
func (w *deltaWalker) replace(prev protoreflect.Message, fd protoreflect.FieldDescriptor, v protoreflect.Value) {
	if deltaHasOp(fd) {
		w.buf = append(w.buf, 1)
	}
	w.appendWhole(fd, v)
	if w.sync {
		prev.Set(fd, deltaCopyField(prev, fd, v))
	}
}

// nested diffs a message field present on both sides: op 1 and the
// message's patch, left out when nothing changed.
func (w *deltaWalker) nested(prev, next protoreflect.Message, fd protoreflect.FieldDescriptor) {
	var pm protoreflect.Message
	if w.sync {
		pm = prev.Mutable(fd).Message()
	} else {
		pm = prev.Get(fd).Message()
	}
	w.buf = append(w.buf, 1)
	if !w.message(pm, next.Get(fd).Message()) {
		w.buf = w.buf[:len(w.buf)-1]
	}
}

// list handles a repeated field: a change replaces the whole list, and an
// emptied list is a list of length 0.
func (w *deltaWalker) list(prev, next protoreflect.Message, fd protoreflect.FieldDescriptor) {
	ph, nh := prev.Has(fd), next.Has(fd)
	if !nh {
		if ph {
			w.clearField(prev, fd)
		}
		return
	}
	nv := next.Get(fd)
	if ph && deltaEqualList(fd, prev.Get(fd).List(), nv.List()) {
		return
	}
	w.replace(prev, fd, nv)
}

package protocol

import (
	"bytes"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/tickwire/tickwire/internal/stategen"
	tv1 "github.com/tickwire/tickwire/proto/tickwire/testing/v1"
)

// proto2Schema builds, at test time, a proto2 message with what proto3 lacks:
// groups (singular and repeated), required fields, defaults, unpacked
// repeated scalars, closed enums and strings without UTF-8 validation. Game
// states are proto3 in practice, but the codec takes any message, and this
// schema runs through dynamicpb, so it also covers the protoreflect paths.
func proto2Schema(t testing.TB) protoreflect.MessageDescriptor {
	t.Helper()
	s := proto.String
	n := func(i int32) *int32 { return &i }
	opt := descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum()
	rep := descriptorpb.FieldDescriptorProto_LABEL_REPEATED.Enum()
	req := descriptorpb.FieldDescriptorProto_LABEL_REQUIRED.Enum()
	typ := func(t descriptorpb.FieldDescriptorProto_Type) *descriptorpb.FieldDescriptorProto_Type { return &t }
	field := func(name string, num int32, label *descriptorpb.FieldDescriptorProto_Label, ty descriptorpb.FieldDescriptorProto_Type, typeName string) *descriptorpb.FieldDescriptorProto {
		f := &descriptorpb.FieldDescriptorProto{Name: s(name), Number: n(num), Label: label, Type: typ(ty)}
		if typeName != "" {
			f.TypeName = s(".tickwire.deltatest." + typeName)
		}
		return f
	}
	const (
		tInt32   = descriptorpb.FieldDescriptorProto_TYPE_INT32
		tSint32  = descriptorpb.FieldDescriptorProto_TYPE_SINT32
		tInt64   = descriptorpb.FieldDescriptorProto_TYPE_INT64
		tFixed64 = descriptorpb.FieldDescriptorProto_TYPE_FIXED64
		tDouble  = descriptorpb.FieldDescriptorProto_TYPE_DOUBLE
		tFloat   = descriptorpb.FieldDescriptorProto_TYPE_FLOAT
		tString  = descriptorpb.FieldDescriptorProto_TYPE_STRING
		tBytes   = descriptorpb.FieldDescriptorProto_TYPE_BYTES
		tEnum    = descriptorpb.FieldDescriptorProto_TYPE_ENUM
		tGroup   = descriptorpb.FieldDescriptorProto_TYPE_GROUP
		tMessage = descriptorpb.FieldDescriptorProto_TYPE_MESSAGE
	)
	withDefault := field("a", 1, opt, tInt32, "")
	withDefault.DefaultValue = s("5")
	packed := field("packed", 5, rep, tDouble, "")
	packed.Options = &descriptorpb.FieldOptions{Packed: proto.Bool(true)}
	oa := field("oa", 11, opt, tFixed64, "")
	oa.OneofIndex = n(0)
	ob := field("ob", 12, opt, tMessage, "Leaf2")
	ob.OneofIndex = n(0)
	file := &descriptorpb.FileDescriptorProto{
		Name:    s("tickwire/deltatest/p2.proto"),
		Package: s("tickwire.deltatest"),
		Syntax:  s("proto2"),
		EnumType: []*descriptorpb.EnumDescriptorProto{{
			Name: s("E"),
			Value: []*descriptorpb.EnumValueDescriptorProto{
				{Name: s("E_ZERO"), Number: n(0)}, {Name: s("E_ONE"), Number: n(1)}, {Name: s("E_MINUS"), Number: n(-1)},
			},
		}},
		MessageType: []*descriptorpb.DescriptorProto{
			{
				Name: s("P2"),
				Field: []*descriptorpb.FieldDescriptorProto{
					withDefault,
					field("r", 2, req, tString, ""),
					field("g", 3, opt, tGroup, "P2.G"),
					field("unpacked", 4, rep, tSint32, ""),
					packed,
					field("rg", 6, rep, tGroup, "P2.RG"),
					field("m", 7, rep, tMessage, "P2.MEntry"),
					field("child", 8, opt, tMessage, "P2"),
					field("s", 9, opt, tString, ""),
					field("e", 10, opt, tEnum, "E"),
					oa, ob,
					field("re", 13, rep, tEnum, "E"),
					field("by", 14, opt, tBytes, ""),
				},
				NestedType: []*descriptorpb.DescriptorProto{
					{Name: s("G"), Field: []*descriptorpb.FieldDescriptorProto{field("x", 1, opt, tInt32, ""), field("gm", 2, rep, tMessage, "P2.G.GmEntry")},
						NestedType: []*descriptorpb.DescriptorProto{{
							Name:    s("GmEntry"),
							Field:   []*descriptorpb.FieldDescriptorProto{field("key", 1, opt, tString, ""), field("value", 2, opt, tInt64, "")},
							Options: &descriptorpb.MessageOptions{MapEntry: proto.Bool(true)},
						}}},
					{Name: s("RG"), Field: []*descriptorpb.FieldDescriptorProto{field("y", 1, opt, tString, "")}},
					{
						Name:    s("MEntry"),
						Field:   []*descriptorpb.FieldDescriptorProto{field("key", 1, opt, tInt64, ""), field("value", 2, opt, tMessage, "Leaf2")},
						Options: &descriptorpb.MessageOptions{MapEntry: proto.Bool(true)},
					},
				},
				OneofDecl: []*descriptorpb.OneofDescriptorProto{{Name: s("o")}},
			},
			{Name: s("Leaf2"), Field: []*descriptorpb.FieldDescriptorProto{field("v", 1, opt, tFloat, ""), field("w", 2, req, tInt64, "")}},
		},
	}
	fd, err := protodesc.NewFile(file, nil)
	if err != nil {
		t.Fatalf("build proto2 schema: %v", err)
	}
	return fd.Messages().ByName("P2")
}

func TestDeltaProto2Property(t *testing.T) {
	md := proto2Schema(t)
	g := stategen.New(11)
	newState := func() *dynamicpb.Message {
		m := dynamicpb.NewMessage(md)
		g.Fill(m, 0)
		return m
	}
	tr := NewTracker(dynamicpb.NewMessage(md))
	recv := dynamicpb.NewMessage(md)
	state := dynamicpb.NewMessage(md)
	for i := range 1500 {
		a := newState()
		b := exactClone(t, a)
		if g.Chance(0.9) {
			g.Mutate(b, 0)
		}
		d, err := Diff(a, b)
		if err != nil {
			t.Fatalf("pair %d: Diff: %v", i, err)
		}
		got := exactClone(t, a)
		if err := ApplyDelta(got, roundTrip(t, d)); err != nil {
			t.Fatalf("pair %d: ApplyDelta: %v", i, err)
		}
		if !deltaExact(t, got, b) {
			t.Fatalf("pair %d: apply(diff(a, b), a) != b\na:   %v\nb:   %v\ngot: %v\ndelta: %v", i, a, b, got, d)
		}

		// The same state, mutated in place, through a tracker.
		g.Mutate(state, 0)
		td, err := tr.Update(state)
		if err != nil {
			t.Fatalf("step %d: Update: %v", i, err)
		}
		if err := ApplyDelta(recv, roundTrip(t, td)); err != nil {
			t.Fatalf("step %d: ApplyDelta: %v", i, err)
		}
		if !deltaExact(t, recv, state) || !deltaExact(t, tr.State(), state) {
			t.Fatalf("step %d: receiver or copy differs\nwant: %v\nrecv: %v\ncopy: %v", i, state, recv, tr.State())
		}
	}
}

func TestDeltaProto2Presence(t *testing.T) {
	md := proto2Schema(t)
	fa := md.Fields().ByName("a") // optional int32 with default 5
	fs := md.Fields().ByName("s") // optional string, no UTF-8 validation
	prev, next := dynamicpb.NewMessage(md), dynamicpb.NewMessage(md)
	prev.Set(fa, protoreflect.ValueOfInt32(5)) // the default, but set
	next.Set(fs, protoreflect.ValueOfString("é"))
	d, err := Diff(prev, next)
	if err != nil {
		t.Fatalf("Diff: %v", err)
	}
	if _, clears := explainDelta(t, prev, d); !slices.Equal(clears, []string{"a"}) {
		t.Fatalf("clears = %q, want field a cleared", clears)
	}
	got := exactClone(t, prev)
	if err := ApplyDelta(got, d); err != nil {
		t.Fatal(err)
	}
	if got.Has(fa) || got.Get(fs).String() != "é" {
		t.Fatalf("got %v, want a unset and s = \"é\"", got)
	}
	// A patch carries only UTF-8 strings, which every receiver (JavaScript
	// included) can hold, whatever the field's syntax says.
	next.Set(fs, protoreflect.ValueOfString("\xff"))
	if _, err := Diff(prev, next); err == nil {
		t.Fatal("Diff with invalid UTF-8 in a proto2 string: no error")
	}
}

// TestDeltaDynamicMessages runs the property on dynamicpb messages, which
// take the protoreflect path for maps instead of the Go map fast path, and
// checks that both paths find the same delta.
func TestDeltaDynamicMessages(t *testing.T) {
	md := (&tv1.State{}).ProtoReflect().Descriptor()
	toDynamic := func(m proto.Message) *dynamicpb.Message {
		d := dynamicpb.NewMessage(md)
		if err := proto.Unmarshal(mustMarshal(t, m), d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	g := stategen.New(5)
	tr := NewTracker(dynamicpb.NewMessage(md))
	for i := range 500 {
		a, b := g.Pair()
		da, db := toDynamic(a), toDynamic(b)
		want, err := Diff(a, b)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Diff(da, db)
		if err != nil {
			t.Fatal(err)
		}
		if (want == nil) != (got == nil) {
			t.Fatalf("pair %d: generated delta %v, dynamic delta %v", i, want, got)
		}
		if want != nil && !bytes.Equal(want.GetPatch(), got.GetPatch()) {
			t.Fatalf("pair %d: dynamic delta differs\ngenerated: % x\ndynamic:   % x", i, want.GetPatch(), got.GetPatch())
		}
		applied := toDynamic(a)
		if err := ApplyDelta(applied, roundTrip(t, got)); err != nil {
			t.Fatal(err)
		}
		if !deltaExact(t, applied, db) {
			t.Fatalf("pair %d: dynamic apply differs", i)
		}
		if _, err := tr.Update(db); err != nil {
			t.Fatal(err)
		}
		if !deltaExact(t, tr.State(), db) {
			t.Fatalf("pair %d: dynamic tracker copy differs", i)
		}
		// Generated and dynamic messages of one descriptor mix.
		mixed, err := Diff(a, db)
		if err != nil {
			t.Fatal(err)
		}
		gen := exactClone(t, a)
		if err := ApplyDelta(gen, roundTrip(t, mixed)); err != nil {
			t.Fatal(err)
		}
		if !deltaExact(t, gen, b) {
			t.Fatalf("pair %d: generated-to-dynamic delta differs", i)
		}
	}
}

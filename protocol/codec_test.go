package protocol_test

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
)

// realFrames are Envelopes as they cross the wire, used as fuzz seeds and
// round-trip cases.
func realFrames() []*protocol.Envelope {
	return []*protocol.Envelope{
		{Msg: &tickwirev1.Envelope_Hello{Hello: &tickwirev1.Hello{ProtocolVersion: 1, Client: "tickwire-go/0.1", Token: "tok"}}},
		{Ref: 1, Msg: &tickwirev1.Envelope_JoinRoom{JoinRoom: &tickwirev1.JoinRoom{RoomId: "r1", Seat: "seat"}}},
		{Msg: &tickwirev1.Envelope_Input{Input: &tickwirev1.Input{RoomId: "r1", Seq: 300, Payload: []byte{8, 1, 16, 2}}}},
		{Ref: 2, Msg: &tickwirev1.Envelope_Ping{Ping: &tickwirev1.Ping{ClientTimeUnixNano: 1700000000000000000}}},
		{Msg: &tickwirev1.Envelope_State{State: &tickwirev1.StateFrame{RoomId: "r1", Tick: 99, Body: &tickwirev1.StateFrame_Delta{Delta: &tickwirev1.Delta{
			Patch: []byte{10, 3, 1, 2, 3}, Clears: []*tickwirev1.FieldPath{{Steps: []*tickwirev1.PathStep{{Field: 1, Key: &tickwirev1.PathStep_StringKey{StringKey: "p1"}}}}},
		}}}}},
		{Msg: &tickwirev1.Envelope_Error{Error: &tickwirev1.Error{Code: protocol.CodeRoomFull, Message: "full"}}},
	}
}

func TestRoundTrip(t *testing.T) {
	for _, env := range realFrames() {
		b, err := protocol.Encode(env)
		if err != nil {
			t.Fatal(err)
		}
		var got protocol.Envelope
		if err := protocol.Decode(b.B, protocol.DefaultMaxMessageBytes, &got); err != nil {
			t.Fatalf("decode %v: %v", env, err)
		}
		b.Release()
		if !proto.Equal(env, &got) {
			t.Fatalf("round trip changed %v into %v", env, &got)
		}
	}
}

func TestDecodeBadInput(t *testing.T) {
	big := make([]byte, 100)
	for _, tc := range []struct {
		name string
		data []byte
		max  int
		want error
		text string
	}{
		{"empty", nil, 0, protocol.ErrEmptyFrame, ""},
		{"oversize", big, 50, protocol.ErrTooLarge, "100 bytes"},
		{"truncated varint", []byte{0x08, 0xff}, 0, nil, "decode envelope"},
		{"truncated length", []byte{0x52, 0x05, 0x01}, 0, nil, "decode envelope"},
		{"unknown oneof", []byte{0xfa, 0x05, 0x00}, 0, protocol.ErrNoMessage, ""},
		{"only ref", []byte{0x08, 0x01}, 0, protocol.ErrNoMessage, ""},
		{"wrong wire type", []byte{0x52, 0x01}, 0, nil, "decode envelope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var env protocol.Envelope
			err := protocol.Decode(tc.data, tc.max, &env)
			if err == nil {
				t.Fatalf("Decode(%x) = nil, want error", tc.data)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("Decode(%x) = %v, want %v", tc.data, err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("Decode(%x) = %v, want it to mention %q", tc.data, err, tc.text)
			}
		})
	}
}

func TestAppendLastInputSeqMerges(t *testing.T) {
	shared, err := protocol.Append(nil, &protocol.Envelope{Msg: &tickwirev1.Envelope_State{State: &tickwirev1.StateFrame{
		RoomId: "r1", Tick: 7, Body: &tickwirev1.StateFrame_Snapshot{Snapshot: []byte{1, 2}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, seq := range []uint64{0, 1, 127, 128, 1 << 40} {
		frame := protocol.AppendLastInputSeq(append([]byte(nil), shared...), seq)
		var env protocol.Envelope
		if err := protocol.Decode(frame, 0, &env); err != nil {
			t.Fatal(err)
		}
		st := env.GetState()
		if st.GetLastInputSeq() != seq || st.GetRoomId() != "r1" || st.GetTick() != 7 || string(st.GetSnapshot()) != "\x01\x02" {
			t.Fatalf("seq %d: decoded %v", seq, st)
		}
	}
}

func TestErrorTable(t *testing.T) {
	seen := map[string]bool{}
	for v := range tickwirev1.ErrorCode_name {
		name := protocol.CodeName(tickwirev1.ErrorCode(v))
		if seen[name] || strings.ContainsAny(name, " ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
			t.Fatalf("bad or duplicate code name %q", name)
		}
		seen[name] = true
	}
	e := protocol.Errorf(protocol.CodeRoomFull, "room %q is full", "r1")
	if e.Error() != `room_full: room "r1" is full` {
		t.Fatalf("Error() = %q", e.Error())
	}
	wrapped := errors.Join(errors.New("context"), e)
	if !errors.Is(wrapped, &protocol.Error{Code: protocol.CodeRoomFull}) {
		t.Fatal("errors.Is by code failed")
	}
	if got := protocol.AsError(errors.New("disk on fire")); got.Code != protocol.CodeInternal || strings.Contains(got.Msg, "disk") {
		t.Fatalf("AsError leaked detail or wrong code: %v", got)
	}
}

func TestCloseCodesUnique(t *testing.T) {
	seen := map[protocol.CloseCode]bool{}
	for _, c := range protocol.CloseCodes() {
		if seen[c.Code] || c.Reason == "" || len(c.Reason) > 123 {
			t.Fatalf("close code %d duplicated or with a bad reason %q", c.Code, c.Reason)
		}
		if c.Code >= 1012 && (c.Code < 4000 || c.Code > 4999) {
			t.Fatalf("close code %d outside RFC 6455 and 4000-4999", c.Code)
		}
		seen[c.Code] = true
	}
}

func FuzzDecodeEnvelope(f *testing.F) {
	for _, env := range realFrames() {
		b, err := protocol.Append(nil, env)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{0x08, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		var env protocol.Envelope
		v, fast := protocol.ParseInput(data)
		if err := protocol.Decode(data, protocol.DefaultMaxMessageBytes, &env); err != nil {
			if fast {
				t.Fatalf("ParseInput accepted %x, which Decode refuses: %v", data, err)
			}
			return
		}
		// The server's fast path reads an Input exactly as Decode does.
		if in := env.GetInput(); fast && (in == nil || string(v.RoomID) != in.RoomId || v.Seq != in.Seq || string(v.Payload) != string(in.Payload) || v.Ref != env.Ref) {
			t.Fatalf("ParseInput read %+v, Decode %v", v, &env)
		}
		// Whatever decodes must re-encode and decode to the same message.
		b, err := protocol.Append(nil, &env)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		var again protocol.Envelope
		if err := protocol.Decode(b, 0, &again); err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if !proto.Equal(&env, &again) {
			t.Fatalf("re-decode changed %v into %v", &env, &again)
		}
	})
}

func BenchmarkEncodeInput(b *testing.B) {
	env := realFrames()[2]
	b.ReportAllocs()
	for b.Loop() {
		buf, err := protocol.Encode(env)
		if err != nil {
			b.Fatal(err)
		}
		buf.Release()
	}
}

func BenchmarkDecodeInput(b *testing.B) {
	data, _ := protocol.Append(nil, realFrames()[2])
	var env protocol.Envelope
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := protocol.Decode(data, 0, &env); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseInput is the server's path for the same frame as
// BenchmarkDecodeInput: read in place, no Envelope.
func BenchmarkParseInput(b *testing.B) {
	data, _ := protocol.Append(nil, realFrames()[2])
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, ok := protocol.ParseInput(data); !ok {
			b.Fatal("not an input")
		}
	}
}

// TestParseInputAgreesWithDecode: for every frame ParseInput accepts, it
// reads what Decode does; it accepts the real Input frames.
func TestParseInputAgreesWithDecode(t *testing.T) {
	for i, env := range realFrames() {
		data, _ := protocol.Append(nil, env)
		v, ok := protocol.ParseInput(data)
		in := env.GetInput()
		if ok != (in != nil) {
			t.Fatalf("frame %d: ParseInput ok=%v for %T", i, ok, env.Msg)
		}
		if ok && (string(v.RoomID) != in.RoomId || v.Seq != in.Seq || string(v.Payload) != string(in.Payload) || v.Ref != env.Ref) {
			t.Fatalf("frame %d: ParseInput read %+v, Decode %v", i, v, in)
		}
	}
	// Repeated fields, unknown fields and bad UTF-8 go to Decode.
	for _, data := range [][]byte{
		{0x6a, 0x02, 0x10, 0x01, 0x6a, 0x02, 0x10, 0x02}, // input twice
		{0x6a, 0x02, 0x20, 0x01},                         // unknown Input field 4
		{0x6a, 0x03, 0x0a, 0x01, 0xff},                   // room id not UTF-8
		{0x08, 0x01},                                     // ref only
	} {
		if _, ok := protocol.ParseInput(data); ok {
			t.Errorf("ParseInput accepted %x", data)
		}
	}
}

func BenchmarkAppendLastInputSeq(b *testing.B) {
	shared := make([]byte, 200)
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = protocol.AppendLastInputSeq(append(buf[:0], shared...), 123456)
	}
}

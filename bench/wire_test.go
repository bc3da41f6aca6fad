package main

import (
	"bytes"
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
)

// stateWire is a state frame as the server writes it: the shared
// Envelope{StateFrame} and the receiver's appended last_input_seq.
func stateWire(t testing.TB, ref uint32, tick, seq uint64) []byte {
	t.Helper()
	env := &protocol.Envelope{Ref: ref, Msg: &tickwirev1.Envelope_State{State: &tickwirev1.StateFrame{
		RoomId: "abcd2345", Tick: tick, ServerTimeUnixNano: 1 << 60,
		Body: &tickwirev1.StateFrame_Delta{Delta: &tickwirev1.Delta{Patch: bytes.Repeat([]byte{0x0a, 0x01, 'x'}, 40)}},
	}}}
	b, err := protocol.Append(nil, env)
	if err != nil {
		t.Fatal(err)
	}
	return protocol.AppendLastInputSeq(b, seq)
}

func encode(t testing.TB, env *protocol.Envelope) []byte {
	t.Helper()
	b, err := protocol.Append(nil, env)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestScanEnvelope(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    []byte
		want wireScan
	}{
		{"state with appended seq", stateWire(t, 0, 77, 1234), wireScan{kind: wireState, tick: 77, lastSeq: 1234}},
		{"state without seq", stateWire(t, 0, 78, 0), wireScan{kind: wireState, tick: 78}},
		{"state with ref", stateWire(t, 9, 79, 300), wireScan{kind: wireState, ref: 9, tick: 79, lastSeq: 300}},
		{"state whose seq is inside", encode(t, &protocol.Envelope{Msg: &tickwirev1.Envelope_State{State: &tickwirev1.StateFrame{Tick: 5, LastInputSeq: 6}}}),
			wireScan{kind: wireState, tick: 5, lastSeq: 6}},
		{"pong", encode(t, &protocol.Envelope{Ref: 3, Msg: &tickwirev1.Envelope_Pong{Pong: &tickwirev1.Pong{ClientTimeUnixNano: 1 << 61, ServerTimeUnixNano: 5}}}),
			wireScan{kind: wirePong, ref: 3, clientTime: 1 << 61}},
		{"joined", encode(t, &protocol.Envelope{Ref: 1, Msg: &tickwirev1.Envelope_Joined{Joined: &tickwirev1.Joined{RoomId: "r", TickHz: 20}}}),
			wireScan{kind: wireOther, ref: 1}},
		{"error", encode(t, &protocol.Envelope{Ref: 12, Msg: &tickwirev1.Envelope_Error{Error: &tickwirev1.Error{Message: "inbox full"}}}),
			wireScan{kind: wireOther, ref: 12}},
		{"state then another member", append(stateWire(t, 0, 1, 2), encode(t, &protocol.Envelope{Msg: &tickwirev1.Envelope_Left{Left: &tickwirev1.Left{RoomId: "r"}}})...),
			wireScan{kind: wireOther, tick: 1, lastSeq: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := scanEnvelope(tc.b)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("scan = %+v, want %+v", got, tc.want)
			}
			checkScanAgainstDecode(t, tc.b)
		})
	}
	for _, bad := range [][]byte{{0x0a}, {0x8a, 0x02, 0x05, 0x10}, {0x8a, 0x02, 0x02, 0x10, 0xff}, {0xff}} {
		if _, err := scanEnvelope(bad); !errors.Is(err, errWire) {
			t.Errorf("scan %x: err %v, want errWire", bad, err)
		}
	}
}

// checkScanAgainstDecode checks what scanEnvelope says of b against the
// full decoder: a state frame or pong it reads must decode to the same
// values.
func checkScanAgainstDecode(t *testing.T, b []byte) {
	t.Helper()
	s, err := scanEnvelope(b)
	if err != nil {
		return
	}
	var env protocol.Envelope
	if err := protocol.Decode(b, 0, &env); err != nil {
		return // the lean client counts it undecodable too, at its full decode or not at all
	}
	if s.ref != env.Ref {
		t.Errorf("ref %d, decoded %d", s.ref, env.Ref)
	}
	switch s.kind {
	case wireState:
		sf := env.GetState()
		if sf == nil {
			t.Fatalf("scan says state, decoded %T", env.Msg)
		}
		if s.tick != sf.Tick || s.lastSeq != sf.LastInputSeq {
			t.Errorf("scan tick %d seq %d, decoded %d %d", s.tick, s.lastSeq, sf.Tick, sf.LastInputSeq)
		}
	case wirePong:
		p := env.GetPong()
		if p == nil {
			t.Fatalf("scan says pong, decoded %T", env.Msg)
		}
		if s.clientTime != p.ClientTimeUnixNano {
			t.Errorf("scan client time %d, decoded %d", s.clientTime, p.ClientTimeUnixNano)
		}
	}
}

func FuzzScanEnvelope(f *testing.F) {
	f.Add(stateWire(f, 0, 77, 1234))
	f.Add(stateWire(f, 4, 1, 0))
	f.Add(encode(f, &protocol.Envelope{Msg: &tickwirev1.Envelope_Pong{Pong: &tickwirev1.Pong{ClientTimeUnixNano: -1}}}))
	f.Add(encode(f, &protocol.Envelope{Ref: 1, Msg: &tickwirev1.Envelope_Joined{Joined: &tickwirev1.Joined{RoomId: "r"}}}))
	f.Fuzz(func(t *testing.T, b []byte) { checkScanAgainstDecode(t, b) })
}

// TestScanEnvelopeAllocs: reading a state frame or a pong allocates nothing.
func TestScanEnvelopeAllocs(t *testing.T) {
	state := stateWire(t, 0, 77, 1234)
	pong := encode(t, &protocol.Envelope{Msg: &tickwirev1.Envelope_Pong{Pong: &tickwirev1.Pong{ClientTimeUnixNano: 99}}})
	if n := testing.AllocsPerRun(100, func() {
		_, _ = scanEnvelope(state)
		_, _ = scanEnvelope(pong)
	}); n != 0 {
		t.Errorf("%v allocations per scan, want 0", n)
	}
}

// TestWireFieldNumbers checks the hand-written field numbers against the
// generated descriptors.
func TestWireFieldNumbers(t *testing.T) {
	check := func(m proto.Message, name string, want int) {
		t.Helper()
		fd := m.ProtoReflect().Descriptor().Fields().ByName(protoreflect.Name(name))
		if fd == nil || int(fd.Number()) != want {
			t.Errorf("%s.%s: field %v, the scanner uses %d", m.ProtoReflect().Descriptor().Name(), name, fd, want)
		}
	}
	check(&tickwirev1.Envelope{}, "ref", envRefField)
	check(&tickwirev1.Envelope{}, "input", envInputField)
	check(&tickwirev1.Envelope{}, "ping", envPingField)
	check(&tickwirev1.Envelope{}, "state", envStateField)
	check(&tickwirev1.Envelope{}, "pong", envPongField)
	check(&tickwirev1.StateFrame{}, "tick", frameTickField)
	check(&tickwirev1.StateFrame{}, "last_input_seq", frameLastSeqField)
	check(&tickwirev1.Input{}, "room_id", inputRoomField)
	check(&tickwirev1.Input{}, "seq", inputSeqField)
	check(&tickwirev1.Input{}, "payload", inputPayloadField)
	check(&tickwirev1.Ping{}, "client_time_unix_nano", pingClientField)
	check(&tickwirev1.Pong{}, "client_time_unix_nano", pongClientField)
}

// TestHandEncodedEnvelopes: the lean scheduler's inputs and pings are the
// bytes protocol.Encode writes.
func TestHandEncodedEnvelopes(t *testing.T) {
	for _, in := range []*tickwirev1.Input{
		{RoomId: "abcd2345", Seq: 1, Payload: []byte{0x0d, 1, 2, 3, 4}},
		{RoomId: "abcd2345", Seq: 1 << 40, Payload: bytes.Repeat([]byte{7}, 200)},
		{Seq: 3},
		{},
	} {
		for _, ref := range []uint32{0, 1, 300, 1 << 31} {
			want := encode(t, &protocol.Envelope{Ref: ref, Msg: &tickwirev1.Envelope_Input{Input: in}})
			if got := appendInputEnvelope(nil, ref, in.RoomId, in.Seq, in.Payload); !bytes.Equal(got, want) {
				t.Errorf("input %v ref %d: %x, want %x", in, ref, got, want)
			}
		}
	}
	for _, ts := range []int64{0, 1, 1 << 62, -5} {
		want := encode(t, &protocol.Envelope{Msg: &tickwirev1.Envelope_Ping{Ping: &tickwirev1.Ping{ClientTimeUnixNano: ts}}})
		if got := appendPingEnvelope(nil, ts); !bytes.Equal(got, want) {
			t.Errorf("ping %d: %x, want %x", ts, got, want)
		}
	}
}

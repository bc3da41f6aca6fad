package server

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	_ "github.com/tickwire/tickwire/examples/arena" // registers "arena"
	"github.com/tickwire/tickwire/internal/nbclose"
	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/tick"
)

// inboundRig is one /ws session seated in a real arena room, with the
// server's real frame path (wsConn.Parse → ParseInput → the seat) and a
// net.Pipe standing in for the socket the session writes to.
type inboundRig struct {
	rooms *tick.Rooms
	wc    *wsConn
	frame []byte // a masked client frame of Envelope{Input}, as sent
	buf   []byte
}

func newInboundRig(tb testing.TB) *inboundRig {
	tb.Helper()
	rooms, err := tick.NewRooms(tick.Options{InputsPerTick: 1024, InboxSize: 4096})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = rooms.Close(context.Background()) })
	s, err := New(Options{Addr: "127.0.0.1:0", Rooms: createJoiner{rooms}})
	if err != nil {
		tb.Fatal(err)
	}

	local, remote := net.Pipe()
	go func() { _, _ = io.Copy(io.Discard, remote) }()
	tb.Cleanup(func() { local.Close(); remote.Close() })
	wc := &wsConn{srv: s, conn: local, w: nbclose.NewWriter(local)}
	wc.parser.MaxMessage = s.opts.MaxMessageBytes
	sess := newSession(s, wc, endpointGame, "127.0.0.1")
	sess.game = &gameState{player: "p1", known: true}
	wc.sess = sess
	s.openGame(sess)

	var roomID string
	err = s.opts.Rooms.Join(&tickwirev1.JoinRoom{Game: "arena", Create: true}, "p1", &roomPeer{s: sess}, func(id string, seat RoomSeat) {
		roomID = id
		sess.game.rooms = map[string]RoomSeat{id: seat}
	})
	if err != nil {
		tb.Fatal(err)
	}
	payload, _ := proto.Marshal(&arenav1.Input{Dx: 0.5, Dy: -0.25})
	env, _ := proto.Marshal(&protocol.Envelope{Msg: &tickwirev1.Envelope_Input{Input: &tickwirev1.Input{RoomId: roomID, Seq: 7, Payload: payload}}})
	frame := []byte{0x82, 0x80 | byte(len(env)), 1, 2, 3, 4}
	for i, c := range env {
		frame = append(frame, c^frame[2+i%4])
	}
	return &inboundRig{rooms: rooms, wc: wc, frame: frame, buf: make([]byte, len(frame))}
}

// createJoiner seats every JoinRoom in a new room of its game: the
// smallest RoomJoiner (the real one, gateway.TickRooms, imports server).
type createJoiner struct{ rooms *tick.Rooms }

func (j createJoiner) Join(req *tickwirev1.JoinRoom, player string, peer Peer, register func(string, RoomSeat)) error {
	h, err := j.rooms.Create(context.Background(), req.Game, tick.RoomOptions{})
	if err != nil {
		return err
	}
	register(h.ID(), seat{h, tick.PlayerID(player), peer})
	return h.Join(context.Background(), tick.PlayerID(player), peer)
}

type seat struct {
	h      *tick.Handle
	player tick.PlayerID
	peer   Peer
}

func (s seat) Input(seq uint64, payload []byte) error { return s.h.Input(s.player, seq, payload) }
func (s seat) Leave()                                 { s.h.Leave(s.player) }
func (s seat) Disconnect()                            { s.h.Disconnect(s.player, s.peer) }

// feed hands the poller's read of one Input frame to the connection.
func (r *inboundRig) feed() {
	copy(r.buf, r.frame) // Parse unmasks in place
	_ = r.wc.Parse(r.buf)
}

// TestInboundInputAllocatesNothing: an Input frame is read, unmasked,
// decoded and queued for its room on the goroutine that read it without a
// heap allocation (issue: zero allocations per inbound Input).
func TestInboundInputAllocatesNothing(t *testing.T) {
	r := newInboundRig(t)
	// Fill the room's pool of input messages: 250 inputs wait in the inbox
	// until a tick hands their messages back.
	for range 250 {
		r.feed()
	}
	r.rooms.TickStats()
	deadline := time.Now().Add(5 * time.Second)
	for ticks := uint64(0); ticks < 2; ticks += r.rooms.TickStats().Ticks { // the second began after the feeds
		if time.Now().After(deadline) {
			t.Fatal("the room did not tick")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := testing.AllocsPerRun(200, r.feed); got != 0 {
		t.Fatalf("allocations per inbound Input = %v, want 0", got)
	}
	if c := r.wc.sess.closedWith(); c != 0 {
		t.Fatalf("session closed with %d", c)
	}
}

// BenchmarkInboundInput is the server's cost of one Input frame from the
// poller's read to the room's inbox. The room drains its inbox at its 20 Hz
// tick; the loop pauses for a tick every 1,000 inputs so that it stays
// below the per-player cap.
func BenchmarkInboundInput(b *testing.B) {
	r := newInboundRig(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(r.frame)))
	n := 0
	for b.Loop() {
		r.feed()
		if n++; n%1000 == 0 {
			b.StopTimer()
			time.Sleep(60 * time.Millisecond) // let the room's tick drain the inbox
			b.StartTimer()
		}
	}
}

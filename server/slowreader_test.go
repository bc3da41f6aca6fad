package server_test

import (
	"context"
	"crypto/rand"
	"net"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/tickwire/tickwire/client"
	"github.com/tickwire/tickwire/gateway"
	testingv1 "github.com/tickwire/tickwire/proto/tickwire/testing/v1"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/tick"
)

// flood is a test game whose whole state changes every tick: 48 KiB of
// fresh bytes at 60 Hz, about 2.9 MB/s per player.
type flood struct{}

func (flood) Init(*tick.Room[*testingv1.Leaf]) error                { return nil }
func (flood) Join(*tick.Room[*testingv1.Leaf], tick.PlayerID) error { return nil }
func (flood) Leave(*tick.Room[*testingv1.Leaf], tick.PlayerID)      {}
func (flood) Input(*tick.Room[*testingv1.Leaf], tick.PlayerID, *testingv1.Leaf) {
}
func (flood) Tick(r *tick.Room[*testingv1.Leaf], _ time.Duration) {
	s := r.State()
	if len(s.Data) == 0 {
		s.Data = make([]byte, 48<<10)
	}
	_, _ = rand.Read(s.Data)
}

func startRooms(t *testing.T, reg *tick.Registry) *tick.Rooms {
	t.Helper()
	rooms, err := tick.NewRooms(tick.Options{Registry: reg, Registerer: prometheus.NewRegistry(), Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rooms.Close(context.Background()) })
	return rooms
}

// TestSlowReaderGetsSnapshotNotBacklog: a client that stops reading while
// its room keeps changing is not sent a backlog when it resumes: the
// server drops the deltas it could not take and sends a fresh snapshot.
func TestSlowReaderGetsSnapshotNotBacklog(t *testing.T) {
	reg := tick.NewRegistry()
	tick.RegisterIn(reg, tick.GameInfo{Name: "flood", TickHz: 60, MaxPlayers: 4}, func() tick.Game[*testingv1.Leaf, *testingv1.Leaf] { return flood{} })
	rooms := startRooms(t, reg)
	s2 := servertest.StartTestServer(t, server.Options{WriteHighWater: 32 << 10, Logger: zerolog.Nop(), Rooms: &gateway.TickRooms{Rooms: rooms, OpenJoin: true}})

	// A client with a small receive buffer, so that not reading backs up
	// into the server quickly.
	dialer := &net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		_ = c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 8<<10) })
		return serr
	}}
	hc := &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}
	defer hc.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, servertest.URL(s2, true, "/ws"), &websocket.DialOptions{HTTPClient: hc, Subprotocols: []string{protocol.Subprotocol}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	c.SetReadLimit(1 << 20)
	writeEnvelope(t, c, &protocol.Envelope{Ref: 1, Msg: &tickwirev1.Envelope_JoinRoom{JoinRoom: &tickwirev1.JoinRoom{Game: "flood"}}})

	// One reader goroutine; the test pauses it by holding gate. (Cancelling
	// a coder/websocket Read closes the connection, so reads are never
	// cancelled.)
	var gate sync.Mutex
	frameCh := make(chan *protocol.Envelope, 4096)
	readDone := make(chan error, 1)
	go func() {
		for {
			gate.Lock()
			_, data, err := c.Read(ctx)
			gate.Unlock()
			if err != nil {
				readDone <- err
				return
			}
			env := new(protocol.Envelope)
			if err := protocol.Decode(data, 0, env); err != nil {
				readDone <- err
				return
			}
			frameCh <- env
		}
	}()
	defer func() { c.CloseNow(); <-readDone }()

	replica := client.NewReplica[*testingv1.Leaf]("")
	var frames, snapshots int
	var lastTick uint64
	read := func(d time.Duration) {
		t.Helper()
		timeout := time.After(d)
		for {
			var env *protocol.Envelope
			select {
			case env = <-frameCh:
			case err := <-readDone:
				t.Fatalf("read: %v", err)
			case <-timeout:
				return
			}
			if j := env.GetJoined(); j != nil {
				replica.RoomID = j.RoomId
			}
			st := env.GetState()
			if st == nil {
				continue
			}
			if st.Tick <= lastTick {
				t.Fatalf("tick %d after %d: frames out of order", st.Tick, lastTick)
			}
			lastTick = st.Tick
			if _, err := replica.Apply(st); err != nil {
				t.Fatalf("apply frame of tick %d: %v", st.Tick, err)
			}
			frames++
			if st.GetSnapshot() != nil {
				snapshots++
			}
		}
	}
	read(300 * time.Millisecond)
	if snapshots != 1 || frames < 5 {
		t.Fatalf("before the pause: %d frames, %d snapshots; want a snapshot then deltas", frames, snapshots)
	}
	gate.Lock()
	for len(frameCh) > 0 { // what was read before the pause
		read(10 * time.Millisecond)
	}
	framesBefore, tickBefore := frames, lastTick
	time.Sleep(2 * time.Second) // stop reading: ~120 ticks of 48 KiB pile up against the socket
	gate.Unlock()
	read(1500 * time.Millisecond)

	ticks := lastTick - tickBefore
	got := frames - framesBefore
	if snapshots < 2 {
		t.Fatalf("no fresh snapshot after the pause (%d frames over %d ticks)", got, ticks)
	}
	if dropped := metricValue(t, s2, "tickwire_dropped_deltas_total"); dropped == 0 {
		t.Fatal("no deltas were dropped: the pause did not back up the socket")
	}
	if uint64(got) >= ticks {
		t.Fatalf("received %d frames over %d ticks: the backlog was replayed", got, ticks)
	}
	if len(replica.State.GetData()) != 48<<10 {
		t.Fatalf("replica has %d bytes of state, want %d", len(replica.State.GetData()), 48<<10)
	}
	t.Logf("after a 2 s pause: %d frames (%d snapshots in all) over %d ticks", got, snapshots, ticks)
}

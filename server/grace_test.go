package server_test

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/tickwire/tickwire/client"
	"github.com/tickwire/tickwire/gateway"
	"github.com/tickwire/tickwire/lobby"
	testingv1 "github.com/tickwire/tickwire/proto/tickwire/testing/v1"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/tick"
)

// idle is a test game that does nothing, with a short reconnection grace.
type idle struct{}

func (idle) Init(*tick.Room[*testingv1.Leaf]) error                            { return nil }
func (idle) Join(*tick.Room[*testingv1.Leaf], tick.PlayerID) error             { return nil }
func (idle) Leave(*tick.Room[*testingv1.Leaf], tick.PlayerID)                  {}
func (idle) Input(*tick.Room[*testingv1.Leaf], tick.PlayerID, *testingv1.Leaf) {}
func (idle) Tick(*tick.Room[*testingv1.Leaf], time.Duration)                   {}

// TestGraceRunsOutThenPlayerIsFree: a player whose connection drops keeps
// his seat for the game's grace; after it the room lets him go and the
// lobby frees him (he can queue again), and coming back puts him in the
// room as a new arrival.
func TestGraceRunsOutThenPlayerIsFree(t *testing.T) {
	reg := tick.NewRegistry()
	tick.RegisterIn(reg, tick.GameInfo{Name: "idle", TickHz: 20, MaxPlayers: 4, ReconnectGrace: 300 * time.Millisecond},
		func() tick.Game[*testingv1.Leaf, *testingv1.Leaf] { return idle{} })
	var lob *lobby.Lobby
	rooms, err := tick.NewRooms(tick.Options{Registry: reg, Registerer: prometheus.NewRegistry(), Logger: zerolog.Nop(),
		OnUnseat: func(room string, p tick.PlayerID) { _ = lob.Release(string(p), room) }})
	if err != nil {
		t.Fatal(err)
	}
	lob, err = lobby.New(lobby.Options{Rooms: rooms, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	s := servertest.StartTestServer(t, server.Options{Logger: zerolog.Nop(), Rooms: &gateway.TickRooms{Rooms: rooms, Lobby: lob}, Lobby: gateway.Lobby(lob), Authenticate: lob.Authenticate}, func(srv *server.Server) {
		srv.OnShutdown(lob.Close)
		srv.OnShutdown(rooms.Close)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	g, err := lob.CreateGuest(ctx, "dora")
	if err != nil {
		t.Fatal(err)
	}
	dial := func() *client.Conn {
		c, err := client.Dial(ctx, servertest.URL(s, true, "/ws?token="+url.QueryEscape(g.Token)), client.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close(context.Background()) })
		if w, err := c.Recv(ctx); err != nil || w.GetWelcome().GetPlayerId() != g.PlayerID {
			t.Fatalf("welcome = %v %v", w, err)
		}
		return c
	}
	join := func(c *client.Conn, req *tickwirev1.JoinRoom) string {
		reply, err := c.Request(ctx, &protocol.Envelope{Msg: &tickwirev1.Envelope_JoinRoom{JoinRoom: req}})
		if err != nil || reply.GetJoined() == nil {
			t.Fatalf("join %v: %v %v", req, reply, err)
		}
		return reply.GetJoined().RoomId
	}
	c1 := dial()
	room := join(c1, &tickwirev1.JoinRoom{Game: "idle"})
	h, err := rooms.Get(room)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lob.CreateTicket(ctx, g.PlayerID, &tickwirev1.CreateTicket{Game: "idle"}); !errors.Is(err, lobby.ErrAlreadyInRoom) {
		t.Fatalf("ticket while seated: %v, want ErrAlreadyInRoom", err)
	}
	// The connection drops: the seat waits out the grace, then is freed.
	dropped := time.Now()
	if err := c1.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if h.Players() != 1 {
		t.Fatalf("players right after the drop = %d, want the seat kept", h.Players())
	}
	var ticket string
	servertest.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if h.Players() != 0 {
			return errors.New("still seated")
		}
		id, err := lob.CreateTicket(ctx, g.PlayerID, &tickwirev1.CreateTicket{Game: "idle"})
		if err != nil {
			return err
		}
		ticket = id
		return nil
	})
	if waited := time.Since(dropped); waited < 300*time.Millisecond {
		t.Fatalf("seat freed after %v, before the 300ms grace", waited)
	}
	if _, err := lob.CancelTicket(ctx, g.PlayerID, ticket); err != nil {
		t.Fatal(err)
	}
	// Coming back after the grace: a new arrival in the same (public) room.
	c2 := dial()
	if again := join(c2, &tickwirev1.JoinRoom{RoomId: room}); again != room || h.Players() != 1 {
		t.Fatalf("rejoined %s with %d players, want %s with 1", again, h.Players(), room)
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/client"
	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
)

// api calls the lobby's HTTP JSON API and decodes the answer into out.
func api(t *testing.T, srv *server.Server, method, path, token string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, "http://"+srv.Addr()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode
}

type guest struct {
	PlayerID string `json:"player_id"`
	Token    string `json:"token"`
}

type grant struct {
	RoomID   string `json:"room_id"`
	JoinCode string `json:"join_code"`
	Seat     string `json:"seat"`
}

func newGuest(t *testing.T, srv *server.Server, name string) guest {
	t.Helper()
	var g guest
	if code := api(t, srv, "POST", "/lobby/guest", "", map[string]string{"name": name}, &g); code != 200 || g.Token == "" {
		t.Fatalf("POST /lobby/guest = %d %+v", code, g)
	}
	return g
}

// dialAs opens /ws as the guest and reads the Welcome.
func dialAs(t *testing.T, ctx context.Context, srv *server.Server, g guest) *client.Conn {
	t.Helper()
	c, err := client.Dial(ctx, "ws://"+srv.Addr()+"/ws?token="+url.QueryEscape(g.Token), client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	w, err := c.Recv(ctx)
	if err != nil || w.GetWelcome().GetPlayerId() != g.PlayerID {
		t.Fatalf("welcome = %v, %v; want player %s", w, err, g.PlayerID)
	}
	return c
}

func joinRoom(ctx context.Context, c *client.Conn, req *tickwirev1.JoinRoom) (*tickwirev1.Joined, error) {
	reply, err := c.Request(ctx, &protocol.Envelope{Msg: &tickwirev1.Envelope_JoinRoom{JoinRoom: req}})
	if err != nil {
		return nil, err
	}
	return reply.GetJoined(), nil
}

// playOnce sends one input and waits for a state frame acknowledging it.
func playOnce(t *testing.T, ctx context.Context, c *client.Conn, room string) *client.Replica[*arenav1.State] {
	t.Helper()
	payload, _ := proto.Marshal(&arenav1.Input{Dx: 1})
	if err := c.Send(&protocol.Envelope{Msg: &tickwirev1.Envelope_Input{Input: &tickwirev1.Input{RoomId: room, Seq: 1, Payload: payload}}}); err != nil {
		t.Fatal(err)
	}
	rep := client.NewReplica[*arenav1.State](room)
	for {
		env, err := c.Recv(ctx)
		if err != nil {
			t.Fatalf("waiting for state: %v", err)
		}
		if _, err := rep.Apply(env.GetState()); err != nil {
			t.Fatal(err)
		}
		if rep.Ready() && rep.LastInputSeq >= 1 {
			return rep
		}
	}
}

func wireCode(err error) tickwirev1.ErrorCode {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	return -1
}

// TestMatchmakingToPlaying: HTTP guest → ticket → matched → seat → /ws
// join → playing, for two players, and the seat cannot be used again.
func TestMatchmakingToPlaying(t *testing.T) {
	srv := startDemo(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ann, bob := newGuest(t, srv, "ann"), newGuest(t, srv, "bob")
	var tickets []string
	for _, g := range []guest{ann, bob} {
		var out struct {
			TicketID string `json:"ticket_id"`
		}
		if code := api(t, srv, "POST", "/lobby/tickets", g.Token, map[string]any{"game": "arena", "skill": 1500}, &out); code != 200 || out.TicketID == "" {
			t.Fatalf("POST /lobby/tickets = %d %+v", code, out)
		}
		tickets = append(tickets, out.TicketID)
	}
	type ticket struct {
		Status string `json:"status"`
		RoomID string `json:"room_id"`
		Seat   string `json:"seat"`
	}
	var views [2]ticket
	servertest.CheckFor(t, 15*time.Second, 50*time.Millisecond, func() error {
		for i, g := range []guest{ann, bob} {
			if code := api(t, srv, "GET", "/lobby/tickets/"+tickets[i], g.Token, nil, &views[i]); code != 200 {
				return fmt.Errorf("GET ticket = %d", code)
			}
			if views[i].Status != "matched" {
				return fmt.Errorf("ticket %d is %q", i, views[i].Status)
			}
		}
		return nil
	})
	if views[0].RoomID != views[1].RoomID || views[0].Seat == views[1].Seat {
		t.Fatalf("matched tickets = %+v: want one room, two seats", views)
	}
	for i, g := range []guest{ann, bob} {
		c := dialAs(t, ctx, srv, g)
		j, err := joinRoom(ctx, c, &tickwirev1.JoinRoom{Seat: views[i].Seat})
		if err != nil || j.GetRoomId() != views[i].RoomID {
			t.Fatalf("join with seat: %v %v", j, err)
		}
		rep := playOnce(t, ctx, c, j.RoomId)
		if _, ok := rep.State.Players[g.PlayerID]; !ok {
			t.Fatalf("%s is not in the room's state", g.PlayerID)
		}
	}
	// The same seat again, from a new connection: refused, typed.
	c := dialAs(t, ctx, srv, ann)
	if _, err := joinRoom(ctx, c, &tickwirev1.JoinRoom{Seat: views[0].Seat}); wireCode(err) != protocol.CodeSeatInvalid {
		t.Fatalf("reused seat: %v, want SEAT_INVALID", err)
	}
	// A forged seat and another player's seat: refused too.
	if _, err := joinRoom(ctx, c, &tickwirev1.JoinRoom{Seat: views[0].Seat[:len(views[0].Seat)-2] + "AA"}); wireCode(err) != protocol.CodeSeatInvalid {
		t.Fatalf("forged seat: %v, want SEAT_INVALID", err)
	}
}

// TestRoomBrowserJoinCodeQuickJoin: a public room found in the browser,
// the same room by join code and by quick-join, each then joined on /ws.
func TestRoomBrowserJoinCodeQuickJoin(t *testing.T) {
	srv := startDemo(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ann, bob, cat := newGuest(t, srv, "ann"), newGuest(t, srv, "bob"), newGuest(t, srv, "cat")
	var created grant
	if code := api(t, srv, "POST", "/lobby/rooms", ann.Token, map[string]any{"game": "arena", "private": false, "max_players": 4}, &created); code != 200 || created.JoinCode == "" {
		t.Fatalf("POST /lobby/rooms = %d %+v", code, created)
	}
	var list struct {
		Rooms []struct {
			ID         string `json:"id"`
			Game       string `json:"game"`
			MaxPlayers int    `json:"max_players"`
			Private    bool   `json:"private"`
			Joinable   bool   `json:"joinable"`
		} `json:"rooms"`
	}
	api(t, srv, "GET", "/lobby/rooms?game=arena", bob.Token, nil, &list)
	if len(list.Rooms) != 1 || list.Rooms[0].ID != created.RoomID || list.Rooms[0].MaxPlayers != 4 || !list.Rooms[0].Joinable {
		t.Fatalf("room browser = %+v, want the new room", list)
	}
	var byCode, quick grant
	if code := api(t, srv, "POST", "/lobby/join", bob.Token, map[string]any{"join_code": created.JoinCode}, &byCode); code != 200 || byCode.RoomID != created.RoomID {
		t.Fatalf("join by code = %d %+v", code, byCode)
	}
	if code := api(t, srv, "POST", "/lobby/join", cat.Token, map[string]any{"game": "arena", "quick": true}, &quick); code != 200 || quick.RoomID != created.RoomID {
		t.Fatalf("quick-join = %d %+v, want the fullest room %s", code, quick, created.RoomID)
	}
	for _, p := range []struct {
		g    guest
		seat string
	}{{ann, created.Seat}, {bob, byCode.Seat}, {cat, quick.Seat}} {
		c := dialAs(t, ctx, srv, p.g)
		j, err := joinRoom(ctx, c, &tickwirev1.JoinRoom{Seat: p.seat})
		if err != nil || j.GetRoomId() != created.RoomID {
			t.Fatalf("%s joins: %v %v", p.g.PlayerID, j, err)
		}
		playOnce(t, ctx, c, created.RoomID)
	}
	servertest.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
		var l struct {
			Rooms []struct {
				Players int `json:"players"`
			} `json:"rooms"`
		}
		api(t, srv, "GET", "/lobby/rooms?game=arena", bob.Token, nil, &l)
		if len(l.Rooms) != 1 || l.Rooms[0].Players != 3 {
			return fmt.Errorf("browser shows %+v, want 3 players", l)
		}
		return nil
	})
}

// TestLobbyOverWebSocket: the lobby's second face, on /ws with a guest
// identity the server made for an anonymous session.
func TestLobbyOverWebSocket(t *testing.T) {
	srv := startDemo(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, "ws://"+srv.Addr()+"/ws", client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	w, err := c.Recv(ctx)
	if err != nil || w.GetWelcome().GetToken() == "" {
		t.Fatalf("welcome = %v %v, want a guest token", w, err)
	}
	lobbyReq := func(r *tickwirev1.LobbyRequest) (*tickwirev1.LobbyReply, error) {
		reply, err := c.Request(ctx, &protocol.Envelope{Msg: &tickwirev1.Envelope_Lobby{Lobby: r}})
		return reply.GetLobbyReply(), err
	}
	games, err := lobbyReq(&tickwirev1.LobbyRequest{Op: &tickwirev1.LobbyRequest_ListGames{ListGames: &tickwirev1.ListGames{}}})
	if err != nil || len(games.Games) == 0 || games.Games[0].Name != "arena" {
		t.Fatalf("list games = %v %v", games, err)
	}
	created, err := lobbyReq(&tickwirev1.LobbyRequest{Op: &tickwirev1.LobbyRequest_CreateRoom{CreateRoom: &tickwirev1.CreateRoom{Game: "arena", Private: true}}})
	if err != nil || created.Grant.GetSeat() == "" || created.Grant.GetJoinCode() == "" {
		t.Fatalf("create room = %v %v", created, err)
	}
	if _, err := lobbyReq(&tickwirev1.LobbyRequest{Op: &tickwirev1.LobbyRequest_CreateRoom{CreateRoom: &tickwirev1.CreateRoom{Game: "no-such-game"}}}); wireCode(err) != protocol.CodeGameNotFound {
		t.Fatalf("unknown game: %v, want GAME_NOT_FOUND", err)
	}
	j, err := joinRoom(ctx, c, &tickwirev1.JoinRoom{Seat: created.Grant.Seat})
	if err != nil || j.GetRoomId() != created.Grant.RoomId {
		t.Fatalf("join with the seat: %v %v", j, err)
	}
	playOnce(t, ctx, c, j.RoomId)
	// Private: not in the browser.
	rooms, err := lobbyReq(&tickwirev1.LobbyRequest{Op: &tickwirev1.LobbyRequest_ListRooms{ListRooms: &tickwirev1.ListRooms{Game: "arena"}}})
	if err != nil || len(rooms.Rooms) != 0 {
		t.Fatalf("browser lists a private room: %v %v", rooms, err)
	}
}

// TestReconnectWithinGrace: a player whose connection drops comes back
// with his token within the arena's grace and resumes the same bumper.
func TestReconnectWithinGrace(t *testing.T) {
	srv := startDemo(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ann := newGuest(t, srv, "ann")
	c := dialAs(t, ctx, srv, ann)
	j, err := joinRoom(ctx, c, &tickwirev1.JoinRoom{Game: "arena"})
	if err != nil {
		t.Fatal(err)
	}
	before := playOnce(t, ctx, c, j.RoomId)
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// Back, on a new connection, into the same room without a new seat.
	c2 := dialAs(t, ctx, srv, ann)
	j2, err := joinRoom(ctx, c2, &tickwirev1.JoinRoom{RoomId: j.RoomId})
	if err != nil || j2.GetRoomId() != j.RoomId {
		t.Fatalf("rejoin: %v %v", j2, err)
	}
	after := playOnce(t, ctx, c2, j.RoomId)
	if len(after.State.Players) != 1 || after.State.Players[ann.PlayerID] == nil {
		t.Fatalf("after the reconnect the room has %v, want only %s", after.State.Players, ann.PlayerID)
	}
	if before.State.Players[ann.PlayerID].GetScore() != after.State.Players[ann.PlayerID].GetScore() {
		t.Fatal("score changed: the player was not resumed")
	}
	// Someone else cannot take his place by room id: the room is his.
	bob := newGuest(t, srv, "bob")
	cb := dialAs(t, ctx, srv, bob)
	if jb, err := joinRoom(ctx, cb, &tickwirev1.JoinRoom{RoomId: j.RoomId}); err != nil || jb.GetRoomId() != j.RoomId {
		t.Fatalf("bob joins the public room: %v %v", jb, err)
	}
}

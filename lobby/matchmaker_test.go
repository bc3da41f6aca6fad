package lobby

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
)

func (e *env) status(player, ticket string) *tickwirev1.Ticket {
	e.t.Helper()
	v, err := e.l.Ticket(context.Background(), player, ticket)
	if err != nil {
		e.t.Fatal(err)
	}
	return v
}

func (e *env) ticket(player string, req *tickwirev1.CreateTicket) string {
	e.t.Helper()
	id, err := e.l.CreateTicket(context.Background(), player, req)
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// TestSkillWindowWidens: ratings 200 apart meet when the window reaches 200,
// at (200-50)/25 = 6 s, woken by the matchmaker's timer.
func TestSkillWindowWidens(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Options{})
		ps := e.guests(2)
		a := e.ticket(ps[0], &tickwirev1.CreateTicket{Game: "duel", Skill: 1000})
		b := e.ticket(ps[1], &tickwirev1.CreateTicket{Game: "duel", Skill: 1200})
		time.Sleep(5990 * time.Millisecond)
		synctest.Wait()
		if s := e.status(ps[0], a).Status; s != StatusSearching {
			t.Fatalf("at 5.99 s: %s", s)
		}
		time.Sleep(20 * time.Millisecond)
		synctest.Wait()
		va, vb := e.status(ps[0], a), e.status(ps[1], b)
		if va.Status != StatusMatched || vb.RoomId != va.RoomId {
			t.Fatalf("at 6.01 s: %+v %+v", va, vb)
		}
	})
}

// TestFillWait: squad wants 4; two players wait FillWait (3 s) for more,
// then settle for MinPlayers (2). Two more arriving later get their own.
func TestFillWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Options{})
		ps := e.guests(6)
		a := e.ticket(ps[0], &tickwirev1.CreateTicket{Game: "squad", Skill: 10})
		e.ticket(ps[1], &tickwirev1.CreateTicket{Game: "squad", Skill: 20})
		time.Sleep(2990 * time.Millisecond)
		synctest.Wait()
		if s := e.status(ps[0], a).Status; s != StatusSearching {
			t.Fatalf("before FillWait: %s", s)
		}
		time.Sleep(20 * time.Millisecond)
		synctest.Wait()
		if v := e.status(ps[0], a); v.Status != StatusMatched {
			t.Fatalf("after FillWait: %+v", v)
		}
		room, _ := e.l.dir.Room(context.Background(), e.status(ps[0], a).RoomId)
		if room.MaxPlayers != 2 || !room.Private {
			t.Fatalf("matched room %+v", room)
		}
		// Four at once fill a room without waiting.
		var ids []string
		for _, p := range ps[2:] {
			ids = append(ids, e.ticket(p, &tickwirev1.CreateTicket{Game: "squad", Skill: 10}))
		}
		synctest.Wait()
		for i, id := range ids {
			if v := e.status(ps[2+i], id); v.Status != StatusMatched {
				t.Fatalf("full squad: %+v", v)
			}
		}
	})
}

// TestPartiesAndAttributes: a party of 3 and a solo fill a squad of 4; a
// ticket of another region is not mixed in.
func TestPartiesAndAttributes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Options{FillWait: -1})
		ps := e.guests(5)
		eu := e.ticket(ps[4], &tickwirev1.CreateTicket{Game: "squad", Skill: 10, Region: "eu"})
		// The solo first: the party alone has MinPlayers and would not wait.
		solo := e.ticket(ps[3], &tickwirev1.CreateTicket{Game: "squad", Skill: 12})
		party := e.ticket(ps[0], &tickwirev1.CreateTicket{Game: "squad", Skill: 10, Party: ps[:3]})
		synctest.Wait()
		vp, vs := e.status(ps[1], party), e.status(ps[3], solo)
		if vp.Status != StatusMatched || vs.RoomId != vp.RoomId {
			t.Fatalf("party %+v, solo %+v", vp, vs)
		}
		seats, _ := e.l.dir.Seats(context.Background(), vp.RoomId)
		if len(seats) != 4 {
			t.Fatalf("%d seats", len(seats))
		}
		for _, p := range ps[:3] {
			v := e.status(p, party)
			if _, err := e.l.RedeemSeat(v.Seat, p, vp.RoomId); err != nil {
				t.Fatalf("%s's seat: %v", p, err)
			}
		}
		if v := e.status(ps[4], eu); v.Status != StatusSearching {
			t.Fatalf("eu ticket %+v", v)
		}
	})
}

// TestTicketExpiry: a ticket nobody matches expires after TicketTTL and
// is forgotten after TicketRetention.
func TestTicketExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Options{})
		ps := e.guests(1)
		id := e.ticket(ps[0], &tickwirev1.CreateTicket{Game: "duel"})
		time.Sleep(59 * time.Second)
		synctest.Wait()
		if s := e.status(ps[0], id).Status; s != StatusSearching {
			t.Fatalf("at 59 s: %s", s)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if s := e.status(ps[0], id).Status; s != StatusExpired {
			t.Fatalf("at 60 s: %s", s)
		}
		if _, err := e.l.CancelTicket(context.Background(), ps[0], id); !errors.Is(err, ErrTicketDone) {
			t.Fatalf("cancel an expired ticket: %v", err)
		}
		if _, err := e.l.CreateTicket(context.Background(), ps[0], &tickwirev1.CreateTicket{Game: "duel"}); err != nil {
			t.Fatalf("queue again after expiry: %v", err)
		}
		time.Sleep(5 * time.Minute)
		synctest.Wait()
		if _, err := e.l.Ticket(context.Background(), ps[0], id); !errors.Is(err, ErrTicketNotFound) {
			t.Fatalf("after retention: %v", err)
		}
	})
}

func TestServeSharesTheService(t *testing.T) {
	e := newEnv(t, Options{FillWait: -1})
	ctx := context.Background()
	ps := e.guests(2)
	rep, err := e.l.Serve(ctx, ps[0], &tickwirev1.LobbyRequest{Op: &tickwirev1.LobbyRequest_ListGames{ListGames: &tickwirev1.ListGames{}}})
	if err != nil || len(rep.Games) != len(testGames) {
		t.Fatalf("games: %+v %v", rep, err)
	}
	rep, err = e.l.Serve(ctx, ps[0], &tickwirev1.LobbyRequest{Op: &tickwirev1.LobbyRequest_CreateRoom{CreateRoom: &tickwirev1.CreateRoom{Game: "arena"}}})
	if err != nil || rep.Grant == nil || rep.Grant.JoinCode == "" {
		t.Fatalf("create: %+v %v", rep, err)
	}
	room := rep.Grant.RoomId
	rep, err = e.l.Serve(ctx, ps[1], &tickwirev1.LobbyRequest{Op: &tickwirev1.LobbyRequest_Join{Join: &tickwirev1.LobbyJoin{JoinCode: rep.Grant.JoinCode}}})
	if err != nil || rep.Grant.RoomId != room {
		t.Fatalf("join: %+v %v", rep, err)
	}
	rep, err = e.l.Serve(ctx, ps[1], &tickwirev1.LobbyRequest{Op: &tickwirev1.LobbyRequest_ListRooms{ListRooms: &tickwirev1.ListRooms{Game: "arena"}}})
	if err != nil || len(rep.Rooms) != 1 {
		t.Fatalf("list: %+v %v", rep, err)
	}
	if _, err := e.l.Serve(ctx, ps[1], &tickwirev1.LobbyRequest{Op: &tickwirev1.LobbyRequest_CreateTicket{CreateTicket: &tickwirev1.CreateTicket{Game: "duel"}}}); !errors.Is(err, ErrAlreadyInRoom) {
		t.Fatalf("ticket while in a room: %v", err)
	}
	if _, err := e.l.Serve(ctx, ps[1], &tickwirev1.LobbyRequest{}); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("empty request: %v", err)
	}
	if _, err := e.l.Serve(ctx, ps[1], nil); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("nil request: %v", err)
	}
	for _, p := range ps {
		if err := e.l.Release(p, room); err != nil {
			t.Fatal(err)
		}
	}
	rep, err = e.l.Serve(ctx, ps[0], &tickwirev1.LobbyRequest{Op: &tickwirev1.LobbyRequest_CreateTicket{CreateTicket: &tickwirev1.CreateTicket{Game: "squad"}}})
	if err != nil {
		t.Fatal(err)
	}
	id := rep.TicketId
	rep, err = e.l.Serve(ctx, ps[0], &tickwirev1.LobbyRequest{Op: &tickwirev1.LobbyRequest_GetTicket{GetTicket: id}})
	if err != nil || rep.Ticket.Status != StatusSearching {
		t.Fatalf("ticket: %+v %v", rep, err)
	}
	rep, err = e.l.Serve(ctx, ps[0], &tickwirev1.LobbyRequest{Op: &tickwirev1.LobbyRequest_CancelTicket{CancelTicket: id}})
	if err != nil || rep.Ticket.Status != StatusCancelled {
		t.Fatalf("cancel: %+v %v", rep, err)
	}
	if err := e.l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.l.Serve(ctx, ps[0], &tickwirev1.LobbyRequest{Op: &tickwirev1.LobbyRequest_ListGames{ListGames: &tickwirev1.ListGames{}}}); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
}

func TestOptionsValidate(t *testing.T) {
	_, err := New(Options{Secret: []byte("short"), TicketTTL: -1, Skill: SkillWindow{Base: 100, Max: 50}, MaxTickets: -3})
	if err == nil {
		t.Fatal("bad options accepted")
	}
	for _, field := range []string{"Rooms", "Secret", "TicketTTL", "Skill.Max", "MaxTickets"} {
		if !strings.Contains(err.Error(), field) {
			t.Errorf("%v does not name %s", err, field)
		}
	}
}

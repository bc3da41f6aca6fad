package lobby

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

type guestResp struct {
	PlayerID string `json:"player_id"`
	Token    string `json:"token"`
}

type roomResp struct {
	RoomID   string `json:"room_id"`
	JoinCode string `json:"join_code"`
	Seat     string `json:"seat"`
}

// The reply shapes of the HTTP contract, decoded with encoding/json as a
// client in any language would (the lobby writes them with protojson).
type gameInfo struct {
	Name       string `json:"name"`
	MinPlayers int    `json:"min_players"`
	MaxPlayers int    `json:"max_players"`
	TickHz     int    `json:"tick_hz"`
}

type roomListing struct {
	ID         string `json:"id"`
	Game       string `json:"game"`
	Players    int    `json:"players"`
	MaxPlayers int    `json:"max_players"`
	Private    bool   `json:"private"`
	Joinable   bool   `json:"joinable"`
}

type ticketView struct {
	TicketID string `json:"ticket_id"`
	Game     string `json:"game"`
	Status   string `json:"status"`
	RoomID   string `json:"room_id"`
	Seat     string `json:"seat"`
	URL      string `json:"url,omitempty"`
}

type roomsResp struct {
	Rooms []roomListing `json:"rooms"`
}

func (a *api) guest(name string) guestResp {
	a.t.Helper()
	var g guestResp
	a.ok("POST", "/lobby/guest", "", map[string]string{"name": name}, &g)
	if g.PlayerID == "" || g.Token == "" {
		a.t.Fatalf("guest: %+v", g)
	}
	return g
}

func TestHTTPGuestAndGames(t *testing.T) {
	e := newEnv(t, Options{})
	a := e.serve()
	g := a.guest("ann")
	if p, err := e.l.Authenticate(g.Token); err != nil || p != g.PlayerID {
		t.Fatalf("Authenticate = %q, %v; want %q", p, err, g.PlayerID)
	}
	// An empty name is fine; an absent body is not.
	a.ok("POST", "/lobby/guest", "", map[string]string{}, nil)

	var games struct {
		Games []gameInfo `json:"games"`
	}
	a.ok("GET", "/lobby/games", g.Token, nil, &games)
	want := []gameInfo{{"arena", 1, 8, 1}, {"duel", 2, 2, 1}, {"squad", 2, 4, 1}}
	if fmt.Sprint(games.Games) != fmt.Sprint(want) {
		t.Fatalf("games = %+v, want %+v", games.Games, want)
	}
	// The exact JSON keys of the contract.
	_, raw := a.do("GET", "/lobby/games", g.Token, nil)
	for _, key := range []string{`"name":"arena"`, `"min_players":1`, `"max_players":8`, `"tick_hz":1`} {
		if !strings.Contains(string(raw), key) {
			t.Errorf("games JSON %s lacks %s", raw, key)
		}
	}
}

func TestHTTPRoomsJoinCodesQuickJoin(t *testing.T) {
	e := newEnv(t, Options{})
	a := e.serve()
	ann, bob, carl, dan, eve := a.guest("ann"), a.guest("bob"), a.guest("carl"), a.guest("dan"), a.guest("eve")

	var r roomResp
	a.ok("POST", "/lobby/rooms", ann.Token, map[string]any{"game": "arena", "private": false, "max_players": 4}, &r)
	if r.RoomID == "" || len(r.JoinCode) != JoinCodeLen || r.Seat == "" {
		t.Fatalf("create room: %+v", r)
	}
	if got, err := e.l.RedeemSeat(r.Seat, ann.PlayerID, r.RoomID); err != nil || got != r.RoomID {
		t.Fatalf("redeem ann's seat: %q, %v", got, err)
	}

	var list roomsResp
	a.ok("GET", "/lobby/rooms?game=arena", bob.Token, nil, &list)
	if len(list.Rooms) != 1 || list.Rooms[0] != (roomListing{ID: r.RoomID, Game: "arena", Players: 0, MaxPlayers: 4, Joinable: true}) {
		t.Fatalf("rooms = %+v", list.Rooms)
	}
	_, raw := a.do("GET", "/lobby/rooms?game=arena", bob.Token, nil)
	for _, key := range []string{`"id"`, `"game"`, `"players"`, `"max_players"`, `"private":false`, `"joinable":true`} {
		if !strings.Contains(string(raw), key) {
			t.Errorf("rooms JSON %s lacks %s", raw, key)
		}
	}

	var j roomResp
	a.ok("POST", "/lobby/join", bob.Token, map[string]string{"room_id": r.RoomID}, &j)
	if j.RoomID != r.RoomID || j.Seat == "" {
		t.Fatalf("join by id: %+v", j)
	}
	// Join codes are case-insensitive.
	a.ok("POST", "/lobby/join", carl.Token, map[string]string{"join_code": strings.ToLower(r.JoinCode)}, &j)
	if j.RoomID != r.RoomID {
		t.Fatalf("join by code: %+v", j)
	}
	// Quick-join fills the one room (3 of 4 places held), then makes another.
	a.ok("POST", "/lobby/join", dan.Token, map[string]any{"game": "arena", "quick": true}, &j)
	if j.RoomID != r.RoomID {
		t.Fatalf("quick-join went to %s, not the fullest room %s", j.RoomID, r.RoomID)
	}
	a.ok("POST", "/lobby/join", eve.Token, map[string]any{"game": "arena", "quick": true}, &j)
	if j.RoomID == r.RoomID {
		t.Fatal("quick-join into a full room")
	}
	a.ok("GET", "/lobby/rooms?game=arena", bob.Token, nil, &list)
	if len(list.Rooms) != 2 || list.Rooms[0].Joinable || !list.Rooms[1].Joinable {
		t.Fatalf("rooms after quick-joins = %+v", list.Rooms)
	}
	// Every game when game is left out; none of another game.
	a.ok("GET", "/lobby/rooms", bob.Token, nil, &list)
	if len(list.Rooms) != 2 {
		t.Fatalf("all rooms = %+v", list.Rooms)
	}
	a.ok("GET", "/lobby/rooms?game=duel", bob.Token, nil, &list)
	if list.Rooms == nil || len(list.Rooms) != 0 {
		t.Fatalf("duel rooms = %+v", list.Rooms)
	}
	_, raw = a.do("GET", "/lobby/rooms?game=duel", bob.Token, nil)
	if strings.TrimSpace(string(raw)) != `{"rooms":[]}` {
		t.Fatalf("empty list is %s", raw)
	}
}

func TestHTTPPrivateRoom(t *testing.T) {
	e := newEnv(t, Options{})
	a := e.serve()
	ann, bob := a.guest("ann"), a.guest("bob")
	var r roomResp
	a.ok("POST", "/lobby/rooms", ann.Token, map[string]any{"game": "squad", "private": true}, &r)
	var list roomsResp
	a.ok("GET", "/lobby/rooms?game=squad", bob.Token, nil, &list)
	if len(list.Rooms) != 0 {
		t.Fatalf("private room listed: %+v", list.Rooms)
	}
	before := e.dump()
	a.fails("POST", "/lobby/join", bob.Token, map[string]string{"room_id": r.RoomID}, 404, "room_not_found")
	if e.dump() != before {
		t.Fatal("refused join changed the store")
	}
	var j roomResp
	a.ok("POST", "/lobby/join", bob.Token, map[string]string{"join_code": r.JoinCode}, &j)
	if j.RoomID != r.RoomID {
		t.Fatalf("join private by code: %+v", j)
	}
	// A member may ask for a fresh seat by id (reconnection).
	a.ok("POST", "/lobby/join", ann.Token, map[string]string{"room_id": r.RoomID}, &j)
	if j.RoomID != r.RoomID || j.Seat == r.Seat {
		t.Fatalf("renewed seat: %+v", j)
	}
	if _, err := e.l.RedeemSeat(r.Seat, ann.PlayerID, r.RoomID); !errors.Is(err, ErrSeatInvalid) || !strings.Contains(err.Error(), "superseded") {
		t.Fatalf("old seat after renewal: %v", err)
	}
	if _, err := e.l.RedeemSeat(j.Seat, ann.PlayerID, r.RoomID); err != nil {
		t.Fatalf("renewed seat: %v", err)
	}
}

func TestHTTPTickets(t *testing.T) {
	e := newEnv(t, Options{})
	a := e.serve()
	ann, bob, carl := a.guest("ann"), a.guest("bob"), a.guest("carl")
	var ta, tb, tc struct {
		TicketID string `json:"ticket_id"`
	}
	a.ok("POST", "/lobby/tickets", ann.Token, map[string]any{"game": "duel", "skill": 1500}, &ta)
	a.ok("POST", "/lobby/tickets", bob.Token, map[string]any{"game": "duel", "skill": 1510, "party": []string{bob.PlayerID}}, &tb)
	var va, vb ticketView
	checkFor(t, 5*time.Second, 5*time.Millisecond, func() error {
		a.ok("GET", "/lobby/tickets/"+ta.TicketID, ann.Token, nil, &va)
		a.ok("GET", "/lobby/tickets/"+tb.TicketID, bob.Token, nil, &vb)
		if va.Status != StatusMatched || vb.Status != StatusMatched {
			return fmt.Errorf("statuses %s, %s", va.Status, vb.Status)
		}
		return nil
	})
	if va.RoomID == "" || va.RoomID != vb.RoomID || va.Seat == "" || vb.Seat == "" || va.Seat == vb.Seat {
		t.Fatalf("matched tickets: %+v, %+v", va, vb)
	}
	_, raw := a.do("GET", "/lobby/tickets/"+ta.TicketID, ann.Token, nil)
	for _, key := range []string{`"status":"matched"`, `"room_id"`, `"seat"`} {
		if !strings.Contains(string(raw), key) {
			t.Errorf("ticket JSON %s lacks %s", raw, key)
		}
	}
	for _, c := range []struct {
		seat, player string
	}{{va.Seat, ann.PlayerID}, {vb.Seat, bob.PlayerID}} {
		if room, err := e.l.RedeemSeat(c.seat, c.player, ""); err != nil || room != va.RoomID {
			t.Fatalf("redeem %s: %q, %v", c.player, room, err)
		}
	}
	before := e.dump()
	a.fails("DELETE", "/lobby/tickets/"+ta.TicketID, ann.Token, nil, 409, "ticket_done")
	a.fails("GET", "/lobby/tickets/"+ta.TicketID, carl.Token, nil, 404, "ticket_not_found")
	if e.dump() != before {
		t.Fatal("refused requests changed the store")
	}

	// A lone duelist searches until cancelled; cancelling twice is fine.
	a.ok("POST", "/lobby/tickets", carl.Token, map[string]any{"game": "duel", "skill": 1}, &tc)
	var vc ticketView
	a.ok("GET", "/lobby/tickets/"+tc.TicketID, carl.Token, nil, &vc)
	if vc.Status != StatusSearching || vc.RoomID != "" || vc.Seat != "" {
		t.Fatalf("searching ticket: %+v", vc)
	}
	a.ok("DELETE", "/lobby/tickets/"+tc.TicketID, carl.Token, nil, &vc)
	if vc.Status != StatusCancelled {
		t.Fatalf("cancelled ticket: %+v", vc)
	}
	a.ok("DELETE", "/lobby/tickets/"+tc.TicketID, carl.Token, nil, &vc)
	a.ok("GET", "/lobby/tickets/"+tc.TicketID, carl.Token, nil, &vc)
	if vc.Status != StatusCancelled {
		t.Fatalf("ticket after cancel: %+v", vc)
	}
	// Cancelled, carl may queue again.
	a.ok("POST", "/lobby/tickets", carl.Token, map[string]any{"game": "duel", "skill": 1}, &tc)
}

// TestHTTPBadInput sends every kind of bad request and checks its status,
// its error code, and that the store is unchanged.
func TestHTTPBadInput(t *testing.T) {
	e := newEnv(t, Options{MaxBodyBytes: 1024})
	a := e.serve()
	ann, bob, carl, dan := a.guest("ann"), a.guest("bob"), a.guest("carl"), a.guest("dan")

	// State to collide with: ann queued, bob in a full 1-place room (arena's
	// MinPlayers is 1), carl in a room, dan free.
	var tk struct {
		TicketID string `json:"ticket_id"`
	}
	a.ok("POST", "/lobby/tickets", ann.Token, map[string]any{"game": "duel", "skill": 100}, &tk)
	var full, open roomResp
	a.ok("POST", "/lobby/rooms", bob.Token, map[string]any{"game": "arena", "max_players": 1}, &full)
	a.ok("POST", "/lobby/rooms", carl.Token, map[string]any{"game": "arena"}, &open)

	forged := []byte(dan.Token)
	if mid := len(forged) / 2; forged[mid] == 'A' {
		forged[mid] = 'B'
	} else {
		forged[mid] = 'A'
	}
	big := `{"name":"` + strings.Repeat("x", 2000) + `"}`

	cases := []struct {
		name, method, path, token string
		body                      any
		status                    int
		code                      string
	}{
		{"no token games", "GET", "/lobby/games", "", nil, 401, "unauthenticated"},
		{"no token rooms", "GET", "/lobby/rooms", "", nil, 401, "unauthenticated"},
		{"no token create", "POST", "/lobby/rooms", "", map[string]any{"game": "arena"}, 401, "unauthenticated"},
		{"no token join", "POST", "/lobby/join", "", map[string]any{"game": "arena", "quick": true}, 401, "unauthenticated"},
		{"no token ticket", "POST", "/lobby/tickets", "", map[string]any{"game": "duel"}, 401, "unauthenticated"},
		{"no token get ticket", "GET", "/lobby/tickets/" + tk.TicketID, "", nil, 401, "unauthenticated"},
		{"no token cancel", "DELETE", "/lobby/tickets/" + tk.TicketID, "", nil, 401, "unauthenticated"},
		{"garbage token", "GET", "/lobby/games", "not-a-token", nil, 401, "unauthenticated"},
		{"forged token", "POST", "/lobby/tickets", string(forged), map[string]any{"game": "duel"}, 401, "unauthenticated"},
		{"seat as token", "GET", "/lobby/games", full.Seat, nil, 401, "unauthenticated"},

		{"malformed JSON", "POST", "/lobby/tickets", dan.Token, `{"game":`, 400, "bad_request"},
		{"empty body", "POST", "/lobby/rooms", dan.Token, "", 400, "bad_request"},
		{"two values", "POST", "/lobby/join", dan.Token, `{"room_id":"x"} {}`, 400, "bad_request"},
		{"wrong type", "POST", "/lobby/tickets", dan.Token, `{"game":"duel","skill":"high"}`, 400, "bad_request"},
		{"array body", "POST", "/lobby/guest", "", `["ann"]`, 400, "bad_request"},
		{"guest malformed", "POST", "/lobby/guest", "", `{`, 400, "bad_request"},
		{"guest name too long", "POST", "/lobby/guest", "", map[string]string{"name": strings.Repeat("n", 33)}, 400, "bad_request"},
		{"body too large", "POST", "/lobby/guest", "", big, 413, "bad_request"},

		{"unknown game ticket", "POST", "/lobby/tickets", dan.Token, map[string]any{"game": "chess"}, 404, "game_not_found"},
		{"unknown game room", "POST", "/lobby/rooms", dan.Token, map[string]any{"game": "chess"}, 404, "game_not_found"},
		{"unknown game quick", "POST", "/lobby/join", dan.Token, map[string]any{"game": "chess", "quick": true}, 404, "game_not_found"},
		{"unknown game list", "GET", "/lobby/rooms?game=chess", dan.Token, nil, 404, "game_not_found"},
		{"no game", "POST", "/lobby/rooms", dan.Token, map[string]any{}, 400, "bad_request"},
		{"max players too high", "POST", "/lobby/rooms", dan.Token, map[string]any{"game": "squad", "max_players": 5}, 400, "bad_request"},
		{"max players too low", "POST", "/lobby/rooms", dan.Token, map[string]any{"game": "squad", "max_players": 1}, 400, "bad_request"},

		{"party too large", "POST", "/lobby/tickets", dan.Token, map[string]any{"game": "duel", "party": []string{dan.PlayerID, bob.PlayerID, carl.PlayerID}}, 400, "bad_request"},
		{"party without asker", "POST", "/lobby/tickets", dan.Token, map[string]any{"game": "squad", "party": []string{bob.PlayerID}}, 400, "bad_request"},
		{"party unknown player", "POST", "/lobby/tickets", dan.Token, map[string]any{"game": "squad", "party": []string{dan.PlayerID, "p-nobody"}}, 400, "bad_request"},
		{"party twice", "POST", "/lobby/tickets", dan.Token, map[string]any{"game": "squad", "party": []string{dan.PlayerID, dan.PlayerID}}, 400, "bad_request"},
		{"skill too big", "POST", "/lobby/tickets", dan.Token, `{"game":"duel","skill":1e300}`, 400, "bad_request"},
		{"region too long", "POST", "/lobby/tickets", dan.Token, map[string]any{"game": "duel", "region": strings.Repeat("r", 40)}, 400, "bad_request"},

		{"already queued", "POST", "/lobby/tickets", ann.Token, map[string]any{"game": "duel"}, 409, "already_queued"},
		{"queued member", "POST", "/lobby/tickets", dan.Token, map[string]any{"game": "squad", "party": []string{dan.PlayerID, ann.PlayerID}}, 409, "already_queued"},
		{"queued creates room", "POST", "/lobby/rooms", ann.Token, map[string]any{"game": "arena"}, 409, "already_queued"},
		{"queued joins", "POST", "/lobby/join", ann.Token, map[string]any{"room_id": open.RoomID}, 409, "already_queued"},
		{"queued quick-joins", "POST", "/lobby/join", ann.Token, map[string]any{"game": "arena", "quick": true}, 409, "already_queued"},
		{"in room queues", "POST", "/lobby/tickets", carl.Token, map[string]any{"game": "duel"}, 409, "already_in_room"},
		{"in room member", "POST", "/lobby/tickets", dan.Token, map[string]any{"game": "squad", "party": []string{dan.PlayerID, carl.PlayerID}}, 409, "already_in_room"},
		{"in room creates", "POST", "/lobby/rooms", carl.Token, map[string]any{"game": "arena"}, 409, "already_in_room"},
		{"in room joins other", "POST", "/lobby/join", bob.Token, map[string]any{"room_id": open.RoomID}, 409, "already_in_room"},
		{"in room quick-joins", "POST", "/lobby/join", carl.Token, map[string]any{"game": "arena", "quick": true}, 409, "already_in_room"},

		{"unknown room", "POST", "/lobby/join", dan.Token, map[string]any{"room_id": "nosuchroom"}, 404, "room_not_found"},
		{"unknown code", "POST", "/lobby/join", dan.Token, map[string]any{"join_code": "ZZZZZZ"}, 404, "room_not_found"},
		{"bad code", "POST", "/lobby/join", dan.Token, map[string]any{"join_code": "0O1I!"}, 404, "room_not_found"},
		{"full room", "POST", "/lobby/join", dan.Token, map[string]any{"room_id": full.RoomID}, 409, "room_full"},
		{"full room by code", "POST", "/lobby/join", dan.Token, map[string]any{"join_code": full.JoinCode}, 409, "room_full"},
		{"join nothing", "POST", "/lobby/join", dan.Token, map[string]any{}, 400, "bad_request"},
		{"join two ways", "POST", "/lobby/join", dan.Token, map[string]any{"room_id": open.RoomID, "join_code": open.JoinCode}, 400, "bad_request"},
		{"game without quick", "POST", "/lobby/join", dan.Token, map[string]any{"game": "arena"}, 400, "bad_request"},
		{"quick without game", "POST", "/lobby/join", dan.Token, map[string]any{"quick": true}, 400, "bad_request"},

		{"unknown ticket", "GET", "/lobby/tickets/t-nosuchticket", dan.Token, nil, 404, "ticket_not_found"},
		{"someone else's ticket", "GET", "/lobby/tickets/" + tk.TicketID, dan.Token, nil, 404, "ticket_not_found"},
		{"cancel someone else's", "DELETE", "/lobby/tickets/" + tk.TicketID, dan.Token, nil, 404, "ticket_not_found"},
		{"unknown route", "GET", "/lobby/nope", dan.Token, nil, 404, "bad_request"},
		{"method guest", "GET", "/lobby/guest", "", nil, 405, "bad_request"},
		{"method join", "GET", "/lobby/join", dan.Token, nil, 405, "bad_request"},
		{"method games", "POST", "/lobby/games", dan.Token, `{}`, 405, "bad_request"},
		{"method ticket", "PUT", "/lobby/tickets/" + tk.TicketID, ann.Token, `{}`, 405, "bad_request"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.dump()
			a := &api{t: t, url: a.url, c: a.c}
			a.fails(c.method, c.path, c.token, c.body, c.status, c.code)
			if after := e.dump(); after != before {
				t.Fatalf("store changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}

	// 405s name the allowed methods; 401s ask for a bearer token.
	req, _ := http.NewRequest("PATCH", a.url+"/lobby/rooms", nil)
	resp, err := a.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Allow"); got != "GET, POST" {
		t.Errorf("Allow: %q", got)
	}
	req, _ = http.NewRequest("GET", a.url+"/lobby/games", nil)
	if resp, err = a.c.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
		t.Errorf("WWW-Authenticate: %q", got)
	}
}

// TestHTTPAuthenticator replaces guests with a hook.
func TestHTTPAuthenticator(t *testing.T) {
	auth := AuthenticatorFunc(func(token string) (string, error) {
		if name, ok := strings.CutPrefix(token, "user:"); ok {
			return "u-" + name, nil
		}
		return "", errors.New("unknown user")
	})
	e := newEnv(t, Options{Authenticator: auth})
	a := e.serve()
	a.fails("POST", "/lobby/guest", "", map[string]string{"name": "ann"}, 403, "unauthenticated")
	a.fails("GET", "/lobby/games", "user-ann", nil, 401, "unauthenticated")
	a.ok("GET", "/lobby/games", "user:ann", nil, nil)
	// Players the hook vouched for are known, so they can be in a party.
	var tk struct {
		TicketID string `json:"ticket_id"`
	}
	a.ok("GET", "/lobby/games", "user:bob", nil, nil)
	a.ok("POST", "/lobby/tickets", "user:ann", map[string]any{"game": "squad", "party": []string{"u-ann", "u-bob"}}, &tk)
	var v ticketView
	a.ok("GET", "/lobby/tickets/"+tk.TicketID, "user:bob", nil, &v)
	if v.Status != StatusSearching {
		t.Fatalf("ticket %+v", v)
	}
}

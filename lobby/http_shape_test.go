package lobby

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestHTTPReplyShapes: the replies the lobby writes with protojson have
// exactly the keys of the JSON contract, zero values included where the
// contract always had them and the cluster-only url left out, with no
// spacing that varies between builds.
func TestHTTPReplyShapes(t *testing.T) {
	e := newEnv(t, Options{FillWait: -1})
	a := e.serve()
	ann, bob, carl := a.guest("ann"), a.guest("bob"), a.guest("carl")
	keys := func(raw []byte) []string {
		t.Helper()
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		return sortedKeys(m)
	}
	check := func(what string, raw []byte, want ...string) {
		t.Helper()
		slices.Sort(want)
		if got := keys(raw); !slices.Equal(got, want) {
			t.Errorf("%s keys = %v, want %v (%s)", what, got, want, raw)
		}
		if strings.Contains(string(raw), ", ") || strings.Contains(string(raw), ": ") {
			t.Errorf("%s is not compact: %s", what, raw)
		}
	}

	_, raw := a.do("POST", "/lobby/rooms", ann.Token, map[string]any{"game": "arena", "private": false})
	check("POST /lobby/rooms", raw, "room_id", "join_code", "seat")
	var created roomResp
	if err := json.Unmarshal(raw, &created); err != nil {
		t.Fatal(err)
	}
	_, raw = a.do("POST", "/lobby/join", bob.Token, map[string]any{"room_id": created.RoomID})
	check("POST /lobby/join", raw, "room_id", "seat")

	_, raw = a.do("GET", "/lobby/rooms?game=arena", bob.Token, nil)
	var rooms struct{ Rooms []json.RawMessage }
	if err := json.Unmarshal(raw, &rooms); err != nil || len(rooms.Rooms) != 1 {
		t.Fatalf("rooms %s: %v", raw, err)
	}
	check("a room listing", rooms.Rooms[0], "id", "game", "players", "max_players", "private", "joinable")
	for _, kv := range []string{`"players":0`, `"private":false`, `"joinable":true`} {
		if !strings.Contains(string(rooms.Rooms[0]), kv) {
			t.Errorf("room listing %s lacks %s", rooms.Rooms[0], kv)
		}
	}

	_, raw = a.do("POST", "/lobby/tickets", carl.Token, map[string]any{"game": "duel", "skill": 1500})
	check("POST /lobby/tickets", raw, "ticket_id")
	var tk struct {
		TicketID string `json:"ticket_id"`
	}
	if err := json.Unmarshal(raw, &tk); err != nil {
		t.Fatal(err)
	}
	_, raw = a.do("GET", "/lobby/tickets/"+tk.TicketID, carl.Token, nil)
	check("GET /lobby/tickets/ID", raw, "ticket_id", "game", "status", "room_id", "seat")
	if !strings.Contains(string(raw), `"room_id":""`) || !strings.Contains(string(raw), `"status":"searching"`) {
		t.Errorf("searching ticket %s", raw)
	}
}

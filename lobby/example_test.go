package lobby_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/tickwire/tickwire/lobby"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/tick"
)

type counter struct{}

type num = *wrapperspb.Int64Value

func (counter) Init(*tick.Room[num]) error                       { return nil }
func (counter) Join(*tick.Room[num], tick.PlayerID) error        { return nil }
func (counter) Leave(*tick.Room[num], tick.PlayerID)             {}
func (counter) Input(r *tick.Room[num], _ tick.PlayerID, in num) { r.State().Value += in.Value }
func (counter) Tick(*tick.Room[num], time.Duration)              {}

// The lobby's HTTP API, end to end: a guest creates a private room and a
// friend joins it with the code; the server then redeems their seats when
// they join on /ws.
func Example() {
	reg := tick.NewRegistry()
	tick.RegisterIn(reg, tick.GameInfo{Name: "counter", MinPlayers: 1, MaxPlayers: 4}, func() tick.Game[num, num] { return counter{} })
	rooms, _ := tick.NewRooms(tick.Options{Registry: reg, Clock: tick.SystemClock{}})
	defer rooms.Close(context.Background())
	l, _ := lobby.New(lobby.Options{Rooms: rooms})
	defer l.Close(context.Background())
	srv := httptest.NewServer(l.Handler()) // the server mounts it at /lobby/
	defer srv.Close()

	call := func(method, path, token, body string, out any) int {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if m, ok := out.(proto.Message); ok {
			_ = protojson.Unmarshal(raw, m) // the replies are the protobuf messages
		} else {
			_ = json.Unmarshal(raw, out)
		}
		return resp.StatusCode
	}
	var ann, bob lobby.Guest
	var room, joined tickwirev1.Grant
	call("POST", "/lobby/guest", "", `{"name":"ann"}`, &ann)
	call("POST", "/lobby/guest", "", `{"name":"bob"}`, &bob)
	call("POST", "/lobby/rooms", ann.Token, `{"game":"counter","private":true}`, &room)
	code := call("POST", "/lobby/join", bob.Token, fmt.Sprintf(`{"join_code":%q}`, room.JoinCode), &joined)
	fmt.Println("join:", code, joined.RoomId == room.RoomId)

	// What the server does with a JoinRoom envelope presenting the seat.
	id, err := l.RedeemSeat(joined.Seat, bob.PlayerID, "")
	fmt.Println("redeem:", id == room.RoomId, err)
	_, err = l.RedeemSeat(joined.Seat, bob.PlayerID, "")
	fmt.Println("again:", err)
	// Output:
	// join: 200 true
	// redeem: true <nil>
	// again: seat_invalid: seat already used
}

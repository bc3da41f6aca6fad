package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	neturl "net/url"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/admin"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/tick"
)

// A missing or wrong token is 401 with the error shape and a logged
// warning, on every admin route; the public port has no admin API.
func TestAdminAuth(t *testing.T) {
	e := startEnv(t)
	base := e.admin.URL()
	for _, path := range []string{"/admin/api/rooms", "/metrics", "/debug/pprof/", "/debug/ticks", "/admin/api/events", "/nope"} {
		for _, tok := range []string{"", "wrong-token-wrong-token"} {
			var body apiError
			if code := call(t, "GET", base+path, tok, nil, &body); code != http.StatusUnauthorized || body.Error.Code != "unauthenticated" {
				t.Errorf("GET %s with token %q = %d %+v, want 401 unauthenticated", path, tok, code, body)
			}
		}
	}
	if n := strings.Count(e.logs.String(), "admin request refused"); n != 12 {
		t.Errorf("%d refusals logged, want 12 (one per request)", n)
	}
	// The page without a token asks for it, with 401.
	resp, err := http.Get(base + "/monitor")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(page), `name="token"`) {
		t.Errorf("GET /monitor without a token = %d %q", resp.StatusCode, page)
	}
	// ?token= sets the cookie and redirects; the cookie then authenticates.
	jar := &cookieJar{}
	c := &http.Client{Jar: jar}
	resp, err = c.Get(base + "/monitor?token=" + testToken)
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.RawQuery != "" || !strings.Contains(string(page), "Tickwire monitor") {
		t.Errorf("login = %d at %s", resp.StatusCode, resp.Request.URL)
	}
	if resp, err := c.Get(base + "/monitor?token=wrong"); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("login with a wrong token = %v, %v", resp.StatusCode, err)
	}
	var public apiError
	if code := call(t, "GET", e.public+"/admin/api/rooms", testToken, nil, nil); code != http.StatusNotFound {
		t.Errorf("public port GET /admin/api/rooms = %d, want 404 (%+v)", code, public)
	}
	if code := call(t, "GET", base+"/metrics", testToken, nil, nil); code != 200 {
		t.Errorf("GET /metrics with the token = %d", code)
	}
	if code := call(t, "GET", base+"/debug/pprof/cmdline", testToken, nil, nil); code != 200 {
		t.Errorf("GET /debug/pprof/cmdline with the token = %d", code)
	}
	if _, err := admin.New(admin.Options{Token: "short", Rooms: e.node.Rooms()}); err == nil || !strings.Contains(err.Error(), "Token") {
		t.Errorf("New with a short token = %v", err)
	}
}

// cookieJar is a minimal jar for one host (net/http/cookiejar needs a
// public suffix list for nothing here).
type cookieJar struct{ cookies []*http.Cookie }

func (j *cookieJar) SetCookies(_ *neturl.URL, cs []*http.Cookie) {
	j.cookies = append(j.cookies, cs...)
}
func (j *cookieJar) Cookies(*neturl.URL) []*http.Cookie { return j.cookies }

type roomRow struct {
	ID         string `json:"id"`
	Game       string `json:"game"`
	Node       string `json:"node"`
	Players    int    `json:"players"`
	MaxPlayers int    `json:"max_players"`
	Ticks      uint64 `json:"ticks"`
	TickMS     struct {
		P50 float64 `json:"p50"`
		P99 float64 `json:"p99"`
	} `json:"tick_ms"`
	InputsPerS float64 `json:"inputs_per_s"`
}

type roomDetail struct {
	roomRow
	Tick       uint64          `json:"tick"`
	StateType  string          `json:"state_type"`
	State      json.RawMessage `json:"state"`
	PlayerList []struct {
		ID           string   `json:"id"`
		LastInputSeq uint64   `json:"last_input_seq"`
		RTTMS        *float64 `json:"rtt_ms"`
	} `json:"player_list"`
}

// The API lists a live room with its players and figures, returns its
// state as protojson with the players' last input seqs, answers 404 with
// the error shape for an unknown room or player, and kick and close reach
// the players' clients as Left with a reason. Every call is logged.
func TestAdminAPI(t *testing.T) {
	e := startEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ann := e.newPlayer(ctx, "ann", "")
	bob := e.newPlayer(ctx, "bob", ann.room)
	base := e.admin.URL() + "/admin/api"
	for range 3 {
		ann.input(t, 2)
	}

	var list struct {
		Node  string    `json:"node"`
		Rooms []roomRow `json:"rooms"`
	}
	servertest.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
		ann.input(t, 0) // inputs per second need inputs across samples
		if code := call(t, "GET", base+"/rooms", testToken, nil, &list); code != 200 {
			return errors.New("GET /rooms failed")
		}
		if len(list.Rooms) != 1 || list.Rooms[0].Players != 2 || list.Rooms[0].Ticks == 0 || list.Rooms[0].InputsPerS == 0 {
			return errors.New("rooms not sampled yet")
		}
		return nil
	})
	r := list.Rooms[0]
	if r.ID != ann.room || r.Game != "counter" || r.Node != "n1" || r.MaxPlayers != 4 || r.TickMS.P99 <= 0 {
		t.Errorf("room row = %+v", r)
	}

	var d roomDetail
	servertest.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
		if code := call(t, "GET", base+"/rooms/"+ann.room, testToken, nil, &d); code != 200 {
			return errors.New("GET /rooms/ID failed")
		}
		if len(d.PlayerList) != 2 || d.PlayerList[0].LastInputSeq != ann.seq {
			return errors.New("inputs not applied yet")
		}
		return nil
	})
	var st struct {
		Width   float64 `json:"width"`
		Players map[string]struct {
			X  float64 `json:"x"`
			Hp int     `json:"hp"`
		} `json:"players"`
	}
	if err := json.Unmarshal(d.State, &st); err != nil {
		t.Fatalf("state %s: %v", d.State, err)
	}
	if st.Width < 1 || st.Players[ann.id].X != 6 || st.Players[bob.id].Hp != 100 || d.StateType != "tickwire.arena.v1.State" {
		t.Errorf("state = %s (%s)", d.State, d.StateType)
	}
	if d.PlayerList[0].ID != ann.id || d.PlayerList[1].ID != bob.id || d.PlayerList[0].RTTMS != nil {
		t.Errorf("players = %+v", d.PlayerList)
	}

	for _, c := range []struct{ method, path, code string }{
		{"GET", "/rooms/zzzzzzzz", "room_not_found"},
		{"POST", "/rooms/zzzzzzzz/kick", "room_not_found"},
		{"POST", "/rooms/zzzzzzzz/close", "room_not_found"},
		{"POST", "/rooms/" + ann.room + "/kick", "not_in_room"},
	} {
		var body apiError
		code := call(t, c.method, base+c.path, testToken, map[string]string{"player": "p-nobody"}, &body)
		if code != http.StatusNotFound || body.Error.Code != c.code || body.Error.Message == "" {
			t.Errorf("%s %s = %d %+v, want 404 %s", c.method, c.path, code, body, c.code)
		}
	}
	var bad apiError
	if code := call(t, "POST", base+"/rooms/"+ann.room+"/kick", testToken, map[string]string{}, &bad); code != 400 || bad.Error.Code != "bad_request" {
		t.Errorf("kick without a player = %d %+v", code, bad)
	}

	if code := call(t, "POST", base+"/rooms/"+ann.room+"/kick", testToken, map[string]string{"player": bob.id, "reason": "test"}, nil); code != 200 {
		t.Fatalf("kick = %d", code)
	}
	l, err := bob.waitLeft(ctx)
	if err != nil || l.GetReason() != "kicked by an operator: test" || l.GetRoomId() != ann.room {
		t.Fatalf("bob's Left = %v, %v", l, err)
	}
	// The seat is released in the lobby too: bob may join again.
	if h, err := e.node.Rooms().Get(ann.room); err != nil || h.Players() != 1 {
		t.Errorf("after the kick: room %v players, err %v", h.Players(), err)
	}

	var sess struct {
		Sessions map[string]int `json:"sessions"`
		Players  int            `json:"players"`
	}
	servertest.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
		call(t, "GET", base+"/sessions", testToken, nil, &sess)
		if sess.Sessions["ws"] != 2 || sess.Players != 1 {
			return errors.New("sessions not sampled yet")
		}
		return nil
	})

	if code := call(t, "POST", base+"/rooms/"+ann.room+"/close", testToken, nil, nil); code != 200 {
		t.Fatalf("close = %d", code)
	}
	if l, err := ann.waitLeft(ctx); err != nil || l.GetReason() != "room closed" {
		t.Fatalf("ann's Left = %v, %v", l, err)
	}
	if _, err := e.node.Rooms().Get(ann.room); !errors.Is(err, tick.ErrRoomNotFound) {
		t.Errorf("room after close: %v", err)
	}
	logs := e.logs.String()
	for _, want := range []string{`"path":"/admin/api/rooms/` + ann.room + `/kick","status":200`, `"path":"/admin/api/rooms/zzzzzzzz","status":404`, "admin kicked a player", "admin closed a room"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s", want)
		}
	}
}

// /debug/ticks on the admin listener is a window by time: reading it twice
// sees the same ticks (nothing is reset), and the public /debug/ticks
// keeps its reset-on-read for the bench.
func TestAdminTicksWindow(t *testing.T) {
	e := startEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	e.newPlayer(ctx, "ann", "")
	type ticks struct {
		WindowS float64 `json:"window_s"`
		Rooms   int     `json:"rooms"`
		Ticks   uint64  `json:"ticks"`
		TickMS  struct {
			P99 float64 `json:"p99"`
		} `json:"tick_ms"`
	}
	url := e.admin.URL() + "/debug/ticks?window=1m"
	var first ticks
	servertest.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
		call(t, "GET", url, testToken, nil, &first)
		if first.Ticks < 10 {
			return errors.New("fewer than 10 ticks sampled")
		}
		return nil
	})
	// The public route resets its own counters, not the admin's window.
	call(t, "GET", e.public+"/debug/ticks", "", nil, nil)
	var second ticks
	call(t, "GET", url, testToken, nil, &second)
	if second.Ticks < first.Ticks || second.Rooms != 1 || second.TickMS.P99 <= 0 || second.WindowS <= 0 {
		t.Errorf("second read = %+v after %+v: the window lost ticks", second, first)
	}
	var bad apiError
	if code := call(t, "GET", e.admin.URL()+"/debug/ticks?window=soon", testToken, nil, &bad); code != 400 || bad.Error.Code != "bad_request" {
		t.Errorf("bad window = %d %+v", code, bad)
	}
}

// Drain runs Options.Drain once (here: it ends the node's Run, so the
// node shuts down and its players are told), 409 a second time.
func TestAdminDrain(t *testing.T) {
	e := startEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ann := e.newPlayer(ctx, "ann", "")
	if code := call(t, "POST", e.admin.URL()+"/admin/api/drain", testToken, nil, nil); code != http.StatusAccepted {
		t.Fatalf("drain = %d", code)
	}
	var again apiError
	if code := call(t, "POST", e.admin.URL()+"/admin/api/drain", testToken, nil, &again); code != http.StatusConflict || again.Error.Code != "already_draining" {
		t.Errorf("second drain = %d %+v", code, again)
	}
	if l, err := ann.waitLeft(ctx); err != nil || l.GetReason() != "server shutting down" {
		t.Errorf("ann's Left = %v, %v", l, err)
	}
	var node struct {
		Draining bool `json:"draining"`
	}
	if code := call(t, "GET", e.admin.URL()+"/admin/api/node", testToken, nil, &node); code != 200 || !node.Draining {
		t.Errorf("node after drain = %d %+v", code, node)
	}
}

// In a cluster the page shows every node: an Admin with Peers lists the
// rooms other nodes' admin APIs report.
func TestAdminPeers(t *testing.T) {
	other := startEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p := other.newPlayer(ctx, "ann", "")
	e := startEnv(t, func(o *admin.Options) {
		o.Peers = func() []admin.Peer {
			return []admin.Peer{{Name: "n2", URL: other.admin.URL()}, {Name: "gone", URL: "http://127.0.0.1:1"}}
		}
	})
	var node struct {
		Peers []struct {
			Node  string    `json:"node"`
			Error string    `json:"error"`
			Rooms []roomRow `json:"rooms"`
		} `json:"peers"`
	}
	servertest.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
		call(t, "GET", e.admin.URL()+"/admin/api/node", testToken, nil, &node)
		if len(node.Peers) != 2 || len(node.Peers[0].Rooms) != 1 {
			return errors.New("peers not polled yet")
		}
		return nil
	})
	if node.Peers[0].Node != "n2" || node.Peers[0].Rooms[0].ID != p.room || node.Peers[1].Error == "" {
		t.Errorf("peers = %+v", node.Peers)
	}

	// Through this node, the page inspects and kicks on the other one.
	base := e.admin.URL() + "/admin/api/peers/"
	var d roomDetail
	if code := call(t, "GET", base+"n2/rooms/"+p.room, testToken, nil, &d); code != 200 || d.ID != p.room || len(d.PlayerList) != 1 || len(d.State) == 0 {
		t.Errorf("peer room = %d %+v", code, d)
	}
	for _, c := range []struct {
		method, path string
		status       int
		code         string
	}{
		{"GET", "n2/rooms/zzzzzzzz", 404, "room_not_found"},
		{"GET", "n9/rooms", 404, "node_not_found"},
		{"GET", "gone/rooms", 502, "node_unreachable"},
		{"GET", "n2/events", 400, "bad_request"},
	} {
		var body apiError
		if code := call(t, c.method, base+c.path, testToken, nil, &body); code != c.status || body.Error.Code != c.code {
			t.Errorf("%s %s = %d %+v, want %d %s", c.method, c.path, code, body, c.status, c.code)
		}
	}
	if code := call(t, "GET", base+"n2/rooms", "", nil, nil); code != 401 {
		t.Errorf("peer call without a token = %d", code)
	}
	if code := call(t, "POST", base+"n2/rooms/"+p.room+"/kick", testToken, map[string]string{"player": p.id, "reason": "elsewhere"}, nil); code != 200 {
		t.Fatalf("kick through the peer = %d", code)
	}
	if l, err := p.waitLeft(ctx); err != nil || l.GetReason() != "kicked by an operator: elsewhere" {
		t.Errorf("Left = %v, %v", l, err)
	}
	if !strings.Contains(e.logs.String(), "admin forwarded a call to a peer") || !strings.Contains(other.logs.String(), "admin kicked a player") {
		t.Error("the forwarded kick is not logged on both nodes")
	}
}

// An admin address without a host is loopback, not every interface.
func TestAdminLoopbackDefault(t *testing.T) {
	for in, want := range map[string]string{":9090": "127.0.0.1:9090", "9090": "127.0.0.1:9090", "0.0.0.0:9090": "0.0.0.0:9090", "[::1]:9090": "[::1]:9090", "10.0.0.7:0": "10.0.0.7:0"} {
		if got := admin.LoopbackDefault(in); got != want {
			t.Errorf("LoopbackDefault(%q) = %q, want %q", in, got, want)
		}
	}
	a, err := admin.New(admin.Options{Token: testToken, Rooms: startEnv(t).node.Rooms()})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := admin.Listen(":0", a)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(srv.Addr(), "127.0.0.1:") {
		t.Errorf("Listen(:0) bound %s, want loopback", srv.Addr())
	}
	for range 2 { // a Node's Shutdown may run twice
		if err := srv.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown = %v", err)
		}
	}
}

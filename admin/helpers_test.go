package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire"
	"github.com/tickwire/tickwire/admin"
	"github.com/tickwire/tickwire/client"
	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/tick"
)

func TestMain(m *testing.M) { servertest.VerifyTestMain(m) }

const testToken = "test-admin-token-0123456789"

// counter is the test game: its state's width counts ticks (so the state
// changes every tick), each player is a Player moved by its inputs' dx.
type counter struct{}

func (counter) Init(r *tick.Room[*arenav1.State]) error {
	r.State().Players = map[string]*arenav1.Player{}
	return nil
}

func (counter) Join(r *tick.Room[*arenav1.State], p tick.PlayerID) error {
	r.State().Players[string(p)] = &arenav1.Player{Hp: 100}
	return nil
}

func (counter) Leave(r *tick.Room[*arenav1.State], p tick.PlayerID) {
	delete(r.State().Players, string(p))
}

func (counter) Input(r *tick.Room[*arenav1.State], p tick.PlayerID, in *arenav1.Input) {
	r.State().Players[string(p)].X += in.Dx
}

func (counter) Tick(r *tick.Room[*arenav1.State], _ time.Duration) { r.State().Width++ }

// env is a real node (its public port serving the game and the lobby)
// with an Admin on a listener of its own, as the node's wiring does.
type env struct {
	t      *testing.T
	node   *tickwire.Node
	admin  *admin.Server
	logs   *syncBuffer
	run    context.CancelFunc // ends the node's Run: what Drain does
	ran    chan error
	public string // http://host:port of the node
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startEnv starts a node with the counter game and its admin listener;
// both stop when the test ends.
func startEnv(t *testing.T, tweak ...func(*admin.Options)) *env {
	t.Helper()
	reg := tick.NewRegistry()
	tick.RegisterIn(reg, tick.GameInfo{Name: "counter", TickHz: 20, MaxPlayers: 4}, func() tick.Game[*arenav1.State, *arenav1.Input] { return counter{} })
	e := &env{t: t, logs: &syncBuffer{}, ran: make(chan error, 1)}
	node, err := tickwire.NewNode(context.Background(), tickwire.Options{Addr: "127.0.0.1:0", Games: reg, Name: "n1", LogFormat: "json", LogLevel: "debug", LogOutput: e.logs})
	if err != nil {
		t.Fatal(err)
	}
	e.node = node
	ctx, cancel := context.WithCancel(context.Background())
	e.run = cancel
	opts := admin.Options{
		Token:       testToken,
		Rooms:       node.Rooms(),
		Metrics:     node.Metrics(),
		Node:        "n1",
		Logger:      node.Logger(),
		SampleEvery: 200 * time.Millisecond,
		History:     time.Minute,
		Drain:       func(context.Context) error { cancel(); return nil },
	}
	for _, f := range tweak {
		f(&opts)
	}
	a, err := admin.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := admin.Listen("127.0.0.1:0", a)
	if err != nil {
		t.Fatal(err)
	}
	e.admin = srv
	go func() { e.ran <- node.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-e.ran:
			if err != nil {
				t.Errorf("node Run = %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("node did not stop")
		}
		if err := srv.Shutdown(context.Background()); err != nil {
			t.Errorf("admin shutdown: %v", err)
		}
	})
	servertest.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if a := node.Addr(); a == "" || strings.HasSuffix(a, ":0") {
			return io.ErrNoProgress
		}
		return nil
	})
	e.public = node.URL()
	return e
}

// call makes an HTTP request with a JSON body and decodes the JSON answer
// into out (when not nil); it returns the status.
func call(t *testing.T, method, url, token string, body, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
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
			t.Fatalf("%s %s: %d %s: %v", method, url, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode
}

// apiError is the lobby's (and the admin's) error shape.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// player is a guest playing in a room through a real client.
type player struct {
	id   string
	room string
	conn *client.Conn
	seq  uint64
}

// newPlayer makes a guest, creates a room of counter (or joins room when
// given) through the lobby's HTTP API and joins it on /ws.
func (e *env) newPlayer(ctx context.Context, name, room string) *player {
	t := e.t
	t.Helper()
	var g struct {
		PlayerID string `json:"player_id"`
		Token    string `json:"token"`
	}
	if code := call(t, "POST", e.public+"/lobby/guest", "", map[string]string{"name": name}, &g); code != 200 {
		t.Fatalf("guest: %d", code)
	}
	var grant struct {
		RoomID string `json:"room_id"`
		Seat   string `json:"seat"`
	}
	if room == "" {
		if code := call(t, "POST", e.public+"/lobby/rooms", g.Token, map[string]any{"game": "counter"}, &grant); code != 200 {
			t.Fatalf("create room: %d", code)
		}
	} else if code := call(t, "POST", e.public+"/lobby/join", g.Token, map[string]any{"room_id": room}, &grant); code != 200 {
		t.Fatalf("join room: %d", code)
	}
	c, err := client.Dial(ctx, "ws"+strings.TrimPrefix(e.public, "http")+"/ws?token="+url.QueryEscape(g.Token), client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	if w, err := c.Recv(ctx); err != nil || w.GetWelcome() == nil {
		t.Fatalf("welcome = %v, %v", w, err)
	}
	reply, err := c.Request(ctx, &protocol.Envelope{Msg: &tickwirev1.Envelope_JoinRoom{JoinRoom: &tickwirev1.JoinRoom{RoomId: grant.RoomID, Seat: grant.Seat}}})
	if err != nil || reply.GetJoined() == nil {
		t.Fatalf("join = %v, %v", reply, err)
	}
	return &player{id: g.PlayerID, room: grant.RoomID, conn: c}
}

// input sends one input.
func (p *player) input(t *testing.T, dx float32) {
	t.Helper()
	if err := p.send(dx); err != nil {
		t.Fatal(err)
	}
}

// send sends one input (from any goroutine, for one player at a time).
func (p *player) send(dx float32) error {
	p.seq++
	payload, _ := proto.Marshal(&arenav1.Input{Dx: dx})
	return p.conn.Send(&protocol.Envelope{Msg: &tickwirev1.Envelope_Input{Input: &tickwirev1.Input{RoomId: p.room, Seq: p.seq, Payload: payload}}})
}

// waitLeft reads the player's envelopes until a Left arrives.
func (p *player) waitLeft(ctx context.Context) (*tickwirev1.Left, error) {
	for {
		env, err := p.conn.Recv(ctx)
		if err != nil {
			return nil, fmt.Errorf("waiting for Left: %w", err)
		}
		if l := env.GetLeft(); l != nil {
			return l, nil
		}
	}
}

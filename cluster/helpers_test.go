package cluster

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/tickwire/tickwire/channel"
	"github.com/tickwire/tickwire/client"
	"github.com/tickwire/tickwire/cluster/natstest"
	"github.com/tickwire/tickwire/gateway"
	"github.com/tickwire/tickwire/lobby"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/tick"
)

func TestMain(m *testing.M) { servertest.VerifyTestMain(m) }

// counter is the test game: inputs add to one number.
type counter struct{}

type state = *wrapperspb.Int64Value

func (counter) Init(*tick.Room[state]) error                         { return nil }
func (counter) Join(*tick.Room[state], tick.PlayerID) error          { return nil }
func (counter) Leave(*tick.Room[state], tick.PlayerID)               {}
func (counter) Input(r *tick.Room[state], _ tick.PlayerID, in state) { r.State().Value += in.Value }
func (counter) Tick(*tick.Room[state], time.Duration)                {}

func testRegistry() *tick.Registry {
	reg := tick.NewRegistry()
	tick.RegisterIn(reg, tick.GameInfo{Name: "duel", TickHz: 10, MinPlayers: 2, MaxPlayers: 2}, func() tick.Game[state, state] { return counter{} })
	tick.RegisterIn(reg, tick.GameInfo{Name: "party", TickHz: 10, MinPlayers: 1, MaxPlayers: 8}, func() tick.Game[state, state] { return counter{} })
	return reg
}

// testNode is one Tickwire node of a test cluster: a real server on
// loopback with its own rooms and lobby, joined to the NATS cluster.
type testNode struct {
	t     *testing.T
	name  string
	node  *Node
	lobby *lobby.Lobby
	rooms *tick.Rooms
	srv   *server.Server
}

// nodeConfig varies startNode.
type nodeConfig struct {
	cluster string
	secret  []byte
	ttl     time.Duration
	// registry holds the node's games (nil: testRegistry()).
	registry *tick.Registry
	// nats is the node's NATS URLs (empty: every server of the cluster),
	// e.g. proxies in front of them (natstest.Proxy).
	nats string
}

// publishSecret guards the test nodes' POST /publish.
const publishSecret = "test-publish-secret"

var testSecret = []byte("the test cluster's shared secret")

// startNode starts a Tickwire node on the NATS cluster c.
func startNode(t *testing.T, c *natstest.Cluster, name string, cfg nodeConfig) *testNode {
	t.Helper()
	if cfg.secret == nil {
		cfg.secret = testSecret
	}
	if cfg.cluster == "" {
		cfg.cluster = "test"
	}
	if cfg.ttl == 0 {
		cfg.ttl = 2 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel).With().Str("test-node", name).Logger()
	node, err := New(ctx, Options{NATS: cmp.Or(cfg.nats, c.URLs()), Token: c.Token, Cluster: cfg.cluster, Name: name, Secret: cfg.secret, HeartbeatTTL: cfg.ttl, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	tn := &testNode{t: t, name: name, node: node}
	if cfg.registry == nil {
		cfg.registry = testRegistry()
	}
	tn.rooms, err = tick.NewRooms(tick.Options{Registry: cfg.registry, NodeID: name, Logger: log,
		OnUnseat:   func(room string, p tick.PlayerID) { _ = tn.lobby.Release(string(p), room) },
		OnSnapshot: node.SaveSnapshot})
	if err != nil {
		t.Fatal(err)
	}
	tn.lobby, err = lobby.New(node.LobbyOptions(lobby.Options{Rooms: tn.rooms, Logger: log, FillWait: -1}))
	if err != nil {
		t.Fatal(err)
	}
	sopts := server.Options{Logger: log, PublishSecret: publishSecret,
		Rooms: &gateway.TickRooms{Rooms: tn.rooms, Lobby: tn.lobby}, Lobby: gateway.Lobby(tn.lobby), Authenticate: tn.lobby.Authenticate}
	tn.srv, _ = servertest.StartWithHub(t, sopts, channel.Options{Bus: node.ChannelBus(), Node: name}, func(s *server.Server) {
		s.OnShutdown(node.Close)
		s.OnShutdown(tn.lobby.Close)
		s.OnShutdown(tn.rooms.Close)
	})
	if err := node.Start(ctx, Host{Lobby: tn.lobby, Rooms: tn.rooms, URL: tn.url()}); err != nil {
		t.Fatal(err)
	}
	return tn
}

func (tn *testNode) url() string { return servertest.URL(tn.srv, false, "") }

// kill makes the node die as a crashed process would: no goodbye, no
// lease release, no cleanup; its heartbeat just stops. Its HTTP server is
// shut down too.
func (n *Node) kill() {
	n.work.Close()
	n.cancel()
	n.nc.Close()
	n.work.Wait()
}

func (tn *testNode) kill() {
	tn.node.kill()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = tn.srv.Shutdown(ctx)
}

// api calls the lobby's HTTP API at base; it returns the status and
// decodes the body into out.
func api(t *testing.T, base, method, path, token string, body, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+path, rd)
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

func (tn *testNode) guest(name string) guest {
	tn.t.Helper()
	var g guest
	if code := api(tn.t, tn.url(), "POST", "/lobby/guest", "", map[string]string{"name": name}, &g); code != 200 {
		tn.t.Fatalf("guest on %s: %d", tn.name, code)
	}
	return g
}

func (tn *testNode) ticket(g guest, game string) string {
	tn.t.Helper()
	var out struct {
		TicketID string `json:"ticket_id"`
	}
	if code := api(tn.t, tn.url(), "POST", "/lobby/tickets", g.Token, map[string]any{"game": game, "skill": 1500}, &out); code != 200 {
		tn.t.Fatalf("ticket on %s: %d", tn.name, code)
	}
	return out.TicketID
}

// grantReply, roomReply and ticketReply are the lobby's HTTP replies
// (tickwire.v1 Grant, RoomListing and Ticket in protojson), decoded with
// encoding/json as any client would.
type grantReply struct {
	RoomID   string `json:"room_id"`
	URL      string `json:"url"`
	JoinCode string `json:"join_code"`
	Seat     string `json:"seat"`
}

type roomReply struct {
	ID         string `json:"id"`
	Game       string `json:"game"`
	Players    int    `json:"players"`
	MaxPlayers int    `json:"max_players"`
	Private    bool   `json:"private"`
	Joinable   bool   `json:"joinable"`
}

type ticketReply struct {
	TicketID string `json:"ticket_id"`
	Game     string `json:"game"`
	Status   string `json:"status"`
	RoomID   string `json:"room_id"`
	Seat     string `json:"seat"`
	URL      string `json:"url"`
}

// waitMatched polls ticket id on tn until it is matched.
func (tn *testNode) waitMatched(g guest, id string, within time.Duration) ticketReply {
	tn.t.Helper()
	var v ticketReply
	servertest.CheckFor(tn.t, within, 50*time.Millisecond, func() error {
		if code := api(tn.t, tn.url(), "GET", "/lobby/tickets/"+id, g.Token, nil, &v); code != 200 {
			return fmt.Errorf("GET ticket: %d", code)
		}
		if v.Status != lobby.StatusMatched {
			return fmt.Errorf("ticket %s is %s", id, v.Status)
		}
		return nil
	})
	return v
}

// play opens /ws at base as g and joins room with seat.
func play(t *testing.T, base string, g guest, room, seat string) (*client.Conn, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	u, _ := url.Parse(base)
	c, err := client.Dial(ctx, "ws://"+u.Host+"/ws?token="+url.QueryEscape(g.Token), client.Options{})
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	if _, err := c.Recv(ctx); err != nil { // Welcome
		return nil, err
	}
	reply, err := c.Request(ctx, &protocol.Envelope{Msg: &tickwirev1.Envelope_JoinRoom{JoinRoom: &tickwirev1.JoinRoom{RoomId: room, Seat: seat}}})
	if err != nil {
		return nil, err
	}
	if reply.GetJoined() == nil {
		return nil, errors.New("no Joined")
	}
	return c, nil
}

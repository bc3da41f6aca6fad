package crossword

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire"
	"github.com/tickwire/tickwire/client"
	"github.com/tickwire/tickwire/lobby"
	crosswordv1 "github.com/tickwire/tickwire/proto/tickwire/crossword/v1"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/tick"
)

// serveWorld serves the crossword on a real server as the demo does: the
// game registered with dir, its world opened and adopted by the lobby.
func serveWorld(t *testing.T, dir string) (*server.Server, *tick.Rooms, *lobby.Lobby) {
	t.Helper()
	reg := tick.NewRegistry()
	metrics := tickwire.NewMetrics()
	if err := Register(reg, Config{DataDir: dir, Registerer: metrics, ActionCooldown: -1}); err != nil {
		t.Fatal(err)
	}
	node := startNode(t, tickwire.Options{Games: reg, Metrics: metrics, Name: "test"})
	// A singleton game: NewNode opened the world.
	if _, err := node.Singleton(Name); err != nil {
		t.Fatal(err)
	}
	return node.Server(), node.Rooms(), node.Lobby()
}

// startNode starts a tickwire.Node for opts on 127.0.0.1:0, without logs,
// and shuts it down when the test ends.
func startNode(t *testing.T, opts tickwire.Options) *tickwire.Node {
	t.Helper()
	log := zerolog.Nop()
	opts.Addr, opts.Logger = "127.0.0.1:0", &log
	node, err := tickwire.NewNode(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := node.Start(); err != nil {
		_ = node.Shutdown(context.Background())
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := node.Shutdown(ctx); err != nil {
			t.Errorf("node.Shutdown: %v", err)
		}
	})
	return node
}

// gamer is a Go client in the world, with a replica per topic.
type gamer struct {
	t    *testing.T
	c    *client.Conn
	id   string
	room string
	seq  uint64
	wg   sync.WaitGroup

	mu     sync.Mutex
	topics *client.Topics[*crosswordv1.State]
	frames map[string]int // frames received by topic
	errs   []*tickwirev1.Error
	err    error
}

func joinWorld(t *testing.T, srv *server.Server) *gamer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, servertest.URL(srv, true, "/ws"), client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	welcome, err := c.Recv(ctx)
	if err != nil || welcome.GetWelcome() == nil {
		t.Fatalf("welcome: %v %v", welcome, err)
	}
	reply, err := c.Request(ctx, &protocol.Envelope{Msg: &tickwirev1.Envelope_JoinRoom{JoinRoom: &tickwirev1.JoinRoom{Game: Name}}})
	if err != nil || reply.GetJoined() == nil {
		t.Fatalf("join the crossword: %v %v", reply, err)
	}
	g := &gamer{t: t, c: c, id: welcome.GetWelcome().PlayerId, room: reply.GetJoined().RoomId, frames: map[string]int{}}
	g.topics = client.NewTopics[*crosswordv1.State](g.room)
	g.wg.Go(g.read)
	t.Cleanup(func() {
		_ = c.Close(context.Background())
		g.wg.Wait()
	})
	return g
}

func (g *gamer) read() {
	for {
		env, err := g.c.Recv(context.Background())
		if err != nil {
			return
		}
		g.mu.Lock()
		switch {
		case env.GetState() != nil:
			topic, _, err := g.topics.Apply(env.GetState())
			if err != nil && g.err == nil {
				g.err = err
			}
			if !env.GetState().Unsubscribed {
				g.frames[topic]++
			}
		case env.GetError() != nil:
			g.errs = append(g.errs, env.GetError())
		}
		g.mu.Unlock()
	}
}

func (g *gamer) send(in *crosswordv1.Input) uint64 {
	g.t.Helper()
	payload, err := proto.Marshal(in)
	if err != nil {
		g.t.Fatal(err)
	}
	g.seq++
	if err := g.c.Send(&protocol.Envelope{Msg: &tickwirev1.Envelope_Input{Input: &tickwirev1.Input{RoomId: g.room, Seq: g.seq, Payload: payload}}}); err != nil {
		g.t.Fatal(err)
	}
	return g.seq
}

// look reads the replicas under the lock.
func (g *gamer) look(f func(me *crosswordv1.Player, chunks map[uint32]*crosswordv1.Chunk, topics map[string]*client.Replica[*crosswordv1.State]) error) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.err != nil {
		return g.err
	}
	chunks := map[uint32]*crosswordv1.Chunk{}
	var me *crosswordv1.Player
	for name, r := range g.topics.Replicas {
		if !r.Ready() {
			continue
		}
		maps.Copy(chunks, r.State.Chunks)
		if name == TopicMe+g.id {
			me = proto.CloneOf(r.State.Players[g.id])
		}
	}
	return f(me, chunks, g.topics.Replicas)
}

func (g *gamer) waitFor(what string, f func(me *crosswordv1.Player, chunks map[uint32]*crosswordv1.Chunk, topics map[string]*client.Replica[*crosswordv1.State]) error) {
	g.t.Helper()
	servertest.CheckFor(g.t, 5*time.Second, 5*time.Millisecond, func() error {
		if err := g.look(f); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	})
}

func TestWorldOverTheWire(t *testing.T) {
	dir := t.TempDir()
	srv, _, lob := serveWorld(t, dir)
	a, b := joinWorld(t, srv), joinWorld(t, srv)
	if a.room != b.room {
		t.Fatalf("two players in two worlds: %s and %s", a.room, b.room)
	}
	rooms, err := lob.ListRooms(context.Background(), Name)
	if err != nil || len(rooms) != 1 || rooms[0].Id != a.room || rooms[0].MaxPlayers != MaxPlayers {
		t.Fatalf("the lobby lists %v, %v; want the one world", rooms, err)
	}
	centre := ChunkTopic(C/ChunkSize, C/ChunkSize)
	ready := func(me *crosswordv1.Player, _ map[uint32]*crosswordv1.Chunk, topics map[string]*client.Replica[*crosswordv1.State]) error {
		if me == nil || topics[TopicOverview] == nil || topics[TopicLeaderboard] == nil {
			return errors.New("not subscribed yet")
		}
		return nil
	}
	a.waitFor("a's topics", ready)
	b.waitFor("b's topics", ready)

	// A refused play: an Error naming the input, and nothing changes.
	seq := a.send(&crosswordv1.Input{Action: &crosswordv1.Input_Play{Play: &crosswordv1.Play{Tiles: tiles(0, 0, true, "qq")}}})
	a.waitFor("the refusal", func(me *crosswordv1.Player, _ map[uint32]*crosswordv1.Chunk, _ map[string]*client.Replica[*crosswordv1.State]) error {
		if len(a.errs) == 0 {
			return errors.New("no error")
		}
		e := a.errs[0]
		if e.Code != tickwirev1.ErrorCode_ERROR_CODE_INPUT_REFUSED || e.RoomId != a.room || e.InputSeq != seq || e.Message == "" {
			return fmt.Errorf("error %v", e)
		}
		if me.LastRefusal != e.Message {
			return fmt.Errorf("last refusal %q, want %q", me.LastRefusal, e.Message)
		}
		return nil
	})

	// a plays the first word; b sees it.
	f := NewFinder(nil, 3)
	play := func(g *gamer) []*crosswordv1.Tile {
		t.Helper()
		found := findPlay(t, g, f)
		g.send(&crosswordv1.Input{Action: &crosswordv1.Input_Play{Play: &crosswordv1.Play{Tiles: found}}})
		return found
	}
	onBoard := func(placed []*crosswordv1.Tile, want bool) func(*crosswordv1.Player, map[uint32]*crosswordv1.Chunk, map[string]*client.Replica[*crosswordv1.State]) error {
		return func(_ *crosswordv1.Player, chunks map[uint32]*crosswordv1.Chunk, _ map[string]*client.Replica[*crosswordv1.State]) error {
			for _, tl := range placed {
				if got := board(chunks).at(int(tl.X), int(tl.Y)); (got == tl.Letter[0]) != want {
					return fmt.Errorf("%d,%d holds %q", tl.X, tl.Y, got)
				}
			}
			return nil
		}
	}
	first := play(a)
	b.waitFor("a's first word on b's board", onBoard(first, true))
	a.waitFor("a's score", func(me *crosswordv1.Player, _ map[uint32]*crosswordv1.Chunk, _ map[string]*client.Replica[*crosswordv1.State]) error {
		if me.Words != 1 || me.Score == 0 || len(me.Rack) != RackSize {
			return fmt.Errorf("a after the first word: %v", me)
		}
		return nil
	})

	// b looks away: its centre chunk topics go; a's next word does not
	// reach it; looking back brings the chunks with both words.
	b.send(&crosswordv1.Input{Action: &crosswordv1.Input_View{View: &crosswordv1.View{X: 0, Y: 0, W: 64, H: 64}}})
	b.waitFor("b's view moved", func(me *crosswordv1.Player, _ map[uint32]*crosswordv1.Chunk, topics map[string]*client.Replica[*crosswordv1.State]) error {
		if topics[centre] != nil || me.GetView().GetX() != 0 {
			return errors.New("still on the centre") // (the empty corner is no topic)
		}
		return nil
	})
	b.mu.Lock()
	seen := b.frames[centre]
	b.mu.Unlock()
	a.waitFor("a's replica", onBoard(first, true))
	second := play(a)
	a.waitFor("a's second word", onBoard(second, true))
	b.mu.Lock()
	after := b.frames[centre]
	b.mu.Unlock()
	if after != seen {
		t.Fatal("b got frames of a chunk out of its view")
	}
	b.send(&crosswordv1.Input{Action: &crosswordv1.Input_View{View: &crosswordv1.View{X: C - 32, Y: C - 32, W: 64, H: 64}}})
	b.waitFor("both words on b's board", onBoard(append(first, second...), true))
}

func TestOpenWorld(t *testing.T) {
	dir := t.TempDir()
	reg := tick.NewRegistry()
	if err := Register(reg, Config{DataDir: dir, Registerer: prometheus.NewRegistry()}); err != nil {
		t.Fatal(err)
	}
	info, ok := reg.Lookup(Name)
	if !ok || info.TickHz != TickHz || info.MaxPlayers != MaxPlayers || info.StateType != "tickwire.crossword.v1.State" {
		t.Fatalf("registration %v", info)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("registering twice did not panic")
			}
		}()
		_ = Register(reg, Config{})
	}()
	if err := Register(tick.NewRegistry(), Config{SnapshotEvery: -1}); err == nil || !strings.Contains(err.Error(), "SnapshotEvery") {
		t.Errorf("a bad config: %v", err)
	}

	rooms, err := tick.NewRooms(tick.Options{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	h, err := OpenWorld(ctx, rooms, nil)
	if err != nil {
		t.Fatal(err)
	}
	h2, err := OpenWorld(ctx, rooms, nil)
	if err != nil || h2.ID() != h.ID() {
		t.Fatalf("a second OpenWorld: %v, %v; want the same room", h2, err)
	}
	// A singleton game has no second room.
	if !info.Singleton || info.SingletonCode != WorldCode {
		t.Errorf("registration %+v: want a singleton known by %s", info, WorldCode)
	}
	if _, err := rooms.Create(ctx, Name, tick.RoomOptions{}); !errors.Is(err, tick.ErrSingletonRunning) {
		t.Fatalf("a second world room: %v, want tick.ErrSingletonRunning", err)
	}
	if err := rooms.Close(ctx); err != nil {
		t.Fatal(err)
	}

	// A corrupt snapshot stops the world from opening, naming the file.
	path := filepath.Join(dir, SnapshotFile)
	if err := os.WriteFile(path, []byte("TWCWSNAP\x00\x00\x00\x01"), 0o644); err != nil {
		t.Fatal(err)
	}
	rooms, err = tick.NewRooms(tick.Options{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer rooms.Close(ctx)
	_, err = OpenWorld(ctx, rooms, nil)
	if !errors.Is(err, ErrCorruptSnapshot) || !strings.Contains(err.Error(), path) {
		t.Fatalf("OpenWorld on a corrupt snapshot: %v", err)
	}
	t.Logf("OpenWorld on a truncated snapshot: %v", err)
}

func TestRestartKeepsTheBoard(t *testing.T) {
	dir := t.TempDir()
	srv, _, _ := serveWorld(t, dir)
	a := joinWorld(t, srv)
	a.waitFor("a's topics", func(me *crosswordv1.Player, _ map[uint32]*crosswordv1.Chunk, topics map[string]*client.Replica[*crosswordv1.State]) error {
		if me == nil || topics[TopicOverview] == nil {
			return errors.New("not subscribed yet")
		}
		return nil
	})
	var rack string
	word := findPlay(t, a, NewFinder(nil, 5))
	a.send(&crosswordv1.Input{Action: &crosswordv1.Input_Play{Play: &crosswordv1.Play{Tiles: word}}})
	a.waitFor("the word", func(me *crosswordv1.Player, chunks map[uint32]*crosswordv1.Chunk, _ map[string]*client.Replica[*crosswordv1.State]) error {
		if me.Words != 1 {
			return errors.New("not played yet")
		}
		rack = me.Rack
		return nil
	})
	// The server goes (the world room's Close writes the snapshot) and
	// comes back on the same directory.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	srv2, _, _ := serveWorld(t, dir)
	c := joinWorld(t, srv2)
	c.waitFor("the word after the restart", func(me *crosswordv1.Player, chunks map[uint32]*crosswordv1.Chunk, topics map[string]*client.Replica[*crosswordv1.State]) error {
		for _, tl := range word {
			if got := board(chunks).at(int(tl.X), int(tl.Y)); got != tl.Letter[0] {
				return fmt.Errorf("%d,%d holds %q, want %q", tl.X, tl.Y, got, tl.Letter)
			}
		}
		lb := topics[TopicLeaderboard]
		if lb == nil || !lb.Ready() || len(lb.State.Leaderboard) == 0 || lb.State.Leaderboard[0].PlayerId != a.id {
			return errors.New("a is not on the leaderboard")
		}
		return nil
	})
	// The snapshot has a's rack as a left it.
	data, err := os.ReadFile(filepath.Join(dir, SnapshotFile))
	if err != nil {
		t.Fatal(err)
	}
	s, err := DecodeSnapshot(data)
	if err != nil || s.Players[a.id].GetRack() != rack {
		t.Fatalf("snapshot: %v; a's rack %q, want %q", err, s.Players[a.id].GetRack(), rack)
	}
}

// findPlay finds a play for g's rack with f, swapping the whole rack (a
// life each, three at most) while the random rack holds no word: a test
// must not depend on the draw.
func findPlay(t *testing.T, g *gamer, f *Finder) []*crosswordv1.Tile {
	t.Helper()
	for range 4 {
		var found []*crosswordv1.Tile
		var rack string
		err := g.look(func(me *crosswordv1.Player, chunks map[uint32]*crosswordv1.Chunk, topics map[string]*client.Replica[*crosswordv1.State]) error {
			first := len(chunks) == 0 && (topics[TopicOverview] == nil || topics[TopicOverview].State.Overview.GetTotalTiles() == 0)
			found, rack = f.Find(chunks, first, me, 60000), me.GetRack()
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if found != nil {
			return found
		}
		g.send(&crosswordv1.Input{Action: &crosswordv1.Input_Swap{Swap: &crosswordv1.Swap{}}})
		g.waitFor("a new rack", func(me *crosswordv1.Player, _ map[uint32]*crosswordv1.Chunk, _ map[string]*client.Replica[*crosswordv1.State]) error {
			if me.GetRack() == rack {
				return errors.New("the rack did not change yet")
			}
			return nil
		})
	}
	t.Fatal("no play found in four racks")
	return nil
}

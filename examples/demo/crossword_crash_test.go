package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/client"
	"github.com/tickwire/tickwire/examples/crossword"
	crosswordv1 "github.com/tickwire/tickwire/proto/tickwire/crossword/v1"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/server"
)

// crashChildEnv names the data directory of the demo process that
// TestCrosswordSIGKILL starts (this test binary again) and kills.
const crashChildEnv = "TICKWIRE_CRASH_CHILD_DATA_DIR"

// TestCrosswordCrashChild is not a test of its own: it is the demo
// process TestCrosswordSIGKILL kills. It prints the demo's address and
// serves until it is killed.
func TestCrosswordCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("the child process of TestCrosswordSIGKILL")
	}
	ready := make(chan *server.Server, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(context.Background(), []string{"-addr", "127.0.0.1:0", "-log-format", "json", "-data-dir", dir}, os.Stderr, ready)
	}()
	select {
	case srv := <-ready:
		fmt.Printf("ADDR %s\n", srv.Addr())
	case err := <-done:
		t.Fatalf("demo exited: %v", err)
	}
	t.Fatalf("demo exited: %v", <-done) // it is killed first
}

// crashPlay is a play a client saw acknowledged: its own state showed it
// (Player.words went up), which the crossword publishes only once the
// play's journal record is fsynced.
type crashPlay struct {
	number uint32 // the player's number, on its tiles
	tiles  []*crosswordv1.Tile
	round  int
}

// TestCrosswordSIGKILL plays the demo's crossword with a few Go clients,
// kills the demo with SIGKILL at a random moment, restarts it on the same
// data directory, and checks that every play a client saw acknowledged
// before the kill is in the world, letter and owner, five times over.
func TestCrosswordSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts the demo five times")
	}
	const rounds, bots = 5, 6
	dir := t.TempDir()
	eng, err := client.NewEngine(1)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	var (
		mu    sync.Mutex
		acked []crashPlay
	)
	ackedNow := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(acked)
	}
	for round := range rounds + 1 {
		child, addr := startCrashChild(t, dir)
		mu.Lock()
		want := append([]crashPlay(nil), acked...)
		mu.Unlock()
		checkPlays(t, eng, addr, want)
		if round == rounds {
			_ = child.Process.Kill()
			_ = child.Wait()
			break
		}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for b := range bots {
			wg.Go(func() {
				crashBot(ctx, eng, addr, uint64(round*bots+b), func(p crashPlay) {
					p.round = round
					mu.Lock()
					acked = append(acked, p)
					mu.Unlock()
				})
			})
		}
		// Let a play or two land, then kill at a random moment of play.
		before := ackedNow()
		deadline := time.Now().Add(15 * time.Second)
		for ackedNow() == before && time.Now().Before(deadline) {
			select {
			case <-time.After(20 * time.Millisecond):
			case <-ctx.Done():
			}
		}
		if ackedNow() == before {
			cancel()
			wg.Wait()
			_ = child.Process.Kill()
			_ = child.Wait()
			t.Fatalf("round %d: no play was acknowledged within 15 s", round)
		}
		<-time.After(time.Duration(rng.Int64N(int64(2500 * time.Millisecond))))
		if err := child.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = child.Wait()
		cancel()
		wg.Wait()
		t.Logf("round %d: killed with %d plays acknowledged so far", round, ackedNow())
	}
}

// startCrashChild starts the demo on dir in a child process and returns it
// with its address.
func startCrashChild(t *testing.T, dir string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrosswordCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	var logs syncBuffer
	cmd.Stderr = &logs
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait() // closes stdout: the reader below ends
	})
	addr := make(chan string, 1)
	go func() { // ends when the child's stdout closes
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "ADDR "); ok {
				addr <- a
			}
		}
		close(addr)
	}()
	select {
	case a, ok := <-addr:
		if !ok {
			_ = cmd.Wait()
			t.Fatalf("the demo did not start:\n%s", logs.String())
		}
		if strings.Contains(logs.String(), "crossword not started") {
			t.Fatalf("the crossword did not start after a kill:\n%s", logs.String())
		}
		return cmd, a
	case <-time.After(30 * time.Second):
		t.Fatalf("the demo did not start within 30 s:\n%s", logs.String())
	}
	return nil, ""
}

// crashConn is one client seated in the crossword world, with its topic
// replicas, kept by its reader goroutine.
type crashConn struct {
	c    *client.Conn
	id   string
	room string

	mu      sync.Mutex
	topics  *client.Topics[*crosswordv1.State]
	refused map[uint64]bool // input seqs refused
	changed chan struct{}   // a frame or an error arrived (capacity 1)
}

// joinCrossword connects to the demo at addr as a new guest and takes a
// seat in the world; its reader runs until the connection ends.
func joinCrossword(ctx context.Context, eng *client.Engine, addr string, wg *sync.WaitGroup) (*crashConn, error) {
	c, err := client.Dial(ctx, "ws://"+addr+"/ws", client.Options{Engine: eng})
	if err != nil {
		return nil, err
	}
	welcome, err := c.Recv(ctx)
	if err != nil {
		_ = c.Close(context.Background())
		return nil, err
	}
	reply, err := c.Request(ctx, &protocol.Envelope{Msg: &tickwirev1.Envelope_JoinRoom{JoinRoom: &tickwirev1.JoinRoom{Game: crossword.Name}}})
	if err != nil || reply.GetJoined() == nil {
		_ = c.Close(context.Background())
		return nil, fmt.Errorf("join the crossword: %v %v", reply, err)
	}
	room := reply.GetJoined().RoomId
	cc := &crashConn{c: c, id: welcome.GetWelcome().GetPlayerId(), room: room, topics: client.NewTopics[*crosswordv1.State](room),
		refused: map[uint64]bool{}, changed: make(chan struct{}, 1)}
	wg.Go(func() {
		for {
			env, err := c.Recv(ctx)
			if err != nil {
				return
			}
			cc.mu.Lock()
			if st := env.GetState(); st != nil {
				_, _, _ = cc.topics.Apply(st)
			}
			if e := env.GetError(); e != nil && e.Code == tickwirev1.ErrorCode_ERROR_CODE_INPUT_REFUSED {
				cc.refused[e.InputSeq] = true
			}
			cc.mu.Unlock()
			select {
			case cc.changed <- struct{}{}:
			default:
			}
		}
	})
	return cc, nil
}

// look returns copies of what the client knows: its own state, the
// chunks it receives, and whether the board is empty.
func (cc *crashConn) look() (*crosswordv1.Player, map[uint32]*crosswordv1.Chunk, bool) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	var me *crosswordv1.Player
	if r := cc.topics.Replicas[crossword.TopicMe+cc.id]; r != nil {
		me = proto.CloneOf(r.State.GetPlayers()[cc.id])
	}
	chunks := map[uint32]*crosswordv1.Chunk{}
	empty := true
	for name, r := range cc.topics.Replicas {
		for k, c := range r.State.GetChunks() {
			chunks[k] = proto.CloneOf(c)
		}
		if name == crossword.TopicOverview {
			empty = r.State.GetOverview().GetTotalTiles() == 0
		}
	}
	return me, chunks, empty
}

// send sends a crossword input with seq.
func (cc *crashConn) send(seq uint64, in *crosswordv1.Input) error {
	payload, err := proto.Marshal(in)
	if err != nil {
		return err
	}
	return cc.c.Send(&protocol.Envelope{Msg: &tickwirev1.Envelope_Input{Input: &tickwirev1.Input{RoomId: cc.room, Seq: seq, Payload: payload}}})
}

// wait waits for the next frame or error, or d.
func (cc *crashConn) wait(ctx context.Context, d time.Duration) bool {
	select {
	case <-cc.changed:
		return true
	case <-time.After(d):
		return true
	case <-ctx.Done():
		return false
	case <-cc.c.Done():
		return false
	}
}

// crashBot plays words until ctx ends or the server goes: one play at a
// time, found by the game's Finder on what it receives, and reports each
// play it sees acknowledged.
func crashBot(ctx context.Context, eng *client.Engine, addr string, seed uint64, ack func(crashPlay)) {
	var wg sync.WaitGroup
	defer wg.Wait()
	cc, err := joinCrossword(ctx, eng, addr, &wg)
	if err != nil {
		return
	}
	defer cc.c.Close(context.Background())
	finder := crossword.NewFinder(nil, seed)
	var seq uint64
	for ctx.Err() == nil {
		me, chunks, empty := cc.look()
		if me == nil || me.Rack == "" {
			if !cc.wait(ctx, 50*time.Millisecond) {
				return
			}
			continue
		}
		tiles := finder.Find(chunks, empty, me, 4000)
		seq++
		in := &crosswordv1.Input{Action: &crosswordv1.Input_Play{Play: &crosswordv1.Play{Tiles: tiles}}}
		if tiles == nil {
			in.Action = &crosswordv1.Input_Swap{Swap: &crosswordv1.Swap{}}
		}
		if cc.send(seq, in) != nil {
			return
		}
		// Wait for this input's answer: the state showing it (a play: one
		// more word; a swap: another rack), or its refusal.
		deadline := time.Now().Add(3 * time.Second)
		for time.Now().Before(deadline) {
			if !cc.wait(ctx, 100*time.Millisecond) {
				return
			}
			now, _, _ := cc.look()
			cc.mu.Lock()
			refused := cc.refused[seq]
			cc.mu.Unlock()
			if refused {
				break
			}
			if tiles != nil && now.GetWords() > me.Words {
				ack(crashPlay{number: now.Number, tiles: tiles})
				break
			}
			if tiles == nil && now.GetRack() != me.Rack {
				break
			}
		}
		// The game's cooldown between two plays.
		select {
		case <-time.After(crossword.DefaultActionCooldown + 50*time.Millisecond):
		case <-ctx.Done():
			return
		}
	}
}

// checkPlays joins the world at addr and checks that every play in want
// is on the board, each tile with its letter and its player's number.
func checkPlays(t *testing.T, eng *client.Engine, addr string, want []crashPlay) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	cc, err := joinCrossword(ctx, eng, addr, &wg)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.c.Close(context.Background())
	// The bots' plays lie in their view (the newcomer's, around the
	// centre) widened by the margin: one largest view covers them all.
	v := &crosswordv1.View{X: crossword.Centre - crossword.MaxView/2, Y: crossword.Centre - crossword.MaxView/2, W: crossword.MaxView, H: crossword.MaxView}
	if err := cc.send(1, &crosswordv1.Input{Action: &crosswordv1.Input_View{View: v}}); err != nil {
		t.Fatal(err)
	}
	var missing []string
	for {
		_, chunks, _ := cc.look()
		missing = missing[:0]
		for _, p := range want {
			for _, tile := range p.tiles {
				key := uint32(int(tile.Y)/crossword.ChunkSize*crossword.ChunksPerSide + int(tile.X)/crossword.ChunkSize)
				idx := int(tile.Y)%crossword.ChunkSize*crossword.ChunkSize + int(tile.X)%crossword.ChunkSize
				c := chunks[key]
				if c == nil || string(c.Letters[idx]) != tile.Letter || c.Placed[uint32(idx)].GetPlayer() != p.number {
					missing = append(missing, fmt.Sprintf("round %d: player %d's %q at %d,%d", p.round, p.number, tile.Letter, tile.X, tile.Y))
				}
			}
		}
		if len(missing) == 0 {
			t.Logf("all %d acknowledged plays are in the world", len(want))
			return
		}
		if !cc.wait(ctx, 100*time.Millisecond) {
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				t.Fatalf("%d acknowledged tiles are not in the world after a SIGKILL and restart:\n%s", len(missing), strings.Join(missing, "\n"))
			}
			t.Fatal("the checker's connection ended")
		}
	}
}

package cluster

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/tickwire/tickwire/cluster/natstest"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/tick"
)

// grower is the recorded test game: every tick draws 512 bytes from the
// room's Rand into its state (keeping the last 16 KiB), and inputs append
// theirs, so a room's log holds state records of 16 KiB and fills many
// chunks in a second.
type grower struct{}

type growState = *wrapperspb.BytesValue

const growKeep = 16 << 10

func (grower) Init(*tick.Room[growState]) error                { return nil }
func (grower) Join(*tick.Room[growState], tick.PlayerID) error { return nil }
func (grower) Leave(*tick.Room[growState], tick.PlayerID)      {}
func (grower) Input(r *tick.Room[growState], _ tick.PlayerID, in growState) {
	r.State().Value = grow(r.State().Value, in.Value)
}
func (grower) Tick(r *tick.Room[growState], _ time.Duration) {
	b := make([]byte, 512)
	for i := range b {
		b[i] = byte(r.Rand().Uint64())
	}
	r.State().Value = grow(r.State().Value, b)
}

// grow returns the last growKeep bytes of old and b, in a new slice.
func grow(old, b []byte) []byte {
	keep := old[max(0, len(old)+len(b)-growKeep):]
	return append(append(make([]byte, 0, len(keep)+len(b)), keep...), b...)
}

func growRegistry() *tick.Registry {
	reg := tick.NewRegistry()
	tick.RegisterIn(reg, tick.GameInfo{Name: "grow", TickHz: 100, MaxPlayers: 4, Record: tick.RecordOptions{NodeSink: true, StateEvery: 10}},
		func() tick.Game[growState, growState] { return grower{} })
	return reg
}

// nopPeer is a seated player's connection that takes every frame.
type nopPeer struct{}

func (nopPeer) SendState([]byte, uint64, bool, string) bool { return true }
func (nopPeer) Send(*protocol.Envelope)                     {}

// syncLog collects log lines for a test to count.
type syncLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *syncLog) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.buf.String(), s)
}

// replayNode starts a cluster node on c (not Started: the sink works
// from New) and a Rooms recording into its sink, both closed when the
// test ends.
func replayNode(t *testing.T, c *natstest.Cluster, opts Options, roomLog *syncLog) (*Node, *tick.Rooms) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel)
	opts.NATS, opts.Token, opts.Secret, opts.Logger = c.URLs(), c.Token, testSecret, log
	opts.Cluster = cmp.Or(opts.Cluster, "test")
	opts.Name = cmp.Or(opts.Name, "n1")
	node, err := New(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = node.Close(ctx)
	})
	rlog := log
	if roomLog != nil {
		rlog = zerolog.New(roomLog)
	}
	rooms, err := tick.NewRooms(tick.Options{Registry: growRegistry(), RecordSink: node.ReplaySink(), Logger: rlog, NodeID: opts.Name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = rooms.Close(ctx)
	})
	return node, rooms
}

// waitTicks waits until h has run at least n ticks.
func waitTicks(t *testing.T, h *tick.Handle, n uint64) {
	t.Helper()
	servertest.CheckFor(t, 30*time.Second, 5*time.Millisecond, func() error {
		if got := h.Stats().Ticks; got < n {
			return fmt.Errorf("room ran %d ticks, want %d", got, n)
		}
		return nil
	})
}

// TestReplayStreamRecordsRoom records a room with joins, inputs and a
// leave through the node's sink, reads its log back from JetStream and
// replays it: every tick's hash must match.
func TestReplayStreamRecordsRoom(t *testing.T) {
	c := natstest.StartCluster(t, natstest.Options{Servers: 1})
	node, rooms := replayNode(t, c, Options{}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h, err := rooms.Create(ctx, "grow", tick.RoomOptions{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []tick.PlayerID{"ann", "bob"} {
		if err := h.Join(ctx, p, nopPeer{}); err != nil {
			t.Fatal(err)
		}
	}
	sent := 0
	for i := range 60 {
		p := tick.PlayerID("ann")
		if i%2 == 1 && i < 40 {
			p = "bob"
		}
		if i == 40 {
			h.Leave("bob")
		}
		payload, _ := proto.Marshal(wrapperspb.Bytes([]byte(fmt.Sprintf("input %d of %s", i, p))))
		if err := h.Input(p, uint64(i+1), payload); err != nil {
			t.Fatalf("input %d: %v", i, err)
		}
		sent++
		waitTicks(t, h, h.Stats().Ticks+2)
	}
	waitTicks(t, h, 200)
	if err := h.Close(ctx); err != nil {
		t.Fatal(err)
	}
	ran := h.Stats().Ticks

	var lg *RoomLog
	servertest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		var err error
		if lg, err = node.ReadReplay(ctx, "grow", h.ID()); err != nil {
			return err
		}
		if !lg.Complete {
			return errors.New("log not complete yet")
		}
		return nil
	})
	if lg.Node != "n1" || lg.Game != "grow" || lg.Room != h.ID() || lg.Chunks < 5 || len(lg.Data) < 4*replayChunkBytes {
		t.Fatalf("read back %+v with %d bytes: want a log of several chunks by n1", lg.Recording, len(lg.Data))
	}
	res, err := tick.Replay(growRegistry(), bytes.NewReader(lg.Data), tick.ReplayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Divergence != nil || res.Failure != "" {
		t.Fatalf("replay diverged: %v %s", res.Divergence, res.Failure)
	}
	if res.Ticks != ran || uint64(res.Hashes) != ran || res.Joins != 2 || res.Leaves != 1 || res.Inputs != sent || res.End != "room closed" {
		t.Fatalf("replayed %d ticks, %d hashes, %d joins, %d leaves, %d inputs, end %q; the room ran %d ticks, 2 joins, 1 leave, %d inputs",
			res.Ticks, res.Hashes, res.Joins, res.Leaves, res.Inputs, res.End, ran, sent)
	}
	recs, err := node.ListReplays(ctx, "")
	if err != nil || len(recs) != 1 || recs[0].Room != h.ID() || recs[0].Chunks != lg.Chunks || time.Since(recs[0].Started) > time.Minute {
		t.Fatalf("ListReplays: %+v, %v", recs, err)
	}
	servertest.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error { // acks arrive after the stream stored the chunks
		if st := node.ReplayStats(); st.Dropped != 0 || st.Chunks != lg.Chunks || st.Bytes != uint64(len(lg.Data)) {
			return fmt.Errorf("stats %+v; the log has %d chunks, %d bytes", st, lg.Chunks, len(lg.Data))
		}
		return nil
	})
	if _, err := node.ReadReplay(ctx, "", "nosuchroom"); !errors.Is(err, ErrReplayNotFound) {
		t.Fatalf("ReadReplay of a room never recorded: %v", err)
	}
}

// TestReplayOutageDoesNotStallRoom stops NATS while a recorded room
// runs: the room must keep ticking on time, and its recording stop with
// one log line.
func TestReplayOutageDoesNotStallRoom(t *testing.T) {
	c := natstest.StartCluster(t, natstest.Options{Servers: 1})
	var roomLog syncLog
	node, rooms := replayNode(t, c, Options{ReplayAckTimeout: 300 * time.Millisecond}, &roomLog)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h, err := rooms.Create(ctx, "grow", tick.RoomOptions{})
	if err != nil {
		t.Fatal(err)
	}
	servertest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if st := node.ReplayStats(); st.Chunks < 2 {
			return fmt.Errorf("%d chunks stored", st.Chunks)
		}
		return nil
	})
	c.Shutdown(0)
	down := time.Now()
	before := h.Stats().Ticks
	const failed = "room log failed; the room runs on unrecorded"
	servertest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if roomLog.count(failed) == 0 {
			return errors.New("the recording is not dropped yet")
		}
		return nil
	})
	dropped := h.Stats().Ticks
	waitTicks(t, h, dropped+100) // a second at 100 Hz, unrecorded
	elapsed := time.Since(down)
	if ticked := h.Stats().Ticks - before; float64(ticked) < 0.5*100*elapsed.Seconds() {
		t.Fatalf("the room ran %d ticks in the %v since NATS stopped: want about %.0f", ticked, elapsed, 100*elapsed.Seconds())
	}
	if err := h.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if n := roomLog.count(failed); n != 1 || roomLog.count(`"level":"error"`) != 1 {
		t.Fatalf("%d lines say the recording failed, want 1:\n%s", n, roomLog.buf.String())
	}
	if !strings.Contains(roomLog.buf.String(), ErrReplayDropped.Error()) {
		t.Fatalf("the line does not say why:\n%s", roomLog.buf.String())
	}
	if st := node.ReplayStats(); st.Dropped != 1 {
		t.Fatalf("stats %+v: want 1 dropped recording", st)
	}
	if d := h.Stats().Duration; d.Max() > 250*time.Millisecond {
		t.Fatalf("the slowest tick took %v while NATS was down", d.Max())
	}
}

// TestReplayStreamLimits checks that the replay stream has the limits
// the options give, that a node with other options updates them, and
// that a recording whose start the per-recording limit removed is
// reported as truncated.
func TestReplayStreamLimits(t *testing.T) {
	c := natstest.StartCluster(t, natstest.Options{Servers: 1})
	js, err := jetstream.New(c.Connect(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	config := func() jetstream.StreamConfig {
		t.Helper()
		st, err := js.Stream(ctx, ReplayStream("lim"))
		if err != nil {
			t.Fatal(err)
		}
		info, err := st.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return info.Config
	}
	node, rooms := replayNode(t, c, Options{Cluster: "lim", ReplayMaxBytes: 8 << 20, ReplayMaxAge: 2 * time.Hour, ReplayMaxChunks: 3}, nil)
	cfg := config()
	if cfg.MaxBytes != 8<<20 || cfg.MaxAge != 2*time.Hour || cfg.MaxMsgsPerSubject != 3 || cfg.Discard != jetstream.DiscardOld ||
		cfg.Storage != jetstream.FileStorage || len(cfg.Subjects) != 1 || cfg.Subjects[0] != "tickwire.lim.replay.>" {
		t.Fatalf("replay stream config: %+v", cfg)
	}

	h, err := rooms.Create(ctx, "grow", tick.RoomOptions{})
	if err != nil {
		t.Fatal(err)
	}
	servertest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if st := node.ReplayStats(); st.Chunks < 6 {
			return fmt.Errorf("%d chunks stored", st.Chunks)
		}
		return nil
	})
	if err := h.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := node.ReadReplay(ctx, "grow", h.ID()); !errors.Is(err, ErrReplayTruncated) {
		t.Fatalf("a recording past ReplayMaxChunks: %v, want ErrReplayTruncated", err)
	}
	recs, err := node.ListReplays(ctx, "grow")
	if err != nil || len(recs) != 1 || recs[0].Chunks != 3 {
		t.Fatalf("ListReplays: %+v, %v: want one recording of 3 chunks", recs, err)
	}

	// A second node with the defaults updates the stream.
	replayNode(t, c, Options{Cluster: "lim", Name: "n2"}, nil)
	cfg = config()
	if cfg.MaxBytes != 1<<30 || cfg.MaxAge != 7*24*time.Hour || cfg.MaxMsgsPerSubject != 4096 {
		t.Fatalf("replay stream config after a node with the defaults: %+v", cfg)
	}
	if _, err := New(ctx, Options{NATS: c.URLs(), Token: c.Token, Secret: testSecret, ReplayMaxBytes: 1000, ReplayMaxAge: time.Second, ReplayMaxChunks: -1}); err == nil ||
		!strings.Contains(err.Error(), "ReplayMaxBytes") || !strings.Contains(err.Error(), "ReplayMaxAge") || !strings.Contains(err.Error(), "ReplayMaxChunks") {
		t.Fatalf("bad replay limits: %v", err)
	}
}

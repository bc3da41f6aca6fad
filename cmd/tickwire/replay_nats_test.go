package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/cluster"
	"github.com/tickwire/tickwire/cluster/natstest"
	"github.com/tickwire/tickwire/examples/arena"
	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/tick"
)

type nopPeer struct{}

func (nopPeer) SendState([]byte, uint64, bool, string) bool { return true }
func (nopPeer) Send(*protocol.Envelope)                     {}

// TestReplayFromNATS records an arena room on a cluster node into the
// cluster's replay stream, then lists and replays it with `tickwire
// replay -nats`.
func TestReplayFromNATS(t *testing.T) {
	c := natstest.StartCluster(t, natstest.Options{Servers: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
	node, err := cluster.New(ctx, cluster.Options{NATS: c.URLs(), Token: c.Token, Cluster: "cli", Name: "n1", Secret: []byte("the test cluster's shared secret"), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = node.Close(context.Background()) })
	info, ok := tick.DefaultRegistry().Lookup(arena.Name)
	if !ok {
		t.Fatal("arena is not registered")
	}
	info.Record = tick.RecordOptions{NodeSink: true}
	reg := tick.NewRegistry()
	tick.RegisterIn(reg, info, arena.New)
	rooms, err := tick.NewRooms(tick.Options{Registry: reg, RecordSink: node.ReplaySink(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rooms.Close(context.Background()) })
	h, err := rooms.Create(ctx, arena.Name, tick.RoomOptions{Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []tick.PlayerID{"ann", "bob"} {
		if err := h.Join(ctx, p, nopPeer{}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 30 {
		in, _ := proto.Marshal(&arenav1.Input{Dx: float32(i%3) - 1, Dy: 1})
		if err := h.Input("ann", uint64(i+1), in); err != nil {
			t.Fatal(err)
		}
		want := h.Stats().Ticks + 1
		servertest.CheckFor(t, 10*time.Second, 5*time.Millisecond, func() error {
			if h.Stats().Ticks < want {
				return errors.New("waiting for a tick")
			}
			return nil
		})
	}
	if err := h.Close(ctx); err != nil {
		t.Fatal(err)
	}

	out := filepath.Join(t.TempDir(), "room.twr")
	args := []string{"replay", "-nats", c.URLs(), "-nats-token", c.Token, "-cluster", "cli", "-room", h.ID(), "-out", out}
	var stdout, stderr bytes.Buffer
	servertest.CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error {
		stdout.Reset()
		if err := run(ctx, args, &stdout, &stderr); err != nil {
			return err
		}
		if strings.Contains(stdout.String(), "incomplete") {
			return errors.New("the log is not complete yet")
		}
		return nil
	})
	for _, want := range []string{"tickwire_cli_replay " + h.ID(), "by node n1", "of arena (unversioned), seed 5, 20 Hz", "the replay matches the recording"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("tickwire replay -nats lacks %q:\n%s", want, stdout.String())
		}
	}
	stdout.Reset()
	if err := run(ctx, []string{"replay", out}, &stdout, &stderr); err != nil || !strings.Contains(stdout.String(), "the replay matches the recording") {
		t.Fatalf("tickwire replay of the -out file: %v\n%s", err, stdout.String())
	}
	stdout.Reset()
	if err := run(ctx, []string{"replay", "-nats", c.URLs(), "-nats-token", c.Token, "-cluster", "cli", "-list"}, &stdout, &stderr); err != nil ||
		!strings.Contains(stdout.String(), "arena") || !strings.Contains(stdout.String(), h.ID()) {
		t.Fatalf("tickwire replay -list: %v\n%s", err, stdout.String())
	}
	if err := run(ctx, []string{"replay", "-nats", c.URLs(), "-nats-token", c.Token, "-cluster", "cli", "-room", "nosuch"}, &stdout, &stderr); !errors.Is(err, cluster.ErrReplayNotFound) {
		t.Fatalf("tickwire replay -room of an unrecorded room: %v", err)
	}
}

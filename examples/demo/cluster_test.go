package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/tickwire/tickwire"
	"github.com/tickwire/tickwire/cluster/natstest"
	_ "github.com/tickwire/tickwire/examples/arena" // the game matched below
	"github.com/tickwire/tickwire/lobby"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/server/servertest"
)

// clusterNode starts one demo node in cluster mode from command-line flags,
// on a tickwire.Node as the demo runs.
func clusterNode(t *testing.T, args ...string) *lobby.Lobby {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
	opts := tickwire.Options{Logger: &log}
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	opts.AddFlags(fs)
	if err := fs.Parse(append([]string{"-addr", addr}, args...)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	node, err := tickwire.NewNode(ctx, opts)
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
			t.Error(err)
		}
	})
	return node.Lobby()
}

// TestClusterFlags: two demo nodes started with -nats match players
// queued on each into one room.
func TestClusterFlags(t *testing.T) {
	c := natstest.StartCluster(t, natstest.Options{Servers: 1})
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("a demo cluster secret, long enough\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	common := []string{"-nats", c.URLs(), "-nats-token", c.Token, "-cluster-secret-file", secret, "-heartbeat-ttl", "2s"}
	a := clusterNode(t, append(common, "-node-name", "a")...)
	b := clusterNode(t, append(common, "-node-name", "b")...)
	ctx := context.Background()
	ann, err := a.CreateGuest(ctx, "ann")
	if err != nil {
		t.Fatal(err)
	}
	bob, err := b.CreateGuest(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	// Arena takes 1..50 players: after FillWait (3 s) the two form one match.
	ta, err := a.CreateTicket(ctx, ann.PlayerID, &tickwirev1.CreateTicket{Game: "arena", Skill: 1000})
	if err != nil {
		t.Fatal(err)
	}
	tb, err := b.CreateTicket(ctx, bob.PlayerID, &tickwirev1.CreateTicket{Game: "arena", Skill: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var va, vb *tickwirev1.Ticket
	servertest.CheckFor(t, 15*time.Second, 50*time.Millisecond, func() error {
		va, _ = a.Ticket(ctx, ann.PlayerID, ta)
		vb, _ = b.Ticket(ctx, bob.PlayerID, tb)
		if va.GetStatus() != lobby.StatusMatched || vb.GetStatus() != lobby.StatusMatched {
			return fmt.Errorf("tickets %s and %s", va.GetStatus(), vb.GetStatus())
		}
		return nil
	})
	if va.RoomId != vb.RoomId {
		t.Fatalf("matched apart: %+v %+v", va, vb)
	}
}

// TestClusterFlagErrors: cluster mode refuses to start without a secret
// or a reachable public URL.
func TestClusterFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		addr string
		want string
	}{
		{[]string{"-nats", "nats://127.0.0.1:1"}, "127.0.0.1:8080", "secret"},
		{[]string{"-nats", "nats://127.0.0.1:1", "-cluster-secret-file", "/nonexistent"}, "127.0.0.1:8080", "cluster-secret-file"},
		{[]string{"-nats", "nats://127.0.0.1:1"}, "127.0.0.1:0", "public-url"},
	} {
		t.Setenv("TICKWIRE_CLUSTER_SECRET", "")
		if !strings.Contains(strings.Join(tc.args, " "), "secret-file") && tc.want != "secret" {
			t.Setenv("TICKWIRE_CLUSTER_SECRET", "from the environment, long enough")
		}
		opts := tickwire.Options{LogOutput: io.Discard}
		fs := flag.NewFlagSet("demo", flag.ContinueOnError)
		opts.AddFlags(fs)
		if err := fs.Parse(append([]string{"-addr", tc.addr}, tc.args...)); err != nil {
			t.Fatal(err)
		}
		_, err := tickwire.NewNode(context.Background(), opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("%v at %s: %v, want an error about %s", tc.args, tc.addr, err, tc.want)
		}
	}
}

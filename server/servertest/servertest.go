// Package servertest starts real Tickwire servers on loopback for tests and
// offers the polling helper tests wait with.
package servertest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/tickwire/tickwire/channel"
	"github.com/tickwire/tickwire/gateway"
	"github.com/tickwire/tickwire/server"
)

// StartTestServer starts a server for opts on 127.0.0.1:0 (whatever
// opts.Addr says) and shuts it down when the test ends. Without
// opts.Channels it serves a channel hub with the default options, as a
// tickwire.Node does (StartWithHub to configure it or reach it). setup,
// if given, runs after New and before Start (to add routes).
func StartTestServer(t testing.TB, opts server.Options, setup ...func(*server.Server)) *server.Server {
	t.Helper()
	if opts.Channels == nil {
		s, _ := StartWithHub(t, opts, channel.Options{}, setup...)
		return s
	}
	return start(t, opts, nil, setup)
}

// StartWithHub is StartTestServer with a channel hub for copts as
// opts.Channels (its metrics on the server's registry, its logs the
// server's), closed first when the server shuts down, as a tickwire.Node
// closes its own. It returns the server and the hub.
func StartWithHub(t testing.TB, opts server.Options, copts channel.Options, setup ...func(*server.Server)) (*server.Server, *channel.Hub) {
	t.Helper()
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
	}
	copts.Logger = opts.Logger
	if copts.Registerer == nil {
		copts.Registerer = opts.Registry
	}
	hub, err := channel.NewHub(copts)
	if err != nil {
		t.Fatalf("channel.NewHub: %v", err)
	}
	opts.Channels = gateway.Channels(hub)
	return start(t, opts, hub, setup), hub
}

func start(t testing.TB, opts server.Options, hub *channel.Hub, setup []func(*server.Server)) *server.Server {
	t.Helper()
	opts.Addr = "127.0.0.1:0"
	s, err := server.New(opts)
	if err != nil {
		if hub != nil {
			_ = hub.Close(context.Background())
		}
		t.Fatalf("server.New: %v", err)
	}
	if hub != nil {
		s.OnShutdown(hub.Close)
	}
	for _, f := range setup {
		f(s)
	}
	if err := s.Start(); err != nil {
		t.Fatalf("server.Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("server.Shutdown: %v", err)
		}
	})
	return s
}

// URL returns scheme://addr/path for s, with ws/wss or http/https.
func URL(s *server.Server, websocket bool, path string) string {
	scheme := "http"
	if websocket {
		scheme = "ws"
	}
	if s.TLS() {
		scheme += "s"
	}
	return fmt.Sprintf("%s://%s%s", scheme, s.Addr(), path)
}

// CheckFor calls f every interval until it returns nil or total has
// passed, then fails the test with f's last error.
func CheckFor(t testing.TB, total, interval time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(total)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met after %v: %v", total, err)
		}
		time.Sleep(interval)
	}
}

// VerifyTestMain silences nbio's logger, runs the package's tests, then
// fails if goroutines leaked, ignoring the ones nbio keeps for the whole
// process (its timer and the package-level default engine's task pool) and
// net/http's idle client connections.
func VerifyTestMain(m *testing.M, extra ...goleak.Option) {
	server.QuietNBIO()
	goleak.VerifyTestMain(m, append([]goleak.Option{
		goleak.IgnoreAnyFunction("github.com/lesismal/nbio/timer.(*Timer).loop"),
		goleak.IgnoreTopFunction("github.com/lesismal/nbio/taskpool.New.func3"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
	}, extra...)...)
}

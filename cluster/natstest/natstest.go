// Package natstest starts real NATS servers in-process for tests: a
// cluster of JetStream servers on loopback ports chosen at run time, with
// token authentication and temporary store directories. Any package's
// tests may use it; nothing here is a mock.
package natstest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Cluster is a NATS cluster of in-process servers with JetStream. Its
// servers run on goroutines nats-server owns; Shutdown (or the test's
// cleanup) stops them and waits for them.
type Cluster struct {
	// Name is the NATS cluster name.
	Name string
	// Token is the client authentication token every server requires.
	Token string

	mu      sync.Mutex
	servers []*server.Server
	stopped []bool
}

// Options configure StartCluster. The zero value starts three servers.
type Options struct {
	// Servers is how many servers to start. 0: 3. 1 starts a single
	// server without clustering.
	Servers int
	// Token is the client token. Empty: a random one.
	Token string
}

// StartCluster starts a cluster of opts.Servers JetStream servers on
// 127.0.0.1 (client and route ports picked by the kernel), waits until
// JetStream answers on every server, and stops them all when the test
// ends.
func StartCluster(t testing.TB, opts Options) *Cluster {
	t.Helper()
	n := opts.Servers
	if n == 0 {
		n = 3
	}
	tok := opts.Token
	if tok == "" {
		tok = randomHex(16)
	}
	c := &Cluster{Name: "tw-" + randomHex(4), Token: tok}
	t.Cleanup(c.ShutdownAll)
	// JetStream clustering wants every route configured up front, so the
	// route ports are picked (by the kernel) before any server starts.
	var routes []*url.URL
	var routePorts []int
	if n > 1 {
		var err error
		if routePorts, err = freePorts(n); err != nil {
			t.Fatalf("natstest: %v", err)
		}
		for _, p := range routePorts {
			routes = append(routes, &url.URL{Scheme: "nats-route", Host: fmt.Sprintf("127.0.0.1:%d", p)})
		}
	}
	for i := range n {
		o := &server.Options{
			ServerName:    fmt.Sprintf("%s-%d", c.Name, i+1),
			Host:          "127.0.0.1",
			Port:          -1,
			Authorization: tok,
			JetStream:     true,
			StoreDir:      t.TempDir(),
			NoLog:         true,
			NoSigs:        true,
		}
		if n > 1 {
			// NoAdvertise: clients use only the URLs they are given, so a
			// client behind a Proxy cannot go around it to a discovered
			// server.
			o.Cluster = server.ClusterOpts{Name: c.Name, Host: "127.0.0.1", Port: routePorts[i], NoAdvertise: true}
			o.Routes = routes
		}
		s, err := server.NewServer(o)
		if err != nil {
			t.Fatalf("natstest: server %d: %v", i+1, err)
		}
		s.Start()
		if !s.ReadyForConnections(10 * time.Second) {
			t.Fatalf("natstest: server %d not ready", i+1)
		}
		c.mu.Lock()
		c.servers = append(c.servers, s)
		c.stopped = append(c.stopped, false)
		c.mu.Unlock()
	}
	for i := range n {
		if err := c.waitJetStream(i, 30*time.Second); err != nil {
			t.Fatalf("natstest: %v", err)
		}
	}
	return c
}

// waitJetStream waits until server i answers JetStream account info, which
// needs a meta leader in a cluster.
func (c *Cluster) waitJetStream(i int, total time.Duration) error {
	nc, err := nats.Connect(c.URL(i), nats.Token(c.Token))
	if err != nil {
		return fmt.Errorf("connect to server %d: %w", i+1, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(total)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := js.AccountInfo(ctx)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("JetStream on server %d not ready after %v: %w", i+1, total, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Len returns the number of servers started.
func (c *Cluster) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.servers)
}

// URL returns the client URL of server i (0-based).
func (c *Cluster) URL(i int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.servers[i].ClientURL()
}

// URLs returns every server's client URL, comma-separated, in the form
// nats.Connect accepts.
func (c *Cluster) URLs() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := ""
	for i, s := range c.servers {
		if i > 0 {
			out += ","
		}
		out += s.ClientURL()
	}
	return out
}

// Server returns server i, for tests that inspect it.
func (c *Cluster) Server(i int) *server.Server {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.servers[i]
}

// Connect opens a client connection to every server of the cluster with
// the token, closed when the test ends.
func (c *Cluster) Connect(t testing.TB) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(c.URLs(), nats.Token(c.Token), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatalf("natstest: connect: %v", err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// Shutdown stops server i and waits until it has stopped; the others go
// on. Stopping a server twice does nothing.
func (c *Cluster) Shutdown(i int) {
	c.mu.Lock()
	s, done := c.servers[i], c.stopped[i]
	c.stopped[i] = true
	c.mu.Unlock()
	if done {
		return
	}
	s.Shutdown()
	s.WaitForShutdown()
}

// ShutdownAll stops every server that still runs.
func (c *Cluster) ShutdownAll() {
	for i := range c.Len() {
		c.Shutdown(i)
	}
}

// freePorts asks the kernel for n free loopback ports. They are released
// before the servers bind them: another process could take one in
// between, which on a test machine is rare enough.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("pick a route port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

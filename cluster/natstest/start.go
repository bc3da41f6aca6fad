package natstest

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Start is StartCluster for programs that are not tests (the bench's
// failover scenario): it starts opts.Servers JetStream servers on
// 127.0.0.1 with store directories of its own under os.TempDir, waits
// until JetStream answers on every server, and returns the cluster with
// a stop function that shuts every server down and removes the
// directories. The caller owns the servers: it must call stop.
func Start(opts Options) (c *Cluster, stop func(), err error) {
	n := opts.Servers
	if n == 0 {
		n = 3
	}
	tok := opts.Token
	if tok == "" {
		tok = randomHex(16)
	}
	c = &Cluster{Name: "tw-" + randomHex(4), Token: tok}
	var dirs []string
	stop = func() {
		c.ShutdownAll()
		for _, d := range dirs {
			_ = os.RemoveAll(d)
		}
	}
	fail := func(err error) (*Cluster, func(), error) {
		stop()
		return nil, nil, fmt.Errorf("natstest: %w", err)
	}
	var routes []*url.URL
	var routePorts []int
	if n > 1 {
		if routePorts, err = freePorts(n); err != nil {
			return fail(err)
		}
		for _, p := range routePorts {
			routes = append(routes, &url.URL{Scheme: "nats-route", Host: fmt.Sprintf("127.0.0.1:%d", p)})
		}
	}
	for i := range n {
		dir, err := os.MkdirTemp("", "natstest-")
		if err != nil {
			return fail(err)
		}
		dirs = append(dirs, dir)
		o := &server.Options{
			ServerName:    fmt.Sprintf("%s-%d", c.Name, i+1),
			Host:          "127.0.0.1",
			Port:          -1,
			Authorization: tok,
			JetStream:     true,
			StoreDir:      dir,
			NoLog:         true,
			NoSigs:        true,
		}
		if n > 1 {
			o.Cluster = server.ClusterOpts{Name: c.Name, Host: "127.0.0.1", Port: routePorts[i]}
			o.Routes = routes
		}
		s, err := server.NewServer(o)
		if err != nil {
			return fail(fmt.Errorf("server %d: %w", i+1, err))
		}
		s.Start()
		c.mu.Lock()
		c.servers = append(c.servers, s)
		c.stopped = append(c.stopped, false)
		c.mu.Unlock()
		if !s.ReadyForConnections(10 * time.Second) {
			return fail(errors.New("server not ready"))
		}
	}
	for i := range n {
		if err := c.waitJetStream(i, 30*time.Second); err != nil {
			return fail(err)
		}
	}
	return c, stop, nil
}

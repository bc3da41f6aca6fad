package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/tickwire/tickwire/internal/loadstat"
)

// natsMain is the server role's nats subcommand: one JetStream server of
// the failover's NATS cluster, in a process of its own so that the load
// generator's CPU does not delay the cluster's heartbeats and restore
// requests (with the servers inside the bench, 300 bots starved them into
// false deaths and timed-out restores on a 2-core machine). It logs the
// JSON line with "url" the parent waits for, and serves until ctx ends.
func natsMain(ctx context.Context, args []string, logOut io.Writer) int {
	if err := serveNATS(ctx, args, logOut); err != nil {
		fmt.Fprintln(logOut, "bench nats:", err)
		return 1
	}
	return 0
}

func serveNATS(ctx context.Context, args []string, logOut io.Writer) error {
	fs := flag.NewFlagSet("bench nats", flag.ContinueOnError)
	fs.SetOutput(logOut)
	name := fs.String("name", "nats", "server name")
	port := fs.Int("port", 0, "client port on 127.0.0.1")
	clusterName := fs.String("cluster", "", "NATS cluster name (empty: a lone server)")
	routePort := fs.Int("route-port", 0, "route port on 127.0.0.1")
	routes := fs.String("routes", "", "every server's route URL, comma-separated")
	dir := fs.String("dir", "", "JetStream store directory")
	httpPort := fs.Int("http-port", 0, "monitoring port on 127.0.0.1 (/varz; 0: none)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	token := os.Getenv("TICKWIRE_NATS_TOKEN")
	if *port == 0 || *dir == "" || token == "" {
		return errors.New("want -port, -dir and $TICKWIRE_NATS_TOKEN")
	}
	o := &server.Options{ServerName: *name, Host: "127.0.0.1", Port: *port, Authorization: token,
		JetStream: true, StoreDir: *dir, NoLog: true, NoSigs: true, HTTPHost: "127.0.0.1", HTTPPort: *httpPort}
	if *clusterName != "" {
		o.Cluster = server.ClusterOpts{Name: *clusterName, Host: "127.0.0.1", Port: *routePort}
		for _, r := range strings.Split(*routes, ",") {
			u, err := url.Parse(r)
			if err != nil {
				return fmt.Errorf("-routes: %w", err)
			}
			o.Routes = append(o.Routes, u)
		}
	}
	s, err := server.NewServer(o)
	if err != nil {
		return err
	}
	s.Start()
	defer func() { s.Shutdown(); s.WaitForShutdown() }()
	if !s.ReadyForConnections(10 * time.Second) {
		return errors.New("not ready for connections")
	}
	log := zerolog.New(logOut).With().Timestamp().Logger()
	log.Info().Str("url", "http://127.0.0.1:"+strconv.Itoa(*port)+"/").Str("nats", s.ClientURL()).Msg("NATS server ready")
	<-ctx.Done()
	return nil
}

// foNATS is the failover's NATS cluster: three servers in child
// processes (natsMain).
type foNATS struct {
	urls     string   // client URLs, comma-separated
	varz     []string // each server's monitoring /varz URL
	token    string
	children []*child
	dirs     []string
}

// startNATS starts a three-server JetStream cluster in child processes of
// this binary and waits until JetStream answers on every server.
func startNATS(ctx context.Context) (*foNATS, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find this binary to re-run it as a NATS server: %w", err)
	}
	const n = 3
	ns := &foNATS{token: randHex(16)}
	ports := make([]int, 3*n) // client, route and monitoring ports
	for i := range ports {
		if ports[i], err = freeLoopbackPort(); err != nil {
			return nil, err
		}
	}
	var routes, urls []string
	for i := range n {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", ports[n+i]))
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", ports[i]))
		ns.varz = append(ns.varz, fmt.Sprintf("http://127.0.0.1:%d/varz", ports[2*n+i]))
	}
	ns.urls = strings.Join(urls, ",")
	env := append(os.Environ(), roleEnv+"="+roleServer, "TICKWIRE_NATS_TOKEN="+ns.token)
	clusterName := "bench-" + randHex(4)
	for i := range n {
		dir, err := os.MkdirTemp("", "tickwire-bench-nats-")
		if err != nil {
			ns.stop()
			return nil, err
		}
		ns.dirs = append(ns.dirs, dir)
		args := []string{"nats", "-name", fmt.Sprintf("%s-%d", clusterName, i+1), "-port", strconv.Itoa(ports[i]),
			"-cluster", clusterName, "-route-port", strconv.Itoa(ports[n+i]), "-routes", strings.Join(routes, ","), "-dir", dir,
			"-http-port", strconv.Itoa(ports[2*n+i])}
		c, _, err := startChild(ctx, self, args, env, nil)
		if err != nil {
			ns.stop()
			return nil, fmt.Errorf("NATS server %d: %w", i+1, err)
		}
		ns.children = append(ns.children, c)
	}
	for _, u := range urls {
		if err := waitJetStream(ctx, u, ns.token, 30*time.Second); err != nil {
			ns.stop()
			return nil, err
		}
	}
	return ns, nil
}

// stop stops every server and removes their stores.
func (ns *foNATS) stop() {
	for _, c := range ns.children {
		_ = c.stop()
	}
	for _, d := range ns.dirs {
		_ = os.RemoveAll(d)
	}
}

// waitJetStream polls the server at u until JetStream answers account
// info (which needs the cluster's meta leader), or within passed.
func waitJetStream(ctx context.Context, u, token string, within time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	nc, err := nats.Connect(u, nats.Token(token))
	if err != nil {
		return fmt.Errorf("connect to %s: %w", u, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	clk := newClock()
	for {
		actx, acancel := context.WithTimeout(ctx, time.Second)
		_, err := js.AccountInfo(actx)
		acancel()
		if err == nil {
			return nil
		}
		if !loadstat.SleepUntil(ctx, clk, clk.Now()+int64(50*time.Millisecond)) {
			return fmt.Errorf("JetStream on %s not ready within %v: %w", u, within, err)
		}
	}
}

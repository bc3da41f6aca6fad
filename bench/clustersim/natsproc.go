package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The NATS servers run in a child process (this binary again, with
// childEnv set) so that their CPU is measured apart from the nodes': the
// stream leaders are what saturates first, and their cost per batch is
// the figure that extrapolates.
const childEnv = "TICKWIRE_CLUSTERSIM_NATS_CHILD"

// natsInfo is what the child prints on its first line of output.
type natsInfo struct {
	URLs    string   `json:"urls"`
	Token   string   `json:"token"`
	Monitor []string `json:"monitor"`
	Error   string   `json:"error,omitempty"`
}

// natsProc is a running child process of NATS servers.
type natsProc struct {
	natsInfo
	cmd   *exec.Cmd
	stdin io.WriteCloser
	// drained is closed when the child's stdout has ended (it exited):
	// only then may cmd.Wait run.
	drained chan struct{}
}

// startNATS starts the child with n servers and waits until JetStream
// answers on each.
func startNATS(ctx context.Context, n int) (*natsProc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), childEnv+"="+strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the NATS child: %w", err)
	}
	p := &natsProc{cmd: cmd, stdin: stdin, drained: make(chan struct{})}
	rd := bufio.NewReader(stdout)
	line, err := rd.ReadBytes('\n')
	go func() { // owned by p: stop waits for it
		defer close(p.drained)
		_, _ = io.Copy(io.Discard, rd)
	}()
	if err == nil {
		err = json.Unmarshal(line, &p.natsInfo)
	}
	if err == nil && p.Error != "" {
		err = errors.New(p.Error)
	}
	if err != nil {
		p.stop()
		return nil, fmt.Errorf("NATS child: %w", err)
	}
	return p, nil
}

// pid is the child's process id, for its CPU time.
func (p *natsProc) pid() int { return p.cmd.Process.Pid }

// stop closes the child's stdin (it shuts its servers down and exits) and
// waits for it, killing it after 20 s.
func (p *natsProc) stop() {
	_ = p.stdin.Close()
	t := time.NewTimer(20 * time.Second)
	defer t.Stop()
	select {
	case <-p.drained:
	case <-t.C:
		_ = p.cmd.Process.Kill()
		<-p.drained
	}
	_ = p.cmd.Wait()
}

// runChild is the child's main: it starts n clustered JetStream servers
// with monitoring on loopback, prints their URLs as one JSON line, and
// shuts them down when its stdin closes.
func runChild(n int) int {
	info, servers, dirs, err := startServers(n)
	if err != nil {
		info.Error = err.Error()
	}
	b, _ := json.Marshal(info)
	fmt.Println(string(b))
	if err == nil {
		_, _ = io.Copy(io.Discard, os.Stdin)
	}
	for _, s := range servers {
		s.Shutdown()
		s.WaitForShutdown()
	}
	for _, d := range dirs {
		_ = os.RemoveAll(d)
	}
	if err != nil {
		return 1
	}
	return 0
}

func startServers(n int) (natsInfo, []*server.Server, []string, error) {
	info := natsInfo{Token: randomHex(16)}
	var servers []*server.Server
	var dirs []string
	ports, err := freePorts(n)
	if err != nil {
		return info, nil, nil, err
	}
	var routes []*url.URL
	for _, p := range ports {
		routes = append(routes, &url.URL{Scheme: "nats-route", Host: fmt.Sprintf("127.0.0.1:%d", p)})
	}
	name := "sim-" + randomHex(4)
	var urls []string
	for i := range n {
		dir, err := os.MkdirTemp("", "clustersim-nats-")
		if err != nil {
			return info, servers, dirs, err
		}
		dirs = append(dirs, dir)
		o := &server.Options{
			ServerName: fmt.Sprintf("%s-%d", name, i+1), Host: "127.0.0.1", Port: -1,
			HTTPHost: "127.0.0.1", HTTPPort: -1,
			Authorization: info.Token, JetStream: true, StoreDir: dir, NoLog: true, NoSigs: true,
		}
		if n > 1 {
			o.Cluster = server.ClusterOpts{Name: name, Host: "127.0.0.1", Port: ports[i]}
			o.Routes = routes
		}
		s, err := server.NewServer(o)
		if err != nil {
			return info, servers, dirs, fmt.Errorf("server %d: %w", i+1, err)
		}
		s.Start()
		servers = append(servers, s)
		if !s.ReadyForConnections(10 * time.Second) {
			return info, servers, dirs, fmt.Errorf("server %d not ready", i+1)
		}
		urls = append(urls, s.ClientURL())
		info.Monitor = append(info.Monitor, "http://"+s.MonitorAddr().String())
	}
	info.URLs = strings.Join(urls, ",")
	for i := range servers {
		if err := waitJetStream(urls[i], info.Token, 30*time.Second); err != nil {
			return info, servers, dirs, fmt.Errorf("server %d: %w", i+1, err)
		}
	}
	return info, servers, dirs, nil
}

// waitJetStream waits until the server at url answers JetStream account
// info, which in a cluster needs a meta leader (each try up to 1 s: a
// request sent during the election may get no answer at all).
func waitJetStream(url, token string, total time.Duration) error {
	nc, err := nats.Connect(url, nats.Token(token))
	if err != nil {
		return err
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
			return fmt.Errorf("JetStream not ready after %v: %w", total, err)
		}
		time.Sleep(50 * time.Millisecond) // polls the servers' election, not our own goroutines
	}
}

// freePorts asks the kernel for n free loopback ports for the routes,
// which every server must know before any starts.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	out := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

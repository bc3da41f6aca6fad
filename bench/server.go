package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Server kinds in the report.
const (
	kindDemo     = "demo"     // examples/demo in a child process
	kindBench    = "bench"    // this binary's server role in a child process
	kindExternal = "external" // -addr
	kindFloor    = "floor"    // this binary's bare WebSocket server (-scenario floor)
)

// roleEnv, set to roleServer, makes this binary serve instead of load.
const (
	roleEnv    = "TICKWIRE_BENCH_ROLE"
	roleServer = "server"
)

// demoPackage is what -server demo builds.
const demoPackage = "github.com/tickwire/tickwire/examples/demo"

// Child server bounds.
const (
	buildTimeout = 5 * time.Minute
	readyTimeout = 30 * time.Second
	stopTimeout  = 15 * time.Second
)

// serverTarget is the server under load.
type serverTarget struct {
	kind     string
	httpBase string // "http://127.0.0.1:PORT/"
	wsURL    string // "ws://127.0.0.1:PORT/ws"
	// wsURLs are every node's /ws when -addr lists several (a cluster):
	// the players of room slot r use node r mod len(wsURLs). wsURL is the
	// first; ticks, CPU and RSS come from the first node only.
	wsURLs  []string
	pid     int    // 0 when unknown: no CPU or RSS then
	child   *child // nil for an external server
	dataDir string // the child's temporary -data-dir (its crossword world), removed by stop
}

// wsURLFor returns the /ws URL client idx dials: its room slot's node.
func (s *serverTarget) wsURLFor(idx, rooms int) string {
	if len(s.wsURLs) < 2 {
		return s.wsURL
	}
	return s.wsURLs[(idx%max(rooms, 1))%len(s.wsURLs)]
}

// stop shuts a child server down gracefully (SIGINT), killing it if it
// does not exit in time. An external server is left alone.
func (s *serverTarget) stop() error {
	if s.child == nil {
		return nil
	}
	err := s.child.stop()
	if s.dataDir != "" {
		_ = os.RemoveAll(s.dataDir)
	}
	return err
}

// exited reports whether a child server has ended already (it crashed).
func (s *serverTarget) exited() error {
	if s.child == nil {
		return nil
	}
	select {
	case <-s.child.done:
		return fmt.Errorf("server process exited: %v; last log lines:\n%s", s.child.waitErr, s.child.tail())
	default:
		return nil
	}
}

// serverBuild is a demo binary built once for all runs of the process.
type serverBuild struct {
	dir string
	bin string
}

// buildDemo compiles the demo into a temporary directory. It needs the go
// command and a working directory inside the Tickwire module.
func buildDemo(ctx context.Context) (*serverBuild, error) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return nil, errors.New("build the demo: no go command on PATH; pass -server-bin or -addr")
	}
	dir, err := os.MkdirTemp("", "tickwire-bench-")
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(dir, "tickwire-demo")
	ctx, cancel := context.WithTimeout(ctx, buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, goCmd, "build", "-o", bin, demoPackage)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("go build %s (run the bench inside the Tickwire module, or pass -server-bin or -addr): %w\n%s", demoPackage, err, out.String())
	}
	return &serverBuild{dir: dir, bin: bin}, nil
}

func (b *serverBuild) remove() {
	if b != nil && b.dir != "" {
		_ = os.RemoveAll(b.dir)
	}
}

// startServer starts the server cfg asks for, or describes the external
// one. build is the demo binary for -server demo.
func startServer(ctx context.Context, cfg *config, build *serverBuild) (*serverTarget, error) {
	if cfg.addr != "" {
		return externalServer(cfg)
	}
	var (
		bin     string
		args    = []string{"-addr", "127.0.0.1:0"}
		env     = os.Environ()
		kind    = cfg.server
		path    = "/ws"
		dataDir string
	)
	// A Tickwire child keeps its crossword world in a directory of its own:
	// never the user's, never another run's (its lock would refuse the
	// world), and gone when the child stops.
	if cfg.scenario != "floor" && (cfg.server == serverDemo || cfg.scenario == "crossword") {
		var err error
		if dataDir, err = os.MkdirTemp("", "tickwire-bench-data-"); err != nil {
			return nil, fmt.Errorf("the server's data directory: %w", err)
		}
		args = append(args, "-data-dir", dataDir)
	}
	switch {
	case cfg.scenario == "floor":
		self, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("find this binary to re-run it as the floor server: %w", err)
		}
		bin, kind, path = self, kindFloor, floorPath
		args = append(args, "-floor")
		if cfg.srvPollers > 0 {
			args = append(args, "-pollers", strconv.Itoa(cfg.srvPollers))
		}
		if cfg.srvProfile != "" {
			args = append(args, "-cpuprofile", cfg.srvProfile)
		}
		env = append(env, roleEnv+"="+roleServer)
	case cfg.server == serverDemo:
		bin = cfg.serverBin
		if bin == "" {
			bin = build.bin
		}
		args = append(args, "-log-format", "json", "-log-level", "info")
	case cfg.server == serverBench:
		self, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("find this binary to re-run it as the server: %w", err)
		}
		bin = self
		args = append(args, "-hz", strconv.Itoa(cfg.hz))
		if cfg.scenario == "crossword" {
			args = append(args, "-crossword")
		}
		if cfg.srvPrecise {
			args = append(args, "-precise-timers")
		}
		if cfg.srvPollers > 0 {
			args = append(args, "-pollers", strconv.Itoa(cfg.srvPollers))
		}
		if cfg.srvProfile != "" {
			args = append(args, "-cpuprofile", cfg.srvProfile)
		}
		env = append(env, roleEnv+"="+roleServer)
	}
	c, base, err := startChild(ctx, bin, args, env, cfg.serverCPUs)
	if err != nil {
		if dataDir != "" {
			_ = os.RemoveAll(dataDir)
		}
		return nil, err
	}
	u, err := url.Parse(base)
	if err != nil {
		_ = c.stop()
		if dataDir != "" {
			_ = os.RemoveAll(dataDir)
		}
		return nil, fmt.Errorf("server said it serves %q: %w", base, err)
	}
	return &serverTarget{
		kind:     kind,
		httpBase: "http://" + u.Host + "/",
		wsURL:    "ws://" + u.Host + path,
		pid:      c.cmd.Process.Pid,
		child:    c,
		dataDir:  dataDir,
	}, nil
}

// externalServer describes -addr; its pid comes from -server-pid or from
// the process listening on its port, when this machine has one.
func externalServer(cfg *config) (*serverTarget, error) {
	addrs := strings.Split(cfg.addr, ",")
	base, ws, err := splitAddr(addrs[0])
	if err != nil {
		return nil, err
	}
	if cfg.scenario == "floor" {
		ws = strings.TrimSuffix(ws, "/ws") + floorPath
	}
	s := &serverTarget{kind: kindExternal, httpBase: base, wsURL: ws, pid: cfg.serverPID}
	for _, a := range addrs {
		_, u, err := splitAddr(a)
		if err != nil {
			return nil, err
		}
		s.wsURLs = append(s.wsURLs, u)
	}
	if s.pid == 0 {
		u, _ := url.Parse(base)
		if _, port, err := net.SplitHostPort(u.Host); err == nil {
			if n, err := strconv.Atoi(port); err == nil {
				s.pid, _ = findListener(n)
			}
		}
	}
	return s, nil
}

// child is a server process. Its log (stderr) is read by one goroutine
// that stop waits for; the last lines are kept for error messages.
type child struct {
	cmd     *exec.Cmd
	done    chan struct{} // closed when the process has exited
	waitErr error
	wg      sync.WaitGroup

	mu       sync.Mutex
	lines    []string  // the last tailLines log lines
	warnings int       // log lines at warn level or above
	logTo    io.Writer // every line, when set (the failover's -node-logs)
}

const tailLines = 40

// startChild runs bin with args, on the CPUs of cpus when it is not
// empty, and waits for the JSON log line that carries "url" (the demo's
// "ready" line).
func startChild(ctx context.Context, bin string, args, env []string, cpus cpuList) (*child, string, error) {
	return startChildLog(ctx, bin, args, env, cpus, nil)
}

// startChildLog is startChild with every log line also written to logTo
// (nil: none), which must stay usable until the child's stop returns.
func startChildLog(ctx context.Context, bin string, args, env []string, cpus cpuList, logTo io.Writer) (*child, string, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout = io.Discard
	cmd.SysProcAttr = childAttrs()
	// Our own pipe rather than StderrPipe: Wait then never closes it under
	// the reader, which reads to EOF (the child's exit).
	stderr, w, err := os.Pipe()
	if err != nil {
		return nil, "", err
	}
	cmd.Stderr = w
	err = startPinned(cmd, cpus)
	_ = w.Close()
	if err != nil {
		_ = stderr.Close()
		return nil, "", fmt.Errorf("start server %s: %w", bin, err)
	}
	c := &child{cmd: cmd, done: make(chan struct{}), logTo: logTo}
	ready := make(chan string, 1)
	c.wg.Go(func() {
		defer stderr.Close()
		c.readLog(stderr, ready)
	})
	c.wg.Go(func() {
		c.waitErr = cmd.Wait()
		close(c.done)
	})
	timer := time.NewTimer(readyTimeout)
	defer timer.Stop()
	select {
	case u := <-ready:
		return c, u, nil
	case <-c.done:
		c.wg.Wait()
		return nil, "", fmt.Errorf("server %s exited before it was ready: %v\n%s", filepath.Base(bin), c.waitErr, c.tail())
	case <-timer.C:
		_ = c.stop()
		return nil, "", fmt.Errorf("server %s not ready after %v\n%s", filepath.Base(bin), readyTimeout, c.tail())
	case <-ctx.Done():
		_ = c.stop()
		return nil, "", fmt.Errorf("start server: %w", context.Cause(ctx))
	}
}

// readLog keeps the tail of the server's log and hands the first "url"
// it logs to ready.
func (c *child) readLog(r io.Reader, ready chan<- string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	announced := false
	for sc.Scan() {
		line := sc.Text()
		var entry struct {
			Level string `json:"level"`
			URL   string `json:"url"`
		}
		_ = json.Unmarshal([]byte(line), &entry) // console lines just do not match
		c.mu.Lock()
		if c.logTo != nil {
			_, _ = io.WriteString(c.logTo, line+"\n")
		}
		c.lines = append(c.lines, line)
		if len(c.lines) > tailLines {
			c.lines = c.lines[1:]
		}
		if entry.Level == "warn" || entry.Level == "error" || entry.Level == "fatal" {
			c.warnings++
		}
		c.mu.Unlock()
		if entry.URL != "" && !announced {
			announced = true
			ready <- entry.URL
		}
	}
	_, _ = io.Copy(io.Discard, r)
}

// tail is the last lines the server logged.
func (c *child) tail() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.lines, "\n")
}

// logWarnings is how many warn-or-worse lines the server logged so far.
func (c *child) logWarnings() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.warnings
}

// stop sends SIGINT (graceful shutdown), then SIGKILL after stopTimeout,
// and waits for the process and its log reader.
func (c *child) stop() error {
	defer c.wg.Wait()
	select {
	case <-c.done:
		return nil
	default:
	}
	_ = c.cmd.Process.Signal(os.Interrupt)
	timer := time.NewTimer(stopTimeout)
	defer timer.Stop()
	select {
	case <-c.done:
		return nil
	case <-timer.C:
		_ = c.cmd.Process.Signal(syscall.SIGKILL)
		<-c.done
		return fmt.Errorf("server did not stop within %v: killed", stopTimeout)
	}
}

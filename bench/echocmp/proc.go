package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// userHZ is the unit of utime and stime in /proc/PID/stat (USER_HZ, 100 on
// every Linux ABI Go supports).
const userHZ = 100

// child is one server under test, running in its own process so that its
// CPU time and RSS are measured apart from the load generator.
type child struct {
	kind    string
	addr    string
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	replies chan string
	exited  chan struct{}
}

// serverSpec names one server under test: a kind that this program, or
// another build of it given with -alt, serves.
type serverSpec struct {
	Label string // as shown in the tables
	Kind  string
	Exe   string // "" for this program
	// Pollers overrides -pollers for this server when it is not negative.
	Pollers int
}

// startChild re-executes this program (or spec.Exe) as "-serve kind" and
// waits (at most 30s) for it to report its address.
func startChild(spec serverSpec, pollers, memProfileRate int, env []string) (*child, error) {
	exe, kind := spec.Exe, spec.Label
	if spec.Pollers >= 0 {
		pollers = spec.Pollers
	}
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("find own executable: %w", err)
		}
	}
	cmd := exec.Command(exe, serveFlag, spec.Kind, "-pollers", strconv.Itoa(pollers), "-memprofilerate", strconv.Itoa(memProfileRate))
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	// The kernel kills the child if the parent dies, whatever way it dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", kind, err)
	}
	c := &child{kind: kind, cmd: cmd, stdin: stdin, replies: make(chan string, 16), exited: make(chan struct{})}
	go c.readReplies(stdout)
	go func() { _ = cmd.Wait(); close(c.exited) }()
	select {
	case line := <-c.replies:
		addr, ok := strings.CutPrefix(line, "READY ")
		if !ok {
			c.kill()
			return nil, fmt.Errorf("%s: unexpected first line %q", kind, line)
		}
		c.addr = addr
		return c, nil
	case <-c.exited:
		return nil, fmt.Errorf("%s: server process exited before it was ready", kind)
	case <-time.After(30 * time.Second):
		c.kill()
		return nil, fmt.Errorf("%s: not ready after 30s", kind)
	}
}

// readReplies passes protocol lines to c.replies and anything else a
// library printed to stdout on to stderr.
func (c *child) readReplies(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		for _, p := range []string{"READY ", "OK", "STATS ", "ERR "} {
			if strings.HasPrefix(line, p) {
				c.replies <- line
				line = ""
				break
			}
		}
		if line != "" {
			fmt.Fprintf(os.Stderr, "[%s] %s\n", c.kind, line)
		}
	}
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// do sends one command and returns the reply (at most 60s: a forced GC of
// a large heap takes a while).
func (c *child) do(command string) (string, error) {
	if _, err := io.WriteString(c.stdin, command+"\n"); err != nil {
		return "", fmt.Errorf("%s: %s: %w", c.kind, command, err)
	}
	select {
	case line := <-c.replies:
		if msg, bad := strings.CutPrefix(line, "ERR "); bad {
			return "", fmt.Errorf("%s: %s: %s", c.kind, command, msg)
		}
		return line, nil
	case <-c.exited:
		return "", fmt.Errorf("%s: %s: server process exited", c.kind, command)
	case <-time.After(60 * time.Second):
		return "", fmt.Errorf("%s: %s: no reply after 60s", c.kind, command)
	}
}

func (c *child) gc() error {
	_, err := c.do("gc")
	return err
}

func (c *child) stats() (childStats, error) {
	var st childStats
	line, err := c.do("stats")
	if err != nil {
		return st, err
	}
	err = json.Unmarshal([]byte(strings.TrimPrefix(line, "STATS ")), &st)
	return st, err
}

// stop asks the child to exit and kills it if it has not within 5s.
func (c *child) stop() {
	_, _ = io.WriteString(c.stdin, "quit\n")
	_ = c.stdin.Close()
	select {
	case <-c.exited:
	case <-time.After(5 * time.Second):
		c.kill()
	}
}

func (c *child) kill() {
	_ = c.cmd.Process.Kill()
	<-c.exited
}

// cpuTicks returns a process's user+system CPU time in USER_HZ ticks.
func cpuTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces: fields start after the last ')'.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, errors.New("malformed /proc/PID/stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("short /proc/PID/stat")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64) // field 14, utime
	st, err2 := strconv.ParseInt(f[12], 10, 64) // field 15, stime
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return ut + st, nil
}

// rssKB returns a process's resident set size (VmRSS) in KiB.
func rssKB(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, errors.New("no VmRSS in /proc/PID/status")
}

// systemTicks returns the busy and total ticks of all CPUs (/proc/stat),
// to see how much of the machine other processes used during a window.
func systemTicks() (busy, total int64, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		return 0, 0, errors.New("malformed /proc/stat")
	}
	for i, s := range f[1:] {
		if i >= 8 { // guest time is already counted in user time
			break
		}
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, 0, err
		}
		total += v
		if i != 3 && i != 4 { // idle, iowait
			busy += v
		}
	}
	return busy, total, nil
}

// cpuMeter measures the CPU use of the server, this process and the whole
// machine over one window.
type cpuMeter struct {
	serverPID          int
	start              time.Time
	server, self       int64
	sysBusy, sysTotal  int64
	serverErr, selfErr error
}

func startCPUMeter(serverPID int) *cpuMeter {
	m := &cpuMeter{serverPID: serverPID, start: time.Now()}
	m.server, m.serverErr = cpuTicks(serverPID)
	m.self, m.selfErr = cpuTicks(os.Getpid())
	m.sysBusy, m.sysTotal, _ = systemTicks()
	return m
}

// cpuUse is CPU time as a percentage of one core over a window; the
// machine figure is busy time over all cores, as a percentage of one core
// too, so that other = machine - server - client is comparable.
type cpuUse struct {
	ServerPct  float64 `json:"server_cpu_pct"`
	ClientPct  float64 `json:"client_cpu_pct"`
	MachinePct float64 `json:"machine_cpu_pct"`
	OtherPct   float64 `json:"other_cpu_pct"`
}

func (m *cpuMeter) stop() (cpuUse, error) {
	wall := time.Since(m.start).Seconds()
	srv, err1 := cpuTicks(m.serverPID)
	self, err2 := cpuTicks(os.Getpid())
	busy, total, err3 := systemTicks()
	if err := errors.Join(m.serverErr, m.selfErr, err1, err2, err3); err != nil {
		return cpuUse{}, err
	}
	pct := func(ticks int64) float64 { return float64(ticks) / userHZ / wall * 100 }
	u := cpuUse{ServerPct: pct(srv - m.server), ClientPct: pct(self - m.self)}
	if dt := total - m.sysTotal; dt > 0 {
		cores := float64(dt) / userHZ / wall // ≈ number of CPUs
		u.MachinePct = float64(busy-m.sysBusy) / float64(dt) * cores * 100
		u.OtherPct = max(u.MachinePct-u.ServerPct-u.ClientPct, 0)
	}
	return u, nil
}

// waitQuiet waits, at most limit, until the machine's CPUs other than this
// process were busy less than threshold percent of one core over a 1s
// sample: the machine is shared, and a build next door skews a CPU figure.
// It reports the last sample.
func waitQuiet(threshold float64, limit time.Duration) float64 {
	deadline := time.Now().Add(limit)
	announced := false
	for {
		m := startCPUMeter(os.Getpid())
		time.Sleep(time.Second)
		u, err := m.stop()
		if err != nil {
			return -1
		}
		busy := u.MachinePct - u.ClientPct // the server slot measured ourselves
		if busy < threshold || time.Now().After(deadline) {
			if announced {
				fmt.Fprintf(os.Stderr, "  machine busy %.0f%% of a core: going on\n", busy)
			}
			return busy
		}
		if !announced {
			fmt.Fprintf(os.Stderr, "  machine busy %.0f%% of a core (other processes): waiting up to %v for it to quiet down\n", busy, limit)
			announced = true
		}
	}
}

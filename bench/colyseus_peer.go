package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The Colyseus peer is a small Node.js project (server.js, load.js,
// run.sh; bench/testdata/colyseus is a copy) whose run.sh starts a 20 Hz
// Colyseus arena server, runs a load generator against it and prints one
// JSON line. The bench copies it to a directory of its own, runs npm ci
// there once (kept between runs and invocations, keyed by the peer's
// content), and runs run.sh with the arena's clients, rooms and seconds.

// Colyseus peer bounds.
const (
	npmTimeout      = 5 * time.Minute
	peerPidTimeout  = 30 * time.Second
	peerExtraTime   = 90 * time.Second // joins, drain and shutdown beyond --seconds
	peerStopTimeout = 5 * time.Second
)

// peerTickHz is the Colyseus peer's fixed tick and input rate
// (server.js's TICK_MS, load.js's INPUT_MS: 50 ms).
const peerTickHz = 20

// colyseusResult is the JSON line the peer's run.sh prints (its
// README's "Output fields").
type colyseusResult struct {
	Clients   int `json:"clients"`
	Rooms     int `json:"rooms"`
	TickHz    int `json:"tick_hz"`
	LatencyMs struct {
		P50 *float64 `json:"p50"`
		P90 *float64 `json:"p90"`
		P99 *float64 `json:"p99"`
		Max *float64 `json:"max"`
	} `json:"latency_ms"`
	Samples     int      `json:"samples"`
	Failed      int      `json:"failed"`
	ServerRSSMB *float64 `json:"server_rss_mb"`
	Seconds     float64  `json:"seconds"`
	RoomsActual int      `json:"rooms_actual"`
	Sent        int      `json:"sent"`
	Unacked     int      `json:"unacked"`
	// InputHzPerClient should be about 20: less means the Node load
	// generator could not keep up.
	InputHzPerClient *float64 `json:"input_hz_per_client"`
	ServerCPUPct     *float64 `json:"server_cpu_pct"`
	// ServerBytesOutPerClientS is the server process's written bytes
	// (wchar in /proc/PID/io) per joined client per second.
	ServerBytesOutPerClientS *float64 `json:"server_bytes_out_per_client_s"`
	LoadgenProcs             int      `json:"loadgen_procs"`
	LoadgenLoopLagP99Ms      *float64 `json:"loadgen_loop_lag_p99_ms"`
}

// parseColyseusOutput finds the peer's JSON line in run.sh's stdout (the
// last line that is a JSON object) and checks that it carries what the
// comparison needs.
func parseColyseusOutput(out []byte) (*colyseusResult, json.RawMessage, error) {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		line := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var res colyseusResult
		if err := json.Unmarshal([]byte(line), &res); err != nil {
			return nil, nil, fmt.Errorf("the Colyseus peer's JSON: %w", err)
		}
		var missing []string
		if res.Clients == 0 {
			missing = append(missing, "clients")
		}
		if res.LatencyMs.P50 == nil || res.LatencyMs.P99 == nil {
			missing = append(missing, "latency_ms.p50/p99")
		}
		if res.ServerCPUPct == nil {
			missing = append(missing, "server_cpu_pct")
		}
		if res.ServerRSSMB == nil {
			missing = append(missing, "server_rss_mb")
		}
		if len(missing) > 0 {
			return nil, nil, fmt.Errorf("the Colyseus peer's JSON lacks %s: %s", strings.Join(missing, ", "), line)
		}
		return &res, json.RawMessage(line), nil
	}
	return nil, nil, fmt.Errorf("the Colyseus peer printed no JSON line:\n%s", tailOf(string(out), 20))
}

// tailOf is the last n lines of s.
func tailOf(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// peerFiles are the peer's files the bench copies, by path relative to
// the peer's directory; node_modules is never copied.
func peerFiles(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "node_modules" {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			rel, err := filepath.Rel(dir, path)
			if err != nil {
				return err
			}
			files = append(files, rel)
		}
		return nil
	})
	if err == nil && len(files) == 0 {
		err = errors.New("no files")
	}
	return files, err
}

// peerKey names a prepared copy of the peer: a hash of its files' names
// and contents, so an edited peer gets a fresh copy and npm ci.
func peerKey(dir string, files []string) (string, error) {
	h := sha256.New()
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", f, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// peerReady marks a prepared copy whose npm ci succeeded.
const peerReady = ".tickwire-bench-ready"

// preparePeer returns a directory holding a copy of the peer at dir with
// its node_modules installed: the cached one under cacheRoot when an
// earlier run prepared the same peer, else a fresh copy in which it runs
// npm ci (its output goes to log).
func preparePeer(ctx context.Context, dir, cacheRoot string, log io.Writer) (string, error) {
	files, err := peerFiles(dir)
	if err != nil {
		return "", fmt.Errorf("the Colyseus peer %s: %w", dir, err)
	}
	if !containsStr(files, "run.sh") || !containsStr(files, "package-lock.json") {
		return "", fmt.Errorf("the Colyseus peer %s: want run.sh and package-lock.json in it", dir)
	}
	key, err := peerKey(dir, files)
	if err != nil {
		return "", fmt.Errorf("the Colyseus peer %s: %w", dir, err)
	}
	cached := filepath.Join(cacheRoot, "tickwire-bench-colyseus-"+key)
	if _, err := os.Stat(filepath.Join(cached, peerReady)); err == nil {
		return cached, nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", errors.New("the Colyseus peer needs npm (and node) on PATH")
	}
	tmp, err := os.MkdirTemp(cacheRoot, "tickwire-bench-colyseus-tmp-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp) // gone once renamed
	for _, f := range files {
		if err := copyFile(filepath.Join(dir, f), filepath.Join(tmp, f)); err != nil {
			return "", fmt.Errorf("copy the Colyseus peer: %w", err)
		}
	}
	nctx, cancel := context.WithTimeout(ctx, npmTimeout)
	defer cancel()
	cmd := exec.CommandContext(nctx, npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = tmp
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	fmt.Fprintf(log, "bench: npm ci in a copy of %s (once; kept in %s)\n", dir, cached)
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("npm ci for the Colyseus peer: %w\n%s", err, tailOf(out.String(), 20))
	}
	if err := os.WriteFile(filepath.Join(tmp, peerReady), nil, 0o644); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, cached); err != nil {
		// Another bench prepared the same peer meanwhile: use its copy.
		if _, serr := os.Stat(filepath.Join(cached, peerReady)); serr == nil {
			return cached, nil
		}
		return "", fmt.Errorf("keep the prepared Colyseus peer: %w", err)
	}
	return cached, nil
}

func containsStr(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// copyFile copies src to dst, creating dst's directory, with src's mode
// made writable by its owner (a read-only peer's copy must take
// node_modules and be removable).
func copyFile(src, dst string) error {
	st, err := os.Stat(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, st.Mode().Perm()|0o200)
}

// peerRun is one run of the Colyseus peer.
type peerRun struct {
	result *colyseusResult
	raw    json.RawMessage
	pid    int    // the node server's pid, from its log (0: not seen)
	pinned string // the CPUs its server was moved to ("": not pinned)
}

// peerPidLine is how server.js announces itself in its log.
var peerPidLine = regexp.MustCompile(`listening on \S+ pid=(\d+)`)

// runPeer runs the prepared peer's run.sh once for clients in rooms over
// seconds, its load spread over procs Node processes (load.js --procs). The load generator inherits this process's CPUs (-bench-cpus);
// with serverCPUs set, the node server is moved to them as soon as its
// log names its pid, before the load generator has joined a client (run.sh
// starts the server first and waits for its port).
func runPeer(ctx context.Context, dir string, clients, rooms, procs int, seconds float64, serverCPUs cpuList) (*peerRun, error) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		return nil, errors.New("the Colyseus peer's run.sh needs bash")
	}
	logDir, err := os.MkdirTemp("", "tickwire-bench-colyseus-log-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(logDir)
	serverLog := filepath.Join(logDir, "server.log")
	cmd := exec.Command(bash, "run.sh", "--clients", strconv.Itoa(clients), "--rooms", strconv.Itoa(rooms),
		"--seconds", strconv.FormatFloat(seconds, 'f', -1, 64), "--procs", strconv.Itoa(max(procs, 1)))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SERVER_LOG="+serverLog)
	cmd.SysProcAttr = childAttrs()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the Colyseus peer: %w", err)
	}
	done := make(chan struct{})
	var waitErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		waitErr = cmd.Wait()
		close(done)
	})
	run := &peerRun{}
	var pinErr error
	wg.Go(func() {
		run.pid, pinErr = watchPeerServer(ctx, serverLog, done, serverCPUs)
		if pinErr == nil && run.pid != 0 && len(serverCPUs) > 0 {
			run.pinned = serverCPUs.String()
		}
	})
	timer := time.NewTimer(time.Duration(seconds*float64(time.Second)) + peerExtraTime)
	defer timer.Stop()
	var stopped error
	select {
	case <-done:
	case <-ctx.Done():
		stopped = fmt.Errorf("the Colyseus peer: %w", context.Cause(ctx))
	case <-timer.C:
		stopped = errors.New("the Colyseus peer did not finish in time")
	}
	if stopped != nil {
		stopGroup(cmd.Process.Pid, done)
	}
	wg.Wait()
	if stopped != nil {
		return nil, stopped
	}
	if waitErr != nil {
		return nil, fmt.Errorf("the Colyseus peer's run.sh: %w\n%s\n%s", waitErr, tailOf(stderr.String(), 20), tailOf(readTail(serverLog), 10))
	}
	if pinErr != nil {
		return nil, pinErr
	}
	if len(serverCPUs) > 0 && run.pinned == "" {
		return nil, errors.New("the Colyseus peer's server never logged its pid: it could not be pinned to -server-cpus")
	}
	run.result, run.raw, err = parseColyseusOutput(stdout.Bytes())
	if err != nil {
		return nil, fmt.Errorf("%w\nstderr:\n%s", err, tailOf(stderr.String(), 20))
	}
	return run, nil
}

// watchPeerServer reads the peer server's log until it names the
// server's pid (or the run ends), and pins the server to cpus then.
func watchPeerServer(ctx context.Context, logPath string, done <-chan struct{}, cpus cpuList) (int, error) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(peerPidTimeout)
	defer deadline.Stop()
	for {
		if pid := peerPid(logPath); pid != 0 {
			if len(cpus) == 0 {
				return pid, nil
			}
			if err := pinProcess(strconv.Itoa(pid), cpus); err != nil {
				return pid, fmt.Errorf("-server-cpus for the Colyseus server: %w", err)
			}
			return pid, nil
		}
		select {
		case <-tick.C:
		case <-done:
			return 0, nil
		case <-ctx.Done():
			return 0, nil
		case <-deadline.C:
			return 0, nil
		}
	}
}

// peerPid is the pid server.js logged, or 0.
func peerPid(logPath string) int {
	f, err := os.Open(logPath)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := peerPidLine.FindStringSubmatch(sc.Text()); m != nil {
			pid, _ := strconv.Atoi(m[1])
			return pid
		}
	}
	return 0
}

// readTail is the end of a file, for error messages.
func readTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return string(b)
}

// stopGroup ends run.sh's process group (run.sh, its server and its load
// generator): SIGTERM, which run.sh's trap turns into stopping its server,
// then SIGKILL after peerStopTimeout. done closes when run.sh has exited.
func stopGroup(pid int, done <-chan struct{}) {
	_ = signalGroup(pid, false)
	t := time.NewTimer(peerStopTimeout)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		_ = signalGroup(pid, true)
		<-done
	}
}

// Command echocmp compares Tickwire's WebSocket server, in each of nbio's
// IO modes, with net/http + goroutine-per-connection servers
// (coder/websocket, gorilla/websocket) measured in the same run: memory per
// idle connection and CPU and round-trip time of an echo load.
//
// Every server under test runs in a child process (this program re-executed
// with a hidden -serve flag), so its CPU time (utime+stime from
// /proc/PID/stat) and resident memory (VmRSS) are measured apart from the
// load generator, which uses Tickwire's Go client on one nbio client engine.
// Everything stays on 127.0.0.1 and every phase is bounded in time.
//
//	go run ./bench/echocmp -help
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/lesismal/nbio/logging"
)

// config is the parsed command line.
type config struct {
	servers         []serverSpec
	rounds          int
	scenarios       []string
	idleConns       []int
	tickwireIdle    string
	activeConns     int
	activePath      string
	rate            float64
	duration        time.Duration
	warmup          time.Duration
	settle          time.Duration
	msgSize         int
	pollers         int
	clientPollers   int
	senders         int
	dialConcurrency int
	dialLimit       time.Duration
	serverEnv       []string
	profileDir      string
	jsonFile        string
	quietThreshold  float64
	quietWait       time.Duration
	maxOther        float64
	noiseRetries    int
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == serveFlag {
		if err := runChild(os.Args[1:]); err != nil {
			fmt.Fprintln(os.Stderr, "echocmp server:", err)
			os.Exit(1)
		}
		return
	}
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "echocmp:", err)
		os.Exit(2)
	}
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "echocmp:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (*config, error) {
	fs := flag.NewFlagSet("echocmp", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `echocmp compares Tickwire's server (nbio, each IO mode) with net/http +
coder/websocket and net/http + gorilla/websocket (one goroutine per
connection), each in a child process.

Scenarios:
  idle    open N connections (to /ws for Tickwire: a full session that gets
          a Welcome; to /echo for the others), let the server settle, and
          report (RSS with N - RSS with 0) / N, before and after a forced GC.
  active  -active-conns connections each send a small message -rate times a
          second to /echo for -duration (after -warmup); report round-trip
          p50/p99/max from the client and the server's CPU over the window.

Servers: %s
  nbio-bare and nbio-bare-inline are bare nbio echo servers (no sessions),
  with nbio's task pool or with handlers run on the poller goroutine.

Example (the whole comparison, about 3 minutes):
  go run ./bench/echocmp -json /tmp/echocmp.json

Flags:
`, strings.Join(serverKinds, ", "))
		fs.PrintDefaults()
	}
	servers := fs.String("servers", "tickwire-nonblocking,coder,gorilla", "comma-separated servers under test (kinds, or labels defined with -alt)")
	alts := fs.String("alt", "", "comma-separated LABEL=[BINARY]:KIND[/POLLERS]: more servers, usable in -servers by LABEL,\nserved by another build of echocmp (e.g. one built from a patched copy of the repo; empty: this one),\noptionally with their own poller count")
	rounds := fs.Int("rounds", 1, "run the active scenario this many times, the servers interleaved")
	scenarios := fs.String("scenarios", "idle,active", "comma-separated scenarios: idle, active")
	idle := fs.String("idle-conns", "1000,10000", "comma-separated connection counts of the idle scenario")
	tickwireIdle := fs.String("tickwire-idle-path", "/ws", "endpoint Tickwire's idle connections open (/ws or /echo)")
	activeConns := fs.Int("active-conns", 1000, "connections of the active scenario")
	activePath := fs.String("active-path", "/echo", "endpoint of the active scenario on Tickwire servers (/echo, or /ws for Ping→Pong)")
	rate := fs.Float64("rate", 20, "messages per second per connection (active)")
	duration := fs.Duration("duration", 10*time.Second, "measured window of the active scenario")
	warmup := fs.Duration("warmup", 2*time.Second, "load before the measured window (active)")
	settle := fs.Duration("settle", 5*time.Second, "wait after the idle connections are open before measuring")
	msgSize := fs.Int("msg-size", 32, "bytes per message (active; at least about 13)")
	pollers := fs.Int("pollers", 0, "nbio poller goroutines of the servers (0: Tickwire's default, GOMAXPROCS)")
	clientPollers := fs.Int("client-pollers", 0, "pollers of the load generator's client engine (0: GOMAXPROCS)")
	senders := fs.Int("senders", 2, "sending goroutines of the load generator")
	dialConc := fs.Int("dial-concurrency", 64, "handshakes in flight while opening connections")
	dialLimit := fs.Duration("dial-limit", 2*time.Minute, "give up opening connections after this long")
	serverEnv := fs.String("server-env", "", "comma-separated KEY=VALUE environment for the servers (e.g. GOGC=50)")
	profileDir := fs.String("profile-dir", "", "write the servers' CPU profiles (active window) and heap profiles (idle, after GC) here")
	jsonFile := fs.String("json", "", "also write the results as JSON to this file")
	quietThreshold := fs.Float64("quiet-threshold", 25, "before each case, wait until other processes use less than this % of a core")
	quietWait := fs.Duration("quiet-wait", time.Minute, "longest wait for a quiet machine before each case (0: do not wait)")
	maxOther := fs.Float64("max-other", 30, "an active case during which other processes used more than this % of a core is noisy: run it again")
	noiseRetries := fs.Int("noise-retries", 2, "how many times to run a noisy active case again (the last try is kept)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	cfg := &config{
		rounds: *rounds, scenarios: splitList(*scenarios), tickwireIdle: *tickwireIdle,
		activeConns: *activeConns, activePath: *activePath, rate: *rate, duration: *duration, warmup: *warmup,
		settle: *settle, msgSize: *msgSize, pollers: *pollers, clientPollers: *clientPollers, senders: *senders,
		dialConcurrency: *dialConc, dialLimit: *dialLimit, serverEnv: splitList(*serverEnv),
		profileDir: *profileDir, jsonFile: *jsonFile, quietThreshold: *quietThreshold, quietWait: *quietWait,
		maxOther: *maxOther, noiseRetries: *noiseRetries,
	}
	var errs []error
	alt := map[string]serverSpec{}
	for _, a := range splitList(*alts) {
		label, rest, ok1 := strings.Cut(a, "=")
		i := strings.LastIndexByte(rest, ':')
		if !ok1 || i < 0 || label == "" {
			errs = append(errs, fmt.Errorf("-alt: %q is not LABEL=[BINARY]:KIND[/POLLERS]", a))
			continue
		}
		spec := serverSpec{Label: label, Kind: rest[i+1:], Pollers: -1}
		if k, p, ok := strings.Cut(spec.Kind, "/"); ok {
			n, err := strconv.Atoi(p)
			if err != nil || n < 1 {
				errs = append(errs, fmt.Errorf("-alt: %q: bad poller count %q", a, p))
				continue
			}
			spec.Kind, spec.Pollers = k, n
		}
		if !contains(serverKinds, spec.Kind) {
			errs = append(errs, fmt.Errorf("-alt: %q: unknown kind %q", a, spec.Kind))
			continue
		}
		if exe := rest[:i]; exe != "" {
			abs, err := filepath.Abs(exe)
			if err != nil {
				errs = append(errs, fmt.Errorf("-alt: %w", err))
				continue
			}
			spec.Exe = abs
		}
		alt[label] = spec
	}
	for _, s := range splitList(*servers) {
		if spec, ok := alt[s]; ok {
			cfg.servers = append(cfg.servers, spec)
		} else if contains(serverKinds, s) {
			cfg.servers = append(cfg.servers, serverSpec{Label: s, Kind: s, Pollers: -1})
		} else {
			errs = append(errs, fmt.Errorf("-servers: unknown server %q (want %s, or a label given with -alt)", s, strings.Join(serverKinds, ", ")))
		}
	}
	if cfg.noiseRetries < 0 || cfg.noiseRetries > 5 {
		errs = append(errs, fmt.Errorf("-noise-retries: want 0..5, got %d", cfg.noiseRetries))
	}
	if cfg.rounds < 1 || cfg.rounds > 10 {
		errs = append(errs, fmt.Errorf("-rounds: want 1..10, got %d", cfg.rounds))
	}
	for _, s := range cfg.scenarios {
		if s != "idle" && s != "active" {
			errs = append(errs, fmt.Errorf("-scenarios: unknown scenario %q (want idle, active)", s))
		}
	}
	for _, s := range splitList(*idle) {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 || n > 15000 {
			errs = append(errs, fmt.Errorf("-idle-conns: %q is not a count in 1..15000", s))
			continue
		}
		cfg.idleConns = append(cfg.idleConns, n)
	}
	if cfg.activeConns <= 0 || cfg.activeConns > 15000 {
		errs = append(errs, fmt.Errorf("-active-conns: want 1..15000, got %d", cfg.activeConns))
	}
	if cfg.tickwireIdle != "/ws" && cfg.tickwireIdle != "/echo" {
		errs = append(errs, fmt.Errorf("-tickwire-idle-path: want /ws or /echo, got %q", cfg.tickwireIdle))
	}
	if cfg.activePath != "/ws" && cfg.activePath != "/echo" {
		errs = append(errs, fmt.Errorf("-active-path: want /ws or /echo, got %q", cfg.activePath))
	}
	if cfg.rate <= 0 || cfg.rate > 1000 {
		errs = append(errs, fmt.Errorf("-rate: want 0 < rate <= 1000, got %g", cfg.rate))
	}
	if cfg.duration <= 0 || cfg.duration > 10*time.Minute || cfg.warmup < 0 || cfg.warmup > time.Minute {
		errs = append(errs, errors.New("-duration must be in (0, 10m] and -warmup in [0, 1m]"))
	}
	if cfg.settle < 0 || cfg.settle > 5*time.Minute {
		errs = append(errs, errors.New("-settle must be in [0, 5m]"))
	}
	if cfg.msgSize < 0 || cfg.msgSize > 60000 {
		errs = append(errs, errors.New("-msg-size must be in [0, 60000]"))
	}
	if cfg.senders <= 0 || cfg.dialConcurrency <= 0 || cfg.dialLimit <= 0 {
		errs = append(errs, errors.New("-senders, -dial-concurrency and -dial-limit must be positive"))
	}
	if cfg.profileDir != "" {
		abs, err := filepath.Abs(cfg.profileDir)
		if err == nil {
			err = os.MkdirAll(abs, 0o755)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("-profile-dir: %w", err))
		}
		cfg.profileDir = abs
	}
	return cfg, errors.Join(errs...)
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// report is everything one run produced (the -json file).
type report struct {
	Machine machine   `json:"machine"`
	Command string    `json:"command"`
	Started time.Time `json:"started"`
	Results []result  `json:"results"`
}

func run(cfg *config) error {
	// nbio's logger writes to stdout, which carries the tables.
	logging.Output = os.Stderr
	logging.SetLevel(logging.LevelError)

	rep := report{Machine: describeMachine(), Command: "go run ./bench/echocmp " + strings.Join(os.Args[1:], " "), Started: time.Now()}
	fmt.Fprintf(os.Stderr, "machine: %s\n", rep.Machine)
	for _, sc := range cfg.scenarios {
		switch sc {
		case "idle":
			for _, n := range cfg.idleConns {
				for _, spec := range cfg.servers {
					busy := quiet(cfg)
					r := runIdle(cfg, spec, n)
					r.BusyBeforePct = busy
					rep.Results = append(rep.Results, r)
					pause()
				}
			}
		case "active":
			for round := 1; round <= cfg.rounds; round++ {
				for _, spec := range cfg.servers {
					for try := 0; ; try++ {
						busy := quiet(cfg)
						r := runActive(cfg, spec, round)
						r.BusyBeforePct = busy
						r.Tries = try + 1
						pause()
						if r.Active != nil && r.Active.CPU.OtherPct > cfg.maxOther && try < cfg.noiseRetries {
							fmt.Fprintf(os.Stderr, "  other processes used %.0f%% of a core during the window: running it again\n", r.Active.CPU.OtherPct)
							continue
						}
						rep.Results = append(rep.Results, r)
						break
					}
				}
			}
		}
	}
	printReport(os.Stdout, cfg, &rep)
	if cfg.jsonFile != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(cfg.jsonFile, append(b, '\n'), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "wrote %s\n", cfg.jsonFile)
	}
	for _, r := range rep.Results {
		if r.Error != "" {
			return fmt.Errorf("%d of %d cases failed (see the tables)", countErrors(rep.Results), len(rep.Results))
		}
	}
	return nil
}

func quiet(cfg *config) float64 {
	if cfg.quietWait <= 0 {
		return -1
	}
	return waitQuiet(cfg.quietThreshold, cfg.quietWait)
}

// pause lets the last case's sockets and processes go before the next.
func pause() { time.Sleep(2 * time.Second) }

func countErrors(rs []result) int {
	n := 0
	for _, r := range rs {
		if r.Error != "" {
			n++
		}
	}
	return n
}

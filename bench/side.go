package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// colyseusUsage is printed by `go run ./bench colyseus -help`.
const colyseusUsage = `Usage: go run ./bench colyseus [flags]

Runs, back to back in one invocation, the Tickwire arena (against a child
server, as a plain arena run), the bench's bare-nbio floor at the arena's
message counts and sizes, and the Colyseus peer's run.sh at the same
clients, rooms and seconds; with -runs N it alternates them N times. It
prints one row per system (medians over the runs) and the ratios
Tickwire/Colyseus and Tickwire/floor, and writes them with -json. See
bench/README.md, "Side by side with Colyseus".

Flags:
`

// systems of the side-by-side table, in its order.
const (
	sysTickwire = "tickwire"
	sysFloor    = "floor"
	sysColyseus = "colyseus"
)

// sideRow is one system's figures in one run, or their medians over the
// runs. Null where the system did not report a figure.
type sideRow struct {
	Players int `json:"players"`
	Failed  int `json:"failed"`
	// ServerCPUPct is the server's CPU in % of one core over the window.
	ServerCPUPct *float64 `json:"server_cpu_pct"`
	// ServerCPUUsPerPlayerS is that per player per second, in µs.
	ServerCPUUsPerPlayerS *float64 `json:"server_cpu_us_per_player_s"`
	// PlayersPerServerCore is players / (server_cpu_pct / 100).
	PlayersPerServerCore *float64 `json:"players_per_server_core"`
	// StateBytesPerPlayerS is what the server sent each player per second,
	// WebSocket framing included: the bench's clients' count for Tickwire
	// and the floor (bytes_in_per_client_s), the server process's written
	// bytes for Colyseus (wchar, server_bytes_out_per_client_s).
	StateBytesPerPlayerS *float64 `json:"state_bytes_per_player_s"`
	ServerRSSMB          *float64 `json:"server_rss_mb"`
	// ServerRSSPerPlayerKB is the server's whole RSS over its players.
	ServerRSSPerPlayerKB *float64 `json:"server_rss_per_player_kb"`
	LatencyP50Ms         *float64 `json:"latency_p50_ms"`
	LatencyP99Ms         *float64 `json:"latency_p99_ms"`
}

// sideSystem is one system's rows over the runs and their medians.
type sideSystem struct {
	Median sideRow   `json:"median"`
	Runs   []sideRow `json:"runs"`
}

// SideReport is the colyseus mode's JSON (-json).
type SideReport struct {
	Clients   int     `json:"clients"`
	Rooms     int     `json:"rooms"`
	TickHz    int     `json:"tick_hz"`
	InputHz   float64 `json:"input_hz"`
	DurationS float64 `json:"duration_s"`
	RunCount  int     `json:"runs"`
	Peer      string  `json:"peer"`
	// Order is the order the systems ran in, one entry per run.
	Order      [][]string             `json:"order"`
	ServerCPUs string                 `json:"server_cpus,omitempty"`
	BenchCPUs  string                 `json:"bench_cpus,omitempty"`
	Systems    map[string]*sideSystem `json:"systems"`
	// Ratios are the medians' Tickwire/Colyseus and Tickwire/floor, key
	// by key (null where either side is null or the divisor is 0).
	Ratios map[string]sideRatios `json:"ratios"`
	// Tickwire are the arena runs' whole reports (each with its floor run
	// under floor); Colyseus the peer's JSON lines as it printed them.
	Tickwire []*Report        `json:"tickwire_reports"`
	Colyseus []map[string]any `json:"colyseus_reports"`

	Notes       []string    `json:"notes,omitempty"`
	Interrupted bool        `json:"interrupted"`
	Machine     machineInfo `json:"machine"`
	Version     versionInfo `json:"tickwire"`
	Command     string      `json:"command"`
	Started     string      `json:"started"`
}

// ratioKeys name the ratios of the table.
const (
	ratioVsColyseus = "tickwire_vs_colyseus"
	ratioVsFloor    = "tickwire_vs_floor"
)

// sideConfig is the colyseus mode's command line.
type sideConfig struct {
	arena     *config // the Tickwire arena run (its floor follows it)
	peer      string
	peerProcs int // the peer's load generator processes (load.js --procs)
	runs      int
	jsonPath  string
	args      []string
}

// defaultPeer is the Colyseus peer the mode runs without -peer:
// ../shared/peers/colyseus beside the repository when there is one, else
// the copy in bench/testdata/colyseus. root is the repository root.
func defaultPeer(root string) string {
	shared := filepath.Join(filepath.Dir(root), "shared", "peers", "colyseus")
	if st, err := os.Stat(filepath.Join(shared, "run.sh")); err == nil && !st.IsDir() {
		return shared
	}
	return filepath.Join(root, "bench", "testdata", "colyseus")
}

// repoRoot is the directory of the go.mod above the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod above %s: run the bench inside the Tickwire module, or pass -peer", dir)
		}
	}
}

// parseSideFlags parses the colyseus mode's flags. The arena's come from
// the bench's own flag set (parseFlags), so they mean and check the same;
// -peer, -runs and -json are the mode's.
func parseSideFlags(args []string, out io.Writer) (*sideConfig, error) {
	sc := &sideConfig{args: append([]string(nil), args...)}
	fs := flag.NewFlagSet("bench colyseus", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprint(out, colyseusUsage)
		fs.PrintDefaults()
	}
	clients := fs.Int("clients", 500, "players, on every system")
	rooms := fs.Int("rooms", 50, "rooms (clients/rooms players each)")
	hz := fs.Int("hz", peerTickHz, "tick rate: the Colyseus peer ticks and sends inputs at 20 Hz only")
	duration := fs.Duration("duration", 15*time.Second, "measured window of each run (the peer's --seconds)")
	warmup := fs.Duration("warmup", 5*time.Second, "Tickwire and floor runs: inputs flow this long before the window")
	fs.StringVar(&sc.peer, "peer", "", "the Colyseus peer's directory (default: ../shared/peers/colyseus beside the repository if present, else bench/testdata/colyseus)")
	fs.IntVar(&sc.peerProcs, "peer-procs", 1, "the Colyseus peer's load generator processes (its load.js --procs): one Node process may not keep up with 20 inputs/s per player")
	fs.IntVar(&sc.runs, "runs", 1, "run every system this many times, alternating; the table shows medians")
	fs.StringVar(&sc.jsonPath, "json", "", "write the table, the runs and every report as JSON to this file")
	serverCPUs := fs.String("server-cpus", "", "every server (Tickwire's, the floor's, Colyseus's node) on these CPUs only")
	benchCPUs := fs.String("bench-cpus", "", "the load generators (the bench and the peer's load.js) on these CPUs only")
	server := fs.String("server", serverDemo, "Tickwire's child server: demo or bench (as the bench's -server)")
	serverBin := fs.String("server-bin", "", "a prebuilt demo binary (as the bench's -server-bin)")
	verify := fs.Bool("verify", false, "Tickwire's arena clients apply every frame to a replica (as the bench's -verify)")
	quiet := fs.Bool("quiet", false, "no progress lines on stderr")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	var errs []string
	if *hz != peerTickHz {
		errs = append(errs, fmt.Sprintf("-hz %d: the Colyseus peer ticks at %d Hz only", *hz, peerTickHz))
	}
	if sc.runs < 1 || sc.runs > 50 {
		errs = append(errs, fmt.Sprintf("-runs %d: want 1..50", sc.runs))
	}
	if sc.peerProcs < 1 || sc.peerProcs > 16 {
		errs = append(errs, fmt.Sprintf("-peer-procs %d: want 1..16", sc.peerProcs))
	}
	if *duration < time.Second {
		errs = append(errs, fmt.Sprintf("-duration %v: want >= 1s (the peer counts whole seconds of inputs)", *duration))
	}
	arenaArgs := []string{"-scenario", "arena", "-clients", fmt.Sprint(*clients), "-rooms", fmt.Sprint(*rooms),
		"-hz", fmt.Sprint(*hz), "-input-hz", fmt.Sprint(peerTickHz), "-duration", duration.String(), "-warmup", warmup.String(),
		"-server", *server}
	if *serverBin != "" {
		arenaArgs = append(arenaArgs, "-server-bin", *serverBin)
	}
	if *serverCPUs != "" {
		arenaArgs = append(arenaArgs, "-server-cpus", *serverCPUs)
	}
	if *benchCPUs != "" {
		arenaArgs = append(arenaArgs, "-bench-cpus", *benchCPUs)
	}
	if *verify {
		arenaArgs = append(arenaArgs, "-verify")
	}
	if *quiet {
		arenaArgs = append(arenaArgs, "-quiet")
	}
	cfg, err := parseFlags(arenaArgs, io.Discard)
	if err != nil {
		errs = append(errs, err.Error())
	}
	if len(errs) > 0 {
		return nil, errors.New(strings.Join(errs, "; "))
	}
	cfg.args = append([]string{"colyseus"}, args...)
	sc.arena = cfg
	return sc, nil
}

// colyseusMain is `go run ./bench colyseus`.
func colyseusMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sc, err := parseSideFlags(args, stderr)
	if err != nil {
		return err
	}
	cfg := sc.arena
	if sc.peer == "" {
		root, err := repoRoot()
		if err != nil {
			return err
		}
		sc.peer = defaultPeer(root)
	}
	if sc.peer, err = filepath.Abs(sc.peer); err != nil {
		return err
	}
	if err := checkResources(cfg); err != nil {
		return err
	}
	if len(cfg.benchCPUs) > 0 {
		restore, err := pinSelf(cfg.benchCPUs)
		if err != nil {
			return fmt.Errorf("-bench-cpus: %w", err)
		}
		defer restore()
	}
	log := stderr
	if cfg.quiet {
		log = io.Discard
	}
	machine := readMachine()
	started := time.Now().UTC()
	peerDir, err := preparePeer(ctx, sc.peer, os.TempDir(), log)
	if err != nil {
		return err
	}
	var build *serverBuild
	if cfg.server == serverDemo && cfg.serverBin == "" {
		fmt.Fprintln(log, "bench: building", demoPackage)
		if build, err = buildDemo(ctx); err != nil {
			return err
		}
		defer build.remove()
	}
	rep := &SideReport{
		Clients: cfg.clients, Rooms: cfg.rooms, TickHz: cfg.hz, InputHz: cfg.inputHz,
		DurationS: cfg.duration.Seconds(), RunCount: sc.runs, Peer: sc.peer,
		ServerCPUs: cfg.serverCPUs.String(), BenchCPUs: cfg.benchCPUs.String(),
		Systems: map[string]*sideSystem{sysTickwire: {}, sysFloor: {}, sysColyseus: {}},
		Command: cfg.commandLine(), Started: started.Format(time.RFC3339),
	}
	for i := range sc.runs {
		order := []string{sysTickwire, sysColyseus}
		if i%2 == 1 { // alternate, so that neither always runs on a warmer or busier machine
			order = []string{sysColyseus, sysTickwire}
		}
		var ran []string
		for _, sys := range order {
			if ctx.Err() != nil {
				break
			}
			fmt.Fprintf(log, "bench: run %d of %d: %s\n", i+1, sc.runs, sys)
			switch sys {
			case sysTickwire:
				if err := sideTickwire(ctx, cfg, build, rep, log); err != nil {
					return err
				}
				ran = append(ran, sysTickwire, sysFloor)
			case sysColyseus:
				if err := sideColyseus(ctx, cfg, peerDir, sc.peerProcs, rep); err != nil {
					return err
				}
				ran = append(ran, sysColyseus)
			}
		}
		rep.Order = append(rep.Order, ran)
	}
	rep.Interrupted = rep.Interrupted || ctx.Err() != nil
	rep.summarize()
	machine.LoadAvg1At = loadAvg()
	rep.Machine = machine
	rep.Version = readVersion(context.WithoutCancel(ctx))
	printSide(stdout, rep)
	if sc.jsonPath != "" {
		if err := writeJSON(sc.jsonPath, rep); err != nil {
			return fmt.Errorf("-json: %w", err)
		}
	}
	if rep.Interrupted {
		return errInterrupted
	}
	return nil
}

// sideTickwire runs the arena and its floor once and adds their rows.
func sideTickwire(ctx context.Context, cfg *config, build *serverBuild, rep *SideReport, log io.Writer) error {
	arena, err := runOnce(ctx, cfg, build)
	if err != nil {
		return fmt.Errorf("the Tickwire arena run: %w", err)
	}
	if !arena.Interrupted && ctx.Err() == nil {
		if err := runFloor(ctx, cfg, arena, log); err != nil {
			return err
		}
	}
	rep.Tickwire = append(rep.Tickwire, arena)
	rep.Interrupted = rep.Interrupted || arena.Interrupted
	rep.Systems[sysTickwire].Runs = append(rep.Systems[sysTickwire].Runs, benchRow(arena))
	if arena.Floor != nil {
		rep.Systems[sysFloor].Runs = append(rep.Systems[sysFloor].Runs, benchRow(arena.Floor))
	}
	for _, n := range arena.Notes {
		rep.Notes = append(rep.Notes, "tickwire run: "+n)
	}
	return nil
}

// sideColyseus runs the peer once and adds its row.
func sideColyseus(ctx context.Context, cfg *config, peerDir string, procs int, rep *SideReport) error {
	pr, err := runPeer(ctx, peerDir, cfg.clients, cfg.rooms, procs, cfg.duration.Seconds(), cfg.serverCPUs)
	if err != nil {
		if ctx.Err() != nil {
			rep.Interrupted = true
			return nil
		}
		return err
	}
	var raw map[string]any
	if err := json.Unmarshal(pr.raw, &raw); err != nil {
		return fmt.Errorf("the Colyseus peer's JSON: %w", err)
	}
	if pr.pinned != "" {
		raw["pinned_server_cpus"] = pr.pinned
	}
	if pr.pid != 0 {
		raw["server_pid"] = pr.pid
	}
	rep.Colyseus = append(rep.Colyseus, raw)
	rep.Systems[sysColyseus].Runs = append(rep.Systems[sysColyseus].Runs, colyseusRow(pr.result))
	res := pr.result
	if res.InputHzPerClient != nil && *res.InputHzPerClient < 0.95*peerTickHz {
		rep.Notes = append(rep.Notes, fmt.Sprintf("colyseus run: its load generator sent %.1f inputs/s per client instead of %d (loop lag p99 %s ms): its latency and the server's load are understated (more -peer-procs or -bench-cpus may help)",
			*res.InputHzPerClient, peerTickHz, fmtPtr(res.LoadgenLoopLagP99Ms, 1)))
	}
	if res.Failed > 0 || res.Unacked > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("colyseus run: %d clients failed, %d inputs unacknowledged", res.Failed, res.Unacked))
	}
	return nil
}

// benchRow is a bench report (the arena's or the floor's) as a row.
func benchRow(r *Report) sideRow {
	row := sideRow{
		Players: r.Connected, Failed: r.Failed,
		ServerCPUPct: r.ServerCPUPct, ServerRSSMB: r.ServerRSSMB,
		StateBytesPerPlayerS: ptr(r.BytesInPerClientS),
	}
	if r.LatencyMs.Count > 0 {
		row.LatencyP50Ms, row.LatencyP99Ms = ptr(r.LatencyMs.P50), ptr(r.LatencyMs.P99)
	}
	row.derive()
	return row
}

// colyseusRow is the peer's JSON as a row.
func colyseusRow(c *colyseusResult) sideRow {
	row := sideRow{
		Players: c.Clients - c.Failed, Failed: c.Failed,
		ServerCPUPct: c.ServerCPUPct, ServerRSSMB: c.ServerRSSMB,
		StateBytesPerPlayerS: c.ServerBytesOutPerClientS,
		LatencyP50Ms:         c.LatencyMs.P50, LatencyP99Ms: c.LatencyMs.P99,
	}
	row.derive()
	return row
}

// derive fills in the per-player figures from the totals.
func (r *sideRow) derive() {
	if r.Players <= 0 {
		return
	}
	n := float64(r.Players)
	if r.ServerCPUPct != nil {
		r.ServerCPUUsPerPlayerS = ptr(round3(*r.ServerCPUPct / 100 * 1e6 / n))
		if *r.ServerCPUPct > 0 {
			r.PlayersPerServerCore = ptr(round3(n / (*r.ServerCPUPct / 100)))
		}
	}
	if r.ServerRSSMB != nil {
		r.ServerRSSPerPlayerKB = ptr(round3(*r.ServerRSSMB * 1024 / n))
	}
}

// sideRatios are two rows' figures divided, by JSON key.
type sideRatios map[string]*float64

// sideField is one figure of a row: its column heading, its JSON key and
// where it is.
type sideField struct {
	name, key string
	v         **float64
}

// fields are the row's figures, in the table's order.
func (r *sideRow) fields() []sideField {
	return []sideField{
		{"server CPU %", "server_cpu_pct", &r.ServerCPUPct},
		{"µs CPU/player/s", "server_cpu_us_per_player_s", &r.ServerCPUUsPerPlayerS},
		{"players/core", "players_per_server_core", &r.PlayersPerServerCore},
		{"state B/player/s", "state_bytes_per_player_s", &r.StateBytesPerPlayerS},
		{"RSS MB", "server_rss_mb", &r.ServerRSSMB},
		{"RSS KB/player", "server_rss_per_player_kb", &r.ServerRSSPerPlayerKB},
		{"p50 ms", "latency_p50_ms", &r.LatencyP50Ms},
		{"p99 ms", "latency_p99_ms", &r.LatencyP99Ms},
	}
}

// summarize computes every system's medians and the ratios.
func (rep *SideReport) summarize() {
	for _, s := range rep.Systems {
		s.Median = medianRow(s.Runs)
	}
	rep.Ratios = map[string]sideRatios{
		ratioVsColyseus: ratioRow(rep.Systems[sysTickwire].Median, rep.Systems[sysColyseus].Median),
		ratioVsFloor:    ratioRow(rep.Systems[sysTickwire].Median, rep.Systems[sysFloor].Median),
	}
}

// medianRow is the median of every figure over rows (nulls left out;
// null if every row's is null). Players and Failed are the medians too.
func medianRow(rows []sideRow) sideRow {
	var out sideRow
	if len(rows) == 0 {
		return out
	}
	var players, failed []float64
	for _, r := range rows {
		players = append(players, float64(r.Players))
		failed = append(failed, float64(r.Failed))
	}
	out.Players, out.Failed = int(median(players)), int(median(failed))
	for i, f := range out.fields() {
		var vs []float64
		for _, r := range rows {
			if v := *r.fields()[i].v; v != nil {
				vs = append(vs, *v)
			}
		}
		if len(vs) > 0 {
			*f.v = ptr(round3(median(vs)))
		}
	}
	return out
}

// median of vs (the mean of the middle two for an even count).
func median(vs []float64) float64 {
	s := slices.Clone(vs)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// ratioRow is a/b figure by figure.
func ratioRow(a, b sideRow) sideRatios {
	out := sideRatios{}
	bf := b.fields()
	for i, f := range a.fields() {
		x, y := *f.v, *bf[i].v
		out[f.key] = nil
		if x != nil && y != nil && *y != 0 {
			out[f.key] = ptr(round3(*x / *y))
		}
	}
	return out
}

// printSide writes the side-by-side table.
func printSide(w io.Writer, rep *SideReport) {
	fmt.Fprintf(w, "side by side: %d players in %d rooms, %d Hz ticks, %g inputs/s per player, %gs windows, median of %d run(s)",
		rep.Clients, rep.Rooms, rep.TickHz, rep.InputHz, rep.DurationS, rep.RunCount)
	if rep.ServerCPUs != "" || rep.BenchCPUs != "" {
		fmt.Fprintf(w, "; servers on CPUs %s, load generators on %s", orAny(rep.ServerCPUs), orAny(rep.BenchCPUs))
	}
	if rep.Interrupted {
		fmt.Fprint(w, " (INTERRUPTED)")
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	var head sideRow
	fmt.Fprint(tw, "\tplayers\t")
	for _, f := range head.fields() {
		fmt.Fprintf(tw, "%s\t", f.name)
	}
	fmt.Fprintln(tw)
	line := func(name, players string, r sideRow) {
		fmt.Fprintf(tw, "%s\t%s\t", name, players)
		for _, f := range r.fields() {
			fmt.Fprintf(tw, "%s\t", fmtPtr(*f.v, 1))
		}
		fmt.Fprintln(tw)
	}
	ratio := func(name string, r sideRatios) {
		fmt.Fprintf(tw, "%s\t\t", name)
		for _, f := range head.fields() {
			fmt.Fprintf(tw, "%s\t", fmtPtr(r[f.key], 2))
		}
		fmt.Fprintln(tw)
	}
	for _, sys := range []string{sysTickwire, sysFloor, sysColyseus} {
		s := rep.Systems[sys]
		players := "—"
		if len(s.Runs) > 0 {
			players = fmt.Sprint(s.Median.Players)
		}
		line(sys, players, s.Median)
	}
	ratio("tickwire/colyseus", rep.Ratios[ratioVsColyseus])
	ratio("tickwire/floor", rep.Ratios[ratioVsFloor])
	_ = tw.Flush()
	fmt.Fprintf(w, "state bytes: Tickwire and floor as their clients counted them, Colyseus as its server process wrote them (wchar); RSS per player is the whole RSS over the players\n")
	fmt.Fprintf(w, "Colyseus peer: %s\n", rep.Peer)
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}

// fmtPtr formats v with prec decimals, or "—" for null.
func fmtPtr(v *float64, prec int) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf("%.*f", prec, *v)
}

func ptr(v float64) *float64 { return &v }

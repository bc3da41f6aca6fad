// Command bench loads a Tickwire server with thousands of WebSocket clients
// and reports what its players would feel: input-to-state latency (from
// each input's scheduled send time to the first state that reflects it,
// corrected for coordinated omission), RTT, the server's tick duration and
// jitter, its CPU and memory, bytes per client, failures and lost inputs.
//
// Without -addr it builds examples/demo and runs it in a child process, so
// that the server's CPU and RSS are measured apart from the load. The load
// runs in this process on one client engine: no goroutine per client.
//
//	go run ./bench -scenario arena -clients 1000 -rooms 20 -hz 20 -duration 30s -json out.json
//	go run ./bench compare a.json b.json
//	go run ./bench colyseus -clients 500 -rooms 50 -duration 15s -runs 3 -json side.json
//
// See bench/README.md for every flag and the JSON keys.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"

	"github.com/rs/zerolog"

	"github.com/tickwire/tickwire/server"
)

// errInterrupted ends a run stopped by SIGINT or SIGTERM after its partial
// report was written.
var errInterrupted = errors.New("interrupted: the report is partial")

func main() {
	ctx, stop := signalContext()
	defer stop()
	if os.Getenv(roleEnv) == roleServer {
		os.Exit(serveMain(ctx, os.Args[1:], os.Stderr))
	}
	// The first signal stops the run cleanly; a second one kills.
	context.AfterFunc(ctx, stop)
	err := benchMain(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errInterrupted):
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(130)
	default:
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// signalContext ends at SIGINT or SIGTERM.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// benchMain is the bench's command: it parses args, runs once or searches for
// capacity, prints the summary on stdout and writes the JSON and plots.
func benchMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "compare" {
		return compareMain(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "colyseus" {
		server.UseNBIOLogger(zerolog.New(stderr).Level(zerolog.WarnLevel).With().Timestamp().Logger())
		return colyseusMain(ctx, args[1:], stdout, stderr)
	}
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	server.UseNBIOLogger(zerolog.New(stderr).Level(zerolog.WarnLevel).With().Timestamp().Logger())
	machine := readMachine()
	if err := checkResources(cfg); err != nil {
		return err
	}
	if len(cfg.benchCPUs) > 0 {
		// Every thread of the bench from here on, and every thread
		// started later (they inherit the mask); child servers are
		// started on -server-cpus instead (startPinned).
		restore, err := pinSelf(cfg.benchCPUs)
		if err != nil {
			return fmt.Errorf("-bench-cpus: %w", err)
		}
		defer restore()
	}
	if cfg.cpuProfile != "" {
		f, err := os.Create(cfg.cpuProfile)
		if err != nil {
			return fmt.Errorf("-cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("-cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	var build *serverBuild
	if cfg.addr == "" && cfg.server == serverDemo && cfg.serverBin == "" && cfg.scenario != "floor" {
		if !cfg.quiet {
			fmt.Fprintln(stderr, "bench: building", demoPackage)
		}
		if build, err = buildDemo(ctx); err != nil {
			return err
		}
		defer build.remove()
	}
	var rep *Report
	if cfg.findCapacity {
		rep, err = findCapacity(ctx, cfg, build, stderr)
	} else {
		rep, err = runOnce(ctx, cfg, build)
	}
	if err != nil {
		return err
	}
	if cfg.floor && !rep.Interrupted && ctx.Err() == nil {
		if err := runFloor(ctx, cfg, rep, stderr); err != nil {
			return err
		}
	}
	machine.LoadAvg1At = loadAvg()
	rep.Machine = machine
	rep.Tickwire = readVersion(context.WithoutCancel(ctx))
	printSummary(stdout, rep)
	if rep.Capacity != nil {
		printCapacity(stdout, rep.Capacity)
	}
	if rep.Floor != nil {
		rep.Floor.Machine, rep.Floor.Tickwire = rep.Machine, rep.Tickwire
		fmt.Fprintln(stdout)
		printSummary(stdout, rep.Floor)
		fmt.Fprintln(stdout)
		printFloorComparison(stdout, rep)
	}
	if cfg.jsonPath != "" {
		if err := writeJSON(cfg.jsonPath, rep); err != nil {
			return fmt.Errorf("-json: %w", err)
		}
	}
	if cfg.plotPath != "" {
		if err := writePlots(cfg.plotPath, rep); err != nil {
			return fmt.Errorf("-plot: %w", err)
		}
	}
	if rep.Interrupted || ctx.Err() != nil {
		return errInterrupted
	}
	return nil
}

// runOnce starts the server cfg asks for, runs the load once and stops
// the server.
func runOnce(ctx context.Context, cfg *config, build *serverBuild) (*Report, error) {
	if cfg.scenario == "failover" { // a whole cluster, not one server
		return runFailover(ctx, cfg, build, os.Stderr)
	}
	srv, err := startServer(ctx, cfg, build)
	if err != nil {
		return nil, err
	}
	var rep *Report
	if rs, ok := scenarios[cfg.scenario].new(cfg).(runnerScenario); ok {
		rep, err = rs.runAgainst(ctx, cfg, srv)
	} else {
		rep, err = newRun(cfg, srv).execute(ctx)
	}
	if stopErr := srv.stop(); stopErr != nil && rep != nil {
		rep.Notes = append(rep.Notes, stopErr.Error())
	}
	return rep, err
}

// runFloor runs the floor scenario after rep's run, at its clients,
// groups, rates and message sizes, and attaches it to rep with the ratio
// of server CPU per player.
func runFloor(ctx context.Context, cfg *config, rep *Report, log io.Writer) error {
	fcfg := cfg.floorConfig(rep)
	if !cfg.quiet {
		in, frame := fcfg.floorSizes()
		fmt.Fprintf(log, "bench: the floor: %d clients in %d groups, %d-byte inputs at %g/s, %d-byte state messages at %d Hz, against a bare WebSocket server\n",
			fcfg.clients, fcfg.rooms, in, fcfg.inputHz, frame, fcfg.hz)
	}
	frep, err := runOnce(ctx, fcfg, nil)
	if err != nil {
		return fmt.Errorf("the floor run: %w", err)
	}
	rep.Floor = frep
	if a, f := rep.ServerCPUUsPerClientS, frep.ServerCPUUsPerClientS; a != nil && f != nil && *f > 0 {
		r := round3(*a / *f)
		rep.ServerCPUVsFloor = &r
	}
	if a, f := rep.ServerCPUQuietUsPerClientS, frep.ServerCPUQuietUsPerClientS; a != nil && f != nil && *f > 0 {
		r := round3(*a / *f)
		rep.ServerCPUVsFloorQuiet = &r
	}
	if frep.Interrupted {
		rep.Interrupted = true
	}
	return nil
}

// checkResources fails early when the machine cannot hold the clients:
// one file descriptor and one loopback port each.
func checkResources(cfg *config) error {
	n := cfg.clients // capacity steps check their own counts
	if limit := raiseFDLimit(); limit > 0 && uint64(n+fdReserve) > limit {
		return fmt.Errorf("-clients %d: the open-files limit is %d (raise it with ulimit -n)", n, limit)
	}
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			lo, err1 := strconv.Atoi(f[0])
			hi, err2 := strconv.Atoi(f[1])
			if err1 == nil && err2 == nil && n > hi-lo+1 {
				return fmt.Errorf("-clients %d: only %d local ports (%d-%d)", n, hi-lo+1, lo, hi)
			}
		}
	}
	return nil
}

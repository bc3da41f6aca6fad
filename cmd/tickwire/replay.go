package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/tickwire/tickwire/tick"
)

// runReplay is `tickwire replay [-ignore-version] [-serve ADDR [-speed
// X]] LOG...`: it re-runs each recorded room (tick.Replay) with the games
// this binary registers (the demo's: arena and shooter) and reports what
// it found; with -serve it then plays the (one) log to spectators until
// ctx ends. With -nats it reads the logs from a cluster's replay stream
// instead (replay_nats.go). A game module replays its own logs with
// tick.Replay and its own registry (docs/replay.md).
func runReplay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tickwire replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ignoreVersion := fs.Bool("ignore-version", false, "replay a log recorded with another version of its game")
	serve := fs.String("serve", "", "after checking it, play the log to spectators over /ws at this address (game \""+replayGame+"\")")
	speed := fs.Float64("speed", 1, "with -serve: recorded ticks played per tick (1: real time, 0.5 half, 4 four times)")
	nf := addNATSReplayFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: tickwire replay [-ignore-version] [-serve ADDR [-speed X]] LOG...")
		fmt.Fprintln(stderr, "       tickwire replay -nats URL [-nats-token T] [-cluster NAME] [-game G] (-room ROOM... | -list)")
		fmt.Fprintln(stderr, "Re-runs each recorded room tick by tick and checks it against its recording (docs/replay.md).")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if nf.url != "" {
		if *serve != "" {
			return errors.New("replay -nats: -serve plays a log file; read it with -out first")
		}
		return nf.run(ctx, fs.Args(), *ignoreVersion, stdout)
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("replay: no log")
	}
	if *serve != "" {
		if fs.NArg() != 1 {
			return errors.New("replay -serve: one log at a time")
		}
		return serveReplay(ctx, *serve, fs.Arg(0), *speed, *ignoreVersion, stdout, stderr)
	}
	diverged := 0
	for _, path := range fs.Args() {
		res, err := replayFile(tick.DefaultRegistry(), path, *ignoreVersion)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s:\n", path)
		if err := res.WriteReport(stdout); err != nil {
			return err
		}
		if res.Divergence != nil || res.Failure != "" {
			diverged++
		}
	}
	if diverged > 0 {
		return fmt.Errorf("replay: %d of %d logs did not replay as recorded", diverged, fs.NArg())
	}
	return nil
}

func replayFile(reg *tick.Registry, path string, ignoreVersion bool) (*tick.ReplayResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	defer f.Close()
	res, err := tick.Replay(reg, f, tick.ReplayOptions{IgnoreVersion: ignoreVersion})
	if err != nil {
		return nil, fmt.Errorf("replay %s: %w", path, err)
	}
	return res, nil
}

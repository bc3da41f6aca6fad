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

// runReplay is `tickwire replay [-ignore-version] LOG...`: it re-runs
// each recorded room (tick.Replay) with the games this binary registers
// (the demo's: arena and shooter) and reports what it found. A game
// module replays its own logs with tick.Replay and its own registry
// (docs/replay.md).
func runReplay(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tickwire replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ignoreVersion := fs.Bool("ignore-version", false, "replay a log recorded with another version of its game")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: tickwire replay [-ignore-version] LOG...")
		fmt.Fprintln(stderr, "Re-runs each recorded room tick by tick and checks it against its recording (docs/replay.md).")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("replay: no log")
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

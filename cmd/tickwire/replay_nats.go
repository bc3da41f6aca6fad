package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tickwire/tickwire/cluster"
	"github.com/tickwire/tickwire/tick"
)

// natsReplayFlags are `tickwire replay -nats`'s: it reads room logs from
// a cluster's replay stream (cluster.ReadReplay) instead of files.
type natsReplayFlags struct {
	url, token, cluster, game, room, out string
	list                                 bool
}

func addNATSReplayFlags(fs *flag.FlagSet) *natsReplayFlags {
	f := &natsReplayFlags{}
	fs.StringVar(&f.url, "nats", "", "read the logs from this NATS's cluster replay stream (URLs, comma-separated) instead of files")
	fs.StringVar(&f.token, "nats-token", "", "with -nats: NATS token (or $TICKWIRE_NATS_TOKEN)")
	fs.StringVar(&f.cluster, "cluster", "tickwire", "with -nats: the Tickwire cluster's name")
	fs.StringVar(&f.room, "room", "", "with -nats: replay the latest recording of this room")
	fs.StringVar(&f.game, "game", "", "with -nats: only this game's recordings")
	fs.BoolVar(&f.list, "list", false, "with -nats: list the recordings instead of replaying one")
	fs.StringVar(&f.out, "out", "", "with -nats -room: also write the log to this file (for -serve or a bug report)")
	return f
}

func (f *natsReplayFlags) run(ctx context.Context, args []string, ignoreVersion bool, stdout io.Writer) error {
	if len(args) > 0 {
		return errors.New("replay -nats: give the room with -room, not log files")
	}
	if f.list == (f.room != "") {
		return errors.New("replay -nats: give -room ROOM or -list")
	}
	if f.token == "" {
		f.token = os.Getenv("TICKWIRE_NATS_TOKEN")
	}
	opts := []nats.Option{nats.Name("tickwire replay")}
	if f.token != "" {
		opts = append(opts, nats.Token(f.token))
	}
	nc, err := nats.Connect(f.url, opts...)
	if err != nil {
		return fmt.Errorf("replay: connect to NATS %s: %w", f.url, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if f.list {
		recs, err := cluster.ListReplays(ctx, js, f.cluster, f.game)
		if err != nil {
			return fmt.Errorf("replay: %w", err)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "GAME\tROOM\tSTARTED\tCHUNKS\tRECORDING")
		for _, r := range recs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", r.Game, r.Room, r.Started.Format(time.RFC3339), r.Chunks, r.ID)
		}
		return tw.Flush()
	}
	lg, err := cluster.ReadReplay(ctx, js, f.cluster, f.game, f.room)
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	if f.out != "" {
		if err := os.WriteFile(f.out, lg.Data, 0o644); err != nil {
			return fmt.Errorf("replay: %w", err)
		}
	}
	fmt.Fprintf(stdout, "%s %s (recording %s by node %s, %d bytes):\n", cluster.ReplayStream(f.cluster), lg.Room, lg.ID, lg.Node, len(lg.Data))
	if !lg.Complete {
		fmt.Fprintln(stdout, "the log is incomplete: the room still runs, or its recording was dropped or its node died; replaying what there is")
	}
	res, err := tick.Replay(tick.DefaultRegistry(), bytes.NewReader(lg.Data), tick.ReplayOptions{IgnoreVersion: ignoreVersion})
	if err != nil {
		return fmt.Errorf("replay room %s: %w", f.room, err)
	}
	if err := res.WriteReport(stdout); err != nil {
		return err
	}
	if res.Divergence != nil || res.Failure != "" {
		return fmt.Errorf("replay: room %s did not replay as recorded", f.room)
	}
	return nil
}

package cluster

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Reading room logs back from the replay stream (replaylog.go): a tool
// (`tickwire replay -nats`), an admin page or a test lists the recordings
// and reads one, then hands its Data to tick.Replay.

// Recording is one room log in the replay stream.
type Recording struct {
	Game, Room string
	// ID names the recording among the room's (a room restored on
	// another node is recorded again there): its start, UTC, as
	// YYYYMMDDTHHMMSS and nanoseconds, then a random tail. IDs of one
	// room sort by start.
	ID string
	// Started is when the recording started, from its ID.
	Started time.Time
	// Chunks is the number of messages it has in the stream.
	Chunks uint64
	// Subject is its subject in the stream.
	Subject string
}

// RoomLog is a recording read back.
type RoomLog struct {
	Recording
	// Node is the node that recorded the room.
	Node string
	// Data is the log (what tick.Replay reads): the chunks in order, up
	// to the first missing one.
	Data []byte
	// Complete says the log was closed with its room and no chunk is
	// missing; otherwise it stops where the recording was dropped or the
	// node died, or the room still runs, and tick.Replay replays it up to
	// there.
	Complete bool
}

// ListReplays returns the recordings in the replay stream of the cluster
// named cluster, of game (empty: every game), sorted by game, room and
// start. js is any JetStream context of the cluster's NATS.
func ListReplays(ctx context.Context, js jetstream.JetStream, cluster, game string) ([]Recording, error) {
	return listReplays(ctx, js, cluster, game, "")
}

func listReplays(ctx context.Context, js jetstream.JetStream, cluster, game, room string) ([]Recording, error) {
	st, err := js.Stream(ctx, ReplayStream(cluster))
	if err != nil {
		return nil, fmt.Errorf("cluster: replay stream of %s: %w", cluster, err)
	}
	prefix := replayPrefix(cluster)
	filter := prefix + cmp.Or(game, "*") + ".*.*"
	if room != "" {
		filter = prefix + cmp.Or(game, "*") + "." + enc(room) + ".*"
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter(filter))
	if err != nil {
		return nil, fmt.Errorf("cluster: list replays: %w", err)
	}
	var out []Recording
	for subj, n := range info.State.Subjects {
		parts := strings.Split(strings.TrimPrefix(subj, prefix), ".")
		if len(parts) != 3 {
			continue
		}
		r, ok := dec(parts[1])
		if !ok {
			continue
		}
		rec := Recording{Game: parts[0], Room: r, ID: parts[2], Chunks: n, Subject: subj}
		if len(rec.ID) >= 24 {
			if t, err := time.Parse("20060102T150405", rec.ID[:15]); err == nil {
				ns, _ := strconv.Atoi(rec.ID[15:24])
				rec.Started = t.Add(time.Duration(ns))
			}
		}
		out = append(out, rec)
	}
	slices.SortFunc(out, func(a, b Recording) int {
		return cmp.Or(cmp.Compare(a.Game, b.Game), cmp.Compare(a.Room, b.Room), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// ReadReplay reads the latest recording of room (of game; empty: any
// game) from the replay stream of the cluster named cluster. Errors:
// ErrReplayNotFound, ErrReplayTruncated (the stream's limits removed the
// recording's first chunks), or NATS's.
func ReadReplay(ctx context.Context, js jetstream.JetStream, cluster, game, room string) (*RoomLog, error) {
	recs, err := listReplays(ctx, js, cluster, game, room)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("room %s: %w", room, ErrReplayNotFound)
	}
	latest := slices.MaxFunc(recs, func(a, b Recording) int { return cmp.Compare(a.ID, b.ID) })
	return ReadRecording(ctx, js, cluster, latest)
}

// ReadRecording reads rec (from ListReplays) from the replay stream of
// the cluster named cluster. Errors as ReadReplay's.
func ReadRecording(ctx context.Context, js jetstream.JetStream, cluster string, rec Recording) (*RoomLog, error) {
	st, err := js.Stream(ctx, ReplayStream(cluster))
	if err != nil {
		return nil, fmt.Errorf("cluster: replay stream of %s: %w", cluster, err)
	}
	cons, err := st.CreateConsumer(ctx, jetstream.ConsumerConfig{
		FilterSubject:     rec.Subject,
		DeliverPolicy:     jetstream.DeliverAllPolicy,
		AckPolicy:         jetstream.AckNonePolicy,
		InactiveThreshold: time.Minute,
		MemoryStorage:     true,
		Replicas:          1,
	})
	if err != nil {
		return nil, fmt.Errorf("cluster: read recording %s: %w", rec.Subject, err)
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		_ = st.DeleteConsumer(dctx, cons.CachedInfo().Name)
		cancel()
	}()
	log := &RoomLog{Recording: rec}
	// Chunks counts the messages read, not those listed before the read:
	// a room's last chunks may land between the two (CI:
	// TestReplayStreamRecordsRoom read 13 chunks that the listing had
	// fewer of).
	log.Chunks = 0
	var next uint64 // the chunk wanted next
	gap := false
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		batch, err := cons.FetchNoWait(256)
		if err != nil {
			return nil, fmt.Errorf("cluster: read recording %s: %w", rec.Subject, err)
		}
		got, pending := 0, uint64(1)
		for m := range batch.Messages() {
			got++
			log.Chunks++
			if md, err := m.Metadata(); err == nil {
				pending = md.NumPending
			}
			seq, err := strconv.ParseUint(m.Headers().Get(hdrReplaySeq), 10, 64)
			if err != nil || gap {
				continue
			}
			switch {
			case seq < next:
				continue // a retried publish stored twice
			case seq > next:
				if next == 0 {
					return nil, fmt.Errorf("room %s, recording %s: %w", rec.Room, rec.ID, ErrReplayTruncated)
				}
				gap = true
				continue
			}
			if seq == 0 {
				log.Node = m.Headers().Get(hdrReplayNode)
			}
			if m.Headers().Get(hdrReplayEnd) != "" {
				log.Complete = true
				continue
			}
			log.Data = append(log.Data, m.Data()...)
			next++
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			return nil, fmt.Errorf("cluster: read recording %s: %w", rec.Subject, err)
		}
		if got == 0 || pending == 0 {
			break
		}
	}
	if next == 0 && !log.Complete {
		return nil, fmt.Errorf("room %s, recording %s: %w", rec.Room, rec.ID, ErrReplayNotFound)
	}
	return log, nil
}

// ListReplays returns the recordings in the cluster's replay stream, of
// game (empty: every game).
func (n *Node) ListReplays(ctx context.Context, game string) ([]Recording, error) {
	return ListReplays(ctx, n.replay.js, n.opts.Cluster, game)
}

// ReadReplay reads the latest recording of room (of game; empty: any)
// from the cluster's replay stream: the package's ReadReplay.
func (n *Node) ReadReplay(ctx context.Context, game, room string) (*RoomLog, error) {
	return ReadReplay(ctx, n.replay.js, n.opts.Cluster, game, room)
}

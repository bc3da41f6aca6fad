package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tickwire/tickwire/tick"
)

// Room logs in cluster mode (docs/replay.md). A game whose
// tick.GameInfo.Record sets NodeSink records each room of a cluster node
// into the cluster's replay stream, tickwire_<cluster>_replay: one subject
// per recording, tickwire.<cluster>.replay.<game>.<room>.<recording> (the
// room id in base64url, the recording named by its start time), each
// message a chunk of the log with its sequence number in a header, and an
// empty last message marking a log closed with its room. The stream's
// limits (Options.ReplayMaxBytes, ReplayMaxAge, ReplayMaxChunks) rotate
// the logs: the oldest chunks go first.
//
// A room never waits for NATS. The room's goroutine copies each write of
// its recorder (a 32 KiB buffer flushed once a second of ticks) into a
// bounded queue; the node's publisher goroutine publishes them
// asynchronously, with at most replayInFlight chunks waiting for their
// acks. When the queue is full, or a chunk is refused or not acked within
// Options.ReplayAckTimeout (NATS is down), the room's recording stops: its
// next write fails, which the recorder logs once, and the room ticks on
// unrecorded. What reached the stream stays readable up to that point.

// Errors of the replay stream.
var (
	// ErrReplayNotFound: the stream holds no recording of the room.
	ErrReplayNotFound = errors.New("cluster: no recording of the room in the replay stream")
	// ErrReplayTruncated: the recording's first chunks were removed by
	// the stream's limits, so it cannot be replayed.
	ErrReplayTruncated = errors.New("cluster: recording lost its start to the replay stream's limits")
	// ErrReplayDropped is the error a room's recorder gets when its
	// recording was dropped (a full queue, a NATS outage).
	ErrReplayDropped = errors.New("cluster: room recording dropped")
)

// Headers of the replay stream's messages.
const (
	hdrReplaySeq  = "Tickwire-Replay-Seq"  // the chunk's number, from 0
	hdrReplayEnd  = "Tickwire-Replay-End"  // "1" on the empty message closing a log
	hdrReplayNode = "Tickwire-Replay-Node" // on chunk 0: the recording node
)

const (
	// replayChunkBytes is the most one message carries: the recorder's
	// buffer size, so its flushes are one message each.
	replayChunkBytes = 32 << 10
	// replayQueue is how many chunks wait for the publisher (8 MiB).
	replayQueue = 256
	// replayInFlight is how many published chunks wait for their acks.
	replayInFlight = 256
	// replayStallWait is how long the publisher waits for an ack slot.
	replayStallWait = 100 * time.Millisecond
	// replayDrain bounds publishing what is queued when the node closes.
	replayDrain = 2 * time.Second
)

// ReplayStream is the name of the replay stream of the cluster named
// cluster.
func ReplayStream(cluster string) string { return "tickwire_" + cluster + "_replay" }

func replayPrefix(cluster string) string { return "tickwire." + cluster + ".replay." }

// ReplayStats counts what the node's replay sink did.
type ReplayStats struct {
	// Chunks and Bytes were stored in the stream (acked).
	Chunks, Bytes uint64
	// Dropped recordings stopped before their room ended (a full queue,
	// a NATS outage); Discarded writes came after the node left the
	// cluster (rooms close after it).
	Dropped, Discarded uint64
}

// replaySink is the node's tick.RecordSink. Open, Write and Close run on
// rooms' goroutines; run is the node's publisher goroutine.
type replaySink struct {
	js      jetstream.JetStream // its own context: the bounds and callbacks of async publishing
	prefix  string
	node    string
	queue   chan replayChunk
	stopped atomic.Bool

	mu      sync.Mutex
	writers map[string]*replayWriter // by subject, from Open to Close

	chunks, bytes, dropped, discarded atomic.Uint64
}

var _ tick.RecordSink = (*replaySink)(nil)

type replayChunk struct {
	w    *replayWriter
	seq  uint64
	data []byte
	end  bool
}

// openReplay creates or updates the replay stream (retrying while
// JetStream elects its leaders, as the buckets do) and makes the node's
// sink.
func (n *Node) openReplay(ctx context.Context, replicas int) error {
	o := n.opts
	s := &replaySink{prefix: replayPrefix(o.Cluster), node: o.Name, queue: make(chan replayChunk, replayQueue), writers: map[string]*replayWriter{}}
	js, err := jetstream.New(n.nc,
		jetstream.WithPublishAsyncMaxPending(replayInFlight),
		jetstream.WithPublishAsyncTimeout(o.ReplayAckTimeout),
		jetstream.WithPublishAsyncErrHandler(s.failed),
		jetstream.WithPublishAsyncAckHandler(s.acked))
	if err != nil {
		return err
	}
	s.js = js
	cfg := jetstream.StreamConfig{
		Name:              ReplayStream(o.Cluster),
		Description:       "Tickwire room logs (docs/replay.md)",
		Subjects:          []string{s.prefix + ">"},
		Storage:           jetstream.FileStorage,
		Replicas:          replicas,
		MaxBytes:          o.ReplayMaxBytes,
		MaxAge:            o.ReplayMaxAge,
		MaxMsgsPerSubject: o.ReplayMaxChunks,
		MaxMsgs:           -1,
		MaxConsumers:      -1,
		MaxMsgSize:        2 * replayChunkBytes, // a chunk and its headers
		Discard:           jetstream.DiscardOld,
		DenyDelete:        true,
	}
	deadline := time.Now().Add(startupPatience)
	for logged := false; ; {
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err = js.CreateOrUpdateStream(actx, cfg)
		cancel()
		if err == nil {
			break
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			return fmt.Errorf("cluster: replay stream %s: %w", cfg.Name, err)
		}
		if !logged {
			n.log.Warn().Err(err).Str("stream", cfg.Name).Msg("waiting for JetStream")
			logged = true
		}
		if !sleepCtx(ctx, 500*time.Millisecond) {
			return fmt.Errorf("cluster: replay stream %s: %w", cfg.Name, err)
		}
	}
	n.replay = s
	return nil
}

// ReplaySink is where rooms of this node are recorded in cluster mode:
// tick.Options.RecordSink, for games whose tick.GameInfo.Record sets
// NodeSink (tickwire.NewNode sets it). Each room's log goes to the
// cluster's replay stream; ReadReplay reads it back.
func (n *Node) ReplaySink() tick.RecordSink { return n.replay }

// ReplayStats reports what the node's replay sink did.
func (n *Node) ReplayStats() ReplayStats {
	s := n.replay
	return ReplayStats{Chunks: s.chunks.Load(), Bytes: s.bytes.Load(), Dropped: s.dropped.Load(), Discarded: s.discarded.Load()}
}

// Open starts the recording of a room: tick.RecordSink.
func (s *replaySink) Open(game, roomID string) (io.WriteCloser, error) {
	if s.stopped.Load() {
		return nil, fmt.Errorf("record room %s in the replay stream: the node left the cluster", roomID)
	}
	w := &replayWriter{sink: s, room: roomID, subject: s.prefix + game + "." + enc(roomID) + "." + recordingID(time.Now())}
	s.mu.Lock()
	s.writers[w.subject] = w
	s.mu.Unlock()
	return w, nil
}

// recordingID names a recording by its start, sortably, with a random
// tail for recordings of one room started in the same nanosecond.
func recordingID(t time.Time) string {
	t = t.UTC()
	return t.Format("20060102T150405") + fmt.Sprintf("%09d", t.Nanosecond()) + "-" + randomHex(3)
}

// run publishes queued chunks until ctx ends, then what is still queued
// (for at most replayDrain) and waits as long for their acks.
func (s *replaySink) run(ctx context.Context) {
	for {
		select {
		case c := <-s.queue:
			s.publish(c)
			continue
		case <-ctx.Done():
		}
		break
	}
	s.stopped.Store(true)
	deadline := time.NewTimer(replayDrain)
	defer deadline.Stop()
	for {
		select {
		case c := <-s.queue:
			s.publish(c)
			continue
		case <-deadline.C:
			return
		default:
		}
		break
	}
	select {
	case <-s.js.PublishAsyncComplete():
	case <-deadline.C:
	}
}

func (s *replaySink) publish(c replayChunk) {
	if c.w.err() != nil {
		return // dropped: the rest would follow a gap
	}
	m := nats.NewMsg(c.w.subject)
	m.Data = c.data
	m.Header.Set(hdrReplaySeq, strconv.FormatUint(c.seq, 10))
	if c.seq == 0 {
		m.Header.Set(hdrReplayNode, s.node)
	}
	if c.end {
		m.Header.Set(hdrReplayEnd, "1")
	}
	if _, err := s.js.PublishMsgAsync(m, jetstream.WithStallWait(replayStallWait)); err != nil {
		c.w.fail(fmt.Errorf("publish chunk %d: %w", c.seq, err))
	}
}

// acked and failed are the async publisher's callbacks. failed may run
// under the publisher's lock (an ack timeout): it only marks the writer.
func (s *replaySink) acked(_ jetstream.JetStream, m *nats.Msg, _ *jetstream.PubAck) {
	s.chunks.Add(1)
	s.bytes.Add(uint64(len(m.Data)))
}

func (s *replaySink) failed(_ jetstream.JetStream, m *nats.Msg, err error) {
	s.mu.Lock()
	w := s.writers[m.Subject]
	s.mu.Unlock()
	if w != nil {
		w.fail(fmt.Errorf("publish chunk %s: %w", m.Header.Get(hdrReplaySeq), err))
	}
}

// replayWriter is one room's log. Write and Close run on the room's
// goroutine; fail on any.
type replayWriter struct {
	sink    *replaySink
	room    string
	subject string
	seq     uint64 // the next chunk's number
	closed  bool

	mu      sync.Mutex
	dropped error
}

func (w *replayWriter) err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.dropped
}

// fail drops the recording; the first cause is kept.
func (w *replayWriter) fail(cause error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.dropped == nil {
		w.dropped = fmt.Errorf("%w: room %s: %w", ErrReplayDropped, w.room, cause)
		w.sink.dropped.Add(1)
	}
	return w.dropped
}

// Write queues p as chunks of at most replayChunkBytes, copied. It never
// blocks: with the queue full it drops the recording and fails.
func (w *replayWriter) Write(p []byte) (int, error) {
	if err := w.err(); err != nil {
		return 0, err
	}
	if w.sink.stopped.Load() {
		w.sink.discarded.Add(1)
		return len(p), nil // the node left the cluster: the log ends here
	}
	written := 0
	for len(p) > 0 {
		k := min(len(p), replayChunkBytes)
		if !w.enqueue(replayChunk{w: w, seq: w.seq, data: bytes.Clone(p[:k])}) {
			return written, w.fail(fmt.Errorf("%d chunks waiting to be published", replayQueue))
		}
		w.seq++
		written += k
		p = p[k:]
	}
	return written, nil
}

func (w *replayWriter) enqueue(c replayChunk) bool {
	select {
	case w.sink.queue <- c:
		return true
	default:
		return false
	}
}

// Close marks the log closed with its room.
func (w *replayWriter) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	defer func() {
		w.sink.mu.Lock()
		delete(w.sink.writers, w.subject)
		w.sink.mu.Unlock()
	}()
	if err := w.err(); err != nil {
		return err
	}
	if w.sink.stopped.Load() {
		return nil
	}
	if !w.enqueue(replayChunk{w: w, seq: w.seq, end: true}) {
		return w.fail(fmt.Errorf("%d chunks waiting to be published", replayQueue))
	}
	return nil
}

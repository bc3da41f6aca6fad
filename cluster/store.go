package cluster

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
)

// A store is one JetStream key-value bucket written with atomic batches:
// every write of a transaction names the revision it expects its key to
// be at (0: the key never existed or its marker expired), and the stream
// applies all of them or none (nats-server 2.12+ atomic batch publish).
// That is what keeps the directory's invariants across nodes without a
// lock service: two nodes racing for the last seat of a room both read
// revision r, both send "room at r"; one batch commits, the other gets a
// conflict and retries from fresh reads.
//
// The bucket is a regular KV bucket (stream KV_<name>, subjects
// $KV.<name>.>), readable with `nats kv`, with three changes: atomic
// publish is on, per-message TTLs are on (used nonces, finished tickets,
// tombstones), and direct gets are off so that reads go to the stream
// leader and see every committed write.
type store struct {
	nc     *nats.Conn
	js     jetstream.JetStream
	kv     jetstream.KeyValue
	stream jetstream.Stream
	name   string
	prefix string // "$KV.<name>."
	// written is the stream sequence of this store's latest commit, for
	// readers of a watched cache that must see their own writes.
	written atomic.Uint64
	// down, when set, is checked before every attempt of get and update:
	// an error fails them at once instead of after patience (a fenced
	// node answers its lobby's callers now: fence.go).
	down func() error
}

func (s *store) isDown() error {
	if s.down == nil {
		return nil
	}
	return s.down()
}

// Header names of the JetStream publish protocol.
const (
	hdrBatchID     = "Nats-Batch-Id"
	hdrBatchSeq    = "Nats-Batch-Sequence"
	hdrBatchCommit = "Nats-Batch-Commit"
	hdrExpectSeq   = "Nats-Expected-Last-Subject-Sequence"
	hdrTTL         = "Nats-TTL"
	hdrKVOp        = "KV-Operation"
	kvOpDelete     = "DEL"
)

// tombstoneTTL is how long a delete marker stays before it goes too: long
// enough for watchers to see it, short enough that dead keys do not pile up.
const tombstoneTTL = 10 * time.Minute

// errConflict: a key was not at the revision a write expected; re-read and
// try again.
var errConflict = errors.New("conflicting write")

type storeConfig struct {
	Bucket   string
	Replicas int
	// TTL is the bucket's MaxAge (0: none): every key expires this long
	// after its last write; used for heartbeats and leases.
	TTL time.Duration
	// Memory keeps the bucket in memory (heartbeats, leases).
	Memory bool
	// MaxBytes bounds the bucket (0: unbounded); when it is full the
	// oldest values go (DiscardOld). MaxValue bounds one value (0: none).
	MaxBytes int64
	MaxValue int32
}

// openStore creates or updates the bucket's stream and binds to it.
func openStore(ctx context.Context, nc *nats.Conn, js jetstream.JetStream, cfg storeConfig) (*store, error) {
	dup := 2 * time.Minute
	if cfg.TTL > 0 && cfg.TTL < dup {
		dup = cfg.TTL
	}
	storage := jetstream.FileStorage
	if cfg.Memory {
		storage = jetstream.MemoryStorage
	}
	sc := jetstream.StreamConfig{
		Name:                   "KV_" + cfg.Bucket,
		Subjects:               []string{"$KV." + cfg.Bucket + ".>"},
		MaxMsgsPerSubject:      1,
		MaxBytes:               -1,
		MaxMsgs:                -1,
		MaxMsgSize:             -1,
		MaxConsumers:           -1,
		MaxAge:                 cfg.TTL,
		Storage:                storage,
		Replicas:               max(cfg.Replicas, 1),
		AllowRollup:            true,
		DenyDelete:             true,
		Duplicates:             dup,
		Discard:                jetstream.DiscardNew,
		AllowMsgTTL:            true,
		SubjectDeleteMarkerTTL: time.Minute, // watchers see keys that age out
		AllowAtomicPublish:     true,
	}
	if cfg.MaxBytes > 0 {
		sc.MaxBytes, sc.Discard = cfg.MaxBytes, jetstream.DiscardOld
	}
	if cfg.MaxValue > 0 {
		sc.MaxMsgSize = cfg.MaxValue
	}
	st, err := js.CreateOrUpdateStream(ctx, sc)
	if err != nil {
		return nil, fmt.Errorf("bucket %s: %w", cfg.Bucket, err)
	}
	// A replicated stream answers publishes once it has a leader: a write
	// sent before that gets "no response from stream" (seen in CI).
	for sc.Replicas > 1 {
		info, err := st.Info(ctx)
		if err == nil && info.Cluster != nil && info.Cluster.Leader != "" {
			break
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("bucket %s: no stream leader: %w", cfg.Bucket, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
	kv, err := js.KeyValue(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("bucket %s: %w", cfg.Bucket, err)
	}
	st, err = js.Stream(ctx, sc.Name)
	if err != nil {
		return nil, fmt.Errorf("bucket %s: %w", cfg.Bucket, err)
	}
	return &store{nc: nc, js: js, kv: kv, stream: st, name: cfg.Bucket, prefix: "$KV." + cfg.Bucket + "."}, nil
}

// entry is what a key holds now.
type entry struct {
	Value []byte
	// Rev is the key's last revision (its value's, or its delete marker's;
	// 0 when the key has no message at all): what a write expects.
	Rev uint64
	// OK says the key has a value (not deleted, not expired).
	OK bool
	// Time is when the value was written (server clock).
	Time time.Time
}

// Waiting out a JetStream failover: when a NATS server stops, the streams
// it led elect new leaders within seconds (raft election timeouts are 4 to
// 9 s), and requests to them time out meanwhile. Reads and transactions
// retry with a short timeout per attempt for up to patience, bounded by
// the caller's context.
const (
	attemptTimeout = 2 * time.Second
	patience       = 20 * time.Second
)

// get reads key from the stream leader, retrying transient failures.
func (s *store) get(ctx context.Context, key string) (entry, error) {
	deadline := time.Now().Add(patience)
	for {
		if err := s.isDown(); err != nil {
			return entry{}, err
		}
		actx, cancel := context.WithTimeout(ctx, attemptTimeout)
		e, err := s.getOnce(actx, key)
		cancel()
		if err == nil || ctx.Err() != nil || time.Now().After(deadline) || s.nc.IsClosed() {
			return e, err
		}
		if !sleepCtx(ctx, retryWait) {
			return e, err
		}
	}
}

func (s *store) getOnce(ctx context.Context, key string) (entry, error) {
	m, err := s.stream.GetLastMsgForSubject(ctx, s.prefix+key)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return entry{}, nil
	}
	if err != nil {
		return entry{}, transient{fmt.Errorf("read %s/%s: %w", s.name, key, err)}
	}
	e := entry{Value: m.Data, Rev: m.Sequence, Time: m.Time, OK: true}
	if op := m.Header.Get(hdrKVOp); op != "" || m.Header.Get(jetstream.MarkerReasonHeader) != "" {
		e.OK, e.Value = false, nil
	}
	return e, nil
}

// op is one write of a transaction.
type op struct {
	key    string
	value  []byte
	delete bool
	expect uint64
	// ttl, when > 0, removes the message after ttl (at least a second).
	ttl time.Duration
}

func put(key string, value []byte, expect uint64) op {
	return op{key: key, value: value, expect: expect}
}
func del(key string, expect uint64) op {
	return op{key: key, delete: true, expect: expect, ttl: tombstoneTTL}
}

// commit applies ops atomically. It returns errConflict when a key was not
// at its expected revision, or another error (no stream leader, a lost
// connection) that a retry may cure.
func (s *store) commit(ctx context.Context, ops ...op) (uint64, error) {
	if len(ops) == 0 {
		return 0, nil
	}
	id := nuid.Next()
	for i, o := range ops {
		m := nats.NewMsg(s.prefix + o.key)
		m.Data = o.value
		m.Header.Set(hdrExpectSeq, strconv.FormatUint(o.expect, 10))
		if o.delete {
			m.Header.Set(hdrKVOp, kvOpDelete)
		}
		if o.ttl > 0 {
			m.Header.Set(hdrTTL, strconv.Itoa(max(int(o.ttl/time.Second), 1))+"s")
		}
		last := i == len(ops)-1
		if len(ops) > 1 {
			m.Header.Set(hdrBatchID, id)
			m.Header.Set(hdrBatchSeq, strconv.Itoa(i+1))
			if last {
				m.Header.Set(hdrBatchCommit, "1")
			}
		}
		if !last {
			// The stream stages it; the commit's answer covers the batch.
			if err := s.nc.PublishMsg(m); err != nil {
				return 0, transient{fmt.Errorf("write %s: %w", s.name, err)}
			}
			continue
		}
		actx, cancel := context.WithTimeout(ctx, attemptTimeout)
		ack, err := s.js.PublishMsg(actx, m, jetstream.WithRetryAttempts(0))
		cancel()
		if err != nil {
			if isConflict(err) {
				return 0, errConflict
			}
			return 0, transient{fmt.Errorf("write %s: %w", s.name, err)}
		}
		for {
			cur := s.written.Load()
			if ack.Sequence <= cur || s.written.CompareAndSwap(cur, ack.Sequence) {
				break
			}
		}
		return ack.Sequence, nil
	}
	return 0, nil
}

func isConflict(err error) bool {
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	return apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant
}

// transient marks a failure a retry may cure (no stream leader for a
// moment, a connection being re-established).
type transient struct{ err error }

func (t transient) Error() string { return t.err.Error() }
func (t transient) Unwrap() error { return t.err }

// retryWait is the pause between attempts of a transaction that failed
// for a reason other than a conflict (a stream leader being elected).
const retryWait = 50 * time.Millisecond

// update runs fn, which reads what it needs and returns the writes to make
// (or a final error), until its commit succeeds, fn fails, or ctx ends (at
// most patience). Conflicts retry at once; other failures after retryWait.
func (s *store) update(ctx context.Context, fn func() ([]op, error)) error {
	ctx, cancel := context.WithTimeout(ctx, patience)
	defer cancel()
	for {
		if err := s.isDown(); err != nil {
			return err
		}
		ops, err := fn()
		if err == nil {
			_, err = s.commit(ctx, ops...)
		} else if !errors.As(err, new(transient)) {
			return err
		}
		if err == nil {
			return nil
		}
		if !errors.Is(err, errConflict) {
			if s.nc.IsClosed() {
				return fmt.Errorf("%s: NATS connection closed: %w", s.name, err)
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("%w (last error: %w)", ctx.Err(), err)
			case <-time.After(retryWait):
			}
		} else if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

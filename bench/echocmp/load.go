package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/tickwire/tickwire/client"
	"github.com/tickwire/tickwire/protocol"
)

// clock is the load generator's time origin: message stamps are
// monotonic nanoseconds since it.
var clock = time.Now()

func now() int64 { return int64(time.Since(clock)) }

// Wire numbers of the probe message: an Envelope carrying a Ping whose
// client_time_unix_nano is the send stamp, padded to the wanted size with
// an unknown field that every decoder discards. /echo returns it as is;
// /ws answers it with a Pong carrying the same stamp.
const (
	envelopePingField = 14
	pingTimeField     = 1
	padField          = 1000
)

var zeros = make([]byte, 1<<16)

// appendProbe appends one probe message of size bytes (or the smallest
// possible, about 13 bytes) stamped ts.
func appendProbe(buf []byte, ts int64, size int) []byte {
	inner := protowire.SizeTag(pingTimeField) + protowire.SizeVarint(uint64(ts))
	buf = protowire.AppendTag(buf, envelopePingField, protowire.BytesType)
	buf = protowire.AppendVarint(buf, uint64(inner))
	buf = protowire.AppendTag(buf, pingTimeField, protowire.VarintType)
	buf = protowire.AppendVarint(buf, uint64(ts))
	// The padding field takes its tag, its length and the pad: find the
	// largest pad that fits (a size a varint boundary makes unreachable
	// comes out one byte short).
	room := size - len(buf) - protowire.SizeTag(padField)
	for pad := min(room-1, len(zeros)); pad >= 0; pad-- {
		if protowire.SizeVarint(uint64(pad))+pad <= room {
			buf = protowire.AppendTag(buf, padField, protowire.BytesType)
			buf = protowire.AppendVarint(buf, uint64(pad))
			return append(buf, zeros[:pad]...)
		}
	}
	return buf
}

// recorder collects round-trip times of probes stamped inside [from, to).
type recorder struct {
	from, to atomic.Int64 // clock nanoseconds
	samples  []int64
	n        atomic.Int64
	received atomic.Int64
	welcomes atomic.Int64
}

func newRecorder(capacity int) *recorder {
	r := &recorder{samples: make([]int64, capacity)}
	r.from.Store(-1)
	r.to.Store(-1)
	return r
}

// onEnvelope runs on the client engine's goroutines for every message.
func (r *recorder) onEnvelope(env *protocol.Envelope) {
	t := now()
	var ts int64
	switch {
	case env.GetPing() != nil:
		ts = env.GetPing().GetClientTimeUnixNano()
	case env.GetPong() != nil:
		ts = env.GetPong().GetClientTimeUnixNano()
	case env.GetWelcome() != nil:
		r.welcomes.Add(1)
		return
	default:
		return
	}
	r.received.Add(1)
	if ts < r.from.Load() || ts >= r.to.Load() {
		return
	}
	if i := r.n.Add(1) - 1; i < int64(len(r.samples)) {
		r.samples[i] = t - ts
	}
}

// latency is a summary of round-trip times in milliseconds.
type latency struct {
	Count int64   `json:"count"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	P999  float64 `json:"p999"`
	Max   float64 `json:"max"`
}

func (r *recorder) latency() latency {
	n := min(r.n.Load(), int64(len(r.samples)))
	s := slices.Clone(r.samples[:n])
	slices.Sort(s)
	q := func(p float64) float64 {
		if len(s) == 0 {
			return 0
		}
		i := int(p*float64(len(s))+0.999999) - 1
		return float64(s[min(max(i, 0), len(s)-1)]) / 1e6
	}
	l := latency{Count: int64(len(s)), P50: q(0.50), P90: q(0.90), P99: q(0.99), P999: q(0.999)}
	if len(s) > 0 {
		l.Max = float64(s[len(s)-1]) / 1e6
	}
	return l
}

// dialResult is how opening a fleet of connections went.
type dialResult struct {
	conns    []*client.Conn
	failed   int
	firstErr error
	took     time.Duration
}

// dialFleet opens n connections to url with at most concurrency dials in
// flight, giving up on whatever is not open after limit. It prints a
// progress line every 2s.
func dialFleet(eng *client.Engine, url string, n, concurrency int, limit time.Duration, rec *recorder, label string) dialResult {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	start := time.Now()
	conns := make([]*client.Conn, n)
	var (
		next, failed atomic.Int64
		errOnce      sync.Once
		firstErr     error
		wg           sync.WaitGroup
	)
	stopProgress := progress(2*time.Second, func() string {
		return fmt.Sprintf("%s: dialing %d/%d (%d failed)", label, next.Load()-failed.Load(), n, failed.Load())
	})
	for range min(concurrency, n) {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(n) || ctx.Err() != nil {
					return
				}
				c, err := client.Dial(ctx, url, client.Options{
					Engine:      eng,
					OnEnvelope:  rec.onEnvelope,
					DialTimeout: 10 * time.Second,
				})
				if err != nil {
					failed.Add(1)
					errOnce.Do(func() { firstErr = err })
					continue
				}
				conns[i] = c
			}
		})
	}
	wg.Wait()
	stopProgress()
	res := dialResult{failed: int(failed.Load()), firstErr: firstErr, took: time.Since(start)}
	for _, c := range conns {
		if c != nil {
			res.conns = append(res.conns, c)
		}
	}
	res.failed = n - len(res.conns)
	return res
}

// progress prints f() to stderr every period until the returned stop is
// called.
func progress(period time.Duration, f func() string) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fmt.Fprintln(os.Stderr, "  "+f())
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// sendStats counts what the senders did.
type sendStats struct {
	sent, errors atomic.Int64
	maxLag       atomic.Int64 // worst lateness of a send against its schedule, ns
}

func (st *sendStats) lag(d int64) {
	for {
		old := st.maxLag.Load()
		if d <= old || st.maxLag.CompareAndSwap(old, d) {
			return
		}
	}
}

// runSenders makes every connection send one probe per 1/rate seconds
// from start to end (clock nanoseconds), spread evenly over the period so
// that the load is smooth. Each of the nSenders goroutines owns every
// nSenders-th connection and sends against absolute deadlines; a late
// sender catches up at once rather than drifting (the stamp is taken at
// the actual send, so lateness does not count as round-trip time).
func runSenders(conns []*client.Conn, rate float64, start, end int64, nSenders, size int, st *sendStats) {
	period := int64(float64(time.Second) / rate)
	var wg sync.WaitGroup
	for s := range nSenders {
		wg.Go(func() {
			var mine []int
			for i := s; i < len(conns); i += nSenders {
				mine = append(mine, i)
			}
			buf := make([]byte, 0, size+16)
			for k := int64(0); ; k++ {
				for _, i := range mine {
					due := start + k*period + int64(i)*period/int64(len(conns))
					if due >= end {
						return
					}
					t := now()
					if wait := due - t; wait > int64(200*time.Microsecond) {
						time.Sleep(time.Duration(wait))
						t = now()
					}
					st.lag(t - due)
					buf = appendProbe(buf[:0], t, size)
					if err := conns[i].SendRaw(buf); err != nil {
						st.errors.Add(1)
						continue
					}
					st.sent.Add(1)
				}
			}
		})
	}
	wg.Wait()
}

// closedCount counts connections that have ended.
func closedCount(conns []*client.Conn) (n int, example error) {
	for _, c := range conns {
		if err := c.Err(); err != nil {
			n++
			if example == nil {
				example = err
			}
		}
	}
	return n, example
}

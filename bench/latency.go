package main

import (
	"math"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// clock is the run's time base: nanoseconds since the run started, read
// from the monotonic clock, so a wall-clock step cannot bend a latency.
// Ping timestamps on the wire are unix0 + now(), which look like Unix
// nanoseconds to the server but come back comparable with now().
type clock struct {
	start time.Time
	unix0 int64
}

func newClock() clock {
	t := time.Now()
	return clock{start: t, unix0: t.UnixNano()}
}

// now is the time since the run started, in nanoseconds.
func (c clock) now() int64 { return int64(time.Since(c.start)) }

// Histogram range and precision: 1 µs to 60 s at 3 significant digits
// (0.1% error), about 140 KB per histogram.
const (
	histMaxUS   = 60_000_000
	histSigFigs = 3
)

func newHist() *hdrhistogram.Histogram { return hdrhistogram.New(1, histMaxUS, histSigFigs) }

// recordNS records a duration given in nanoseconds, as microseconds,
// clamped into the histogram's range.
func recordNS(h *hdrhistogram.Histogram, ns int64) {
	us := min(max(ns/1000, 0), histMaxUS)
	_ = h.RecordValue(us) // in range by construction
}

// Percentiles summarises a latency histogram in milliseconds.
type Percentiles struct {
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	P999  float64 `json:"p999"`
	Max   float64 `json:"max"`
	Mean  float64 `json:"mean"`
	Count int64   `json:"count"`
}

// percentilesOf reads h (recorded in µs) as milliseconds.
func percentilesOf(h *hdrhistogram.Histogram) Percentiles {
	ms := func(us int64) float64 { return round3(float64(us) / 1000) }
	if h.TotalCount() == 0 {
		return Percentiles{}
	}
	return Percentiles{
		P50:   ms(h.ValueAtQuantile(50)),
		P90:   ms(h.ValueAtQuantile(90)),
		P99:   ms(h.ValueAtQuantile(99)),
		P999:  ms(h.ValueAtQuantile(99.9)),
		Max:   ms(h.Max()),
		Mean:  round3(h.Mean() / 1000),
		Count: h.TotalCount(),
	}
}

// round3 rounds to 3 decimals, enough for milliseconds and percentages.
func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// recorderShards spreads recordings over locks: the client engine's
// pollers record concurrently, each client always into the same shard.
const recorderShards = 16

// recorder collects durations from many goroutines into a histogram of the
// measured window and one of the recent past (for progress lines and the
// latency-over-time plot).
type recorder struct {
	shards [recorderShards]recorderShard
}

type recorderShard struct {
	mu     sync.Mutex
	window *hdrhistogram.Histogram // values that belong to the measured window
	recent *hdrhistogram.Histogram // every value since the last takeRecent
	second *hdrhistogram.Histogram // window values since the last takeSecond
}

func newRecorder() *recorder {
	r := &recorder{}
	for i := range r.shards {
		r.shards[i].window = newHist()
		r.shards[i].recent = newHist()
		r.shards[i].second = newHist()
	}
	return r
}

// record adds one duration in nanoseconds for client key; inWindow says
// whether it counts in the report.
func (r *recorder) record(key int, ns int64, inWindow bool) {
	s := &r.shards[key%recorderShards]
	s.mu.Lock()
	recordNS(s.recent, ns)
	if inWindow {
		recordNS(s.window, ns)
		recordNS(s.second, ns)
	}
	s.mu.Unlock()
}

// takeRecent returns everything recorded since the previous call.
func (r *recorder) takeRecent() *hdrhistogram.Histogram {
	out := newHist()
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.Lock()
		out.Merge(s.recent)
		s.recent.Reset()
		s.mu.Unlock()
	}
	return out
}

// takeSecond returns the window's values recorded since the previous call.
func (r *recorder) takeSecond() *hdrhistogram.Histogram {
	out := newHist()
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.Lock()
		out.Merge(s.second)
		s.second.Reset()
		s.mu.Unlock()
	}
	return out
}

// window returns a copy of the measured window's histogram.
func (r *recorder) window() *hdrhistogram.Histogram {
	out := newHist()
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.Lock()
		out.Merge(s.window)
		s.mu.Unlock()
	}
	return out
}

// inputTrack is the coordinated-omission-corrected account of one client's
// inputs. Input seq k (from 1) is due at base + (k-1)·period whether or not
// the sender managed to send it then; its latency runs from that due time
// to the first state frame whose last_input_seq is >= k. A server (or load
// generator) that stalls therefore shows every input that should have been
// sent during the stall as late, not just the one that was waiting.
//
// lag remembers how late the sender actually sent the last few inputs, so
// the latency from the real send time (what a naive harness reports) can
// be shown next to the corrected one.
type inputTrack struct {
	base   int64  // run-clock ns at which seq 1 is due
	period int64  // ns between inputs
	sent   uint64 // highest seq handed to the socket
	acked  uint64 // highest seq a state frame covered
	lag    [lagSlots]int64
}

// lagSlots is how many inputs in flight keep their send lag.
const lagSlots = 32

// due is when input seq k was scheduled.
func (t *inputTrack) due(k uint64) int64 { return t.base + int64(k-1)*t.period }

// noteSent records that seq k went out at now.
func (t *inputTrack) noteSent(k uint64, now int64) {
	t.sent = k
	t.lag[k%lagSlots] = now - t.due(k)
}

// ack applies a state frame received at now that covers inputs up to l,
// calling each(k, latency, sendLag) for every input it newly acknowledges
// (sendLag is -1 when it was forgotten). It returns how many it acknowledged.
func (t *inputTrack) ack(l uint64, now int64, each func(k uint64, latency, sendLag int64)) int {
	hi := min(l, t.sent) // a seq beyond what we sent cannot be ours
	if hi <= t.acked {
		return 0
	}
	from := t.acked + 1
	t.acked = hi
	for k := from; k <= hi; k++ {
		lag := int64(-1)
		if t.sent-k < lagSlots {
			lag = t.lag[k%lagSlots]
		}
		each(k, now-t.due(k), lag)
	}
	return int(hi - from + 1)
}

// firstDueAtOrAfter is the first seq due at or after time x.
func (t *inputTrack) firstDueAtOrAfter(x int64) uint64 {
	if x <= t.base {
		return 1
	}
	return 1 + uint64((x-t.base+t.period-1)/t.period)
}

// window counts the inputs due in [from, to) that were sent, and those of
// them that were never acknowledged (lost).
func (t *inputTrack) window(from, to int64) (sent, lost uint64) {
	if t.period <= 0 { // never scheduled: no inputs
		return 0, 0
	}
	lo := t.firstDueAtOrAfter(from)
	hi := min(t.firstDueAtOrAfter(to)-1, t.sent)
	if hi < lo {
		return 0, 0
	}
	sent = hi - lo + 1
	if first := max(lo, t.acked+1); first <= hi {
		lost = hi - first + 1
	}
	return sent, lost
}

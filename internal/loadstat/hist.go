package loadstat

import (
	"math"
	"sync"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram range and precision: 1 µs to 60 s at 3 significant digits
// (0.1% error), about 140 KB per histogram.
const (
	HistMaxUS   = 60_000_000
	HistSigFigs = 3
)

// NewHist returns an empty latency histogram of values in µs.
func NewHist() *hdrhistogram.Histogram { return hdrhistogram.New(1, HistMaxUS, HistSigFigs) }

// RecordNS records a duration given in nanoseconds, as microseconds,
// clamped into the histogram's range.
func RecordNS(h *hdrhistogram.Histogram, ns int64) {
	us := min(max(ns/1000, 0), HistMaxUS)
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

// PercentilesOf reads h (recorded in µs) as milliseconds.
func PercentilesOf(h *hdrhistogram.Histogram) Percentiles {
	ms := func(us int64) float64 { return Round3(float64(us) / 1000) }
	if h.TotalCount() == 0 {
		return Percentiles{}
	}
	return Percentiles{
		P50:   ms(h.ValueAtQuantile(50)),
		P90:   ms(h.ValueAtQuantile(90)),
		P99:   ms(h.ValueAtQuantile(99)),
		P999:  ms(h.ValueAtQuantile(99.9)),
		Max:   ms(h.Max()),
		Mean:  Round3(h.Mean() / 1000),
		Count: h.TotalCount(),
	}
}

// Round3 rounds to 3 decimals, enough for milliseconds and percentages.
func Round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// recorderShards spreads recordings over locks: the client engine's
// pollers record concurrently, each client always into the same shard.
const recorderShards = 16

// Recorder collects durations from many goroutines into a histogram of the
// measured window and one of the recent past (for progress lines and the
// latency-over-time plot). It is safe for concurrent use.
type Recorder struct {
	shards [recorderShards]recorderShard
}

type recorderShard struct {
	mu     sync.Mutex
	window *hdrhistogram.Histogram // values that belong to the measured window
	recent *hdrhistogram.Histogram // every value since the last TakeRecent
	second *hdrhistogram.Histogram // window values since the last TakeSecond
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder {
	r := &Recorder{}
	for i := range r.shards {
		r.shards[i].window = NewHist()
		r.shards[i].recent = NewHist()
		r.shards[i].second = NewHist()
	}
	return r
}

// Record adds one duration in nanoseconds for client key; inWindow says
// whether it counts in the report.
func (r *Recorder) Record(key int, ns int64, inWindow bool) {
	s := &r.shards[key%recorderShards]
	s.mu.Lock()
	RecordNS(s.recent, ns)
	if inWindow {
		RecordNS(s.window, ns)
		RecordNS(s.second, ns)
	}
	s.mu.Unlock()
}

// TakeRecent returns everything recorded since the previous call.
func (r *Recorder) TakeRecent() *hdrhistogram.Histogram {
	out := NewHist()
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.Lock()
		out.Merge(s.recent)
		s.recent.Reset()
		s.mu.Unlock()
	}
	return out
}

// TakeSecond returns the window's values recorded since the previous call.
func (r *Recorder) TakeSecond() *hdrhistogram.Histogram {
	out := NewHist()
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.Lock()
		out.Merge(s.second)
		s.second.Reset()
		s.mu.Unlock()
	}
	return out
}

// Window returns a copy of the measured window's histogram.
func (r *Recorder) Window() *hdrhistogram.Histogram {
	out := NewHist()
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.Lock()
		out.Merge(s.window)
		s.mu.Unlock()
	}
	return out
}

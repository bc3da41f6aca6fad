package tick

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// HistogramBuckets is the number of buckets of a Histogram: four per power
// of two of microseconds, from 0 to about 4 s (longer durations fall in
// the last bucket).
const HistogramBuckets = 88

const probeSubBits = 2

// Histogram counts durations in log-spaced buckets, cumulatively since a
// room started. Two of them a few seconds apart give that window's
// percentiles: later.Sub(earlier). A percentile is accurate to about 1/8
// of its value (the middle of a bucket a quarter of an octave wide).
type Histogram struct {
	Counts [HistogramBuckets]uint64
}

func probeBucket(d time.Duration) int {
	v := uint64(max(d, 0)/time.Microsecond) + 1
	e := bits.Len64(v) - 1
	if e < probeSubBits {
		return int(v)
	}
	i := (e-probeSubBits+1)<<probeSubBits | int(v>>(e-probeSubBits)&(1<<probeSubBits-1))
	return min(i, HistogramBuckets-1)
}

// probeLow is the smallest duration of bucket i.
func probeLow(i int) time.Duration {
	if i < 1<<probeSubBits {
		return time.Duration(max(i-1, 0)) * time.Microsecond
	}
	e := i>>probeSubBits + probeSubBits - 1
	v := uint64(1<<probeSubBits|i&(1<<probeSubBits-1)) << (e - probeSubBits)
	return time.Duration(v-1) * time.Microsecond
}

// Total is the number of durations counted.
func (h *Histogram) Total() uint64 {
	var n uint64
	for _, c := range h.Counts {
		n += c
	}
	return n
}

// Add adds o's counts to h (the rooms of a game, of a node).
func (h *Histogram) Add(o *Histogram) {
	for i, c := range o.Counts {
		h.Counts[i] += c
	}
}

// Sub returns h minus an earlier reading of the same histogram: the
// durations counted in between.
func (h *Histogram) Sub(earlier *Histogram) Histogram {
	var out Histogram
	for i, c := range h.Counts {
		if c >= earlier.Counts[i] {
			out.Counts[i] = c - earlier.Counts[i]
		}
	}
	return out
}

// Quantile returns the q-th quantile (0..1) of the counted durations: the
// middle of the bucket holding it. It is 0 when nothing was counted.
func (h *Histogram) Quantile(q float64) time.Duration {
	total := h.Total()
	if total == 0 {
		return 0
	}
	rank := uint64(q*float64(total-1)) + 1
	var seen uint64
	for i, c := range h.Counts {
		seen += c
		if seen >= rank {
			return (probeLow(i) + probeLow(i+1)) / 2
		}
	}
	return probeLow(HistogramBuckets)
}

// Max returns the upper end of the highest bucket holding a duration, or 0.
func (h *Histogram) Max() time.Duration {
	for i := HistogramBuckets - 1; i >= 0; i-- {
		if h.Counts[i] > 0 {
			return probeLow(i + 1)
		}
	}
	return 0
}

// probeHist is a Histogram written by one room's goroutine and read by any.
type probeHist struct {
	counts [HistogramBuckets]atomic.Uint64
}

func (h *probeHist) observe(d time.Duration) { h.counts[probeBucket(d)].Add(1) }

func (h *probeHist) load() Histogram {
	var out Histogram
	for i := range h.counts {
		out.Counts[i] = h.counts[i].Load()
	}
	return out
}

// RoomStats are one room's counters since it started, as Handle.Stats
// reads them: nothing is reset by reading, so any number of readers (an
// admin page, a sampler) may take them, and two readings give a window.
type RoomStats struct {
	Ticks    uint64 // ticks run
	Overruns uint64 // ticks longer than the room's period
	Skipped  uint64 // deadlines skipped by the catch-up policy
	Inputs   uint64 // inputs taken from the inbox (applied or dropped for a gone player)
	// Duration is the time spent in each tick; Jitter how late each tick
	// started after its deadline.
	Duration, Jitter Histogram
}

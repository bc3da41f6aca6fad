package admin

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/tickwire/tickwire/tick"
)

// roomReadings is how many readings of each room the sampler keeps: the
// page's per-room figures cover the last roomReadings-1 intervals.
const roomReadings = 4

// sample is what the node did during one sampling interval, summed over
// its rooms (a room that ended during the interval loses its last
// interval: its counters went with it).
type sample struct {
	At                               time.Time
	Rooms, Players                   int
	Ticks, Overruns, Skipped, Inputs uint64
	Duration, Jitter                 tick.Histogram
	BytesOut                         float64 // tickwire_bytes_out_total's increase
	Span                             time.Duration
}

type reading struct {
	at time.Time
	st tick.RoomStats
}

// roomTrack is the sampler's memory of one room: its last readings (the
// jitter histogram of the latest only, to keep a room's track near 4 KB).
type roomTrack struct {
	h        *tick.Handle
	info     tick.RoomInfo
	readings [roomReadings]reading // ring, newest at (n-1)%roomReadings
	n        int
	gen      uint64 // the sample that last saw the room
}

func (t *roomTrack) newest() *reading { return &t.readings[(t.n-1)%roomReadings] }
func (t *roomTrack) oldest() *reading {
	if t.n < roomReadings {
		return &t.readings[0]
	}
	return &t.readings[t.n%roomReadings]
}

// counts are the node's gauges read from its metrics.
type counts struct {
	Sessions      map[string]int `json:"sessions"`
	Channels      int            `json:"channels"`
	Subscriptions int            `json:"subscriptions"`
	Players       int            `json:"players"`
}

// sampler reads every room's counters and the node's metrics each
// SampleEvery, keeping History of node-wide samples for the charts and
// the windowed /debug/ticks, and a few readings per room for the page.
// Reading changes nothing in the rooms: tick.Handle.Stats is cumulative.
type sampler struct {
	opts Options

	mu        sync.Mutex
	gen       uint64
	tracks    map[string]*roomTrack
	ring      []sample // newest at (next-1) % len
	next      int
	filled    int
	lastBytes float64
	haveBytes bool
	cnt       counts
	updated   chan struct{} // closed and replaced after each sample
}

func newSampler(opts Options) *sampler {
	n := max(int(opts.History/opts.SampleEvery), 2)
	return &sampler{opts: opts, tracks: map[string]*roomTrack{}, ring: make([]sample, n), updated: make(chan struct{}), cnt: counts{Sessions: map[string]int{}}}
}

func (s *sampler) run(ctx context.Context) {
	t := time.NewTicker(s.opts.SampleEvery)
	defer t.Stop()
	s.take(time.Now())
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			s.take(now)
		}
	}
}

// next returns a channel closed after the next sample.
func (s *sampler) nextSample() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.updated
}

// take reads every room and the metrics once.
func (s *sampler) take(now time.Time) {
	infos := s.opts.Rooms.List("")
	type read struct {
		h    *tick.Handle
		info tick.RoomInfo
		st   tick.RoomStats
	}
	reads := make([]read, 0, len(infos))
	for _, info := range infos {
		h, err := s.opts.Rooms.Get(info.ID)
		if err != nil {
			continue // ended since List
		}
		reads = append(reads, read{h, info, h.Stats()})
	}
	cnt, bytes, haveBytes := s.gather()

	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	smp := sample{At: now, Rooms: len(reads), Span: s.opts.SampleEvery}
	if prev := s.newestSample(); prev != nil {
		smp.Span = now.Sub(prev.At)
	}
	for _, r := range reads {
		t := s.tracks[r.info.ID]
		if t == nil || t.h != r.h {
			t = &roomTrack{h: r.h}
			s.tracks[r.info.ID] = t
		}
		var prev tick.RoomStats
		if t.n > 0 {
			prev = t.newest().st
			// Only the newest reading keeps its jitter histogram.
			t.newest().st.Jitter = tick.Histogram{}
		}
		st := r.st
		smp.Ticks += st.Ticks - prev.Ticks
		smp.Overruns += st.Overruns - prev.Overruns
		smp.Skipped += st.Skipped - prev.Skipped
		smp.Inputs += st.Inputs - prev.Inputs
		d := st.Duration.Sub(&prev.Duration)
		smp.Duration.Add(&d)
		j := st.Jitter.Sub(&prev.Jitter)
		smp.Jitter.Add(&j)
		smp.Players += r.info.Players
		t.info = r.info
		t.readings[t.n%roomReadings] = reading{at: now, st: st}
		t.n++
		t.gen = s.gen
	}
	for id, t := range s.tracks {
		if t.gen != s.gen {
			delete(s.tracks, id)
		}
	}
	if haveBytes && s.haveBytes && bytes >= s.lastBytes {
		smp.BytesOut = bytes - s.lastBytes
	}
	s.lastBytes, s.haveBytes = bytes, haveBytes
	cnt.Players = smp.Players
	s.cnt = cnt
	s.ring[s.next%len(s.ring)] = smp
	s.next++
	s.filled = min(s.filled+1, len(s.ring))
	close(s.updated)
	s.updated = make(chan struct{})
}

func (s *sampler) newestSample() *sample {
	if s.filled == 0 {
		return nil
	}
	return &s.ring[(s.next-1)%len(s.ring)]
}

// samples returns the newest n samples, oldest first.
func (s *sampler) samples(n int) []sample {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.samplesLocked(n)
}

func (s *sampler) samplesLocked(n int) []sample {
	n = min(n, s.filled)
	out := make([]sample, n)
	for i := range n {
		out[i] = s.ring[(s.next-n+i)%len(s.ring)]
	}
	return out
}

// gather reads the node's gauges and bytes out from the metrics.
func (s *sampler) gather() (counts, float64, bool) {
	c := counts{Sessions: map[string]int{}}
	if s.opts.Metrics == nil {
		return c, 0, false
	}
	fams, err := s.opts.Metrics.Gather()
	if err != nil && len(fams) == 0 {
		return c, 0, false
	}
	var bytes float64
	have := false
	for _, f := range fams {
		switch f.GetName() {
		case "tickwire_sessions":
			for _, m := range f.GetMetric() {
				c.Sessions[label(m, "endpoint")] += int(m.GetGauge().GetValue())
			}
		case "tickwire_channels":
			c.Channels = int(sum(f))
		case "tickwire_channel_subscriptions":
			c.Subscriptions = int(sum(f))
		case "tickwire_bytes_out_total":
			bytes, have = sum(f), true
		}
	}
	return c, bytes, have
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func sum(f *dto.MetricFamily) float64 {
	var v float64
	for _, m := range f.GetMetric() {
		v += m.GetGauge().GetValue() + m.GetCounter().GetValue()
	}
	return v
}

// rowLocked is one room's figures over its readings.
func rowLocked(t *roomTrack, node string) roomJSON {
	r := roomJSON{
		ID: t.info.ID, Game: t.info.Game, Node: cmp.Or(t.info.Node, node), Players: t.info.Players,
		MaxPlayers: t.info.MaxPlayers, TickHz: t.info.TickHz, Created: t.info.Created,
	}
	if t.n == 0 {
		return r
	}
	nw, old := t.newest(), t.oldest()
	r.Ticks, r.Overruns = nw.st.Ticks, nw.st.Overruns
	var d tick.Histogram
	if t.n == 1 {
		d = nw.st.Duration
	} else {
		d = nw.st.Duration.Sub(&old.st.Duration)
		if span := nw.at.Sub(old.at).Seconds(); span > 0 {
			r.InputsPerS = float64(nw.st.Inputs-old.st.Inputs) / span
		}
	}
	r.TickMS = quantiles{P50: ms(d.Quantile(0.5)), P99: ms(d.Quantile(0.99)), Max: ms(d.Max())}
	return r
}

// rooms returns every room of game (every game when empty), by game then
// id.
func (s *sampler) rooms(game string) []roomJSON {
	s.mu.Lock()
	out := make([]roomJSON, 0, len(s.tracks))
	for _, t := range s.tracks {
		if game == "" || t.info.Game == game {
			out = append(out, rowLocked(t, s.opts.Node))
		}
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b roomJSON) int {
		return cmp.Or(strings.Compare(a.Game, b.Game), strings.Compare(a.ID, b.ID))
	})
	return out
}

// room returns h's row: the sampler's when it has seen the room, else its
// live info alone.
func (s *sampler) room(h *tick.Handle) roomJSON {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tracks[h.ID()]
	if t == nil || t.h != h {
		t = &roomTrack{h: h}
	}
	t2 := *t
	t2.info = h.Info()
	return rowLocked(&t2, s.opts.Node)
}

func (s *sampler) counts() counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cnt
}

// window sums the samples of the last d (at least one sample).
func (s *sampler) window(d time.Duration) (sample, int) {
	n := max(int((d+s.opts.SampleEvery/2)/s.opts.SampleEvery), 1)
	ss := s.samples(n)
	var w sample
	for _, x := range ss {
		w.Ticks += x.Ticks
		w.Overruns += x.Overruns
		w.Skipped += x.Skipped
		w.Inputs += x.Inputs
		w.BytesOut += x.BytesOut
		w.Duration.Add(&x.Duration)
		w.Jitter.Add(&x.Jitter)
		w.Span += x.Span
	}
	return w, len(ss)
}

package main

import (
	"math"
	"testing"
	"time"

	"github.com/tickwire/tickwire/internal/loadstat"
)

const ms = int64(time.Millisecond)

// feed plays a synthetic run: input seq k is due at (k-1)·50 ms; sendAt
// says when the sender really sent it and ackAt when the first state frame
// covering it arrived (frames arrive in order, so a frame at ackAt(k)
// covers every seq whose ackAt is earlier or equal). It returns the
// CO-corrected and the from-send histograms.
func feed(t *testing.T, n uint64, sendAt, ackAt func(k uint64) int64) (corrected, fromSend *recorder) {
	t.Helper()
	corrected, fromSend = newRecorder(), newRecorder()
	tr := inputTrack{Base: 0, Period: 50 * ms}
	type event struct {
		at   int64
		send bool
		k    uint64
	}
	var events []event
	for k := uint64(1); k <= n; k++ {
		events = append(events, event{sendAt(k), true, k}, event{ackAt(k), false, k})
	}
	// Stable order by time, sends before acks at the same instant.
	for i := 1; i < len(events); i++ {
		for j := i; j > 0; j-- {
			a, b := events[j-1], events[j]
			if a.at < b.at || a.at == b.at && (a.send || !b.send) {
				break
			}
			events[j-1], events[j] = b, a
		}
	}
	for _, e := range events {
		if e.send {
			if e.k != tr.Sent+1 {
				t.Fatalf("synthetic sender out of order: seq %d after %d", e.k, tr.Sent)
			}
			tr.NoteSent(e.k, e.at)
			continue
		}
		tr.Ack(e.k, e.at, func(k uint64, latency, lag int64) {
			corrected.Record(int(k), latency, true)
			if lag >= 0 {
				fromSend.Record(int(k), latency-lag, true)
			}
		})
	}
	if tr.Acked != n {
		t.Fatalf("acked %d of %d", tr.Acked, n)
	}
	return corrected, fromSend
}

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.3f, want %.3f ± %.3f", what, got, want, tol)
	}
}

// TestSteadyLatency: every input sent on time and acknowledged 10 ms
// later shows 10 ms at every percentile, both ways.
func TestSteadyLatency(t *testing.T) {
	c, s := feed(t, 1000, func(k uint64) int64 { return int64(k-1) * 50 * ms },
		func(k uint64) int64 { return int64(k-1)*50*ms + 10*ms })
	for _, p := range []Percentiles{percentilesOf(c.Window()), percentilesOf(s.Window())} {
		near(t, "p50", p.P50, 10, 0.02)
		near(t, "max", p.Max, 10, 0.02)
		if p.Count != 1000 {
			t.Errorf("count %d, want 1000", p.Count)
		}
	}
}

// TestStallShowsInPercentiles injects a 1 s server stall into a run of
// 1,000 inputs at 20 Hz acknowledged after 5 ms: the 20 inputs due during
// the stall wait for its end, so 2% of all inputs are late by 50..1000 ms
// and p99 lands inside the stall, where a histogram of the acknowledged
// frames alone would show one slow frame in 980.
func TestStallShowsInPercentiles(t *testing.T) {
	const stallFrom, stallTo = 10_000 * ms, 11_000 * ms
	due := func(k uint64) int64 { return int64(k-1) * 50 * ms }
	ack := func(k uint64) int64 {
		if a := due(k) + 5*ms; a < stallFrom || a >= stallTo {
			return a
		}
		return stallTo
	}
	c, _ := feed(t, 1000, due, ack)
	h := c.Window()
	p := percentilesOf(h)
	near(t, "p50", p.P50, 5, 0.01)
	near(t, "max", p.Max, 1000, 1) // the input due as the stall began
	// The stall's 20 latencies are 1000, 950, ... 50 ms; p99, the 990th of
	// 1,000 values, is the 10th of them: 500 ms.
	near(t, "p99", p.P99, 500, 1)
	var late int64
	for _, b := range h.Distribution() {
		if b.From > 100_000 { // µs
			late += b.Count
		}
	}
	if late != 18 {
		t.Errorf("%d inputs above 100 ms, want 18 (150, 200, ... 1000 ms)", late)
	}
}

// TestStalledSenderIsCorrected: a closed-loop sender that itself blocks
// during a 1 s stall would send the stall's inputs late, all at once, and
// measure them from that send: nearly nothing. From the scheduled time the
// stall stays visible.
func TestStalledSenderIsCorrected(t *testing.T) {
	const stallFrom, stallTo = 10_000 * ms, 11_000 * ms
	due := func(k uint64) int64 { return int64(k-1) * 50 * ms }
	send := func(k uint64) int64 {
		if d := due(k); d >= stallFrom && d < stallTo {
			return stallTo
		}
		return due(k)
	}
	ack := func(k uint64) int64 { return send(k) + 5*ms }
	c, s := feed(t, 1000, send, ack)
	corrected, naive := percentilesOf(c.Window()), percentilesOf(s.Window())
	near(t, "naive max", naive.Max, 5, 0.01)
	near(t, "corrected max", corrected.Max, 1005, 1.5)
	if corrected.P99 < 400 {
		t.Errorf("corrected p99 %.1f ms hides the stall", corrected.P99)
	}
}

// TestFrameCoversSeveralInputs: one frame covering three inputs gives each
// its own latency from its own due time; a last_input_seq beyond what was
// sent, or repeated, acknowledges nothing more.
func TestFrameCoversSeveralInputs(t *testing.T) {
	tr := inputTrack{Base: 100 * ms, Period: 10 * ms}
	for k := uint64(1); k <= 3; k++ {
		tr.NoteSent(k, tr.Due(k))
	}
	var got []int64
	n := tr.Ack(99, 135*ms, func(_ uint64, latency, _ int64) { got = append(got, latency/ms) })
	if n != 3 || len(got) != 3 || got[0] != 35 || got[1] != 25 || got[2] != 15 {
		t.Fatalf("ack = %d %v, want 3 [35 25 15]", n, got)
	}
	if n := tr.Ack(3, 200*ms, func(uint64, int64, int64) { t.Error("acknowledged twice") }); n != 0 {
		t.Errorf("repeated ack acknowledged %d", n)
	}
	if tr.Acked != 3 {
		t.Errorf("acked %d, want 3 (no more than sent)", tr.Acked)
	}
}

// TestWindowCountsLostInputs: inputs due in the window that were sent but
// not acknowledged are lost; inputs outside it or never sent are not.
func TestWindowCountsLostInputs(t *testing.T) {
	tr := inputTrack{Base: 0, Period: 50 * ms}
	for k := uint64(1); k <= 40; k++ { // due 0 .. 1950 ms
		tr.NoteSent(k, tr.Due(k))
	}
	tr.Ack(30, 2*time.Second.Nanoseconds(), func(uint64, int64, int64) {})
	// Window [500 ms, 1500 ms): seqs 11..30 due there, all acknowledged.
	if sent, lost := tr.Window(500*ms, 1500*ms); sent != 20 || lost != 0 {
		t.Errorf("window 500-1500 ms: sent %d lost %d, want 20 0", sent, lost)
	}
	// Window [1000 ms, 2500 ms): seqs 21..50 due, 21..40 sent, 31..40 lost.
	if sent, lost := tr.Window(1000*ms, 2500*ms); sent != 20 || lost != 10 {
		t.Errorf("window 1000-2500 ms: sent %d lost %d, want 20 10", sent, lost)
	}
	// Boundaries: due exactly at from counts, exactly at to does not.
	if sent, _ := tr.Window(50*ms, 100*ms); sent != 1 {
		t.Errorf("window 50-100 ms: sent %d, want 1 (seq 2)", sent)
	}
	if sent, lost := tr.Window(5*time.Second.Nanoseconds(), 6*time.Second.Nanoseconds()); sent != 0 || lost != 0 {
		t.Errorf("window after the run: %d %d", sent, lost)
	}
}

// TestRecorderPercentiles: uniform values 1..1000 ms read back within
// the histogram's 0.1% precision; only in-window values reach the window.
func TestRecorderPercentiles(t *testing.T) {
	r := newRecorder()
	for v := int64(1); v <= 1000; v++ {
		r.Record(int(v), v*ms, true)
		r.Record(int(v), 5000*ms, false)
	}
	p := percentilesOf(r.Window())
	near(t, "p50", p.P50, 500, 0.5)
	near(t, "p90", p.P90, 900, 0.9)
	near(t, "p99", p.P99, 990, 1)
	near(t, "p999", p.P999, 999, 1)
	near(t, "max", p.Max, 1000, 1)
	if p.Count != 1000 {
		t.Errorf("window count %d, want 1000", p.Count)
	}
	if n := r.TakeRecent().TotalCount(); n != 2000 {
		t.Errorf("recent count %d, want 2000", n)
	}
	if n := r.TakeRecent().TotalCount(); n != 0 {
		t.Errorf("recent after take: %d", n)
	}
}

func TestJudge(t *testing.T) {
	zero := uint64(0)
	two := uint64(2)
	ok := &Report{Clients: 100, LatencyMs: Percentiles{P99: 50, Count: 10}, Overruns: &zero, Skipped: &zero}
	if s := judge(ok, 54490*time.Microsecond); !s.Pass {
		t.Errorf("passing run judged %q", s.Reason)
	}
	bad := *ok
	bad.LatencyMs.P99 = 60
	bad.Overruns = &two
	bad.InputsLost = 3
	s := judge(&bad, 54490*time.Microsecond)
	for _, want := range []string{"p99 60.00 ms > target 54.49 ms", "2 tick overruns", "3 inputs lost"} {
		if s.Pass || !contains(s.Reason, want) {
			t.Errorf("reason %q lacks %q", s.Reason, want)
		}
	}
}

func TestParseMetrics(t *testing.T) {
	text := `# HELP tickwire_bytes_out_total WebSocket bytes handed to sockets.
# TYPE tickwire_bytes_out_total counter
tickwire_bytes_out_total 1.5e+06
tickwire_inputs_dropped_total{node="demo",reason="rate"} 3
tickwire_inputs_dropped_total{node="demo",reason="full"} 4
tickwire_sessions{endpoint="ws"} 9
`
	m := parseMetrics(text)
	if m["tickwire_bytes_out_total"] != 1.5e6 || m["tickwire_inputs_dropped_total"] != 7 || len(m) != 2 {
		t.Errorf("parseMetrics = %v", m)
	}
}

func TestNiceWidth(t *testing.T) {
	for in, want := range map[float64]int64{0.2: 1, 1: 1, 3: 5, 7: 10, 830: 1000, 1500: 2000} {
		if got := loadstat.NiceWidth(in); got != want {
			t.Errorf("niceWidth(%g) = %d, want %d", in, got, want)
		}
	}
}

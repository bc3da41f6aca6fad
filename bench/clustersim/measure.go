package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tickwire/tickwire/internal/loadstat"
)

// opStats times one kind of lobby operation, counting only those that
// end inside the measured window.
type opStats struct {
	mu      sync.Mutex
	hist    *hdrhistogram.Histogram
	errors  int64
	lastErr string
}

func newOpStats() *opStats { return &opStats{hist: loadstat.NewHist()} }

func (o *opStats) record(w *window, took time.Duration, err error) {
	if !w.inside(time.Now()) {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if err != nil {
		o.errors++
		o.lastErr = err.Error()
		return
	}
	loadstat.RecordNS(o.hist, took.Nanoseconds())
}

// OpReport is one kind of operation in the measured window.
type OpReport struct {
	// PerSec is how many succeeded per second.
	PerSec float64 `json:"per_s"`
	// LatencyMs is the time of one call (reads, atomic batch, retries).
	LatencyMs loadstat.Percentiles `json:"latency_ms"`
	Errors    int64                `json:"errors"`
	LastError string               `json:"last_error,omitempty"`
}

func (o *opStats) report(secs float64) OpReport {
	o.mu.Lock()
	defer o.mu.Unlock()
	p := loadstat.PercentilesOf(o.hist)
	return OpReport{PerSec: loadstat.Round3(float64(p.Count) / secs), LatencyMs: p, Errors: o.errors, LastError: o.lastErr}
}

// window is the measured interval: operations ending outside it are not
// counted, so the start-up and the drain do not skew rates.
type window struct {
	mu         sync.Mutex
	start, end time.Time
}

func (w *window) set(start, end time.Time) {
	w.mu.Lock()
	w.start, w.end = start, end
	w.mu.Unlock()
}

func (w *window) inside(t time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return !w.start.IsZero() && !t.Before(w.start) && t.Before(w.end)
}

// sample is what the cluster had done by one moment: CPU of this process
// (the nodes) and of the NATS child, each server's counters, each node
// connection's traffic and each bucket stream's last sequence.
type sample struct {
	at       time.Time
	selfCPU  time.Duration
	natsCPU  time.Duration
	varz     []server.Varz
	conns    map[string]server.ConnInfo // by connection name
	lastSeqs map[string]uint64          // by stream name
}

// streamNames are the streams whose writes a run counts, by short name.
var streamNames = map[string]string{
	"directory": "KV_tickwire_sim_directory",
	"tickets":   "KV_tickwire_sim_tickets",
	"nodes":     "KV_tickwire_sim_nodes",
	"leases":    "KV_tickwire_sim_leases",
	"snapshots": "KV_tickwire_sim_snapshots",
}

type sampler struct {
	nats *natsProc
	js   jetstream.JetStream
	hc   *http.Client
}

func (s *sampler) take(ctx context.Context) (sample, error) {
	sm := sample{at: time.Now(), conns: map[string]server.ConnInfo{}, lastSeqs: map[string]uint64{}}
	sm.selfCPU = selfCPU()
	sm.natsCPU = procCPU(s.nats.pid())
	for _, base := range s.nats.Monitor {
		var v server.Varz
		if err := s.getJSON(ctx, base+"/varz", &v); err != nil {
			return sm, err
		}
		sm.varz = append(sm.varz, v)
		var cz server.Connz
		if err := s.getJSON(ctx, base+"/connz?limit=4096", &cz); err != nil {
			return sm, err
		}
		for _, c := range cz.Conns {
			if c.Name != "" {
				sm.conns[c.Name] = *c
			}
		}
	}
	for short, name := range streamNames {
		st, err := s.js.Stream(ctx, name)
		if err != nil {
			return sm, fmt.Errorf("stream %s: %w", name, err)
		}
		info, err := st.Info(ctx)
		if err != nil {
			return sm, fmt.Errorf("stream %s: %w", name, err)
		}
		sm.lastSeqs[short] = info.State.LastSeq
	}
	return sm, nil
}

func (s *sampler) getJSON(ctx context.Context, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// NATSReport is the NATS servers' traffic in the window, summed over the
// servers (each message a server receives or sends counts once per
// server: a replicated write is counted on its way in, on the routes to
// the followers, and in each follower).
type NATSReport struct {
	Servers int `json:"servers"`
	// InMsgsPerSec and the rest are every connection's (clients and
	// routes); the Client figures are the clients' (nodes') only.
	InMsgsPerSec         float64 `json:"in_msgs_per_s"`
	OutMsgsPerSec        float64 `json:"out_msgs_per_s"`
	InBytesPerSec        float64 `json:"in_bytes_per_s"`
	OutBytesPerSec       float64 `json:"out_bytes_per_s"`
	ClientInMsgsPerSec   float64 `json:"client_in_msgs_per_s"`
	ClientOutMsgsPerSec  float64 `json:"client_out_msgs_per_s"`
	ClientInBytesPerSec  float64 `json:"client_in_bytes_per_s"`
	ClientOutBytesPerSec float64 `json:"client_out_bytes_per_s"`
	// CPUCores is the NATS process's CPU time per second of the window
	// (1.0 = one core busy).
	CPUCores float64 `json:"cpu_cores"`
	// StreamWritesPerSec counts messages appended to each bucket's stream
	// (puts, deletes, TTL markers), by bucket.
	StreamWritesPerSec map[string]float64 `json:"stream_writes_per_s"`
}

// NodeTraffic is what NATS exchanged with one node per second, the mean
// and the largest over the nodes: OutMsgs/OutBytes are deliveries to the
// node (its mirrors' watches, replies to its reads and writes, requests).
type NodeTraffic struct {
	DeliveredMsgsPerSec     float64 `json:"delivered_msgs_per_s"`
	DeliveredBytesPerSec    float64 `json:"delivered_bytes_per_s"`
	MaxDeliveredBytesPerSec float64 `json:"max_delivered_bytes_per_s"`
	SentMsgsPerSec          float64 `json:"sent_msgs_per_s"`
	SentBytesPerSec         float64 `json:"sent_bytes_per_s"`
}

func diffNATS(a, b sample) (NATSReport, NodeTraffic) {
	secs := b.at.Sub(a.at).Seconds()
	rate := func(x int64) float64 { return loadstat.Round3(float64(x) / secs) }
	r := NATSReport{Servers: len(b.varz), StreamWritesPerSec: map[string]float64{}}
	var in, out, inB, outB, cin, cout, cinB, coutB int64
	for i := range b.varz {
		x, y := a.varz[i], b.varz[i]
		in += y.InMsgs - x.InMsgs
		out += y.OutMsgs - x.OutMsgs
		inB += y.InBytes - x.InBytes
		outB += y.OutBytes - x.OutBytes
		cin += y.InClientMsgs - x.InClientMsgs
		cout += y.OutClientMsgs - x.OutClientMsgs
		cinB += y.InClientBytes - x.InClientBytes
		coutB += y.OutClientBytes - x.OutClientBytes
	}
	r.InMsgsPerSec, r.OutMsgsPerSec, r.InBytesPerSec, r.OutBytesPerSec = rate(in), rate(out), rate(inB), rate(outB)
	r.ClientInMsgsPerSec, r.ClientOutMsgsPerSec, r.ClientInBytesPerSec, r.ClientOutBytesPerSec = rate(cin), rate(cout), rate(cinB), rate(coutB)
	r.CPUCores = loadstat.Round3((b.natsCPU - a.natsCPU).Seconds() / secs)
	for k, v := range b.lastSeqs {
		r.StreamWritesPerSec[k] = rate(int64(v - a.lastSeqs[k]))
	}
	var t NodeTraffic
	nodes := 0
	for name, y := range b.conns {
		if !strings.HasPrefix(name, "tickwire sim/") {
			continue
		}
		x, ok := a.conns[name]
		if !ok {
			continue
		}
		nodes++
		ob := float64(y.OutBytes-x.OutBytes) / secs
		t.DeliveredMsgsPerSec += float64(y.OutMsgs-x.OutMsgs) / secs
		t.DeliveredBytesPerSec += ob
		t.SentMsgsPerSec += float64(y.InMsgs-x.InMsgs) / secs
		t.SentBytesPerSec += float64(y.InBytes-x.InBytes) / secs
		t.MaxDeliveredBytesPerSec = max(t.MaxDeliveredBytesPerSec, ob)
	}
	if nodes > 0 {
		n := float64(nodes)
		t.DeliveredMsgsPerSec = loadstat.Round3(t.DeliveredMsgsPerSec / n)
		t.DeliveredBytesPerSec = loadstat.Round3(t.DeliveredBytesPerSec / n)
		t.SentMsgsPerSec = loadstat.Round3(t.SentMsgsPerSec / n)
		t.SentBytesPerSec = loadstat.Round3(t.SentBytesPerSec / n)
		t.MaxDeliveredBytesPerSec = loadstat.Round3(t.MaxDeliveredBytesPerSec)
	}
	return r, t
}

// selfCPU is this process's user and system CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU is process pid's user and system CPU time from /proc (Linux;
// 0 elsewhere), at the kernel's clock-tick resolution (10 ms).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces; fields after its ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	const hz = 100 // USER_HZ on Linux
	return time.Duration(ut+st) * time.Second / hz
}

// loadAvg is the 1-minute load average (Linux; 0 elsewhere).
func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

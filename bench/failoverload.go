package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// foLoad is the cluster's load over the measured window of a failover
// run without a fault (-kill-mode none): what each node spends on its
// players, and what the cluster costs on top of them — NATS's CPU and
// traffic, and the writes to each of the cluster's buckets. Compare
// -nodes 1 with -nodes 3 at the same load for the cross-node overhead.
type foLoad struct {
	WindowS float64      `json:"window_s"`
	Nodes   []foNodeLoad `json:"nodes"`
	// CPUUsPerPlayerS is all nodes' CPU over all players: µs of CPU per
	// player per second of play.
	CPUUsPerPlayerS float64 `json:"cpu_us_per_player_s"`
	// NATSCPUPct is the three NATS servers' CPU together, in % of one
	// core; -1 when they ran in this process (-nats-in-process).
	NATSCPUPct float64 `json:"nats_cpu_pct"`
	// NATS traffic, summed over the servers' /varz (a message routed
	// between servers counts on both): per second, and per room per
	// second.
	NATSMsgsPerS         float64            `json:"nats_msgs_per_s"`
	NATSBytesPerS        float64            `json:"nats_bytes_per_s"`
	NATSMsgsPerRoomS     float64            `json:"nats_msgs_per_room_s"`
	NATSBytesPerRoomS    float64            `json:"nats_bytes_per_room_s"`
	NATSCPUUsPerPlayerS  float64            `json:"nats_cpu_us_per_player_s"`
	BucketWritesPerS     map[string]float64 `json:"bucket_writes_per_s"`
	BucketWritesPerRoomS float64            `json:"bucket_writes_per_room_s"`
}

// foNodeLoad is one node's share.
type foNodeLoad struct {
	Name            string  `json:"name"`
	Players         int     `json:"players"`
	CPUPct          float64 `json:"cpu_pct"`
	CPUUsPerPlayerS float64 `json:"cpu_us_per_player_s"`
	RSSMB           float64 `json:"rss_mb"`
}

// loadSample is one instant of the cluster's counters.
type loadSample struct {
	nodes   []cpuSample
	rss     []int64
	nats    []cpuSample
	msgs    int64 // in + out, all servers
	bytes   int64
	buckets map[string]uint64 // bucket: its stream's last sequence
	at      time.Time
}

// sampleLoad reads every node's and NATS server's CPU, the servers'
// /varz and the buckets' stream sequences. What it cannot read stays zero
// (a note in the report would be noise: the run already failed if NATS
// or a node is gone).
func (f *foRun) sampleLoad(ctx context.Context, natsURLs, natsToken, cluster string) *loadSample {
	s := &loadSample{buckets: map[string]uint64{}, at: time.Now()}
	for _, n := range f.nodes {
		pid := strconv.Itoa(n.child.cmd.Process.Pid)
		c, _ := readCPU(pid)
		r, _ := readRSS(pid)
		s.nodes, s.rss = append(s.nodes, c), append(s.rss, r)
	}
	if f.nats != nil {
		for i, c := range f.nats.children {
			cs, _ := readCPU(strconv.Itoa(c.cmd.Process.Pid))
			s.nats = append(s.nats, cs)
			var v struct {
				InMsgs   int64 `json:"in_msgs"`
				OutMsgs  int64 `json:"out_msgs"`
				InBytes  int64 `json:"in_bytes"`
				OutBytes int64 `json:"out_bytes"`
			}
			if getJSON(ctx, f.nats.varz[i], &v) == nil {
				s.msgs += v.InMsgs + v.OutMsgs
				s.bytes += v.InBytes + v.OutBytes
			}
		}
	}
	conn, err := nats.Connect(natsURLs, nats.Token(natsToken))
	if err != nil {
		return s
	}
	defer conn.Close()
	js, err := jetstream.New(conn)
	if err != nil {
		return s
	}
	prefix := "KV_tickwire_" + cluster + "_"
	names := js.StreamNames(ctx)
	for name := range names.Name() {
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		if st, err := js.Stream(ctx, name); err == nil {
			s.buckets[strings.TrimPrefix(name, prefix)] = st.CachedInfo().State.LastSeq
		}
	}
	return s
}

// since is the load between s0 and s.
func (s *loadSample) since(s0 *loadSample, f *foRun) *foLoad {
	wall := s.at.Sub(s0.at).Seconds()
	if wall <= 0 {
		return nil
	}
	l := &foLoad{WindowS: round3(wall), NATSCPUPct: -1, BucketWritesPerS: map[string]float64{}}
	players := make([]int, len(f.nodes))
	for _, b := range f.bots {
		players[b.node]++
	}
	total, cpu := 0, 0.0
	for i, n := range f.nodes {
		pct := cpuPercent(s0.nodes[i], s.nodes[i])
		nl := foNodeLoad{Name: n.name, Players: players[i], CPUPct: round3(pct), RSSMB: round3(float64(s.rss[i]) / (1 << 20))}
		if players[i] > 0 {
			nl.CPUUsPerPlayerS = round3(pct / 100 * 1e6 / float64(players[i]))
		}
		l.Nodes = append(l.Nodes, nl)
		total += players[i]
		cpu += pct
	}
	if total > 0 {
		l.CPUUsPerPlayerS = round3(cpu / 100 * 1e6 / float64(total))
	}
	if len(s.nats) == len(s0.nats) && len(s.nats) > 0 {
		natsCPU := 0.0
		for i := range s.nats {
			natsCPU += cpuPercent(s0.nats[i], s.nats[i])
		}
		l.NATSCPUPct = round3(natsCPU)
		if total > 0 {
			l.NATSCPUUsPerPlayerS = round3(natsCPU / 100 * 1e6 / float64(total))
		}
	}
	rooms := float64(f.cfg.rooms)
	l.NATSMsgsPerS = round3(float64(s.msgs-s0.msgs) / wall)
	l.NATSBytesPerS = round3(float64(s.bytes-s0.bytes) / wall)
	l.NATSMsgsPerRoomS = round3(l.NATSMsgsPerS / rooms)
	l.NATSBytesPerRoomS = round3(l.NATSBytesPerS / rooms)
	writes := 0.0
	for b, seq := range s.buckets {
		w := float64(seq-s0.buckets[b]) / wall
		l.BucketWritesPerS[b] = round3(w)
		writes += w
	}
	l.BucketWritesPerRoomS = round3(writes / rooms)
	return l
}

// getJSON fetches url and decodes its JSON body into v.
func getJSON(ctx context.Context, url string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, res.Status)
	}
	return json.NewDecoder(res.Body).Decode(v)
}

// printLoad writes a run without a fault: the cluster's load.
func printLoad(w io.Writer, fo *failoverReport) {
	l := fo.Load
	if l == nil {
		fmt.Fprintf(w, "cluster load\tnot measured (interrupted)\n")
		return
	}
	fmt.Fprintf(w, "cluster load\t%d nodes over %.1f s: %.0f µs of node CPU per player per second\n", fo.Nodes, l.WindowS, l.CPUUsPerPlayerS)
	for _, n := range l.Nodes {
		fmt.Fprintf(w, "  %s\t%d players, CPU %.1f%% (%.0f µs per player per s), RSS %.1f MB\n", n.Name, n.Players, n.CPUPct, n.CPUUsPerPlayerS, n.RSSMB)
	}
	fmt.Fprintf(w, "  NATS\tCPU %.1f%% (%.0f µs per player per s); %.0f msgs/s, %.0f B/s (per room: %.1f msgs/s, %.0f B/s)\n",
		l.NATSCPUPct, l.NATSCPUUsPerPlayerS, l.NATSMsgsPerS, l.NATSBytesPerS, l.NATSMsgsPerRoomS, l.NATSBytesPerRoomS)
	fmt.Fprintf(w, "  bucket writes\t%.2f per room per second: %v\n", l.BucketWritesPerRoomS, l.BucketWritesPerS)
}

package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tickwire/tickwire/client"
	"github.com/tickwire/tickwire/cluster/natstest"
	"github.com/tickwire/tickwire/internal/loadstat"
)

// failoverScenario is -scenario failover: a whole cluster on this machine
// (a three-server NATS cluster in child processes of this binary, or with
// -nats-in-process in this one, and -nodes demo nodes in child processes
// with -heartbeat-ttl), arena bots spread over the nodes
// (room slot r on node r mod -nodes), and at -kill-at one node is killed
// (SIGKILL) or drained (SIGTERM). Its bots follow their rooms to the nodes
// that restore them (client.Rejoin); the report says how long they were
// out, what they lost and how the others fared. It runs itself
// (runFailover): it has no single server.
type failoverScenario struct{ n int }

var _ scenario = failoverScenario{}

func newFailoverScenario(c *config) scenario { return failoverScenario{n: c.rooms} }

func (failoverScenario) join(context.Context, *run, *player) error { return nil }
func (failoverScenario) input(*player, uint64) []byte              { return nil }
func (failoverScenario) sendsInputs() bool                         { return true }
func (s failoverScenario) rooms() int                              { return s.n }

// Kill modes for -kill-mode.
const (
	killModeKill  = "kill"  // SIGKILL: the node dies, the cluster notices within the heartbeat TTL
	killModeDrain = "drain" // SIGTERM: the node drains (migrates its rooms) and leaves
	killModeNone  = "none"  // no fault: the cluster's load (foLoad) over the window
)

// foEventSpan is how long after the kill the unaffected players' frame
// gaps count as the event's.
const foEventSpan = 10 * time.Second

// failoverAfterKill is the shortest window after the kill -duration may
// leave.
const failoverAfterKill = 5 * time.Second

// foBucket is the resolution of the unaffected players' frame counts.
const foBucket = 100 * time.Millisecond

// foNode is one demo node of the cluster.
type foNode struct {
	name    string
	base    string // http://127.0.0.1:PORT
	wsURL   string
	child   *child
	dataDir string
	logFile *os.File // -node-logs: its whole log; nil without
}

// foRun is one failover run. Its goroutines: one per bot (foBot.run),
// the progress line, the NATS watchers and the victim's exit watcher; all
// started by execute and waited for before it returns.
type foRun struct {
	cfg      *config
	clk      clock
	eng      *client.Engine
	nodes    []*foNode
	victim   int
	slots    []*roomSlot
	bots     []*foBot
	payloads [][]byte
	log      io.Writer
	tickHz   atomic.Int64

	latency, sendLag *recorder
	failures         counter // joins and rejoins that failed, by reason
	drops            counter // losses before the kill, or a second loss, by how
	errs             counter // Error and Left envelopes, by code
	rejoins          atomic.Int64

	killAtNS, windowFrom, windowTo, stopAtNS atomic.Int64 // run clock; 0: not yet
	victimExitNS, registryGoneNS             atomic.Int64

	unaffectedFrames []atomic.Int64 // state frames of bots not on the victim, per foBucket of the run clock

	snapMu    sync.Mutex
	snapTick  map[string]uint64 // room id: tick of the victim's latest snapshot
	snapSaved map[string]time.Time
	leader    string // the matchmaker lease's holder, as last seen
	// leaderAtKill is leader when the victim was signalled.
	leaderAtKill string

	nats *foNATS // the NATS servers' children; nil with -nats-in-process
	load *foLoad // -kill-mode none: the window's load
}

// runFailover runs the failover scenario: it builds nothing itself (build
// is the demo binary benchMain built) and owns every process it starts.
func runFailover(ctx context.Context, cfg *config, build *serverBuild, log io.Writer) (*Report, error) {
	f := &foRun{
		cfg:       cfg,
		clk:       newClock(),
		payloads:  arenaPayloads(),
		log:       log,
		victim:    cfg.killNode,
		latency:   newRecorder(),
		sendLag:   newRecorder(),
		snapTick:  map[string]uint64{},
		snapSaved: map[string]time.Time{},
	}
	span := time.Duration(float64(cfg.clients)/cfg.ramp*float64(time.Second)) + cfg.warmup + cfg.duration + cfg.grace + time.Minute
	f.unaffectedFrames = make([]atomic.Int64, int(span/foBucket))
	return f.execute(ctx, build)
}

func (f *foRun) execute(ctx context.Context, build *serverBuild) (*Report, error) {
	cfg := f.cfg
	if !cfg.quiet {
		where := "in child processes"
		if cfg.natsInProcess {
			where = "in this process"
		}
		fmt.Fprintf(f.log, "bench: failover: a 3-server NATS cluster %s, %d demo nodes, heartbeat TTL %v\n", where, cfg.nodes, cfg.heartbeatTTL)
	}
	var natsURLs, natsToken string
	if cfg.natsInProcess {
		nc, stopNATS, err := natstest.Start(natstest.Options{Servers: 3})
		if err != nil {
			return nil, err
		}
		defer stopNATS()
		natsURLs, natsToken = nc.URLs(), nc.Token
	} else {
		ns, err := startNATS(ctx)
		if err != nil {
			return nil, err
		}
		defer ns.stop()
		natsURLs, natsToken = ns.urls, ns.token
		f.nats = ns
	}
	clusterName := "bench" + randHex(4)
	stopNodes, err := f.startNodes(ctx, build, natsURLs, natsToken, clusterName)
	defer stopNodes()
	if err != nil {
		return nil, err
	}
	var watchers sync.WaitGroup
	wctx, stopWatch := context.WithCancel(context.WithoutCancel(ctx))
	defer func() { stopWatch(); watchers.Wait() }()
	if err := f.watchCluster(wctx, &watchers, natsURLs, natsToken, clusterName); err != nil {
		return nil, err
	}
	eng, err := client.NewEngine(cfg.enginePollers())
	if err != nil {
		return nil, err
	}
	f.eng = eng
	defer eng.Close()

	f.slots = make([]*roomSlot, cfg.rooms)
	for i := range f.slots {
		f.slots[i] = &roomSlot{ready: make(chan struct{})}
	}
	period := int64(cfg.inputPeriod())
	rampEnd := int64(float64(cfg.clients) / cfg.ramp * float64(time.Second))
	for i := range cfg.clients {
		slot := i % cfg.rooms
		f.bots = append(f.bots, &foBot{
			idx: i, f: f, slot: slot, node: slot % cfg.nodes,
			base: rampEnd + int64(i)*period/int64(cfg.clients), period: period,
			lost: make(chan struct{}, 1),
		})
	}
	var bots, ramp sync.WaitGroup
	ramp.Add(len(f.bots))
	f.stopAtNS.Store(math.MaxInt64)
	for i, b := range f.bots {
		at := int64(float64(i) / cfg.ramp * float64(time.Second))
		bots.Go(func() { b.run(ctx, at, ramp.Done) })
	}
	ramp.Wait() // each first join is bounded
	from := f.clk.Now() + int64(cfg.warmup)
	f.windowFrom.Store(from)
	f.windowTo.Store(from + int64(cfg.duration))
	f.stopAtNS.Store(from + int64(cfg.duration))
	killAt := from + int64(cfg.killAt)

	var progress sync.WaitGroup
	pctx, stopProgress := context.WithCancel(ctx)
	if !cfg.quiet {
		progress.Go(func() { f.progress(pctx) })
	}
	interrupted := false
	var load0 *loadSample
	if cfg.killMode == killModeNone {
		if f.sleepUntil(ctx, from) {
			load0 = f.sampleLoad(ctx, natsURLs, natsToken, clusterName)
		} else {
			interrupted = true
		}
	} else if f.sleepUntil(ctx, killAt) {
		f.kill(wctx, &watchers)
	} else {
		interrupted = true
	}
	if !f.sleepUntil(ctx, from+int64(cfg.duration)) {
		interrupted = true
	}
	if load0 != nil && !interrupted {
		f.load = f.sampleLoad(ctx, natsURLs, natsToken, clusterName).since(load0, f)
	}
	bots.Wait()
	stopProgress()
	progress.Wait()
	f.waitAcks(cfg.grace)
	rep := f.report(interrupted)
	for i, n := range f.nodes {
		if i != f.victim || cfg.killMode != killModeKill {
			if err := n.child.exitErr(); err != nil {
				rep.Notes = append(rep.Notes, fmt.Sprintf("%s: %v", n.name, err))
			}
		}
	}
	return rep, nil
}

// startNodes starts cfg.nodes demo nodes of cluster name on nc, one after
// the other, each on a loopback port picked for it (cluster mode needs
// -public-url, so the port is known up front). stop stops them all.
func (f *foRun) startNodes(ctx context.Context, build *serverBuild, natsURLs, natsToken, name string) (stop func(), err error) {
	cfg := f.cfg
	bin := cfg.serverBin
	if bin == "" {
		bin = build.bin
	}
	stop = func() {
		for _, n := range f.nodes {
			_ = n.child.stop()
			_ = os.RemoveAll(n.dataDir)
			if n.logFile != nil {
				_ = n.logFile.Close()
			}
		}
	}
	env := append(os.Environ(), "TICKWIRE_CLUSTER_SECRET="+randHex(32), "TICKWIRE_NATS_TOKEN="+natsToken)
	for i := range cfg.nodes {
		port, err := freeLoopbackPort()
		if err != nil {
			return stop, err
		}
		dir, err := os.MkdirTemp("", "tickwire-bench-data-")
		if err != nil {
			return stop, err
		}
		addr := "127.0.0.1:" + strconv.Itoa(port)
		n := &foNode{name: "node" + strconv.Itoa(i+1), base: "http://" + addr, wsURL: "ws://" + addr + "/ws", dataDir: dir}
		args := []string{"-addr", addr, "-public-url", n.base, "-nats", natsURLs, "-node-name", n.name,
			"-cluster", name, "-heartbeat-ttl", cfg.heartbeatTTL.String(), "-data-dir", dir,
			"-log-format", "json", "-log-level", "info"}
		var logTo io.Writer
		if cfg.nodeLogs != "" {
			lf, err := os.Create(filepath.Join(cfg.nodeLogs, n.name+".log"))
			if err != nil {
				_ = os.RemoveAll(dir)
				return stop, fmt.Errorf("-node-logs: %w", err)
			}
			n.logFile, logTo = lf, lf
		}
		c, _, err := startChildLog(ctx, bin, args, env, cfg.serverCPUs, logTo)
		if err != nil {
			_ = os.RemoveAll(dir)
			if n.logFile != nil {
				_ = n.logFile.Close()
			}
			return stop, fmt.Errorf("%s: %w", n.name, err)
		}
		n.child = c
		f.nodes = append(f.nodes, n)
		if err := waitHealthy(ctx, n.base, readyTimeout); err != nil {
			return stop, fmt.Errorf("%s: %w\n%s", n.name, err, c.tail())
		}
		if !cfg.quiet {
			fmt.Fprintf(f.log, "bench: %s at %s (pid %d)\n", n.name, n.base, c.cmd.Process.Pid)
		}
	}
	return stop, nil
}

// kill sends the victim its signal and starts the watcher of its exit,
// which ends at the exit or with ctx.
func (f *foRun) kill(ctx context.Context, wg *sync.WaitGroup) {
	v := f.nodes[f.victim]
	sig := syscall.SIGKILL
	if f.cfg.killMode == killModeDrain {
		sig = syscall.SIGTERM
	}
	f.snapMu.Lock()
	f.leaderAtKill = f.leader
	f.snapMu.Unlock()
	f.killAtNS.Store(f.clk.Now())
	_ = v.child.cmd.Process.Signal(sig)
	if !f.cfg.quiet {
		fmt.Fprintf(f.log, "bench: %s: %v sent to %s\n", f.cfg.killMode, sig, v.name)
	}
	wg.Go(func() {
		select {
		case <-v.child.done:
			f.victimExitNS.Store(f.clk.Now())
		case <-ctx.Done(): // a drain still going when the run ends: stopNodes kills it after
		}
	})
}

// watchCluster follows the cluster's buckets from this process: the
// victim's snapshots (the tick each room will be restored to), the
// matchmaker lease's holder, and the victim's registry entry going. The
// watchers end with ctx.
func (f *foRun) watchCluster(ctx context.Context, wg *sync.WaitGroup, natsURLs, natsToken, name string) error {
	conn, err := nats.Connect(natsURLs, nats.Token(natsToken), nats.MaxReconnects(-1))
	if err != nil {
		return fmt.Errorf("watch the cluster: %w", err)
	}
	js, err := jetstream.New(conn)
	if err != nil {
		conn.Close()
		return err
	}
	victim := f.nodes[f.victim].name
	victimKey := "node." + base64.RawURLEncoding.EncodeToString([]byte(victim))
	handlers := map[string]func(jetstream.KeyValueEntry){
		"snapshots": func(e jetstream.KeyValueEntry) {
			var doc struct {
				Room  string    `json:"room"`
				Node  string    `json:"node"`
				Tick  uint64    `json:"tick"`
				Saved time.Time `json:"saved"`
			}
			if e.Operation() != jetstream.KeyValuePut || json.Unmarshal(e.Value(), &doc) != nil || doc.Node != victim {
				return
			}
			f.snapMu.Lock()
			f.snapTick[doc.Room], f.snapSaved[doc.Room] = doc.Tick, doc.Saved
			f.snapMu.Unlock()
		},
		"leases": func(e jetstream.KeyValueEntry) {
			var doc struct {
				Node string `json:"node"`
			}
			if e.Operation() == jetstream.KeyValuePut && json.Unmarshal(e.Value(), &doc) == nil {
				f.snapMu.Lock()
				f.leader = doc.Node
				f.snapMu.Unlock()
			}
		},
		"nodes": func(e jetstream.KeyValueEntry) {
			if e.Key() == victimKey && e.Operation() != jetstream.KeyValuePut && f.killAtNS.Load() != 0 {
				f.registryGoneNS.CompareAndSwap(0, f.clk.Now())
			}
		},
	}
	var watchers []jetstream.KeyWatcher
	for bucket, h := range handlers {
		kv, err := js.KeyValue(ctx, "tickwire_"+name+"_"+bucket)
		if err == nil {
			var w jetstream.KeyWatcher
			if w, err = kv.WatchAll(ctx, jetstream.IncludeHistory()); err == nil {
				watchers = append(watchers, w)
				wg.Go(func() {
					for e := range w.Updates() {
						if e != nil {
							h(e)
						}
					}
				})
				continue
			}
		}
		for _, w := range watchers {
			_ = w.Stop()
		}
		conn.Close()
		return fmt.Errorf("watch bucket %s: %w", bucket, err)
	}
	wg.Go(func() {
		<-ctx.Done()
		for _, w := range watchers {
			_ = w.Stop()
		}
		conn.Close()
	})
	return nil
}

// waitAcks polls until no bot has an input waiting for its
// acknowledgement, or grace passed.
func (f *foRun) waitAcks(grace time.Duration) {
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		waiting := 0
		for _, b := range f.bots {
			b.mu.Lock()
			waiting += len(b.pending)
			b.mu.Unlock()
		}
		if waiting == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// progress prints one line a second until ctx ends.
func (f *foRun) progress(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var lastFrames int
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		seated, away, back, frames := 0, 0, 0, 0
		for _, b := range f.bots {
			b.mu.Lock()
			if b.conn != nil {
				seated++
			} else {
				away++
			}
			if b.ev.firstStateAt != 0 {
				back++
			}
			frames += b.frames
			b.mu.Unlock()
		}
		now := f.clk.Now()
		phase := "ramp"
		switch k := f.killAtNS.Load(); {
		case k != 0:
			phase = fmt.Sprintf("after %s +%.1fs", f.cfg.killMode, time.Duration(now-k).Seconds())
		case f.windowFrom.Load() != 0 && now < f.windowFrom.Load():
			phase = "warmup"
		case f.windowFrom.Load() != 0:
			phase = "measure"
		}
		fmt.Fprintf(f.log, "bench: %5.1fs %-18s seated %d, away %d, back after the event %d, %d frames/s\n",
			time.Duration(now).Seconds(), phase, seated, away, back, frames-lastFrames)
		lastFrames = frames
	}
}

func (f *foRun) sleepUntil(ctx context.Context, t int64) bool {
	return loadstat.SleepUntil(ctx, f.clk, t)
}

// slotRoom waits for room slot i to exist.
func (f *foRun) slotRoom(ctx context.Context, i int) (string, error) {
	return f.slots[i].wait(ctx, i)
}

// noteTickHz checks a Joined's tick rate against -hz.
func (f *foRun) noteTickHz(hz int) error {
	f.tickHz.CompareAndSwap(0, int64(hz))
	if hz != f.cfg.hz {
		return fmt.Errorf("%w: the server's rooms tick at %d Hz but -hz is %d", errHzMismatch, hz, f.cfg.hz)
	}
	return nil
}

// noteFrame counts a state frame of a bot not on the victim.
func (f *foRun) noteFrame(b *foBot, now int64) {
	if b.node == f.victim {
		return
	}
	if i := int(now / int64(foBucket)); i >= 0 && i < len(f.unaffectedFrames) {
		f.unaffectedFrames[i].Add(1)
	}
}

// killed says whether the victim was signalled at or before now.
func (f *foRun) killed(now int64) bool {
	k := f.killAtNS.Load()
	return k != 0 && now >= k
}

// inEvent says whether now is within foEventSpan after the kill.
func (f *foRun) inEvent(now int64) bool {
	k := f.killAtNS.Load()
	return k != 0 && now >= k && now < k+int64(foEventSpan)
}

// inWindow says whether an input due at due belongs to the measured window.
func (f *foRun) inWindow(due int64) bool {
	from := f.windowFrom.Load()
	return from != 0 && due >= from && due < f.windowTo.Load()
}

// rejoinOrder is the node list b's Rejoin tries: the next node after its
// own first (spreading the rejoins), its own old node last.
func (f *foRun) rejoinOrder(b *foBot) []string {
	n := len(f.nodes)
	out := make([]string, 0, n)
	for i := 1; i <= n; i++ {
		out = append(out, f.nodes[(b.node+i)%n].base)
	}
	return out
}

// exitErr says how a child exited, if it did on its own with an error.
func (c *child) exitErr() error {
	select {
	case <-c.done:
		if c.waitErr != nil {
			return fmt.Errorf("exited: %v; last log lines:\n%s", c.waitErr, c.tail())
		}
	default:
	}
	return nil
}

// waitHealthy polls base's /healthz until it answers 200 or within ends.
func waitHealthy(ctx context.Context, base string, within time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	hc := &http.Client{Timeout: time.Second}
	defer hc.CloseIdleConnections()
	var last error
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
		if err != nil {
			return err
		}
		resp, err := hc.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("/healthz: HTTP %d", resp.StatusCode)
		}
		last = err
		if !loadstat.SleepUntil(ctx, newClock(), int64(50*time.Millisecond)) {
			return fmt.Errorf("not healthy within %v: %w", within, last)
		}
	}
}

func freeLoopbackPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick a port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// failoverNodes is the node list for the report.
func (f *foRun) failoverNodes() string {
	var s []string
	for _, n := range f.nodes {
		s = append(s, n.base)
	}
	return strings.Join(s, ",")
}

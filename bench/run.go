package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/lesismal/nbio/nbhttp"

	"github.com/tickwire/tickwire/client"
	"github.com/tickwire/tickwire/internal/loadstat"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
)

// run is one measured run: a fleet of players against one server, through
// the phases ramp (connect and seat every client), warm-up (inputs flow,
// nothing counts), the measured window, and grace (late acknowledgements
// of the window's inputs still count; after it they are lost).
//
// Goroutines: dialers during the ramp, a few schedulers from the warm-up
// to the end of the window, and one progress goroutine for the whole run;
// execute starts and waits for all of them. The client engine's pollers
// deliver every message to player.onEnvelope.
type run struct {
	cfg     *config
	scn     scenario
	srv     *serverTarget
	clk     clock
	hc      *http.Client
	eng     *client.Engine // Tickwire scenarios with full clients
	rawEng  *nbhttp.Engine // raw scenarios (the floor) and lean clients (the arena)
	players []*player
	cancel  context.CancelCauseFunc

	latency  *recorder // input-to-state, from the due time (CO-corrected)
	fromSend *recorder // input-to-state from the actual send (naive)
	sendLag  *recorder // how late the schedulers sent
	rtt      *recorder // Ping → Pong
	errs     counter   // Error envelopes from the server, by code

	sent, acked    atomic.Int64
	inputBytes     atomic.Int64 // payload bytes of the inputs sent
	winFrom, winTo atomic.Int64 // the measured window on the run clock
	tickHz         atomic.Int64 // as the server's Joined said
	phase          atomic.Pointer[string]
	leaving        atomic.Bool // the run gives its seats up: Left is expected

	// Written by the progress goroutine only; read after it ended.
	timeline     []timePoint
	quietLatency *hdrhistogram.Histogram // window seconds other processes left alone
	quietSecs    int
	windowSecs   int
}

func newRun(cfg *config, srv *serverTarget) *run {
	r := &run{
		cfg:      cfg,
		scn:      scenarios[cfg.scenario].new(cfg),
		srv:      srv,
		clk:      newClock(),
		hc:       &http.Client{Timeout: statsTimeout},
		latency:  newRecorder(),
		fromSend: newRecorder(),
		sendLag:  newRecorder(),
		rtt:      newRecorder(),

		quietLatency: newHist(),
	}
	r.winFrom.Store(math.MaxInt64)
	r.winTo.Store(math.MaxInt64)
	r.players = make([]*player, cfg.clients)
	for i := range r.players {
		r.players[i] = &player{idx: i, r: r}
	}
	r.setPhase("start")
	return r
}

func (r *run) setPhase(p string) { r.phase.Store(&p) }

// window is the measured window [from, to) on the run clock.
func (r *run) window() (from, to int64) { return r.winFrom.Load(), r.winTo.Load() }

func (r *run) inWindow(t int64) bool {
	from, to := r.window()
	return t >= from && t < to
}

// noteTickHz checks the tick rate a Joined reported against -hz.
func (r *run) noteTickHz(hz int) error {
	r.tickHz.CompareAndSwap(0, int64(hz))
	if hz != r.cfg.hz {
		return fmt.Errorf("%w: the server's rooms tick at %d Hz but -hz is %d; "+
			"the demo creates arena rooms at their registered rate and JoinRoom has no tick rate field yet: "+
			"run with -hz %d, or without -addr and with -server bench", errHzMismatch, hz, r.cfg.hz, hz)
	}
	return nil
}

// abort ends the run with err.
func (r *run) abort(err error) { r.cancel(err) }

// snapshot is the state of the counters at one edge of the window.
type snapshot struct {
	at                      int64
	srvCPU                  cpuSample
	srvCPUErr               error
	selfCPU                 cpuSample
	sysCPU                  cpuSample
	sysCPUErr               error
	rss                     int64
	ticks                   *tickReport
	ticksErr                error
	metrics                 map[string]float64
	bytesIn, bytesOut, msgs int64
}

// take reads every counter; CPU first, since it is the time-critical one.
func (r *run) take(ctx context.Context) snapshot {
	s := snapshot{at: r.clk.Now()}
	if r.srv.pid != 0 {
		s.srvCPU, s.srvCPUErr = readCPU(strconv.Itoa(r.srv.pid))
		s.rss, _ = readRSS(strconv.Itoa(r.srv.pid))
	} else {
		s.srvCPUErr = errors.New("server pid unknown")
	}
	s.selfCPU, _ = readCPU("self")
	s.sysCPU, s.sysCPUErr = readSystemCPU()
	ctx = context.WithoutCancel(ctx) // an interrupted run still reads its end
	s.ticks, s.ticksErr = fetchTicks(ctx, r.hc, r.srv.httpBase)
	s.metrics, _ = scrapeMetrics(ctx, r.hc, r.srv.httpBase)
	// The clients' byte counts right after the server's (bytes_out_total in
	// /metrics), so that the two are read moments apart at both edges of
	// the window; read before the two HTTP round trips, on a loaded machine
	// they differed by more than a tenth over a 3 s window.
	for _, p := range r.players {
		s.bytesIn += p.bytesIn.Load()
		s.bytesOut += p.bytesOut.Load()
		s.msgs += p.framesIn.Load()
	}
	return s
}

// sleepUntil waits until run-clock time t; false if ctx ended first.
func (r *run) sleepUntil(ctx context.Context, t int64) bool {
	return loadstat.SleepUntil(ctx, r.clk, t)
}

// outcome is what execute hands to the report.
type outcome struct {
	start, end  *snapshot
	rssBase     int64
	failed      int
	failures    map[string]int
	live        int
	interrupted bool
	notes       []string
}

// execute performs the run and returns its report. A fatal problem (the
// server's tick rate differs from -hz, no client could connect) is an
// error; an interrupted run (parent ended) still returns its partial report.
func (r *run) execute(parent context.Context) (*Report, error) {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	r.cancel = cancel
	var out outcome
	if r.srv.pid != 0 {
		out.rssBase, _ = readRSS(strconv.Itoa(r.srv.pid))
	}
	if _, raw := r.scn.(rawScenario); raw || r.isLean() {
		eng, err := newRawEngine(r.cfg.enginePollers())
		if err != nil {
			return nil, err
		}
		r.rawEng = eng
		defer eng.Stop()
	} else {
		eng, err := client.NewEngine(r.cfg.enginePollers())
		if err != nil {
			return nil, err
		}
		r.eng = eng
		defer eng.Close()
	}
	defer r.hc.CloseIdleConnections()
	if bg, ok := r.scn.(backgroundScenario); ok {
		defer bg.start(ctx, r)()
	}

	var progress sync.WaitGroup
	progCtx, stopProgress := context.WithCancel(context.Background())
	progress.Go(func() { r.progress(progCtx) })
	endProgress := func() {
		stopProgress()
		progress.Wait()
	}
	defer endProgress()

	r.setPhase("ramp")
	ramp := time.Duration(float64(len(r.players))/r.cfg.ramp*float64(time.Second)) + dialTimeout + joinTimeout
	rampCtx, rampDone := context.WithTimeout(ctx, ramp)
	r.connectAll(rampCtx)
	rampDone()
	if cause := context.Cause(ctx); cause != nil && parent.Err() == nil {
		return nil, cause // aborted, not interrupted
	}
	var live []*player
	for _, p := range r.players {
		if p.live.Load() {
			live = append(live, p)
		}
	}
	if len(live) == 0 && parent.Err() == nil {
		return nil, fmt.Errorf("no client connected; failures: %v", failureCounts(r.players))
	}
	if err := r.srv.exited(); err != nil {
		return nil, err
	}

	tIn := r.clk.Now() + int64(20*time.Millisecond)
	from := tIn + int64(r.cfg.warmup)
	to := from + int64(r.cfg.duration)
	r.winFrom.Store(from)
	r.winTo.Store(to)
	var senders sync.WaitGroup
	sendCtx, stopSenders := context.WithCancel(ctx)
	for _, s := range r.schedule(live, tIn, to) {
		senders.Go(func() { s.loop(sendCtx) })
	}

	r.setPhase("warmup")
	ok := parent.Err() == nil && r.sleepUntil(ctx, from)
	if ok {
		s := r.take(ctx)
		out.start = &s
		r.setPhase("measure")
		ok = r.sleepUntil(ctx, to)
	}
	if !ok {
		out.interrupted = true
		now := r.clk.Now()
		r.winTo.Store(min(to, max(now, from)))
		out.notes = append(out.notes, fmt.Sprintf("interrupted %s: partial report", r.phaseName()))
	}
	if out.start != nil {
		s := r.take(ctx)
		out.end = &s
	}
	r.checkConnections()
	out.failures = failureCounts(r.players)
	for _, n := range out.failures {
		out.failed += n
	}
	out.live = len(live)
	stopSenders()
	senders.Wait()

	r.setPhase("grace")
	grace := r.cfg.grace
	if out.interrupted {
		grace = min(grace, 500*time.Millisecond)
	}
	r.waitAcks(grace)
	r.setPhase("done")
	r.leaveRooms()
	endProgress() // the timeline is complete
	if err := r.srv.exited(); err != nil {
		out.notes = append(out.notes, err.Error())
	}
	return r.report(&out), nil
}

func (r *run) phaseName() string { return *r.phase.Load() }

// schedule spreads the live players' inputs evenly over one input period
// and their pings over one ping interval, starting at tIn, across
// cfg.senders schedulers.
func (r *run) schedule(live []*player, tIn, stopAt int64) []*scheduler {
	scheds := make([]*scheduler, min(r.cfg.senders, len(live)))
	for i := range scheds {
		scheds[i] = newScheduler(r, stopAt)
	}
	inPeriod := int64(r.cfg.inputPeriod())
	pingPeriod := int64(r.cfg.pingIval)
	n := int64(len(live))
	for i, p := range live {
		s := scheds[i%len(scheds)]
		if r.scn.sendsInputs() {
			base := tIn + int64(i)*inPeriod/n
			p.mu.Lock()
			p.track = inputTrack{Base: base, Period: inPeriod}
			p.mu.Unlock()
			s.add(p, false, base, inPeriod)
		}
		s.add(p, true, tIn+int64(i)*pingPeriod/n, pingPeriod)
	}
	return scheds
}

// waitAcks waits until every input sent has been acknowledged, or grace.
func (r *run) waitAcks(grace time.Duration) {
	deadline := time.Now().Add(grace)
	for r.acked.Load() < r.sent.Load() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
}

// leaveRooms gives up every live player's seat, so that a server that
// keeps running (-addr) does not hold the seats through its reconnection
// grace. Best effort: the replies are not awaited beyond a short pause.
func (r *run) leaveRooms() {
	r.leaving.Store(true)
	n := 0
	for _, p := range r.players {
		if p.live.Load() && p.roomID != "" {
			_ = p.conn.Send(&protocol.Envelope{Msg: &tickwirev1.Envelope_LeaveRoom{LeaveRoom: &tickwirev1.LeaveRoom{RoomId: p.roomID}}})
			n++
		}
	}
	if n > 0 {
		time.Sleep(200 * time.Millisecond)
	}
}

// failureCounts groups the players' failures by reason.
func failureCounts(players []*player) map[string]int {
	out := map[string]int{}
	for _, p := range players {
		if f := p.failure.Load(); f != nil {
			out[f.reason]++
		}
	}
	return out
}

// topFailures lists the commonest failure reasons, most frequent first.
func topFailures(m map[string]int, n int) []string {
	type kv struct {
		k string
		v int
	}
	var all []kv
	for k, v := range m {
		all = append(all, kv{k, v})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].v > all[j].v || all[i].v == all[j].v && all[i].k < all[j].k })
	var out []string
	for i, e := range all {
		if i == n {
			break
		}
		out = append(out, fmt.Sprintf("%d× %s", e.v, e.k))
	}
	return out
}

// counter counts events by name from any goroutine (loadstat.Counter).
type counter = loadstat.Counter

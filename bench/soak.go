package main

import (
	"container/heap"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lesismal/nbio/nbhttp"

	"github.com/tickwire/tickwire/internal/loadstat"
)

// soakScenario is -scenario soak: arena rooms whose bots churn (leave and
// join another room, reconnect cleanly, drop and come back) for the whole
// -duration, while the run samples the server every -sample-every. It has
// a runner of its own (soakRun) rather than the fleet's phases: its
// players change connections and seats all the time.
type soakScenario struct{ n int }

var (
	_ scenario       = soakScenario{}
	_ runnerScenario = soakScenario{}
)

func newSoakScenario(c *config) scenario { return soakScenario{n: c.rooms} }

func (soakScenario) join(context.Context, *run, *player) error { return nil }
func (soakScenario) input(*player, uint64) []byte              { return nil }
func (soakScenario) sendsInputs() bool                         { return true }
func (s soakScenario) rooms() int                              { return s.n }

// runnerScenario is a scenario that runs itself instead of going through
// the fleet's ramp, window and grace.
type runnerScenario interface {
	runAgainst(ctx context.Context, cfg *config, srv *serverTarget) (*Report, error)
}

func (soakScenario) runAgainst(ctx context.Context, cfg *config, srv *serverTarget) (*Report, error) {
	return newSoakRun(cfg, srv, os.Stderr).execute(ctx)
}

// soakRun is one soak: bots on one raw client engine, each with its own
// goroutine for its churn (they sleep between rare events), a few senders
// for every bot's inputs, and a sampler. execute starts and waits for all
// of them.
type soakRun struct {
	cfg      *config
	srv      *serverTarget
	clk      clock
	hc       *http.Client
	eng      *nbhttp.Engine
	bots     []*soakBot
	payloads [][]byte
	log      io.Writer
	tickHz   atomic.Int64

	slots   []*roomSlot // the rooms of the ramp: bot i seats in slot i mod rooms
	roomsMu sync.Mutex
	roomIDs []string // rooms bots may move to

	latency, fromSend, sendLag *recorder

	sent, acked, lost, inFlight, refused atomic.Int64
	bytesIn, bytesOut, frames            atomic.Int64
	joins, leaves, reconnects            atomic.Int64
	dropsFIN, dropsRST                   atomic.Int64
	resumed, recovered, roomsCreated     atomic.Int64

	failures      counter // churn steps that failed, by reason
	unexpected    counter // connections or seats the server ended, by reason
	resumeRefused counter // rejoins of the same room that were refused
	joinRetries   counter // joins tried again (already_in_room just after a Left)
	lossCauses    counter // why inputs were lost
	errs          counter // Error envelopes, by code

	samples      []soakSample       // the sampler's; read after it ended
	counterDelta map[string]float64 // /metrics counters, base sample to the soak's last; nil if unread
}

func newSoakRun(cfg *config, srv *serverTarget, log io.Writer) *soakRun {
	s := &soakRun{
		cfg:      cfg,
		srv:      srv,
		clk:      newClock(),
		hc:       &http.Client{Timeout: statsTimeout},
		payloads: arenaPayloads(),
		log:      log,
		latency:  newRecorder(),
		fromSend: newRecorder(),
		sendLag:  newRecorder(),
	}
	s.slots = make([]*roomSlot, cfg.rooms)
	for i := range s.slots {
		s.slots[i] = &roomSlot{ready: make(chan struct{})}
	}
	period := int64(cfg.inputPeriod())
	n := int64(cfg.clients)
	rampEnd := int64(float64(cfg.clients) / cfg.ramp * float64(time.Second))
	for i := range cfg.clients {
		s.bots = append(s.bots, &soakBot{
			idx:    i,
			s:      s,
			rng:    rand.New(rand.NewPCG(cfg.seed, uint64(i))),
			base:   rampEnd + int64(i)*period/n,
			period: period,
			lost:   make(chan struct{}, 1),
		})
	}
	return s
}

// noteTickHz checks a Joined's tick rate against -hz.
func (s *soakRun) noteTickHz(hz int) error {
	s.tickHz.CompareAndSwap(0, int64(hz))
	if hz != s.cfg.hz {
		return fmt.Errorf("%w: the server's rooms tick at %d Hz but -hz is %d", errHzMismatch, hz, s.cfg.hz)
	}
	return nil
}

func (s *soakRun) sleepUntil(ctx context.Context, t int64) bool {
	return loadstat.SleepUntil(ctx, s.clk, t)
}

// slotRoom waits for the ramp's room slot i to exist.
func (s *soakRun) slotRoom(ctx context.Context, i int) (string, error) {
	return s.slots[i].wait(ctx, i)
}

func (s *soakRun) resolveSlot(i int, id string, err error) {
	s.slots[i].resolve(id, err)
	if err == nil {
		s.addRoom(id)
	}
}

func (s *soakRun) addRoom(id string) {
	s.roomsMu.Lock()
	defer s.roomsMu.Unlock()
	if !slices.Contains(s.roomIDs, id) {
		s.roomIDs = append(s.roomIDs, id)
		if len(s.roomIDs) > len(s.slots) {
			s.roomsCreated.Add(1)
		}
	}
}

func (s *soakRun) dropRoom(id string) {
	s.roomsMu.Lock()
	defer s.roomsMu.Unlock()
	s.roomIDs = slices.DeleteFunc(s.roomIDs, func(r string) bool { return r == id })
}

// pickRoom is a random room other than not; "" (create one) when the run
// has fewer rooms left than -rooms, or none but not.
func (s *soakRun) pickRoom(rng *rand.Rand, not string) string {
	s.roomsMu.Lock()
	defer s.roomsMu.Unlock()
	if len(s.roomIDs) < len(s.slots) {
		return ""
	}
	for range 8 {
		if id := s.roomIDs[rng.IntN(len(s.roomIDs))]; id != not {
			return id
		}
	}
	return ""
}

// execute runs the soak: a baseline sample, the ramp, churn for -duration
// with a sample every -sample-every, then the bots stop, wait -grace for
// their last acknowledgements, leave and close; a last sample shows what
// the server holds once they are gone.
func (s *soakRun) execute(ctx context.Context) (*Report, error) {
	cfg := s.cfg
	eng, err := newRawEngine(cfg.enginePollers())
	if err != nil {
		return nil, err
	}
	s.eng = eng
	defer eng.Stop()
	defer s.hc.CloseIdleConnections()

	smp := newSoakSampler(s)
	smp.take(ctx, "base")
	rssBase := smp.lastRSS

	churnCtx, stopChurn := context.WithCancel(ctx)
	defer stopChurn()
	var bots, ramp sync.WaitGroup
	rampDone := make(chan struct{})
	ramp.Add(len(s.bots))
	for i, b := range s.bots {
		at := int64(float64(i) / cfg.ramp * float64(time.Second))
		bots.Go(func() { b.run(churnCtx, at, ramp.Done, rampDone) })
	}
	ramp.Wait() // each first join is bounded (soakOpTimeout + joinTimeout)
	close(rampDone)
	sendCtx, stopSenders := context.WithCancel(context.Background())
	var senders sync.WaitGroup
	for _, q := range s.senders() {
		senders.Go(func() { q.loop(sendCtx) })
	}
	defer func() { stopSenders(); senders.Wait() }()

	soakFrom := s.clk.Now()
	soakTo := soakFrom + int64(cfg.duration)
	interrupted := false
	var sampling sync.WaitGroup
	sampCtx, stopSampling := context.WithCancel(ctx)
	sampling.Go(func() { smp.loop(sampCtx, soakFrom, soakTo) })
	if !s.sleepUntil(ctx, soakTo) {
		interrupted = true
	}
	stopSampling()
	sampling.Wait()
	end := smp.take(context.WithoutCancel(ctx), "soak") // the soak's last sample, with every bot still in

	stopChurn()
	bots.Wait()
	seated := 0
	for _, b := range s.bots {
		if _, ok := b.seated(); ok {
			seated++
		}
	}
	stopSenders()
	senders.Wait()
	s.waitAcks(cfg.grace)
	s.leaveAll()
	smp.settle(context.WithoutCancel(ctx))
	smp.take(context.WithoutCancel(ctx), "end")

	s.counterDelta = metricDelta(smp.counters[true], smp.counters[false])
	rep := s.report(end, seated, rssBase, soakFrom, interrupted)
	rep.ServerCounters = s.counterDelta
	if interrupted {
		rep.Interrupted = true
		rep.Notes = append(rep.Notes, "interrupted: partial report")
	}
	if err := s.srv.exited(); err != nil {
		rep.Notes = append(rep.Notes, err.Error())
	}
	return rep, nil
}

// waitAcks waits until every input sent was acknowledged or counted, or
// grace passed.
func (s *soakRun) waitAcks(grace time.Duration) {
	deadline := time.Now().Add(grace)
	for s.acked.Load()+s.lost.Load()+s.inFlight.Load() < s.sent.Load() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
}

// leaveAll makes every bot give its seat up and close, 64 at a time.
func (s *soakRun) leaveAll() {
	jobs := make(chan *soakBot)
	var wg sync.WaitGroup
	for range min(64, len(s.bots)) {
		wg.Go(func() {
			for b := range jobs {
				b.leaveForGood()
			}
		})
	}
	for _, b := range s.bots {
		jobs <- b
	}
	close(jobs)
	wg.Wait()
}

// senders spreads the bots' inputs over -senders goroutines.
func (s *soakRun) senders() []*soakSender {
	qs := make([]*soakSender, min(s.cfg.senders, len(s.bots)))
	for i := range qs {
		qs[i] = &soakSender{s: s}
	}
	for i, b := range s.bots {
		q := qs[i%len(qs)]
		q.jobs = append(q.jobs, &soakJob{due: b.base, b: b})
	}
	return qs
}

// soakSender sends the inputs of a share of the bots from one goroutine,
// at their absolute due times (input seq k of a bot at base + (k-1)·period);
// a bot away at its due time skips that input.
type soakSender struct {
	s    *soakRun
	jobs soakHeap
	buf  []byte
}

type soakJob struct {
	due int64
	n   uint64
	b   *soakBot
}

type soakHeap []*soakJob

func (h soakHeap) Len() int           { return len(h) }
func (h soakHeap) Less(i, j int) bool { return h[i].due < h[j].due }
func (h soakHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *soakHeap) Push(x any)        { *h = append(*h, x.(*soakJob)) }
func (h *soakHeap) Pop() any {
	old := *h
	j := old[len(old)-1]
	*h = old[:len(old)-1]
	return j
}

func (q *soakSender) loop(ctx context.Context) {
	heap.Init(&q.jobs)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for len(q.jobs) > 0 {
		j := q.jobs[0]
		now := q.s.clk.Now()
		if j.due > now {
			timer.Reset(time.Duration(j.due - now))
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
			continue
		}
		if ctx.Err() != nil {
			return
		}
		q.buf = j.b.sendInput(q.buf, j.n+1, now)
		j.n++
		j.due = j.b.base + int64(j.n)*j.b.period
		heap.Fix(&q.jobs, 0)
	}
}

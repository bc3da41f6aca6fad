package loadtest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/client"
	"github.com/tickwire/tickwire/internal/loadstat"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
)

// Dial and join bounds per bot.
const (
	dialTimeout = 10 * time.Second
	joinTimeout = 15 * time.Second
)

// core is the part of a run that does not depend on the game's state
// type: the clock, the players, the recorders and the counters.
type core struct {
	cfg     Config
	clk     loadstat.Clock
	hc      *http.Client
	players []*Player

	latency  *loadstat.Recorder // input-to-state from the due time (CO-corrected)
	fromSend *loadstat.Recorder // input-to-state from the actual send
	sendLag  *loadstat.Recorder // how late the schedulers sent
	errs     loadstat.Counter   // Error envelopes from the server, by code

	sent, acked    atomic.Int64
	winFrom, winTo atomic.Int64 // the measured window on the run clock
	tickHz         atomic.Int64 // as the first Joined said
	phase          atomic.Pointer[string]
	leaving        atomic.Bool // the run gives its seats up: Left is expected
	replicaErrs    atomic.Int64
	snapshots      atomic.Int64
	deltas         atomic.Int64

	roomsMu sync.Mutex
	rooms   map[string]bool

	// Written by the progress goroutine only; read after it ended.
	timeline []loadstat.TimePoint
}

func (c *core) setPhase(p string) { c.phase.Store(&p) }
func (c *core) phaseName() string { return *c.phase.Load() }

// window is the measured window [from, to) on the run clock.
func (c *core) window() (from, to int64) { return c.winFrom.Load(), c.winTo.Load() }

func (c *core) inWindow(t int64) bool {
	from, to := c.window()
	return t >= from && t < to
}

// noteJoined counts a Joined's room and keeps the first tick rate.
func (c *core) noteJoined(j *tickwirev1.Joined) {
	c.tickHz.CompareAndSwap(0, int64(j.TickHz))
	c.roomsMu.Lock()
	c.rooms[j.RoomId] = true
	c.roomsMu.Unlock()
}

// run is one load test of a game whose state is S.
type run[S proto.Message] struct {
	*core
	bot      Bot[S]
	eng      *client.Engine
	replicas []*client.Replica[S] // by player index, each guarded by its player's mu
}

// Run connects cfg.Clients bots to cfg.URL at cfg.Ramp a second, seats
// each with bot.Join, sends each bot's inputs at cfg.InputHz through a
// warm-up and the measured window, and returns the report (also written
// to cfg.JSON and drawn to cfg.Plot when set). A bad Config is an
// ErrConfig; a run in which no bot joined is an ErrNoClient. When ctx ends
// early the report is partial (Report.Interrupted) and the error nil.
func Run[S proto.Message](ctx context.Context, cfg Config, bot Bot[S]) (*Report, error) {
	cfg, err := cfg.withDefaults()
	if err = errors.Join(err, bot.validate()); err != nil {
		return nil, err
	}
	eng, err := client.NewEngine(0)
	if err != nil {
		return nil, err
	}
	defer eng.Close()
	r := &run[S]{
		core: &core{
			cfg:      cfg,
			clk:      loadstat.NewClock(),
			hc:       &http.Client{Timeout: loadstat.StatsTimeout},
			latency:  loadstat.NewRecorder(),
			fromSend: loadstat.NewRecorder(),
			sendLag:  loadstat.NewRecorder(),
			rooms:    map[string]bool{},
		},
		bot:      bot,
		eng:      eng,
		replicas: make([]*client.Replica[S], cfg.Clients),
	}
	defer r.hc.CloseIdleConnections()
	r.winFrom.Store(math.MaxInt64)
	r.winTo.Store(math.MaxInt64)
	r.setPhase("start")
	for i := range cfg.Clients {
		p := newPlayer(r.core, i)
		p.frame = func(f *tickwirev1.StateFrame, now int64) { r.frame(p, f, now) }
		r.players = append(r.players, p)
		r.replicas[i] = client.NewReplica[S]("") // the room is the first frame's
	}
	rep, err := r.execute(ctx)
	if err != nil {
		return nil, err
	}
	if cfg.JSON != "" {
		if err := rep.WriteJSON(cfg.JSON); err != nil {
			return rep, err
		}
	}
	if cfg.Plot != "" {
		if err := rep.WritePlot(cfg.Plot); err != nil {
			return rep, fmt.Errorf("plot %s: %w", cfg.Plot, err)
		}
	}
	return rep, nil
}

// execute runs the phases: ramp, warm-up, the measured window, grace.
func (r *run[S]) execute(ctx context.Context) (*Report, error) {
	defer r.closeAll()
	var progress sync.WaitGroup
	progCtx, stopProgress := context.WithCancel(context.Background())
	progress.Go(func() { r.progress(progCtx) })
	endProgress := func() {
		stopProgress()
		progress.Wait()
	}
	defer endProgress()

	r.setPhase("ramp")
	ramp := time.Duration(float64(len(r.players))/r.cfg.Ramp*float64(time.Second)) + dialTimeout + joinTimeout
	rampCtx, rampDone := context.WithTimeout(ctx, ramp)
	r.connectAll(rampCtx)
	rampDone()
	var live []*Player
	for _, p := range r.players {
		if p.live.Load() {
			live = append(live, p)
		}
	}
	if len(live) == 0 && ctx.Err() == nil {
		return nil, fmt.Errorf("%w; failures: %v", ErrNoClient, failureCounts(r.players))
	}

	tIn := r.clk.Now() + int64(20*time.Millisecond)
	from := tIn + int64(r.cfg.Warmup)
	to := from + int64(r.cfg.Duration)
	r.winFrom.Store(from)
	r.winTo.Store(to)
	var senders sync.WaitGroup
	sendCtx, stopSenders := context.WithCancel(ctx)
	defer stopSenders()
	for _, s := range r.schedule(live, tIn, to) {
		senders.Go(func() { s.Loop(sendCtx) })
	}

	var out outcome
	r.setPhase("warmup")
	ok := loadstat.SleepUntil(ctx, r.clk, from)
	if ok {
		s := r.take(ctx)
		out.start = &s
		r.setPhase("measure")
		ok = loadstat.SleepUntil(ctx, r.clk, to)
	}
	if !ok {
		out.interrupted = true
		r.winTo.Store(min(to, max(r.clk.Now(), from)))
		out.notes = append(out.notes, "interrupted "+r.phaseName()+": partial report")
	}
	if out.start != nil {
		s := r.take(ctx)
		out.end = &s
	}
	r.checkConnections()
	out.live = len(live)
	stopSenders()
	senders.Wait()

	r.setPhase("grace")
	grace := r.cfg.Grace
	if out.interrupted {
		grace = min(grace, 500*time.Millisecond)
	}
	r.waitAcks(grace)
	r.setPhase("done")
	r.leaveRooms()
	endProgress()
	return r.report(&out), nil
}

// connectAll opens and seats every player at cfg.Ramp connections a
// second; it returns when every player is live or failed.
func (r *run[S]) connectAll(ctx context.Context) {
	loadstat.Ramp(ctx, len(r.players), r.cfg.Ramp, func(i int) { r.connect(ctx, r.players[i]) }, func(i int) {
		for _, p := range r.players[i:] {
			p.fail("not connected: " + context.Cause(ctx).Error())
		}
	})
}

// connect dials p, waits for its Welcome and joins it, or marks it failed.
func (r *run[S]) connect(ctx context.Context, p *Player) {
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	c, err := client.Dial(dctx, r.cfg.URL, client.Options{
		Engine:      r.eng,
		OnEnvelope:  p.onEnvelope,
		DialTimeout: dialTimeout,
	})
	cancel()
	if err != nil {
		p.fail(loadstat.FailureReason("dial", err))
		return
	}
	p.Conn = c
	jctx, cancel := context.WithTimeout(ctx, joinTimeout)
	defer cancel()
	select {
	case <-p.welcomed:
	case <-c.Done():
		p.fail(loadstat.FailureReason("welcome", c.Err()))
		return
	case <-jctx.Done():
		p.fail(loadstat.FailureReason("welcome", jctx.Err()))
		return
	}
	join := r.bot.Join
	if join == nil {
		join = r.quickJoin
	}
	if err := join(jctx, p); err != nil {
		p.fail(loadstat.FailureReason("join", err))
		return
	}
	if p.roomID == "" {
		p.fail("join: Bot.Join returned without joining a room (Player.JoinRoom)")
		return
	}
	// Live, unless it failed meanwhile: fail clears live after it records
	// the failure, so one of the two orders always ends not live.
	p.live.Store(true)
	if p.failed() {
		p.live.Store(false)
	}
}

// quickJoin is the default Bot.Join: the game's fullest room with a
// seat, or a new one. Dialers join at once, so the room chosen may fill
// before the join lands: a room-full refusal is tried again.
func (r *run[S]) quickJoin(ctx context.Context, p *Player) error {
	for {
		_, err := p.JoinRoom(ctx, &tickwirev1.JoinRoom{Game: r.bot.Game})
		if !errors.Is(err, &protocol.Error{Code: protocol.CodeRoomFull}) || ctx.Err() != nil {
			return err
		}
	}
}

// frame applies f, received at now, to p's replica and acknowledges the
// inputs it covers; it runs on a poller.
func (r *run[S]) frame(p *Player, f *tickwirev1.StateFrame, now int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	rep := r.replicas[p.Index]
	if rep.RoomID == "" {
		rep.RoomID = f.RoomId
	}
	applied, err := rep.Apply(f)
	if err != nil {
		r.replicaErrs.Add(1)
		p.fail("replica: " + loadstat.Truncate(err.Error(), 100))
		return
	}
	if !applied {
		return // another room's frame
	}
	if _, snap := f.Body.(*tickwirev1.StateFrame_Snapshot); snap {
		r.snapshots.Add(1)
	} else if f.Body != nil {
		r.deltas.Add(1)
	}
	p.ack(f.LastInputSeq, now)
	if r.bot.Frame != nil {
		r.bot.Frame(p, rep.State, f.Tick)
	}
}

// schedule spreads the live players' inputs evenly over one input period
// from tIn, across a few schedules.
func (r *run[S]) schedule(live []*Player, tIn, stopAt int64) []*loadstat.Schedule {
	scheds := make([]*loadstat.Schedule, min(max(runtime.GOMAXPROCS(0)/2, 1), 4, len(live)))
	senders := make([]*sender[S], len(scheds))
	for i := range scheds {
		scheds[i] = loadstat.NewSchedule(r.clk, stopAt)
		senders[i] = &sender[S]{r: r}
		senders[i].env.Msg = &tickwirev1.Envelope_Input{Input: &senders[i].input}
	}
	period := int64(r.cfg.inputPeriod())
	n := int64(len(live))
	for i, p := range live {
		base := tIn + int64(i)*period/n
		p.mu.Lock()
		p.track = loadstat.InputTrack{Base: base, Period: period}
		p.mu.Unlock()
		s := senders[i%len(senders)]
		scheds[i%len(scheds)].Add(base, period, p.live.Load, func(k uint64, due, now int64) { s.send(p, k+1, due, now) })
	}
	return scheds
}

// sender sends the inputs of one schedule; only its goroutine uses it.
type sender[S proto.Message] struct {
	r     *run[S]
	input tickwirev1.Input
	env   protocol.Envelope
}

// send sends p's input seq, due at due, at now.
func (s *sender[S]) send(p *Player, seq uint64, due, now int64) {
	r := s.r
	p.mu.Lock()
	msg := r.bot.Input(p, seq, r.replicas[p.Index].State)
	p.mu.Unlock()
	var payload []byte
	if msg != nil {
		var err error
		if payload, err = proto.Marshal(msg); err != nil {
			p.fail("encode input: " + err.Error())
			return
		}
	}
	s.input.RoomId, s.input.Seq, s.input.Payload = p.roomID, seq, payload
	// The ref names the input in an Error refusing it.
	s.env.Ref = uint32(seq)
	buf, err := protocol.Encode(&s.env)
	if err != nil {
		p.fail("encode input: " + err.Error())
		return
	}
	defer buf.Release()
	// Counted sent before it is: the frame acknowledging it may arrive on
	// a poller before SendRaw returns.
	p.mu.Lock()
	prev := p.track.Sent
	p.track.NoteSent(seq, now)
	p.mu.Unlock()
	if err := p.Conn.SendRaw(buf.B); err != nil {
		p.mu.Lock()
		p.track.Sent = prev
		p.mu.Unlock()
		p.fail(loadstat.FailureReason("send input", err))
		return
	}
	r.sent.Add(1)
	p.bytesOut.Add(int64(loadstat.WireSize(len(buf.B), true)))
	r.sendLag.Record(p.Index, now-due, r.inWindow(due))
}

// waitAcks waits until every input sent has been acknowledged, or grace.
func (r *run[S]) waitAcks(grace time.Duration) {
	deadline := time.Now().Add(grace)
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for r.acked.Load() < r.sent.Load() && time.Now().Before(deadline) {
		<-t.C
	}
}

// checkConnections marks failed every live player whose connection ended.
func (c *core) checkConnections() {
	for _, p := range c.players {
		if p.live.Load() {
			if err := p.Conn.Err(); err != nil {
				p.fail(loadstat.FailureReason("connection", err))
			}
		}
	}
}

// leaveRooms gives up every live player's seat, so that the server does
// not hold them through its reconnection grace, and waits a moment for
// the Left replies.
func (r *run[S]) leaveRooms() {
	r.leaving.Store(true)
	var waiting []*Player
	for _, p := range r.players {
		if p.live.Load() {
			if p.Conn.Send(&protocol.Envelope{Msg: &tickwirev1.Envelope_LeaveRoom{LeaveRoom: &tickwirev1.LeaveRoom{RoomId: p.roomID}}}) == nil {
				waiting = append(waiting, p)
			}
		}
	}
	deadline := time.NewTimer(time.Second)
	defer deadline.Stop()
	for _, p := range waiting {
		select {
		case <-p.left:
		case <-p.Conn.Done():
		case <-deadline.C:
			return
		}
	}
}

// closeAll closes every connection, at most a second each, all at once.
func (r *run[S]) closeAll() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for _, p := range r.players {
		if p.Conn != nil {
			wg.Go(func() { _ = p.Conn.Close(ctx) })
		}
	}
	wg.Wait()
}

// failureCounts groups the players' failures by reason.
func failureCounts(players []*Player) map[string]int {
	out := map[string]int{}
	for _, p := range players {
		if f := p.failure.Load(); f != nil {
			out[*f]++
		}
	}
	return out
}

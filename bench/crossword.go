package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/client"
	"github.com/tickwire/tickwire/examples/crossword"
	crosswordv1 "github.com/tickwire/tickwire/proto/tickwire/crossword/v1"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
)

// crosswordScenario puts every client in the crossword's one shared world
// (JoinRoom{game: "crossword"}) as a bot that pans its view and plays
// words. Every input is one action, at -input-hz per bot: a play attempt
// with probability -play-share, otherwise a pan.
//
//   - A pan moves the view (crosswordViewW × crosswordViewH cells) a few
//     cells in a random direction: a random walk around the bot's home,
//     which is a point near the centre for a newcomer and its last word
//     afterwards, so that views overlap around the action and spread as
//     the board grows.
//   - A play attempt uses the game's own Finder on the bot's topic
//     replicas (client.Topics: its chunks, its rack, the overview): a
//     newcomer builds on anyone's tiles, then only on its own. The search
//     runs on a planner goroutine crosswordPlanLead before the bot's next
//     input is due, once its state reflects its previous input, so the
//     scheduler only sends what was prepared. A bot
//     that found nothing swaps its rack while it has lives (a newcomer
//     with no tile in view walks home instead), and pans otherwise. A play
//     that was not ready in time, or would come within the game's action
//     cooldown, becomes a pan.
//
// Latency is the generic input-to-state latency: every input's seq comes
// back in the last_input_seq of the receiver's next frame, of any topic or
// none (an empty frame). A play or swap the game refuses is answered with
// an Error INPUT_REFUSED carrying its input_seq and still acknowledged by
// the frame after: it is counted as refused by reason (the crossword block
// of the report), not as lost. Inputs refused before reaching the game
// (rate limits) stay in the generic inputs_refused.
type crosswordScenario struct {
	playShare float64
	cooldown  int64 // run-clock ns a bot waits between two plays or swaps, unless the rules say otherwise
	period    int64 // the tick period, ns
	bots      []*cwBot
	queue     chan cwPlan // bots waiting for the planner, by the time to plan
	planners  int

	// Counters of the inputs due in the measured window, by kind.
	sent, accepted, refused [cwKinds]atomic.Int64
	planMissed              atomic.Int64               // a play attempt whose plan was not ready: panned
	cooling                 atomic.Int64               // a play attempt within the cooldown: panned
	stuck                   atomic.Int64               // plans that found no play
	queueFull               atomic.Int64               // plans dropped: the planner's queue was full
	replicaErrs             atomic.Int64               // frames a replica could not apply
	reasons                 counter                    // game refusals by reason
	frames, frameBytes      [cwFrameKinds]atomic.Int64 // received in the window, by kind

	mu         sync.Mutex              // guards the histograms
	playLat    *hdrhistogram.Histogram // input-to-state of accepted plays in the window
	finderTime *hdrhistogram.Histogram // Finder.Find, every plan
}

var (
	_ scenario           = (*crosswordScenario)(nil)
	_ envelopeScenario   = (*crosswordScenario)(nil)
	_ backgroundScenario = (*crosswordScenario)(nil)
	_ reportingScenario  = (*crosswordScenario)(nil)
)

// The bots' view and walk, in cells.
const (
	// crosswordViewW and crosswordViewH are the view a bot asks for: the
	// largest the game allows (Rules.max_view), so 9 × 9 chunk topics
	// when not aligned, the heaviest interest a client can have.
	crosswordViewW = crossword.MaxView
	crosswordViewH = crossword.MaxView
	// crosswordStep is the largest move of one pan on each axis.
	crosswordStep = 12
	// crosswordRoam is how far the view's centre strays from home.
	crosswordRoam = 40
	// crosswordNewcomerSpread is how far from the centre a newcomer's
	// home lies.
	crosswordNewcomerSpread = 48
	// crosswordBudget is the Finder's budget of dictionary words per
	// plan: 0.3 ms at p50 on the 2-core development machine; with 2,000
	// words 60% of the searches found nothing, with 6,000 45%.
	crosswordBudget = 6000
	// crosswordQueue bounds the planner's queue.
	crosswordQueue = 4096
	// crosswordPlanLead is how long before a bot's next input the planner
	// searches: the later, the fewer other words have landed on the
	// board since (a stale plan is refused as occupied or not_a_word),
	// but the search must finish in time.
	crosswordPlanLead = 150 * time.Millisecond
)

// cwPlan asks the planner to plan for bot at run-clock time at.
type cwPlan struct {
	bot *cwBot
	at  int64
}

// Kinds of crossword input.
const (
	cwPan = iota
	cwPlay
	cwSwap
	cwKinds
)

var cwKindNames = [cwKinds]string{"pan", "play", "swap"}

// Kinds of state frame a bot receives.
const (
	cwChunkDelta    = iota // a chunk in view changed
	cwChunkSnapshot        // a chunk came into view
	cwUnsubscribed         // a topic left the view
	cwMe                   // the bot's own state
	cwOverview             // the overview (about once a second)
	cwLeaderboard          // the leaderboard
	cwEmpty                // no topic: only last_input_seq
	cwFrameKinds
)

var cwFrameNames = [cwFrameKinds]string{"chunk_delta", "chunk_snapshot", "unsubscribed", "me", "overview", "leaderboard", "empty"}

// cwSlots is how many inputs in flight a bot remembers the kind of.
const cwSlots = 64

// cwSlot is one input a bot sent, until a frame acknowledges it.
type cwSlot struct {
	seq     uint64
	due     int64
	kind    uint8
	window  bool // due in the measured window
	refused bool
}

// cwBot is one client's bot. Its pollers apply frames, the scheduler asks
// for inputs and the planner finds plays, each under mu.
type cwBot struct {
	mu     sync.Mutex
	topics *client.Topics[*crosswordv1.State] // nil until the first frame
	me     string                             // its "me:" topic
	rng    *rand.Rand

	homeX, homeY int // the walk's centre (cells)
	offX, offY   int // the view centre's offset from home

	sent       uint64 // highest seq sent
	nextDue    int64  // run clock at which input sent+1 is due
	acked      uint64 // highest seq a frame covered
	lastAction int64  // run clock of its last play or swap
	wantPlay   bool   // the next input is a play attempt

	queued      bool   // waiting for the planner
	queuedAfter uint64 // sent when it was queued
	planned     bool   // plan is ready for the next input
	plan        []*crosswordv1.Tile
	canSwap     bool // stuck with lives left and tiles it could build on

	slots [cwSlots]cwSlot
}

func newCrosswordScenario(c *config) scenario {
	s := &crosswordScenario{
		playShare:  c.playShare,
		cooldown:   int64(crossword.DefaultActionCooldown + c.period()),
		period:     int64(c.period()),
		bots:       make([]*cwBot, c.clients),
		queue:      make(chan cwPlan, crosswordQueue),
		planners:   1,
		playLat:    newHist(),
		finderTime: newHist(),
	}
	for i := range s.bots {
		rng := rand.New(rand.NewPCG(uint64(i)+1, 0x63726f7373776f72))
		b := &cwBot{rng: rng}
		b.homeX = crossword.Centre + rng.IntN(2*crosswordNewcomerSpread+1) - crosswordNewcomerSpread
		b.homeY = crossword.Centre + rng.IntN(2*crosswordNewcomerSpread+1) - crosswordNewcomerSpread
		b.wantPlay = rng.Float64() < c.playShare
		s.bots[i] = b
	}
	return s
}

func (s *crosswordScenario) rooms() int        { return 1 }
func (s *crosswordScenario) sendsInputs() bool { return true }

// join takes a seat in the world; the lobby (or an open server) finds the
// world's room by game.
func (s *crosswordScenario) join(ctx context.Context, r *run, p *player) error {
	req := &tickwirev1.JoinRoom{Game: crossword.Name}
	reply, err := p.conn.Request(ctx, &protocol.Envelope{Msg: &tickwirev1.Envelope_JoinRoom{JoinRoom: req}})
	if err == nil && reply.GetJoined() == nil {
		err = fmt.Errorf("JoinRoom answered with %T", reply.Msg)
	}
	if err != nil {
		return fmt.Errorf("join the crossword: %w", err)
	}
	j := reply.GetJoined()
	b := s.bots[p.idx]
	b.mu.Lock()
	b.me = crossword.TopicMe + j.PlayerId
	b.mu.Unlock()
	p.roomID = j.RoomId
	return r.noteTickHz(int(j.TickHz))
}

// start runs the planner until the returned stop is called.
func (s *crosswordScenario) start(ctx context.Context, r *run) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for i := range s.planners {
		f := crossword.NewFinder(nil, uint64(i)+1)
		wg.Go(func() { s.planLoop(ctx, r, f) })
	}
	return func() {
		cancel()
		wg.Wait()
	}
}

// planLoop plans for the queued bots, each crosswordPlanLead before its
// next input. Bots are queued about in the order of their next inputs
// (when their previous one was applied), so waiting for the head of the
// queue delays no one much.
func (s *crosswordScenario) planLoop(ctx context.Context, r *run, f *crossword.Finder) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		var pl cwPlan
		select {
		case <-ctx.Done():
			return
		case pl = <-s.queue:
		}
		if d := time.Duration(pl.at - r.clk.Now()); d > 0 {
			timer.Reset(d)
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
		}
		s.planFor(pl.bot, f)
	}
}

// planFor finds b's next play on its replicas, if b still wants one.
func (s *crosswordScenario) planFor(b *cwBot, f *crossword.Finder) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.queued = false
	if b.queuedAfter != b.sent || !b.wantPlay || b.topics == nil {
		return // an input went out meanwhile: the plan would be stale
	}
	me := b.meState()
	if me == nil {
		return
	}
	chunks := make(map[uint32]*crosswordv1.Chunk, 96)
	anyTiles := false
	for name, rep := range b.topics.Replicas {
		if !strings.HasPrefix(name, "c:") {
			continue
		}
		for k, c := range rep.State.Chunks {
			chunks[k] = c
			anyTiles = anyTiles || len(c.Placed) > 0
		}
	}
	worldEmpty := !anyTiles
	if ov := b.overview(); ov != nil && ov.TotalTiles > 0 {
		worldEmpty = false
	}
	t0 := time.Now()
	b.plan = f.Find(chunks, worldEmpty, me, crosswordBudget)
	d := time.Since(t0)
	b.planned = true
	ownInView := false
	if b.plan == nil {
		s.stuck.Add(1)
		for _, c := range chunks {
			for _, pl := range c.Placed {
				if me.Words == 0 || pl.Player == me.Number {
					ownInView = true
					break
				}
			}
		}
	}
	b.canSwap = b.plan == nil && me.Lives > 0 && ownInView
	s.mu.Lock()
	recordNS(s.finderTime, int64(d))
	s.mu.Unlock()
}

// meState is the bot's own Player from its "me:" replica, or nil.
func (b *cwBot) meState() *crosswordv1.Player {
	if b.topics == nil {
		return nil
	}
	rep := b.topics.Replicas[b.me]
	if rep == nil {
		return nil
	}
	for _, p := range rep.State.Players {
		return p
	}
	return nil
}

// overview is the world's overview from the bot's replica, or nil.
func (b *cwBot) overview() *crosswordv1.Overview {
	if b.topics == nil {
		return nil
	}
	if rep := b.topics.Replicas[crossword.TopicOverview]; rep != nil {
		return rep.State.Overview
	}
	return nil
}

// rules are the world's rules from the bot's overview replica, or nil.
func (b *cwBot) rules() *crosswordv1.Rules {
	if b.topics == nil {
		return nil
	}
	if rep := b.topics.Replicas[crossword.TopicOverview]; rep != nil {
		return rep.State.Rules
	}
	return nil
}

// input chooses and encodes p's next action.
func (s *crosswordScenario) input(p *player, seq uint64) []byte {
	r := p.r
	p.mu.Lock()
	due := p.track.Due(seq)
	p.mu.Unlock()
	from, to := r.window()
	inWin := due >= from && due < to
	now := r.clk.Now()

	b := s.bots[p.idx]
	b.mu.Lock()
	defer b.mu.Unlock()
	kind := cwPan
	var in crosswordv1.Input
	cooldown := s.cooldown
	if rules := b.rules(); rules != nil {
		cooldown = int64(rules.ActionCooldownMs)*int64(time.Millisecond) + s.period
	}
	if b.wantPlay {
		switch {
		case !b.planned:
			if inWin {
				s.planMissed.Add(1)
			}
		case now-b.lastAction < cooldown:
			if inWin {
				s.cooling.Add(1)
			}
		case b.plan != nil:
			kind = cwPlay
			in.Action = &crosswordv1.Input_Play{Play: &crosswordv1.Play{Tiles: b.plan}}
			b.homeX, b.homeY = int(b.plan[0].X), int(b.plan[0].Y)
			b.offX, b.offY = b.offX/2, b.offY/2
		case b.canSwap:
			kind = cwSwap
			in.Action = &crosswordv1.Input_Swap{Swap: &crosswordv1.Swap{}}
		default: // nothing to build on in view: head home
			b.offX, b.offY = 0, 0
		}
	}
	if kind == cwPan {
		in.Action = &crosswordv1.Input_View{View: b.pan()}
	} else {
		b.lastAction = now
	}
	b.sent = seq
	b.nextDue = due + int64(r.cfg.inputPeriod())
	b.planned, b.plan, b.canSwap = false, nil, false
	b.wantPlay = b.rng.Float64() < s.playShare
	b.slots[seq%cwSlots] = cwSlot{seq: seq, due: due, kind: uint8(kind), window: inWin}
	if inWin {
		s.sent[kind].Add(1)
	}
	out, err := proto.Marshal(&in)
	if err != nil {
		panic(err) // a well-formed message always encodes
	}
	return out
}

// pan moves the view's centre a random step (never zero) within
// crosswordRoam of home and returns the view.
func (b *cwBot) pan() *crosswordv1.View {
	for {
		dx := b.rng.IntN(2*crosswordStep+1) - crosswordStep
		dy := b.rng.IntN(2*crosswordStep+1) - crosswordStep
		x := min(max(b.offX+dx, -crosswordRoam), crosswordRoam)
		y := min(max(b.offY+dy, -crosswordRoam), crosswordRoam)
		if x != b.offX || y != b.offY {
			b.offX, b.offY = x, y
			break
		}
	}
	x := b.homeX + b.offX - crosswordViewW/2
	y := b.homeY + b.offY - crosswordViewH/2
	x = min(max(x, 0), crossword.WorldSize-crosswordViewW)
	y = min(max(y, 0), crossword.WorldSize-crosswordViewH)
	return &crosswordv1.View{X: int32(x), Y: int32(y), W: crosswordViewW, H: crosswordViewH}
}

// onEnvelope keeps p's replicas and the accounting of its actions; it runs
// on a poller and does not block beyond the bot's lock.
func (s *crosswordScenario) onEnvelope(p *player, env *protocol.Envelope, size int, now int64) {
	b := s.bots[p.idx]
	switch m := env.Msg.(type) {
	case *tickwirev1.Envelope_State:
		f := m.State
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.topics == nil {
			b.topics = client.NewTopics[*crosswordv1.State](f.RoomId)
		}
		if p.r.inWindow(now) {
			k := frameKind(f, b.me)
			s.frames[k].Add(1)
			s.frameBytes[k].Add(int64(wireSize(size, false)))
		}
		topic, _, err := b.topics.Apply(f)
		if err != nil {
			s.replicaErrs.Add(1)
		}
		s.ackLocked(b, f.LastInputSeq, now)
		if topic == b.me && b.me != "" && f.LastInputSeq >= b.sent && b.wantPlay && !b.planned && !b.queued {
			b.queued, b.queuedAfter = true, b.sent
			select {
			case s.queue <- cwPlan{bot: b, at: b.nextDue - int64(crosswordPlanLead)}:
			default:
				b.queued = false
				s.queueFull.Add(1)
			}
		}
	case *tickwirev1.Envelope_Error:
		e := m.Error
		if e.Code != tickwirev1.ErrorCode_ERROR_CODE_INPUT_REFUSED || e.InputSeq == 0 {
			return
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		sl := &b.slots[e.InputSeq%cwSlots]
		if sl.seq != e.InputSeq || sl.refused {
			return
		}
		sl.refused = true
		if sl.window {
			s.refused[sl.kind].Add(1)
			reason, _, _ := strings.Cut(e.Message, ":")
			s.reasons.Add(cwKindNames[sl.kind] + " " + reason)
		}
	}
}

// frameKind classifies a state frame for the report.
func frameKind(f *tickwirev1.StateFrame, me string) int {
	t := f.GetTopic()
	switch {
	case t == "":
		return cwEmpty
	case f.GetUnsubscribed():
		return cwUnsubscribed
	case t == me:
		return cwMe
	case t == crossword.TopicOverview:
		return cwOverview
	case t == crossword.TopicLeaderboard:
		return cwLeaderboard
	case f.GetSnapshot() != nil:
		return cwChunkSnapshot
	}
	return cwChunkDelta
}

// ackLocked settles the inputs a frame with last_input_seq l newly covers:
// an acknowledged play or swap not refused was accepted.
func (s *crosswordScenario) ackLocked(b *cwBot, l uint64, now int64) {
	hi := min(l, b.sent)
	for k := b.acked + 1; k <= hi; k++ {
		sl := &b.slots[k%cwSlots]
		if sl.seq != k || !sl.window || sl.refused {
			continue
		}
		s.accepted[sl.kind].Add(1)
		if sl.kind == cwPlay {
			s.mu.Lock()
			recordNS(s.playLat, now-sl.due)
			s.mu.Unlock()
		}
	}
	b.acked = max(b.acked, hi)
}

// crosswordReport is the crossword block of the report: the inputs due in
// the measured window by kind, and how the bots fared.
type crosswordReport struct {
	// PlayShare is -play-share: the share of inputs that try to play.
	PlayShare float64 `json:"play_share"`
	// View is the bots' view, "W×H" cells.
	View string `json:"view"`
	// Pans, Plays and Swaps were sent; *Accepted were acknowledged without
	// an Error, *Refused answered with Error INPUT_REFUSED (Refusals says
	// why, by kind and reason).
	Pans          int64          `json:"pans"`
	Plays         int64          `json:"plays"`
	PlaysAccepted int64          `json:"plays_accepted"`
	PlaysRefused  int64          `json:"plays_refused"`
	Swaps         int64          `json:"swaps"`
	SwapsAccepted int64          `json:"swaps_accepted"`
	SwapsRefused  int64          `json:"swaps_refused"`
	Refusals      map[string]int `json:"refusals,omitempty"`
	PlaysPerS     float64        `json:"plays_accepted_per_s"`
	PlayLatencyMs Percentiles    `json:"play_latency_ms"`
	PlanMissed    int64          `json:"plan_missed"`
	Cooldown      int64          `json:"cooldown_pans"`
	Stuck         int64          `json:"stuck"`
	QueueFull     int64          `json:"planner_queue_full"`
	ReplicaErrors int64          `json:"replica_errors"`
	FinderMs      Percentiles    `json:"finder_ms"`
	TopicsPerBot  float64        `json:"topics_per_bot"`
	// FramesPerBotS and BytesPerBotS split frames_per_client_s and the
	// inbound bytes by kind of frame: chunk_delta, chunk_snapshot,
	// unsubscribed, me, overview, leaderboard, empty (only
	// last_input_seq).
	FramesPerBotS map[string]float64 `json:"frames_per_bot_s"`
	BytesPerBotS  map[string]float64 `json:"bytes_per_bot_s"`
	BoardTiles    uint64             `json:"board_tiles"`
	WorldPlayers  uint32             `json:"world_players"`
	PlayersOnline uint32             `json:"players_online"`
	BoardRegions  int                `json:"board_regions"`
	ViewerRegions int                `json:"viewer_regions"`
}

// fillReport adds the crossword block to rep.
func (s *crosswordScenario) fillReport(r *run, rep *Report) {
	var topics, bots int64
	var ov *crosswordv1.Overview
	for _, b := range s.bots {
		b.mu.Lock()
		if b.topics != nil {
			topics += int64(len(b.topics.Replicas))
			bots++
			if o := b.overview(); o != nil && (ov == nil || o.TotalTiles > ov.TotalTiles) {
				ov = proto.CloneOf(o)
			}
		}
		b.mu.Unlock()
	}
	c := &crosswordReport{
		PlayShare:     s.playShare,
		View:          fmt.Sprintf("%d×%d", crosswordViewW, crosswordViewH),
		Pans:          s.sent[cwPan].Load(),
		Plays:         s.sent[cwPlay].Load(),
		PlaysAccepted: s.accepted[cwPlay].Load(),
		PlaysRefused:  s.refused[cwPlay].Load(),
		Swaps:         s.sent[cwSwap].Load(),
		SwapsAccepted: s.accepted[cwSwap].Load(),
		SwapsRefused:  s.refused[cwSwap].Load(),
		PlanMissed:    s.planMissed.Load(),
		Cooldown:      s.cooling.Load(),
		Stuck:         s.stuck.Load(),
		QueueFull:     s.queueFull.Load(),
		ReplicaErrors: s.replicaErrs.Load(),
	}
	if m := s.reasons.Snapshot(); len(m) > 0 {
		c.Refusals = m
	}
	if rep.DurationS > 0 {
		c.PlaysPerS = round3(float64(c.PlaysAccepted) / rep.DurationS)
	}
	s.mu.Lock()
	c.PlayLatencyMs = percentilesOf(s.playLat)
	c.FinderMs = percentilesOf(s.finderTime)
	s.mu.Unlock()
	if bots > 0 {
		c.TopicsPerBot = round3(float64(topics) / float64(bots))
	}
	if perBotS := float64(rep.Connected) * rep.DurationS; perBotS > 0 {
		c.FramesPerBotS, c.BytesPerBotS = map[string]float64{}, map[string]float64{}
		for k, name := range cwFrameNames {
			c.FramesPerBotS[name] = round3(float64(s.frames[k].Load()) / perBotS)
			c.BytesPerBotS[name] = round3(float64(s.frameBytes[k].Load()) / perBotS)
		}
	}
	if ov != nil {
		c.BoardTiles, c.WorldPlayers, c.PlayersOnline = ov.TotalTiles, ov.TotalPlayers, ov.Online
		c.BoardRegions, c.ViewerRegions = len(ov.Tiles), len(ov.Viewers)
	}
	rep.Crossword = c
}

// printCrossword adds the crossword block's lines to the summary.
func printCrossword(tw *tabwriter.Writer, c *crosswordReport) {
	fmt.Fprintf(tw, "crossword\t%d pans, %d plays (%d accepted = %.1f/s, %d refused), %d swaps (%d refused); view %s, play share %g\n",
		c.Pans, c.Plays, c.PlaysAccepted, c.PlaysPerS, c.PlaysRefused, c.Swaps, c.SwapsRefused, c.View, c.PlayShare)
	fmt.Fprintf(tw, "  bots\tstuck %d, plan not ready %d, within cooldown %d; finder p50 %.2f p99 %.2f ms; %.1f topics each; play input-to-state p99 %.2f ms\n",
		c.Stuck, c.PlanMissed, c.Cooldown, c.FinderMs.P50, c.FinderMs.P99, c.TopicsPerBot, c.PlayLatencyMs.P99)
	if c.FramesPerBotS != nil {
		var parts []string
		for _, name := range cwFrameNames {
			parts = append(parts, fmt.Sprintf("%s %.1f (%.0f B)", name, c.FramesPerBotS[name], c.BytesPerBotS[name]))
		}
		fmt.Fprintf(tw, "  frames/s per bot\t%s\n", strings.Join(parts, ", "))
	}
	fmt.Fprintf(tw, "  world\t%d tiles in %d regions, %d players (%d online)\n", c.BoardTiles, c.BoardRegions, c.WorldPlayers, c.PlayersOnline)
	if len(c.Refusals) > 0 {
		fmt.Fprintf(tw, "  refusals\t%s\n", strings.Join(topFailures(c.Refusals, 6), "; "))
	}
}

package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/tickwire/tickwire/client"
	"github.com/tickwire/tickwire/examples/arena"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
)

// foBot is one player of the failover scenario: a guest identity that
// keeps its seat in one arena room through the loss of the room's node.
// Its goroutine (run, started and waited for by the failover run) joins,
// sends input seq k at base + (k-1)·period while seated, and when its
// connection or seat is lost follows the room the way a Go client does
// (client.Rejoin through any live node) and replays the inputs the old
// node never acknowledged. The client engine's pollers deliver its
// envelopes (onEnvelope); mu is where they meet the bot's goroutine.
type foBot struct {
	idx    int
	f      *foRun
	node   int    // the node its room was created on
	slot   int    // its room slot
	base   int64  // run-clock ns at which seq 1 is due
	period int64  // ns between inputs
	token  string // the lobby token from the first Welcome; the bot's goroutine only
	lost   chan struct{}

	mu      sync.Mutex
	gen     int // the connection generation whose envelopes count
	conn    *client.Conn
	roomID  string
	pending []*foInput // sent on this generation, not acknowledged yet, in seq order
	orphans []*foInput // not acknowledged when the last connection was lost: replayed after the rejoin
	acks    foAckRing  // (tick, last_input_seq) of the latest frames of this generation
	lastAt  int64      // run-clock ns of the latest state frame
	// The loss, once per run (the first one at or after the kill counts
	// for the event; earlier ones count as drops).
	ev foEvent

	sent, acked, replayed, replayedAcked, refused, frames int
}

// foInput is one input sent and not yet acknowledged.
type foInput struct {
	seq      uint64
	due      int64
	replayed bool
}

// foEvent is what one bot lived through at the failover.
type foEvent struct {
	lostAt       int64 // run-clock ns the bot noticed the loss; 0: not lost
	how          string
	lastTick     uint64 // tick of the last state frame before the loss
	lastStateAt  int64
	acksBefore   foAckRing // frozen at the loss
	unacked      int       // inputs not acknowledged at the loss
	rejoinedAt   int64     // Rejoin returned
	firstStateAt int64     // the first state frame after the rejoin; 0: never back
	firstTick    uint64
	maxGap       int64 // unaffected bots: the longest gap between frames in the event window
}

// foAckRingSize keeps 12.8 s of frames at 20 Hz: more than the snapshot
// interval, so the inputs acknowledged after the last snapshot are known.
const foAckRingSize = 256

type foAckRing struct {
	n    int
	tick [foAckRingSize]uint64
	seq  [foAckRingSize]uint64
}

func (r *foAckRing) add(tick, seq uint64) {
	r.tick[r.n%foAckRingSize], r.seq[r.n%foAckRingSize] = tick, seq
	r.n++
}

// seqAt is the highest last_input_seq of a frame at or before tick, and
// whether the ring reaches back that far.
func (r *foAckRing) seqAt(tick uint64) (uint64, bool) {
	var best uint64
	found := false
	for i := max(0, r.n-foAckRingSize); i < r.n; i++ {
		if r.tick[i%foAckRingSize] <= tick {
			best, found = max(best, r.seq[i%foAckRingSize]), true
		}
	}
	return best, found
}

func (r *foAckRing) last() (tick, seq uint64) {
	if r.n == 0 {
		return 0, 0
	}
	i := (r.n - 1) % foAckRingSize
	return r.tick[i], r.seq[i]
}

func (b *foBot) due(k uint64) int64 { return b.base + int64(k-1)*b.period }

// options are the client options of generation gen: its envelopes go to
// onEnvelope tagged with it.
func (b *foBot) options(gen int, welcome chan<- *tickwirev1.Welcome) client.Options {
	return client.Options{
		Engine:      b.f.eng,
		DialTimeout: dialTimeout,
		OnEnvelope: func(env *protocol.Envelope) {
			if w := env.GetWelcome(); w != nil && welcome != nil {
				select {
				case welcome <- w:
				default:
				}
				return
			}
			b.onEnvelope(gen, env)
		},
	}
}

// onEnvelope runs on a poller for every envelope that answers no request.
func (b *foBot) onEnvelope(gen int, env *protocol.Envelope) {
	f := b.f
	now := f.clk.Now()
	switch m := env.Msg.(type) {
	case *tickwirev1.Envelope_State:
		b.mu.Lock()
		defer b.mu.Unlock()
		if gen != b.gen {
			return
		}
		f.noteFrame(b, now)
		st := m.State
		b.frames++
		if b.lastAt != 0 && f.inEvent(now) && now-b.lastAt > b.ev.maxGap {
			b.ev.maxGap = now - b.lastAt
		}
		b.lastAt = now
		b.acks.add(st.Tick, st.LastInputSeq)
		if b.ev.lostAt != 0 && b.ev.firstStateAt == 0 {
			b.ev.firstStateAt, b.ev.firstTick = now, st.Tick
		}
		n := 0
		for n < len(b.pending) && b.pending[n].seq <= st.LastInputSeq {
			in := b.pending[n]
			if in.replayed { // its latency is the outage's: not the game's
				b.replayedAcked++
			} else {
				f.latency.Record(b.idx, now-in.due, f.inWindow(in.due))
			}
			n++
		}
		b.acked += n
		b.pending = b.pending[n:]
	case *tickwirev1.Envelope_Left:
		b.mu.Lock()
		mine := gen == b.gen && b.conn != nil
		b.mu.Unlock()
		if mine {
			f.errs.Add("left: " + m.Left.Code.String())
			b.signalLost()
		}
	case *tickwirev1.Envelope_Error:
		b.mu.Lock()
		b.refused++
		b.mu.Unlock()
		f.errs.Add("error " + m.Error.Code.String() + ": " + m.Error.Message)
	}
}

func (b *foBot) signalLost() {
	select {
	case b.lost <- struct{}{}:
	default:
	}
}

// run is the bot's goroutine: the first join at rampAt, then inputs on
// schedule until the run's stop time, following the room whenever the
// connection or seat is lost. ramped is called once the first join ended.
func (b *foBot) run(ctx context.Context, rampAt int64, ramped func()) {
	f := b.f
	if !f.sleepUntil(ctx, rampAt) {
		ramped()
		return
	}
	err := b.firstJoin(ctx)
	ramped()
	if err != nil {
		f.failures.Add(failureReason("join", err))
		return
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	k := b.nextDue(f.clk.Now()) // the ramp took longer than planned: no burst of overdue inputs
	for {
		now := f.clk.Now()
		if d := b.due(k); d > now {
			if d >= f.stopAtNS.Load() {
				return
			}
			timer.Reset(time.Duration(d - now))
			b.mu.Lock()
			c := b.conn
			b.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			case <-c.Done():
				if !b.recover(ctx, "connection: "+closeReason(c.Err())) {
					return
				}
				k = b.nextDue(f.clk.Now())
				continue
			case <-b.lost:
				if !b.recover(ctx, "left the room") {
					return
				}
				k = b.nextDue(f.clk.Now())
				continue
			}
		}
		b.send(k, f.clk.Now(), false)
		k++
	}
}

// nextDue is the first seq due at or after now: inputs due while the bot
// was away are not sent (a player cannot steer a room he is not in).
func (b *foBot) nextDue(now int64) uint64 {
	if now <= b.base {
		return 1
	}
	return uint64((now-b.base+b.period-1)/b.period) + 1
}

// closeReason is the close code of a client connection's end.
func closeReason(err error) string {
	var ce *client.CloseError
	if errors.As(err, &ce) {
		return fmt.Sprint(ce.Code)
	}
	if err == nil {
		return "open"
	}
	return err.Error()
}

// send sends input k (a replay sends it again on the new connection).
func (b *foBot) send(k uint64, now int64, replay bool) {
	f := b.f
	b.mu.Lock()
	c, room := b.conn, b.roomID
	if c == nil {
		b.mu.Unlock()
		return
	}
	in := &foInput{seq: k, due: b.due(k), replayed: replay}
	b.pending = append(b.pending, in)
	if replay {
		b.replayed++
	} else {
		b.sent++
	}
	b.mu.Unlock()
	buf := appendInputEnvelope(nil, 0, room, k, f.payloads[(uint64(b.idx)+k)%arenaHeadings])
	if err := c.SendRaw(buf); err != nil {
		return // still pending: the loss deals with it
	}
	if !replay {
		f.sendLag.Record(b.idx, now-in.due, f.inWindow(in.due))
	}
}

// firstJoin connects a new guest to its node and seats it in its room
// slot (the slot's first bot creates the room).
func (b *foBot) firstJoin(ctx context.Context) error {
	f := b.f
	ctx, cancel := context.WithTimeout(ctx, soakOpTimeout+joinTimeout)
	defer cancel()
	welcome := make(chan *tickwirev1.Welcome, 1)
	b.mu.Lock()
	gen := b.gen
	b.mu.Unlock()
	c, err := client.Dial(ctx, f.nodes[b.node].wsURL, b.options(gen, welcome))
	if err != nil {
		return err
	}
	select {
	case w := <-welcome:
		b.token = w.Token
	case <-c.Done():
		return fmt.Errorf("before the Welcome: %w", c.Err())
	case <-ctx.Done():
		_ = c.Close(context.Background())
		return fmt.Errorf("waiting for the Welcome: %w", ctx.Err())
	}
	if b.token == "" {
		_ = c.Close(ctx)
		return errors.New("the Welcome carries no token: the failover needs the demo's lobby")
	}
	req := &tickwirev1.JoinRoom{}
	if b.idx < len(f.slots) {
		req.Game, req.Create = arena.Name, true
	} else {
		id, err := f.slotRoom(ctx, b.slot)
		if err != nil {
			_ = c.Close(ctx)
			return err
		}
		req.RoomId = id
	}
	reply, err := c.Request(ctx, &protocol.Envelope{Msg: &tickwirev1.Envelope_JoinRoom{JoinRoom: req}})
	if err == nil && reply.GetJoined() == nil {
		err = fmt.Errorf("JoinRoom answered with %T", reply.Msg)
	}
	if b.idx < len(f.slots) {
		f.slots[b.slot].resolve(reply.GetJoined().GetRoomId(), err)
	}
	if err != nil {
		_ = c.Close(ctx)
		return err
	}
	j := reply.GetJoined()
	if err := f.noteTickHz(int(j.TickHz)); err != nil {
		_ = c.Close(ctx)
		return err
	}
	b.mu.Lock()
	b.conn, b.roomID = c, j.RoomId
	b.mu.Unlock()
	return nil
}

// recover follows the room after the connection or seat was lost: it
// freezes what the bot saw, rejoins through the live nodes with
// client.Rejoin (which follows the Grant's url to the room's new node),
// and replays the inputs the old node did not acknowledge. It returns
// false when the bot did not get back before the run's stop time.
func (b *foBot) recover(ctx context.Context, how string) bool {
	f := b.f
	now := f.clk.Now()
	b.mu.Lock()
	old, room := b.conn, b.roomID
	b.gen++
	gen := b.gen
	b.conn = nil
	b.orphans = append(b.orphans, b.pending...)
	b.pending = nil
	event := f.killed(now) && b.ev.lostAt == 0
	if event {
		b.ev.lostAt, b.ev.how = now, how
		b.ev.lastTick, _ = b.acks.last()
		b.ev.lastStateAt = b.lastAt
		b.ev.acksBefore = b.acks
		b.ev.unacked = len(b.orphans)
	} else {
		f.drops.Add(how)
	}
	b.acks = foAckRing{}
	b.mu.Unlock()
	select { // a Left and the close that follows it are one loss
	case <-b.lost:
	default:
	}
	// The old connection may still be open (a Left before the 1001).
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	_ = old.Close(cctx)
	cancel()

	rctx, cancel := context.WithCancel(ctx)
	if stop := f.stopAtNS.Load(); stop != math.MaxInt64 {
		rctx, cancel = context.WithDeadline(ctx, f.clk.Start.Add(time.Duration(stop)))
	}
	defer cancel()
	c, joined, err := client.Rejoin(rctx, f.rejoinOrder(b), b.token, room, f.cfg.rejoinRetry, b.options(gen, nil))
	if err != nil {
		f.failures.Add(failureReason("rejoin", err))
		return false
	}
	f.rejoins.Add(1)
	b.mu.Lock()
	b.conn, b.roomID = c, joined.GetJoined().GetRoomId()
	if event {
		b.ev.rejoinedAt = f.clk.Now()
	}
	orphans := b.orphans
	b.orphans = nil
	b.mu.Unlock()
	for _, in := range orphans {
		b.send(in.seq, f.clk.Now(), true)
	}
	return true
}

package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/tickwire/tickwire/examples/arena"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
)

// soakBot is one soak player: a guest identity (its lobby token) that
// lives through many connections and seats. Its goroutine (soakBot.run,
// started and waited for by the soak run) connects it, then sleeps until
// its next churn event and performs it; the soak's senders send its
// inputs while it is seated, and the engine's pollers acknowledge them.
//
// Input seq k is due at base + (k-1)·period over the bot's whole life, so
// seqs only grow across connections and rooms; inputs due while the bot
// is away are not sent. The inputs sent on one connection to one seat are
// an epoch: a state frame acknowledges inputs of its own epoch only.
type soakBot struct {
	idx    int
	s      *soakRun
	rng    *rand.Rand // the bot's goroutine only
	base   int64      // run-clock ns at which seq 1 is due
	period int64      // ns between inputs
	token  string     // the lobby token from the first Welcome; the bot's goroutine only
	lost   chan struct{}

	mu      sync.Mutex // guards what follows: senders, pollers and the bot's goroutine meet here
	conn    *soakConn  // the open connection; nil while away
	roomID  string     // the seat's room; "" while not seated
	home    string     // the last room the bot was seated in: where a lost seat waits
	sending bool       // seated and not churning: inputs go out
	leaving bool       // a LeaveRoom of ours is on its way: the Left is expected
	ep      soakEpoch
	sentAt  [soakSendRing]int64 // when seq k was sent, at k % soakSendRing
}

// soakSendRing is how many recent send times a bot keeps; an input older
// than that is timed by its due time.
const soakSendRing = 64

// soakEpoch is the inputs of one seat on one connection: seqs first..last
// were sent (first 0: none yet), those up to acked acknowledged.
type soakEpoch struct {
	open               bool
	first, last, acked uint64
}

// Why an epoch ends, for the account of its unacknowledged inputs.
const (
	endChurn      = iota // the bot left, reconnected or dropped: recent inputs were in flight
	endUnexpected        // the server or the network ended it: every input not acknowledged is lost
	endRun               // the run ended and the grace for acknowledgements passed: lost
)

// inputRefBit marks an input's Envelope.ref (its seq below the bit), so
// that an Error refusing an input is told from a reply to a request.
const inputRefBit = 1 << 31

func (b *soakBot) due(k uint64) int64 { return b.base + int64(k-1)*b.period }

// onWire handles one frame on a poller goroutine; data is nbio's buffer.
func (b *soakBot) onWire(c *soakConn, data []byte) {
	s := b.s
	now := s.clk.Now()
	s.bytesIn.Add(int64(wireSize(len(data), false)))
	sc, err := scanEnvelope(data)
	if err != nil {
		s.errs.Add("undecodable frame")
		return
	}
	switch sc.kind {
	case wireState:
		s.frames.Add(1)
		b.onState(c, sc.lastSeq, now)
		return
	case wirePong:
		return
	}
	env := new(protocol.Envelope)
	if err := protocol.Decode(data, 0, env); err != nil {
		s.errs.Add("undecodable frame")
		return
	}
	if c.reqs.Reply(env) {
		return
	}
	switch m := env.Msg.(type) {
	case *tickwirev1.Envelope_Welcome:
		select {
		case c.welcome <- m.Welcome:
		default:
		}
	case *tickwirev1.Envelope_Left:
		b.mu.Lock()
		expected := b.leaving && b.conn == c
		b.mu.Unlock()
		if expected {
			select {
			case c.left <- m.Left:
			default:
			}
			return
		}
		b.unexpected(c, "left room: "+m.Left.Code.String()+" "+m.Left.Reason)
	case *tickwirev1.Envelope_Error:
		if env.Ref&inputRefBit != 0 {
			s.refused.Add(1)
			return
		}
		s.errs.Add("error " + m.Error.Code.String())
	}
}

// onState acknowledges the inputs of c's epoch that last_input_seq covers.
func (b *soakBot) onState(c *soakConn, lastSeq uint64, now int64) {
	s := b.s
	b.mu.Lock()
	if b.conn != c || !b.ep.open || b.ep.first == 0 {
		b.mu.Unlock()
		return
	}
	hi := min(lastSeq, b.ep.last)
	n := 0
	for k := b.ep.acked + 1; k <= hi; k++ {
		s.latency.Record(b.idx, now-b.due(k), true)
		if b.ep.last-k < soakSendRing {
			s.fromSend.Record(b.idx, now-b.sentAt[k%soakSendRing], true)
		}
		n++
	}
	if hi > b.ep.acked {
		b.ep.acked = hi
	}
	b.mu.Unlock()
	s.acked.Add(int64(n))
}

// sendInput sends input seq k if the bot is seated; the caller is a soak
// sender with its own buffer. b.mu is not held while writing: nbio may
// end the connection (and call connEnded) from inside a write.
func (b *soakBot) sendInput(buf []byte, k uint64, now int64) []byte {
	s := b.s
	b.mu.Lock()
	if !b.sending {
		b.mu.Unlock()
		return buf
	}
	c, room := b.conn, b.roomID
	first, acked := b.ep.first, b.ep.acked
	if first == 0 {
		b.ep.first, b.ep.acked = k, k-1
	}
	b.ep.last = k
	b.sentAt[k%soakSendRing] = now
	// Counted sent with the epoch, so that an epoch closed before this
	// returns (which accounts for k) and the totals always agree.
	s.sent.Add(1)
	b.mu.Unlock()
	buf = appendInputEnvelope(buf[:0], uint32(k)&(inputRefBit-1)|inputRefBit, room, k, s.payloads[(uint64(b.idx)+k)%arenaHeadings])
	if err := c.sendRaw(buf); err != nil {
		b.mu.Lock()
		if b.conn == c && b.ep.open && b.ep.last == k { // not sent after all
			b.ep.last = k - 1
			b.ep.first, b.ep.acked = first, acked
			s.sent.Add(-1)
		}
		b.mu.Unlock()
		return buf // the connection ended: connEnded deals with it
	}
	s.sendLag.Record(b.idx, now-b.due(k), true)
	s.bytesOut.Add(int64(wireSize(len(buf), true)))
	return buf
}

// closeEpochLocked ends the current epoch at now for cause and accounts for
// its inputs not acknowledged: in flight at churn if they were sent within
// the grace before a churn, else lost. b.mu is held.
func (b *soakBot) closeEpochLocked(cause int, now int64) {
	s := b.s
	ep := b.ep
	b.ep = soakEpoch{}
	if !ep.open || ep.first == 0 {
		return
	}
	var lost, inFlight int64
	for k := ep.acked + 1; k <= ep.last; k++ {
		sent := b.due(k)
		if ep.last-k < soakSendRing {
			sent = b.sentAt[k%soakSendRing]
		}
		if cause == endChurn && now-sent < int64(s.cfg.grace) {
			inFlight++
		} else {
			lost++
		}
	}
	s.lost.Add(lost)
	s.inFlight.Add(inFlight)
	if lost > 0 {
		s.lossCauses.AddN(map[int]string{endChurn: "sent -grace or more before a churn", endUnexpected: "on a connection or seat the server ended", endRun: "not acknowledged within -grace at the end"}[cause], int(lost))
	}
}

// seatLocked opens a new epoch in room on c. b.mu is held.
func (b *soakBot) seatLocked(c *soakConn, room string) {
	b.conn, b.roomID, b.home, b.sending, b.leaving = c, room, room, true, false
	b.ep = soakEpoch{open: true}
}

// connEnded runs on a poller when one of b's connections ended. One the
// bot did not end is unexpected.
func (b *soakBot) connEnded(c *soakConn) {
	if c.byUs.Load() {
		return
	}
	b.mu.Lock()
	mine := b.conn == c
	b.mu.Unlock()
	b.s.traceConn(c, "ended by itself")
	if !mine { // not seated yet: the step that opened it fails and says why
		b.s.unexpected.Add(soakReason("connection before its join", c.Err()))
		return
	}
	b.unexpected(c, soakReason("connection", c.Err()))
}

// unexpected records that c stopped serving b without the bot asking
// (closed by the server, a Left it did not ask for) and wakes the bot's
// goroutine to come back.
func (b *soakBot) unexpected(c *soakConn, reason string) {
	b.mu.Lock()
	if b.conn != c {
		b.mu.Unlock()
		return
	}
	b.closeEpochLocked(endUnexpected, b.s.clk.Now())
	b.sending, b.roomID = false, ""
	b.mu.Unlock()
	b.s.unexpected.Add(reason)
	select {
	case b.lost <- struct{}{}:
	default:
	}
}

// stopSending ends the epoch for a churn: no more inputs go out, and
// acknowledgements of this epoch still count until closeEpoch.
func (b *soakBot) stopSending() (*soakConn, string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sending = false
	return b.conn, b.roomID
}

// endEpoch closes the current epoch for cause and forgets the connection.
func (b *soakBot) endEpoch(cause int) {
	b.mu.Lock()
	b.closeEpochLocked(cause, b.s.clk.Now())
	b.conn, b.roomID, b.sending, b.leaving = nil, "", false, false
	b.mu.Unlock()
}

// seated reports whether b is seated on an open connection.
func (b *soakBot) seated() (connected, seated bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.conn != nil, b.roomID != ""
}

// soakReason is failureReason with a protocol error cut to its code, so
// that the same refusal of many players counts as one reason.
func soakReason(step string, err error) string {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		code, _, _ := strings.Cut(pe.Error(), ":")
		return step + ": " + code
	}
	return failureReason(step, err)
}

// soakOpTimeout bounds one churn step (a dial, a join, a leave).
const soakOpTimeout = 10 * time.Second

// run is the bot's goroutine: the first join at its ramp slot, then churn
// until ctx ends. Steps run to completion (bounded by soakOpTimeout) even
// after ctx ended, so that every bot ends seated or visibly failed.
func (b *soakBot) run(ctx context.Context, rampAt int64, ramped func(), rampDone <-chan struct{}) {
	s := b.s
	if !s.sleepUntil(ctx, rampAt) {
		ramped()
		return
	}
	op := context.WithoutCancel(ctx)
	err := b.firstJoin(op)
	ramped()
	if err != nil {
		s.failures.Add(soakReason("join", err))
		b.recover(ctx)
	}
	select { // churn begins once every bot had its first join
	case <-rampDone:
	case <-ctx.Done():
		return
	}
	cfg := s.cfg
	now := s.clk.Now()
	next := [3]int64{b.draw(now, cfg.leaveEvery), b.draw(now, cfg.reconnectEvery), b.draw(now, cfg.dropEvery)}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		kind := 0
		for i := range next {
			if next[i] < next[kind] {
				kind = i
			}
		}
		timer.Reset(time.Duration(max(next[kind]-s.clk.Now(), 0)))
		select {
		case <-ctx.Done():
			return
		case <-b.lost:
			b.recover(ctx)
			continue
		case <-timer.C:
		}
		if _, seated := b.seated(); !seated {
			b.recover(ctx)
		}
		var err error
		switch kind {
		case 0:
			err = b.leaveAndJoin(op)
		case 1:
			err = b.reconnect(op)
		case 2:
			err = b.drop(ctx)
		}
		if err != nil {
			s.failures.Add(err.Error())
			b.recover(ctx)
		}
		next[kind] = b.draw(s.clk.Now(), []time.Duration{cfg.leaveEvery, cfg.reconnectEvery, cfg.dropEvery}[kind])
	}
}

// draw is the time of the next event of a kind that happens every mean on
// average (a Poisson process: exponential gaps); never for mean 0.
func (b *soakBot) draw(now int64, mean time.Duration) int64 {
	if mean <= 0 {
		return math.MaxInt64
	}
	return now + int64(b.rng.ExpFloat64()*float64(mean))
}

// recover gets a bot that lost its connection or seat back into a room,
// trying again every second until it is seated or ctx ends.
func (b *soakBot) recover(ctx context.Context) {
	s := b.s
	for {
		if _, seated := b.seated(); seated {
			return
		}
		op, cancel := context.WithTimeout(context.WithoutCancel(ctx), soakOpTimeout)
		err := b.rejoin(op)
		cancel()
		if err == nil {
			s.recovered.Add(1)
			return
		}
		s.failures.Add(soakReason("recover", err))
		if !s.sleepUntil(ctx, s.clk.Now()+int64(time.Second)) {
			return
		}
	}
}

// firstJoin connects a new guest and seats it in its room slot (the
// slot's first bot creates the room).
func (b *soakBot) firstJoin(ctx context.Context) error {
	s := b.s
	ctx, cancel := context.WithTimeout(ctx, soakOpTimeout+joinTimeout)
	defer cancel()
	c, w, err := dialSoak(ctx, s, b, "")
	if err != nil {
		return err
	}
	b.token = w.Token
	if b.token == "" {
		c.drop(false)
		return errors.New("the Welcome carries no token: reconnection needs a server with a lobby (the demo)")
	}
	slot := b.idx % len(s.slots)
	req := &tickwirev1.JoinRoom{}
	if b.idx < len(s.slots) {
		req.Game, req.Create = arena.Name, true
	} else {
		id, err := s.slotRoom(ctx, slot)
		if err != nil {
			c.drop(false)
			return err
		}
		req.RoomId = id
	}
	room, err := b.join(ctx, c, req)
	if b.idx < len(s.slots) {
		s.resolveSlot(slot, room, err)
	}
	if err != nil {
		c.closeClean("join failed")
		return err
	}
	s.joins.Add(1)
	return nil
}

// join asks for a seat on c and seats the bot when Joined comes.
func (b *soakBot) join(ctx context.Context, c *soakConn, req *tickwirev1.JoinRoom) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, joinTimeout)
	defer cancel()
	reply, err := c.request(ctx, &protocol.Envelope{Msg: &tickwirev1.Envelope_JoinRoom{JoinRoom: req}})
	if err == nil && reply.GetJoined() == nil {
		err = fmt.Errorf("JoinRoom answered with %T", reply.Msg)
	}
	if err != nil {
		return "", err
	}
	j := reply.GetJoined()
	if err := b.s.noteTickHz(int(j.TickHz)); err != nil {
		return "", err
	}
	b.mu.Lock()
	b.seatLocked(c, j.RoomId)
	b.mu.Unlock()
	return j.RoomId, nil
}

// leaveAndJoin gives up the seat (LeaveRoom, then its Left) and joins
// another room on the same connection.
func (b *soakBot) leaveAndJoin(ctx context.Context) error {
	s := b.s
	ctx, cancel := context.WithTimeout(ctx, soakOpTimeout)
	defer cancel()
	b.mu.Lock()
	c, room := b.conn, b.roomID
	if c == nil || room == "" {
		b.mu.Unlock()
		return errors.New("leave: not seated")
	}
	b.sending, b.leaving = false, true
	b.mu.Unlock()
	if err := c.send(&protocol.Envelope{Msg: &tickwirev1.Envelope_LeaveRoom{LeaveRoom: &tickwirev1.LeaveRoom{RoomId: room}}}); err != nil {
		b.endEpoch(endChurn)
		return errors.New(soakReason("leave", err))
	}
	select {
	case <-c.left:
	case <-c.done:
		b.endEpoch(endChurn)
		return errors.New(soakReason("leave", c.Err()))
	case <-ctx.Done():
		b.endEpoch(endChurn)
		c.drop(false)
		return errors.New("leave: no Left within " + soakOpTimeout.String())
	}
	b.mu.Lock()
	b.closeEpochLocked(endChurn, s.clk.Now())
	b.roomID, b.leaving = "", false
	b.mu.Unlock()
	s.leaves.Add(1)
	if err := b.joinOther(ctx, c, room); err != nil {
		return errors.New(soakReason("join after leave", err))
	}
	s.joins.Add(1)
	return nil
}

// joinOther seats the bot on c in a room of the run other than not,
// trying others when one is full or gone, and creating a room when the
// run has fewer than -rooms left.
func (b *soakBot) joinOther(ctx context.Context, c *soakConn, not string) error {
	s := b.s
	var last error
	for range 6 {
		id := s.pickRoom(b.rng, not)
		req := &tickwirev1.JoinRoom{RoomId: id}
		if id == "" {
			req.Game, req.Create = arena.Name, true
		}
		room, err := b.join(ctx, c, req)
		if err == nil {
			if id == "" {
				s.addRoom(room)
			}
			return nil
		}
		last = err
		var pe *protocol.Error
		if errors.As(err, &pe) && pe.Code == protocol.CodeRoomNotFound {
			s.dropRoom(id)
		}
		if errors.As(err, &pe) && pe.Code == protocol.CodeAlreadyInRoom {
			// The room sends Left before the lobby frees the player's
			// place (tick's unseat, then OnUnseat): a join at once may
			// find him still seated. A moment later it does not.
			s.joinRetries.Add("already_in_room just after a Left")
			s.sleepUntil(ctx, s.clk.Now()+int64(soakRetryPause))
		}
		if c.Err() != nil || ctx.Err() != nil {
			break
		}
	}
	return last
}

// reconnect ends the connection cleanly (close 1000) and comes back as the
// same player (its token) to the same room, as the SDK's reconnection does.
func (b *soakBot) reconnect(ctx context.Context) error {
	s := b.s
	c, room := b.stopSending()
	if c == nil || room == "" {
		return errors.New("reconnect: not seated")
	}
	c.closeClean("reconnect")
	b.endEpoch(endChurn)
	s.reconnects.Add(1)
	if err := b.resume(ctx, room); err != nil {
		return errors.New(soakReason("reconnect", err))
	}
	return nil
}

// drop ends the connection abruptly (a FIN or an RST, half each), waits a
// pause within the game's reconnection grace and comes back to its seat.
func (b *soakBot) drop(ctx context.Context) error {
	s := b.s
	c, room := b.stopSending()
	if c == nil || room == "" {
		return errors.New("drop: not seated")
	}
	rst := b.rng.IntN(2) == 0
	c.drop(rst)
	<-c.done
	b.endEpoch(endChurn)
	if rst {
		s.dropsRST.Add(1)
	} else {
		s.dropsFIN.Add(1)
	}
	pause := soakMinPause + time.Duration(b.rng.Int64N(int64(s.cfg.dropPause-soakMinPause)+1))
	s.sleepUntil(ctx, s.clk.Now()+int64(pause)) // an ended run still comes back: its seat must not be left waiting
	if err := b.resume(context.WithoutCancel(ctx), room); err != nil {
		return errors.New(soakReason("back after drop", err))
	}
	return nil
}

// soakRetryPause is the wait before a join refused as already_in_room is
// tried again.
const soakRetryPause = 20 * time.Millisecond

// soakMinPause is the shortest pause of a dropped bot.
const soakMinPause = 100 * time.Millisecond

func (b *soakBot) current() (*soakConn, string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.conn, b.roomID
}

// resume dials as the bot's player and joins room again by id: a seat
// within its reconnection grace is the player's still. If the room is
// gone, another room.
func (b *soakBot) resume(ctx context.Context, room string) error {
	s := b.s
	ctx, cancel := context.WithTimeout(ctx, soakOpTimeout)
	defer cancel()
	c, _, err := dialSoak(ctx, s, b, b.token)
	if err != nil {
		return err
	}
	if _, err := b.join(ctx, c, &tickwirev1.JoinRoom{RoomId: room}); err != nil {
		if cerr := c.Err(); cerr != nil {
			err = fmt.Errorf("%w (%v)", err, cerr)
		}
		s.resumeRefused.Add(soakReason("rejoin", err))
		if c.Err() != nil {
			return err
		}
		if err := b.joinOther(ctx, c, room); err != nil {
			c.closeClean("join failed")
			return err
		}
		return nil
	}
	s.resumed.Add(1)
	return nil
}

// rejoin is recover's step: a fresh connection as the same player into
// any room of the run.
func (b *soakBot) rejoin(ctx context.Context) error {
	s := b.s
	if b.token == "" {
		return b.firstJoin(ctx)
	}
	if c, _ := b.current(); c != nil {
		c.closeClean("recover")
		b.endEpoch(endUnexpected)
	}
	b.mu.Lock()
	home := b.home
	b.mu.Unlock()
	if home != "" { // a seat that lost its connection waits there
		return b.resume(ctx, home)
	}
	c, _, err := dialSoak(ctx, s, b, b.token)
	if err != nil {
		return err
	}
	if err := b.joinOther(ctx, c, ""); err != nil {
		c.closeClean("join failed")
		return err
	}
	return nil
}

// leaveForGood gives up the seat and closes the connection at the end of
// the run, after the grace for acknowledgements.
func (b *soakBot) leaveForGood() {
	b.mu.Lock()
	c, room := b.conn, b.roomID
	b.closeEpochLocked(endRun, b.s.clk.Now())
	b.sending, b.leaving = false, true
	b.mu.Unlock()
	if c == nil {
		return
	}
	if room != "" && c.send(&protocol.Envelope{Msg: &tickwirev1.Envelope_LeaveRoom{LeaveRoom: &tickwirev1.LeaveRoom{RoomId: room}}}) == nil {
		t := time.NewTimer(soakCloseWait)
		select {
		case <-c.left:
		case <-c.done:
		case <-t.C:
		}
		t.Stop()
	}
	c.closeClean("bench done")
	b.endEpoch(endRun)
}

package main

import (
	"context"

	"github.com/tickwire/tickwire/internal/loadstat"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
)

// scheduler sends the inputs and pings of a share of the players from one
// goroutine: it sleeps until the earliest deadline, sends everything due,
// and sleeps again. A few schedulers serve ten thousand clients; none has
// a goroutine of its own. When it falls behind (a GC pause, a busy core) it
// sends the overdue inputs back to back: their latency still counts from
// their due time, which is what corrects for coordinated omission.
type scheduler struct {
	r    *run
	jobs *loadstat.Schedule // nothing due at or after stopAt is sent
	raw  rawScenario        // set when the scenario encodes its own messages
	lean bool               // Tickwire Envelopes encoded by hand (lean clients)
	buf  []byte             // the raw scenario's message, reused

	// Envelopes reused for every send; only this goroutine touches them.
	input    tickwirev1.Input
	inputEnv protocol.Envelope
	ping     tickwirev1.Ping
	pingEnv  protocol.Envelope
}

func newScheduler(r *run, stopAt int64) *scheduler {
	s := &scheduler{r: r, jobs: loadstat.NewSchedule(r.clk, stopAt)}
	s.raw, _ = r.scn.(rawScenario)
	s.lean = r.isLean()
	s.inputEnv.Msg = &tickwirev1.Envelope_Input{Input: &s.input}
	s.pingEnv.Msg = &tickwirev1.Envelope_Ping{Ping: &s.ping}
	return s
}

// add schedules p's inputs (ping false) or pings from base every period.
func (s *scheduler) add(p *player, ping bool, base, period int64) {
	if ping {
		s.jobs.Add(base, period, p.live.Load, func(_ uint64, _, now int64) { s.sendPing(p, now) })
		return
	}
	// The seq of occurrence n is n+1.
	s.jobs.Add(base, period, p.live.Load, func(n uint64, due, now int64) { s.sendInput(p, n+1, due, now) })
}

// loop runs until every job is past stopAt or ctx ends.
func (s *scheduler) loop(ctx context.Context) { s.jobs.Loop(ctx) }

// sendInput sends p's input seq, due at due, at now.
func (s *scheduler) sendInput(p *player, seq uint64, due, now int64) {
	r := s.r
	var msg []byte
	switch {
	case s.raw != nil:
		s.buf = s.raw.encodeInput(s.buf[:0], seq)
		msg = s.buf
	case s.lean:
		// Byte for byte what the default case encodes, without reflection.
		s.buf = appendInputEnvelope(s.buf[:0], uint32(seq), p.roomID, seq, r.scn.input(p, seq))
		msg = s.buf
	default:
		s.input.RoomId, s.input.Seq, s.input.Payload = p.roomID, seq, r.scn.input(p, seq)
		// The ref names the input in an Error refusing it. Inputs start after
		// the join's request, so no reply is pending under the same ref.
		s.inputEnv.Ref = uint32(seq)
		buf, err := protocol.Encode(&s.inputEnv)
		if err != nil {
			p.fail("encode input: " + err.Error())
			return
		}
		defer buf.Release()
		msg = buf.B
	}
	// Count it sent before it is: the state frame acknowledging it may
	// arrive on a poller before SendRaw returns here.
	p.mu.Lock()
	prev := p.track.Sent
	p.track.NoteSent(seq, now)
	p.mu.Unlock()
	if err := p.link.SendRaw(msg); err != nil {
		p.mu.Lock()
		p.track.Sent = prev
		p.mu.Unlock()
		p.fail("send input: " + err.Error())
		return
	}
	r.sent.Add(1)
	r.inputBytes.Add(int64(len(msg)))
	p.bytesOut.Add(int64(wireSize(len(msg), true)))
	from, to := r.window()
	r.sendLag.Record(p.idx, now-due, due >= from && due < to)
}

// sendPing sends p a Ping stamped with now; the Pong carries it back.
func (s *scheduler) sendPing(p *player, now int64) {
	var msg []byte
	switch {
	case s.raw != nil:
		s.buf = s.raw.encodePing(s.buf[:0], s.r.clk.Unix0+now)
		msg = s.buf
	case s.lean:
		s.buf = appendPingEnvelope(s.buf[:0], s.r.clk.Unix0+now)
		msg = s.buf
	default:
		s.ping.ClientTimeUnixNano = s.r.clk.Unix0 + now
		buf, err := protocol.Encode(&s.pingEnv)
		if err != nil {
			p.fail("encode ping: " + err.Error())
			return
		}
		defer buf.Release()
		msg = buf.B
	}
	if err := p.link.SendRaw(msg); err != nil {
		p.fail("send ping: " + err.Error())
		return
	}
	p.bytesOut.Add(int64(wireSize(len(msg), true)))
}

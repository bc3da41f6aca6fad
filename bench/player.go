package main

import (
	"sync"
	"sync/atomic"

	"github.com/tickwire/tickwire/internal/loadstat"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
)

// player is one load client. It owns no goroutine: the client engine's
// pollers call onEnvelope, the scheduler goroutines send its inputs and
// pings, and a dialer goroutine connects and seats it.
type player struct {
	idx    int
	r      *run
	conn   tickConn    // Tickwire scenarios: set once by the dialer, before the player is live
	link   link        // what inputs and pings go through: conn, or a raw scenario's connection
	roomID string      // set by scenario.join, before the player is live
	live   atomic.Bool // connected and seated; inputs and pings go out

	mu    sync.Mutex // guards track: the scheduler sends, a poller acknowledges
	track inputTrack

	lastTick uint64 // the tick of the last state frame; lean clients' poller only

	bytesIn, bytesOut atomic.Int64 // WebSocket message bytes incl. framing
	framesIn          atomic.Int64 // state frames received
	stateBytes        atomic.Int64 // their payload bytes (Envelopes, or the floor's messages)
	refused           atomic.Int64 // inputs due in the window the server refused
	failure           atomic.Pointer[failure]
}

// failure is why and when a player stopped counting as connected.
type failure struct {
	reason string
	at     int64 // run clock
}

// fail marks p failed (the first reason wins) and reports whether this
// call did it.
func (p *player) fail(reason string) bool {
	if p.failure.CompareAndSwap(nil, &failure{reason: reason, at: p.r.clk.Now()}) {
		p.live.Store(false)
		return true
	}
	return false
}

// failed reports whether p failed.
func (p *player) failed() bool { return p.failure.Load() != nil }

// onEnvelope handles one message from the server on a poller goroutine; it
// must not block.
func (p *player) onEnvelope(env *protocol.Envelope) {
	now := p.r.clk.Now()
	n := envelopeWireSize(env)
	p.bytesIn.Add(int64(wireSize(n, false)))
	p.dispatch(env, n, now)
}

// dispatch handles a decoded Envelope of n payload bytes received at now
// (bytesIn already counted it).
func (p *player) dispatch(env *protocol.Envelope, n int, now int64) {
	if h, ok := p.r.scn.(envelopeScenario); ok {
		h.onEnvelope(p, env, n, now)
	}
	switch m := env.Msg.(type) {
	case *tickwirev1.Envelope_State:
		p.framesIn.Add(1)
		p.stateBytes.Add(int64(n))
		p.onState(m.State.LastInputSeq, now)
	case *tickwirev1.Envelope_Pong:
		sent := m.Pong.ClientTimeUnixNano - p.r.clk.Unix0
		p.r.rtt.Record(p.idx, now-sent, p.r.inWindow(now))
	case *tickwirev1.Envelope_Error:
		p.r.errs.Add("error " + m.Error.Code.String())
		if env.Ref != 0 { // an input refused: inputs carry their seq as ref
			p.onRefused(uint64(env.Ref))
		}
	case *tickwirev1.Envelope_Left:
		if p.r.leaving.Load() {
			p.live.Store(false)
			return
		}
		p.fail("left room: " + m.Left.Code.String() + " " + m.Left.Reason)
	}
}

// onState acknowledges every input the frame's last_input_seq newly covers.
func (p *player) onState(lastSeq uint64, now int64) {
	r := p.r
	from, to := r.window()
	p.mu.Lock()
	n := p.track.Ack(lastSeq, now, func(k uint64, latency, sendLag int64) {
		due := p.track.Due(k)
		in := due >= from && due < to
		r.latency.Record(p.idx, latency, in)
		if sendLag >= 0 {
			r.fromSend.Record(p.idx, latency-sendLag, in)
		}
	})
	p.mu.Unlock()
	r.acked.Add(int64(n))
}

// onRefused counts an input the server answered with an Error (its room's
// inbox was full, or the player was over its inputs per tick). A later
// input's last_input_seq still covers it, so without this the refusal
// would pass for an acknowledgement.
func (p *player) onRefused(seq uint64) {
	p.mu.Lock()
	due := p.track.Due(seq)
	p.mu.Unlock()
	if from, to := p.r.window(); due >= from && due < to {
		p.refused.Add(1)
	}
}

// envelopeWireSize is the payload size of env as the server sent it
// (loadstat.EnvelopeWireSize).
func envelopeWireSize(env *protocol.Envelope) int { return loadstat.EnvelopeWireSize(env) }

// wireSize is the size of a WebSocket binary message with n payload bytes
// (loadstat.WireSize).
func wireSize(n int, fromClient bool) int { return loadstat.WireSize(n, fromClient) }

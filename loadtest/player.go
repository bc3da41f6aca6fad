package loadtest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/tickwire/tickwire/client"
	"github.com/tickwire/tickwire/internal/loadstat"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
)

// Player is one bot's connection and seat. The harness dials it, waits
// for the server's Welcome, calls Bot.Join, then sends its inputs on
// schedule and applies the state frames it receives to its replica.
type Player struct {
	// Index is the bot's number, 0 to Config.Clients-1.
	Index int
	// Conn is the bot's connection (client.Conn: Request, Send). Its
	// Envelopes go to the harness, so Recv is not for the bot.
	Conn *client.Conn

	c        *core
	frame    func(f *tickwirev1.StateFrame, now int64) // applies a state frame to the bot's replica
	id       string                                    // from the Welcome, before welcomed is closed
	welcomed chan struct{}                             // closed by the Welcome
	welcome  sync.Once
	roomID   string      // set by JoinRoom, before the player is live
	live     atomic.Bool // joined: its inputs go out
	left     chan struct{}
	leftOnce sync.Once

	mu    sync.Mutex // guards track and the bot's replica: a scheduler sends, a poller applies
	track loadstat.InputTrack

	bytesIn, bytesOut atomic.Int64 // WebSocket message bytes incl. framing
	framesIn          atomic.Int64
	refused           atomic.Int64 // inputs due in the window the server refused
	failure           atomic.Pointer[string]
}

func newPlayer(c *core, i int) *Player {
	return &Player{Index: i, c: c, welcomed: make(chan struct{}), left: make(chan struct{})}
}

// ID is the player id the server's Welcome gave this connection.
func (p *Player) ID() string { return p.id }

// RoomID is the room JoinRoom seated the player in ("" before).
func (p *Player) RoomID() string { return p.roomID }

// JoinRoom sends req and waits for the server's Joined: the player's room
// is then the one its inputs go to. A refusal is a *protocol.Error.
func (p *Player) JoinRoom(ctx context.Context, req *tickwirev1.JoinRoom) (*tickwirev1.Joined, error) {
	reply, err := p.Conn.Request(ctx, &protocol.Envelope{Msg: &tickwirev1.Envelope_JoinRoom{JoinRoom: req}})
	if err != nil {
		return nil, fmt.Errorf("join room: %w", err)
	}
	j := reply.GetJoined()
	if j == nil {
		return nil, fmt.Errorf("join room: answered with %T", reply.Msg)
	}
	p.roomID = j.RoomId
	p.c.noteJoined(j)
	return j, nil
}

// fail marks p failed (the first reason wins).
func (p *Player) fail(reason string) {
	if p.failure.CompareAndSwap(nil, &reason) {
		p.live.Store(false)
	}
}

// failed reports whether p failed.
func (p *Player) failed() bool { return p.failure.Load() != nil }

// onEnvelope handles what the server sends that is not a reply, on a
// poller goroutine.
func (p *Player) onEnvelope(env *protocol.Envelope) {
	now := p.c.clk.Now()
	p.bytesIn.Add(int64(loadstat.WireSize(loadstat.EnvelopeWireSize(env), false)))
	switch m := env.Msg.(type) {
	case *tickwirev1.Envelope_State:
		p.framesIn.Add(1)
		p.frame(m.State, now)
	case *tickwirev1.Envelope_Welcome:
		p.welcome.Do(func() {
			p.id = m.Welcome.PlayerId
			close(p.welcomed)
		})
	case *tickwirev1.Envelope_Error:
		p.c.errs.Add("error " + m.Error.Code.String())
		if env.Ref != 0 { // an input refused: inputs carry their seq as ref
			p.mu.Lock()
			due := p.track.Due(uint64(env.Ref))
			p.mu.Unlock()
			if p.c.inWindow(due) {
				p.refused.Add(1)
			}
		}
	case *tickwirev1.Envelope_Left:
		if p.c.leaving.Load() {
			p.leftOnce.Do(func() { close(p.left) })
			return
		}
		p.fail("left room: " + m.Left.Code.String() + " " + m.Left.Reason)
	}
}

// ack acknowledges the inputs a frame received at now covers, recording
// their latency; p.mu is held.
func (p *Player) ack(lastSeq uint64, now int64) {
	c := p.c
	from, to := c.window()
	n := p.track.Ack(lastSeq, now, func(k uint64, latency, sendLag int64) {
		due := p.track.Due(k)
		in := due >= from && due < to
		c.latency.Record(p.Index, latency, in)
		if sendLag >= 0 {
			c.fromSend.Record(p.Index, latency-sendLag, in)
		}
	})
	c.acked.Add(int64(n))
}

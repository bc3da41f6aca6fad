package main

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/lesismal/nbio/nbhttp/websocket"

	"github.com/tickwire/tickwire/client"
	"github.com/tickwire/tickwire/internal/nbclose"
	"github.com/tickwire/tickwire/protocol"
)

// tickConn is what a player needs of a Tickwire connection: the full
// client's (client.Conn, which decodes every frame) or the lean one's
// (leanConn, which reads only what latency needs).
type tickConn interface {
	link
	Send(env *protocol.Envelope) error
	Request(ctx context.Context, env *protocol.Envelope) (*protocol.Envelope, error)
}

// leanScenario is a Tickwire scenario whose clients need nothing of a
// state frame but its tick and last_input_seq (the arena without
// -verify): they run on leanConns, and the scheduler encodes their inputs
// and pings by hand.
type leanScenario interface {
	lean() bool
}

// isLean reports whether r's players use leanConns.
func (r *run) isLean() bool {
	l, ok := r.scn.(leanScenario)
	return ok && l.lean()
}

// leanConn is a Tickwire WebSocket connection on the run's raw engine
// that hands every binary frame to its player's onWire undecoded: state
// frames and pongs are scanned by hand (scanEnvelope), everything else
// (the join's reply, errors, Left) is decoded in full. It owns no
// goroutine.
type leanConn struct {
	rawConn

	reqs client.Requests // replies by Envelope.ref
	done chan struct{}   // closed when the connection ended
	once sync.Once
}

var _ tickConn = (*leanConn)(nil)

// dialLean connects p to the server's /ws with the tickwire.v1
// subprotocol on the run's raw engine and sets p.conn and p.link.
func dialLean(ctx context.Context, r *run, p *player) error {
	c := &leanConn{done: make(chan struct{})}
	u := websocket.NewUpgrader()
	u.KeepaliveTime = 0
	u.MessageLengthLimit = maxLeanMessage
	u.OnMessage(func(_ *websocket.Conn, mt websocket.MessageType, data []byte) {
		if mt == websocket.BinaryMessage {
			p.onWire(c, data)
		}
	})
	u.SetCloseHandler(func(ws *websocket.Conn, code int, reason string) {
		c.closeErr.CompareAndSwap(nil, &linkError{fmt.Errorf("websocket closed: %d %s", code, reason)})
		_ = ws.WriteClose(code, "")
		awaitServerClose(ws)
	})
	u.OnClose(func(*websocket.Conn, error) {
		c.closeErr.CompareAndSwap(nil, &linkError{errors.New("websocket closed: 1006 connection lost")})
		c.once.Do(func() { close(c.done) })
	})
	d := &websocket.Dialer{
		Engine:       r.rawEng,
		Upgrader:     u,
		Subprotocols: []string{protocol.Subprotocol},
		DialTimeout:  dialTimeout,
	}
	ws, resp, err := d.DialContext(ctx, r.srv.wsURLFor(p.idx, r.scn.rooms()), nil)
	if err != nil {
		if resp != nil {
			return fmt.Errorf("handshake refused: HTTP %d", resp.StatusCode)
		}
		return err
	}
	c.ws = ws
	p.conn, p.link = c, c
	return nil
}

// maxLeanMessage caps a lean client's inbound messages, as the full
// client's default does.
const maxLeanMessage = 16 << 20

// Send encodes env and writes it as one binary frame.
func (c *leanConn) Send(env *protocol.Envelope) error {
	b, err := protocol.Encode(env)
	if err != nil {
		return err
	}
	defer b.Release()
	return c.SendRaw(b.B)
}

// Request sends env with a fresh ref and waits for the reply carrying it;
// an Error reply is returned with a *protocol.Error, as client.Conn does.
func (c *leanConn) Request(ctx context.Context, env *protocol.Envelope) (*protocol.Envelope, error) {
	return c.reqs.Do(ctx, env, c.Send, c.done, c.Err)
}

// reply hands env to the Request waiting for its ref; false if none is.
func (c *leanConn) reply(env *protocol.Envelope) bool { return c.reqs.Reply(env) }

// onWire handles one frame of a lean connection on a poller goroutine:
// state frames and pongs without decoding them (no allocation), anything
// else decoded in full and handled as the full client's player does.
// data is nbio's buffer: nothing here keeps it.
func (p *player) onWire(c *leanConn, data []byte) {
	now := p.r.clk.Now()
	s, err := scanEnvelope(data)
	if err != nil {
		p.r.errs.Add("undecodable frame")
		return
	}
	switch s.kind {
	case wireState:
		if s.tick < p.lastTick { // a room's ticks only go up
			p.r.errs.Add("state frame: tick went back")
		}
		p.lastTick = s.tick
		p.bytesIn.Add(int64(wireSize(len(data), false)))
		p.framesIn.Add(1)
		p.stateBytes.Add(int64(len(data)))
		p.onState(s.lastSeq, now)
		return
	case wirePong:
		p.bytesIn.Add(int64(wireSize(len(data), false)))
		p.r.rtt.Record(p.idx, now-(s.clientTime-p.r.clk.Unix0), p.r.inWindow(now))
		return
	}
	env := new(protocol.Envelope)
	if err := protocol.Decode(data, 0, env); err != nil {
		p.r.errs.Add("undecodable frame")
		return
	}
	if c.reply(env) {
		return
	}
	p.bytesIn.Add(int64(wireSize(len(data), false)))
	p.dispatch(env, len(data), now)
}

// awaitServerClose ends a close handler once the poller closed the
// connection: nbio's client would otherwise close it off the poller as
// the handler returns, racing the poller's events (internal/nbclose).
func awaitServerClose(ws *websocket.Conn) { nbclose.AwaitConn(ws.Conn, soakCloseWait) }

package main

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lesismal/nbio"
	"github.com/lesismal/nbio/nbhttp/websocket"

	"github.com/tickwire/tickwire/client"
	"github.com/tickwire/tickwire/internal/nbclose"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
)

// soakConn is one connection of a soak bot, on the run's raw engine: its
// state frames are scanned by hand as a lean arena client's are, anything
// else is decoded in full. A bot has many over its life, one at a time. It
// owns no goroutine.
type soakConn struct {
	ws       *websocket.Conn
	reqs     client.Requests
	done     chan struct{} // closed when the connection ended
	once     sync.Once
	closeErr atomic.Pointer[linkError]
	// byUs is set before the bot ends the connection itself (a clean
	// reconnect, a drop, the end of the run): its end is then no surprise.
	byUs    atomic.Bool
	welcome chan *tickwirev1.Welcome // the first Welcome
	left    chan *tickwirev1.Left    // Left envelopes, for the bot's goroutine
	opened  time.Time                // when the dial began
	addrs   string                   // "local → remote", set on the poller as the connection ends
}

// soakCloseWait bounds a clean close's handshake before the TCP
// connection is closed without it.
const soakCloseWait = 2 * time.Second

// dialSoak opens /ws for b, with its lobby token once it has one (the
// reconnection path: the same player), and waits for the Welcome.
func dialSoak(ctx context.Context, s *soakRun, b *soakBot, token string) (*soakConn, *tickwirev1.Welcome, error) {
	c := &soakConn{
		done:    make(chan struct{}),
		welcome: make(chan *tickwirev1.Welcome, 1),
		left:    make(chan *tickwirev1.Left, 4),
		opened:  time.Now(),
	}
	u := websocket.NewUpgrader()
	u.KeepaliveTime = 0
	u.MessageLengthLimit = maxLeanMessage
	u.OnMessage(func(_ *websocket.Conn, mt websocket.MessageType, data []byte) {
		if mt == websocket.BinaryMessage {
			b.onWire(c, data)
		}
	})
	u.SetCloseHandler(func(ws *websocket.Conn, code int, reason string) {
		c.closeErr.CompareAndSwap(nil, &linkError{fmt.Errorf("websocket closed: %d %s", code, reason)})
		if !c.byUs.Load() { // else this is the answer to our own close
			_ = ws.WriteClose(code, "")
		}
		awaitServerClose(ws)
	})
	u.OnClose(func(ws *websocket.Conn, err error) {
		c.addrs = ws.Conn.LocalAddr().String() + " → " + ws.Conn.RemoteAddr().String()
		c.closeErr.CompareAndSwap(nil, &linkError{fmt.Errorf("websocket closed: 1006 connection lost (%v)", err)})
		c.once.Do(func() { close(c.done) })
		b.connEnded(c)
	})
	d := &websocket.Dialer{
		Engine:       s.eng,
		Upgrader:     u,
		Subprotocols: []string{protocol.Subprotocol},
		DialTimeout:  dialTimeout,
	}
	target := s.srv.wsURL
	if token != "" {
		target += "?token=" + url.QueryEscape(token)
	}
	ws, resp, err := d.DialContext(ctx, target, nil)
	if err != nil {
		s.trace("dial failed after %v: %v", time.Since(c.opened), err)
		if resp != nil {
			return nil, nil, fmt.Errorf("handshake refused: HTTP %d", resp.StatusCode)
		}
		return nil, nil, err
	}
	c.ws = ws
	select {
	case w := <-c.welcome:
		return c, w, nil
	case <-c.done:
		return nil, nil, fmt.Errorf("before the Welcome: %w", c.Err())
	case <-ctx.Done():
		c.drop(false)
		return nil, nil, fmt.Errorf("waiting for the Welcome: %w", ctx.Err())
	}
}

// Err is how the connection ended; nil while it is open.
func (c *soakConn) Err() error {
	if e := c.closeErr.Load(); e != nil {
		return e.err
	}
	return nil
}

// sendRaw writes one binary frame.
func (c *soakConn) sendRaw(data []byte) error {
	if err := c.Err(); err != nil {
		return err
	}
	return c.ws.WriteMessage(websocket.BinaryMessage, data)
}

func (c *soakConn) send(env *protocol.Envelope) error {
	b, err := protocol.Encode(env)
	if err != nil {
		return err
	}
	defer b.Release()
	return c.sendRaw(b.B)
}

// request sends env with a fresh ref and waits for its reply.
func (c *soakConn) request(ctx context.Context, env *protocol.Envelope) (*protocol.Envelope, error) {
	return c.reqs.Do(ctx, env, c.send, c.done, c.Err)
}

// closeClean ends the connection as a client that means to come back
// does: a close frame with 1000, the server's answer, then the server
// closes the TCP connection. It returns once the connection ended.
func (c *soakConn) closeClean(reason string) {
	c.byUs.Store(true)
	if err := c.ws.WriteClose(int(protocol.CloseNormal), reason); err == nil {
		t := time.NewTimer(soakCloseWait)
		defer t.Stop()
		select {
		case <-c.done:
			return
		case <-t.C:
		}
	}
	c.drop(false)
	<-c.done
}

// drop ends the connection abruptly, without a close frame: a FIN, or with
// rst an RST (SO_LINGER 0), as a lost network or a killed tab would.
func (c *soakConn) drop(rst bool) {
	c.byUs.Store(true)
	// Only on an open connection: a closed one's fd may be another's by now.
	nc, ok := c.ws.Conn.(*nbio.Conn)
	if ok && rst && c.Err() == nil {
		_ = nc.SetLinger(1, 0)
	}
	if ok {
		// Shut down here, closed by the poller: a close on this goroutine
		// could hand the fd to another bot's dial while the poller still
		// holds an event of this socket (internal/nbclose).
		nbclose.Close(nc)
		return
	}
	_ = c.ws.Conn.Close()
}

// trace writes one line about a rare event (a connection the bots did not
// end, a failed dial) to the run's log, stamped with the wall clock so
// that it can be matched with a packet capture or the server's log.
func (s *soakRun) trace(format string, args ...any) {
	fmt.Fprintf(s.log, "%s soak: %s\n", time.Now().UTC().Format("15:04:05.000000"), fmt.Sprintf(format, args...))
}

// traceConn traces the end of c with its addresses and age; it runs in
// c's close handler.
func (s *soakRun) traceConn(c *soakConn, what string) {
	s.trace("connection %s %s after %v: %v", c.addrs, what, time.Since(c.opened), c.Err())
}

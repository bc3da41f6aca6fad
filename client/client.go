// Package client is Tickwire's Go client: it dials /ws with the tickwire.v1
// subprotocol, sends and receives Envelopes, measures round-trip time and
// keeps replicas of room state. It runs on nbio's client engine, so one
// process can hold thousands of connections (tests, bots, the bench).
package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	ltls "github.com/lesismal/llib/std/crypto/tls"
	"github.com/lesismal/nbio"
	"github.com/lesismal/nbio/nbhttp"
	"github.com/lesismal/nbio/nbhttp/websocket"

	"github.com/tickwire/tickwire/internal/nbclose"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
)

// Engine is the event loop shared by many connections. One Engine can
// serve thousands of Conns; close it after them.
type Engine struct {
	nb *nbhttp.Engine
}

// NewEngine starts an Engine with pollers goroutines (0: GOMAXPROCS).
func NewEngine(pollers int) (*Engine, error) {
	if pollers <= 0 {
		pollers = runtime.GOMAXPROCS(0)
	}
	nb := nbhttp.NewEngine(nbhttp.Config{
		Name:                    "tickwire-client",
		NPoller:                 pollers,
		SupportServerOnly:       false,
		ReleaseWebsocketPayload: true,
	})
	if err := nb.Start(); err != nil {
		return nil, fmt.Errorf("start client engine: %w", err)
	}
	return &Engine{nb: nb}, nil
}

// Close stops the engine and every connection still on it.
func (e *Engine) Close() { e.nb.Stop() }

// freshStopPatience bounds closeFresh.
const freshStopPatience = 2 * time.Second

// closeFresh stops an engine that may have been started moments ago (a
// private engine whose dial failed at once). nbio v1.6.8's poller resets
// its shutdown flag when its loop starts, so a Stop that comes before the
// poller goroutine ran is lost and Stop waits forever. closeFresh waits
// for Stop at most freshStopPatience; past that the engine's poller and
// the stopping goroutine are abandoned (two idle goroutines) rather than
// hanging the caller. Pass Options.Engine to avoid private engines (docs/design.md:
// "Known nbio limitations").
func (e *Engine) closeFresh() {
	done := make(chan struct{})
	go func() { e.nb.Stop(); close(done) }()
	t := time.NewTimer(freshStopPatience)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C: // abandoned: see above
	}
}

// Options configures Dial. The zero value works against ws:// URLs.
type Options struct {
	// Engine to run on; nil starts a private one that Close stops.
	Engine *Engine
	// Subprotocols to offer; default ["tickwire.v1"].
	Subprotocols []string
	// Header adds request headers (Origin, Authorization, ...).
	Header http.Header
	// TLSConfig for wss:// URLs (RootCAs, ServerName, InsecureSkipVerify
	// are honoured).
	TLSConfig *tls.Config
	// Compression offers permessage-deflate.
	Compression bool
	// OnEnvelope, when set, receives every Envelope on the connection's
	// reader and Recv is not used. It must not block; env is its to keep.
	OnEnvelope func(env *protocol.Envelope)
	// Inbox is how many Envelopes Recv buffers (default 1024). A client
	// that lets it fill is closed with an error rather than silently
	// losing messages.
	Inbox int
	// MaxMessageBytes caps inbound messages (default 16 MiB).
	MaxMessageBytes int
	// DialTimeout bounds the handshake (default 10s).
	DialTimeout time.Duration
}

// ErrInboxFull closes a Conn whose Recv buffer overflowed.
var ErrInboxFull = errors.New("client: inbox full: Recv is not keeping up")

// ErrClosed is returned by operations on a closed Conn.
var ErrClosed = errors.New("client: connection closed")

// CloseError is how a Conn ended: the close code and reason the server
// sent, or 1006 when the connection dropped without a close frame.
type CloseError struct {
	Code   int
	Reason string
}

func (e *CloseError) Error() string {
	return fmt.Sprintf("websocket closed: %d %s", e.Code, e.Reason)
}

// Conn is one client connection. Send, Recv, Ping and Close are safe for
// concurrent use.
type Conn struct {
	ws          *websocket.Conn
	ownEngine   *Engine
	inbox       chan *protocol.Envelope
	onEnvelope  func(*protocol.Envelope)
	done        chan struct{}
	closeOnce   sync.Once
	engineOnce  sync.Once
	closeErr    atomic.Pointer[CloseError]
	maxMessage  int
	subprotocol string

	reqs Requests // replies by Envelope.ref
}

// Dial connects to url (ws:// or wss://), e.g. "ws://127.0.0.1:8080/ws".
func Dial(ctx context.Context, url string, opts Options) (*Conn, error) {
	if opts.Inbox <= 0 {
		opts.Inbox = 1024
	}
	if opts.MaxMessageBytes <= 0 {
		opts.MaxMessageBytes = 16 << 20
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = 10 * time.Second
	}
	if opts.Subprotocols == nil {
		opts.Subprotocols = []string{protocol.Subprotocol}
	}
	c := &Conn{
		onEnvelope: opts.OnEnvelope,
		done:       make(chan struct{}),
		maxMessage: opts.MaxMessageBytes,
	}
	if c.onEnvelope == nil {
		c.inbox = make(chan *protocol.Envelope, opts.Inbox)
	}
	eng := opts.Engine
	if eng == nil {
		var err error
		if eng, err = NewEngine(1); err != nil {
			return nil, err
		}
		c.ownEngine = eng
	}
	// Handlers are per connection, so the first message (the Welcome, which
	// may arrive with the handshake response) already knows its Conn.
	u := websocket.NewUpgrader()
	u.MessageLengthLimit = opts.MaxMessageBytes
	u.KeepaliveTime = 0
	u.EnableCompression(opts.Compression)
	u.OnMessage(func(_ *websocket.Conn, mt websocket.MessageType, data []byte) { c.onMessage(mt, data) })
	u.SetCloseHandler(func(ws *websocket.Conn, code int, reason string) {
		c.closeErr.CompareAndSwap(nil, &CloseError{Code: code, Reason: reason})
		_ = ws.WriteClose(code, "")
		awaitServerClose(ws)
	})
	u.OnClose(func(*websocket.Conn, error) { c.finish() })
	d := &websocket.Dialer{
		Engine:            eng.nb,
		Upgrader:          u,
		Subprotocols:      opts.Subprotocols,
		EnableCompression: opts.Compression,
		DialTimeout:       opts.DialTimeout,
	}
	if opts.TLSConfig != nil {
		d.TLSClientConfig = &ltls.Config{
			RootCAs:            opts.TLSConfig.RootCAs,
			ServerName:         opts.TLSConfig.ServerName,
			InsecureSkipVerify: opts.TLSConfig.InsecureSkipVerify,
		}
	}
	ws, resp, err := d.DialContext(ctx, url, opts.Header)
	if err != nil {
		if c.ownEngine != nil {
			c.ownEngine.closeFresh()
		}
		if resp != nil {
			return nil, &HandshakeError{Status: resp.StatusCode, Err: err}
		}
		return nil, fmt.Errorf("dial %s: %w", url, err)
	}
	c.ws = ws
	c.subprotocol = ws.Subprotocol()
	return c, nil
}

// HandshakeError is a refused WebSocket handshake.
type HandshakeError struct {
	Status int // the HTTP status, when known (0: not known)
	Err    error
}

func (e *HandshakeError) Error() string {
	if e.Status == 0 { // nbio did not hand over the response's status
		return fmt.Sprintf("handshake refused: %v", e.Err)
	}
	return fmt.Sprintf("handshake refused: HTTP %d: %v", e.Status, e.Err)
}

func (e *HandshakeError) Unwrap() error { return e.Err }

// Subprotocol is the subprotocol the server chose.
func (c *Conn) Subprotocol() string { return c.subprotocol }

func (c *Conn) onMessage(mt websocket.MessageType, data []byte) {
	if mt != websocket.BinaryMessage {
		return
	}
	env := new(protocol.Envelope)
	if err := protocol.Decode(data, c.maxMessage, env); err != nil {
		c.closeErr.CompareAndSwap(nil, &CloseError{Code: 1002, Reason: "client: " + err.Error()})
		_ = c.ws.WriteClose(1002, "undecodable frame")
		_ = c.ws.Close()
		return
	}
	if c.reqs.Reply(env) {
		return
	}
	if c.onEnvelope != nil {
		c.onEnvelope(env)
		return
	}
	select {
	case c.inbox <- env:
	default:
		c.closeErr.CompareAndSwap(nil, &CloseError{Code: 1008, Reason: ErrInboxFull.Error()})
		_ = c.ws.Close()
	}
}

func (c *Conn) finish() {
	c.closeOnce.Do(func() {
		c.closeErr.CompareAndSwap(nil, &CloseError{Code: 1006, Reason: "connection lost"})
		close(c.done)
	})
}

// Done is closed when the connection has ended; Err then says how.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err is nil while the connection is open, then a *CloseError.
func (c *Conn) Err() error {
	select {
	case <-c.done:
		return c.closeErr.Load()
	default:
		return nil
	}
}

// Send encodes env and writes it as one binary frame.
func (c *Conn) Send(env *protocol.Envelope) error {
	b, err := protocol.Encode(env)
	if err != nil {
		return err
	}
	defer b.Release()
	return c.SendRaw(b.B)
}

// SendRaw writes data as one binary frame (for tests of bad input).
func (c *Conn) SendRaw(data []byte) error {
	if err := c.ws.WriteMessage(websocket.BinaryMessage, data); err != nil {
		return fmt.Errorf("send: %w", ErrClosed)
	}
	return nil
}

// SendText writes data as one text frame (for tests of bad input).
func (c *Conn) SendText(data string) error {
	return c.ws.WriteMessage(websocket.TextMessage, []byte(data))
}

// Recv returns the next Envelope, or an error once ctx ends or the
// connection is closed and every buffered Envelope was read.
func (c *Conn) Recv(ctx context.Context) (*protocol.Envelope, error) {
	if c.inbox == nil {
		return nil, errors.New("client: Recv with Options.OnEnvelope set")
	}
	select {
	case env := <-c.inbox:
		return env, nil
	default:
	}
	select {
	case env := <-c.inbox:
		return env, nil
	case <-c.done:
		select {
		case env := <-c.inbox:
			return env, nil
		default:
			return nil, c.Err()
		}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Request sends env with a fresh ref and waits for the reply carrying that
// ref (the reply does not go through Recv). An Error reply is returned as
// a *protocol.Error.
func (c *Conn) Request(ctx context.Context, env *protocol.Envelope) (*protocol.Envelope, error) {
	return c.reqs.Do(ctx, env, c.Send, c.done, c.Err)
}

// Ping measures one round trip through the server's Envelope path.
func (c *Conn) Ping(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	_, err := c.Request(ctx, &protocol.Envelope{Msg: &tickwirev1.Envelope_Ping{Ping: &tickwirev1.Ping{ClientTimeUnixNano: start.UnixNano()}}})
	if err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// Close sends a 1000 close frame and waits (bounded by ctx) for the
// server's reply, then cuts the connection. Call it even after the server
// closed the connection: it also stops a private Engine. Calling it again
// does nothing.
func (c *Conn) Close(ctx context.Context) error {
	_ = c.ws.WriteClose(1000, "bye")
	select {
	case <-c.done:
	case <-ctx.Done():
	}
	if nbc, ok := c.ws.Conn.(*nbio.Conn); ok {
		nbclose.Close(nbc) // its poller closes it (internal/nbclose)
	} else {
		_ = c.ws.Close()
	}
	<-c.done
	if c.ownEngine != nil {
		c.engineOnce.Do(c.ownEngine.Close)
	}
	return nil
}

// closePatience bounds how long a close handler waits for the server to
// end the TCP connection after the closing handshake.
const closePatience = 2 * time.Second

// awaitServerClose runs at the end of a close handler: it returns once
// the connection's poller closed it (the server closes first, RFC 6455
// 7.1.1). nbio's client closes the connection itself as soon as the close
// handler returns, on its message goroutine; off the poller, that close
// could free the fd while the poller held an event of the socket, which
// it would then apply to the next connection given the number
// (internal/nbclose).
func awaitServerClose(ws *websocket.Conn) { nbclose.AwaitConn(ws.Conn, closePatience) }

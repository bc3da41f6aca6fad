package server

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/lesismal/nbio"
	"github.com/lesismal/nbio/nbhttp"

	ltls "github.com/lesismal/llib/std/crypto/tls"
)

// headGuard stands between nbio and its HTTP parser on every connection
// until the connection is upgraded (or hijacked for an event stream): it
// is the nbio connection's session, so nbio hands it the connection's
// bytes, which it passes on to nbio's parser; and it is that parser's
// Processor, so it sees each request's parts as they are parsed, which it
// passes on to nbio's ServerProcessor.
//
// It answers what nbio's parser would either buffer or end with a bare
// close: a request head that trickles in for longer than HeaderTimeout
// (408), a request target longer than MaxRequestURIBytes (414), a head
// larger than MaxHeaderBytes or with more than MaxHeaderLines lines (431),
// a body declared or found larger than MaxBodyBytes (413), and any request
// nbio's parser cannot parse (400). Each is decided as the bytes arrive,
// answered with a status and a plain-text reason, and logged once; the
// connection's further bytes are then read and dropped until the client
// closes or CloseGrace passes (a close with unread input would reset the
// connection, and a reset can destroy the answer before the client reads
// it).
//
// Parse runs on the poller; the header timer on a timer goroutine; mu
// orders them. The Processor methods run inside nbio's Parse, so with mu
// held.
type headGuard struct {
	s    *Server
	p    *nbhttp.Parser
	proc nbhttp.Processor // nbio's ServerProcessor
	tls  bool

	mu       sync.Mutex
	inBody   bool        // the current request's head is complete
	chunked  bool        // the current request's body is chunked
	headLen  int         // bytes read of the current head (an upper bound)
	uriSeen  bool        // the current request's target was parsed
	lines    int         // header and trailer lines of the current request
	wireBody int         // bytes read of the current body, chunk framing included
	body     int         // body bytes parsed
	gen      uint64      // requests completed on the connection
	timer    *time.Timer // HeaderTimeout, made once and reset for each head
	deadline time.Time   // the current head's, zero when no head is timed
	status   int         // the refusal decided, 0 while none
	reason   string
	refused  bool        // answered: further bytes are dropped
	linger   *time.Timer // closes a refused connection
	closed   bool
}

var (
	_ nbhttp.ParserCloser = (*headGuard)(nil)
	_ nbhttp.Processor    = (*headGuard)(nil)
)

// errRefused stops nbio's parser once the guard has refused the request.
var errRefused = errors.New("request refused")

// wireSlack is what a chunked body's framing may add to MaxBodyBytes
// before its wire size alone refuses it: chunks are cached whole by nbio's
// parser until their last byte, so the wire size is what bounds memory.
const wireSlack = 64 << 10

// guardConnections makes the guard the first reader of every new
// connection: nbio's engine-wide data handler, replacing nbhttp's (which
// only calls the connection's own handler), installs it on a connection's
// first bytes, when its session is still nbio's parser.
func (s *Server) guardConnections() {
	s.engine.OnData(func(c *nbio.Conn, data []byte) {
		if p, ok := c.Session().(*nbhttp.Parser); ok {
			c.SetSession(s.newHeadGuard(p))
		}
		c.DataHandler()(c, data)
	})
}

func (s *Server) newHeadGuard(p *nbhttp.Parser) *headGuard {
	g := &headGuard{s: s, p: p, proc: p.Processor}
	if hc, ok := p.Conn.(*nbhttp.Conn); ok {
		_, g.tls = hc.Conn.(*ltls.Conn)
	}
	p.Processor = g
	// The first bytes have arrived (for TLS, of the handshake): the head's
	// clock starts now.
	g.startHead()
	return g
}

// parserReadLimit is the bound the guard leaves to nbio's own read limit
// (what its parser may cache unparsed): larger than anything the guard
// lets through, so that the guard answers first.
func parserReadLimit(o *Options) int { return o.MaxHeaderBytes + o.MaxBodyBytes + 4*wireSlack }

// UnderlayerConn implements nbhttp.ParserCloser.
func (g *headGuard) UnderlayerConn() net.Conn { return g.p.Conn }

// Parse implements nbhttp.ParserCloser: it counts the bytes against the
// current request's limits, hands them to nbio's parser, and answers a
// refusal that the bytes or the parser's callbacks decided.
func (g *headGuard) Parse(data []byte) error {
	g.mu.Lock()
	if g.refused || g.closed {
		g.mu.Unlock()
		return nil // draining after a refusal
	}
	if g.deadline.IsZero() && !g.inBody {
		g.startHead() // the first byte of a keep-alive connection's next head
	}
	wasBody := g.inBody
	if wasBody {
		g.wireBody += len(data)
	} else {
		g.headLen += len(data)
	}
	gen := g.gen
	err := g.p.Parse(data)
	o := &g.s.opts
	switch {
	case g.status != 0:
	case errors.Is(err, net.ErrClosed):
		g.mu.Unlock()
		return err
	case errors.Is(err, nbhttp.ErrTooLong):
		g.refuseLocked(http.StatusRequestHeaderFieldsTooLarge, "request too large")
	case err != nil:
		g.refuseLocked(http.StatusBadRequest, "malformed request: "+err.Error())
	case gen != g.gen || wasBody != g.inBody:
		// A head ended (or a request completed) within these bytes: the
		// counts of the next part start with the next read.
	case !g.inBody && !g.uriSeen && g.headLen > o.MaxRequestURIBytes+len("OPTIONS  HTTP/1.1\r\n"):
		g.refuseLocked(http.StatusRequestURITooLong, fmt.Sprintf("request target over %d bytes", o.MaxRequestURIBytes))
	case !g.inBody && g.headLen > o.MaxHeaderBytes:
		g.refuseLocked(http.StatusRequestHeaderFieldsTooLarge, fmt.Sprintf("request head over %d bytes", o.MaxHeaderBytes))
	case g.inBody && g.chunked && g.wireBody > o.MaxBodyBytes+wireSlack:
		g.refuseLocked(http.StatusRequestEntityTooLarge, fmt.Sprintf("body over %d bytes", o.MaxBodyBytes))
	}
	var answer []byte
	if g.status != 0 {
		answer = g.answerLocked()
	}
	g.mu.Unlock()
	g.write(answer)
	return nil
}

// CloseAndClean implements nbhttp.ParserCloser: the connection closed.
func (g *headGuard) CloseAndClean(err error) {
	g.mu.Lock()
	g.closed = true
	g.stopTimerLocked()
	if g.linger != nil {
		g.linger.Stop()
	}
	g.mu.Unlock()
	g.p.CloseAndClean(err)
}

// startHead starts the clock of a request head.
func (g *headGuard) startHead() {
	g.deadline = time.Now().Add(g.s.opts.HeaderTimeout)
	if g.timer == nil {
		g.timer = time.AfterFunc(g.s.opts.HeaderTimeout, g.expire)
	} else {
		g.timer.Reset(g.s.opts.HeaderTimeout)
	}
}

func (g *headGuard) stopTimerLocked() {
	g.deadline = time.Time{}
	if g.timer != nil {
		g.timer.Stop()
	}
}

// expire runs on a timer goroutine when a head took longer than
// HeaderTimeout.
func (g *headGuard) expire() {
	g.mu.Lock()
	// A firing that raced the end of its head, or a reset for the next
	// head, finds no deadline passed and does nothing.
	current := !g.deadline.IsZero() && !time.Now().Before(g.deadline) && !g.inBody && g.status == 0 && !g.closed
	if nbc := pollerConn(g.p.Conn); nbc == nil || nbc.Session() != g {
		current = false // upgraded or hijacked since: not ours any more
	}
	if !current {
		g.mu.Unlock()
		return
	}
	g.deadline = time.Time{}
	if g.tls && g.headLen == 0 {
		// Still in the TLS handshake (no plaintext yet): no status can be
		// written in the clear, so the connection is just closed.
		g.closed = true
		g.mu.Unlock()
		g.s.metrics.refused.WithLabelValues("408").Inc()
		g.s.log.Debug().Str("remote", g.p.Conn.RemoteAddr().String()).Msg("TLS handshake not complete within HeaderTimeout: closed")
		_ = closeConn(g.p.Conn)
		return
	}
	g.refuseLocked(http.StatusRequestTimeout, fmt.Sprintf("request head not complete within %v", g.s.opts.HeaderTimeout))
	answer := g.answerLocked()
	g.mu.Unlock()
	g.write(answer)
}

// refuseLocked records the refusal; answerLocked makes it final.
func (g *headGuard) refuseLocked(status int, reason string) {
	if g.status == 0 {
		g.status, g.reason = status, reason
	}
}

// answerLocked marks the request refused (the connection's further bytes
// are dropped from now on), counts and logs it, and returns the response
// to write once mu is released: a failed write closes the connection,
// whose close handler takes mu.
func (g *headGuard) answerLocked() []byte {
	g.refused = true
	g.stopTimerLocked()
	status := strconv.Itoa(g.status)
	g.s.metrics.refused.WithLabelValues(status).Inc()
	g.s.log.Debug().Str("remote", g.p.Conn.RemoteAddr().String()).Int("status", g.status).Str("reason", g.reason).Msg("HTTP request refused")
	body := g.reason + "\n"
	return []byte("HTTP/1.1 " + status + " " + http.StatusText(g.status) + "\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\n" +
		"Connection: close\r\n\r\n" + body)
}

// write writes a refusal (nothing when answer is empty) and closes the
// connection after CloseGrace, unless the client closes it first.
func (g *headGuard) write(answer []byte) {
	if len(answer) == 0 {
		return
	}
	conn := g.p.Conn
	if _, err := conn.Write(answer); err != nil {
		_ = closeConn(conn)
		return
	}
	t := time.AfterFunc(g.s.opts.CloseGrace, func() { _ = closeConn(conn) })
	g.mu.Lock()
	if g.closed {
		t.Stop()
	} else {
		g.linger = t
	}
	g.mu.Unlock()
}

// The Processor methods: nbio's parser calls them inside Parse (mu held).
// Each checks its part of the request, then forwards to nbio's processor;
// once the request is refused nothing more is forwarded, so its handler
// never runs.

// OnMethod implements nbhttp.Processor.
func (g *headGuard) OnMethod(p *nbhttp.Parser, method string) {
	if g.status == 0 {
		g.proc.OnMethod(p, method)
	}
}

// OnURL implements nbhttp.Processor.
func (g *headGuard) OnURL(p *nbhttp.Parser, uri string) error {
	if len(uri) > g.s.opts.MaxRequestURIBytes {
		g.refuseLocked(http.StatusRequestURITooLong, fmt.Sprintf("request target over %d bytes", g.s.opts.MaxRequestURIBytes))
	}
	if g.status != 0 {
		return errRefused
	}
	g.uriSeen = true
	return g.proc.OnURL(p, uri)
}

// OnProto implements nbhttp.Processor.
func (g *headGuard) OnProto(p *nbhttp.Parser, proto string) error {
	if g.status != 0 {
		return errRefused
	}
	return g.proc.OnProto(p, proto)
}

// OnStatus implements nbhttp.Processor (a client's callback; unused).
func (g *headGuard) OnStatus(p *nbhttp.Parser, code int, status string) {
	g.proc.OnStatus(p, code, status)
}

// OnHeader implements nbhttp.Processor.
func (g *headGuard) OnHeader(p *nbhttp.Parser, key, value string) {
	g.lines++
	if g.lines > g.s.opts.MaxHeaderLines {
		g.refuseLocked(http.StatusRequestHeaderFieldsTooLarge, fmt.Sprintf("over %d header lines", g.s.opts.MaxHeaderLines))
	}
	if g.status != 0 {
		return
	}
	if key == "Transfer-Encoding" {
		g.chunked = true // nbio's parser accepts only "chunked"
	}
	g.proc.OnHeader(p, key, value)
}

// OnContentLength implements nbhttp.Processor: the head is complete.
func (g *headGuard) OnContentLength(p *nbhttp.Parser, n int) {
	if g.status != 0 {
		return
	}
	g.stopTimerLocked()
	g.inBody = true
	g.wireBody, g.body = 0, 0
	if n > g.s.opts.MaxBodyBytes {
		g.refuseLocked(http.StatusRequestEntityTooLarge, fmt.Sprintf("body of %d bytes over %d", n, g.s.opts.MaxBodyBytes))
		return
	}
	g.proc.OnContentLength(p, n)
}

// OnBody implements nbhttp.Processor.
func (g *headGuard) OnBody(p *nbhttp.Parser, data []byte) error {
	g.body += len(data)
	if g.body > g.s.opts.MaxBodyBytes {
		g.refuseLocked(http.StatusRequestEntityTooLarge, fmt.Sprintf("body over %d bytes", g.s.opts.MaxBodyBytes))
	}
	if g.status != 0 {
		return errRefused
	}
	return g.proc.OnBody(p, data)
}

// OnTrailerHeader implements nbhttp.Processor.
func (g *headGuard) OnTrailerHeader(p *nbhttp.Parser, key, value string) {
	g.lines++
	if g.lines > g.s.opts.MaxHeaderLines {
		g.refuseLocked(http.StatusRequestHeaderFieldsTooLarge, fmt.Sprintf("over %d header lines", g.s.opts.MaxHeaderLines))
	}
	if g.status == 0 {
		g.proc.OnTrailerHeader(p, key, value)
	}
}

// OnComplete implements nbhttp.Processor: the request is whole; its
// handler runs, and the next request's head starts with the next byte.
func (g *headGuard) OnComplete(p *nbhttp.Parser) {
	if g.status != 0 {
		return
	}
	g.gen++
	g.inBody, g.chunked, g.uriSeen = false, false, false
	g.headLen, g.lines, g.wireBody, g.body = 0, 0, 0, 0
	g.stopTimerLocked()
	g.proc.OnComplete(p)
}

// Close implements nbhttp.Processor.
func (g *headGuard) Close(p *nbhttp.Parser, err error) { g.proc.Close(p, err) }

// Clean implements nbhttp.Processor.
func (g *headGuard) Clean(p *nbhttp.Parser) { g.proc.Clean(p) }

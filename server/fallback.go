package server

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lesismal/nbio"
	"github.com/lesismal/nbio/nbhttp"
	"github.com/prometheus/client_golang/prometheus"

	ltls "github.com/lesismal/llib/std/crypto/tls"

	"github.com/tickwire/tickwire/internal/nbclose"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/server/internal/wsframe"
)

// The HTTP fallback transport, for networks that block WebSockets: a
// session's server-to-client messages travel down one long-lived
// Server-Sent Events response, its client-to-server messages up in POSTs.
// Both carry the same protobuf Envelopes as /ws and feed the same sessions.
const (
	// PathFallbackStream opens a fallback session: GET, an event stream.
	PathFallbackStream = "/ws/sse"
	// PathFallbackSend carries a fallback session's messages: POST.
	PathFallbackSend = "/ws/send"

	endpointFallback = "sse" // sessions gauge label
)

// fallbackSIDBytes is the entropy of a fallback session id: it is the
// only credential of the POSTs, so it must not be guessable.
const fallbackSIDBytes = 32

// fallback serves the HTTP fallback's two endpoints and finds a session
// by its fallback id.
type fallback struct {
	s        *Server
	requests *prometheus.CounterVec

	mu      sync.Mutex
	streams map[string]*sseStream // by sid
}

// handleFallback registers the fallback's routes and metrics.
func (s *Server) handleFallback() error {
	f := &fallback{
		s:       s,
		streams: make(map[string]*sseStream),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tickwire_fallback_requests_total",
			Help: "Requests to the HTTP fallback transport by route and HTTP status.",
		}, []string{"route", "status"}),
	}
	if err := s.opts.Registry.Register(f.requests); err != nil {
		return fmt.Errorf("register fallback metrics: %w", err)
	}
	s.mux.HandleFunc("GET "+PathFallbackStream, f.serveStream)
	s.mux.HandleFunc("POST "+PathFallbackSend, f.serveSend)
	s.mux.HandleFunc("OPTIONS "+PathFallbackSend, f.servePreflight)
	return nil
}

// maxBody caps one POST: a few messages of the largest size, each with its
// length prefix.
func (f *fallback) maxBody() int {
	return 4 * (f.s.opts.MaxMessageBytes + binary.MaxVarintLen32)
}

// answer ends a fallback request with a status and a plain-text reason.
func (f *fallback) answer(w http.ResponseWriter, r *http.Request, route string, status int, reason string) {
	f.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	if status >= 400 {
		f.s.log.Debug().Str("path", r.URL.Path).Str("remote", r.RemoteAddr).Int("status", status).Str("reason", reason).Msg("fallback request refused")
	}
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(reason + "\n"))
}

// allowCORS lets an allowed cross-origin page read the answer.
func allowCORS(w http.ResponseWriter, r *http.Request) {
	if origin := r.Header.Get("Origin"); origin != "" {
		w.Header().Set("Access-Control-Allow-Origin", origin)
		w.Header().Add("Vary", "Origin")
	}
}

// serveStream opens a fallback session: the same checks as the /ws
// handshake, then the response becomes the session's event stream.
func (f *fallback) serveStream(w http.ResponseWriter, r *http.Request) {
	s := f.s
	const route = "sse"
	if !s.originAllowed(r) {
		f.answer(w, r, route, http.StatusForbidden, "origin "+strconv.Quote(r.Header.Get("Origin"))+" is not allowed")
		return
	}
	allowCORS(w, r)
	if s.draining.Load() {
		f.answer(w, r, route, http.StatusServiceUnavailable, "server shutting down")
		return
	}
	if r.URL.Query().Get("subprotocol") != subprotocolGame {
		f.answer(w, r, route, http.StatusBadRequest, "subprotocol "+subprotocolGame+" required (?subprotocol=)")
		return
	}
	g := &gameState{}
	token := requestToken(r)
	if token != "" && s.opts.Authenticate != nil {
		player, err := s.opts.Authenticate(token)
		if err != nil {
			f.answer(w, r, route, http.StatusUnauthorized, "bad token: "+err.Error())
			return
		}
		g.player = player
	}
	res, ok := w.(*nbhttp.Response)
	var nbc *nbio.Conn
	if ok && res.Parser != nil {
		nbc = pollerConn(res.Parser.Conn)
	}
	if nbc == nil {
		f.answer(w, r, route, http.StatusInternalServerError, "connection not served by the server's pollers") // as upgrade: cannot happen with nbhttp
		return
	}
	sid, err := newFallbackSID()
	if err != nil {
		f.answer(w, r, route, http.StatusInternalServerError, "no session id")
		return
	}
	conn, _, err := res.Hijack()
	if err != nil {
		f.answer(w, r, route, http.StatusInternalServerError, "hijack failed")
		return
	}
	f.requests.WithLabelValues(route, "200").Inc()
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	st := &sseStream{f: f, conn: conn, w: nbclose.NewWriter(conn), sid: sid, origin: r.Header.Get("Origin"), token: sha256.Sum256([]byte(token))}
	sess := newSession(s, st, endpointFallback, host)
	sess.game = g
	sess.nbc = nbc
	st.sess = sess
	// From here nbio hands this connection's reads, writes and close to the
	// stream, as the WebSocket upgrader does with its connection.
	nbc.SetSession(st)
	if hc, ok := conn.(*nbhttp.Conn); ok {
		hc.Parser = nil
	}
	// A stream is never read from: the session's own idle timeout (fed by
	// the POSTs) replaces the HTTP keep-alive deadline.
	_ = nbc.SetReadDeadline(time.Time{})

	head := st.head(r)
	sess.mu.Lock()
	sess.inflight.Add(int64(len(head)))
	sess.progress.Store(time.Now().UnixNano())
	err = st.w.Write(head, st.wrote)
	sess.mu.Unlock()
	if err != nil {
		return // the Writer has its poller close it
	}
	f.mu.Lock()
	f.streams[sid] = st
	f.mu.Unlock()
	s.addSession(sess)
	s.openGame(sess)
}

// pollerConn finds the nbio connection under a request's connection
// (plain or TLS), or nil for a connection nbio's pollers do not serve.
func pollerConn(c net.Conn) *nbio.Conn {
	if hc, ok := c.(*nbhttp.Conn); ok {
		c = hc.Conn
	}
	switch v := c.(type) {
	case *nbio.Conn:
		return v
	case *ltls.Conn:
		nbc, _ := v.Conn().(*nbio.Conn)
		return nbc
	}
	return nil
}

func newFallbackSID() (string, error) {
	var b [fallbackSIDBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// servePreflight answers a cross-origin page's CORS preflight of a POST.
func (f *fallback) servePreflight(w http.ResponseWriter, r *http.Request) {
	if !f.s.originAllowed(r) {
		f.answer(w, r, "preflight", http.StatusForbidden, "origin "+strconv.Quote(r.Header.Get("Origin"))+" is not allowed")
		return
	}
	allowCORS(w, r)
	w.Header().Set("Access-Control-Allow-Methods", "POST")
	w.Header().Set("Access-Control-Allow-Headers", "Content-Type, Authorization")
	w.Header().Set("Access-Control-Max-Age", "600")
	f.answer(w, r, "preflight", http.StatusNoContent, "")
}

// errFallbackFraming is a POST body that is not a sequence of
// length-prefixed messages.
var errFallbackFraming = errors.New("malformed body: want messages each prefixed by its length as a protobuf varint")

// serveSend takes a POST of one or more length-prefixed Envelopes (or none:
// a keepalive) for a fallback session. Each message is handled as a /ws
// frame would be: the same size cap, rate limit and close codes.
func (f *fallback) serveSend(w http.ResponseWriter, r *http.Request) {
	s := f.s
	const route = "send"
	f.mu.Lock()
	st := f.streams[r.URL.Query().Get("sid")]
	f.mu.Unlock()
	if st == nil || st.sess.isClosing() {
		f.answer(w, r, route, http.StatusNotFound, "unknown or ended session")
		return
	}
	// The session id is the POST's credential; the Origin and any token
	// must also be those that opened the stream. (Browsers send no Origin
	// with a same-origin GET but do with every POST: a stream opened
	// without one takes POSTs from origins the policy allows.)
	if origin := r.Header.Get("Origin"); (st.origin != "" && origin != st.origin) || (st.origin == "" && !s.originAllowed(r)) {
		f.answer(w, r, route, http.StatusForbidden, "origin does not match the session's")
		return
	}
	if tok := requestToken(r); tok != "" {
		if sum := sha256.Sum256([]byte(tok)); subtle.ConstantTimeCompare(sum[:], st.token[:]) != 1 {
			f.answer(w, r, route, http.StatusForbidden, "token does not match the session's")
			return
		}
	}
	allowCORS(w, r)
	sess := st.sess
	limit := f.maxBody()
	if r.ContentLength > int64(limit) {
		s.metrics.badFrames.WithLabelValues("too_big").Inc()
		sess.close(int(protocol.CloseMessageTooBig), "message too big")
		f.answer(w, r, route, http.StatusRequestEntityTooLarge, fmt.Sprintf("body over %d bytes", limit))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, int64(limit)+1))
	if err != nil {
		f.answer(w, r, route, http.StatusBadRequest, "read body: "+err.Error())
		return
	}
	if len(body) > limit {
		s.metrics.badFrames.WithLabelValues("too_big").Inc()
		sess.close(int(protocol.CloseMessageTooBig), "message too big")
		f.answer(w, r, route, http.StatusRequestEntityTooLarge, fmt.Sprintf("body over %d bytes", limit))
		return
	}
	status, reason := st.receive(body)
	f.answer(w, r, route, status, reason)
}

// receive handles one POST body's messages in order. Bodies of one session
// are handled one at a time, as a connection's frames are.
func (st *sseStream) receive(body []byte) (status int, reason string) {
	s, sess := st.f.s, st.sess
	st.inMu.Lock()
	defer st.inMu.Unlock()
	sess.touch() // an empty body is the answer to a keepalive ping
	for len(body) > 0 {
		n, k := binary.Uvarint(body)
		if k <= 0 || n > uint64(len(body)-k) {
			s.metrics.badFrames.WithLabelValues("undecodable").Inc()
			sess.close(int(protocol.CloseProtocolError), "undecodable frame: "+errFallbackFraming.Error())
			return http.StatusBadRequest, errFallbackFraming.Error()
		}
		msg := body[k : k+int(n)]
		body = body[k+int(n):]
		if len(msg) > s.opts.MaxMessageBytes {
			s.metrics.badFrames.WithLabelValues("too_big").Inc()
			sess.close(int(protocol.CloseMessageTooBig), "message too big")
			return http.StatusRequestEntityTooLarge, fmt.Sprintf("message of %d bytes over the %d-byte limit", len(msg), s.opts.MaxMessageBytes)
		}
		if len(msg) == 0 {
			continue // nbio never delivers an empty /ws frame either
		}
		s.gameMessage(sess, wsframe.OpBinary, msg)
		if code := sess.closedWith(); code != 0 {
			switch code {
			case int(protocol.CloseProtocolError):
				return http.StatusBadRequest, "undecodable message: session closed with 1002"
			case int(protocol.CloseInputFlood):
				return http.StatusTooManyRequests, "input flood: session closed with 4008"
			}
			return http.StatusGone, "session closed with " + strconv.Itoa(code)
		}
	}
	return http.StatusNoContent, ""
}

// sseStream is a fallback session's transport: the hijacked connection of
// its GET, written as an event stream. Each Envelope is one event whose
// data is the Envelope in standard base64; a keepalive ping is a comment
// line (the client answers with an empty POST); the close is a "close"
// event whose data is the code, a space and the reason.
//
// It is also the nbio connection's session (nbhttp.ParserCloser), so the
// engine reports the connection's writes and its close to it.
type sseStream struct {
	f      *fallback
	sess   *session
	conn   net.Conn        // the hijacked connection: *nbhttp.Conn over nbio (or TLS)
	w      *nbclose.Writer // every write to conn goes through it
	sid    string
	origin string
	token  [32]byte // SHA-256 of the token the stream was opened with

	buf []byte // event encoding scratch; guarded by sess.mu

	inMu sync.Mutex // serializes the handling of POSTs

	endOnce sync.Once
}

var (
	_ transport           = (*sseStream)(nil)
	_ nbhttp.ParserCloser = (*sseStream)(nil)
)

const (
	sseDataPrefix  = "data: "
	sseClosePrefix = "event: close\ndata: "
	ssePing        = ": ping\n\n"
)

// head is the response head and the stream's first event, "open", whose
// data is a JSON object: the session id for POSTs and the limits.
func (st *sseStream) head(r *http.Request) []byte {
	o := &st.f.s.opts
	var b strings.Builder
	b.WriteString("HTTP/1.1 200 OK\r\n" +
		"Content-Type: text/event-stream\r\n" +
		"Cache-Control: no-cache, no-store, no-transform\r\n" +
		"X-Accel-Buffering: no\r\n" +
		"Connection: close\r\n")
	if origin := r.Header.Get("Origin"); origin != "" {
		b.WriteString("Access-Control-Allow-Origin: " + origin + "\r\nVary: Origin\r\n")
	}
	fmt.Fprintf(&b, "\r\nevent: open\ndata: {\"sid\":%q,\"max_message_bytes\":%d,\"max_body_bytes\":%d,\"ping_ms\":%d,\"idle_ms\":%d}\n\n",
		st.sid, o.MaxMessageBytes, st.f.maxBody(), o.PingInterval.Milliseconds(), o.IdleTimeout.Milliseconds())
	return []byte(b.String())
}

func (st *sseStream) write(mt wsframe.Opcode, data []byte) error {
	b := st.buf[:0]
	switch mt {
	case wsframe.OpPing:
		b = append(b, ssePing...)
	case wsframe.OpPong:
		return nil // the stream answers no pings: POSTs carry no control frames
	case wsframe.OpClose:
		code, reason := 1005, ""
		if len(data) >= 2 {
			code, reason = int(binary.BigEndian.Uint16(data)), string(data[2:])
		}
		b = append(b, sseClosePrefix...)
		b = strconv.AppendInt(b, int64(code), 10)
		b = append(b, ' ')
		b = append(b, strings.Map(noNewline, reason)...)
		b = append(b, "\n\n"...)
	default:
		b = append(b, sseDataPrefix...)
		b = base64.StdEncoding.AppendEncode(b, data)
		b = append(b, "\n\n"...)
	}
	st.buf = b
	err := st.w.Write(b, st.wrote)
	if cap(st.buf) > 64<<10 {
		st.buf = nil // do not keep a snapshot-sized buffer per idle session
	}
	return err
}

// noNewline keeps a close reason on its data line.
func noNewline(r rune) rune {
	if r == '\n' || r == '\r' {
		return ' '
	}
	return r
}

func (st *sseStream) wireSize(mt wsframe.Opcode, n int) int64 {
	switch mt {
	case wsframe.OpPing:
		return int64(len(ssePing))
	case wsframe.OpPong:
		return 0
	case wsframe.OpClose:
		// Close codes have four digits (1000–4999); the reason is n-2 bytes.
		return int64(len(sseClosePrefix) + 4 + 1 + max(n-2, 0) + 2)
	}
	return int64(len(sseDataPrefix) + base64.StdEncoding.EncodedLen(n) + 2)
}

func (st *sseStream) abort() error { return closeConn(st.conn) }

// wrote counts bytes the Writer wrote itself, as nbio's callback counts
// those it writes.
func (st *sseStream) wrote(n int)            { st.f.s.wrote(st.sess, n) }
func (st *sseStream) closedAfterFlush() bool { return true }

// UnderlayerConn implements nbhttp.ParserCloser (nbio's TLS reader needs it).
func (st *sseStream) UnderlayerConn() net.Conn { return st.conn }

// Parse implements nbhttp.ParserCloser: whatever a client sends on its
// stream's connection is ignored (messages come in POSTs).
func (st *sseStream) Parse([]byte) error { return nil }

// CloseAndClean implements nbhttp.ParserCloser: the connection closed, so
// the session ends.
func (st *sseStream) CloseAndClean(err error) {
	st.endOnce.Do(func() {
		f, s, sess := st.f, st.f.s, st.sess
		f.mu.Lock()
		if f.streams[st.sid] == st {
			delete(f.streams, st.sid)
		}
		f.mu.Unlock()
		sess.mu.Lock()
		sess.closing = true // a POST racing the close finds the session ended
		sess.mu.Unlock()
		s.removeSession(sess)
		if sess.game != nil {
			s.closeGame(sess)
		}
		s.log.Debug().Str("session", sess.id).Str("endpoint", sess.endpoint).AnErr("err", err).Msg("session closed")
	})
}

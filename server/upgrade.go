package server

import (
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lesismal/nbio/nbhttp"

	"github.com/tickwire/tickwire/internal/nbclose"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/server/internal/wsframe"
)

const subprotocolGame = protocol.Subprotocol

// originAllowed applies Options.Origins to a handshake.
func (s *Server) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true // not a browser: Origin protects browsers' users only
	}
	if len(s.opts.Origins) == 0 {
		u, err := url.Parse(origin)
		return err == nil && strings.EqualFold(u.Host, r.Host)
	}
	for _, o := range s.opts.Origins {
		if o == "*" || strings.EqualFold(strings.TrimSuffix(o, "/"), origin) {
			return true
		}
	}
	return false
}

func isUpgrade(r *http.Request) bool {
	return headerHasToken(r.Header, "Connection", "upgrade") && headerHasToken(r.Header, "Upgrade", "websocket")
}

func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

func offeredSubprotocols(r *http.Request) []string {
	var out []string
	for _, v := range r.Header.Values("Sec-WebSocket-Protocol") {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// refuse answers a handshake with a status and a plain-text reason.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, status int, reason string) {
	s.metrics.refused.WithLabelValues(strconv.Itoa(status)).Inc()
	s.log.Debug().Str("path", r.URL.Path).Str("remote", r.RemoteAddr).Int("status", status).Str("reason", reason).Msg("handshake refused")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Connection", "close")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(reason + "\n"))
}

// precheck applies the policies every WebSocket endpoint shares.
func (s *Server) precheck(w http.ResponseWriter, r *http.Request) bool {
	switch {
	case s.draining.Load():
		s.refuse(w, r, http.StatusServiceUnavailable, "server shutting down")
	case !isUpgrade(r):
		s.refuse(w, r, http.StatusBadRequest, "expected a WebSocket upgrade (Connection: Upgrade, Upgrade: websocket)")
	case r.Method != http.MethodGet:
		s.refuse(w, r, http.StatusMethodNotAllowed, "WebSocket upgrades use GET")
	case r.Header.Get("Sec-WebSocket-Version") != "13":
		// RFC 6455 4.2.2: 426 and the versions the server speaks.
		w.Header().Set("Sec-WebSocket-Version", "13")
		s.refuse(w, r, http.StatusUpgradeRequired, "unsupported Sec-WebSocket-Version "+strconv.Quote(r.Header.Get("Sec-WebSocket-Version"))+": this server speaks 13")
	case !wsframe.ValidKey(r.Header.Get("Sec-WebSocket-Key")):
		s.refuse(w, r, http.StatusBadRequest, "Sec-WebSocket-Key must be 16 bytes, base64-encoded")
	case !s.originAllowed(r):
		s.refuse(w, r, http.StatusForbidden, "origin "+strconv.Quote(r.Header.Get("Origin"))+" is not allowed")
	default:
		return true
	}
	return false
}

func (s *Server) serveEcho(w http.ResponseWriter, r *http.Request) {
	if !s.precheck(w, r) {
		return
	}
	// Echo accepts any or no subprotocol: it agrees to the first offered.
	proto := ""
	if offered := offeredSubprotocols(r); len(offered) > 0 {
		proto = offered[0]
	}
	s.upgrade(w, r, proto, endpointEcho, nil)
}

func (s *Server) serveGame(w http.ResponseWriter, r *http.Request) {
	if !s.precheck(w, r) {
		return
	}
	if !slices.Contains(offeredSubprotocols(r), subprotocolGame) {
		s.refuse(w, r, http.StatusBadRequest, "subprotocol "+subprotocolGame+" required (Sec-WebSocket-Protocol)")
		return
	}
	g := &gameState{}
	if token := requestToken(r); token != "" && s.opts.Authenticate != nil {
		player, err := s.opts.Authenticate(token)
		if err != nil {
			s.refuse(w, r, http.StatusUnauthorized, "bad token: "+err.Error())
			return
		}
		g.player = player
	}
	s.upgrade(w, r, subprotocolGame, endpointGame, g)
}

// requestToken finds a bearer token on a handshake: browsers cannot set
// headers on WebSocket requests, so the "token" query parameter counts too.
func requestToken(r *http.Request) string {
	if t := r.URL.Query().Get("token"); t != "" {
		return t
	}
	if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		return strings.TrimSpace(a[7:])
	}
	return ""
}

// upgrade completes a checked handshake: it hijacks the connection, makes
// a wsConn its nbio session (from here nbio hands the connection's bytes
// to wsConn.Parse on its poller) and answers 101. The session is ready —
// registered, and for /ws its Welcome queued — before any frame is parsed.
func (s *Server) upgrade(w http.ResponseWriter, r *http.Request, subprotocol, endpoint string, g *gameState) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		s.refuse(w, r, http.StatusInternalServerError, "connection cannot be upgraded")
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		s.refuse(w, r, http.StatusInternalServerError, "connection cannot be upgraded")
		return
	}
	nbc := pollerConn(conn)
	if nbc == nil {
		s.log.Error().Str("remote", r.RemoteAddr).Msg("upgrade: connection not served by nbio's pollers")
		_ = conn.Close()
		return
	}
	ext := ""
	if !s.opts.DisableCompression {
		ext = wsframe.NegotiateDeflate(r.Header.Values("Sec-WebSocket-Extensions"))
	}
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	wc := &wsConn{srv: s, conn: conn, w: nbclose.NewWriter(conn), echo: g == nil}
	wc.parser.MaxMessage = s.opts.MaxMessageBytes
	if wc.echo {
		wc.parser.MaxMessage = s.opts.EchoMaxMessageBytes
	}
	wc.parser.Deflate = ext != ""
	wc.deflate = wc.echo && ext != ""
	sess := newSession(s, wc, endpoint, host)
	sess.game = g
	sess.nbc = nbc
	wc.sess = sess

	wc.mu.Lock() // frames wait until the session is ready
	defer wc.mu.Unlock()
	nbc.SetSession(wc)
	if hc, ok := conn.(*nbhttp.Conn); ok {
		hc.Parser = nil
	}
	// The session's idle timeout replaces the HTTP keep-alive deadline.
	_ = nbc.SetReadDeadline(time.Time{})
	limitUnsent(nbc, s.opts.KernelUnsentBytes)

	var b strings.Builder
	b.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ")
	b.WriteString(wsframe.AcceptKey(r.Header.Get("Sec-WebSocket-Key")))
	if subprotocol != "" {
		b.WriteString("\r\nSec-WebSocket-Protocol: " + subprotocol)
	}
	if ext != "" {
		b.WriteString("\r\nSec-WebSocket-Extensions: " + ext)
	}
	b.WriteString("\r\n\r\n")
	// The 101 goes out with the Welcome, in one write, before the client
	// can have read either: a client that reads the 101 and resets the
	// connection at once would otherwise fail the Welcome's write, and nbio
	// closes a connection whose write fails off its poller, which can cost
	// another connection its handshake (docs/limits.md, "Handshake
	// floods").
	wc.head = []byte(b.String())
	s.addSession(sess)
	if g != nil {
		s.openGame(sess)
	}
	if err := wc.flushHead(); err != nil { // /echo has no Welcome
		_ = closeConn(conn)
	}
}

func (s *Server) onClose(sess *session, err error) {
	s.removeSession(sess)
	if sess.game != nil {
		s.closeGame(sess)
	}
	s.log.Debug().Str("session", sess.id).Str("endpoint", sess.endpoint).AnErr("err", err).Msg("session closed")
}

// onEchoMessage answers one /echo message with the same message, deflated
// when the client negotiated permessage-deflate.
func (s *Server) onEchoMessage(sess *session, op wsframe.Opcode, data []byte) {
	sess.touch()
	s.metrics.echoIn.Inc()
	if sess.t.(*wsConn).deflate {
		b := protocol.GetBuffer()
		b.B = wsframe.Deflate(b.B, data)
		sess.send(op|wsframe.Compressed, b.B) // send copies what it keeps
		b.Release()
		return
	}
	sess.send(op, data)
}

package server

import (
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/lesismal/nbio/nbhttp/websocket"

	"github.com/tickwire/tickwire/protocol"
)

const subprotocolGame = protocol.Subprotocol

// newUpgrader builds the nbio upgrader of one endpoint. Policy checks
// (Origin, subprotocol, auth) run in the HTTP handler before Upgrade so
// that refusals carry a plain-text reason.
func (s *Server) newUpgrader(subprotocols []string, echo bool) *websocket.Upgrader {
	u := websocket.NewUpgrader()
	u.Subprotocols = subprotocols
	u.CheckOrigin = func(*http.Request) bool { return true } // checked in the handler
	u.MessageLengthLimit = s.opts.MaxMessageBytes
	if echo {
		u.MessageLengthLimit = s.opts.EchoMaxMessageBytes
	}
	u.KeepaliveTime = s.opts.IdleTimeout + s.opts.CloseGrace // backstop; the janitor closes first with 4002
	u.BlockingModHandleRead = true
	// Blocking mode hands frames to a writer goroutine through a queue:
	// bound it (a write to a full queue fails and the session is cut).
	u.BlockingModSendQueueMaxSize = 4096
	u.EnableCompression(!s.opts.DisableCompression)
	u.SetPingHandler(func(c *websocket.Conn, data string) {
		if sess := sessionOf(c); sess != nil {
			sess.touch()
			sess.send(websocket.PongMessage, []byte(data))
		}
	})
	u.SetPongHandler(func(c *websocket.Conn, _ string) {
		if sess := sessionOf(c); sess != nil {
			sess.touch()
		}
	})
	u.SetCloseHandler(func(c *websocket.Conn, code int, _ string) {
		sess := sessionOf(c)
		if sess == nil || sess.isClosing() {
			return // we started the handshake: the peer's reply ends it
		}
		// The peer started it: answer with its code (RFC 6455 5.5.1).
		if code == 1005 {
			_ = c.WriteMessage(websocket.CloseMessage, nil)
		} else {
			_ = c.WriteClose(code, "")
		}
	})
	if echo {
		u.OnMessage(s.onEchoMessage)
	} else {
		u.OnMessage(s.onGameMessage)
	}
	u.OnClose(s.onClose)
	return u
}

func sessionOf(c *websocket.Conn) *session {
	sess, _ := c.Session().(*session)
	return sess
}

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
	h := http.Header{}
	if offered := offeredSubprotocols(r); len(offered) > 0 {
		h.Set("Sec-WebSocket-Protocol", offered[0])
	}
	s.upgrade(w, r, s.echo, h, endpointEcho, nil)
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
	s.upgrade(w, r, s.game, nil, endpointGame, g)
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

func (s *Server) upgrade(w http.ResponseWriter, r *http.Request, u *websocket.Upgrader, h http.Header, endpoint string, g *gameState) {
	conn, err := u.Upgrade(w, r, h)
	if err != nil {
		s.log.Debug().Err(err).Str("remote", r.RemoteAddr).Msg("upgrade failed")
		return
	}
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	sess := newSession(s, wsTransport{conn}, endpoint, host)
	sess.game = g
	conn.SetSession(sess)
	s.addSession(sess)
	if g != nil {
		s.openGame(sess)
	}
}

func (s *Server) onClose(c *websocket.Conn, err error) {
	sess := sessionOf(c)
	if sess == nil {
		return
	}
	s.removeSession(sess)
	if sess.game != nil {
		s.closeGame(sess)
	}
	s.log.Debug().Str("session", sess.id).Str("endpoint", sess.endpoint).AnErr("err", err).Msg("session closed")
}

func (s *Server) onEchoMessage(c *websocket.Conn, mt websocket.MessageType, data []byte) {
	sess := sessionOf(c)
	if sess == nil {
		return
	}
	sess.touch()
	s.metrics.echoIn.Inc()
	sess.send(mt, data) // nbio copies data before we return
}

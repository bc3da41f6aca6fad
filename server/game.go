package server

import (
	"errors"
	"sync"
	"time"

	"github.com/tickwire/tickwire/server/internal/wsframe"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/version"
)

// gameState is the /ws part of a session.
type gameState struct {
	player string
	// token is the guest token the server issued this session, when it
	// came without one; the lobby records the guest on first use (known).
	token string
	known bool
	// claimed is the player this session holds in Server.players
	// (Options.SingleSession); guarded by Server.sessMu.
	claimed string

	// Rate limiting: touched only by the connection's serial executor.
	tokens       float64
	refill       time.Time
	floodWindow  time.Time
	floodCount   int
	lastLimitErr time.Time

	mu    sync.Mutex
	rooms map[string]RoomSeat // rooms this session has a seat in
	chans ChannelSession      // channel subscriptions (channels.go), made on first use
}

// playerID is the session's player; Hello may change it, so readers off
// the connection's own goroutine take the lock.
func (g *gameState) playerID() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.player
}

// RoomSeat is a session's seat in one room, as the room runtime gives it.
type RoomSeat interface {
	// Input hands one input to the room; payload is only valid during the call.
	Input(seq uint64, payload []byte) error
	// Leave gives up the seat.
	Leave()
	// Disconnect tells the room the connection dropped: the seat waits for
	// a reconnect within the game's grace period, then is given up.
	Disconnect()
}

// RoomJoiner joins /ws sessions to rooms; the room runtime adapter
// implements it (gateway.TickRooms).
type RoomJoiner interface {
	// Join seats player (speaking through peer) in a room as req asks. It
	// calls register with the room and the seat before it asks the room,
	// so that inputs the client sends as soon as it sees Joined find the
	// seat; on failure the seat it registered is taken back by the caller.
	Join(req *tickwirev1.JoinRoom, player string, peer Peer, register func(roomID string, seat RoomSeat)) error
}

// Peer is what a room sees of a session (tick.Peer's method set).
type Peer interface {
	SendState(frame []byte, lastInputSeq uint64, snapshot bool, topic string) bool
	Send(env *protocol.Envelope)
}

// openGame greets a new /ws session. A session without a token becomes a
// fresh lobby guest (its token comes with the Welcome, to reconnect as the
// same player); without a lobby it is an anonymous player.
func (s *Server) openGame(sess *session) {
	g := sess.game
	g.tokens = float64(s.opts.MessageBurst)
	g.refill = time.Now()
	// The session is listed (Server.Sessions) from here on, so its player
	// is written under g.mu, as Hello writes it.
	if g.player == "" && s.opts.Lobby != nil {
		if player, token, err := s.opts.Lobby.IssueGuest("guest"); err == nil {
			g.mu.Lock()
			g.player, g.token = player, token
			g.mu.Unlock()
		}
	} else {
		g.known = true
		s.claimPlayer(sess, g.player) // authenticated at the upgrade
	}
	if g.player == "" {
		g.mu.Lock()
		g.player = "anon-" + sess.id
		g.mu.Unlock()
	}
	sess.sendEnvelope(&protocol.Envelope{Msg: &tickwirev1.Envelope_Welcome{Welcome: &tickwirev1.Welcome{
		ProtocolVersion:    protocol.Version,
		ServerTimeUnixNano: time.Now().UnixNano(),
		SessionId:          sess.id,
		PlayerId:           g.player,
		Token:              g.token,
		ServerVersion:      version.Version,
	}}})
}

func (s *Server) closeGame(sess *session) {
	g := sess.game
	g.mu.Lock()
	rooms := g.rooms
	g.rooms = nil
	g.mu.Unlock()
	for _, seat := range rooms {
		seat.Disconnect()
	}
	s.closeChannels(sess)
}

// limitErrorDue reports whether a rate_limited error may be sent at now —
// at most one a second, whichever limit (the session's or its room's) was
// hit — and if so counts it as sent.
func (g *gameState) limitErrorDue(now time.Time) bool {
	if now.Sub(g.lastLimitErr) < time.Second {
		return false
	}
	g.lastLimitErr = now
	return true
}

// allow applies the session's token bucket. It reports whether the message
// may proceed and whether the session floods hard enough to be closed.
func (g *gameState) allow(now time.Time, o *Options) (ok, flood bool) {
	g.tokens = min(g.tokens+now.Sub(g.refill).Seconds()*o.MessagesPerSecond, float64(o.MessageBurst))
	g.refill = now
	if g.tokens >= 1 {
		g.tokens--
		return true, false
	}
	if now.Sub(g.floodWindow) > time.Second {
		g.floodWindow, g.floodCount = now, 0
	}
	g.floodCount++
	return false, float64(g.floodCount) > o.FloodFactor*o.MessagesPerSecond
}

// gameMessage handles one message of a /ws session, whichever transport
// brought it (the WebSocket, or a POST of the fallback). Calls for one
// session must not overlap.
func (s *Server) gameMessage(sess *session, mt wsframe.Opcode, data []byte) {
	if sess == nil || sess.isClosing() {
		return
	}
	sess.touch()
	s.metrics.gameIn.Inc()
	if mt != wsframe.OpBinary {
		s.metrics.badFrames.WithLabelValues("text").Inc()
		sess.close(int(protocol.CloseUnsupportedData), "text frames are not accepted on /ws: send binary protobuf Envelopes")
		return
	}
	g := sess.game
	now := time.Now()
	if ok, flood := g.allow(now, &s.opts); !ok {
		s.metrics.rateLimited.Inc()
		if flood {
			s.log.Warn().Str("session", sess.id).Str("remote", sess.remote).Msg("input flood: closing session")
			sess.close(int(protocol.CloseInputFlood), "input flood")
			return
		}
		if g.limitErrorDue(now) {
			sess.sendError(0, protocol.Errorf(protocol.CodeRateLimited, "over %g messages/s: messages dropped", s.opts.MessagesPerSecond))
		}
		return
	}
	if in, ok := protocol.ParseInput(data); ok {
		// The hot path: an Input read in place, no Envelope, no allocation.
		s.input(sess, in.Ref, in.RoomID, in.Seq, in.Payload)
		return
	}
	var env protocol.Envelope
	if err := protocol.Decode(data, s.opts.MaxMessageBytes, &env); err != nil {
		s.metrics.badFrames.WithLabelValues("undecodable").Inc()
		s.log.Debug().Str("session", sess.id).Err(err).Msg("undecodable frame")
		sess.close(int(protocol.CloseProtocolError), truncate("undecodable frame: "+err.Error(), 120))
		return
	}
	s.dispatch(sess, &env)
}

// dispatch handles one decoded client message.
func (s *Server) dispatch(sess *session, env *protocol.Envelope) {
	g := sess.game
	switch m := env.Msg.(type) {
	case *tickwirev1.Envelope_Ping:
		sess.sendEnvelope(&protocol.Envelope{Ref: env.Ref, Msg: &tickwirev1.Envelope_Pong{Pong: &tickwirev1.Pong{
			ClientTimeUnixNano: m.Ping.ClientTimeUnixNano,
			ServerTimeUnixNano: time.Now().UnixNano(),
		}}})
	case *tickwirev1.Envelope_Hello:
		if v := m.Hello.ProtocolVersion; v > protocol.Version {
			sess.close(int(protocol.CloseUnsupportedVersion), "unsupported protocol version: this server speaks 1")
			return
		}
		if tok := m.Hello.Token; tok != "" && s.opts.Authenticate != nil {
			player, err := s.opts.Authenticate(tok)
			if err != nil {
				sess.close(int(protocol.ClosePolicyViolation), "bad token")
				return
			}
			g.mu.Lock()
			g.player, g.token, g.known = player, "", true
			g.mu.Unlock()
			s.claimPlayer(sess, player)
		}
		sess.sendEnvelope(&protocol.Envelope{Ref: env.Ref, Msg: &tickwirev1.Envelope_Welcome{Welcome: &tickwirev1.Welcome{
			ProtocolVersion: protocol.Version, ServerTimeUnixNano: time.Now().UnixNano(), SessionId: sess.id, PlayerId: g.player,
		}}})
	case *tickwirev1.Envelope_JoinRoom:
		// Joining waits for the room's goroutine: not on a poller. The
		// client waits for Joined before it sends inputs to the room.
		if !s.spawn(func() { s.joinRoom(sess, env.Ref, m.JoinRoom) }) {
			sess.sendError(env.Ref, protocol.Errorf(protocol.CodeShuttingDown, "server shutting down"))
		}
	case *tickwirev1.Envelope_Lobby:
		// The lobby may wait (room creation, a clustered directory).
		if !s.spawn(func() { s.serveLobby(sess, env.Ref, m.Lobby) }) {
			sess.sendError(env.Ref, protocol.Errorf(protocol.CodeShuttingDown, "server shutting down"))
		}
	case *tickwirev1.Envelope_LeaveRoom:
		g.mu.Lock()
		seat, ok := g.rooms[m.LeaveRoom.RoomId]
		delete(g.rooms, m.LeaveRoom.RoomId)
		g.mu.Unlock()
		if !ok {
			sess.sendError(env.Ref, protocol.Errorf(protocol.CodeNotInRoom, "not in room %q", m.LeaveRoom.RoomId))
			return
		}
		seat.Leave()
	case *tickwirev1.Envelope_Subscribe, *tickwirev1.Envelope_Unsubscribe, *tickwirev1.Envelope_Publish:
		s.serveChannel(sess, env) // channels.go
	case *tickwirev1.Envelope_Input:
		s.input(sess, env.Ref, []byte(m.Input.RoomId), m.Input.Seq, m.Input.Payload)
	default:
		sess.sendError(env.Ref, protocol.Errorf(protocol.CodeBadRequest, "%T is a server message", m))
	}
}

// input hands one input to the session's seat in room. roomID and
// payload are only valid during the call. Refusals for being over the
// room's input cap are sent at most once a second, like the session's own
// rate limit: a flood gets one error, then the 4008 close, not an error
// per dropped input.
func (s *Server) input(sess *session, ref uint32, roomID []byte, seq uint64, payload []byte) {
	g := sess.game
	g.mu.Lock()
	seat, ok := g.rooms[string(roomID)]
	g.mu.Unlock()
	if !ok {
		sess.sendError(ref, protocol.Errorf(protocol.CodeNotInRoom, "not in room %q", roomID))
		return
	}
	err := seat.Input(seq, payload)
	if err == nil {
		return
	}
	if pe, ok := err.(*protocol.Error); ok && pe.Code == protocol.CodeRateLimited && !g.limitErrorDue(time.Now()) {
		return
	}
	sess.sendError(ref, s.wireError(sess, err))
}

func (s *Server) joinRoom(sess *session, ref uint32, req *tickwirev1.JoinRoom) {
	g := sess.game
	if err := s.knownToLobby(g); err != nil {
		sess.sendError(ref, s.wireError(sess, err))
		return
	}
	if s.opts.Rooms == nil {
		sess.sendError(ref, protocol.Errorf(protocol.CodeRoomNotFound, "this server hosts no rooms"))
		return
	}
	g.mu.Lock()
	_, already := g.rooms[req.RoomId]
	g.mu.Unlock()
	if already && req.RoomId != "" {
		sess.sendError(ref, protocol.Errorf(protocol.CodeAlreadyJoined, "already in room %q", req.RoomId))
		return
	}
	var joined string
	register := func(roomID string, seat RoomSeat) {
		joined = roomID
		g.mu.Lock()
		if g.rooms == nil {
			g.rooms = make(map[string]RoomSeat)
		}
		g.rooms[roomID] = seat
		g.mu.Unlock()
	}
	if err := s.opts.Rooms.Join(req, g.playerID(), &roomPeer{s: sess, ref: ref}, register); err != nil {
		if joined != "" {
			g.mu.Lock()
			delete(g.rooms, joined)
			g.mu.Unlock()
		}
		sess.sendError(ref, s.wireError(sess, err))
		return
	}
	if sess.isClosing() { // closed while joining: closeGame may have missed the seat
		s.closeGame(sess)
	}
}

// wireError turns err into the error a client sees, logging internal ones.
func (s *Server) wireError(sess *session, err error) *protocol.Error {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return pe
	}
	s.log.Error().Err(err).Str("session", sess.id).Msg("request failed")
	return protocol.AsError(err)
}

// sendError sends an Error envelope answering request ref.
func (sess *session) sendError(ref uint32, e *protocol.Error) {
	sess.sendEnvelope(&protocol.Envelope{Ref: ref, Msg: &tickwirev1.Envelope_Error{Error: e.Proto()}})
}

// roomPeer is the face of a session that one room sees; its identity keys
// the room's state frames in the session's outbox.
type roomPeer struct {
	s *session
	// ref is the JoinRoom request's ref, given to the room's Joined reply;
	// touched only on the room's goroutine after the join was queued.
	ref uint32
}

// SendState implements Peer.
func (p *roomPeer) SendState(frame []byte, lastInputSeq uint64, snapshot bool, topic string) bool {
	return p.s.sendState(p, topic, frame, lastInputSeq, snapshot)
}

// Flush implements tick.Flusher: the room's tick is done, so the state
// frames it batched go out in one write: here, or for a crowded room by a
// writer goroutine (here too when the writers are swamped).
func (p *roomPeer) Flush(crowded bool) {
	if crowded {
		select {
		case p.s.srv.writeCh <- p.s:
			return
		default:
		}
	}
	p.s.flushState()
}

// Send implements Peer. A Left also ends the session's seat.
func (p *roomPeer) Send(env *protocol.Envelope) {
	if env.GetJoined() != nil && p.ref != 0 {
		env.Ref, p.ref = p.ref, 0
	}
	if left := env.GetLeft(); left != nil && p.s.game != nil {
		g := p.s.game
		g.mu.Lock()
		delete(g.rooms, left.RoomId)
		g.mu.Unlock()
	}
	p.s.sendEnvelope(env)
	if left := env.GetLeft(); left != nil && p.s.game != nil {
		p.s.srv.leftRoom(p.s, left.RoomId) // its room chat ends too (channels.go)
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

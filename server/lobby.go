package server

import (
	"context"
	"net/http"
	"time"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
)

// Lobby is the lobby as the edge sees it: identities, the LobbyRequest
// envelopes of /ws, and the HTTP JSON API under /lobby/. The edge knows
// only these protobuf shapes; gateway.Lobby gives a *lobby.Lobby this face.
// Its methods are called from the server's own goroutines, concurrently.
type Lobby interface {
	// IssueGuest makes a guest identity for an anonymous /ws session,
	// without recording it: the session's first lobby use authenticates
	// the token, which records the player.
	IssueGuest(name string) (playerID, token string, err error)
	// Authenticate maps a bearer token to its player.
	Authenticate(token string) (playerID string, err error)
	// Serve answers one LobbyRequest of player; errors wrapping a
	// *protocol.Error reach the client as that error.
	Serve(ctx context.Context, player string, req *tickwirev1.LobbyRequest) (*tickwirev1.LobbyReply, error)
	// Handler is the HTTP JSON API, mounted at /lobby/.
	Handler() http.Handler
}

// lobbyTimeout bounds one LobbyRequest.
const lobbyTimeout = 5 * time.Second

// serveLobby answers one LobbyRequest envelope.
func (s *Server) serveLobby(sess *session, ref uint32, req *tickwirev1.LobbyRequest) {
	if s.opts.Lobby == nil {
		sess.sendError(ref, protocol.Errorf(protocol.CodeBadRequest, "this server has no lobby"))
		return
	}
	if err := s.knownToLobby(sess.game); err != nil {
		sess.sendError(ref, s.wireError(sess, err))
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), lobbyTimeout)
	defer cancel()
	rep, err := s.opts.Lobby.Serve(ctx, sess.game.playerID(), req)
	if err != nil {
		sess.sendError(ref, s.wireError(sess, err))
		return
	}
	sess.sendEnvelope(&protocol.Envelope{Ref: ref, Msg: &tickwirev1.Envelope_LobbyReply{LobbyReply: rep}})
}

// knownToLobby makes sure the lobby has recorded a guest the server issued
// to an anonymous session: it does so on the session's first lobby use,
// not when the session opens, so idle sessions cost the lobby nothing.
func (s *Server) knownToLobby(g *gameState) error {
	g.mu.Lock()
	token, known := g.token, g.known
	g.mu.Unlock()
	if known || s.opts.Lobby == nil || token == "" {
		return nil
	}
	if _, err := s.opts.Lobby.Authenticate(token); err != nil {
		return err
	}
	g.mu.Lock()
	g.known = true
	g.mu.Unlock()
	return nil
}

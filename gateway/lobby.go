package gateway

import (
	"github.com/tickwire/tickwire/lobby"
	"github.com/tickwire/tickwire/server"
)

// Lobby returns l's face for server.Options.Lobby: its guest identities,
// Authenticate, Serve for LobbyRequest envelopes and its HTTP API.
func Lobby(l *lobby.Lobby) server.Lobby { return lobbyEdge{l} }

// lobbyEdge is a *lobby.Lobby as the edge sees it.
type lobbyEdge struct{ *lobby.Lobby }

var _ server.Lobby = lobbyEdge{}

// IssueGuest implements server.Lobby.
func (e lobbyEdge) IssueGuest(name string) (playerID, token string, err error) {
	g, err := e.Lobby.IssueGuest(name)
	return g.PlayerID, g.Token, err
}

package server

import (
	"context"
	"time"

	"github.com/tickwire/tickwire/lobby"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
)

// SetLobby connects the lobby's two faces: its HTTP JSON API under
// /lobby/, and LobbyRequest envelopes on /ws, which call the same service
// methods. Sessions then authenticate with lobby tokens (unless
// Options.Authenticate says otherwise), and a session without a token
// becomes a fresh guest. Call it before Start.
func (s *Server) SetLobby(l *lobby.Lobby) {
	s.lobby = l
	s.mux.Handle("/lobby/", l.Handler())
	if s.opts.Authenticate == nil {
		s.opts.Authenticate = l.Authenticate
	}
}

// serveLobby answers one LobbyRequest envelope.
func (s *Server) serveLobby(sess *session, ref uint32, req *tickwirev1.LobbyRequest) {
	if s.lobby == nil {
		sess.sendError(ref, protocol.Errorf(protocol.CodeBadRequest, "this server has no lobby"))
		return
	}
	var r lobby.Request
	switch op := req.Op.(type) {
	case *tickwirev1.LobbyRequest_ListGames:
		r.Games = &lobby.GamesRequest{}
	case *tickwirev1.LobbyRequest_ListRooms:
		r.ListRooms = &lobby.ListRoomsRequest{Game: op.ListRooms.Game}
	case *tickwirev1.LobbyRequest_CreateRoom:
		r.CreateRoom = &lobby.CreateRoomRequest{Game: op.CreateRoom.Game, Private: op.CreateRoom.Private, MaxPlayers: int(op.CreateRoom.MaxPlayers)}
	case *tickwirev1.LobbyRequest_Join:
		j := op.Join
		r.Join = &lobby.JoinRequest{RoomID: j.RoomId, JoinCode: j.JoinCode, Game: j.Game, Quick: j.Quick}
	case *tickwirev1.LobbyRequest_CreateTicket:
		c := op.CreateTicket
		r.CreateTicket = &lobby.TicketRequest{Game: c.Game, Skill: c.Skill, Party: c.Party, Region: c.Region, Mode: c.Mode}
	case *tickwirev1.LobbyRequest_GetTicket:
		r.Ticket = &lobby.TicketRef{TicketID: op.GetTicket}
	case *tickwirev1.LobbyRequest_CancelTicket:
		r.CancelTicket = &lobby.TicketRef{TicketID: op.CancelTicket}
	default:
		sess.sendError(ref, protocol.Errorf(protocol.CodeBadRequest, "lobby request names no operation"))
		return
	}
	if err := s.knownToLobby(sess.game); err != nil {
		sess.sendError(ref, s.wireError(sess, err))
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rep, err := s.lobby.Serve(ctx, sess.game.playerID(), r)
	if err != nil {
		sess.sendError(ref, s.wireError(sess, err))
		return
	}
	sess.sendEnvelope(&protocol.Envelope{Ref: ref, Msg: &tickwirev1.Envelope_LobbyReply{LobbyReply: lobbyReply(rep)}})
}

// knownToLobby makes sure the lobby has recorded a guest the server issued
// to an anonymous session: it does so on the session's first lobby use,
// not when the session opens, so idle sessions cost the lobby nothing.
func (s *Server) knownToLobby(g *gameState) error {
	g.mu.Lock()
	token, known := g.token, g.known
	g.mu.Unlock()
	if known || s.lobby == nil || token == "" {
		return nil
	}
	if _, err := s.lobby.Authenticate(token); err != nil {
		return err
	}
	g.mu.Lock()
	g.known = true
	g.mu.Unlock()
	return nil
}

func lobbyReply(rep lobby.Reply) *tickwirev1.LobbyReply {
	out := &tickwirev1.LobbyReply{TicketId: rep.TicketID}
	for _, g := range rep.Games {
		out.Games = append(out.Games, &tickwirev1.GameInfo{Name: g.Name, MinPlayers: uint32(g.MinPlayers), MaxPlayers: uint32(g.MaxPlayers), TickHz: uint32(g.TickHz)})
	}
	for _, r := range rep.Rooms {
		out.Rooms = append(out.Rooms, &tickwirev1.RoomListing{Id: r.ID, Game: r.Game, Players: uint32(r.Players), MaxPlayers: uint32(r.MaxPlayers), Private: r.Private, Joinable: r.Joinable})
	}
	if g := rep.Grant; g != nil {
		out.Grant = &tickwirev1.Grant{RoomId: g.RoomID, JoinCode: g.JoinCode, Seat: g.Seat, Url: g.URL}
	}
	if t := rep.Ticket; t != nil {
		out.Ticket = &tickwirev1.Ticket{TicketId: t.TicketID, Game: t.Game, Status: t.Status, RoomId: t.RoomID, Seat: t.Seat, Url: t.URL}
	}
	return out
}

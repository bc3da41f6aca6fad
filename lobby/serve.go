package lobby

import (
	"context"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
)

// Serve answers one WebSocket lobby request (a LobbyRequest envelope) of
// an authenticated player with the LobbyReply fields of its operation: the
// same service methods, shapes and errors as the HTTP API. Errors are the
// service methods' (each wraps a *protocol.Error the server can send in an
// Envelope); a request naming no operation fails with ErrBadRequest.
func (l *Lobby) Serve(ctx context.Context, player string, req *tickwirev1.LobbyRequest) (*tickwirev1.LobbyReply, error) {
	if err := l.checkOpen(); err != nil {
		return nil, err
	}
	var (
		rep = &tickwirev1.LobbyReply{}
		err error
	)
	switch op := req.GetOp().(type) {
	case *tickwirev1.LobbyRequest_ListGames:
		rep.Games = l.Games()
	case *tickwirev1.LobbyRequest_ListRooms:
		rep.Rooms, err = l.ListRooms(ctx, op.ListRooms.GetGame())
	case *tickwirev1.LobbyRequest_CreateRoom:
		rep.Grant, err = l.CreateRoom(ctx, player, op.CreateRoom)
	case *tickwirev1.LobbyRequest_Join:
		rep.Grant, err = l.Join(ctx, player, op.Join)
	case *tickwirev1.LobbyRequest_CreateTicket:
		rep.TicketId, err = l.CreateTicket(ctx, player, op.CreateTicket)
	case *tickwirev1.LobbyRequest_GetTicket:
		rep.Ticket, err = l.Ticket(ctx, player, op.GetTicket)
	case *tickwirev1.LobbyRequest_CancelTicket:
		rep.Ticket, err = l.CancelTicket(ctx, player, op.CancelTicket)
	default:
		return nil, fail(ErrBadRequest, "lobby request names no operation")
	}
	if err != nil {
		return nil, err
	}
	return rep, nil
}

package lobby

import "context"

// Request is one lobby request arriving over the WebSocket, decoded by the
// server from its Envelope: exactly one field is set. It carries the same
// shapes as the HTTP API, and Serve calls the same service methods.
type Request struct {
	Games        *GamesRequest
	ListRooms    *ListRoomsRequest
	CreateRoom   *CreateRoomRequest
	Join         *JoinRequest
	CreateTicket *TicketRequest
	Ticket       *TicketRef
	CancelTicket *TicketRef
}

// GamesRequest asks for the games (GET /lobby/games).
type GamesRequest struct{}

// ListRoomsRequest asks for the public rooms of Game, or of every game
// (GET /lobby/rooms).
type ListRoomsRequest struct {
	Game string `json:"game,omitempty"`
}

// TicketRef names a ticket (GET or DELETE /lobby/tickets/ID).
type TicketRef struct {
	TicketID string `json:"ticket_id"`
}

// Reply answers a Request: the field matching the request is set
// (Games, Rooms, Grant for CreateRoom and Join, TicketID for CreateTicket,
// Ticket for Ticket and CancelTicket).
type Reply struct {
	Games    []GameInfo
	Rooms    []RoomListing
	Grant    *Grant
	TicketID string
	Ticket   *TicketView
}

// Serve answers one WebSocket lobby request of an authenticated player.
// Errors are the service methods' (each wraps a *protocol.Error the server
// can send in an Envelope); a request with no field or several set fails
// with ErrBadRequest.
func (l *Lobby) Serve(ctx context.Context, player string, req Request) (Reply, error) {
	if err := l.checkOpen(); err != nil {
		return Reply{}, err
	}
	set := 0
	for _, ok := range []bool{req.Games != nil, req.ListRooms != nil, req.CreateRoom != nil, req.Join != nil,
		req.CreateTicket != nil, req.Ticket != nil, req.CancelTicket != nil} {
		if ok {
			set++
		}
	}
	if set != 1 {
		return Reply{}, fail(ErrBadRequest, "a lobby request names exactly one operation, not %d", set)
	}
	var (
		rep Reply
		err error
	)
	switch {
	case req.Games != nil:
		rep.Games = l.Games()
	case req.ListRooms != nil:
		rep.Rooms, err = l.ListRooms(ctx, req.ListRooms.Game)
	case req.CreateRoom != nil:
		var g Grant
		g, err = l.CreateRoom(ctx, player, *req.CreateRoom)
		rep.Grant = &g
	case req.Join != nil:
		var g Grant
		g, err = l.Join(ctx, player, *req.Join)
		rep.Grant = &g
	case req.CreateTicket != nil:
		rep.TicketID, err = l.CreateTicket(ctx, player, *req.CreateTicket)
	case req.Ticket != nil:
		var t TicketView
		t, err = l.Ticket(ctx, player, req.Ticket.TicketID)
		rep.Ticket = &t
	case req.CancelTicket != nil:
		var t TicketView
		t, err = l.CancelTicket(ctx, player, req.CancelTicket.TicketID)
		rep.Ticket = &t
	}
	if err != nil {
		return Reply{}, err
	}
	return rep, nil
}

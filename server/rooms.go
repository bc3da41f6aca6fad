package server

import (
	"context"
	"time"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/tick"
)

// SeatRedeemer checks a seat token presented in JoinRoom (the lobby
// implements it). It returns the room the seat is for; roomID, when not
// empty, must match it.
type SeatRedeemer interface {
	RedeemSeat(token, player, roomID string) (string, error)
}

// TickRooms joins /ws sessions to the rooms of a tick runtime.
type TickRooms struct {
	// Rooms is the runtime.
	Rooms *tick.Rooms
	// Seats, when set, redeems the seat a JoinRoom presents.
	Seats SeatRedeemer
	// OpenJoin lets a JoinRoom without a seat join a room by id, or
	// join-or-create a room of a game (for demos and tests without a
	// lobby). Without it a seat is required.
	OpenJoin bool
	// JoinTimeout bounds one join. Default 5s.
	JoinTimeout time.Duration
}

// Join implements RoomJoiner.
func (t *TickRooms) Join(req *tickwirev1.JoinRoom, player string, peer Peer) (string, RoomSeat, error) {
	roomID := req.RoomId
	switch {
	case req.Seat != "" && t.Seats != nil:
		id, err := t.Seats.RedeemSeat(req.Seat, player, req.RoomId)
		if err != nil {
			return "", nil, err
		}
		roomID = id
	case !t.OpenJoin:
		return "", nil, protocol.Errorf(tickwirev1.ErrorCode_ERROR_CODE_SEAT_INVALID, "joining needs a seat from the lobby (POST /lobby/join)")
	}
	timeout := t.JoinTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	h, err := t.room(ctx, roomID, req.Game, req.Create)
	if err != nil {
		return "", nil, err
	}
	if err := h.Join(ctx, tick.PlayerID(player), peer); err != nil {
		return "", nil, err
	}
	return h.ID(), &tickSeat{h: h, player: tick.PlayerID(player), peer: peer}, nil
}

// room finds the room to join: by id, a new room of a game (create), or
// the fullest joinable room of a game, created when there is none.
func (t *TickRooms) room(ctx context.Context, roomID, game string, create bool) (*tick.Handle, error) {
	if roomID != "" {
		return t.Rooms.Get(roomID)
	}
	if game == "" {
		return nil, protocol.Errorf(tickwirev1.ErrorCode_ERROR_CODE_BAD_REQUEST, "JoinRoom needs a room_id, a game or a seat")
	}
	if create {
		return t.Rooms.Create(ctx, game, tick.RoomOptions{})
	}
	best := ""
	most := -1
	for _, info := range t.Rooms.List(game) {
		if info.Players < info.MaxPlayers && info.Players > most {
			best, most = info.ID, info.Players
		}
	}
	if best != "" {
		if h, err := t.Rooms.Get(best); err == nil {
			return h, nil
		}
	}
	return t.Rooms.Create(ctx, game, tick.RoomOptions{})
}

// tickSeat is a session's seat in a tick room.
type tickSeat struct {
	h      *tick.Handle
	player tick.PlayerID
	peer   Peer
}

func (s *tickSeat) Input(seq uint64, payload []byte) error { return s.h.Input(s.player, seq, payload) }
func (s *tickSeat) Leave()                                 { s.h.Leave(s.player) }
func (s *tickSeat) Disconnect()                            { s.h.Disconnect(s.player, s.peer) }

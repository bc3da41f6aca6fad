// Package gateway gives the network edge (server), which imports no game
// part, its parts: TickRooms joins /ws sessions to the tick runtime's
// rooms through the lobby, Lobby and Channels give a *lobby.Lobby and a
// *channel.Hub the faces of server.Options. tickwire.NewNode, the
// composition root, wires them; programs that assemble a server by hand
// use them too.
package gateway

import (
	"context"
	"fmt"
	"time"

	"github.com/tickwire/tickwire/lobby"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/tick"
)

// TickRooms joins /ws sessions to the rooms of a tick runtime.
//
// With a Lobby every join goes through it, so its bookkeeping (seats,
// private rooms, room sizes, who is where) holds: a JoinRoom presents a
// seat, or, without one, asks the lobby on the player's behalf — room_id:
// back into a room the player still holds (reconnection), else a public
// room; game: quick-join (or create a public room with create). Give the
// tick runtime Lobby.Release as its OnUnseat hook.
//
// Without a Lobby (tests, bare servers), OpenJoin lets a JoinRoom join any
// room by id or join-or-create a room of a game; otherwise joins fail.
type TickRooms struct {
	// Rooms is the runtime.
	Rooms *tick.Rooms
	// Lobby issues and redeems seats.
	Lobby *lobby.Lobby
	// OpenJoin allows joins without a lobby (ignored with a Lobby).
	OpenJoin bool
	// JoinTimeout bounds one join. Default 5s.
	JoinTimeout time.Duration
}

// Join implements server.RoomJoiner.
func (t *TickRooms) Join(req *tickwirev1.JoinRoom, player string, peer server.Peer, register func(string, server.RoomSeat)) error {
	timeout := t.JoinTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var h *tick.Handle
	var err error
	switch {
	case t.Lobby != nil:
		h, err = t.lobbyRoom(ctx, req, player)
	case t.OpenJoin:
		h, err = t.room(ctx, req.RoomId, req.Game, req.Create)
	default:
		err = protocol.Errorf(protocol.CodeSeatInvalid, "joining needs a seat from the lobby (POST /lobby/join)")
	}
	if err != nil {
		return err
	}
	register(h.ID(), &tickSeat{h: h, player: tick.PlayerID(player), peer: peer})
	if err := h.Join(ctx, tick.PlayerID(player), peer); err != nil {
		if t.Lobby != nil {
			_ = t.Lobby.Release(player, h.ID())
		}
		return err
	}
	return nil
}

// lobbyRoom finds the room of a join through the lobby: it redeems the
// seat presented, or asks the lobby for one on the player's behalf.
func (t *TickRooms) lobbyRoom(ctx context.Context, req *tickwirev1.JoinRoom, player string) (*tick.Handle, error) {
	seat := req.Seat
	if seat == "" {
		var g *tickwirev1.Grant
		var err error
		switch {
		case req.RoomId != "":
			if t.Lobby.Rejoin(player, req.RoomId) == nil {
				return t.Rooms.Get(req.RoomId) // reconnection: the player still holds his place
			}
			g, err = t.Lobby.Join(ctx, player, &tickwirev1.LobbyJoin{RoomId: req.RoomId})
		case req.Game != "" && req.Create:
			g, err = t.Lobby.CreateRoom(ctx, player, &tickwirev1.CreateRoom{Game: req.Game})
		case req.Game != "":
			g, err = t.Lobby.QuickJoin(ctx, player, req.Game)
		default:
			return nil, protocol.Errorf(protocol.CodeBadRequest, "JoinRoom needs a seat, a room_id or a game")
		}
		if err != nil {
			return nil, err
		}
		if g.Url != "" {
			// A cluster node's room (the crossword's one world, say): this
			// connection cannot sit in it. The client goes there.
			return nil, &protocol.Error{Code: protocol.CodeRoomElsewhere,
				Msg: fmt.Sprintf("room %s runs on another node: connect to %s and join it by id", g.RoomId, g.Url), URL: g.Url, RoomID: g.RoomId}
		}
		seat = g.Seat
	}
	roomID, err := t.Lobby.RedeemSeat(seat, player, req.RoomId)
	if err != nil {
		return nil, err
	}
	return t.Rooms.Get(roomID)
}

// room finds the room to join: by id, a new room of a game (create), or
// the fullest joinable room of a game, created when there is none.
func (t *TickRooms) room(ctx context.Context, roomID, game string, create bool) (*tick.Handle, error) {
	if roomID != "" {
		return t.Rooms.Get(roomID)
	}
	if game == "" {
		return nil, protocol.Errorf(protocol.CodeBadRequest, "JoinRoom needs a room_id, a game or a seat")
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
	peer   server.Peer
}

func (s *tickSeat) Input(seq uint64, payload []byte) error { return s.h.Input(s.player, seq, payload) }
func (s *tickSeat) Leave()                                 { s.h.Leave(s.player) }
func (s *tickSeat) Disconnect()                            { s.h.Disconnect(s.player, s.peer) }

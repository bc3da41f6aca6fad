package tick

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
)

// Handle is the server's side of one running room. Its methods are safe
// for concurrent use; they talk to the room's goroutine through its bounded
// inbox and control queue and never touch the game's state.
type Handle struct {
	rm *room
}

// RoomInfo describes a running room, for the lobby's room browser.
type RoomInfo struct {
	ID         string
	Game       string
	Node       string
	Players    int
	MaxPlayers int
	TickHz     int
	Created    time.Time
}

// ID returns the room's id: 8 random characters.
func (h *Handle) ID() string { return h.rm.id }

// Game returns the name of the room's game.
func (h *Handle) Game() string { return h.rm.info.Name }

// GameInfo returns the room's game registration, with the room's own
// TickHz and MaxPlayers.
func (h *Handle) GameInfo() GameInfo { return h.rm.info }

// Info returns a description of the room as it is now.
func (h *Handle) Info() RoomInfo {
	return RoomInfo{
		ID:         h.rm.id,
		Game:       h.rm.info.Name,
		Node:       h.rm.node,
		Players:    h.Players(),
		MaxPlayers: h.rm.info.MaxPlayers,
		TickHz:     h.rm.info.TickHz,
		Created:    h.rm.created,
	}
}

// Players returns the number of seated players.
func (h *Handle) Players() int { return int(h.rm.nplayers.Load()) }

// Done is closed once the room has ended and its goroutine returned.
func (h *Handle) Done() <-chan struct{} { return h.rm.done }

// Err returns why the room ended (it wraps ErrRoomFailed when the game
// failed), or nil while it runs.
func (h *Handle) Err() error {
	select {
	case <-h.rm.done:
		return h.rm.err
	default:
		return nil
	}
}

// Join seats player in the room, talking to it through peer. The game's
// Join runs on the room's goroutine; on success peer has been sent a Joined
// envelope, and the next tick sends it a snapshot. Joining again with
// another peer moves the seat to it (a reconnect: the game sees nothing, the
// new peer starts with a snapshot). Errors are *protocol.Error values the
// server can send as they are: ErrRoomFull, ErrAlreadyJoined,
// ErrRoomNotFound (the room ended), the game's refusal; or ctx's error, in
// which case the player was not seated.
func (h *Handle) Join(ctx context.Context, player PlayerID, peer Peer) error {
	if player == "" || peer == nil {
		return protocol.Errorf(protocol.CodeBadRequest, "join needs a player and a peer")
	}
	req := &ctrlReq{kind: ctrlJoin, player: player, peer: peer, reply: make(chan error, 1)}
	if !h.rm.enqueue(req) {
		return fmt.Errorf("join room %s: %w", h.rm.id, ErrRoomNotFound)
	}
	select {
	case err := <-req.reply:
		return err
	case <-ctx.Done():
		if req.taken.CompareAndSwap(0, 2) {
			return ctx.Err()
		}
		return <-req.reply // the room took it and will answer
	}
}

// Leave gives up player's seat before the next tick: the peer is sent Left
// and the game's Leave runs. It never blocks; it does nothing if player is
// not seated or the room has ended.
func (h *Handle) Leave(player PlayerID) {
	h.rm.enqueue(&ctrlReq{kind: ctrlLeave, player: player})
}

// Disconnect tells the room that peer, player's connection, dropped. With
// a GameInfo.ReconnectGrace the seat waits that long for the player to Join
// again with a new peer (who then gets a snapshot; the game sees nothing);
// otherwise, or when the grace runs out, the player leaves and the game's
// Leave runs. It never blocks, and does nothing if peer is not the player's
// current peer (the player already reconnected).
func (h *Handle) Disconnect(player PlayerID, peer Peer) {
	h.rm.enqueue(&ctrlReq{kind: ctrlDisconnect, player: player, peer: peer})
}

// Input queues one input of player for the next tick. It decodes payload
// into the game's input message on the caller's goroutine, so payload may
// be reused as soon as Input returns. It never blocks. Errors, each a
// *protocol.Error: ErrNotInRoom, ErrRoomNotFound (the room ended),
// ErrBadInput, and ErrInputRateLimited when the player already has
// Options.InputsPerTick inputs waiting or the inbox is full (the input is
// dropped and counted).
func (h *Handle) Input(player PlayerID, seq uint64, payload []byte) error {
	rm := h.rm
	if rm.ended.Load() {
		return ErrRoomNotFound
	}
	rm.seatsMu.RLock()
	s := rm.seats[player]
	rm.seatsMu.RUnlock()
	if s == nil {
		return ErrNotInRoom
	}
	if len(payload) > protocol.MaxInputPayloadBytes {
		rm.m.droppedBad.Inc()
		return ErrBadInput
	}
	if s.pending.Add(1) > rm.inputCap {
		s.pending.Add(-1)
		rm.m.droppedCap.Inc()
		return ErrInputRateLimited
	}
	in := rm.inputPool.Get().(proto.Message)
	if err := (proto.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(payload, in); err != nil {
		s.pending.Add(-1)
		proto.Reset(in)
		rm.inputPool.Put(in)
		rm.m.droppedBad.Inc()
		return ErrBadInput
	}
	select {
	case rm.inbox <- inboxItem{s: s, seq: seq, in: in}:
		return nil
	default:
		s.pending.Add(-1)
		proto.Reset(in)
		rm.inputPool.Put(in)
		rm.m.droppedInbox.Inc()
		return ErrInputRateLimited
	}
}

// Close ends the room: its players are told Left ("room closed"), the
// game's Close runs, and Close waits for the room's goroutine, or for ctx.
func (h *Handle) Close(ctx context.Context) error {
	return h.CloseWith(ctx, protocol.CodeUnspecified, reasonClosed)
}

// CloseWith is Close with the code and reason of the players' Left: why
// the room ended here and what they can do (a cluster node cut off from
// NATS says CodeRoomElsewhere: the room goes on through another node).
func (h *Handle) CloseWith(ctx context.Context, code tickwirev1.ErrorCode, reason string) error {
	h.rm.requestStop(endCause{code: code, reason: reason})
	select {
	case <-h.rm.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("close room %s: %w", h.rm.id, ctx.Err())
	}
}

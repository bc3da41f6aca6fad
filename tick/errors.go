package tick

import (
	"github.com/tickwire/tickwire/protocol"
)

// Errors the runtime returns. Each is a *protocol.Error, so the server can
// send it to the client as it is; callers branch with errors.Is.
var (
	// ErrGameNotFound: Create named a game that is not registered.
	ErrGameNotFound = &protocol.Error{Code: protocol.CodeGameNotFound, Msg: "no such game"}
	// ErrRoomNotFound: no room has that id (or it has ended).
	ErrRoomNotFound = &protocol.Error{Code: protocol.CodeRoomNotFound, Msg: "no such room"}
	// ErrRoomFull: the room has no free seat.
	ErrRoomFull = &protocol.Error{Code: protocol.CodeRoomFull, Msg: "room is full"}
	// ErrNotInRoom: the player has no seat in the room.
	ErrNotInRoom = &protocol.Error{Code: protocol.CodeNotInRoom, Msg: "not seated in this room"}
	// ErrAlreadyJoined: the player is already seated through the same peer.
	ErrAlreadyJoined = &protocol.Error{Code: protocol.CodeAlreadyJoined, Msg: "already seated in this room"}
	// ErrInputRateLimited: the player already has Options.InputsPerTick
	// inputs waiting for the next tick, or the room's inbox is full; the
	// input was dropped.
	ErrInputRateLimited = &protocol.Error{Code: protocol.CodeRateLimited, Msg: "too many inputs this tick"}
	// ErrBadInput: the payload is not the game's input message.
	ErrBadInput = &protocol.Error{Code: protocol.CodeBadInput, Msg: "input does not decode as the game's input message"}
	// ErrRoomFailed: the room ended because its game failed.
	ErrRoomFailed = &protocol.Error{Code: protocol.CodeRoomFailed, Msg: "room ended: game failed"}
	// ErrTooManyRooms: the node runs Options.MaxRooms rooms already.
	ErrTooManyRooms = &protocol.Error{Code: protocol.CodeNodeFull, Msg: "too many rooms on this node"}
	// ErrRoomExists: RoomOptions.ID names a room this process runs already.
	ErrRoomExists = &protocol.Error{Code: protocol.CodeBadRequest, Msg: "a room with that id exists"}
	// ErrClosed: the Rooms are shutting down.
	ErrClosed = &protocol.Error{Code: protocol.CodeShuttingDown, Msg: "rooms are shutting down"}
)

// Left reasons, sent with the Left envelope when a room ends.
const (
	reasonLeft      = "left the room"
	reasonGraceOver = "did not reconnect in time"
	reasonClosed    = "room closed"
	reasonShutdown  = "server shutting down"
)

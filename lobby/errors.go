package lobby

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/tick"
)

// Errors the lobby returns. Each is a *protocol.Error, so the server can send
// it as it is; callers branch with errors.Is(err, lobby.ErrAlreadyQueued).
// The errors actually returned carry a more precise message (which player,
// which ticket) but still match their sentinel with errors.Is.
var (
	// ErrBadRequest: the request is malformed or a field is out of range.
	ErrBadRequest = &protocol.Error{Code: protocol.CodeBadRequest, Msg: "bad request"}
	// ErrUnauthenticated: no token, or a token that is forged or expired.
	ErrUnauthenticated = &protocol.Error{Code: protocol.CodeUnauthenticated, Msg: "unauthenticated"}
	// ErrGameNotFound: no game of that name is registered.
	ErrGameNotFound = &protocol.Error{Code: protocol.CodeGameNotFound, Msg: "no such game"}
	// ErrRoomNotFound: no live room has that id or join code (private rooms
	// are not found by id, except by their members).
	ErrRoomNotFound = &protocol.Error{Code: protocol.CodeRoomNotFound, Msg: "no such room"}
	// ErrRoomFull: the room has no free seat.
	ErrRoomFull = &protocol.Error{Code: protocol.CodeRoomFull, Msg: "room is full"}
	// ErrAlreadyQueued: a player is already in a searching ticket.
	ErrAlreadyQueued = &protocol.Error{Code: protocol.CodeAlreadyQueued, Msg: "already queued"}
	// ErrAlreadyInRoom: a player already holds a seat in a room.
	ErrAlreadyInRoom = &protocol.Error{Code: protocol.CodeAlreadyInRoom, Msg: "already in a room"}
	// ErrTicketNotFound: no ticket has that id, or the caller is not in its
	// party.
	ErrTicketNotFound = &protocol.Error{Code: protocol.CodeTicketNotFound, Msg: "no such ticket"}
	// ErrTicketDone: the ticket is no longer searching (matched or expired),
	// so it cannot be cancelled.
	ErrTicketDone = &protocol.Error{Code: protocol.CodeTicketDone, Msg: "ticket is no longer searching"}
	// ErrSeatInvalid: a seat is forged, expired, already used, superseded,
	// or names another player, room or node.
	ErrSeatInvalid = &protocol.Error{Code: protocol.CodeSeatInvalid, Msg: "invalid seat"}
	// ErrTooManyTickets: Options.MaxTickets tickets are searching already.
	ErrTooManyTickets = &protocol.Error{Code: protocol.CodeRateLimited, Msg: "too many tickets"}
	// ErrGuestsDisabled: guest identities are off because an Authenticator
	// replaces them.
	ErrGuestsDisabled = &protocol.Error{Code: protocol.CodeUnauthenticated, Msg: "guest identities are disabled"}
	// ErrClosed: the lobby is shutting down.
	ErrClosed = &protocol.Error{Code: protocol.CodeShuttingDown, Msg: "lobby is shutting down"}
)

// kindError is a *protocol.Error with a precise message that still matches
// its sentinel: errors.As finds the precise wire error first (Unwrap order),
// errors.Is matches the sentinel by identity.
type kindError struct {
	wire *protocol.Error
	kind *protocol.Error
}

func (e *kindError) Error() string   { return e.wire.Error() }
func (e *kindError) Unwrap() []error { return []error{e.wire, e.kind} }

// fail returns an error of kind with a formatted message.
func fail(kind *protocol.Error, format string, args ...any) error {
	return &kindError{wire: &protocol.Error{Code: kind.Code, Msg: fmt.Sprintf(format, args...)}, kind: kind}
}

// httpStatus maps a lobby error to the status of its JSON response.
func httpStatus(err error) int {
	switch {
	case errors.Is(err, ErrTicketNotFound):
		return http.StatusNotFound
	case errors.Is(err, ErrAlreadyQueued), errors.Is(err, ErrAlreadyInRoom), errors.Is(err, ErrTicketDone):
		return http.StatusConflict
	case errors.Is(err, ErrGuestsDisabled):
		return http.StatusForbidden
	case errors.Is(err, ErrTooManyTickets), errors.Is(err, tick.ErrTooManyRooms):
		return http.StatusServiceUnavailable
	}
	switch protocol.AsError(err).Code {
	case protocol.CodeBadRequest, protocol.CodeBadInput,
		protocol.CodeSeatInvalid:
		return http.StatusBadRequest
	case protocol.CodeUnauthenticated:
		return http.StatusUnauthorized
	case protocol.CodeGameNotFound, protocol.CodeRoomNotFound:
		return http.StatusNotFound
	case protocol.CodeRoomFull, protocol.CodeAlreadyJoined:
		return http.StatusConflict
	case protocol.CodeGameRefused:
		return http.StatusForbidden
	case protocol.CodeRateLimited:
		return http.StatusTooManyRequests
	case protocol.CodeShuttingDown, protocol.CodeRoomFailed:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

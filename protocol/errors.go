package protocol

import (
	"errors"
	"fmt"
	"strings"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
)

// Code is an error code that crosses the wire (tickwire.v1.ErrorCode).
type Code = tickwirev1.ErrorCode

// Error is the one error type that crosses the wire: a code from the table
// and a human-readable message. Packages return it (wrapped or not) for
// anything a client should see; the server turns it into an Envelope error.
type Error struct {
	Code Code
	Msg  string
	// URL and RoomID are the node to go to and the room to join there, for
	// ROOM_ELSEWHERE (the player holds a place in it: join it by id).
	URL, RoomID string
}

// Errorf returns an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// Error implements error.
func (e *Error) Error() string {
	return CodeName(e.Code) + ": " + e.Msg
}

// Is makes errors.Is(err, &Error{Code: c}) match any *Error with code c.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && (t.Msg == "" || t.Msg == e.Msg)
}

// Proto converts e to its wire form.
func (e *Error) Proto() *tickwirev1.Error {
	return &tickwirev1.Error{Code: e.Code, Message: e.Msg, Url: e.URL, RoomId: e.RoomID}
}

// AsError returns err as an *Error: err itself when it wraps one, else an
// ERROR_CODE_INTERNAL error whose message hides the detail (which the
// caller should log).
func AsError(err error) *Error {
	var pe *Error
	if errors.As(err, &pe) {
		return pe
	}
	return &Error{Code: CodeInternal, Msg: "internal error"}
}

// CodeName is the short lower-case name of a code ("room_full"), as used in
// the README and the lobby's JSON errors.
func CodeName(c Code) string {
	name, ok := tickwirev1.ErrorCode_name[int32(c)]
	if !ok {
		return fmt.Sprintf("code_%d", int32(c))
	}
	return strings.ToLower(strings.TrimPrefix(name, "ERROR_CODE_"))
}

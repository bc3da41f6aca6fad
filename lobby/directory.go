package lobby

import (
	"context"
	"errors"
	"time"
)

// Directory is where the lobby keeps the rooms it knows and the seats in
// them: the lookups behind the room browser, join codes, seat redemption
// and "is this player in a room already". MemDirectory serves one node from
// go-memdb; a cluster implementation (NATS) can serve many, which is why
// every record names its node.
//
// Each method is atomic on its own. The lobby serializes the admission of a
// player (into a ticket or a room) itself, so an implementation only has to
// keep its own invariants: at most one seat per player, at most MaxPlayers
// seats per room, single-use seat nonces, unique join codes among live rooms.
type Directory interface {
	// AddRoom records a new room together with its first seats. It fails
	// with ErrJoinCodeTaken when room.JoinCode is in use by a live room,
	// with ErrAlreadyInRoom when a seat's player holds a seat elsewhere, and
	// with ErrRoomFull when there are more seats than room.MaxPlayers.
	AddRoom(ctx context.Context, room RoomRecord, seats []SeatRecord) error
	// RemoveRoom forgets a room and every seat in it. Removing an unknown
	// room is not an error.
	RemoveRoom(ctx context.Context, id string) error
	// Room returns the room with id, or ErrRoomNotFound.
	Room(ctx context.Context, id string) (RoomRecord, error)
	// RoomByCode returns the room with join code code, or ErrRoomNotFound.
	RoomByCode(ctx context.Context, code string) (RoomRecord, error)
	// Rooms returns the rooms of game (every game when game is empty),
	// public and private, oldest first.
	Rooms(ctx context.Context, game string) ([]RoomRecord, error)

	// Reserve gives seat.Player a place in seat.Room until seat.Expires, or
	// renews his place there (a new seat supersedes the old one; a taken
	// place stays taken). It fails with ErrRoomNotFound, ErrRoomFull, or
	// ErrAlreadyInRoom when the player holds a seat in another room.
	Reserve(ctx context.Context, seat SeatRecord) error
	// SeatOf returns the place player holds, if any.
	SeatOf(ctx context.Context, player string) (SeatRecord, bool, error)
	// Seats returns the places held in room.
	Seats(ctx context.Context, room string) ([]SeatRecord, error)
	// Redeem takes the place a verified seat reserved, once: it fails with
	// ErrSeatInvalid when the nonce was used already, the reservation lapsed
	// or was superseded, or the room has ended. The nonce is remembered
	// until c.Expires.
	Redeem(ctx context.Context, c SeatClaims) error
	// Release gives up player's place in room (he left, or his reconnection
	// grace ran out). Releasing a place not held is not an error.
	Release(ctx context.Context, player, room string, now time.Time) error
	// Sweep drops lapsed reservations and remembered nonces, removes the
	// managed rooms that have had no seat for idleFor (unless idleFor < 0)
	// and returns them, with when the next sweep is due.
	Sweep(ctx context.Context, now time.Time, idleFor time.Duration) (SweepResult, error)
}

// ErrJoinCodeTaken is AddRoom's error for a join code in use; the lobby
// draws another code and retries.
var ErrJoinCodeTaken = errors.New("join code taken")

// RoomRecord is a room as the lobby knows it.
type RoomRecord struct {
	ID   string
	Game string
	// Node is the process running the room.
	Node string
	// Private rooms are not listed and are joined by JoinCode only.
	Private bool
	// JoinCode is the room's short code (empty for matchmade rooms).
	JoinCode   string
	MaxPlayers int
	Created    time.Time
	// Managed rooms were created by the lobby, which closes them once they
	// have had no seat for Options.IdleRoomTTL. Adopted rooms are not.
	Managed bool
	// Seats counts the places reserved or taken; the Directory keeps it.
	Seats int
	// IdleSince is when Seats last dropped to zero (zero while Seats > 0).
	IdleSince time.Time
}

// SeatRecord is one player's place in a room: reserved when a seat is
// issued, taken when the seat is redeemed on /ws, held until Release or the
// end of the room.
type SeatRecord struct {
	Room   string
	Player string
	Node   string
	// Nonce is the current seat's nonce; older seats for this place are
	// superseded.
	Nonce string
	// Expires is when an unredeemed reservation lapses; unused once Taken.
	Expires time.Time
	// Taken says the seat was redeemed: the player is (or was, and may
	// reconnect) in the room.
	Taken bool
}

// SweepResult is what Directory.Sweep did and when to sweep again.
type SweepResult struct {
	// Closed are the idle managed rooms removed; the lobby stops them.
	Closed []RoomRecord
	// Next is when something lapses next (zero: nothing pending).
	Next time.Time
	// Changed is closed when a later write may move Next earlier.
	Changed <-chan struct{}
}

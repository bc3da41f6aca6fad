package lobby

import (
	"context"
	"errors"
)

// VerifySeat checks a seat's signature and expiry (not whether it was used)
// and returns what it says. The server may call it to route a join to the
// seat's node before redeeming it there.
func (l *Lobby) VerifySeat(token string) (SeatClaims, error) {
	c, err := l.sign.verifySeat(token, l.now())
	switch {
	case errors.Is(err, errExpired):
		return c, fail(ErrSeatInvalid, "seat expired")
	case errors.Is(err, errForged):
		return c, fail(ErrSeatInvalid, "seat signature does not match: forged, or from another server")
	case err != nil:
		return c, fail(ErrSeatInvalid, "seat is malformed")
	}
	return c, nil
}

// RedeemSeat takes the seat token presents for player, once, and returns
// its room: the server then seats player there with tick.Handle.Join.
// roomID, when not empty, is the room the client asked for. Every refusal
// wraps ErrSeatInvalid (code SEAT_INVALID) with a message saying why:
// malformed, forged, expired, already used, superseded by a newer seat,
// another player's, another room's, another node's, lapsed or released, or
// its room has ended.
func (l *Lobby) RedeemSeat(token, player, roomID string) (string, error) {
	if err := l.checkOpen(); err != nil {
		return "", err
	}
	c, err := l.VerifySeat(token)
	if err == nil {
		switch {
		case c.Player != player:
			err = fail(ErrSeatInvalid, "seat belongs to another player")
		case roomID != "" && c.Room != roomID:
			err = fail(ErrSeatInvalid, "seat is for room %s, not %s", c.Room, roomID)
		case c.Node != l.opts.Node:
			err = fail(ErrSeatInvalid, "seat is for node %s, this is %s", c.Node, l.opts.Node)
		default:
			err = l.dir.Redeem(l.ctx, c)
		}
	}
	if err != nil {
		l.m.seatsRefused.Inc()
		return "", err
	}
	l.m.seatsRedeemed.Inc()
	return c.Room, nil
}

// Rejoin lets a player back into a room he took a seat in and still holds
// (his connection dropped; the room keeps him for the game's reconnection
// grace): it returns nil when he may be seated there again without a new
// seat, else an error wrapping ErrSeatInvalid. The player proves who he is
// with his bearer token, not with the (single-use) seat he already used.
func (l *Lobby) Rejoin(player, roomID string) error {
	if err := l.checkOpen(); err != nil {
		return err
	}
	s, ok, err := l.dir.SeatOf(l.ctx, player)
	if err != nil {
		return err
	}
	if !ok || s.Room != roomID || !s.Taken {
		return fail(ErrSeatInvalid, "player %s holds no taken seat in room %s: get a seat from the lobby", player, roomID)
	}
	return nil
}

// Release gives up player's place in roomID: the server calls it when the
// player leaves the room for good (LeaveRoom, kicked, or his reconnection
// grace ran out), so he can queue or join elsewhere. Releasing a place not
// held does nothing.
func (l *Lobby) Release(player, roomID string) error {
	return l.dir.Release(context.WithoutCancel(l.ctx), player, roomID, l.now())
}

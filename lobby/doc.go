// Package lobby decides who plays with whom and hands players seats in
// rooms. It serves matchmaking, the room browser, private rooms with join
// codes and quick-join, over an HTTP JSON API (Handler) and to the
// WebSocket server (Serve, Authenticate, RedeemSeat, Rejoin, Release).
//
// # Store
//
// Two go-memdb databases hold the state. The lobby's own has players
// (identities), tickets and the queue (one row per player waiting in a
// searching ticket). The Directory has the rooms the lobby knows (id, game,
// node, private, join code, max players, created), the places held in them
// (one per player: reserved when a seat is issued, taken when it is
// redeemed) and the nonces of redeemed seats. Rows are immutable; writers
// insert copies, so readers work on consistent snapshots without locks.
//
// A player is in at most one searching ticket or one room. Admission (a
// ticket, a join, a new room) locks the player's stripe of a small lock
// table, checks the queue and the directory, and writes; the matchmaker
// moves a matched player from the queue to his room by reserving his seat
// before it dequeues him, so there is no moment at which he is in neither.
//
// # Seats
//
// A seat is an opaque token: base64url of a version, a kind, an expiry, a
// 12-byte random nonce, the player, room and node ids, and an HMAC-SHA256
// over all of it with a key derived from Options.Secret (guest tokens use
// another derived key, so neither passes for the other). The server calls
// RedeemSeat when a JoinRoom envelope presents one: the signature, expiry
// (Options.SeatTTL, 30 s by default), player, room and node are checked
// without touching the store; then the directory takes the place, once: the
// nonce must be the place's current one (a newer seat for the same place
// supersedes older ones) and is remembered until the seat's expiry, so a
// second redemption is refused. Every refusal is SEAT_INVALID with a
// message saying why. An unredeemed reservation lapses with its seat.
//
// # Reconnection
//
// A taken place is held until the server calls Release (the player left,
// was kicked, or his reconnection grace ran out in the room) or the room
// ends. While it is held, a player whose connection dropped gets back in
// either way:
//
//   - without a seat: the new session authenticates with the player's
//     bearer token and sends JoinRoom{room_id}; the server calls Rejoin, which
//     accepts a player holding a taken place in that room, and seats him with
//     tick.Handle.Join, which moves the seat to the new connection;
//   - with a fresh seat: the client asks again (POST /lobby/join with the
//     room_id, which works for his private room too); the lobby renews his
//     place without taking another one, and he presents the new seat.
//
// Used seats stay single-use in both cases; the grace period itself is the
// room runtime's business.
//
// # Matchmaking
//
// Tickets wait in buckets of game, region and mode. A match keeps parties
// whole, numbers the game's MinPlayers to MaxPlayers (only MaxPlayers while
// its oldest ticket has waited less than Options.FillWait), and keeps the
// spread of skill ratings within the window of its oldest ticket:
//
//	spread(t) = min(Base + PerSecond·t, Max)     (defaults 50, 25/s, 400)
//
// See match.go for the algorithm. The matchmaker goroutine sleeps on a
// memdb watch channel of the searching tickets and on one timer set to the
// next expiry, FillWait deadline or window widening that can make a match;
// it does not poll. A match creates a private room with exactly the
// matched players' places, reserves a seat for each, and marks the tickets
// "matched": each player's GET of the ticket shows his own seat.
package lobby

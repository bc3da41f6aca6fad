package lobby

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	memdb "github.com/hashicorp/go-memdb"
)

// Authenticator maps a bearer token to a player id. Setting
// Options.Authenticator replaces guest identities with your own (a session
// cookie, a JWT, a platform login). It is called for every lobby request
// and every /ws session, from many goroutines at once.
type Authenticator interface {
	// Authenticate returns the player the token belongs to (1 to 64 bytes,
	// no spaces or control characters), or an error to refuse it with 401.
	Authenticate(token string) (playerID string, err error)
}

// AuthenticatorFunc is an Authenticator made of a function.
type AuthenticatorFunc func(token string) (playerID string, err error)

// Authenticate calls f.
func (f AuthenticatorFunc) Authenticate(token string) (string, error) { return f(token) }

// Guest is a new guest identity: the player id and the bearer token that
// proves it, valid for Options.TokenTTL.
type Guest struct {
	PlayerID string `json:"player_id"`
	Token    string `json:"token"`
}

// MaxNameLen is the most characters a guest name may have.
const MaxNameLen = 32

// CreateGuest makes a guest identity called name (trimmed; "guest" when
// empty) and records the player. It fails with ErrGuestsDisabled when an
// Authenticator is set and with ErrBadRequest for a name that is too long
// or has control characters.
func (l *Lobby) CreateGuest(ctx context.Context, name string) (Guest, error) {
	g, name, expires, err := l.issueGuest(name)
	if err != nil {
		return Guest{}, err
	}
	txn := l.db.Txn(true)
	defer txn.Abort()
	if err := txn.Insert(tablePlayers, &playerRecord{ID: g.PlayerID, Name: name, Created: l.now(), PurgeAt: expires.UnixNano()}); err != nil {
		return Guest{}, err
	}
	txn.Commit()
	return g, nil
}

// IssueGuest is CreateGuest without the record: the identity costs the
// lobby nothing until its token is first authenticated (Authenticate then
// records the player). The server gives one to every anonymous /ws
// session, most of which never use the lobby.
func (l *Lobby) IssueGuest(name string) (Guest, error) {
	g, _, _, err := l.issueGuest(name)
	return g, err
}

func (l *Lobby) issueGuest(name string) (Guest, string, time.Time, error) {
	if err := l.checkOpen(); err != nil {
		return Guest{}, "", time.Time{}, err
	}
	if l.opts.Authenticator != nil {
		return Guest{}, "", time.Time{}, fail(ErrGuestsDisabled, "guest identities are disabled on this server")
	}
	name = strings.TrimSpace(name)
	switch {
	case !utf8.ValidString(name):
		return Guest{}, "", time.Time{}, fail(ErrBadRequest, "name is not valid UTF-8")
	case utf8.RuneCountInString(name) > MaxNameLen:
		return Guest{}, "", time.Time{}, fail(ErrBadRequest, "name has more than %d characters", MaxNameLen)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return Guest{}, "", time.Time{}, fail(ErrBadRequest, "name has control characters")
	case name == "":
		name = "guest"
	}
	expires := l.now().Add(l.opts.TokenTTL)
	id := newPlayerID()
	l.m.guests.Inc()
	return Guest{PlayerID: id, Token: l.sign.issueToken(id, expires)}, name, expires, nil
}

// Authenticate returns the player a bearer token belongs to: a guest token
// from CreateGuest, or whatever Options.Authenticator accepts. Errors wrap
// ErrUnauthenticated. The server calls it for /ws sessions; the HTTP API
// for every request but POST /lobby/guest.
func (l *Lobby) Authenticate(token string) (string, error) {
	if token == "" {
		return "", fail(ErrUnauthenticated, "no token")
	}
	now := l.now()
	if l.opts.Authenticator != nil {
		player, err := l.opts.Authenticator.Authenticate(token)
		if err != nil {
			l.log.Debug().Err(err).Msg("token refused by the authenticator")
			return "", fail(ErrUnauthenticated, "token refused")
		}
		if !validID(player) {
			return "", fail(ErrUnauthenticated, "the authenticator returned an invalid player id")
		}
		if err := l.know(player, now, now.Add(l.opts.TokenTTL)); err != nil {
			return "", err
		}
		return player, nil
	}
	player, err := l.sign.verifyToken(token, now)
	switch {
	case errors.Is(err, errExpired):
		return "", fail(ErrUnauthenticated, "token expired")
	case err != nil:
		return "", fail(ErrUnauthenticated, "token is not valid")
	}
	// A guest row outlives its token; it is missing only after a restart
	// with the same Secret.
	if p, err := getPlayer(l.db.Txn(false), player); err != nil {
		return "", err
	} else if p == nil {
		if err := l.know(player, now, now.Add(l.opts.TokenTTL)); err != nil {
			return "", err
		}
	}
	return player, nil
}

// know records player as known until at least until. It writes only when
// the row is missing or half its life is gone, so it costs a read per call.
func (l *Lobby) know(player string, now, until time.Time) error {
	p, err := getPlayer(l.db.Txn(false), player)
	if err != nil {
		return err
	}
	if p != nil && p.PurgeAt-now.UnixNano() > int64(l.opts.TokenTTL/2) {
		return nil
	}
	txn := l.db.Txn(true)
	defer txn.Abort()
	row := &playerRecord{ID: player, Created: now, PurgeAt: until.UnixNano()}
	if p, err := getPlayer(txn, player); err != nil {
		return err
	} else if p != nil {
		row.Name, row.Created = p.Name, p.Created
	}
	if err := txn.Insert(tablePlayers, row); err != nil {
		return err
	}
	txn.Commit()
	return nil
}

// validID reports whether s can be a player id: 1..64 bytes of printable
// non-space ASCII or UTF-8.
func validID(s string) bool {
	if len(s) == 0 || len(s) > maxIDLen || !utf8.ValidString(s) {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) < 0
}

// unknownPlayers returns the party members the lobby does not know.
func unknownPlayers(txn *memdb.Txn, party []string) ([]string, error) {
	var out []string
	for _, p := range party {
		row, err := getPlayer(txn, p)
		if err != nil {
			return nil, err
		}
		if row == nil {
			out = append(out, p)
		}
	}
	return out, nil
}
